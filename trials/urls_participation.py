"""Pages of the trial: participation. Joined under the "trials" namespace by trials/urls.py."""

from __future__ import annotations

from django.urls import path

from trials.views import participation as views

urlpatterns = [
    path("study/", views.study_view, name="study"),
    path("study/agree/", views.consent_view, name="consent"),
    path("study/screening/", views.screening_view, name="screening"),
    path("study/patients/<id:patient_id>/enrol/", views.enrol_view, name="enrol"),
    path(
        "trials/<slug:slug>/participation/",
        views.participation_list_view,
        name="participation_list",
    ),
    path(
        "trials/<slug:slug>/participation/<id:participant_id>/withdraw/",
        views.participant_withdraw_view,
        name="participant_withdraw",
    ),
    path(
        "trials/<slug:slug>/participation/<id:participant_id>/note/",
        views.allocation_note_view,
        name="allocation_note",
    ),
]
