"""The datasets of a trial export: each one's columns (what the data dictionary says of them)
and its rows, streamed from the database with flat memory.

Every dataset holds only the participants of that trial, identified by their trial id (an HMAC
with the trial's own key: trials/pseudonyms.py) and never by name, email, a database id or free
text. What a participant gave after they withdrew (Participant.withdrawn_at) is left out: as the
study consent says, what was collected before is kept and used and nothing after. Their
participants and allocations rows stay, so the analysis stays intention to treat.

Rows are tuples in the order of the columns, with Python values (dates, ints, bools, str, None);
the writers (trials/exports/writers.py) turn them into CSV cells or JSON values. A dataset with a
`copy_select` is written on PostgreSQL by `COPY (that SELECT) TO STDOUT`, which gives the same
cells as the Python path (the tests compare them).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.db.models import F, FilteredRelation, OuterRef, Q, Subquery
from django.utils import timezone
from psycopg import sql

from cessation.models import CheckIn
from onboarding.baseline import MEDICINES, SUPPORT
from onboarding.models import Baseline
from trials import outcomes, strata
from trials.exports.cells import (
    BOOLEAN,
    CHOICE,
    DATE,
    FORMULA_START_SQL_PATTERN,
    INTEGER,
    TEXT,
)
from trials.models import (
    AdverseEvent,
    Allocation,
    Arm,
    FollowUp,
    FollowUpPoint,
    Participant,
    Trial,
    Withdrawal,
)

CHUNK = 2000

Choices = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Column:
    name: str
    label: str
    kind: str
    # Allowed values as (code, label); a function of the trial when they depend on it (arms).
    choices: Choices | Callable[[Trial], Choices] = ()
    units: str = ""
    derivation: str = ""

    def choices_for(self, trial: Trial) -> Choices:
        return self.choices(trial) if callable(self.choices) else self.choices


@dataclass(frozen=True)
class Dataset:
    key: str
    label: str
    description: str
    columns: tuple[Column, ...]
    rows: Callable[[Trial], Iterator[tuple]]
    # The SELECT whose COPY gives this dataset's CSV on PostgreSQL (same cells as `rows`).
    copy_select: Callable[[Trial], sql.Composable] | None = field(default=None)
    # A count of the rows without reading them, where rows are many.
    count: Callable[[Trial], int] | None = field(default=None)

    def row_count(self, trial: Trial) -> int:
        if self.count is not None:
            return self.count(trial)
        return sum(1 for _row in self.rows(trial))

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)


def _day(value: datetime | date | None) -> date | None:
    """A moment as the deployment's local date (dates only: exports need no time of day)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return timezone.localtime(value).date()
    return value


def _codes(choices) -> Choices:
    return tuple((str(code), str(label)) for code, label in choices)


def _after(moment: datetime | None, withdrawn_at: datetime | None) -> bool:
    """Whether something collected at `moment` came after the participant withdrew."""
    return withdrawn_at is not None and moment is not None and moment > withdrawn_at


def _arm_choices(trial: Trial) -> Choices:
    return tuple((arm.code, arm.label) for arm in Arm.objects.filter(trial=trial))


def _point_choices(trial: Trial) -> Choices:
    return tuple((p.code, p.label) for p in FollowUpPoint.objects.filter(trial=trial))


def _stratum_choices(trial: Trial) -> Choices:
    return tuple((s, s) for s in strata.strata_of(trial.strata_factors))


STUDY_ID = Column(
    "study_id",
    "Trial id of the participant",
    TEXT,
    derivation="HMAC-SHA-256 of the participant with the trial's own secret key, 'T' and 11 "
    "hexadecimal characters; the same person has unrelated ids in two trials and nobody "
    "without the key can go back from an id.",
)


# --- participants ------------------------------------------------------------------------------


PARTICIPANTS_COLUMNS = (
    STUDY_ID,
    Column("trial", "Short name of the trial", TEXT),
    Column("status", "Status in the study", CHOICE, _codes(Participant.Status.choices)),
    Column(
        "diagnosis_group",
        "Diagnosis group",
        CHOICE,
        _codes(Participant.DiagnosisGroup.choices),
        derivation="Recorded by the clinician who enrolled the participant.",
    ),
    Column("enrolled_on", "Date enrolled (offered the study)", DATE),
    Column("declined_on", "Date the participant declined the study", DATE),
    Column("consented_on", "Date the participant agreed to the study", DATE),
    Column(
        "consent_version",
        "Version of the study consent text agreed to",
        INTEGER,
        derivation="The version number of the exact words the participant agreed to.",
    ),
    Column("withdrawn_on", "Date the participant withdrew", DATE),
    Column(
        "withdrawal_level",
        "What the participant withdrew from (the latest withdrawal)",
        CHOICE,
        _codes(Withdrawal.Level.choices),
    ),
    Column("completed_on", "Date follow-up was completed", DATE),
)


def _participants_rows(trial: Trial) -> Iterator[tuple]:
    latest = Withdrawal.objects.filter(participant=OuterRef("pk")).order_by("-at", "-pk")
    rows = (
        Participant.objects.filter(trial=trial)
        .annotate(withdrawal_level=Subquery(latest.values("level")[:1]))
        .order_by("enrolled_at", "pk")
        .values_list(
            "study_id",
            "status",
            "diagnosis_group",
            "enrolled_at",
            "declined_at",
            "consented_at",
            "consent__text__version",
            "withdrawn_at",
            "withdrawal_level",
            "completed_at",
        )
    )
    for row in rows.iterator(chunk_size=CHUNK):
        (
            study_id,
            status,
            group,
            enrolled,
            declined,
            consented,
            version,
            withdrawn,
            level,
            done,
        ) = row
        yield (
            study_id,
            trial.slug,
            status,
            group,
            _day(enrolled),
            _day(declined),
            _day(consented),
            version,
            _day(withdrawn),
            level,
            _day(done),
        )


# --- allocations -------------------------------------------------------------------------------


ALLOCATIONS_COLUMNS = (
    STUDY_ID,
    Column("arm", "Arm allocated", CHOICE, _arm_choices),
    Column(
        "gets_programme",
        "Whether the arm gets the Exhale programme",
        BOOLEAN,
        derivation="1: the whole programme; 0: follow-up questionnaires and crisis support only.",
    ),
    Column(
        "stratum",
        "Stratum randomised in",
        CHOICE,
        _stratum_choices,
        derivation="The levels of the trial's stratification factors joined by '|', in the "
        "order the trial lists them (e.g. psychosis|11-20).",
    ),
    Column(
        "allocated_on",
        "Date randomised",
        DATE,
        derivation="Stratified permuted blocks of varying size, from a sequence sealed when "
        "recruitment opened; never changed after.",
    ),
)


def _allocations_rows(trial: Trial) -> Iterator[tuple]:
    rows = (
        Allocation.objects.filter(participant__trial=trial)
        .order_by("allocated_at", "pk")
        .values_list(
            "participant__study_id", "arm__code", "arm__gets_programme", "stratum", "allocated_at"
        )
    )
    for study_id, arm, programme, stratum, allocated in rows.iterator(chunk_size=CHUNK):
        yield (study_id, arm, programme, stratum, _day(allocated))


# --- baseline ----------------------------------------------------------------------------------


BASELINE_COLUMNS = (
    STUDY_ID,
    Column("recorded_on", "Date the baseline was recorded", DATE),
    Column("age_started", "Age started smoking", INTEGER, units="years"),
    Column("per_day", "Cigarettes a day on a usual day", INTEGER, units="cigarettes per day"),
    Column(
        "time_to_first",
        "Time to the first cigarette after waking",
        CHOICE,
        (
            ("5", "Within 5 minutes"),
            ("30", "6 to 30 minutes"),
            ("60", "31 to 60 minutes"),
            ("61", "After 60 minutes"),
        ),
        units="minutes",
    ),
    Column(
        "hsi_score",
        "Heaviness of Smoking Index",
        INTEGER,
        units="score 0 to 6",
        derivation="Heaviness of Smoking Index: cigarettes per day (0-10: 0, 11-20: 1, 21-30: 2, "
        "31+: 3) plus time to first cigarette (>60 min: 0, 31-60: 1, 6-30: 2, <=5: 3).",
    ),
    Column(
        "quit_attempts",
        "Serious quit attempts before",
        CHOICE,
        _codes(Baseline.QuitAttempts.choices),
    ),
    Column("motivation", "Motivation to stop", CHOICE, _codes(Baseline.Motivation.choices)),
    Column("vapes", "Uses an e-cigarette", BOOLEAN),
    Column(
        "medicines",
        "Medicines that matter when stopping",
        TEXT,
        _codes((key, label) for key, label, _name in MEDICINES),
        derivation="The codes ticked, joined by ';' (several may apply).",
    ),
    Column(
        "support_wanted",
        "Support wanted",
        TEXT,
        _codes(SUPPORT),
        derivation="The codes ticked, joined by ';' (several may apply).",
    ),
    Column("mood", "Mood on the day", INTEGER, units="0 very low to 10 very good"),
)


def _joined(codes: Any) -> str:
    return ";".join(str(code) for code in codes) if isinstance(codes, list) else ""


def _baseline_rows(trial: Trial) -> Iterator[tuple]:
    rows = (
        Baseline.objects.filter(patient__trial_participations__trial=trial)
        .annotate(
            participation=FilteredRelation(
                "patient__trial_participations",
                condition=Q(patient__trial_participations__trial=trial),
            )
        )
        .order_by("participation__enrolled_at", "participation__id")
        .values_list(
            "participation__study_id",
            "participation__withdrawn_at",
            "recorded_at",
            "age_started",
            "per_day",
            "time_to_first",
            "hsi_score",
            "quit_attempts",
            "motivation",
            "vapes",
            "medicines",
            "support_wanted",
            "mood",
        )
    )
    for row in rows.iterator(chunk_size=CHUNK):
        study_id, withdrawn, recorded, *values = row
        if _after(recorded, withdrawn):
            continue
        age, per_day, ttf, hsi, attempts, motivation, vapes, medicines, support, mood = values
        yield (
            study_id,
            _day(recorded),
            age,
            per_day,
            ttf,
            hsi,
            attempts,
            motivation,
            vapes,
            _joined(medicines),
            _joined(support),
            mood,
        )


# --- check-ins ---------------------------------------------------------------------------------


CHECKINS_COLUMNS = (
    STUDY_ID,
    Column("day", "Day the check-in is for", DATE, derivation="The participant's own local date."),
    Column(
        "day_since_randomisation",
        "Days since randomisation",
        INTEGER,
        units="days",
        derivation="The check-in's day minus the date of randomisation (0 on the day; negative "
        "before; empty if not randomised).",
    ),
    Column("cigarettes", "Cigarettes since the last check-in", INTEGER, units="cigarettes"),
    Column("craving", "Strongest craving", INTEGER, units="0 none to 10 worst"),
    Column("mood", "Mood", INTEGER, units="0 very low to 10 very good"),
    Column("sleep", "Sleep last night", CHOICE, _codes(CheckIn.Sleep.choices)),
    Column(
        "harm_thoughts",
        "Thoughts of harming themselves",
        CHOICE,
        _codes(CheckIn.SafetyAnswer.choices),
    ),
    Column(
        "supports_used",
        "Number of supports used",
        INTEGER,
        units="count",
        derivation="How many stop-smoking supports the participant ticked (patches, gum, ...).",
    ),
)
CHECKINS_SCOPE = (
    "Check-ins given from the day the participant agreed to the study until they withdrew (if "
    "they did)."
)


def _checkins_queryset(trial: Trial):
    return (
        CheckIn.objects.annotate(
            participation=FilteredRelation(
                "patient__trial_participations",
                condition=Q(patient__trial_participations__trial=trial),
            )
        )
        .filter(
            participation__consented_at__isnull=False,
            created_at__gte=F("participation__consented_at"),
        )
        .filter(
            Q(participation__withdrawn_at__isnull=True)
            | Q(created_at__lte=F("participation__withdrawn_at"))
        )
    )


def _checkins_rows(trial: Trial) -> Iterator[tuple]:
    rows = (
        _checkins_queryset(trial)
        .order_by("participation__id", "day")
        .values_list(
            "participation__study_id",
            "day",
            "participation__allocation__allocated_at",
            "cigarettes",
            "craving",
            "mood",
            "sleep",
            "harm_thoughts",
            "supports_used",
        )
    )
    for study_id, day, allocated, cigs, craving, mood, sleep, harm, supports in rows.iterator(
        chunk_size=CHUNK
    ):
        since = (day - _day(allocated)).days if allocated is not None else None
        yield (
            study_id,
            day,
            since,
            cigs,
            craving,
            mood,
            sleep,
            harm,
            len(supports) if isinstance(supports, list) else 0,
        )


def _escaped(expression: sql.Composable) -> sql.Composable:
    """The SQL twin of cells.formula_escape, for text columns of a COPY; '' becomes NULL
    (an empty cell), as the Python path writes it."""
    return sql.SQL("CASE WHEN {e} ~ {p} THEN '''' || {e} ELSE NULLIF({e}, '') END").format(
        e=expression, p=sql.Literal(FORMULA_START_SQL_PATTERN)
    )


def _checkins_copy_select(trial: Trial) -> sql.Composable:
    checkin = sql.Identifier(CheckIn._meta.db_table)
    participant = sql.Identifier(Participant._meta.db_table)
    allocation = sql.Identifier(Allocation._meta.db_table)
    return sql.SQL(
        "SELECT {study_id} AS study_id, c.day AS day, "
        "c.day - (a.allocated_at AT TIME ZONE {tz})::date AS day_since_randomisation, "
        "c.cigarettes AS cigarettes, c.craving AS craving, c.mood AS mood, "
        "{sleep} AS sleep, {harm} AS harm_thoughts, "
        "CASE WHEN jsonb_typeof(c.supports_used) = 'array' "
        "THEN jsonb_array_length(c.supports_used) ELSE 0 END AS supports_used "
        "FROM {checkin} c "
        "JOIN {participant} p ON p.patient_id = c.patient_id AND p.trial_id = {trial} "
        "LEFT JOIN {allocation} a ON a.participant_id = p.id "
        "WHERE p.consented_at IS NOT NULL AND c.created_at >= p.consented_at "
        "AND (p.withdrawn_at IS NULL OR c.created_at <= p.withdrawn_at) "
        "ORDER BY p.id, c.day"
    ).format(
        study_id=_escaped(sql.SQL("p.study_id")),
        sleep=_escaped(sql.SQL("c.sleep")),
        harm=_escaped(sql.SQL("c.harm_thoughts")),
        tz=sql.Literal(settings.TIME_ZONE),
        checkin=checkin,
        participant=participant,
        allocation=allocation,
        trial=sql.Literal(trial.pk),
    )


# --- engagement --------------------------------------------------------------------------------


def _engagement_definition(key: str, fallback: str) -> str:
    try:
        from trials import engagement
    except ImportError:  # pragma: no cover - the metrics part supplies it
        return fallback
    return str(getattr(engagement, "DEFINITIONS", {}).get(key, fallback))


def _engagement_columns() -> tuple[Column, ...]:
    return (
        STUDY_ID,
        Column("arm", "Arm allocated", CHOICE, _arm_choices),
        Column(
            "week",
            "Week since randomisation",
            INTEGER,
            units="weeks",
            derivation=_engagement_definition(
                "week", "Week 1 is the first 7 days from the day of randomisation."
            ),
        ),
        Column(
            "active_days",
            "Active days in the week",
            INTEGER,
            units="days",
            derivation=_engagement_definition("active_days", "Days with any use of Exhale."),
        ),
        Column(
            "checkins",
            "Check-ins completed",
            INTEGER,
            units="count",
            derivation=_engagement_definition("checkins", "Check-ins given in the week."),
        ),
        Column(
            "checkins_on_time",
            "Check-ins completed on time",
            INTEGER,
            units="count",
            derivation=_engagement_definition(
                "checkins_on_time", "Check-ins given on the day they were for."
            ),
        ),
        Column(
            "posts",
            "Group posts and replies",
            INTEGER,
            units="count",
            derivation=_engagement_definition("posts", "Posts and replies in peer groups."),
        ),
        Column(
            "messages",
            "Messages to a peer specialist",
            INTEGER,
            units="count",
            derivation=_engagement_definition("messages", "Messages sent to a peer specialist."),
        ),
        Column(
            "cravings",
            "'Craving now' uses",
            INTEGER,
            units="count",
            derivation=_engagement_definition("cravings", "Times 'Craving now' was used."),
        ),
    )


ENGAGEMENT_FIELDS = (
    "study_id",
    "arm",
    "week",
    "active_days",
    "checkins",
    "checkins_on_time",
    "posts",
    "messages",
    "cravings",
)


def _engagement_rows(trial: Trial) -> Iterator[tuple]:
    from trials import engagement

    # Only the named fields: the metrics' rows also carry the database id, never exported.
    for row in engagement.engagement_weeks(trial=trial):
        yield tuple(row.get(name) for name in ENGAGEMENT_FIELDS)


# --- follow-ups --------------------------------------------------------------------------------


FOLLOWUPS_COLUMNS = (
    STUDY_ID,
    Column("point", "Follow-up point", CHOICE, _point_choices),
    Column("status", "Status of the follow-up", CHOICE, _codes(FollowUp.Status.choices)),
    Column(
        "anchor_date",
        "Date the point is counted from",
        DATE,
        derivation="The quit date or the date of randomisation, as the point says.",
    ),
    Column("due_on", "Date due", DATE),
    Column("window_opens_on", "First day of the window", DATE),
    Column("window_closes_on", "Last day of the window", DATE),
    Column("answered_on", "Date answered", DATE),
    Column("source", "Who gave the answers", CHOICE, _codes(FollowUp.Source.choices)),
    Column(
        "smoked_since",
        "Smoked since two weeks after the quit date",
        CHOICE,
        _codes(FollowUp.SmokedSince.choices),
    ),
    Column("smoked_last_7_days", "Smoked at all in the last 7 days", BOOLEAN),
    Column("cigarettes_per_day", "Cigarettes a day now", INTEGER, units="cigarettes per day"),
    Column("co_ppm", "Breath carbon monoxide", INTEGER, units="ppm (parts per million)"),
    Column("co_taken_on", "Date of the CO reading", DATE),
)
FOLLOWUPS_SCOPE = (
    "Answers given, and CO readings taken, after the participant withdrew are left empty."
)


def _followups_rows(trial: Trial) -> Iterator[tuple]:
    rows = (
        FollowUp.objects.filter(participant__trial=trial)
        .order_by("participant_id", "point__order", "point__due_day", "point_id")
        .values_list(
            "participant__study_id",
            "participant__withdrawn_at",
            "point__code",
            "status",
            "anchor_date",
            "due_on",
            "window_opens_on",
            "window_closes_on",
            "answered_at",
            "source",
            "smoked_since",
            "smoked_last_7_days",
            "cigarettes_per_day",
            "co_ppm",
            "co_taken_on",
        )
    )
    for row in rows.iterator(chunk_size=CHUNK):
        (study_id, withdrawn, point, status, anchor, due, opens, closes, answered, source) = row[
            :10
        ]
        smoked_since, last_7, per_day, co_ppm, co_on = row[10:]
        if _after(answered, withdrawn):
            answered, source, smoked_since, last_7, per_day = None, "", "", None, None
        if withdrawn is not None and co_on is not None and co_on > _day(withdrawn):
            co_ppm, co_on = None, None
        yield (
            study_id,
            point,
            status,
            anchor,
            due,
            opens,
            closes,
            _day(answered),
            source,
            smoked_since,
            last_7,
            per_day,
            co_ppm,
            co_on,
        )


# --- outcomes ----------------------------------------------------------------------------------


def _rule(text: str) -> str:
    return " ".join(text.split())


OUTCOMES_COLUMNS = (
    STUDY_ID,
    Column("arm", "Arm allocated", CHOICE, _arm_choices),
    Column("point", "Follow-up point", CHOICE, _point_choices),
    Column("is_primary", "Whether this is the primary outcome's point", BOOLEAN),
    Column("co_required", "Whether this point verifies abstinence by CO", BOOLEAN),
    Column(
        "self_reported_abstinent",
        "Abstinent by self-report (Russell Standard)",
        BOOLEAN,
        derivation=_rule(outcomes.DEFINITIONS["abstinent_self"]) + " Empty when not answered.",
    ),
    Column(
        "co_verified_abstinent",
        "Abstinent, verified by CO",
        BOOLEAN,
        derivation=_rule(outcomes.DEFINITIONS["abstinent_verified"])
        + " A reading of 10 ppm or more, or a self-report of smoking, is 0. At a point without "
        "CO it is the self-report. Empty when something needed is missing.",
    ),
    Column(
        "itt_abstinent_self",
        "Abstinent by self-report, intention to treat",
        BOOLEAN,
        derivation=_rule(outcomes.DEFINITIONS["itt"]),
    ),
    Column(
        "itt_abstinent_verified",
        "Abstinent and verified, intention to treat",
        BOOLEAN,
        derivation=_rule(outcomes.DEFINITIONS["itt"]),
    ),
    Column(
        "missing_self_report",
        "The self-report is missing",
        BOOLEAN,
        derivation="1 when there is no answer (not given, follow-up missed or stopped, or "
        "given after the participant withdrew).",
    ),
    Column(
        "missing_co",
        "The CO reading is missing",
        BOOLEAN,
        derivation="1 when the point needs a CO reading inside its window and there is none for "
        "someone who did not say they smoke.",
    ),
)


def _outcomes_rows(trial: Trial) -> Iterator[tuple]:
    points = list(FollowUpPoint.objects.filter(trial=trial))
    participants = (
        Participant.objects.filter(trial=trial, allocation__isnull=False)
        .select_related("allocation__arm")
        .order_by("allocation__allocated_at", "pk")
        .only("study_id", "withdrawn_at", "allocation__arm__code", "allocation__allocated_at")
    )
    followup_fields = (
        "participant_id",
        "point_id",
        "answered_at",
        "smoked_since",
        "smoked_last_7_days",
        "co_ppm",
        "co_taken_on",
        "window_opens_on",
        "window_closes_on",
    )
    batch: list[Participant] = []

    def flush(batch: list[Participant]) -> Iterator[tuple]:
        found = {
            (row[0], row[1]): row
            for row in FollowUp.objects.filter(participant__in=batch).values_list(*followup_fields)
        }
        for participant in batch:
            withdrawn = participant.withdrawn_at
            for point in points:
                row = found.get((participant.pk, point.pk))
                answered = row is not None and row[2] is not None and not _after(row[2], withdrawn)
                co_ok = row is not None and not (
                    withdrawn is not None and row[6] is not None and row[6] > _day(withdrawn)
                )
                outcome = outcomes.outcome_at_point(
                    smoked_since=(row[3] or None) if answered else None,
                    smoked_last_7_days=row[4] if answered else None,
                    co_ppm=row[5] if co_ok else None,
                    co_taken_on=row[6] if co_ok else None,
                    window_opens_on=row[7] if row else None,
                    window_closes_on=row[8] if row else None,
                    co_required=point.co_verified,
                )
                yield (
                    participant.study_id,
                    participant.allocation.arm.code,
                    point.code,
                    point.is_primary,
                    point.co_verified,
                    outcome.self_reported,
                    outcome.verified,
                    outcome.itt_abstinent_self,
                    outcome.itt_abstinent_verified,
                    outcome.missing_self,
                    outcome.missing_co,
                )

    for participant in participants.iterator(chunk_size=CHUNK):
        batch.append(participant)
        if len(batch) >= 500:
            yield from flush(batch)
            batch = []
    if batch:
        yield from flush(batch)


# --- adverse events ----------------------------------------------------------------------------


ADVERSE_EVENTS_COLUMNS = (
    STUDY_ID,
    Column("source", "Where the event was recorded", CHOICE, _codes(AdverseEvent.Source.choices)),
    Column(
        "category",
        "Category of the event",
        TEXT,
        derivation="The safety flag's category, or the kind of event; a code, never free text.",
    ),
    Column("occurred_on", "Date of the event", DATE),
    Column("seriousness", "Seriousness", CHOICE, _codes(AdverseEvent.Seriousness.choices)),
    Column(
        "serious",
        "Serious adverse event",
        BOOLEAN,
        derivation="1 when the seriousness is death, life-threatening, hospitalisation, "
        "disability or another important medical event.",
    ),
    Column(
        "relatedness", "Relatedness to the study", CHOICE, _codes(AdverseEvent.Relatedness.choices)
    ),
    Column("expectedness", "Expectedness", CHOICE, _codes(AdverseEvent.Expectedness.choices)),
    Column(
        "assessed",
        "Assessed by the trial team",
        BOOLEAN,
        derivation="1 once a trial manager has assessed the event.",
    ),
    Column("assessed_on", "Date assessed", DATE),
)


def _adverse_events_rows(trial: Trial) -> Iterator[tuple]:
    rows = (
        AdverseEvent.objects.filter(participant__trial=trial)
        .order_by("participant_id", "occurred_on", "pk")
        .values_list(
            "participant__study_id",
            "participant__withdrawn_at",
            "created_at",
            "source",
            "category",
            "occurred_on",
            "seriousness",
            "relatedness",
            "expectedness",
            "assessed_at",
        )
    )
    serious = {str(s) for s in AdverseEvent.SERIOUS}
    for row in rows.iterator(chunk_size=CHUNK):
        study_id, withdrawn, created, source, category, occurred, seriousness, rel, exp, at = row
        if _after(created, withdrawn):
            continue
        yield (
            study_id,
            source,
            category,
            occurred,
            seriousness,
            seriousness in serious,
            rel,
            exp,
            at is not None,
            _day(at),
        )


# --- the registry ------------------------------------------------------------------------------


def _registry() -> dict[str, Dataset]:
    datasets = (
        Dataset(
            "participants",
            "Participants",
            "Everyone enrolled in the trial: status, diagnosis group, consent and withdrawal.",
            PARTICIPANTS_COLUMNS,
            _participants_rows,
        ),
        Dataset(
            "allocations",
            "Allocations",
            "The arm each randomised participant was allocated, and their stratum.",
            ALLOCATIONS_COLUMNS,
            _allocations_rows,
        ),
        Dataset(
            "baseline",
            "Baseline",
            "The baseline questionnaire (About you): smoking history, dependence, medicines, "
            "support wanted and mood.",
            BASELINE_COLUMNS,
            _baseline_rows,
        ),
        Dataset(
            "checkins",
            "Check-ins",
            "Daily check-ins: cigarettes, craving, mood, sleep and the safety question. "
            + CHECKINS_SCOPE,
            CHECKINS_COLUMNS,
            _checkins_rows,
            _checkins_copy_select,
            lambda trial: _checkins_queryset(trial).count(),
        ),
        Dataset(
            "engagement",
            "Engagement",
            "Use of the programme per participant and week since randomisation.",
            _engagement_columns(),
            _engagement_rows,
        ),
        Dataset(
            "followups",
            "Follow-ups",
            "Each follow-up: when it was due, its window, the answers and the CO reading. "
            + FOLLOWUPS_SCOPE,
            FOLLOWUPS_COLUMNS,
            _followups_rows,
        ),
        Dataset(
            "outcomes",
            "Outcomes",
            "Smoking outcomes at each follow-up point for every randomised participant, "
            "missing ones included (intention to treat).",
            OUTCOMES_COLUMNS,
            _outcomes_rows,
        ),
        Dataset(
            "adverse_events",
            "Adverse events",
            "Adverse events with their seriousness, relatedness and expectedness (never the "
            "description).",
            ADVERSE_EVENTS_COLUMNS,
            _adverse_events_rows,
        ),
    )
    return {dataset.key: dataset for dataset in datasets}


DATASETS: dict[str, Dataset] = _registry()


def dataset_get(key: str) -> Dataset:
    return DATASETS[key]
