"""Reads of quit tracking (cessation/selectors.py): the dashboard behind the progress page and
the home card, and the check-in calendar.

dashboard_for sums smoking in the database instead of reading every check-in; these tests hold it
to the pure arithmetic on the full list of days, and to a query count that does not grow with
history. The clock is set: "today" is Tuesday 15 July 2025 in London.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cessation import progress, selectors, services
from cessation.models import CheckIn, HealthBenefit
from tests.cessation.factories import (
    CheckInFactory,
    Clock,
    COReadingFactory,
    CravingFactory,
    MedicationFactory,
    QuitPlanFactory,
)
from tests.factories import ClinicianFactory, PatientFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2025, 7, 15, 11, 0, tzinfo=UTC)  # noon in London
TODAY = date(2025, 7, 15)  # a Tuesday
LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch, NOW)


@pytest.fixture
def patient(clock):
    return PatientFactory()


def ago(n: int) -> date:
    return TODAY - timedelta(days=n)


def history(patient, *, quit_days_ago: int, smoking: dict[int, int], before_quit: int = 3):
    """A plan whose quit date was `quit_days_ago` days ago and a check-in on every day from a
    few days before it to today; `smoking` maps days after the quit date to cigarettes."""
    plan = QuitPlanFactory(patient=patient, quit_date=ago(quit_days_ago))
    for n in range(-before_quit, quit_days_ago + 1):
        cigarettes = 20 if n < 0 else smoking.get(n, 0)
        CheckInFactory(
            patient=patient,
            day=plan.quit_date + timedelta(days=n),
            cigarettes=cigarettes,
            craving=(n * 3) % 11,
            mood=(n * 7) % 11,
        )
    return plan


def pure_progress(patient, plan, today=TODAY):
    """compute_progress on every check-in row, with no shortcut."""
    smoked = list(CheckIn.objects.filter(patient=patient).values_list("day", "cigarettes"))
    readings = [progress.CORead(r.taken_on, r.ppm) for r in patient.co_readings.all()]
    return progress.compute_progress(
        baseline=selectors.baseline_of(plan), today=today, smoked=smoked, co_readings=readings
    )


# --- dashboard_for ------------------------------------------------------------------------------


def test_dashboard_without_a_plan(patient):
    dashboard = selectors.dashboard_for(patient=patient)

    assert dashboard.plan is None
    assert dashboard.progress is None
    assert dashboard.hsi is None
    assert dashboard.today == TODAY
    assert dashboard.checked_in_today is False
    assert dashboard.summary == "No check-ins in the last 28 days."
    assert len(dashboard.smoking_chart.bars) == 28
    assert dashboard.co_readings == []
    assert dashboard.review_medications == []


def test_dashboard_before_the_quit_date(patient):
    QuitPlanFactory(patient=patient, quit_date=TODAY + timedelta(days=5))
    CheckInFactory(patient=patient, day=TODAY, cigarettes=18)

    result = selectors.dashboard_for(patient=patient).progress

    assert result.started is False
    assert result.days_until_quit == 5
    assert result.russell.state == "not_started"
    assert result.cigarettes_smoked == 0
    assert result.money_saved == Decimal("0.00")


def test_dashboard_after_the_quit_date_with_slips_matches_the_pure_arithmetic(patient):
    plan = history(patient, quit_days_ago=30, smoking={2: 5, 3: 1, 15: 2, 22: 1})
    COReadingFactory(patient=patient, taken_on=ago(2), ppm=6)  # day 28: in the window

    dashboard = selectors.dashboard_for(patient=patient)

    expected = pure_progress(patient, plan)
    assert dashboard.progress == expected
    assert dashboard.progress.days_quit == 30
    assert dashboard.progress.cigarettes_smoked == 9
    assert dashboard.progress.days_with_smoking == 4
    assert dashboard.progress.cigarettes_not_smoked == 30 * 20 - 9
    assert dashboard.progress.money_saved == Decimal("443.25")
    assert dashboard.progress.russell.state == "on_track"
    assert dashboard.progress.russell.smoked_since_grace == 3
    assert dashboard.progress.co_window.verified
    assert dashboard.checked_in_today is True


@pytest.mark.parametrize(
    ("quit_days_ago", "smoking"),
    [
        pytest.param(5, {0: 3, 5: 10}, id="in the grace period"),
        pytest.param(13, {13: 7}, id="last day of the grace period"),
        pytest.param(14, {13: 7, 14: 5}, id="first day after it, five"),
        pytest.param(14, {14: 6}, id="first day after it, six"),
        pytest.param(20, {13: 20, 14: 1, 16: 2, 20: 2}, id="five across days"),
        pytest.param(20, {14: 1, 16: 2, 18: 1, 20: 2}, id="six across days"),
        pytest.param(40, {1: 4, 30: 3, 39: 3}, id="off track late"),
        pytest.param(90, dict.fromkeys(range(0, 90, 9), 1), id="a slip every nine days"),
        pytest.param(60, {}, id="never smoked"),
    ],
)
def test_the_russell_status_from_database_sums_equals_the_pure_function(
    patient, quit_days_ago, smoking
):
    plan = history(patient, quit_days_ago=quit_days_ago, smoking=smoking)
    rows = list(CheckIn.objects.filter(patient=patient).values_list("day", "cigarettes"))

    dashboard = selectors.dashboard_for(patient=patient)

    assert dashboard.progress.russell == progress.russell_status(
        quit_date=plan.quit_date, today=TODAY, smoked=rows
    )
    assert dashboard.progress == pure_progress(patient, plan)


@pytest.mark.parametrize("days_back", [0, 3, 10, 14, 15, 25])
def test_a_dashboard_for_an_earlier_day_ignores_check_ins_after_it(patient, days_back):
    plan = history(patient, quit_days_ago=30, smoking={10: 2, 14: 3, 16: 2, 20: 4, 28: 1})

    dashboard = selectors.dashboard_for(patient=patient, today=ago(days_back))

    assert dashboard.progress == pure_progress(patient, plan, today=ago(days_back))


def test_charts_cover_the_last_28_days_oldest_first(patient):
    history(patient, quit_days_ago=40, smoking={35: 3, 40: 1})

    dashboard = selectors.dashboard_for(patient=patient)

    for chart in (dashboard.smoking_chart, dashboard.mood_chart):
        assert len(chart.bars) == 28
        assert len(chart.rows) == 28
        assert chart.rows[0][0] == ago(27)
        assert chart.rows[-1][0] == TODAY
    assert dashboard.smoking_chart.rows[-6][1] == 3  # day 35 of 40
    assert dashboard.smoking_chart.rows[-1][1] == 1
    assert "smoked 4 cigarettes on 2 of them" in dashboard.summary


def test_chart_gaps_are_days_without_a_check_in(patient):
    QuitPlanFactory(patient=patient, quit_date=ago(10))
    CheckInFactory(patient=patient, day=ago(1), cigarettes=2, craving=7, mood=4)

    dashboard = selectors.dashboard_for(patient=patient)

    assert dashboard.smoking_chart.rows[-2] == (ago(1), 2, 7)
    assert dashboard.mood_chart.rows[-2] == (ago(1), 2, 4)
    assert dashboard.smoking_chart.rows[-1] == (TODAY, None, None)
    assert dashboard.checked_in_today is False
    assert dashboard.summary.startswith("In the last 28 days you checked in on 1 day ")


def test_a_craving_late_in_the_evening_counts_on_the_patients_own_day(clock):
    new_yorker = PatientFactory(profile__time_zone="America/New_York")  # 07:00 there, 15 July
    CravingFactory(
        patient=new_yorker, at=datetime(2025, 7, 14, 22, 30, tzinfo=NEW_YORK), intensity=9
    )
    CheckInFactory(patient=new_yorker, day=date(2025, 7, 14), craving=3)

    dashboard = selectors.dashboard_for(patient=new_yorker)

    assert dashboard.today == date(2025, 7, 15)
    rows = {day: craving for day, _, craving in dashboard.smoking_chart.rows}
    assert rows[date(2025, 7, 14)] == 9  # 02:30 on the 15th in UTC, but the 14th for them
    assert rows[date(2025, 7, 15)] is None


def test_a_craving_just_after_midnight_in_summer_counts_on_the_new_day(patient):
    CravingFactory(patient=patient, at=datetime(2025, 7, 15, 0, 30, tzinfo=LONDON), intensity=8)
    CravingFactory(patient=patient, at=datetime(2025, 7, 14, 23, 45, tzinfo=LONDON), intensity=5)
    CravingFactory(patient=patient, at=datetime(2025, 7, 14, 21, 0, tzinfo=LONDON), intensity=2)

    rows = {
        day: craving
        for day, _, craving in selectors.dashboard_for(patient=patient).smoking_chart.rows
    }

    assert rows[date(2025, 7, 15)] == 8  # 23:30 on the 14th in UTC
    assert rows[date(2025, 7, 14)] == 5  # the strongest of the day
    assert sum(1 for value in rows.values() if value is not None) == 2


def test_cravings_before_the_chart_are_left_out(patient):
    CravingFactory(patient=patient, at=datetime(2025, 6, 17, 23, 30, tzinfo=LONDON), intensity=9)
    CravingFactory(patient=patient, at=datetime(2025, 6, 18, 0, 30, tzinfo=LONDON), intensity=7)

    rows = selectors.dashboard_for(patient=patient).smoking_chart.rows

    assert rows[0] == (date(2025, 6, 18), None, 7)
    assert [craving for _, _, craving in rows[1:]] == [None] * 27


def test_the_heaviness_of_smoking_index_comes_from_the_plan(patient):
    QuitPlanFactory(patient=patient, time_to_first="5", per_day=Decimal("25"))

    assert selectors.dashboard_for(patient=patient).hsi == (5, "high")


def test_the_heaviness_of_smoking_index_converts_grams(patient):
    # 10 g a day is 20 roll-ups: 1 point; first one after an hour: 0.
    QuitPlanFactory(patient=patient, product="grams", per_day=Decimal("10"), time_to_first="61")

    assert selectors.dashboard_for(patient=patient).hsi == (1, "low")


def test_no_heaviness_of_smoking_index_without_the_answer(patient):
    QuitPlanFactory(patient=patient, time_to_first="")

    assert selectors.dashboard_for(patient=patient).hsi is None


def test_the_health_timeline_counts_from_midnight_of_the_quit_date(patient):
    HealthBenefit.objects.all().delete()
    for minutes, label in [(20, "20 minutes"), (8 * 60, "8 hours"), (48 * 60, "48 hours")]:
        HealthBenefit.objects.create(
            after_minutes=minutes, when_label=label, text=label, source="NHS"
        )
    QuitPlanFactory(patient=patient, quit_date=TODAY)  # noon now: 12 hours in

    timeline = selectors.dashboard_for(patient=patient).timeline

    assert [(item["step"].when_label, item["step"].reached) for item in timeline] == [
        ("20 minutes", True),
        ("8 hours", True),
        ("48 hours", False),
    ]
    assert all(item["source"] == "NHS" for item in timeline)


def test_the_health_timeline_is_unreached_without_a_plan_and_shows_who_approved_it(patient):
    HealthBenefit.objects.all().delete()
    HealthBenefit.objects.create(after_minutes=20, when_label="20 minutes", text="t", source="s")
    HealthBenefit.objects.create(after_minutes=480, when_label="8 hours", text="t", source="s")

    before = selectors.dashboard_for(patient=patient)
    clinician = ClinicianFactory()
    services.health_benefits_approve(by=clinician)
    after = selectors.dashboard_for(patient=patient)

    assert [item["step"].reached for item in before.timeline] == [False, False]
    assert before.timeline_approval is None
    assert after.timeline_approval == {"by": clinician.full_name, "on": NOW}


def test_the_dashboard_lists_review_medications_and_recent_co_readings(patient):
    MedicationFactory(patient=patient, name="Clozapine")
    MedicationFactory(patient=patient, name="Sertraline")
    old = COReadingFactory(patient=patient, taken_on=ago(20), ppm=14)
    new = COReadingFactory(patient=patient, taken_on=ago(2), ppm=5)

    dashboard = selectors.dashboard_for(patient=patient)

    assert [m.name for m in dashboard.review_medications] == ["Clozapine"]
    assert dashboard.co_readings == [new, old]


def dashboard_queries(patient) -> int:
    with CaptureQueriesContext(connection) as queries:
        selectors.dashboard_for(patient=patient)
    return len(queries.captured_queries)


def rich_history(patient, weeks: int) -> None:
    history(patient, quit_days_ago=7 * weeks, smoking={n: n % 4 for n in range(0, 7 * weeks, 5)})
    for n in range(7 * weeks):
        CravingFactory(
            patient=patient,
            at=datetime.combine(ago(n), datetime.min.time(), tzinfo=LONDON) + timedelta(hours=20),
            intensity=n % 11,
        )
    for n in range(0, 7 * weeks, 14):
        COReadingFactory(patient=patient, taken_on=ago(n), ppm=n % 12)
    MedicationFactory(patient=patient, name="Clozapine")


def test_the_dashboard_query_count_does_not_grow_with_history(clock):
    one_week, twelve_weeks = PatientFactory(), PatientFactory()
    rich_history(one_week, weeks=1)
    rich_history(twelve_weeks, weeks=12)
    assert CheckIn.objects.filter(patient=twelve_weeks).count() > 80

    small = dashboard_queries(one_week)
    large = dashboard_queries(twelve_weeks)

    assert small == large
    # patient_today, plan, CO readings, 3 sums, chart rows, zone, cravings, timeline, medications
    assert large <= 11


# --- today_for (the home card) -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("quit_days_ago", "smoking", "checked_in_today"),
    [
        pytest.param(30, {2: 5, 3: 1, 15: 2, 22: 1}, True, id="30 days with slips"),
        pytest.param(-5, {}, True, id="quit date ahead"),
        pytest.param(0, {}, True, id="quit day"),
        pytest.param(10, {1: 3}, False, id="no check-in today"),
    ],
)
def test_the_home_card_shows_the_dashboards_days_money_and_todays_check_in(
    patient, quit_days_ago, smoking, checked_in_today
):
    if quit_days_ago >= 0:
        history(patient, quit_days_ago=quit_days_ago, smoking=smoking)
    else:
        QuitPlanFactory(patient=patient, quit_date=TODAY + timedelta(days=-quit_days_ago))
        CheckInFactory(patient=patient, day=TODAY, cigarettes=18)
    if not checked_in_today:
        CheckIn.objects.filter(patient=patient, day=TODAY).delete()
    COReadingFactory(patient=patient, taken_on=ago(1), ppm=4)

    card = selectors.today_for(patient=patient)
    dashboard = selectors.dashboard_for(patient=patient)

    assert card.today == dashboard.today == TODAY
    assert card.plan == dashboard.plan
    assert card.checked_in_today is dashboard.checked_in_today is checked_in_today
    for name in (
        "started",
        "days_quit",
        "days_until_quit",
        "money_saved",
        "cigarettes_smoked",
        "days_with_smoking",
        "next_milestone",
        "milestone_fraction",
    ):
        assert getattr(card.progress, name) == getattr(dashboard.progress, name), name


def test_the_home_card_without_a_plan(patient):
    CheckInFactory(patient=patient, day=TODAY)

    card = selectors.today_for(patient=patient)

    assert (card.plan, card.progress, card.checked_in_today) == (None, None, True)


def test_the_home_card_is_two_queries_with_the_profile_whatever_the_history(clock):
    one_week, twelve_weeks = PatientFactory(), PatientFactory()
    rich_history(one_week, weeks=1)
    rich_history(twelve_weeks, weeks=12)
    counts = []
    for patient in (one_week, twelve_weeks):
        profile = patient.patient_profile
        with CaptureQueriesContext(connection) as queries:
            card = selectors.today_for(patient=patient, profile=profile)
        assert card.progress is not None
        counts.append(len(queries.captured_queries))
        with CaptureQueriesContext(connection) as queries:
            selectors.today_for(patient=patient)
        assert len(queries.captured_queries) == 3  # and the time zone
    assert counts == [2, 2]  # the plan; the sums with today's check-in


# --- checkin_calendar ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "today",
    [
        pytest.param(date(2025, 7, 14), id="Monday"),
        pytest.param(TODAY, id="Tuesday"),
        pytest.param(date(2025, 7, 20), id="Sunday"),
    ],
)
def test_the_calendar_is_five_weeks_of_seven_days_monday_first(patient, today):
    weeks = selectors.checkin_calendar(patient=patient, today=today)

    assert len(weeks) == 5
    assert all(len(week) == 7 for week in weeks)
    days = [cell.day for week in weeks for cell in week]
    assert days == [days[0] + timedelta(days=n) for n in range(35)]
    assert all(week[0].day.weekday() == 0 for week in weeks)
    assert today in [cell.day for cell in weeks[-1]]
    for cell in (cell for week in weeks for cell in week):
        assert cell.in_future is (cell.day > today)


def test_the_calendar_marks_the_rest_of_this_week_as_future(patient):
    weeks = selectors.checkin_calendar(patient=patient, today=TODAY)

    assert [cell.in_future for cell in weeks[-1]] == [False, False, True, True, True, True, True]
    assert weeks[-1][0].day == date(2025, 7, 14)
    assert weeks[0][0].day == date(2025, 6, 16)


def test_the_calendar_shows_check_ins_and_gaps(patient):
    done = [
        CheckInFactory(patient=patient, day=day)
        for day in (TODAY, ago(1), ago(3), date(2025, 6, 16))
    ]
    CheckInFactory(patient=patient, day=date(2025, 6, 15))  # before the calendar
    CheckInFactory(patient=PatientFactory(), day=ago(2))  # someone else's

    weeks = selectors.checkin_calendar(patient=patient, today=TODAY)

    cells = {cell.day: cell.checkin for week in weeks for cell in week}
    assert {day: c for day, c in cells.items() if c is not None} == {c.day: c for c in done}
    assert cells[ago(2)] is None


def test_the_calendar_is_one_query(patient):
    for n in range(60):
        CheckInFactory(patient=patient, day=ago(n))

    with CaptureQueriesContext(connection) as queries:
        selectors.checkin_calendar(patient=patient, today=TODAY)

    assert len(queries.captured_queries) == 1


def test_the_calendar_does_not_count_days_before_the_patient_joined_as_missed(patient):
    today = services.patient_today(patient)
    patient.date_joined = timezone.now() - timedelta(days=3)
    patient.save(update_fields=["date_joined"])

    cells = [
        cell for week in selectors.checkin_calendar(patient=patient, today=today) for cell in week
    ]

    joined = today - timedelta(days=3)
    assert all(cell.before_start for cell in cells if cell.day < joined)
    assert not any(cell.before_start for cell in cells if cell.day >= joined)
