"""Pages of the trial: exports. Joined under the "trials" namespace by trials/urls.py."""

from __future__ import annotations

from django.urls import path

from trials.views import exports as views

urlpatterns = [
    path("trials/<slug:slug>/exports/", views.export_view, name="exports"),
]
