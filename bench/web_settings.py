"""Settings of bench/web.py's gunicorn: the product's own, plus a bench-only URLconf (the floor
view) and a middleware that says in a header how many queries each answer made. The product
ships no bench route: config.settings never names this module."""

from config.settings import *  # noqa: F403
from config.settings import MIDDLEWARE

ROOT_URLCONF = "bench.web_urls"
MIDDLEWARE = ["bench.web_urls.QueryCountMiddleware", *MIDDLEWARE]
