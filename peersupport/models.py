"""Models of peersupport. None yet: the issue that builds this app adds them."""
