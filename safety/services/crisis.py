"""Crisis resources: the cache the crisis page reads."""

from __future__ import annotations

from django.core.cache import cache

from safety.selectors import CRISIS_CACHE_KEY


def crisis_resources_changed() -> None:
    """Show edited crisis resources at once instead of after the cache expires."""
    cache.delete(CRISIS_CACHE_KEY)
