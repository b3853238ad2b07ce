"""Setting up a trial, opening recruitment (which seals the allocation sequence) and closing it."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_variables

from accounts.models import User
from cessation import services as cessation_services
from core.exceptions import StateConflict
from core.services import audit_record
from trials import permissions, pseudonyms, sequence, strata
from trials.gate import study_forget_all
from trials.models import Arm, FollowUpPoint, SequenceSlot, Trial

SLOT_BATCH = 2000

# The example in the issue and the seeds: the programme against usual care with follow-up only,
# 1:1, stratified by diagnosis group and cigarettes per day, followed up at 4 weeks after the
# quit date (CO window days 25-42), 12 weeks and 6 months.
DEFAULT_ARMS = (
    {
        "code": "programme",
        "label": "Exhale programme",
        "description": "The whole programme: check-ins, progress, peer groups, messages.",
        "ratio": 1,
        "gets_programme": True,
    },
    {
        "code": "usual_care",
        "label": "Usual care",
        "description": "Usual care with follow-up questionnaires and crisis support only.",
        "ratio": 1,
        "gets_programme": False,
    },
)
DEFAULT_POINTS = (
    {
        "code": "4w",
        "label": "4 weeks after the quit date",
        "due_day": 28,
        "window_start_day": 25,
        "window_end_day": 42,
        "co_verified": True,
        "is_primary": True,
    },
    {
        "code": "12w",
        "label": "12 weeks",
        "due_day": 84,
        "window_start_day": 77,
        "window_end_day": 98,
        "co_verified": True,
        "is_primary": False,
    },
    {
        "code": "6m",
        "label": "6 months",
        "due_day": 182,
        "window_start_day": 168,
        "window_end_day": 210,
        "co_verified": True,
        "is_primary": False,
    },
)
DEFAULT_FACTORS = ("diagnosis_group", "per_day_band")
# The reason the trial pauses the programme's check-in reminders (cessation's schedule pause):
# a participant in an arm without the programme, or who stopped the intervention.
PAUSE_REASON = "trial"
# Addresses under /trials/ that a trial's short name must not take.
RESERVED_SLUGS = frozenset({"new"})


def _require_manager(by) -> None:
    if not permissions.can_manage_trial(by):
        raise PermissionDenied("Only trial managers (admins) set up trials.")


def _require_setup(trial: Trial) -> None:
    if trial.status != Trial.Status.SETUP:
        raise StateConflict(
            _("Recruitment has opened: arms, strata and follow-up points can no longer change.")
        )


def _check_factors(factors: list[str]) -> list[str]:
    unknown = [key for key in factors if key not in strata.FACTORS]
    if unknown:
        raise ValidationError({"strata_factors": _("Unknown stratification factor.")})
    if len(set(factors)) != len(factors):
        raise ValidationError({"strata_factors": _("Each factor once.")})
    return list(factors)


def _check_multiples(multiples: list[int]) -> list[int]:
    if not multiples or any(not isinstance(m, int) or not 1 <= m <= 6 for m in multiples):
        raise ValidationError(
            {"block_multiples": _("Give one to six block multiples, each between 1 and 6.")}
        )
    if len(set(multiples)) < 2:
        raise ValidationError(
            {"block_multiples": _("Use at least two block sizes, so blocks cannot be predicted.")}
        )
    return sorted(set(multiples))


@transaction.atomic
def trial_create(
    *,
    by,
    name: str,
    slug: str,
    recruitment_target: int,
    registration: str = "",
    strata_factors: list[str] | tuple[str, ...] = DEFAULT_FACTORS,
    block_multiples: list[int] | tuple[int, ...] = sequence.DEFAULT_BLOCK_MULTIPLES,
    with_defaults: bool = True,
    request: HttpRequest | None = None,
) -> Trial:
    """A new trial being set up; by default with the two arms and three follow-up points of
    the protocol in the seeds, which the trial manager can change until recruitment opens."""
    _require_manager(by)
    if recruitment_target < 1:
        raise ValidationError({"recruitment_target": _("The target must be at least 1.")})
    if slug in RESERVED_SLUGS:
        raise ValidationError({"slug": _("This short name is taken by a page. Choose another.")})
    if Trial.objects.filter(slug=slug).exists():
        raise ValidationError({"slug": _("Another trial already has this short name.")})
    trial = Trial.objects.create(
        name=name,
        slug=slug,
        registration=registration,
        recruitment_target=recruitment_target,
        strata_factors=_check_factors(list(strata_factors)),
        block_multiples=_check_multiples(list(block_multiples)),
        pseudonym_key=pseudonyms.key_new(),
        manager=by,
    )
    if with_defaults:
        for order, arm in enumerate(DEFAULT_ARMS):
            Arm.objects.create(trial=trial, order=order, **arm)
        for order, point in enumerate(DEFAULT_POINTS):
            FollowUpPoint.objects.create(trial=trial, order=order, **point)
    audit_record(
        actor=by, action="trial.created", target=trial, detail={"slug": slug}, request=request
    )
    return trial


@transaction.atomic
def trial_update(
    *,
    trial: Trial,
    by,
    name: str,
    registration: str,
    recruitment_target: int,
    strata_factors: list[str],
    block_multiples: list[int],
    request: HttpRequest | None = None,
) -> Trial:
    _require_manager(by)
    trial = Trial.objects.select_for_update().get(pk=trial.pk)
    if recruitment_target < 1:
        raise ValidationError({"recruitment_target": _("The target must be at least 1.")})
    design_changes = (
        list(strata_factors) != trial.strata_factors
        or sorted(set(block_multiples)) != trial.block_multiples
    )
    if trial.status != Trial.Status.SETUP and recruitment_target > trial.recruitment_target:
        # The sealed sequence holds the target in every stratum; it cannot grow without the seed.
        raise ValidationError(
            {
                "recruitment_target": _(
                    "Recruitment has opened: the sealed sequence holds %(n)s per stratum, so the "
                    "target cannot go up."
                )
                % {"n": trial.recruitment_target}
            }
        )
    if design_changes:
        _require_setup(trial)
        trial.strata_factors = _check_factors(list(strata_factors))
        trial.block_multiples = _check_multiples(list(block_multiples))
    trial.name = name
    trial.registration = registration
    trial.recruitment_target = recruitment_target
    trial.save()
    audit_record(
        actor=by,
        action="trial.updated",
        target=trial,
        detail={"design": design_changes},
        request=request,
    )
    return trial


@transaction.atomic
def arm_save(
    *,
    trial: Trial,
    by,
    code: str,
    label: str,
    ratio: int,
    gets_programme: bool,
    description: str = "",
    order: int | None = None,
    arm: Arm | None = None,
) -> Arm:
    _require_manager(by)
    _require_setup(trial)
    if not 1 <= ratio <= 9:
        raise ValidationError({"ratio": _("The ratio is a whole number from 1 to 9.")})
    arm = arm or Arm(trial=trial)
    if arm.trial_id != trial.pk:
        raise ValidationError({"arm": _("This arm belongs to another trial.")})
    arm.code, arm.label, arm.ratio = code, label, ratio
    arm.gets_programme, arm.description = gets_programme, description
    if order is not None:
        arm.order = order
    elif arm.pk is None:
        arm.order = trial.arms.count()
    try:
        with transaction.atomic():
            arm.save()
    except IntegrityError as exc:
        raise ValidationError({"code": _("Another arm of this trial has this code.")}) from exc
    audit_record(
        actor=by, action="trial.arm_saved", target=arm, detail={"trial": trial.pk, "code": code}
    )
    return arm


@transaction.atomic
def arm_delete(*, arm: Arm, by) -> None:
    _require_manager(by)
    _require_setup(arm.trial)
    audit_record(actor=by, action="trial.arm_deleted", target=arm, detail={"code": arm.code})
    arm.delete()


@transaction.atomic
def point_save(
    *,
    trial: Trial,
    by,
    code: str,
    label: str,
    anchor: str,
    due_day: int,
    window_start_day: int,
    window_end_day: int,
    co_verified: bool,
    is_primary: bool = False,
    point: FollowUpPoint | None = None,
) -> FollowUpPoint:
    _require_manager(by)
    _require_setup(trial)
    if not window_start_day <= due_day <= window_end_day:
        raise ValidationError(
            {
                "window_start_day": _(
                    "The window must start on or before the due day and end on or after it."
                )
            }
        )
    if anchor not in FollowUpPoint.Anchor.values:
        raise ValidationError({"anchor": _("Choose what the days count from.")})
    point = point or FollowUpPoint(trial=trial, order=trial.points.count())
    if point.trial_id != trial.pk:
        raise ValidationError({"point": _("This follow-up belongs to another trial.")})
    point.code, point.label, point.anchor = code, label, anchor
    point.due_day, point.window_start_day, point.window_end_day = (
        due_day,
        window_start_day,
        window_end_day,
    )
    point.co_verified, point.is_primary = co_verified, is_primary
    try:
        with transaction.atomic():
            point.save()
    except IntegrityError as exc:
        raise ValidationError(
            {"code": _("Another follow-up of this trial has this code.")}
        ) from exc
    if is_primary:
        trial.points.exclude(pk=point.pk).update(is_primary=False)
    audit_record(
        actor=by, action="trial.point_saved", target=point, detail={"trial": trial.pk, "code": code}
    )
    return point


@transaction.atomic
def point_delete(*, point: FollowUpPoint, by) -> None:
    _require_manager(by)
    _require_setup(point.trial)
    audit_record(actor=by, action="trial.point_deleted", target=point, detail={"code": point.code})
    point.delete()


@dataclass(frozen=True)
class Opened:
    trial: Trial
    seed: str  # shown once to the trial manager, never stored
    slots: int


def _arms_for_sequence(trial: Trial) -> list[tuple[str, int]]:
    return [(arm.code, arm.ratio) for arm in trial.arms.order_by("order", "code")]


@sensitive_variables("seed")
@transaction.atomic
def recruitment_open(
    *, trial: Trial, by, seed: str | None = None, request: HttpRequest | None = None
) -> Opened:
    """Open recruitment: generate and seal the allocation sequence from a seed (the statistician's,
    or a new one), keep only its digest, and return the seed once so the manager can keep it."""
    _require_manager(by)
    trial = Trial.objects.select_for_update().get(pk=trial.pk)
    _require_setup(trial)
    arms = _arms_for_sequence(trial)
    if len(arms) < 2:
        raise StateConflict(_("A trial needs at least two arms."))
    if not any(arm.gets_programme for arm in trial.arms.all()):
        raise StateConflict(_("One arm must get the programme."))
    if not trial.points.exists():
        raise StateConflict(_("Add at least one follow-up point."))
    if seed is not None and not sequence.seed_valid(seed):
        raise ValidationError(
            {"seed": _("A seed is at least 16 hexadecimal characters (0-9, a-f), an even number.")}
        )
    if Trial.objects.filter(status=Trial.Status.RECRUITING).exclude(pk=trial.pk).exists():
        raise StateConflict(_("Another trial is recruiting. Close its recruitment first."))
    seed = (seed or sequence.seed_new()).strip().lower()
    slots = sequence_store(trial=trial, seed=seed, arms=arms)
    now = timezone.now()
    trial.seed_digest = sequence.seed_digest(seed)
    trial.sequence_generated_at = now
    trial.status = Trial.Status.RECRUITING
    trial.recruitment_opened_at = now
    trial.save()
    study_forget_all()  # the study is offered from now on
    audit_record(
        actor=by,
        action="trial.recruitment_opened",
        target=trial,
        detail={"slots": slots, "strata": len(strata.strata_of(trial.strata_factors))},
        request=request,
    )
    return Opened(trial=trial, seed=seed, slots=slots)


@sensitive_variables("seed")
def sequence_store(*, trial: Trial, seed: str, arms: list[tuple[str, int]]) -> int:
    """Write the sealed sequence: enough for the whole target in every stratum."""
    batch: list[SequenceSlot] = []
    written = 0
    for slot in sequence.sequence_generate(
        seed=seed,
        trial_slug=trial.slug,
        strata=strata.strata_of(trial.strata_factors),
        arms=arms,
        block_multiples=trial.block_multiples,
        length=trial.recruitment_target,
    ):
        batch.append(
            SequenceSlot(
                trial=trial,
                stratum=slot.stratum,
                position=slot.position,
                block=slot.block,
                block_size=slot.block_size,
                arm_sealed=slot.arm,
            )
        )
        if len(batch) >= SLOT_BATCH:
            SequenceSlot.objects.bulk_create(batch)
            written += len(batch)
            batch = []
    SequenceSlot.objects.bulk_create(batch)
    return written + len(batch)


def seed_matches(*, trial: Trial, seed: str) -> bool:
    return bool(trial.seed_digest) and sequence.seed_digest(seed) == trial.seed_digest


@transaction.atomic
def recruitment_close(*, trial: Trial, by, request: HttpRequest | None = None) -> Trial:
    _require_manager(by)
    trial = Trial.objects.select_for_update().get(pk=trial.pk)
    if trial.status != Trial.Status.RECRUITING:
        raise StateConflict(_("This trial is not recruiting."))
    trial.status = Trial.Status.FOLLOW_UP
    trial.recruitment_closed_at = timezone.now()
    trial.save(update_fields=["status", "recruitment_closed_at", "updated_at"])
    study_forget_all()  # the study's step is no longer offered to those who had not answered
    audit_record(actor=by, action="trial.recruitment_closed", target=trial, request=request)
    return trial


@transaction.atomic
def trial_close(*, trial: Trial, by, request: HttpRequest | None = None) -> Trial:
    """Close the trial: follow-ups stop, and the usual-care arm is offered the programme."""
    _require_manager(by)
    trial = Trial.objects.select_for_update().get(pk=trial.pk)
    if trial.status not in (Trial.Status.RECRUITING, Trial.Status.FOLLOW_UP):
        raise StateConflict(_("Only a trial that has opened can be closed."))
    now = timezone.now()
    trial.status = Trial.Status.CLOSED
    trial.closed_at = now
    if trial.recruitment_closed_at is None:
        trial.recruitment_closed_at = now
    trial.save()
    study_forget_all()  # the arm without the programme gets it now
    # ... and its reminders, paused while they were in usual care, start again.
    for patient in User.objects.filter(trial_participations__trial=trial).distinct():
        cessation_services.schedule_resume(patient=patient, reason=PAUSE_REASON)
    audit_record(actor=by, action="trial.closed", target=trial, request=request)
    return trial


def sealed_arm(slot: SequenceSlot) -> str:
    """The arm code of a slot. Only the randomisation service calls this."""
    return slot.arm_sealed
