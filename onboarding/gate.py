"""Whether the programme is open to a patient, remembered in the shared cache so that it costs
no database query on each page, and forgotten for all of the patient's devices at once when it
may have changed (consent given or withdrawn, onboarding begun).

An answer is remembered under the patient's current generation, and forgetting starts a new
generation (inside the changing transaction, and again once it commits). A page that read the
database before the change committed can then only write its stale answer under a generation
nobody reads any more. If the cache is unreachable (Redis down), the database answers and nothing
fails; an answer that could not be forgotten lapses on its own within REMEMBER_FOR_SECONDS.
"""

from __future__ import annotations

import logging
import time

from django.core.cache import cache
from django.db import transaction

from core.request_memo import forget, remembered
from onboarding.selectors import programme_open_to

logger = logging.getLogger(__name__)

REMEMBER_FOR_SECONDS = 15 * 60
_MEMO = "onboarding.programme_open"
_OPEN, _CLOSED = "open", "closed"


def _generation_key(patient_id: int) -> str:
    return f"onboarding.programme_generation.{patient_id}"


def _answer_key(patient_id: int, generation) -> str:
    return f"onboarding.programme_open.{patient_id}.{generation}"


def programme_open(patient) -> bool:
    # Asked by the middleware, the page's frame and each of its sections: once per request.
    return remembered(_MEMO, patient.pk, lambda: _programme_open(patient))


def _programme_open(patient) -> bool:
    try:
        # The generation is read before the database: see the module's docstring.
        generation = cache.get(_generation_key(patient.pk), 0)
        remembered = cache.get(_answer_key(patient.pk, generation))
    except Exception:  # the cache is an optimisation; the database decides
        logger.warning("programme gate: cache unreadable, asking the database")
        return programme_open_to(patient=patient)
    if remembered in (_OPEN, _CLOSED):
        return remembered == _OPEN
    is_open = programme_open_to(patient=patient)
    try:
        cache.set(
            _answer_key(patient.pk, generation), _OPEN if is_open else _CLOSED, REMEMBER_FOR_SECONDS
        )
    except Exception:
        logger.warning("programme gate: cache unwritable")
    return is_open


def _new_generation(patient_id: int) -> None:
    forget(_MEMO, patient_id)
    try:
        cache.set(_generation_key(patient_id), time.time_ns(), None)
    except Exception:
        logger.error("programme gate: cache unreachable, the answer lapses on its own")


def programme_forget(patient) -> None:
    """The answer may have changed: every device of this patient asks the database again. Called
    inside the transaction that changes it, and again once it commits."""
    _new_generation(patient.pk)
    transaction.on_commit(lambda: _new_generation(patient.pk))
