"""The trial's live figures, each with its definition: recruitment over time against the target,
consent, randomised per arm, retention at each follow-up, uptake, engagement, safety events and
abstinence. Read by the dashboard; every figure costs a constant number of queries, whatever the
number of participants (grouped in the database, or one streamed pass).

Days are the deployment's calendar days (TIME_ZONE) except engagement, which uses each
participant's own (trials/engagement.py).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Count, F, Q
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from onboarding.models import StepRecord
from onboarding.registry import steps as onboarding_steps
from trials import engagement, outcomes
from trials.models import (
    AdverseEvent,
    Allocation,
    Arm,
    FollowUp,
    FollowUpPoint,
    Participant,
    ScreeningEntry,
    Trial,
    Withdrawal,
)


@dataclass(frozen=True)
class Ratio:
    """n out of N, shown as "n/N (p%)"; no percentage when N is 0."""

    n: int
    of: int

    @property
    def percent(self) -> float | None:
        return None if not self.of else round(100 * self.n / self.of, 1)

    def __str__(self) -> str:
        if not self.of:
            return f"{self.n}/{self.of}"
        return f"{self.n}/{self.of} ({self.percent:g}%)"


# --- Recruitment -------------------------------------------------------------------------------


@dataclass
class RecruitmentWeek:
    week: int
    starts_on: date
    screened: int = 0
    enrolled: int = 0
    consented: int = 0
    randomised: int = 0
    randomised_total: int = 0  # cumulative


@dataclass
class Recruitment:
    opened_on: date | None
    weeks_open: int
    target: int
    weeks: list[RecruitmentWeek]
    screened: int
    enrolled: int
    consented: int
    randomised: int
    definition: str

    @property
    def of_target(self) -> Ratio:
        return Ratio(self.randomised, self.target)

    @property
    def per_week(self) -> float | None:
        return round(self.randomised / self.weeks_open, 2) if self.weeks_open else None

    @property
    def weeks_to_target(self) -> int | None:
        """At the rate so far, how many more weeks until the target is reached."""
        left = self.target - self.randomised
        if left <= 0:
            return 0
        if not self.per_week:
            return None
        return -(-left * self.weeks_open // self.randomised)


def _by_day(queryset, field_name: str) -> dict[date, int]:
    """Counts per local calendar day of a date or datetime field, grouped in the database."""
    model_field = queryset.model._meta.get_field(field_name)
    day = F(field_name) if model_field.get_internal_type() == "DateField" else TruncDate(field_name)
    rows = (
        queryset.filter(**{f"{field_name}__isnull": False})
        .annotate(day=day)
        .values("day")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {row["day"]: row["n"] for row in rows}


def recruitment(*, trial: Trial, now: datetime | None = None) -> Recruitment:
    """Per week since recruitment opened: people screened, enrolled, who consented, and
    randomised, with the cumulative number randomised against the target. Four queries."""
    now = now or timezone.now()
    participants = Participant.objects.filter(trial=trial)
    series = {
        "screened": _by_day(ScreeningEntry.objects.filter(trial=trial), "screened_on"),
        "enrolled": _by_day(participants, "enrolled_at"),
        "consented": _by_day(participants, "consented_at"),
        "randomised": _by_day(Allocation.objects.filter(participant__trial=trial), "allocated_at"),
    }
    totals = {key: sum(days.values()) for key, days in series.items()}
    definition = _(
        "Week 1 starts on the day recruitment opened. Screened: people approached, from the "
        "screening log. Enrolled: patients offered the study by their clinician. Consented: "
        "agreed to the study. Randomised: allocated to an arm; the line is the running total, "
        "against the target of %(target)s randomised."
    ) % {"target": trial.recruitment_target}
    if trial.recruitment_opened_at is None:
        return Recruitment(None, 0, trial.recruitment_target, [], definition=definition, **totals)
    opened_on = timezone.localdate(trial.recruitment_opened_at)
    last = timezone.localdate(now)
    if trial.recruitment_closed_at is not None:
        last = min(last, timezone.localdate(trial.recruitment_closed_at))
    last = max(last, opened_on, *(day for days in series.values() for day in days))
    weeks = [
        RecruitmentWeek(week=index + 1, starts_on=opened_on + timedelta(days=7 * index))
        for index in range((last - opened_on).days // 7 + 1)
    ]
    for key, days in series.items():
        for day, n in days.items():
            # Anything logged before opening is counted in week 1.
            index = max((day - opened_on).days // 7, 0)
            setattr(weeks[index], key, getattr(weeks[index], key) + n)
    running = 0
    for week in weeks:
        running += week.randomised
        week.randomised_total = running
    weeks_open = max((timezone.localdate(now) - opened_on).days, 0) // 7 + 1
    if trial.recruitment_closed_at is not None:
        weeks_open = len(weeks)
    return Recruitment(
        opened_on=opened_on,
        weeks_open=weeks_open,
        target=trial.recruitment_target,
        weeks=weeks,
        definition=definition,
        **totals,
    )


# --- Consent -------------------------------------------------------------------------------------


@dataclass
class Consent:
    screened: int
    enrolled: int
    consented: int
    declined: int
    waiting: int
    definition: str

    @property
    def rate(self) -> Ratio:
        return Ratio(self.consented, self.enrolled)

    @property
    def of_approached(self) -> Ratio:
        return Ratio(self.consented, self.screened)


def consent(*, trial: Trial) -> Consent:
    """Consent rate: of patients enrolled (asked), how many agreed; and of everyone approached
    (the screening log), how many agreed. Two queries."""
    counts = Participant.objects.filter(trial=trial).aggregate(
        enrolled=Count("pk"),
        consented=Count("pk", filter=Q(consented_at__isnull=False)),
        declined=Count("pk", filter=Q(status=Participant.Status.DECLINED)),
        waiting=Count("pk", filter=Q(status=Participant.Status.ENROLLED)),
    )
    return Consent(
        screened=ScreeningEntry.objects.filter(trial=trial).count(),
        definition=_(
            "Consent rate: patients who agreed to the study (whatever happened after) out of all "
            "patients enrolled, that is, asked by their clinician; those still deciding count "
            "as not agreed. Agreed of approached: the same number out of everyone in the "
            "screening log."
        ),
        **counts,
    )


# --- Per arm -------------------------------------------------------------------------------------


@dataclass
class PerArm:
    """A value for each arm, in the arms' order."""

    arms: list[Arm]
    values: dict[int, Any] = field(default_factory=dict)

    def __iter__(self):
        return iter((arm, self.values.get(arm.pk)) for arm in self.arms)


def arms_of(trial: Trial) -> list[Arm]:
    return list(Arm.objects.filter(trial=trial).order_by("order", "pk"))


def randomised_per_arm(*, trial: Trial, arms: list[Arm]) -> tuple[PerArm, str]:
    rows = (
        Allocation.objects.filter(participant__trial=trial)
        .values("arm_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    counts = {row["arm_id"]: row["n"] for row in rows}
    return (
        PerArm(arms, {arm.pk: counts.get(arm.pk, 0) for arm in arms}),
        _("Randomised: participants allocated to each arm, whatever happened after."),
    )


# --- Retention -----------------------------------------------------------------------------------


@dataclass
class Retention:
    point: FollowUpPoint
    per_arm: PerArm  # Ratio of completed over those due


def retention(*, trial: Trial, arms: list[Arm], now: datetime | None = None) -> list[Retention]:
    """Per follow-up point and arm: completed out of those due so far. One query."""
    today = timezone.localdate(now or timezone.now())
    closed = Q(window_closes_on__lt=today)
    rows = (
        FollowUp.objects.filter(participant__trial=trial, participant__allocation__isnull=False)
        .values("point_id", "participant__allocation__arm_id")
        .annotate(
            completed=Count("pk", filter=Q(status=FollowUp.Status.COMPLETED)),
            due=Count(
                "pk",
                filter=Q(
                    status__in=(
                        FollowUp.Status.COMPLETED,
                        FollowUp.Status.MISSED,
                        FollowUp.Status.STOPPED,
                    )
                )
                | (Q(status__in=(FollowUp.Status.SCHEDULED, FollowUp.Status.OPEN)) & closed),
            ),
        )
        .order_by()
    )
    found = {(row["point_id"], row["participant__allocation__arm_id"]): row for row in rows}
    result = []
    for point in FollowUpPoint.objects.filter(trial=trial).order_by("order", "due_day", "pk"):
        values = {}
        for arm in arms:
            row = found.get((point.pk, arm.pk), {"completed": 0, "due": 0})
            values[arm.pk] = Ratio(row["completed"], row["due"])
        result.append(Retention(point=point, per_arm=PerArm(arms, values)))
    return result


RETENTION_DEFINITION = gettext_noop(
    "Retention: follow-ups completed, out of those due so far: completed, missed (the window "
    "closed without an answer), stopped (the participant withdrew from follow-up) or whose "
    "window has closed. Follow-ups whose window is still open or not yet open are not counted."
)


# --- Uptake --------------------------------------------------------------------------------------


@dataclass
class StepUptake:
    key: str
    title: str
    per_arm: PerArm  # Ratio, or None where the step does not apply to the arm


@dataclass
class Uptake:
    randomised: PerArm
    logged_in: PerArm
    finished: PerArm
    steps: list[StepUptake]


def _step_applies_per_arm(trial: Trial, arms: list[Arm]) -> dict[int, set[str]]:
    """Which onboarding steps apply to each arm, asked of the step registry (which the trial's
    own restriction narrows) for one participant of the arm who has not stopped the programme:
    one query per arm at most."""
    applies: dict[int, set[str]] = {}
    for arm in arms:
        participant = (
            Participant.objects.filter(trial=trial, allocation__arm=arm)
            .exclude(withdrawals__level=Withdrawal.Level.INTERVENTION)
            .select_related("patient")
            .order_by("pk")
            .first()
        )
        if participant is None:
            applies[arm.pk] = {step.key for step in onboarding_steps.all()}
            continue
        applies[arm.pk] = {step.key for step in onboarding_steps.for_patient(participant.patient)}
    return applies


def uptake(*, trial: Trial, arms: list[Arm]) -> Uptake:
    """Per arm: randomised, logged in after randomisation, finished onboarding, and each
    onboarding step done (of those the step applies to)."""
    rows = (
        Allocation.objects.filter(participant__trial=trial)
        .values("arm_id")
        .annotate(
            n=Count("pk"),
            logged_in=Count("pk", filter=Q(participant__patient__last_login__gt=F("allocated_at"))),
            finished=Count(
                "pk", filter=Q(participant__patient__onboarding_journey__finished_at__isnull=False)
            ),
        )
        .order_by()
    )
    counts = {row["arm_id"]: row for row in rows}

    def per_arm(key: str) -> PerArm:
        return PerArm(
            arms,
            {
                arm.pk: Ratio(
                    counts.get(arm.pk, {}).get(key, 0), counts.get(arm.pk, {}).get("n", 0)
                )
                for arm in arms
            },
        )

    done = (
        StepRecord.objects.filter(
            completed_at__isnull=False,
            journey__patient__trial_participations__trial=trial,
            journey__patient__trial_participations__allocation__isnull=False,
        )
        .values("step", "journey__patient__trial_participations__allocation__arm_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    done_counts = {
        (row["step"], row["journey__patient__trial_participations__allocation__arm_id"]): row["n"]
        for row in done
    }
    applies = _step_applies_per_arm(trial, arms)
    step_rows = []
    for step in onboarding_steps.all():
        values = {}
        for arm in arms:
            of = counts.get(arm.pk, {}).get("n", 0)
            values[arm.pk] = (
                Ratio(done_counts.get((step.key, arm.pk), 0), of)
                if step.key in applies[arm.pk]
                else None
            )
        step_rows.append(
            StepUptake(key=step.key, title=str(step.title), per_arm=PerArm(arms, values))
        )
    return Uptake(
        randomised=PerArm(arms, {arm.pk: counts.get(arm.pk, {}).get("n", 0) for arm in arms}),
        logged_in=per_arm("logged_in"),
        finished=per_arm("finished"),
        steps=step_rows,
    )


UPTAKE_DEFINITION = gettext_noop(
    "Uptake, of those randomised to each arm: logged in after randomisation (their last login "
    "is later than their allocation); finished onboarding (every step done or left for later); "
    "and each onboarding step done, out of those the step is part of (the usual-care arm does "
    "not get the programme's steps: shown as a dash)."
)


# --- Engagement ----------------------------------------------------------------------------------


@dataclass
class EngagementWeek:
    week: int
    participants: int
    means: dict[str, float]


@dataclass
class Engagement:
    arm: Arm
    participant_weeks: int
    means: dict[str, float]
    weeks: list[EngagementWeek]


def _means(sums: dict[str, int], n: int) -> dict[str, float]:
    return {key: round(sums[key] / n, 2) if n else 0.0 for key in engagement.MEASURES}


def engagement_per_arm(
    *, trial: Trial, arms: list[Arm], now: datetime | None = None
) -> list[Engagement]:
    """Per arm, and per arm and week since randomisation: the mean of each engagement measure
    per participant-week (trials/engagement.py). One streamed pass over the weekly rows."""
    sums: dict[tuple[str, int], dict[str, int]] = defaultdict(
        lambda: dict.fromkeys(engagement.MEASURES, 0)
    )
    counts: dict[tuple[str, int], int] = defaultdict(int)
    for row in engagement.engagement_weeks(trial=trial, now=now):
        key = (row["arm"], row["week"])
        counts[key] += 1
        bucket = sums[key]
        for measure in engagement.MEASURES:
            bucket[measure] += row[measure]
    result = []
    for arm in arms:
        weeks = sorted(week for code, week in counts if code == arm.code)
        total = dict.fromkeys(engagement.MEASURES, 0)
        n = 0
        rows = []
        for week in weeks:
            bucket, count = sums[(arm.code, week)], counts[(arm.code, week)]
            for measure in engagement.MEASURES:
                total[measure] += bucket[measure]
            n += count
            rows.append(EngagementWeek(week=week, participants=count, means=_means(bucket, count)))
        result.append(Engagement(arm=arm, participant_weeks=n, means=_means(total, n), weeks=rows))
    return result


# --- Safety --------------------------------------------------------------------------------------


@dataclass
class Safety:
    events: int = 0
    serious: int = 0
    participants: int = 0
    by_source: dict[str, int] = field(default_factory=dict)

    @property
    def counts(self) -> list[tuple[str, int]]:
        """(label, events) for every source, in order."""
        return [(label, self.by_source.get(code, 0)) for code, label in AdverseEvent.Source.choices]


def safety(*, trial: Trial, arms: list[Arm]) -> tuple[PerArm, list[tuple[str, str]]]:
    """Adverse events per arm: all, serious, participants with at least one, and by source.
    Two queries."""
    rows = (
        AdverseEvent.objects.filter(participant__trial=trial)
        .values("participant__allocation__arm_id", "source")
        .annotate(
            n=Count("pk"),
            serious=Count("pk", filter=Q(seriousness__in=AdverseEvent.SERIOUS)),
        )
        .order_by()
    )
    values: dict[int, Safety] = {arm.pk: Safety() for arm in arms}
    for row in rows:
        arm_id = row["participant__allocation__arm_id"]
        if arm_id not in values:
            continue  # an event of a participant not randomised is not counted per arm
        item = values[arm_id]
        item.events += row["n"]
        item.serious += row["serious"]
        item.by_source[row["source"]] = item.by_source.get(row["source"], 0) + row["n"]
    # Participants with an event: counted once across sources.
    distinct = (
        AdverseEvent.objects.filter(participant__trial=trial)
        .values("participant__allocation__arm_id")
        .annotate(people=Count("participant_id", distinct=True))
        .order_by()
    )
    for row in distinct:
        if row["participant__allocation__arm_id"] in values:
            values[row["participant__allocation__arm_id"]].participants = row["people"]
    return PerArm(arms, values), list(AdverseEvent.Source.choices)


SAFETY_DEFINITION = gettext_noop(
    "Safety events: adverse events of randomised participants (from high and critical safety "
    "flags, hospital readmissions and deaths the care team records, and others they report), "
    "by arm. Serious: assessed by the trial team as resulting in death, life-threatening, "
    "hospitalisation, persistent disability or another important medical event. Participants: "
    "how many had at least one."
)


# --- Abstinence ----------------------------------------------------------------------------------


@dataclass
class ArmAbstinence:
    self_itt: Ratio
    self_complete: Ratio
    verified_itt: Ratio | None
    verified_complete: Ratio | None
    missing_self: int
    missing_co: int


@dataclass
class Abstinence:
    point: FollowUpPoint
    per_arm: PerArm  # ArmAbstinence


def abstinence(*, trial: Trial, arms: list[Arm]) -> list[Abstinence]:
    """Per follow-up point and arm: abstinent by self-report and verified by CO, each with
    intention to treat (everyone randomised; missing counts as smoking) and complete case
    (those who answered). Three queries; the follow-ups are streamed."""
    randomised = {
        row["arm_id"]: row["n"]
        for row in Allocation.objects.filter(participant__trial=trial)
        .values("arm_id")
        .annotate(n=Count("pk"))
        .order_by()
    }
    points = list(FollowUpPoint.objects.filter(trial=trial).order_by("order", "due_day", "pk"))
    by_point = {point.pk: point for point in points}
    tally: dict[tuple[int, int], dict[str, int]] = defaultdict(
        lambda: dict.fromkeys(
            ("self", "answered", "verified", "verified_known", "missing_self", "missing_co"), 0
        )
    )
    rows = (
        FollowUp.objects.filter(participant__trial=trial, participant__allocation__isnull=False)
        .values_list(
            "point_id",
            "participant__allocation__arm_id",
            "status",
            "smoked_since",
            "co_ppm",
            "co_taken_on",
            "window_opens_on",
            "window_closes_on",
            "answered_at",
            "participant__withdrawn_at",
        )
        .order_by()
    )
    for row in rows.iterator(2000):
        point_id, arm_id, status, smoked, ppm, taken_on, opens, closes, answered_at, left = row
        point = by_point[point_id]
        # As in the exported outcomes: nothing collected after a withdrawal counts, and a CO
        # reading counts with or without answers (10 ppm or more is a known "not verified").
        answered = (
            status == FollowUp.Status.COMPLETED
            and smoked
            and not (left is not None and answered_at is not None and answered_at > left)
        )
        if left is not None and taken_on is not None and taken_on > timezone.localtime(left).date():
            ppm = taken_on = None
        result = outcomes.outcome_at_point(
            smoked_since=smoked if answered else None,
            co_ppm=ppm,
            co_required=point.co_verified,
            co_taken_on=taken_on,
            window_opens_on=opens,
            window_closes_on=closes,
        )
        item = tally[(point_id, arm_id)]
        item["self"] += result.itt_abstinent_self
        item["verified"] += result.itt_abstinent_verified
        item["answered"] += not result.missing_self
        item["verified_known"] += result.verified is not None
        item["missing_self"] += result.missing_self
        item["missing_co"] += result.missing_co and not result.missing_self
    result_rows = []
    for point in points:
        values = {}
        for arm in arms:
            item = tally[(point.pk, arm.pk)]
            n_arm = randomised.get(arm.pk, 0)
            values[arm.pk] = ArmAbstinence(
                self_itt=Ratio(item["self"], n_arm),
                self_complete=Ratio(item["self"], item["answered"]),
                verified_itt=Ratio(item["verified"], n_arm) if point.co_verified else None,
                verified_complete=Ratio(item["verified"], item["verified_known"])
                if point.co_verified
                else None,
                # Randomised without a follow-up at this point are missing too.
                missing_self=n_arm - item["answered"],
                missing_co=item["missing_co"],
            )
        result_rows.append(Abstinence(point=point, per_arm=PerArm(arms, values)))
    return result_rows


def abstinence_definition() -> str:
    return " ".join(
        (
            outcomes.DEFINITIONS["abstinent_self"],
            outcomes.DEFINITIONS["abstinent_verified"],
            outcomes.DEFINITIONS["itt"],
            "Intention to treat (ITT): abstinent out of everyone randomised to the arm. Complete "
            "case: abstinent out of those whose outcome is known (for self-report, those who "
            "answered; verified, those who answered and either said they smoke or had a CO "
            "reading in the window). Missing: no answer (including no follow-up yet) and, for "
            "verified, an answer of abstinence with no CO reading.",
        )
    )


# --- Everything ----------------------------------------------------------------------------------


@dataclass
class Dashboard:
    trial: Trial
    arms: list[Arm]
    computed_at: datetime
    recruitment: Recruitment
    consent: Consent
    randomised: PerArm
    randomised_definition: str
    retention: list[Retention]
    uptake: Uptake
    engagement: list[Engagement]
    safety: PerArm
    safety_sources: list[tuple[str, str]]
    abstinence: list[Abstinence]
    definitions: dict[str, str]


def dashboard(*, trial: Trial, now: datetime | None = None) -> Dashboard:
    """Every figure of the trial's dashboard, with its definition."""
    now = now or timezone.now()
    arms = arms_of(trial)
    randomised, randomised_definition = randomised_per_arm(trial=trial, arms=arms)
    safety_per_arm, sources = safety(trial=trial, arms=arms)
    return Dashboard(
        trial=trial,
        arms=arms,
        computed_at=now,
        recruitment=recruitment(trial=trial, now=now),
        consent=consent(trial=trial),
        randomised=randomised,
        randomised_definition=randomised_definition,
        retention=retention(trial=trial, arms=arms, now=now),
        uptake=uptake(trial=trial, arms=arms),
        engagement=engagement_per_arm(trial=trial, arms=arms, now=now),
        safety=safety_per_arm,
        safety_sources=sources,
        abstinence=abstinence(trial=trial, arms=arms),
        definitions={
            "retention": _(RETENTION_DEFINITION),
            "uptake": _(UPTAKE_DEFINITION),
            "engagement": " ".join(
                _(engagement.DEFINITIONS[key]) for key in ("week", *engagement.MEASURES)
            )
            + " "
            + _("Each figure is the mean per participant-week."),
            "safety": _(SAFETY_DEFINITION),
            "abstinence": abstinence_definition(),
        },
    )
