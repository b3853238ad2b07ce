"""The trial's JSON API, one module per part (routes in trials/api_urls.py)."""
