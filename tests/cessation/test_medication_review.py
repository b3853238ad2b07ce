"""The medication review: tobacco smoke induces CYP1A2, so a patient on clozapine or olanzapine
(or a configured medication) who sets a quit date, reaches it, or cuts right down needs their
levels checked, and again if they start smoking, since levels then fall. Each change of smoking
state raises one high `medication_review` flag to the clinician (a signal on the open flag if
there is one).

The clock is set by each test: "today" is 15 July 2025 in London.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from cessation import services
from cessation.models import QuitPlan
from core import services as core_services
from core.models import Notification
from safety.models import Flag, FlagSignal, Severity
from safety.services import flag_acknowledge, flag_resolve
from tests.cessation.factories import Clock
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2025, 7, 15, 11, 0, tzinfo=UTC)
TODAY = date(2025, 7, 15)
PATIENT_NAME = "Philippa Quarrington"

DATE_SET, STOPPED, SMOKING_AGAIN = "date_set", "stopped", "smoking_again"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch, NOW)


@pytest.fixture
def patient(clock):
    return PatientFactory(full_name=PATIENT_NAME)


@pytest.fixture
def clinician(patient):
    return patient.patient_profile.clinician


def on_medication(patient, *names):
    for name in names:
        services.medication_add(patient=patient, by=patient.patient_profile.clinician, name=name)


def set_quit_date(patient, quit_date=TODAY, per_day="20"):
    return services.quit_plan_save(
        patient=patient,
        by=patient,
        quit_date=quit_date,
        product="cigarettes",
        per_day=Decimal(per_day),
        pack_price=Decimal("15.00"),
        pack_size=20,
    )


def check_in(patient, cigarettes, day=None):
    return services.checkin_submit(
        patient=patient,
        day=day or services.patient_today(patient),
        cigarettes=cigarettes,
        craving=4,
        mood=6,
        sleep="ok",
        harm_thoughts="no",
    )


def review_flags(patient):
    return list(
        Flag.objects.filter(patient=patient, category=Flag.Category.MEDICATION_REVIEW).order_by(
            "id"
        )
    )


def review_signals(patient):
    """Every medication-review signal for the patient, oldest first, as (summary, reason)."""
    signals = FlagSignal.objects.filter(
        flag__patient=patient, flag__category=Flag.Category.MEDICATION_REVIEW
    ).order_by("at", "id")
    return [(s.summary, json.loads(s.evidence)[0]["reason"]) for s in signals]


def state_of(patient):
    return QuitPlan.objects.get(patient=patient).medication_review_state


# --- Setting a quit date ---------------------------------------------------------------------


@pytest.mark.parametrize("name", ["clozapine", "Clozapine", "OLANZAPINE", "  Olanzapine "])
def test_setting_a_quit_date_on_clozapine_or_olanzapine_raises_one_high_flag(patient, name):
    on_medication(patient, name)
    assert review_flags(patient) == []  # no plan yet, nothing to review

    plan = set_quit_date(patient, quit_date=TODAY + timedelta(days=7))

    [flag] = review_flags(patient)
    assert (flag.severity, flag.source, flag.status) == (
        Severity.HIGH,
        Flag.Source.MEDICATION_REVIEW,
        Flag.Status.OPEN,
    )
    assert flag.summary == "Medication review: set a quit date of 22 July 2025"
    assert flag.source_ref == f"cessation.quitplan:{plan.pk}"
    assert flag.handled_by == patient.patient_profile.clinician
    [(_, reason)] = review_signals(patient)
    assert name.strip().lower() in reason
    assert "CYP1A2" in reason
    assert "Check levels at baseline and about a week after quitting" in reason
    assert state_of(patient) == DATE_SET


def test_both_medications_are_named_in_the_advice(patient):
    on_medication(patient, "Olanzapine", "Clozapine")

    set_quit_date(patient)

    [(_, reason)] = review_signals(patient)
    assert "On clozapine and olanzapine:" in reason


def test_the_clinician_is_told_in_the_app_and_the_email_names_nobody(
    patient, clinician, mailoutbox
):
    on_medication(patient, "Clozapine")

    set_quit_date(patient)

    notice = Notification.objects.get(recipient=clinician)
    assert notice.kind == "safety_flag"
    assert notice.urgent
    assert "high" in notice.title.lower()
    assert PATIENT_NAME in notice.body  # in the app, behind login and a second factor
    assert "Medication review" in notice.body
    status = core_services.notification_delivery_attempt(delivery_id=notice.deliveries.get().pk)
    assert status == "sent"
    [email] = mailoutbox
    assert email.to == [clinician.email]
    for text in (notice.title, email.subject, email.body):
        for part in (PATIENT_NAME, *PATIENT_NAME.split()):
            assert part.lower() not in text.lower()
        assert "clozapine" not in text.lower()  # no health detail by email either


# --- Reaching the quit date, or cutting right down -------------------------------------------


def test_reaching_the_quit_date_adds_to_the_open_flag(patient):
    on_medication(patient, "Clozapine")
    set_quit_date(patient, quit_date=TODAY)

    check_in(patient, 0)

    [flag] = review_flags(patient)
    assert flag.signal_count == 2
    assert [summary for summary, _ in review_signals(patient)] == [
        "Medication review: set a quit date of 15 July 2025",
        "Medication review: has reached their quit date",
    ]
    assert "about a week after quitting" in review_signals(patient)[-1][1]
    assert state_of(patient) == STOPPED


def test_reaching_a_later_quit_date_counts_on_that_day(patient, clock):
    on_medication(patient, "Olanzapine")
    set_quit_date(patient, quit_date=TODAY + timedelta(days=2))

    clock.advance(days=2)
    check_in(patient, 0)

    assert state_of(patient) == STOPPED
    assert review_signals(patient)[-1][0] == "Medication review: has reached their quit date"


def test_reaching_the_quit_date_after_the_first_flag_was_resolved_raises_a_new_one(
    patient, clinician
):
    on_medication(patient, "Clozapine")
    set_quit_date(patient)
    [first] = review_flags(patient)
    flag_resolve(flag=first, by=clinician, outcome=Flag.Outcome.CARE_PLAN_CHANGED)

    check_in(patient, 0)

    first_again, second = review_flags(patient)
    assert first_again.pk == first.pk
    assert first_again.status == Flag.Status.RESOLVED
    assert first_again.signal_count == 1
    assert second.status == Flag.Status.OPEN
    assert second.severity == Severity.HIGH
    assert second.summary == "Medication review: has reached their quit date"
    assert Notification.objects.filter(recipient=clinician, kind="safety_flag").count() == 2


def test_reaching_the_quit_date_on_an_acknowledged_flag_tells_the_clinician_again(
    patient, clinician
):
    on_medication(patient, "Clozapine")
    set_quit_date(patient)
    [flag] = review_flags(patient)
    flag_acknowledge(flag=flag, by=clinician)

    check_in(patient, 0)

    [flag] = review_flags(patient)
    assert flag.signal_count == 2
    assert Notification.objects.filter(recipient=clinician, kind="safety_flag").count() == 2


@pytest.mark.parametrize(
    ("per_day", "cigarettes", "stopped"),
    [
        ("20", 10, True),  # half of the usual is "far less"
        ("20", 3, True),
        ("20", 0, True),
        ("20", 11, False),
        ("20", 25, False),
        ("9", 4, True),
        ("9", 5, False),
    ],
)
def test_smoking_far_less_before_the_quit_date_counts_as_stopping(
    patient, per_day, cigarettes, stopped
):
    on_medication(patient, "Clozapine")
    set_quit_date(patient, quit_date=TODAY + timedelta(days=10), per_day=per_day)

    check_in(patient, cigarettes)

    if stopped:
        assert state_of(patient) == STOPPED
        summary, reason = review_signals(patient)[-1]
        assert summary.startswith(f"Medication review: is smoking far less ({cigarettes} a day")
        assert "levels can rise" in reason
    else:
        assert state_of(patient) == DATE_SET
        assert len(review_signals(patient)) == 1


def test_smoking_before_the_quit_date_is_not_reaching_it(patient, clock):
    on_medication(patient, "Clozapine")
    set_quit_date(patient, quit_date=TODAY + timedelta(days=1))

    check_in(patient, 18)

    assert state_of(patient) == DATE_SET
    assert len(review_signals(patient)) == 1


# --- Smoking again, and stopping again -------------------------------------------------------


def stopped_patient(patient, clock, per_day="20"):
    """A patient on clozapine who set today as their quit date and did not smoke."""
    on_medication(patient, "Clozapine")
    set_quit_date(patient, quit_date=TODAY, per_day=per_day)
    check_in(patient, 0)
    assert state_of(patient) == STOPPED
    clock.advance(days=1)
    return patient


@pytest.mark.parametrize(
    ("per_day", "cigarettes", "smoking_again"),
    [
        ("20", 10, True),  # half the usual
        ("20", 30, True),
        ("20", 9, False),
        ("6", 5, True),  # at least 5, even when that is more than half the usual
        ("6", 4, False),
        ("4", 5, True),
        ("4", 4, False),
    ],
)
def test_smoking_again_after_the_quit_date_raises_a_flag_that_levels_fall(
    patient, clock, per_day, cigarettes, smoking_again
):
    stopped_patient(patient, clock, per_day=per_day)

    check_in(patient, cigarettes)

    if smoking_again:
        assert state_of(patient) == SMOKING_AGAIN
        summary, reason = review_signals(patient)[-1]
        assert summary == f"Medication review: smoking again ({cigarettes} a day)"
        assert "smoking lowers their levels again" in reason
        assert "symptoms may return" in reason
        assert len(review_signals(patient)) == 3
    else:
        assert state_of(patient) == STOPPED
        assert len(review_signals(patient)) == 2


def test_stopping_again_raises_a_flag_again(patient, clock):
    stopped_patient(patient, clock)
    check_in(patient, 15)
    clock.advance(days=1)

    check_in(patient, 0)

    assert state_of(patient) == STOPPED
    assert [summary for summary, _ in review_signals(patient)] == [
        "Medication review: set a quit date of 15 July 2025",
        "Medication review: has reached their quit date",
        "Medication review: smoking again (15 a day)",
        "Medication review: has stopped smoking again",
    ]
    assert "levels can rise" in review_signals(patient)[-1][1]


def test_a_back_filled_day_of_smoking_after_the_quit_date_counts(patient, clock):
    stopped_patient(patient, clock)
    clock.advance(days=2)

    check_in(patient, 20, day=TODAY + timedelta(days=1))

    assert state_of(patient) == SMOKING_AGAIN


def test_a_new_quit_date_after_stopping_is_flagged_as_a_new_date(patient, clock):
    stopped_patient(patient, clock)

    set_quit_date(patient, quit_date=TODAY + timedelta(days=8))

    assert state_of(patient) == DATE_SET
    assert review_signals(patient)[-1][0] == "Medication review: set a quit date of 23 July 2025"


# --- Each change once ----------------------------------------------------------------------


def test_each_state_change_is_flagged_once(patient, clock):
    on_medication(patient, "Clozapine")
    set_quit_date(patient, quit_date=TODAY)

    check_in(patient, 0)
    check_in(patient, 0)  # the same day again
    clock.advance(days=1)
    check_in(patient, 0)
    check_in(patient, 1, day=TODAY)  # a slip, not smoking again
    assert len(review_signals(patient)) == 2

    clock.advance(days=1)
    check_in(patient, 12)
    clock.advance(days=1)
    check_in(patient, 14)

    assert [summary for summary, _ in review_signals(patient)] == [
        "Medication review: set a quit date of 15 July 2025",
        "Medication review: has reached their quit date",
        "Medication review: smoking again (12 a day)",
    ]
    [flag] = review_flags(patient)
    assert flag.signal_count == 3


@pytest.mark.parametrize("moved_by", [-5, 14])
def test_moving_a_pending_quit_date_tells_the_clinician_the_new_date(patient, moved_by):
    on_medication(patient, "Clozapine")
    set_quit_date(patient, quit_date=TODAY + timedelta(days=7))

    new_date = TODAY + timedelta(days=7 + moved_by)
    set_quit_date(patient, quit_date=new_date)

    [flag] = review_flags(patient)
    assert flag.signal_count == 2
    assert review_signals(patient)[-1][0] == (
        f"Medication review: set a quit date of {new_date:%-d %B %Y}"
    )
    assert state_of(patient) == DATE_SET


def test_saving_the_plan_again_without_a_new_date_raises_nothing(patient):
    on_medication(patient, "Clozapine")
    set_quit_date(patient)

    set_quit_date(patient, per_day="25")

    assert len(review_signals(patient)) == 1


# --- Who is reviewed ---------------------------------------------------------------------------


@pytest.mark.parametrize("medications", [(), ("Sertraline",), ("Sertraline", "Lithium")])
def test_no_review_for_a_patient_on_no_review_medication(patient, clock, medications):
    on_medication(patient, *medications)

    set_quit_date(patient)
    check_in(patient, 0)
    clock.advance(days=1)
    check_in(patient, 20)
    clock.advance(days=1)
    check_in(patient, 0)

    assert review_flags(patient) == []
    assert state_of(patient) == "none"


def test_a_stopped_review_medication_raises_nothing(patient, clock):
    on_medication(patient, "Clozapine")
    medication = patient.medications.get()
    services.medication_stop(medication=medication, by=patient.patient_profile.clinician)

    set_quit_date(patient)
    check_in(patient, 0)

    assert review_flags(patient) == []


def test_a_review_medication_added_after_the_quit_date_is_set_is_flagged_at_once(patient):
    on_medication(patient, "Sertraline")
    set_quit_date(patient, quit_date=TODAY + timedelta(days=7))
    assert review_flags(patient) == []

    on_medication(patient, "Olanzapine")

    [flag] = review_flags(patient)
    assert flag.summary == "Medication review: set a quit date of 22 July 2025"
    assert flag.severity == Severity.HIGH
    assert state_of(patient) == DATE_SET


@pytest.mark.parametrize("reach_quit_date", [False, True])
def test_a_second_review_medication_while_stopping_is_flagged_too(patient, reach_quit_date):
    on_medication(patient, "Olanzapine")
    set_quit_date(patient)
    if reach_quit_date:
        check_in(patient, 0)
    before = len(review_signals(patient))

    on_medication(patient, "Clozapine")

    summary, reason = review_signals(patient)[-1]
    assert len(review_signals(patient)) == before + 1
    assert summary == "Medication review: Clozapine recorded while they are stopping smoking"
    assert "clozapine and olanzapine" in reason
    assert state_of(patient) == (STOPPED if reach_quit_date else DATE_SET)


def test_the_review_list_is_a_setting(patient, settings):
    settings.CESSATION_REVIEW_MEDICATIONS = ["clozapine", "olanzapine", "Duloxetine"]
    on_medication(patient, "duloxetine")

    set_quit_date(patient)

    [flag] = review_flags(patient)
    assert flag.category == Flag.Category.MEDICATION_REVIEW
    [(_, reason)] = review_signals(patient)
    assert "On duloxetine:" in reason


def test_a_medication_off_the_list_is_not_reviewed_without_the_setting(patient):
    on_medication(patient, "Duloxetine")

    set_quit_date(patient)

    assert review_flags(patient) == []


def test_review_medications_lists_only_current_ones_on_the_list(patient):
    on_medication(patient, "Clozapine", "Sertraline", "Olanzapine")
    services.medication_stop(medication=patient.medications.get(name="Olanzapine"), by=patient)

    assert [m.name for m in services.review_medications(patient)] == ["Clozapine"]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("clozapine", True),
        ("Clozaril 100mg", True),
        ("Zaponex", True),
        ("olanzapine 10 mg", True),
        ("Zyprexa", True),
        ("sertraline", False),
        ("clozapine-free", True),  # written oddly, still names the medicine: err on the safe side
        ("", False),
    ],
)
def test_review_medications_are_recognised_by_generic_or_brand_name_with_a_dose(name, expected):
    from cessation.models import needs_review_on_quitting

    assert needs_review_on_quitting(name) is expected
