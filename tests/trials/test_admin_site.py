"""The admin site shows the trial's records read-only and never the allocation sequence."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.contrib import admin
from django.urls import reverse

from tests.factories import AdminFactory
from tests.trials.helpers import a_recruiting_trial
from trials.models import Allocation, SequenceSlot, Trial

pytestmark = pytest.mark.django_db


def test_the_sequence_is_not_in_the_admin_site():
    assert SequenceSlot not in admin.site._registry
    assert Allocation in admin.site._registry


def test_trial_records_are_read_only_and_pages_answer(client):
    admin_user = AdminFactory(password=None)
    trial = a_recruiting_trial(manager=admin_user, target=6)
    client.force_login(admin_user)
    for model in (Trial, Allocation):
        model_admin = admin.site._registry[model]
        assert not model_admin.has_add_permission(None)
        assert not model_admin.has_delete_permission(None)
        assert not model_admin.has_change_permission(None)
    changelist = client.get(reverse("admin:trials_trial_changelist"))
    assert changelist.status_code == HTTPStatus.OK
    page = client.get(reverse("admin:trials_trial_change", args=[trial.pk])).content.decode()
    assert trial.pseudonym_key not in page
