"""Forms of the peer groups."""
