"""Records services: retention (retention.py) and subject access (subject_access.py)."""
