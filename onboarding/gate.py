"""Whether the programme is open to a patient, remembered in the shared cache so that it costs
no database query on each page, and forgotten for all of the patient's devices at once when it
may have changed (consent given or withdrawn, onboarding begun).

Both answers are remembered, and forgotten by every change that can turn them (consent given or
withdrawn, onboarding begun). If the cache is unreachable (Redis down), the database answers and
nothing fails; an answer that could not be forgotten lapses on its own within
REMEMBER_FOR_SECONDS.
"""

from __future__ import annotations

import logging

from django.core.cache import cache
from django.db import transaction

from onboarding.selectors import programme_open_to

logger = logging.getLogger(__name__)

REMEMBER_FOR_SECONDS = 15 * 60
_OPEN, _CLOSED = "open", "closed"


def _key(patient_id: int) -> str:
    return f"onboarding.programme_open.{patient_id}"


def programme_open(patient) -> bool:
    try:
        remembered = cache.get(_key(patient.pk))
    except Exception:  # the cache is an optimisation; the database decides
        logger.warning("programme gate: cache unreadable, asking the database")
        remembered = None
    if remembered in (_OPEN, _CLOSED):
        return remembered == _OPEN
    is_open = programme_open_to(patient=patient)
    try:
        cache.set(_key(patient.pk), _OPEN if is_open else _CLOSED, REMEMBER_FOR_SECONDS)
    except Exception:
        logger.warning("programme gate: cache unwritable")
    return is_open


def _forget(patient_id: int) -> None:
    try:
        cache.delete(_key(patient_id))
    except Exception:
        logger.error("programme gate: cache unreachable, the answer lapses on its own")


def programme_forget(patient) -> None:
    """The answer may have changed: every device of this patient asks the database again. Called
    inside the transaction that changes it; forgotten again once it commits, so that a page
    asking in between (and remembering the old answer) does not outlive the change."""
    _forget(patient.pk)
    transaction.on_commit(lambda: _forget(patient.pk))
