"""Two follow-up ticks at the same moment (a duplicated beat) on PostgreSQL: SKIP LOCKED shares
the rows between them, and each participant is told once."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
from django.db import connection, connections

from core.models import Notification
from tests.trials.followup_helpers import a_participant, at_local
from tests.trials.helpers import a_recruiting_trial
from trials.services.followups import followups_tick

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks need PostgreSQL (SQLite has none)"
)
def test_two_ticks_at_once_tell_each_participant_once():
    trial = a_recruiting_trial()
    participants = [
        a_participant(trial=trial, allocated_at=at_local(date(2026, 3, 2), 10)) for _ in range(12)
    ]
    now = at_local(date(2026, 3, 16) + timedelta(days=25), 12)
    barrier = threading.Barrier(2)
    results, errors = [], []

    def tick():
        try:
            barrier.wait()
            results.append(followups_tick(now=now, batch_size=3).opened)
        except Exception as exc:  # reported by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=tick) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    assert sum(results) == len(participants)
    for participant in participants:
        assert Notification.objects.filter(recipient=participant.patient).count() == 1
