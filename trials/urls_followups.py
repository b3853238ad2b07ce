"""Pages of the trial: followups. Joined under the "trials" namespace by trials/urls.py."""

from __future__ import annotations

from django.urls import path

from trials.views import adverse_events, followups

urlpatterns = [
    path(
        "study/follow-up/<id:followup_id>/",
        followups.followup_answer_view,
        name="followup_answer",
    ),
    path(
        "study/follow-up/<id:followup_id>/thanks/",
        followups.followup_thanks_view,
        name="followup_thanks",
    ),
    path(
        "trials/participants/<id:participant_id>/follow-ups/",
        followups.followup_record_view,
        name="followup_record",
    ),
    path(
        "study/patients/<id:patient_id>/adverse-events/new/",
        adverse_events.adverse_event_record_view,
        name="adverse_event_record",
    ),
    path(
        "trials/<slug:slug>/adverse-events/",
        adverse_events.adverse_event_list_view,
        name="adverse_event_list",
    ),
    path(
        "trials/<slug:slug>/adverse-events/<id:event_id>/",
        adverse_events.adverse_event_detail_view,
        name="adverse_event_detail",
    ),
]
