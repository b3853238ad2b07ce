"""The CONSORT 2010 flow of the trial, live: enrolment, allocation, follow-up at the primary point
and analysis, with the numbers that must add up, and its drawing (boxes and arrows laid out here,
drawn as SVG by templates/trials/dashboard/consort.svg, which escapes every word).

Who is where (each person counted once):

- Assessed for eligibility: everyone in the screening log, plus anyone enrolled without an entry
  in it (an entry of someone enrolled names the patient, so the two are matched).
- Excluded: not eligible and could not be reached (screening log); declined (in the screening
  log, or when their clinician asked them: Participant DECLINED); other: asked and not answered
  yet, withdrew before they were randomised, or logged as enrolled with no participant record.
- Awaiting randomisation: agreed, not yet randomised (randomisation follows the baseline).
- Randomised: allocated to an arm.

So assessed = excluded + awaiting + randomised, always.
"""

from __future__ import annotations

import textwrap
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from cessation.models import CheckIn, Craving
from peersupport.models import PeerMessage, Post
from trials.models import (
    Allocation,
    Arm,
    FollowUp,
    FollowUpPoint,
    Participant,
    ScreeningEntry,
    Trial,
    Withdrawal,
)

# Deepest first: a participant who withdrew more than once is counted at their deepest level.
LEVELS = (Withdrawal.Level.ALL, Withdrawal.Level.FOLLOW_UP, Withdrawal.Level.INTERVENTION)
LEVEL_LABELS = {
    Withdrawal.Level.ALL: gettext_lazy("Withdrew from the study"),
    Withdrawal.Level.FOLLOW_UP: gettext_lazy("Stopped follow-up"),
    Withdrawal.Level.INTERVENTION: gettext_lazy("Stopped the programme only"),
}


@dataclass
class ArmFlow:
    arm: Arm
    allocated: int = 0
    received: int = 0
    not_received: int = 0
    not_received_withdrew: int = 0  # of those who did not receive it: withdrew
    lost: int = 0  # missed the primary follow-up
    discontinued: dict[str, int] = field(default_factory=dict)  # Withdrawal.Level -> n
    analysed: int = 0
    excluded_from_analysis: int = 0

    @property
    def discontinued_total(self) -> int:
        return sum(self.discontinued.values())

    @property
    def not_received_other(self) -> int:
        return self.not_received - self.not_received_withdrew


@dataclass
class Flow:
    trial: Trial
    primary: FollowUpPoint | None
    assessed: int = 0
    not_eligible: int = 0
    declined_screening: int = 0
    declined_study: int = 0
    not_reached: int = 0
    still_deciding: int = 0
    withdrew_before: int = 0
    enrolled_unregistered: int = 0
    awaiting: int = 0
    randomised: int = 0
    reasons: dict[str, dict[str, int]] = field(default_factory=dict)  # outcome -> reason -> n
    arms: list[ArmFlow] = field(default_factory=list)

    @property
    def declined(self) -> int:
        return self.declined_screening + self.declined_study

    @property
    def other(self) -> int:
        return self.still_deciding + self.withdrew_before + self.enrolled_unregistered

    @property
    def excluded(self) -> int:
        return self.not_eligible + self.declined + self.not_reached + self.other

    @property
    def adds_up(self) -> bool:
        return (
            self.assessed == self.excluded + self.awaiting + self.randomised
            and self.randomised == sum(arm.allocated for arm in self.arms)
            and all(arm.allocated == arm.received + arm.not_received for arm in self.arms)
            and all(arm.analysed + arm.excluded_from_analysis == arm.allocated for arm in self.arms)
        )


def _used_after_allocation() -> Q:
    """The participant used the programme at least once after being randomised."""
    patient, since = OuterRef("participant__patient_id"), OuterRef("allocated_at")
    return Q(
        Exists(CheckIn.objects.filter(patient_id=patient, created_at__gte=since))
        | Exists(Craving.objects.filter(patient_id=patient, at__gte=since))
        | Exists(Post.objects.filter(author_id=patient, created_at__gte=since))
        | Exists(PeerMessage.objects.filter(sender_id=patient, created_at__gte=since))
    )


def flow(*, trial: Trial) -> Flow:
    """The CONSORT numbers of the trial, now. Six queries, whatever the number of people."""
    arms = list(Arm.objects.filter(trial=trial).order_by("order", "pk"))
    primary = (
        FollowUpPoint.objects.filter(trial=trial)
        .order_by("-is_primary", "order", "due_day", "pk")
        .first()
    )
    result = Flow(trial=trial, primary=primary)

    # Enrolment: the screening log, matched to participants by the patient it names.
    participants = Participant.objects.filter(trial=trial)
    entries = (
        ScreeningEntry.objects.filter(trial=trial)
        .annotate(
            matched=Exists(participants.filter(patient_id=OuterRef("patient_id"))),
        )
        .values("outcome", "reason", "matched")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in entries:
        if row["matched"]:
            continue  # counted below, as a participant
        outcome, n = row["outcome"], row["n"]
        result.assessed += n
        if outcome == ScreeningEntry.Outcome.INELIGIBLE:
            result.not_eligible += n
        elif outcome == ScreeningEntry.Outcome.DECLINED:
            result.declined_screening += n
        elif outcome == ScreeningEntry.Outcome.NOT_REACHED:
            result.not_reached += n
        else:
            result.enrolled_unregistered += n
        if outcome != ScreeningEntry.Outcome.ENROLLED:
            reasons = result.reasons.setdefault(outcome, {})
            reasons[row["reason"] or ""] = reasons.get(row["reason"] or "", 0) + n

    people = (
        participants.values("status")
        .annotate(
            n=Count("pk"),
            randomised=Count("pk", filter=Q(allocation__isnull=False)),
        )
        .order_by()
    )
    for row in people:
        status, n, randomised = row["status"], row["n"], row["randomised"]
        result.assessed += n
        result.randomised += randomised
        left = n - randomised
        if status == Participant.Status.DECLINED:
            result.declined_study += left
        elif status == Participant.Status.CONSENTED:
            result.awaiting += left
        elif status == Participant.Status.ENROLLED:
            result.still_deciding += left
        else:  # withdrew (or anything else) before being randomised
            result.withdrew_before += left

    # Allocation: who received what they were allocated.
    by_arm = {arm.pk: ArmFlow(arm=arm) for arm in arms}
    allocations = (
        Allocation.objects.filter(participant__trial=trial)
        .annotate(
            used=_used_after_allocation()
            | Q(participant__patient__onboarding_journey__finished_at__isnull=False),
            withdrew=Exists(Withdrawal.objects.filter(participant_id=OuterRef("participant_id"))),
        )
        .values("arm_id", "used", "withdrew")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in allocations:
        item = by_arm[row["arm_id"]]
        item.allocated += row["n"]
        if item.arm.gets_programme and not row["used"]:
            item.not_received += row["n"]
            if row["withdrew"]:
                item.not_received_withdrew += row["n"]
        else:
            item.received += row["n"]

    # Follow-up at the primary point: missed (lost) and withdrawals by their deepest level.
    if primary is not None:
        lost = (
            FollowUp.objects.filter(
                point=primary,
                status=FollowUp.Status.MISSED,
                participant__allocation__isnull=False,
            )
            .values("participant__allocation__arm_id")
            .annotate(n=Count("pk"))
            .order_by()
        )
        for row in lost:
            by_arm[row["participant__allocation__arm_id"]].lost = row["n"]
    deepest: dict[int, tuple[int, str]] = {}
    withdrawals = Withdrawal.objects.filter(
        participant__trial=trial, participant__allocation__isnull=False
    ).values_list("participant_id", "participant__allocation__arm_id", "level")
    for participant_id, arm_id, level in withdrawals.iterator(2000):
        rank = LEVELS.index(level) if level in LEVELS else len(LEVELS)
        if participant_id not in deepest or rank < LEVELS.index(deepest[participant_id][1]):
            deepest[participant_id] = (arm_id, level)
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    for arm_id, level in deepest.values():
        counts[arm_id][level] = counts[arm_id].get(level, 0) + 1
    for item in by_arm.values():
        item.discontinued = {level: counts[item.arm.pk].get(level, 0) for level in LEVELS}
        # Intention to treat: everyone randomised is analysed in their arm. The study consent
        # keeps what was collected before a withdrawal, so nobody is excluded.
        item.analysed = item.allocated
        item.excluded_from_analysis = 0
    result.arms = [by_arm[arm.pk] for arm in arms]
    return result


DEFINITION = gettext_noop(
    "The CONSORT 2010 flow of participants, live. Assessed for eligibility: everyone in the "
    "screening log (and anyone enrolled without an entry). Excluded: not eligible, declined "
    "(when approached, or when asked to agree), not reached, and other (still deciding, withdrew "
    "before randomisation). Awaiting randomisation: agreed, baseline not done yet. Received the "
    "allocated intervention: in an arm with the programme, finished onboarding or used it at "
    "least once after randomisation; in usual care, everyone. Lost to follow-up: missed the "
    "primary follow-up. Discontinued: withdrew, counted at the deepest level. Analysed: "
    "everyone randomised, in the arm they were allocated to (intention to treat); nobody is "
    "excluded from analysis, because the study consent keeps the data collected before a "
    "withdrawal."
)


# --- The drawing ---------------------------------------------------------------------------------

LINE = 18  # px between lines of text
PAD = 10  # px inside a box
CHARS = 42  # characters per line at 13 px in a box 330 px wide
INDENT = 12  # px per level of indent
COLUMN = 330
GAP = 40
MARGIN = 20
PHASE = 28  # the height of a phase heading


@dataclass
class Box:
    x: int
    y: int
    width: int
    lines: list[tuple[int, str]]  # (indent level, words)
    strong: bool = False  # the first line is the box's heading

    @property
    def height(self) -> int:
        return 2 * PAD + LINE * len(self.lines)

    @property
    def bottom(self) -> int:
        return self.y + self.height

    @property
    def middle_x(self) -> int:
        return self.x + self.width // 2

    @property
    def middle_y(self) -> int:
        return self.y + self.height // 2

    @property
    def text_lines(self) -> list[dict]:
        return [
            {
                "x": self.x + PAD + INDENT * level,
                "y": self.y + PAD + LINE * index + 13,
                "text": text,
                "strong": self.strong and not level,
            }
            for index, (level, text) in enumerate(self.lines)
        ]


@dataclass
class Diagram:
    title: str
    description: str
    width: int
    height: int
    boxes: list[Box]
    arrows: list[list[tuple[int, int]]]  # polylines, an arrowhead at the end of each
    phases: list[dict]

    @property
    def polylines(self) -> list[str]:
        return [" ".join(f"{x},{y}" for x, y in points) for points in self.arrows]


def _lines(*items: str | tuple[int, str]) -> list[tuple[int, str]]:
    """Lines of a box: the first item is its heading, the others one level in (or at the level
    given as (level, words)); long items wrap onto lines further in."""
    lines: list[tuple[int, str]] = []
    for index, item in enumerate(items):
        level, words = item if isinstance(item, tuple) else (min(index, 1), item)
        width = CHARS - 2 * level
        first, *rest = textwrap.wrap(words, width) or [""]
        lines.append((level, first))
        lines.extend((level + 1, more) for more in textwrap.wrap(" ".join(rest), width - 2))
    return lines


def diagram(result: Flow) -> Diagram:
    """Boxes and arrows of the flow: enrolment across the top, one column per arm below."""
    n_arms = max(len(result.arms), 1)
    width = 2 * MARGIN + n_arms * COLUMN + (n_arms - 1) * GAP
    width = max(width, 2 * MARGIN + 2 * COLUMN + GAP)
    boxes: list[Box] = []
    arrows: list[list[tuple[int, int]]] = []
    phases: list[dict] = []

    y = MARGIN
    phases.append({"x": MARGIN, "y": y + 16, "text": _("Enrolment")})
    y += PHASE
    assessed = Box(
        MARGIN,
        y,
        COLUMN,
        _lines(_("Assessed for eligibility (n=%(n)s)") % {"n": result.assessed}),
        strong=True,
    )
    excluded = Box(
        width - MARGIN - COLUMN,
        y + assessed.height + 12,
        COLUMN,
        _lines(
            _("Excluded (n=%(n)s)") % {"n": result.excluded},
            _("Not eligible (n=%(n)s)") % {"n": result.not_eligible},
            _("Declined (n=%(n)s)") % {"n": result.declined},
            _("Could not be reached (n=%(n)s)") % {"n": result.not_reached},
            _("Other: still deciding, withdrew before randomisation (n=%(n)s)")
            % {"n": result.other},
        ),
        strong=True,
    )
    boxes += [assessed, excluded]
    trunk_x = assessed.middle_x
    randomised_y = excluded.bottom + 24
    arrows.append([(trunk_x, assessed.bottom), (trunk_x, randomised_y)])
    arrows.append([(trunk_x, excluded.middle_y), (excluded.x, excluded.middle_y)])
    randomised = Box(
        MARGIN,
        randomised_y,
        COLUMN,
        _lines(_("Randomised (n=%(n)s)") % {"n": result.randomised}),
        strong=True,
    )
    awaiting = Box(
        width - MARGIN - COLUMN,
        randomised_y,
        COLUMN,
        _lines(_("Agreed, awaiting randomisation (n=%(n)s)") % {"n": result.awaiting}),
    )
    boxes += [randomised, awaiting]
    y = randomised.bottom + 24

    columns = [MARGIN + index * (COLUMN + GAP) for index in range(n_arms)]
    rows: list[list[list[str]]] = [[], [], []]
    point = result.primary.label if result.primary else _("the primary follow-up")
    for item in result.arms:
        allocated = _("Allocated to %(arm)s (n=%(n)s)") % {
            "arm": item.arm.label,
            "n": item.allocated,
        }
        received = _("Received the allocated intervention (n=%(n)s)") % {"n": item.received}
        if item.arm.gets_programme:
            rows[0].append(
                _lines(
                    allocated,
                    received,
                    _("Did not receive it (n=%(n)s)") % {"n": item.not_received},
                    (2, _("Withdrew (n=%(n)s)") % {"n": item.not_received_withdrew}),
                    (2, _("Did not start (n=%(n)s)") % {"n": item.not_received_other}),
                )
            )
        else:
            rows[0].append(_lines(allocated, received))
        rows[1].append(
            _lines(
                _("Lost to follow-up (n=%(n)s)") % {"n": item.lost},
                (1, _("Missed the follow-up at %(point)s") % {"point": point}),
                (0, _("Discontinued (n=%(n)s)") % {"n": item.discontinued_total}),
                *((1, f"{LEVEL_LABELS[level]} (n={n})") for level, n in item.discontinued.items()),
            )
        )
        rows[2].append(
            _lines(
                _("Analysed (n=%(n)s)") % {"n": item.analysed},
                (0, _("Excluded from analysis (n=%(n)s)") % {"n": item.excluded_from_analysis}),
            )
        )
    previous: list[Box] = []
    for title, row in zip((_("Allocation"), _("Follow-up"), _("Analysis")), rows, strict=True):
        phases.append({"x": MARGIN, "y": y + 16, "text": title})
        split_y = y + PHASE // 2
        y += PHASE
        current = [
            Box(columns[index], y, COLUMN, lines, strong=True) for index, lines in enumerate(row)
        ]
        for index, box in enumerate(current):
            if previous:
                arrows.append([(box.middle_x, previous[index].bottom), (box.middle_x, box.y)])
            else:
                # From the randomised box down, across, and down into each arm.
                arrows.append(
                    [
                        (trunk_x, randomised.bottom),
                        (trunk_x, split_y),
                        (box.middle_x, split_y),
                        (box.middle_x, box.y),
                    ]
                )
        boxes += current
        y += max((box.height for box in current), default=0) + 24
        previous = current
    y += MARGIN - 24

    arm_words = "; ".join(
        _(
            "%(arm)s: allocated %(a)s, received %(r)s, lost %(l)s, discontinued %(d)s, "
            "analysed %(n)s"
        )
        % {
            "arm": item.arm.label,
            "a": item.allocated,
            "r": item.received,
            "l": item.lost,
            "d": item.discontinued_total,
            "n": item.analysed,
        }
        for item in result.arms
    )
    description = _(
        "Assessed for eligibility %(assessed)s; excluded %(excluded)s; awaiting randomisation "
        "%(awaiting)s; randomised %(randomised)s. %(arms)s."
    ) % {
        "assessed": result.assessed,
        "excluded": result.excluded,
        "awaiting": result.awaiting,
        "randomised": result.randomised,
        "arms": arm_words,
    }
    return Diagram(
        title=_("CONSORT flow diagram: %(trial)s") % {"trial": result.trial.name},
        description=description,
        width=width,
        height=y,
        boxes=boxes,
        arrows=arrows,
        phases=phases,
    )
