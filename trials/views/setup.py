"""Trial set-up pages for trial managers (admins): the trials, their arms and follow-up points,
opening recruitment (the seed is shown once) and closing it."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from accounts.decorators import role_required
from accounts.models import Role
from core.exceptions import StateConflict
from core.forms import apply_form_errors
from trials import selectors, strata
from trials.forms_setup import ArmForm, ConfirmForm, OpenRecruitmentForm, PointForm, TrialForm
from trials.models import Arm, FollowUpPoint, Participant, Trial
from trials.services import setup


def _trial(slug: str) -> Trial:
    return selectors.trial_get(slug=slug)


# The trial's other pages, each from its own part of the app.
TRIAL_LINKS = (
    ("dashboard", _lazy("Dashboard and CONSORT flow")),
    ("participation_list", _lazy("Participants")),
    ("screening", _lazy("Screening log")),
    ("adverse_event_list", _lazy("Adverse events")),
    ("exports", _lazy("Export the data")),
)


def _links(trial: Trial) -> list[tuple[str, str]]:
    links = []
    for name, label in TRIAL_LINKS:
        try:
            links.append((label, reverse(f"trials:{name}", kwargs={"slug": trial.slug})))
        except NoReverseMatch:
            try:
                links.append((label, reverse(f"trials:{name}")))
            except NoReverseMatch:
                continue
    return links


@role_required(Role.ADMIN)
def trial_list_view(request: HttpRequest) -> HttpResponse:
    trials = selectors.trials_all().annotate(
        randomised=Count("participants", filter=Q(participants__allocation__isnull=False))
    )
    return render(request, "trials/setup/trial_list.html", {"trials": trials})


@role_required(Role.ADMIN)
def trial_create_view(request: HttpRequest) -> HttpResponse:
    form = TrialForm(
        request.POST or None,
        initial={
            "strata_factors": list(setup.DEFAULT_FACTORS),
            "block_multiples": [1, 2, 3],
            "recruitment_target": 60,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            trial = setup.trial_create(by=request.user, request=request, **form.cleaned_data)
        except ValidationError as exc:
            apply_form_errors(form, exc)
        else:
            messages.success(
                request,
                _("Trial created with two arms and three follow-ups. Check them before opening."),
            )
            return redirect("trials:trial_detail", slug=trial.slug)
    return render(request, "trials/setup/trial_form.html", {"form": form, "trial": None})


@role_required(Role.ADMIN)
def trial_detail_view(request: HttpRequest, slug: str) -> HttpResponse:
    trial = _trial(slug)
    counts = dict(
        Participant.objects.filter(trial=trial)
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    factors = [strata.FACTORS[key] for key in trial.strata_factors if key in strata.FACTORS]
    ratio = sum(arm.ratio for arm in trial.arms.all())
    return render(
        request,
        "trials/setup/trial_detail.html",
        {
            "trial": trial,
            "factors": factors,
            "strata_count": len(strata.strata_of(trial.strata_factors)),
            "block_sizes": [m * ratio for m in trial.block_multiples],
            "counts": counts,
            "editable": trial.status == Trial.Status.SETUP,
            "links": _links(trial),
        },
    )


@role_required(Role.ADMIN)
def trial_edit_view(request: HttpRequest, slug: str) -> HttpResponse:
    trial = _trial(slug)
    initial = {
        "name": trial.name,
        "slug": trial.slug,
        "registration": trial.registration,
        "recruitment_target": trial.recruitment_target,
        "strata_factors": trial.strata_factors,
        "block_multiples": trial.block_multiples,
    }
    form = TrialForm(request.POST or None, initial=initial, editing=True)
    if trial.status != Trial.Status.SETUP:
        form.fields["strata_factors"].disabled = True
        form.fields["block_multiples"].disabled = True
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "slug"}
        try:
            setup.trial_update(trial=trial, by=request.user, request=request, **data)
        except (ValidationError, StateConflict) as exc:
            apply_form_errors(
                form, exc if isinstance(exc, ValidationError) else ValidationError(str(exc))
            )
        else:
            messages.success(request, _("Saved."))
            return redirect("trials:trial_detail", slug=trial.slug)
    return render(request, "trials/setup/trial_form.html", {"form": form, "trial": trial})


def _refuse_if_not_setup(request: HttpRequest, trial: Trial) -> HttpResponse | None:
    if trial.status == Trial.Status.SETUP:
        return None
    messages.error(
        request, _("Recruitment has opened: arms and follow-up points can no longer change.")
    )
    return redirect("trials:trial_detail", slug=trial.slug)


@role_required(Role.ADMIN)
def arm_edit_view(request: HttpRequest, slug: str, arm_id: int | None = None) -> HttpResponse:
    trial = _trial(slug)
    arm = get_object_or_404(Arm, pk=arm_id, trial=trial) if arm_id else None
    if refused := _refuse_if_not_setup(request, trial):
        return refused
    initial = (
        {
            "code": arm.code,
            "label": arm.label,
            "description": arm.description,
            "ratio": arm.ratio,
            "gets_programme": arm.gets_programme,
        }
        if arm
        else {"ratio": 1}
    )
    form = ArmForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            setup.arm_save(trial=trial, by=request.user, arm=arm, **form.cleaned_data)
        except ValidationError as exc:
            apply_form_errors(form, exc)
        except StateConflict as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Arm saved."))
            return redirect("trials:trial_detail", slug=trial.slug)
    return render(
        request,
        "trials/setup/edit_form.html",
        {
            "form": form,
            "trial": trial,
            "heading": _("Edit an arm") if arm else _("Add an arm"),
            "button": _("Save the arm"),
        },
    )


@role_required(Role.ADMIN)
@require_POST
def arm_delete_view(request: HttpRequest, slug: str, arm_id: int) -> HttpResponse:
    trial = _trial(slug)
    arm = get_object_or_404(Arm, pk=arm_id, trial=trial)
    try:
        setup.arm_delete(arm=arm, by=request.user)
    except StateConflict as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Arm removed."))
    return redirect("trials:trial_detail", slug=trial.slug)


@role_required(Role.ADMIN)
def point_edit_view(request: HttpRequest, slug: str, point_id: int | None = None) -> HttpResponse:
    trial = _trial(slug)
    point = get_object_or_404(FollowUpPoint, pk=point_id, trial=trial) if point_id else None
    if refused := _refuse_if_not_setup(request, trial):
        return refused
    fields = (
        "code",
        "label",
        "anchor",
        "due_day",
        "window_start_day",
        "window_end_day",
        "co_verified",
        "is_primary",
    )
    initial = (
        {name: getattr(point, name) for name in fields}
        if point
        else {"anchor": FollowUpPoint.Anchor.QUIT_DATE}
    )
    form = PointForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            setup.point_save(trial=trial, by=request.user, point=point, **form.cleaned_data)
        except ValidationError as exc:
            apply_form_errors(form, exc)
        except StateConflict as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Follow-up saved."))
            return redirect("trials:trial_detail", slug=trial.slug)
    return render(
        request,
        "trials/setup/edit_form.html",
        {
            "form": form,
            "trial": trial,
            "heading": _("Edit a follow-up") if point else _("Add a follow-up"),
            "intro": _(
                "The questionnaire opens on the first day of the window and the participant is "
                "reminded until it closes. Answers and CO readings are accepted only inside the "
                "window."
            ),
            "button": _("Save the follow-up"),
        },
    )


@role_required(Role.ADMIN)
@require_POST
def point_delete_view(request: HttpRequest, slug: str, point_id: int) -> HttpResponse:
    trial = _trial(slug)
    point = get_object_or_404(FollowUpPoint, pk=point_id, trial=trial)
    try:
        setup.point_delete(point=point, by=request.user)
    except StateConflict as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Follow-up removed."))
    return redirect("trials:trial_detail", slug=trial.slug)


@sensitive_post_parameters("seed")
@role_required(Role.ADMIN)
def recruitment_open_view(request: HttpRequest, slug: str) -> HttpResponse:
    """Open recruitment. The answer shows the seed once and is never cached."""
    trial = _trial(slug)
    if refused := _refuse_if_not_setup(request, trial):
        return refused
    form = OpenRecruitmentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            opened = setup.recruitment_open(
                trial=trial,
                by=request.user,
                seed=form.cleaned_data["seed"] or None,
                request=request,
            )
        except ValidationError as exc:
            apply_form_errors(form, exc)
        except StateConflict as exc:
            form.add_error(None, str(exc))
        else:
            response = render(
                request,
                "trials/setup/seed_once.html",
                {"trial": opened.trial, "seed": opened.seed, "slots": opened.slots},
            )
            add_never_cache_headers(response)
            return response
    return render(request, "trials/setup/open_form.html", {"form": form, "trial": trial})


def _confirmed_action(request: HttpRequest, slug: str, action, template: str, done: str):
    trial = _trial(slug)
    form = ConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            action(trial=trial, by=request.user, request=request)
        except StateConflict as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, done)
        return redirect("trials:trial_detail", slug=trial.slug)
    return render(request, template, {"form": form, "trial": trial})


@role_required(Role.ADMIN)
def recruitment_close_view(request: HttpRequest, slug: str) -> HttpResponse:
    return _confirmed_action(
        request,
        slug,
        setup.recruitment_close,
        "trials/setup/close_recruitment.html",
        _("Recruitment closed. Follow-up continues."),
    )


@role_required(Role.ADMIN)
def trial_close_view(request: HttpRequest, slug: str) -> HttpResponse:
    return _confirmed_action(
        request,
        slug,
        setup.trial_close,
        "trials/setup/close_trial.html",
        _("Trial closed. Follow-ups have stopped and everyone is offered the programme."),
    )
