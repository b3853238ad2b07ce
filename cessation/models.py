"""Models of cessation. None yet: the issue that builds this app adds them."""
