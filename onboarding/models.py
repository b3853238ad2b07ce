"""Models of onboarding. None yet: the issue that builds this app adds them."""
