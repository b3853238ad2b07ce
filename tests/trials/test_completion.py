"""A participant whose every follow-up is over has completed follow-up: the clock records when,
once, and engagement is counted up to that moment."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.trials.followup_helpers import a_participant, at_local
from trials.models import FollowUp
from trials.services.followups import followups_tick

pytestmark = pytest.mark.django_db


def test_follow_up_is_complete_once_every_point_is_over():
    participant = a_participant(
        allocated_at=at_local(date(2026, 1, 5), 10), quit_date=date(2026, 1, 12)
    )
    followups_tick(now=at_local(date(2026, 2, 10), 12))
    assert participant.followups.filter(status=FollowUp.Status.OPEN).count() == 1
    participant.refresh_from_db()
    assert participant.completed_at is None  # two points still to come

    participant.followups.update(status=FollowUp.Status.COMPLETED)
    participant.followups.filter(point__code="6m").update(status=FollowUp.Status.MISSED)
    later = at_local(date(2026, 8, 1), 12)
    assert followups_tick(now=later).completed == 1
    participant.refresh_from_db()
    assert participant.completed_at == later
    assert followups_tick(now=later + timedelta(days=1)).completed == 0  # once
    participant.refresh_from_db()
    assert participant.completed_at == later
