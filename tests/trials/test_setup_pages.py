"""The trial manager's set-up pages: create, change arms and follow-ups, open recruitment (the
seed shown once, never cached), close; only admins."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.urls import reverse

from core.models import AuditEvent
from tests.factories import AdminFactory, ClinicianFactory, PatientFactory, PeerFactory
from tests.trials.helpers import a_recruiting_trial, a_trial
from trials import sequence
from trials.models import Arm, FollowUpPoint, SequenceSlot, Trial

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    admin = AdminFactory(password=None)
    client.force_login(admin)
    client.admin = admin
    return client


def test_an_admin_sets_up_a_trial_with_the_protocol_defaults(admin_client):
    response = admin_client.post(
        reverse("trials:trial_create"),
        {
            "name": "Exhale feasibility",
            "slug": "exhale-ft",
            "recruitment_target": "60",
            "strata_factors": ["diagnosis_group", "per_day_band"],
            "block_multiples": ["1", "2", "3"],
        },
    )
    trial = Trial.objects.get()
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == reverse("trials:trial_detail", args=[trial.slug])
    page = admin_client.get(response["Location"]).content.decode()
    assert "Usual care" in page
    assert "Days 25 to 42" in page
    assert "(12 strata)" in page  # 4 diagnosis groups x 3 bands of cigarettes a day
    assert AuditEvent.objects.filter(action="trial.created").exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("recruitment_target", "0", "greater than or equal to 1"),
        ("slug", "new", "taken by a page"),
        ("slug", "has spaces", "Enter a valid"),
        ("block_multiples", ["2"], "at least two block sizes"),
    ],
)
def test_bad_set_up_is_refused_with_a_clear_message(admin_client, field, value, message):
    data = {
        "name": "Exhale feasibility",
        "slug": "exhale-ft",
        "recruitment_target": "60",
        "strata_factors": ["diagnosis_group"],
        "block_multiples": ["1", "2"],
        field: value,
    }
    response = admin_client.post(reverse("trials:trial_create"), data)
    assert response.status_code == HTTPStatus.OK
    assert message in response.content.decode()
    assert not Trial.objects.exists()


def test_arms_and_follow_ups_change_until_recruitment_opens(admin_client):
    trial = a_trial(manager=admin_client.admin)
    arm = trial.arms.get(code="usual_care")
    admin_client.post(
        reverse("trials:arm_edit", args=[trial.slug, arm.pk]),
        {"code": "usual_care", "label": "Usual care", "ratio": "2", "description": ""},
    )
    assert Arm.objects.get(pk=arm.pk).ratio == 2
    response = admin_client.post(
        reverse("trials:point_create", args=[trial.slug]),
        {
            "code": "1w",
            "label": "1 week",
            "anchor": "randomisation",
            "due_day": "7",
            "window_start_day": "10",
            "window_end_day": "14",
        },
    )
    assert "The window must open on or before the due day" in response.content.decode()
    assert not FollowUpPoint.objects.filter(code="1w").exists()


def test_opening_shows_the_seed_once_and_never_caches_it(admin_client):
    trial = a_trial(manager=admin_client.admin, target=10)
    url = reverse("trials:recruitment_open", args=[trial.slug])
    response = admin_client.post(url, {"seed": "", "confirm": "on"})
    assert response.status_code == HTTPStatus.OK
    assert "no-store" in response["Cache-Control"]
    page = response.content.decode()
    trial.refresh_from_db()
    assert trial.status == Trial.Status.RECRUITING
    seed = page.split('id="seed">')[1].split("<")[0]
    assert sequence.seed_digest(seed) == trial.seed_digest
    # Never again: not on the trial's page, not by opening again.
    detail = admin_client.get(reverse("trials:trial_detail", args=[trial.slug])).content.decode()
    assert seed not in detail
    again = admin_client.get(url)
    assert again.status_code == HTTPStatus.FOUND
    assert SequenceSlot.objects.filter(trial=trial).count() > 0


def test_the_statisticians_seed_is_used_and_a_bad_one_refused(admin_client):
    trial = a_trial(manager=admin_client.admin, target=10)
    url = reverse("trials:recruitment_open", args=[trial.slug])
    response = admin_client.post(url, {"seed": "xyz", "confirm": "on"})
    assert "hexadecimal" in response.content.decode()
    assert Trial.objects.get(pk=trial.pk).status == Trial.Status.SETUP
    response = admin_client.post(url, {"seed": "ab" * 16, "confirm": "on"})
    assert Trial.objects.get(pk=trial.pk).seed_digest == sequence.seed_digest("ab" * 16)


def test_once_recruiting_the_design_cannot_change_through_the_pages(admin_client):
    trial = a_recruiting_trial(manager=admin_client.admin, target=10)
    arm = trial.arms.first()
    response = admin_client.post(
        reverse("trials:arm_edit", args=[trial.slug, arm.pk]),
        {"code": "x", "label": "X", "ratio": "3"},
    )
    assert response.status_code == HTTPStatus.FOUND
    assert Arm.objects.get(pk=arm.pk).ratio == 1
    admin_client.post(reverse("trials:arm_delete", args=[trial.slug, arm.pk]))
    assert Arm.objects.filter(pk=arm.pk).exists()


def test_closing_recruitment_then_the_trial(admin_client):
    trial = a_recruiting_trial(manager=admin_client.admin, target=10)
    admin_client.post(reverse("trials:recruitment_close", args=[trial.slug]), {"confirm": "on"})
    assert Trial.objects.get(pk=trial.pk).status == Trial.Status.FOLLOW_UP
    admin_client.post(reverse("trials:trial_close", args=[trial.slug]), {})
    assert Trial.objects.get(pk=trial.pk).status == Trial.Status.FOLLOW_UP  # not confirmed
    admin_client.post(reverse("trials:trial_close", args=[trial.slug]), {"confirm": "on"})
    assert Trial.objects.get(pk=trial.pk).status == Trial.Status.CLOSED


@pytest.mark.parametrize(
    "make",
    [
        lambda: PatientFactory(password=None, full_name="Pat Example"),
        lambda: ClinicianFactory(password=None),
        lambda: PeerFactory(password=None),
    ],
)
def test_set_up_pages_are_for_admins_only(client, make):
    trial = a_trial()
    client.force_login(make())
    for url in (
        reverse("trials:trial_list"),
        reverse("trials:trial_create"),
        reverse("trials:trial_detail", args=[trial.slug]),
        reverse("trials:recruitment_open", args=[trial.slug]),
    ):
        assert client.get(url).status_code in (HTTPStatus.FORBIDDEN, HTTPStatus.FOUND), url
    response = client.post(reverse("trials:recruitment_open", args=[trial.slug]), {"confirm": "on"})
    assert Trial.objects.get(pk=trial.pk).status == Trial.Status.SETUP
    assert response.status_code in (HTTPStatus.FORBIDDEN, HTTPStatus.FOUND)


def test_the_trials_page_links_to_each_part_of_the_trial(admin_client):
    trial = a_recruiting_trial(manager=admin_client.admin, target=10)
    page = admin_client.get(reverse("trials:trial_detail", args=[trial.slug])).content.decode()
    for name in ("dashboard", "participation_list", "adverse_event_list", "exports"):
        assert reverse(f"trials:{name}", args=[trial.slug]) in page, name
    assert reverse("trials:screening") in page
