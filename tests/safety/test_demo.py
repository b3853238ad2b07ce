"""safety's part of `seed_demo`: a safety plan, flags in several states and someone on call, made
once however often the command runs."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from core.models import Notification
from safety.models import Flag, FlagEvent, FlagSignal, OnCall, SafetyPlan

pytestmark = pytest.mark.django_db


def _seed() -> str:
    out = StringIO()
    call_command("seed_demo", force=True, stdout=out)
    return out.getvalue()


def _counts() -> dict:
    return {
        "flags": Flag.objects.count(),
        "signals": FlagSignal.objects.count(),
        "events": FlagEvent.objects.count(),
        "plans": SafetyPlan.objects.count(),
        "on_call": OnCall.objects.count(),
        "notices": Notification.objects.filter(kind__startswith="safety").count(),
    }


def test_seed_demo_makes_safety_data_once():
    output = _seed()
    first = _counts()

    _seed()

    assert _counts() == first
    assert "safety:" in output
    # Safety's own plan; the onboarding demo's patients write theirs in their safety plan step.
    assert first["plans"] >= 1
    assert first["on_call"] == 1
    assert OnCall.objects.get().user.email == "backup@exhale.demo"
    # Safety's own demo flags are concerns; other apps' demo data raises flags of their own.
    safety_flags = Flag.objects.filter(source=Flag.Source.CONCERN)
    statuses = sorted(safety_flags.values_list("status", flat=True))
    assert statuses == [Flag.Status.OPEN, Flag.Status.RESOLVED]
    open_flag = safety_flags.get(status=Flag.Status.OPEN)
    assert open_flag.handled_by.email == "clinician@exhale.demo"
    assert not SafetyPlan.objects.get(patient__email="alex@exhale.demo").is_empty
