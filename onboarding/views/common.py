"""What every onboarding page shows: the progress bar and the step's place; and the tour's
view of the patient's own information (their plan, check-in, care team, groups)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from accounts.selectors import patient_profile_own
from cessation.permissions import can_view_quit_data
from cessation.selectors import dashboard_for
from onboarding.selectors import JourneyState
from onboarding.services import TOUR_STOPS
from onboarding.steps import TOUR
from peersupport import selectors as peer_selectors
from safety.selectors import crisis_resource_list, safety_plan_for

TOUR_STOP_TITLES = {
    "checkin": _("Checking in"),
    "progress": _("Your progress"),
    "craving": _("Craving now"),
    "groups": _("Peer groups"),
    "messages": _("Messages to your peer support specialist"),
    "help": _("Get help now"),
}


def step_context(state: JourneyState, key: str) -> dict[str, Any]:
    status = state.status(key)
    return {"state": state, "status": status, "step": status.step}


def tour_stops(state: JourneyState) -> list[dict]:
    record = state.status(TOUR).record if state.status(TOUR) else None
    detail = record.detail if record is not None else {}
    seen, tried = set(detail.get("stops_seen", [])), set(detail.get("stops_tried", []))
    return [
        {"key": key, "title": TOUR_STOP_TITLES[key], "seen": key in seen, "tried": key in tried}
        for key in TOUR_STOPS
    ]


def tour_context(
    patient, state: JourneyState, *, viewer, stop: str | None = None
) -> dict[str, Any]:
    """The patient's own information for the stop shown (only what that stop needs, and only
    what the person looking may see: a peer specialist assisting sees no quit data)."""
    stops = tour_stops(state)
    context: dict[str, Any] = {"stops": stops, "stop": stop}
    if stop is not None:
        index = list(TOUR_STOPS).index(stop)
        context["stop_title"] = TOUR_STOP_TITLES[stop]
        context["next_stop"] = stops[index + 1] if index + 1 < len(stops) else None
        context["previous_stop"] = stops[index - 1] if index > 0 else None
    if stop in ("checkin", "progress") and can_view_quit_data(viewer, patient):
        context["dashboard"] = dashboard_for(patient=patient)
    if stop == "messages":
        context["profile"] = patient_profile_own(user=patient)
        context["promise"] = peer_selectors.reply_promise_text()
    if stop == "groups":
        context["member"] = peer_selectors.peer_member_for(user=patient)
        context["groups"] = list(peer_selectors.groups_for_patient(user=patient)[:3])
    if stop == "help":
        context["plan"] = safety_plan_for(patient=patient)
        context["resources"] = crisis_resource_list()
    return context
