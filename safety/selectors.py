"""Reads of safety."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError

from safety.models import CrisisResource

logger = logging.getLogger(__name__)

CRISIS_CACHE_KEY = "safety:crisis-resources:v1"
CRISIS_CACHE_SECONDS = 300


def crisis_resource_list() -> list[dict]:
    """The deployment's crisis resources. Never fails: with the database or cache down, the
    built-in list from settings is shown, because this page must always work."""
    try:
        cached = cache.get(CRISIS_CACHE_KEY)
    except Exception:
        cached = None
    if cached is not None:
        return cached
    try:
        resources = [r.as_dict() for r in CrisisResource.objects.filter(is_active=True)]
    except DatabaseError:
        logger.exception("crisis resources unavailable from the database; showing built-ins")
        return list(settings.CRISIS_RESOURCES_FALLBACK)
    resources = resources or list(settings.CRISIS_RESOURCES_FALLBACK)
    try:
        cache.set(CRISIS_CACHE_KEY, resources, CRISIS_CACHE_SECONDS)
    except Exception:
        logger.warning("could not cache crisis resources")
    return resources
