"""The patient's own onboarding: one screen per step, with the progress bar, resumable at any
point. A step asked for before the ones before it are done sends the person, with a clear
message, to the step they are on; doing a step again changes the answers, never duplicates.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from functools import wraps
from http import HTTPStatus

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from accounts.decorators import role_required
from accounts.models import Role
from cessation import selectors as cessation_selectors
from cessation.forms import QuitPlanForm
from cessation.models import Product
from cessation.services import patient_today
from cessation.views.patient import medication_note
from core.exceptions import StateConflict
from core.forms import apply_form_errors
from onboarding import baseline as rules
from onboarding import quiz, selectors, services
from onboarding.context_processors import TOUR_RETURN_KEY
from onboarding.forms import BaselineForm, ConsentForm, QuizForm
from onboarding.models import Consent, ContentVersion
from onboarding.registry import steps
from onboarding.selectors import JourneyState
from onboarding.steps import (
    ABOUT_YOU,
    CONSENT,
    GROUPS,
    PRIVACY,
    QUIT_PLAN,
    SAFETY_PLAN,
    TOUR,
    WELCOME,
)
from onboarding.views.common import step_context, tour_context
from peersupport import selectors as peer_selectors
from peersupport.forms.member import PseudonymForm
from safety import selectors as safety_selectors
from safety.forms import SafetyPlanForm

# Sensible defaults for a new quit plan: a date a week away (time to prepare, close enough to
# keep the resolve), and a typical UK pack of 20 at its typical price.
DEFAULT_QUIT_IN_DAYS = 7
DEFAULT_PACK_PRICE = Decimal("16.00")
DEFAULT_PACK_SIZE = 20

SAFETY_PLAN_EXAMPLES = {
    "warning_signs": [
        gettext_lazy("I stop answering my phone"),
        gettext_lazy("I can't sleep"),
        gettext_lazy("I feel on edge"),
    ],
    "coping_strategies": [
        gettext_lazy("Go for a walk"),
        gettext_lazy("Play loud music"),
        gettext_lazy("Take a shower"),
    ],
    "distractions": [
        gettext_lazy("My sister's kitchen"),
        gettext_lazy("The library"),
        gettext_lazy("The park café"),
    ],
    "people_to_ask": [
        gettext_lazy("Mum"),
        gettext_lazy("My friend from the group at the hospital"),
    ],
    "professionals": [
        gettext_lazy("My care coordinator"),
        gettext_lazy("The crisis line"),
        gettext_lazy("My GP"),
    ],
    "safe_environment": [gettext_lazy("Ask someone to look after my tablets")],
    "reasons_to_live": [
        gettext_lazy("My dog"),
        gettext_lazy("My children"),
        gettext_lazy("Getting back to football"),
    ],
}


def next_url(state: JourneyState | None) -> str:
    """Where to go after a step: the first step not done, or home when everything is."""
    if state is None or state.current is None:
        return reverse("accounts:patient_home")
    return reverse(state.current.step.url_name)


def _state(request: HttpRequest) -> JourneyState | None:
    return selectors.journey_state_for(patient=request.user)


def _after_step(request: HttpRequest) -> HttpResponse:
    state = _state(request)
    if state is not None and state.current is None:
        messages.success(
            request,
            _("You have finished setting up. Welcome to Exhale. You can change anything later."),
        )
    return redirect(next_url(state))


def journey_step(key: str) -> Callable:
    """A patient's step page: the step is recorded as seen, or the person is taken to the step
    they are on when this one is not open yet (a typed or old link)."""

    def decorator(view: Callable) -> Callable:
        @role_required(Role.PATIENT)
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            try:
                state = services.step_open(patient=request.user, step=key)
            except services.NoJourney:
                return redirect("onboarding:start")
            except services.StepNotReachable as exc:
                if exc.first_open is None:
                    raise Http404("No such step.") from exc
                messages.info(
                    request,
                    _("Let's finish “%(step)s” first. The steps go in order.")
                    % {"step": steps.get(exc.first_open).title},
                )
                return redirect(steps.get(exc.first_open).url_name)
            return view(request, state, *args, **kwargs)

        return wrapper

    return decorator


def _render_step(
    request: HttpRequest,
    state: JourneyState,
    key: str,
    template: str,
    context: dict,
    status: int = HTTPStatus.OK,
) -> HttpResponse:
    return render(request, template, {**step_context(state, key), **context}, status=status)


# --- Start and resume ----------------------------------------------------------------------------


@role_required(Role.PATIENT)
def start_view(request: HttpRequest) -> HttpResponse:
    """Resume where the person left off; once finished, the list of steps to look back at."""
    state = _state(request)
    if state is None:
        # Joined before onboarding existed: nothing to resume, unless they withdrew since, when
        # the way back in is agreeing again.
        if selectors.programme_open_to(patient=request.user):
            return redirect("accounts:patient_home")
        return redirect("onboarding:consent_again", kind=Consent.Kind.PROGRAMME)
    if state.current is not None:
        return redirect(state.current.step.url_name)
    return render(request, "onboarding/finished.html", {"state": state})


@role_required(Role.PATIENT)
@require_POST
def skip_view(request: HttpRequest, step: str) -> HttpResponse:
    """ "Do this later" on a step that is not essential."""
    definition = steps.get(step)
    if definition is None:
        raise Http404("No such step.")
    try:
        services.step_skip(patient=request.user, step=step, by=request.user)
    except services.NoJourney:
        return redirect("onboarding:start")
    except services.StepNotReachable as exc:
        messages.info(request, _("Let's finish the earlier steps first."))
        return redirect(steps.get(exc.first_open).url_name if exc.first_open else "home")
    except ValidationError:
        messages.error(request, _("This step is needed before you can go on."))
        return redirect(definition.url_name)
    if step == TOUR:
        request.session.pop(TOUR_RETURN_KEY, None)
    messages.info(
        request,
        _("Left for later. “%(step)s” stays on your home page until you come back to it.")
        % {"step": definition.title},
    )
    return _after_step(request)


# --- 1 and 2: welcome, your data -----------------------------------------------------------------


def _explainer_step(request, state, key: str, content_key: str, template: str) -> HttpResponse:
    if request.method == "POST":
        services.step_complete(patient=request.user, step=key, by=request.user)
        return _after_step(request)
    return _render_step(
        request,
        state,
        key,
        template,
        {"text": selectors.content_current(key=content_key)},
    )


@require_http_methods(["GET", "POST"])
@journey_step(WELCOME)
def welcome_view(request: HttpRequest, state: JourneyState) -> HttpResponse:
    return _explainer_step(
        request, state, WELCOME, ContentVersion.Key.WELCOME, "onboarding/steps/welcome.html"
    )


@require_http_methods(["GET", "POST"])
@journey_step(PRIVACY)
def privacy_step_view(request: HttpRequest, state: JourneyState) -> HttpResponse:
    return _explainer_step(
        request, state, PRIVACY, ContentVersion.Key.PRIVACY_EASY, "onboarding/steps/privacy.html"
    )


# --- 3: consent ----------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@journey_step(CONSENT)
def consent_view(request: HttpRequest, state: JourneyState) -> HttpResponse:
    text = selectors.content_current(key=ContentVersion.Key.CONSENT_PROGRAMME)
    existing = selectors.consent_active(patient=request.user, kind=Consent.Kind.PROGRAMME)
    form = ConsentForm(request.POST or None, initial={"version": text.version if text else None})
    context = {"text": text, "form": form, "existing": existing, "stale": False}
    if request.method == "POST" and form.is_valid():
        try:
            services.consent_give(
                patient=request.user,
                by=request.user,
                kind=Consent.Kind.PROGRAMME,
                version=form.cleaned_data["version"],
                request=request,
            )
        except services.StaleText as exc:
            # The words changed while the page was open: show the new ones, agree again.
            context.update(
                text=exc.current,
                stale=True,
                form=ConsentForm(initial={"version": exc.current.version}),
            )
            return _render_step(
                request,
                state,
                CONSENT,
                "onboarding/steps/consent.html",
                context,
                HTTPStatus.CONFLICT,
            )
        except StateConflict as exc:
            messages.error(request, str(exc))
            return redirect("onboarding:consent")
        return _after_step(request)
    status = HTTPStatus.BAD_REQUEST if form.errors else HTTPStatus.OK
    return _render_step(request, state, CONSENT, "onboarding/steps/consent.html", context, status)


# --- 4: about you --------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@journey_step(ABOUT_YOU)
def about_you_view(request: HttpRequest, state: JourneyState) -> HttpResponse:
    baseline = selectors.baseline_for(patient=request.user)
    form = BaselineForm(request.POST or None, initial=BaselineForm.initial_from(baseline))
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.baseline_save(
                patient=request.user, by=request.user, **form.cleaned_data
            )
        except ValidationError as exc:
            apply_form_errors(form, exc)
        else:
            if saved.mood <= rules.LOW_MOOD_AT_OR_BELOW:
                messages.info(
                    request,
                    _(
                        "Thank you for telling us your mood is low today. If you feel unsafe, "
                        "press “Get help now” at the top of any page."
                    ),
                )
            return _after_step(request)
    return _render_step(
        request,
        state,
        ABOUT_YOU,
        "onboarding/steps/about_you.html",
        {"form": form, "baseline": baseline},
        HTTPStatus.BAD_REQUEST if form.errors else HTTPStatus.OK,
    )


# --- 5: safety plan ------------------------------------------------------------------------------


def safety_plan_rows(form: SafetyPlanForm) -> list[dict]:
    return [
        {"field": form[name], "examples": SAFETY_PLAN_EXAMPLES.get(name, [])}
        for name in form.fields
    ]


@require_http_methods(["GET", "POST"])
@journey_step(SAFETY_PLAN)
def safety_plan_view(request: HttpRequest, state: JourneyState) -> HttpResponse:
    plan = safety_selectors.safety_plan_for(patient=request.user)
    initial = {section["name"]: section["text"] for section in plan.sections()}
    form = SafetyPlanForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.safety_plan_step_save(
                patient=request.user, by=request.user, sections=form.cleaned_data
            )
        except ValidationError as exc:
            apply_form_errors(form, exc)
        else:
            messages.success(
                request,
                _("Your safety plan is saved. It shows when you press “Get help now”."),
            )
            return _after_step(request)
    return _render_step(
        request,
        state,
        SAFETY_PLAN,
        "onboarding/steps/safety_plan.html",
        {"form": form, "rows": safety_plan_rows(form)},
        HTTPStatus.BAD_REQUEST if form.errors else HTTPStatus.OK,
    )


# --- 6: quit plan --------------------------------------------------------------------------------


def quit_plan_initial(patient, plan) -> dict:
    """The plan as it is, or sensible defaults from "About you" for a new one."""
    if plan is not None:
        return QuitPlanForm.initial_from(plan)
    baseline = selectors.baseline_for(patient=patient)
    initial = {
        "quit_date": patient_today(patient) + timedelta(days=DEFAULT_QUIT_IN_DAYS),
        "product": Product.CIGARETTES,
        "pack_price": DEFAULT_PACK_PRICE,
        "pack_size": DEFAULT_PACK_SIZE,
    }
    if baseline is not None:
        initial["per_day"] = baseline.per_day or ""
        initial["time_to_first"] = baseline.time_to_first
    return initial


@require_http_methods(["GET", "POST"])
@journey_step(QUIT_PLAN)
def quit_plan_view(request: HttpRequest, state: JourneyState) -> HttpResponse:
    plan = cessation_selectors.quit_plan_for(patient=request.user)
    form = QuitPlanForm(request.POST or None, initial=quit_plan_initial(request.user, plan))
    if request.method == "POST" and form.is_valid():
        try:
            services.quit_plan_step_save(
                patient=request.user, by=request.user, **form.service_kwargs()
            )
        except ValidationError as exc:
            apply_form_errors(form, exc)
        else:
            messages.success(request, _("Your quit plan is saved."))
            note = medication_note(request.user)
            if note:
                messages.info(request, note)
            return _after_step(request)
    return _render_step(
        request,
        state,
        QUIT_PLAN,
        "onboarding/steps/quit_plan.html",
        {"form": form, "plan": plan},
        HTTPStatus.BAD_REQUEST if form.errors else HTTPStatus.OK,
    )


# --- 7: the tour ---------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@journey_step(TOUR)
def tour_view(request: HttpRequest, state: JourneyState) -> HttpResponse:
    """The tour's stops, each with what it shows and whether it was tried; finish when ready."""
    if request.method == "POST":
        request.session.pop(TOUR_RETURN_KEY, None)
        services.tour_finish(
            patient=request.user, by=request.user, watched=request.POST.get("watched") == "1"
        )
        return _after_step(request)
    return _render_step(
        request,
        state,
        TOUR,
        "onboarding/steps/tour.html",
        tour_context(request.user, state, viewer=request.user),
    )


@journey_step(TOUR)
def tour_stop_view(request: HttpRequest, state: JourneyState, stop: str) -> HttpResponse:
    if stop not in services.TOUR_STOPS:
        raise Http404("No such part of the tour.")
    services.tour_stop_record(patient=request.user, stop=stop)
    context = tour_context(request.user, state, viewer=request.user, stop=stop)
    return _render_step(request, state, TOUR, f"onboarding/tour/{stop}.html", context)


@journey_step(TOUR)
def tour_try_view(request: HttpRequest, state: JourneyState, stop: str) -> HttpResponse:
    """ "Try it": recorded, then the real page, with a way back to the tour on every page."""
    if stop not in services.TOUR_STOPS:
        raise Http404("No such part of the tour.")
    services.tour_stop_record(patient=request.user, stop=stop, tried=True)
    back = reverse("onboarding:tour_stop", args=[stop])
    request.session[TOUR_RETURN_KEY] = back
    targets = {
        "checkin": f"{reverse('cessation:checkin')}?next={back}",
        "progress": reverse("cessation:progress"),
        "craving": reverse("cessation:craving"),
        "groups": reverse("peersupport:groups"),
        "messages": reverse("peersupport:messages"),
        "help": reverse("safety:crisis"),
    }
    return redirect(targets[stop])


@journey_step(TOUR)
def tour_watch_view(request: HttpRequest, state: JourneyState) -> HttpResponse:
    """The illustrated alternative for people who would rather watch than try."""
    return _render_step(
        request,
        state,
        TOUR,
        "onboarding/tour/watch.html",
        tour_context(request.user, state, viewer=request.user),
    )


# --- 8: groups -----------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@journey_step(GROUPS)
def groups_view(request: HttpRequest, state: JourneyState) -> HttpResponse:
    """The guidelines in plain words, and three quick questions. A wrong answer is explained;
    the person can try again or carry on."""
    form = QuizForm(request.POST or None)
    results = None
    if request.method == "POST" and form.is_valid():
        results = services.quiz_answer(patient=request.user, answers=form.cleaned_data)
        if all(results.values()):
            messages.success(request, _("All three right. Next, choose your group name."))
            return redirect("onboarding:groups_name")
    record = state.status(GROUPS).record
    questions = [
        {
            "question": question,
            "field": form[question.key],
            "right": None if results is None else results[question.key],
            "answer_label": dict(question.choices)[question.correct],
        }
        for question in quiz.QUESTIONS
    ]
    return _render_step(
        request,
        state,
        GROUPS,
        "onboarding/steps/groups.html",
        {
            "form": form,
            "questions": questions,
            "results": results,
            "may_carry_on": services.quiz_done(record) or results is not None,
        },
        HTTPStatus.BAD_REQUEST if form.errors else HTTPStatus.OK,
    )


@require_http_methods(["GET", "POST"])
@journey_step(GROUPS)
def groups_name_view(request: HttpRequest, state: JourneyState) -> HttpResponse:
    """The name the person goes by in groups, and agreeing to the guidelines."""
    if not services.quiz_done(state.status(GROUPS).record):
        messages.info(request, _("First, the three quick questions about the guidelines."))
        return redirect("onboarding:groups")
    member = peer_selectors.peer_member_for(user=request.user)
    form = PseudonymForm(
        request.POST or None, initial={"pseudonym": member.pseudonym if member else ""}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.groups_step_choose_name(
                patient=request.user, by=request.user, pseudonym=form.cleaned_data["pseudonym"]
            )
        except ValidationError as exc:
            apply_form_errors(form, exc)
        except PermissionDenied as exc:
            raise Http404("Groups are not open to you.") from exc
        else:
            return redirect("onboarding:groups_join")
    return _render_step(
        request,
        state,
        GROUPS,
        "onboarding/steps/groups_name.html",
        {"form": form, "member": member},
        HTTPStatus.BAD_REQUEST if form.errors else HTTPStatus.OK,
    )


@require_http_methods(["GET", "POST"])
@journey_step(GROUPS)
def groups_join_view(request: HttpRequest, state: JourneyState) -> HttpResponse:
    member = peer_selectors.peer_member_for(user=request.user)
    if member is None or member.guidelines_accepted_at is None:
        messages.info(request, _("First, choose the name you will go by in groups."))
        return redirect("onboarding:groups_name")
    groups = list(peer_selectors.groups_for_patient(user=request.user))
    error = ""
    if request.method == "POST":
        group = next((g for g in groups if g.slug == request.POST.get("group")), None)
        if group is None:
            error = _("Choose one of the groups below.")
        else:
            try:
                with transaction.atomic():
                    services.groups_step_join(patient=request.user, by=request.user, group=group)
            except ValidationError as exc:
                error = " ".join(exc.messages)
            else:
                messages.success(request, _("You joined %(group)s.") % {"group": group.name})
                return _after_step(request)
    return _render_step(
        request,
        state,
        GROUPS,
        "onboarding/steps/groups_join.html",
        {"groups": groups, "member": member, "error": error},
        HTTPStatus.BAD_REQUEST if error else HTTPStatus.OK,
    )
