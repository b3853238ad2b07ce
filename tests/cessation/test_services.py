"""Writes of quit tracking (cessation/services.py): the quit plan and its history, daily check-ins
and the safety signals in them, the patient's own "today", CO readings, cravings, medications
and approval of the health timeline.

The clock is set by each test (tests.cessation.factories.Clock): "today" is 15 July 2025 in
London unless a test says otherwise.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.models import Role
from cessation import services
from cessation.models import (
    CheckIn,
    COReading,
    Craving,
    HealthBenefit,
    Medication,
    QuitDateChange,
    QuitPlan,
)
from core.models import AuditEvent, Notification
from safety.models import Flag, FlagSignal, Severity
from tests.cessation.factories import Clock, MedicationFactory, QuitPlanFactory
from tests.factories import AdminFactory, ClinicianFactory, PatientFactory, PeerFactory, UserFactory
from tests.safety.factories import raw_column

pytestmark = pytest.mark.django_db

NOW = datetime(2025, 7, 15, 11, 0, tzinfo=UTC)  # noon in London (BST)
TODAY = date(2025, 7, 15)
CANARY = "CANARY-my-daughter-Rosalind-wedding"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch, NOW)


@pytest.fixture
def patient(clock):
    return PatientFactory(profile__backup_clinician=ClinicianFactory())


def save_plan(patient, *, by=None, **changes):
    fields = {
        "quit_date": TODAY,
        "product": "cigarettes",
        "per_day": Decimal("20"),
        "pack_price": Decimal("15.00"),
        "pack_size": 20,
    }
    fields.update(changes)
    return services.quit_plan_save(patient=patient, by=by or patient, **fields)


def check_in(patient, day=TODAY, **answers):
    fields = {
        "cigarettes": 0,
        "craving": 3,
        "mood": 6,
        "sleep": "ok",
        "harm_thoughts": "no",
        "supports_used": [],
        "note": "",
    }
    fields.update(answers)
    return services.checkin_submit(patient=patient, day=day, **fields)


def error_fields(excinfo) -> set[str]:
    return set(excinfo.value.message_dict)


# --- Quit plan ---------------------------------------------------------------------------------


def test_saving_a_plan_creates_it_with_its_first_quit_date(patient):
    plan = save_plan(
        patient,
        quit_date=TODAY + timedelta(days=7),
        time_to_first="30",
        supports=[{"kind": "patch", "dose": "21 mg"}, {"kind": "", "dose": ""}],
        triggers=["coffee", "stress"],
        reasons="  For my health  ",
    )

    plan = QuitPlan.objects.get(patient=patient)
    assert plan.quit_date == TODAY + timedelta(days=7)
    assert (plan.product, plan.per_day, plan.pack_price, plan.pack_size) == (
        "cigarettes",
        Decimal("20"),
        Decimal("15.00"),
        20,
    )
    assert plan.supports == [{"kind": "patch", "dose": "21 mg"}]  # empty rows dropped
    assert plan.triggers == ["coffee", "stress"]
    assert plan.reasons == "For my health"
    [change] = QuitDateChange.objects.filter(plan=plan)
    assert (change.old_date, change.new_date, change.changed_by) == (
        None,
        TODAY + timedelta(days=7),
        patient,
    )
    assert AuditEvent.objects.filter(action="quit_plan.saved", subject_id=patient.pk).exists()


def test_saving_again_with_the_same_date_updates_without_adding_history(patient):
    save_plan(patient)

    save_plan(patient, per_day=Decimal("15"), pack_price=Decimal("16.20"))

    plan = QuitPlan.objects.get(patient=patient)
    assert (plan.per_day, plan.pack_price) == (Decimal("15"), Decimal("16.20"))
    assert QuitDateChange.objects.filter(plan=plan).count() == 1
    assert QuitPlan.objects.count() == 1


def test_a_changed_quit_date_keeps_the_history(patient):
    save_plan(patient)
    save_plan(patient, quit_date=TODAY + timedelta(days=7))
    save_plan(patient, quit_date=TODAY + timedelta(days=3))

    history = list(
        QuitDateChange.objects.filter(plan__patient=patient).values_list("old_date", "new_date")
    )
    assert history == [
        (None, TODAY),
        (TODAY, TODAY + timedelta(days=7)),
        (TODAY + timedelta(days=7), TODAY + timedelta(days=3)),
    ]
    assert QuitPlan.objects.get(patient=patient).quit_date == TODAY + timedelta(days=3)


def test_a_plan_whose_quit_date_has_passed_can_still_be_edited(patient):
    QuitPlanFactory(patient=patient, quit_date=TODAY - timedelta(days=30))

    save_plan(patient, quit_date=TODAY - timedelta(days=30), pack_price=Decimal("17.00"))

    plan = QuitPlan.objects.get(patient=patient)
    assert plan.pack_price == Decimal("17.00")
    assert plan.quit_date == TODAY - timedelta(days=30)
    assert not QuitDateChange.objects.exists()


@pytest.mark.parametrize("offset", [0, 1, 41, 42])
def test_a_new_quit_date_may_be_today_or_within_six_weeks(patient, offset):
    plan = save_plan(patient, quit_date=TODAY + timedelta(days=offset))

    assert plan.quit_date == TODAY + timedelta(days=offset)


@pytest.mark.parametrize("offset", [-1, -30, -365 * 3, 43, 400])
def test_a_new_quit_date_in_the_past_or_too_far_ahead_is_refused(patient, offset):
    with pytest.raises(ValidationError) as excinfo:
        save_plan(patient, quit_date=TODAY + timedelta(days=offset))

    assert error_fields(excinfo) == {"quit_date"}
    assert "6 weeks" in excinfo.value.message_dict["quit_date"][0]
    assert not QuitPlan.objects.exists()
    assert not QuitDateChange.objects.exists()


@pytest.mark.parametrize("offset", [-1, 43])
def test_changing_to_a_date_out_of_range_keeps_the_old_plan(patient, offset):
    save_plan(patient, quit_date=TODAY + timedelta(days=5))

    with pytest.raises(ValidationError) as excinfo:
        save_plan(patient, quit_date=TODAY + timedelta(days=offset), pack_price=Decimal("1"))

    assert error_fields(excinfo) == {"quit_date"}
    plan = QuitPlan.objects.get(patient=patient)
    assert (plan.quit_date, plan.pack_price) == (TODAY + timedelta(days=5), Decimal("15.00"))
    assert QuitDateChange.objects.count() == 1


def test_a_quit_date_is_required(patient):
    with pytest.raises(ValidationError) as excinfo:
        save_plan(patient, quit_date=None)

    assert error_fields(excinfo) == {"quit_date"}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("per_day", Decimal("0")),
        ("per_day", Decimal("-5")),
        ("per_day", Decimal("120.1")),
        ("per_day", Decimal("121")),
        ("per_day", Decimal("3000")),
        ("per_day", None),
        ("pack_size", 0),
        ("pack_size", -20),
        ("pack_size", 501),
        ("pack_size", None),
        ("pack_price", Decimal("-0.01")),
        ("pack_price", Decimal("-15")),
        ("pack_price", Decimal("500.01")),
        ("pack_price", None),
        ("product", "cigars"),
        ("time_to_first", "10"),
        ("supports", [{"kind": "hypnosis"}]),
        ("triggers", ["full moon"]),
        ("reasons", "x" * 2001),
    ],
)
def test_absurd_or_invalid_answers_are_refused_next_to_their_field(patient, field, value):
    with pytest.raises(ValidationError) as excinfo:
        save_plan(patient, **{field: value})

    assert error_fields(excinfo) == {field}
    assert not QuitPlan.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("per_day", Decimal("0.5")),
        ("per_day", Decimal("120")),
        ("pack_size", 1),
        ("pack_size", 500),
        ("pack_price", Decimal("0")),
        ("pack_price", Decimal("500")),
        ("product", "grams"),
        ("product", "rollups"),
    ],
)
def test_the_edges_of_each_range_are_accepted(patient, field, value):
    plan = save_plan(patient, **{field: value})

    assert getattr(QuitPlan.objects.get(pk=plan.pk), field) == value


def test_reasons_and_other_triggers_are_encrypted_at_rest(patient):
    save_plan(patient, reasons=f"I want to see {CANARY}", triggers_other=f"When {CANARY} calls")

    for column in ("reasons", "triggers_other"):
        stored = raw_column("cessation_quitplan", column, "patient_id", patient.pk)
        assert stored
        assert "CANARY" not in stored
        assert "Rosalind" not in stored
    plan = QuitPlan.objects.get(patient=patient)
    assert plan.reasons == f"I want to see {CANARY}"
    assert plan.triggers_other == f"When {CANARY} calls"


@pytest.mark.parametrize(
    "make_user",
    [
        pytest.param(lambda patient: PatientFactory(), id="another patient"),
        pytest.param(lambda patient: ClinicianFactory(), id="clinician outside the caseload"),
        pytest.param(lambda patient: PeerFactory(), id="peer specialist"),
        pytest.param(lambda patient: AdminFactory(), id="admin"),
    ],
)
def test_only_the_patient_and_their_clinicians_may_save_the_plan(patient, make_user):
    with pytest.raises(PermissionDenied):
        save_plan(patient, by=make_user(patient))

    assert not QuitPlan.objects.exists()


@pytest.mark.parametrize("who", ["clinician", "backup_clinician"])
def test_the_named_or_backup_clinician_may_save_the_plan(patient, who):
    clinician = getattr(patient.patient_profile, who)

    plan = save_plan(patient, by=clinician)

    assert plan.patient == patient
    assert QuitDateChange.objects.get(plan=plan).changed_by == clinician


def test_a_peer_named_for_the_patient_still_may_not_save_the_plan(patient):
    peer = PeerFactory()
    patient.patient_profile.peer_specialist = peer
    patient.patient_profile.save()

    with pytest.raises(PermissionDenied):
        save_plan(patient, by=peer)


# --- Check-ins: one a day, today and the last three days ---------------------------------------


def test_one_check_in_a_day_a_second_one_edits_it(patient):
    first = check_in(patient, cigarettes=0, craving=4, note="fine")
    second = check_in(patient, cigarettes=2, craving=8, note="")

    assert first.created is True
    assert second.created is False
    assert second.checkin.pk == first.checkin.pk
    [row] = CheckIn.objects.filter(patient=patient)
    assert (row.day, row.cigarettes, row.craving, row.note) == (TODAY, 2, 8, "")
    assert AuditEvent.objects.filter(action="checkin.created").count() == 1
    assert AuditEvent.objects.filter(action="checkin.updated").count() == 1


def test_check_ins_of_two_patients_on_one_day_are_separate(patient):
    other = PatientFactory()

    check_in(patient)
    check_in(other)

    assert CheckIn.objects.filter(day=TODAY).count() == 2


def test_the_allowed_days_are_today_and_the_last_three_newest_first(patient):
    assert services.checkin_allowed_days(patient) == [
        TODAY,
        TODAY - timedelta(days=1),
        TODAY - timedelta(days=2),
        TODAY - timedelta(days=3),
    ]


@pytest.mark.parametrize("days_back", [0, 1, 2, 3])
def test_today_and_the_last_three_days_may_be_filled_in(patient, days_back):
    result = check_in(patient, day=TODAY - timedelta(days=days_back))

    assert result.created
    assert result.checkin.day == TODAY - timedelta(days=days_back)


@pytest.mark.parametrize(
    ("day", "says"),
    [
        (TODAY - timedelta(days=4), "today or the last 3 days"),
        (TODAY - timedelta(days=40), "today or the last 3 days"),
        (TODAY + timedelta(days=1), "has not happened yet"),
        (TODAY + timedelta(days=30), "has not happened yet"),
    ],
)
def test_older_or_future_days_are_refused_on_the_day_field(patient, day, says):
    with pytest.raises(ValidationError) as excinfo:
        check_in(patient, day=day)

    assert error_fields(excinfo) == {"day"}
    assert says in excinfo.value.message_dict["day"][0]
    assert not CheckIn.objects.exists()


def test_the_back_fill_allowance_is_a_setting(patient, settings):
    settings.CESSATION_BACKFILL_DAYS = 1

    check_in(patient, day=TODAY - timedelta(days=1))
    with pytest.raises(ValidationError):
        check_in(patient, day=TODAY - timedelta(days=2))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("cigarettes", -1),
        ("cigarettes", 201),
        ("cigarettes", 3000),
        ("cigarettes", None),
        ("craving", -1),
        ("craving", 11),
        ("craving", None),
        ("mood", -1),
        ("mood", 11),
        ("mood", None),
        ("sleep", "badly"),
        ("sleep", ""),
        ("harm_thoughts", ""),
        ("harm_thoughts", "maybe"),
        ("supports_used", ["hypnosis"]),
        ("note", "x" * 2001),
    ],
)
def test_answers_out_of_range_are_refused_next_to_their_field(patient, field, value):
    with pytest.raises(ValidationError) as excinfo:
        check_in(patient, **{field: value})

    assert error_fields(excinfo) == {field}
    assert not CheckIn.objects.exists()
    assert not Flag.objects.exists()


def test_the_top_of_each_scale_is_accepted(patient):
    result = check_in(patient, cigarettes=200, craving=10, mood=10, supports_used=["patch"])

    assert (result.checkin.cigarettes, result.checkin.craving, result.checkin.mood) == (
        200,
        10,
        10,
    )
    assert result.checkin.supports_used == ["patch"]


@pytest.mark.parametrize("make_user", [ClinicianFactory, PeerFactory, AdminFactory])
def test_only_patients_check_in(clock, make_user):
    with pytest.raises(PermissionDenied):
        check_in(make_user())

    assert not CheckIn.objects.exists()


# --- Check-ins: the safety answers ----------------------------------------------------------


def test_yes_to_thoughts_of_self_harm_raises_a_high_crisis_flag_and_shows_crisis_support(patient):
    result = check_in(patient, harm_thoughts="yes")

    assert result.crisis is True
    flag = Flag.objects.get(patient=patient)
    assert result.flags == (flag,)
    assert (flag.category, flag.severity, flag.source) == (
        Flag.Category.CRISIS,
        Severity.HIGH,
        Flag.Source.CHECKIN,
    )
    assert flag.status == Flag.Status.OPEN
    assert flag.handled_by == patient.patient_profile.clinician
    # Written with the check-in it came from.
    assert flag.source_ref == f"cessation.checkin:{result.checkin.pk}"
    assert CheckIn.objects.filter(pk=result.checkin.pk).exists()


@pytest.mark.parametrize("answer", ["no", "not_say"])
def test_no_or_rather_not_say_raises_nothing(patient, answer):
    result = check_in(patient, harm_thoughts=answer)

    assert result.crisis is False
    assert result.flags == ()
    assert not Flag.objects.exists()


@pytest.mark.parametrize(
    "note",
    ["I want to end my life", "Honestly I want to end my life, I can't do this any more"],
)
def test_crisis_words_in_the_note_raise_a_crisis_flag(patient, note):
    result = check_in(patient, note=note)

    assert result.crisis is True
    flag = Flag.objects.get(patient=patient)
    assert result.flags == (flag,)
    assert (flag.category, flag.source) == (Flag.Category.CRISIS, Flag.Source.CHECKIN)
    assert flag.severity in (Severity.HIGH, Severity.CRITICAL)
    assert "end my life" not in flag.summary  # the summary never quotes the patient
    assert FlagSignal.objects.get(flag=flag).evidence != "[]"


@pytest.mark.parametrize(
    "note",
    [
        "dying for a fag after that meeting",
        "Absolutely dying for a cigarette after dinner",
        "Good day, went for a walk",
    ],
)
def test_idioms_and_ordinary_notes_raise_nothing(patient, note):
    result = check_in(patient, note=note)

    assert result.crisis is False
    assert not Flag.objects.exists()


@pytest.mark.parametrize(("mood", "flagged"), [(0, True), (1, True), (2, True), (3, False)])
def test_a_mood_of_two_or_less_raises_a_medium_low_mood_flag(patient, mood, flagged):
    result = check_in(patient, mood=mood)

    assert result.crisis is False  # low mood is for the clinician, not the crisis page
    flags = list(Flag.objects.filter(patient=patient))
    if flagged:
        [flag] = flags
        assert (flag.category, flag.severity, flag.source) == (
            Flag.Category.LOW_MOOD,
            Severity.MEDIUM,
            Flag.Source.CHECKIN,
        )
        assert f"Mood of {mood} out of 10" in flag.summary
        assert result.flags == (flag,)
    else:
        assert flags == []


def test_yes_and_low_mood_together_raise_both_flags(patient):
    result = check_in(patient, harm_thoughts="yes", mood=1)

    assert result.crisis is True
    assert sorted(f.category for f in result.flags) == ["crisis", "low_mood"]


def test_a_repeat_yes_the_next_day_adds_to_the_open_flag(patient, clock):
    first = check_in(patient, harm_thoughts="yes")
    clock.advance(days=1)
    second = check_in(patient, day=TODAY + timedelta(days=1), harm_thoughts="yes")

    flag = Flag.objects.get(patient=patient, category=Flag.Category.CRISIS)
    assert Flag.objects.filter(patient=patient).count() == 1
    assert second.flags == (flag,)
    assert second.crisis is True
    assert flag.signal_count == 2
    assert list(flag.signals.values_list("source_ref", flat=True)) == [
        f"cessation.checkin:{first.checkin.pk}",
        f"cessation.checkin:{second.checkin.pk}",
    ]


def test_the_clinician_is_told_in_the_app(patient):
    check_in(patient, harm_thoughts="yes")

    notice = Notification.objects.get(recipient=patient.patient_profile.clinician)
    assert notice.urgent
    assert patient.full_name not in notice.title
    assert patient.full_name in notice.body


def test_the_note_is_encrypted_at_rest(patient):
    result = check_in(patient, note=f"Went to {CANARY}")

    stored = raw_column("cessation_checkin", "note", "id", result.checkin.pk)
    assert stored
    assert "CANARY" not in stored
    assert CheckIn.objects.get(pk=result.checkin.pk).note == f"Went to {CANARY}"


def test_an_error_after_the_flags_rolls_back_the_check_in_and_its_flags(patient, monkeypatch):
    def fail(**kwargs):
        raise RuntimeError("the audit log is down")

    monkeypatch.setattr("cessation.services.quitting.audit_record", fail)

    with pytest.raises(RuntimeError):
        check_in(patient, harm_thoughts="yes", mood=1, note="I want to end my life")

    assert not CheckIn.objects.exists()
    assert not Flag.objects.exists()
    assert not FlagSignal.objects.exists()
    assert not Notification.objects.exists()


# --- The patient's own "today" --------------------------------------------------------------


def test_just_after_midnight_in_london_the_new_day_has_begun(patient, clock):
    clock.set(datetime(2025, 7, 14, 23, 30, tzinfo=UTC))  # 00:30 on 15 July, BST

    assert services.patient_today(patient) == date(2025, 7, 15)
    assert services.checkin_allowed_days(patient) == [
        date(2025, 7, 15),
        date(2025, 7, 14),
        date(2025, 7, 13),
        date(2025, 7, 12),
    ]
    check_in(patient, day=date(2025, 7, 15))
    check_in(patient, day=date(2025, 7, 12))
    with pytest.raises(ValidationError) as excinfo:
        check_in(patient, day=date(2025, 7, 11))
    assert error_fields(excinfo) == {"day"}


@pytest.mark.parametrize(
    ("utc", "local_date"),
    [
        # Clocks go forward at 01:00 UTC on the last Sunday of March (30 March 2025).
        (datetime(2025, 3, 29, 23, 59), date(2025, 3, 29)),
        (datetime(2025, 3, 30, 0, 0), date(2025, 3, 30)),
        (datetime(2025, 3, 30, 0, 59), date(2025, 3, 30)),
        (datetime(2025, 3, 30, 1, 0), date(2025, 3, 30)),
        (datetime(2025, 3, 30, 22, 59), date(2025, 3, 30)),
        (datetime(2025, 3, 30, 23, 0), date(2025, 3, 31)),  # midnight BST
        # Clocks go back at 01:00 UTC on the last Sunday of October (26 October 2025).
        (datetime(2025, 10, 25, 22, 59), date(2025, 10, 25)),
        (datetime(2025, 10, 25, 23, 0), date(2025, 10, 26)),  # midnight BST
        (datetime(2025, 10, 26, 0, 30), date(2025, 10, 26)),  # 01:30 BST
        (datetime(2025, 10, 26, 1, 30), date(2025, 10, 26)),  # 01:30 GMT, again
        (datetime(2025, 10, 26, 23, 59), date(2025, 10, 26)),
        (datetime(2025, 10, 27, 0, 0), date(2025, 10, 27)),
    ],
)
def test_today_is_right_around_the_clock_changes(patient, clock, utc, local_date):
    now = utc.replace(tzinfo=UTC)

    assert services.patient_today(patient, now=now) == local_date

    clock.set(now)
    assert services.patient_today(patient) == local_date
    check_in(patient, day=local_date)
    with pytest.raises(ValidationError):
        check_in(patient, day=local_date + timedelta(days=1))


def test_a_patient_in_another_time_zone_has_their_own_today(clock):
    clock.set(datetime(2025, 7, 15, 2, 0, tzinfo=UTC))  # 22:00 on 14 July in New York
    new_yorker = PatientFactory(profile__time_zone="America/New_York")
    londoner = PatientFactory()

    assert services.patient_today(new_yorker) == date(2025, 7, 14)
    assert services.patient_today(londoner) == date(2025, 7, 15)
    check_in(new_yorker, day=date(2025, 7, 14))
    check_in(londoner, day=date(2025, 7, 15))
    with pytest.raises(ValidationError) as excinfo:
        check_in(new_yorker, day=date(2025, 7, 15))
    assert "has not happened yet" in excinfo.value.message_dict["day"][0]


def test_a_patient_without_a_profile_lives_in_the_service_time_zone(clock):
    clock.set(datetime(2025, 7, 14, 23, 30, tzinfo=UTC))
    patient = UserFactory(role=Role.PATIENT)

    assert services.patient_today(patient) == date(2025, 7, 15)


def test_quit_date_limits_follow_the_patients_today(clock):
    clock.set(datetime(2025, 7, 15, 2, 0, tzinfo=UTC))  # still 14 July in New York
    new_yorker = PatientFactory(profile__time_zone="America/New_York")

    save_plan(new_yorker, quit_date=date(2025, 7, 14))  # their today
    with pytest.raises(ValidationError):
        save_plan(new_yorker, quit_date=date(2025, 7, 13))


# --- CO readings -------------------------------------------------------------------------------


def test_a_reading_by_the_clinician_is_not_self_reported(patient):
    clinician = patient.patient_profile.clinician

    reading = services.co_reading_record(
        patient=patient, by=clinician, taken_on=TODAY - timedelta(days=1), ppm=4
    )

    reading = COReading.objects.get(pk=reading.pk)
    assert (reading.patient, reading.ppm, reading.taken_on) == (
        patient,
        4,
        TODAY - timedelta(days=1),
    )
    assert reading.self_reported is False
    assert reading.recorded_by == clinician


def test_a_reading_by_the_backup_clinician_is_allowed(patient):
    backup = patient.patient_profile.backup_clinician

    reading = services.co_reading_record(patient=patient, by=backup, taken_on=TODAY, ppm=4)

    assert reading.self_reported is False


def test_a_reading_by_the_patient_is_marked_self_reported(patient):
    reading = services.co_reading_record(patient=patient, by=patient, taken_on=TODAY, ppm=12)

    assert reading.self_reported is True
    assert reading.recorded_by == patient


@pytest.mark.parametrize("offset", [0, -1, -365, -366])
def test_readings_up_to_a_year_back_are_accepted(patient, offset):
    services.co_reading_record(
        patient=patient, by=patient, taken_on=TODAY + timedelta(days=offset), ppm=5
    )

    assert COReading.objects.count() == 1


@pytest.mark.parametrize(
    ("taken_on", "ppm", "field"),
    [
        (TODAY + timedelta(days=1), 5, "taken_on"),
        (TODAY + timedelta(days=300), 5, "taken_on"),
        (TODAY - timedelta(days=367), 5, "taken_on"),
        (TODAY - timedelta(days=365 * 5), 5, "taken_on"),
        (TODAY, 101, "ppm"),
        (TODAY, 3000, "ppm"),
        (TODAY, -1, "ppm"),
        (TODAY, None, "ppm"),
    ],
)
def test_a_reading_in_the_future_too_old_or_absurd_is_refused(patient, taken_on, ppm, field):
    with pytest.raises(ValidationError) as excinfo:
        services.co_reading_record(patient=patient, by=patient, taken_on=taken_on, ppm=ppm)

    assert error_fields(excinfo) == {field}
    assert not COReading.objects.exists()


@pytest.mark.parametrize("ppm", [0, 100])
def test_the_ends_of_the_ppm_scale_are_accepted(patient, ppm):
    assert services.co_reading_record(patient=patient, by=patient, taken_on=TODAY, ppm=ppm)


@pytest.mark.parametrize(
    "make_user",
    [
        pytest.param(ClinicianFactory, id="clinician outside the caseload"),
        pytest.param(PatientFactory, id="another patient"),
        pytest.param(PeerFactory, id="peer specialist"),
        pytest.param(AdminFactory, id="admin"),
    ],
)
def test_only_the_patient_and_their_clinicians_record_readings(patient, make_user):
    with pytest.raises(PermissionDenied):
        services.co_reading_record(patient=patient, by=make_user(), taken_on=TODAY, ppm=4)

    assert not COReading.objects.exists()


# --- Cravings ----------------------------------------------------------------------------------


def test_a_craving_is_logged_now_with_its_context(patient):
    craving = services.craving_log(
        patient=patient,
        intensity=8,
        where="home",
        with_whom="smokers",
        doing="stressed",
        mood=3,
        smoked=True,
    )

    craving = Craving.objects.get(pk=craving.pk)
    assert (craving.intensity, craving.where, craving.with_whom, craving.doing) == (
        8,
        "home",
        "smokers",
        "stressed",
    )
    assert (craving.mood, craving.smoked) == (3, True)
    # Stamped by the model's default (the real clock), as it happens.
    assert abs(craving.at - datetime.now(UTC)) < timedelta(minutes=5)


def test_a_craving_needs_only_its_strength(patient):
    craving = services.craving_log(patient=patient, intensity=0)

    assert (craving.where, craving.mood, craving.smoked) == ("", None, False)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("intensity", -1),
        ("intensity", 11),
        ("intensity", None),
        ("mood", -1),
        ("mood", 11),
        ("where", "moon"),
        ("with_whom", "cat"),
        ("doing", "juggling"),
    ],
)
def test_a_craving_out_of_range_is_refused(patient, field, value):
    answers = {"intensity": 5, field: value}

    with pytest.raises(ValidationError) as excinfo:
        services.craving_log(patient=patient, **answers)

    assert error_fields(excinfo) == {field}
    assert not Craving.objects.exists()


def test_only_patients_log_cravings(clock):
    with pytest.raises(PermissionDenied):
        services.craving_log(patient=ClinicianFactory(), intensity=5)


# --- Medications -------------------------------------------------------------------------------


def test_a_medication_is_recorded_by_whoever_adds_it(patient):
    clinician = patient.patient_profile.clinician

    mine = services.medication_add(patient=patient, by=patient, name=" Sertraline ", dose="50 mg")
    theirs = services.medication_add(patient=patient, by=clinician, name="Lithium")

    assert (mine.name, mine.dose, mine.recorded_by) == ("Sertraline", "50 mg", patient)
    assert theirs.recorded_by == clinician
    assert mine.stopped_on is None


@pytest.mark.parametrize("again", ["Sertraline", "sertraline", " SERTRALINE "])
def test_a_current_medication_cannot_be_added_twice_whatever_the_case(patient, again):
    services.medication_add(patient=patient, by=patient, name="Sertraline")

    with pytest.raises(ValidationError) as excinfo:
        services.medication_add(patient=patient, by=patient, name=again)

    assert error_fields(excinfo) == {"name"}
    assert Medication.objects.filter(patient=patient).count() == 1


def test_the_same_medication_for_two_patients_is_fine(patient):
    services.medication_add(patient=patient, by=patient, name="Sertraline")
    other = PatientFactory()

    services.medication_add(patient=other, by=other, name="Sertraline")

    assert Medication.objects.count() == 2


@pytest.mark.parametrize("name", ["", "   "])
def test_a_medication_needs_a_name(patient, name):
    with pytest.raises(ValidationError) as excinfo:
        services.medication_add(patient=patient, by=patient, name=name)

    assert error_fields(excinfo) == {"name"}


def test_stopping_a_medication_records_the_patients_today_once(patient, clock):
    medication = services.medication_add(patient=patient, by=patient, name="Sertraline")

    services.medication_stop(medication=medication, by=patient.patient_profile.clinician)
    clock.advance(days=3)
    services.medication_stop(medication=medication, by=patient)

    assert Medication.objects.get(pk=medication.pk).stopped_on == TODAY
    assert AuditEvent.objects.filter(action="medication.stopped").count() == 1


def test_a_stopped_medication_can_be_started_again(patient):
    medication = services.medication_add(patient=patient, by=patient, name="Sertraline")
    services.medication_stop(medication=medication, by=patient)

    services.medication_add(patient=patient, by=patient, name="sertraline")

    assert Medication.objects.filter(patient=patient, stopped_on__isnull=True).count() == 1


@pytest.mark.parametrize("make_user", [ClinicianFactory, PatientFactory, PeerFactory])
def test_only_the_patient_and_their_clinicians_manage_medications(patient, make_user):
    outsider = make_user()
    medication = MedicationFactory(patient=patient)

    with pytest.raises(PermissionDenied):
        services.medication_add(patient=patient, by=outsider, name="Lithium")
    with pytest.raises(PermissionDenied):
        services.medication_stop(medication=medication, by=outsider)

    assert Medication.objects.get(pk=medication.pk).stopped_on is None
    assert Medication.objects.filter(patient=patient).count() == 1


# --- Health timeline approval ---------------------------------------------------------------


def test_a_clinician_approves_the_whole_health_timeline(clock):
    HealthBenefit.objects.create(after_minutes=20, when_label="20 minutes", text="a", source="s")
    HealthBenefit.objects.create(after_minutes=480, when_label="8 hours", text="b", source="s")
    clinician = ClinicianFactory()

    count = services.health_benefits_approve(by=clinician)

    assert count == HealthBenefit.objects.count() >= 2
    assert set(HealthBenefit.objects.values_list("approved_by", "approved_at")) == {
        (clinician.pk, NOW)
    }


@pytest.mark.parametrize("make_user", [PatientFactory, PeerFactory, AdminFactory])
def test_only_clinicians_approve_health_content(clock, make_user):
    HealthBenefit.objects.create(after_minutes=20, when_label="20 minutes", text="a", source="s")

    with pytest.raises(PermissionDenied):
        services.health_benefits_approve(by=make_user())

    assert not HealthBenefit.objects.filter(approved_by__isnull=False).exists()
