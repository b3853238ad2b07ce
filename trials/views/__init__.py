"""The trial's pages, one module per part (routes in trials/urls_*.py)."""
