"""Pages of the trial: set-up by trial managers. Joined under "trials" by trials/urls.py."""

from __future__ import annotations

from django.urls import path

from trials.views import setup as views

urlpatterns = [
    path("trials/", views.trial_list_view, name="trial_list"),
    path("trials/new/", views.trial_create_view, name="trial_create"),
    path("trials/<slug:slug>/", views.trial_detail_view, name="trial_detail"),
    path("trials/<slug:slug>/edit/", views.trial_edit_view, name="trial_edit"),
    path("trials/<slug:slug>/arms/new/", views.arm_edit_view, name="arm_create"),
    path("trials/<slug:slug>/arms/<id:arm_id>/", views.arm_edit_view, name="arm_edit"),
    path("trials/<slug:slug>/arms/<id:arm_id>/delete/", views.arm_delete_view, name="arm_delete"),
    path("trials/<slug:slug>/follow-ups/new/", views.point_edit_view, name="point_create"),
    path("trials/<slug:slug>/follow-ups/<id:point_id>/", views.point_edit_view, name="point_edit"),
    path(
        "trials/<slug:slug>/follow-ups/<id:point_id>/delete/",
        views.point_delete_view,
        name="point_delete",
    ),
    path("trials/<slug:slug>/open/", views.recruitment_open_view, name="recruitment_open"),
    path(
        "trials/<slug:slug>/close-recruitment/",
        views.recruitment_close_view,
        name="recruitment_close",
    ),
    path("trials/<slug:slug>/close/", views.trial_close_view, name="trial_close"),
]
