"""Pages of the trial: dashboard. Joined under the "trials" namespace by trials/urls.py."""

from __future__ import annotations

from django.urls import path

from trials.views import dashboard as views

urlpatterns = [
    path("trials/<slug:slug>/dashboard/", views.dashboard_view, name="dashboard"),
    path("trials/<slug:slug>/consort.svg", views.consort_svg_view, name="consort_svg"),
]
