"""Reads of quit tracking, each in a fixed number of queries whatever the length of history."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, Max, Q, Sum
from django.db.models.functions import TruncDate
from django.http import Http404, HttpRequest
from django.utils import timezone

from accounts.models import PatientProfile, Role, User
from cessation import charts, permissions, progress
from cessation.models import (
    CheckIn,
    CheckInSchedule,
    COReading,
    Craving,
    HealthBenefit,
    Medication,
    MissedCheckIn,
    OutreachTask,
    QuitPlan,
)
from cessation.services import review_medications
from cessation.services.schedules import schedule_default
from core.services import audit_record

CHART_DAYS = 28
CALENDAR_WEEKS = 5


def quit_plan_for(*, patient: User) -> QuitPlan | None:
    return QuitPlan.objects.filter(patient=patient).first()


def patient_for_staff(*, user: User, patient_id: int, request: HttpRequest | None = None) -> User:
    """A patient of the clinician's caseload, with the read audited; anything else is a 404."""
    patient = User.objects.filter(pk=patient_id, role=Role.PATIENT).first()
    if patient is None or not permissions.is_care_team_clinician(user, patient):
        raise Http404("No such patient in your care team.")
    audit_record(
        actor=user,
        action="patient.viewed",
        subject=patient,
        request=request,
        detail={"purpose": "quit_tracking"},
    )
    return patient


def baseline_of(plan: QuitPlan) -> progress.Baseline:
    return progress.Baseline(
        quit_date=plan.quit_date,
        product=plan.product,
        per_day=plan.per_day,
        pack_price=plan.pack_price,
        pack_size=plan.pack_size,
    )


def _zone(patient: User, profile: PatientProfile | None = None) -> ZoneInfo:
    """The patient's time zone: from their profile when the caller has read it already."""
    if profile is not None:
        zone = profile.time_zone
    else:
        zone = (
            PatientProfile.objects.filter(user=patient).values_list("time_zone", flat=True).first()
        )
    return ZoneInfo(zone or settings.TIME_ZONE)


@dataclass(frozen=True)
class Dashboard:
    """Everything the progress page (and the home card) shows about one patient."""

    plan: QuitPlan | None
    today: date
    progress: progress.Progress | None
    smoking_chart: charts.Chart
    mood_chart: charts.Chart
    summary: str
    timeline: list[dict]
    timeline_approval: dict | None
    checked_in_today: bool
    hsi: tuple[int, str] | None
    co_readings: list[COReading]
    review_medications: list[Medication]


def dashboard_for(
    *, patient: User, today: date | None = None, profile: PatientProfile | None = None
) -> Dashboard:
    """The quit plan, progress arithmetic, 4-week charts and the health timeline. Eight queries
    (time zone, plan, CO readings, sums, four weeks of check-ins, cravings by day, timeline,
    medications to review), seven when the caller passes the patient's `profile` it has read
    (the time zone is on it), however many weeks of check-ins there are: sums are done by the
    database, charts read only the last four weeks (tests/test_query_budgets.py)."""
    zone = _zone(patient, profile)  # read once: the patient's today and the cravings' days
    today = today or timezone.localtime(timezone.now(), zone).date()
    plan = quit_plan_for(patient=patient)
    co_readings = list(COReading.objects.filter(patient=patient).order_by("-taken_on", "-id")[:20])
    result = None
    if plan is not None:
        result, _ = _progress_of(plan, today, co_readings)
    start = today - timedelta(days=CHART_DAYS - 1)
    rows = list(
        CheckIn.objects.filter(patient=patient, day__gte=start, day__lte=today).values_list(
            "day", "cigarettes", "craving", "mood"
        )
    )
    cravings = list(
        Craving.objects.filter(
            patient=patient, at__gte=datetime.combine(start, time.min, tzinfo=zone)
        )
        .annotate(day=TruncDate("at", tzinfo=zone))
        .values("day")
        .annotate(strongest=Max("intensity"))
        .values_list("day", "strongest")
    )
    points = progress.daily_series(today=today, days=CHART_DAYS, checkins=rows, cravings=cravings)
    summary = progress.series_summary(points)
    days = [p.day for p in points]
    smoking_chart = charts.daily_chart(
        title="Cigarettes each day, with your strongest craving",
        summary=summary,
        days=days,
        bars=[p.cigarettes for p in points],
        line=[p.craving for p in points],
        bar_label="Cigarettes",
        line_label="Strongest craving (0 to 10)",
    )
    mood_chart = charts.daily_chart(
        title="Mood beside smoking",
        summary=_mood_summary(points),
        days=days,
        bars=[p.cigarettes for p in points],
        line=[p.mood for p in points],
        bar_label="Cigarettes",
        line_label="Mood (0 to 10)",
    )
    timeline, approval = _health_timeline(plan, zone)
    hsi = (
        progress.heaviness_of_smoking_index(
            time_to_first=plan.time_to_first,
            cigarettes_per_day=baseline_of(plan).cigarettes_per_day,
        )
        if plan is not None
        else None
    )
    return Dashboard(
        plan=plan,
        today=today,
        progress=result,
        smoking_chart=smoking_chart,
        mood_chart=mood_chart,
        summary=summary,
        timeline=timeline,
        timeline_approval=approval,
        checked_in_today=any(day == today for day, *_ in rows),
        hsi=hsi,
        co_readings=co_readings,
        review_medications=review_medications(patient),
    )


def _progress_of(
    plan: QuitPlan, today: date, co_readings: list[COReading]
) -> tuple[progress.Progress, bool]:
    """The plan's progress on `today`, and whether the patient has checked in that day. One
    query: sums instead of every check-in (what the Russell Standard and the savings need), in
    one read of the index on (patient, day, cigarettes), not of the check-ins themselves."""
    grace_from = plan.quit_date + timedelta(days=progress.GRACE_DAYS)
    since_quit = Q(day__gte=plan.quit_date)
    totals = CheckIn.objects.filter(
        patient_id=plan.patient_id, day__gte=min(plan.quit_date, today), day__lte=today
    ).aggregate(
        all=Sum("cigarettes", filter=since_quit),
        after_grace=Sum("cigarettes", filter=Q(day__gte=grace_from)),
        smoked_days=Count("day", filter=since_quit & Q(cigarettes__gt=0)),
        on_today=Count("day", filter=Q(day=today)),
    )
    after_grace = totals["after_grace"] or 0
    smoked = [(plan.quit_date, (totals["all"] or 0) - after_grace)]
    if after_grace:
        smoked.append((grace_from, after_grace))
    result = progress.compute_progress(
        baseline=baseline_of(plan),
        today=today,
        smoked=smoked,
        co_readings=[progress.CORead(r.taken_on, r.ppm) for r in co_readings],
    )
    return replace(result, days_with_smoking=totals["smoked_days"]), bool(totals["on_today"])


@dataclass(frozen=True)
class Today:
    """What the patient's home card shows: their plan, where they are with it, and whether they
    have checked in today."""

    plan: QuitPlan | None
    today: date
    progress: progress.Progress | None
    checked_in_today: bool


def today_for(*, patient: User, profile: PatientProfile | None = None) -> Today:
    """The home card's figures in two queries (the plan; the sums since the quit date and
    today's check-in), three without the `profile` (its time zone): none of the progress page's
    charts, readings, timeline or medications, which the card does not show. The days and money
    are dashboard_for's, from the same sums (tests/cessation/test_selectors.py)."""
    zone = _zone(patient, profile)
    today = timezone.localtime(timezone.now(), zone).date()
    plan = quit_plan_for(patient=patient)
    if plan is None:
        checked_in = CheckIn.objects.filter(patient=patient, day=today).exists()
        return Today(plan=None, today=today, progress=None, checked_in_today=checked_in)
    # CO readings change only the biochemical verification, which the card does not show.
    result, checked_in = _progress_of(plan, today, [])
    return Today(plan=plan, today=today, progress=result, checked_in_today=checked_in)


def _mood_summary(points: list[progress.DayPoint]) -> str:
    pairs = [(p.mood, p.cigarettes) for p in points if p.mood is not None]
    if not pairs:
        return "No moods recorded in the last four weeks."
    smoke_free = [m for m, c in pairs if not c]
    smoking = [m for m, c in pairs if c]
    text = f"Your mood averaged {sum(m for m, _ in pairs) / len(pairs):.0f} out of 10"
    if smoke_free and smoking:
        text += (
            f": {sum(smoke_free) / len(smoke_free):.0f} on smoke-free days and "
            f"{sum(smoking) / len(smoking):.0f} on days you smoked"
        )
    return text + "."


def _health_timeline(plan: QuitPlan | None, zone: ZoneInfo) -> tuple[list[dict], dict | None]:
    benefits = list(HealthBenefit.objects.select_related("approved_by"))
    approved = [b for b in benefits if b.approved_by_id and b.approved_at]
    approval = None
    if benefits and len(approved) == len(benefits):
        latest = max(approved, key=lambda b: b.approved_at)
        approval = {"by": latest.approved_by.full_name, "on": latest.approved_at}
    quit_at = datetime.combine(plan.quit_date, time.min, tzinfo=zone) if plan is not None else None
    steps = progress.health_timeline(
        quit_at=quit_at or timezone.now(),
        now=timezone.now() if quit_at else timezone.now() - timedelta(days=1),
        steps=[(b.after_minutes, b.when_label, b.text) for b in benefits],
    )
    return [
        {"step": step, "source": b.source, "source_url": b.source_url}
        for step, b in zip(steps, benefits, strict=True)
    ], approval


@dataclass(frozen=True)
class CalendarDay:
    day: date
    checkin: CheckIn | None
    in_future: bool
    before_start: bool = False  # before the patient joined Exhale: not a missed check-in


def checkin_calendar(*, patient: User, today: date, weeks: int = CALENDAR_WEEKS) -> list[list]:
    """Weeks (Monday first) of the last `weeks` weeks with each day's check-in, gaps visible."""
    last_sunday = today + timedelta(days=6 - today.weekday())
    first = last_sunday - timedelta(days=7 * weeks - 1)
    by_day = {
        c.day: c for c in CheckIn.objects.filter(patient=patient, day__gte=first, day__lte=today)
    }
    days = [first + timedelta(days=n) for n in range(7 * weeks)]
    # The deployment's zone is close enough for "joined on" (and costs no query).
    joined = timezone.localdate(patient.date_joined)
    cells = [CalendarDay(day, by_day.get(day), day > today, day < joined) for day in days]
    return [cells[i : i + 7] for i in range(0, len(cells), 7)]


def recent_cravings(*, patient: User, limit: int = 10) -> list[Craving]:
    return list(Craving.objects.filter(patient=patient).order_by("-at")[:limit])


def medications_for(*, patient: User) -> list[Medication]:
    return list(Medication.objects.filter(patient=patient).order_by("stopped_on", "name"))


def checkins_for(*, patient: User, since: date | None = None) -> Any:
    checkins = CheckIn.objects.filter(patient=patient)
    if since is not None:
        checkins = checkins.filter(day__gte=since)
    return checkins.order_by("-day")


# --- Check-in reminders --------------------------------------------------------------------------

WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _times_phrase(times: list[str] | tuple[str, ...]) -> str:
    """["09:30", "19:00"] → "09:30 and 19:00"; three or more → "08:30, 13:00 and 19:00"."""
    times = list(times)
    if len(times) <= 1:
        return "".join(times)
    return ", ".join(times[:-1]) + " and " + times[-1]


def reminder_when(*, frequency: str, times, weekday: int | None) -> str:
    """When reminders go, in plain words: "at 19:00 each day", "at 19:00 every Tuesday"."""
    if frequency == CheckInSchedule.Frequency.WEEKLY and weekday is not None:
        return f"at {_times_phrase(times)} every {WEEKDAY_NAMES[weekday]}"
    return f"at {_times_phrase(times)} each day"


@dataclass(frozen=True)
class ScheduleOverview:
    """A patient's reminders as their pages (and their clinician's) show them: the schedule,
    the times in force now and later, the next reminder in their own time, and how check-ins
    are going (missed in a row, recent missed days, an open outreach task)."""

    schedule: CheckInSchedule  # saved, or the defaults not yet saved
    zone: ZoneInfo
    today: date
    usual_when: str  # "at 19:00 each day"
    early_applies: bool  # the first weeks after discharge: early_times are in force
    early_when: str  # "at 09:30 and 19:00 each day", when early times apply
    early_until: date | None  # the last day of the first weeks after discharge
    next_due_local: datetime | None  # naive, in the patient's time zone
    next_due_label: str  # "today at 19:00", "tomorrow at 09:30", "Tuesday 15 July at 19:00"
    missed_in_row: int
    missed: list[MissedCheckIn]  # newest first
    outreach: OutreachTask | None


_PROFILE_UNKNOWN = object()


def schedule_overview_for(
    *, patient: User, profile: Any = _PROFILE_UNKNOWN, missed_limit: int = 0
) -> ScheduleOverview:
    """The patient's reminder schedule in plain terms. Reads only: a patient who has no schedule
    row yet is shown the defaults the ensure sweep (or their first change) will save. Two
    queries (one more without the profile, one more without a schedule row), and two more with
    the missed days and the open outreach task."""
    if profile is _PROFILE_UNKNOWN:
        profile = PatientProfile.objects.filter(user=patient).first()
    zone = ZoneInfo(profile.time_zone if profile else settings.TIME_ZONE)
    today = timezone.localtime(timezone.now(), zone).date()
    schedule = CheckInSchedule.objects.filter(patient=patient).first()
    if schedule is None:
        schedule = schedule_default(patient)
    usual = list(schedule.times or settings.CESSATION_CHECKIN_TIMES)
    weekday = schedule.weekday
    early_until = None
    if profile is not None and profile.discharged_on is not None:
        early_until = profile.discharged_on + timedelta(days=settings.CESSATION_EARLY_DAYS - 1)
    in_early_weeks = early_until is not None and today <= early_until
    early_applies = in_early_weeks and bool(schedule.early_times)
    next_local = None
    label = ""
    if schedule.is_active and schedule.next_due_at is not None:
        next_local = timezone.localtime(schedule.next_due_at, zone).replace(tzinfo=None)
        days = (next_local.date() - today).days
        when = (
            "today"
            if days == 0
            else "tomorrow"
            if days == 1
            else f"{WEEKDAY_NAMES[next_local.weekday()]} {next_local.day} {next_local:%B}"
        )
        label = f"{when} at {next_local:%H:%M}"
    missed: list = []
    outreach = None
    if missed_limit:
        missed = list(MissedCheckIn.objects.filter(patient=patient).order_by("-day")[:missed_limit])
        outreach = (
            OutreachTask.objects.filter(patient=patient, status=OutreachTask.Status.OPEN)
            .select_related("peer")
            .first()
        )
    return ScheduleOverview(
        schedule=schedule,
        zone=zone,
        today=today,
        usual_when=reminder_when(frequency=schedule.frequency, times=usual, weekday=weekday),
        early_applies=early_applies,
        early_when=reminder_when(
            frequency=schedule.frequency, times=schedule.early_times, weekday=weekday
        )
        if early_applies
        else "",
        early_until=early_until if in_early_weeks else None,
        next_due_local=next_local,
        next_due_label=label,
        missed_in_row=schedule.missed_in_row,
        missed=missed,
        outreach=outreach,
    )
