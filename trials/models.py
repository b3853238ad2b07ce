"""Models of trials. None yet: the issue that builds this app adds them."""
