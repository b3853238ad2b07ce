"""Whether the programme is open to a patient, remembered in the shared cache so that it costs
no database query on each page, and forgotten for all of the patient's devices at once when it
may have changed (consent given or withdrawn, onboarding begun).

Only "open" is remembered: a patient still in onboarding is asked the database each time, so
agreeing opens the programme on the very next page. If the cache is unreachable (Redis down),
the database answers and nothing fails; an "open" that could not be forgotten lapses on its own
within OPEN_FOR_SECONDS.
"""

from __future__ import annotations

import logging

from django.core.cache import cache

from onboarding.selectors import programme_open_to

logger = logging.getLogger(__name__)

OPEN_FOR_SECONDS = 15 * 60


def _key(patient_id: int) -> str:
    return f"onboarding.programme_open.{patient_id}"


def programme_open(patient) -> bool:
    try:
        if cache.get(_key(patient.pk)):
            return True
    except Exception:  # the cache is an optimisation; the database decides
        logger.warning("programme gate: cache unreadable, asking the database")
    is_open = programme_open_to(patient=patient)
    if is_open:
        try:
            cache.set(_key(patient.pk), True, OPEN_FOR_SECONDS)
        except Exception:
            logger.warning("programme gate: cache unwritable")
    return is_open


def programme_forget(patient) -> None:
    """The answer may have changed: every device of this patient asks the database again."""
    try:
        cache.delete(_key(patient.pk))
    except Exception:
        logger.error("programme gate: cache unreachable, an open programme lapses on its own")
