"""Crisis help: /help/ for anybody, always, with the deployment's resources; a link to it on
every page; the same list as public JSON."""

from __future__ import annotations

import importlib
import re
from http import HTTPStatus
from unittest import mock

import pytest
from django.apps import apps
from django.conf import settings
from django.db import OperationalError
from django.test import RequestFactory, override_settings
from django.urls import reverse

from core.errors import server_error_view
from safety.models import CrisisResource
from tests.factories import AdminFactory, ClinicianFactory, PeerFactory

pytestmark = pytest.mark.django_db

UK_NUMBERS = ["999", "111", "116 123", "85258"]
uk_crisis_resources_migration = importlib.import_module(
    "safety.migrations.0002_uk_crisis_resources"
)
HELP_LINK = re.compile(r'<a class="help-now" href="/help/">\s*Get help now\s*</a>')


def _database_down():
    """The database refuses the crisis-resource query, as it would during an outage."""
    return mock.patch.object(
        CrisisResource.objects,
        "filter",
        side_effect=OperationalError("could not connect to server: Connection refused"),
    )


def _resource_form(resource: CrisisResource, **changes) -> dict:
    data = {
        "name": resource.name,
        "how": resource.how,
        "href": resource.href,
        "when": resource.when,
        "order": resource.order,
        "is_active": "on" if resource.is_active else "",
        "_save": "Save",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value != ""}


# --- /help/ ----------------------------------------------------------------------------------


def test_help_is_public_and_lists_the_uk_services(client):
    response = client.get(reverse("safety:crisis"))

    assert response.status_code == HTTPStatus.OK
    content = response.content.decode()
    for number in UK_NUMBERS:
        assert number in content
    for name in ("Emergency services", "NHS 111", "Samaritans", "SHOUT"):
        assert name in content
    assert 'href="tel:999"' in content
    assert 'href="tel:116123"' in content
    assert 'href="sms:85258?body=SHOUT"' in content


def test_the_data_migration_seeds_the_uk_services_in_order():
    CrisisResource.objects.all().delete()

    uk_crisis_resources_migration.forwards(apps, None)

    seeded = list(CrisisResource.objects.values_list("name", "href", "order", "is_active"))
    assert seeded == [
        ("Emergency services", "tel:999", 0, True),
        ("NHS 111, option 2", "tel:111", 1, True),
        ("Samaritans", "tel:116123", 2, True),
        ("SHOUT", "sms:85258?body=SHOUT", 3, True),
    ]


def test_the_data_migration_never_overwrites_a_deployments_own_list():
    CrisisResource.objects.all().delete()
    CrisisResource.objects.create(name="Local line", how="Call 0800 000 0000", when="Any time")

    uk_crisis_resources_migration.forwards(apps, None)

    assert list(CrisisResource.objects.values_list("name", flat=True)) == ["Local line"]


def test_the_built_in_fallback_matches_the_seeded_list(uk_crisis_resources):
    assert [r.as_dict() for r in uk_crisis_resources] == settings.CRISIS_RESOURCES_FALLBACK


def test_help_shows_active_resources_in_their_order(client):
    CrisisResource.objects.update(is_active=False)
    CrisisResource.objects.create(
        name="Second line", how="Call 0800 000 0002", when="Later", order=2
    )
    CrisisResource.objects.create(name="First line", how="Call 0800 000 0001", when="Now", order=1)
    CrisisResource.objects.create(
        name="Retired line", how="Call 0800 000 0009", when="Never", order=0, is_active=False
    )

    content = client.get(reverse("safety:crisis")).content.decode()

    assert content.index("First line") < content.index("Second line")
    assert "Retired line" not in content
    assert "Samaritans" not in content


def test_a_resource_without_a_link_shows_its_instructions(client):
    CrisisResource.objects.create(
        name="Crisis café", how="Walk in, 6pm to midnight", href="", when="Evenings", order=9
    )

    response = client.get(reverse("safety:crisis"))

    assert "Walk in, 6pm to midnight" in response.content.decode()


def test_help_falls_back_to_the_built_in_list_when_none_is_active(client):
    CrisisResource.objects.update(is_active=False)

    content = client.get(reverse("safety:crisis")).content.decode()

    for resource in settings.CRISIS_RESOURCES_FALLBACK:
        assert resource["how"] in content


def test_help_is_reachable_by_staff_without_a_second_factor(client):
    clinician = ClinicianFactory(mfa=False)
    client.force_login(clinician)

    assert client.get(reverse("safety:crisis")).status_code == HTTPStatus.OK

    # ...while their staff pages send them to set up a second factor first.
    response = client.get(reverse("accounts:clinician_home"))
    assert response.status_code == HTTPStatus.FOUND
    assert response.url == reverse("mfa_activate_totp")


@pytest.mark.parametrize("factory", [ClinicianFactory, PeerFactory, AdminFactory])
def test_help_is_reachable_by_every_staff_role_without_a_second_factor(client, factory):
    client.force_login(factory(mfa=False))

    response = client.get(reverse("safety:crisis"))

    assert response.status_code == HTTPStatus.OK
    assert "116 123" in response.content.decode()


def test_help_for_a_patient_links_back_home(client, patient):
    client.force_login(patient)

    response = client.get(reverse("safety:crisis"))

    assert response.status_code == HTTPStatus.OK
    assert reverse("accounts:patient_home") in response.content.decode()


def test_help_still_renders_the_built_in_list_when_the_database_fails(client):
    CrisisResource.objects.filter(name="Samaritans").update(how="Call the local line instead")

    with _database_down():
        response = client.get(reverse("safety:crisis"))

    assert response.status_code == HTTPStatus.OK
    content = response.content.decode()
    for number in UK_NUMBERS:
        assert number in content
    assert "Call the local line instead" not in content  # it came from settings, not the DB


def test_the_fallback_is_not_cached_once_the_database_is_back(client):
    CrisisResource.objects.filter(name="Samaritans").update(how="Call the local line instead")

    with _database_down():
        client.get(reverse("safety:crisis"))
    response = client.get(reverse("safety:crisis"))

    assert "Call the local line instead" in response.content.decode()


def test_help_still_renders_when_the_cache_is_unreachable(client):
    unreachable = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }

    with override_settings(CACHES=unreachable):
        response = client.get(reverse("safety:crisis"))

    assert response.status_code == HTTPStatus.OK
    assert "116 123" in response.content.decode()


# --- editing through the admin ----------------------------------------------------------------


def test_admin_edit_shows_on_help_at_once(client):
    samaritans = CrisisResource.objects.get(name="Samaritans")
    assert "116 123" in client.get(reverse("safety:crisis")).content.decode()  # now cached
    client.force_login(AdminFactory())

    response = client.post(
        reverse("admin:safety_crisisresource_change", args=[samaritans.pk]),
        _resource_form(samaritans, how="Call 0800 123 4567 (local crisis line)"),
    )

    assert response.status_code == HTTPStatus.FOUND
    client.logout()
    content = client.get(reverse("safety:crisis")).content.decode()
    assert "Call 0800 123 4567 (local crisis line)" in content
    assert "Call 116 123 (free)" not in content


def test_admin_add_shows_on_help_at_once(client):
    client.get(reverse("safety:crisis"))  # cache the list
    client.force_login(AdminFactory())

    response = client.post(
        reverse("admin:safety_crisisresource_add"),
        {
            "name": "Leeds crisis line",
            "how": "Call 0800 111 2222",
            "href": "tel:08001112222",
            "when": "Night and day, for people in Leeds.",
            "order": 5,
            "is_active": "on",
            "_save": "Save",
        },
    )

    assert response.status_code == HTTPStatus.FOUND
    client.logout()  # the admin's "was added" message would name it too
    content = client.get(reverse("safety:crisis")).content.decode()
    assert "Leeds crisis line" in content
    assert 'href="tel:08001112222"' in content


def test_admin_delete_shows_on_help_at_once(client):
    shout = CrisisResource.objects.get(name="SHOUT")
    client.get(reverse("safety:crisis"))  # cache the list
    client.force_login(AdminFactory())

    response = client.post(
        reverse("admin:safety_crisisresource_delete", args=[shout.pk]), {"post": "yes"}
    )

    assert response.status_code == HTTPStatus.FOUND
    assert "85258" not in client.get(reverse("safety:crisis")).content.decode()


def test_admin_bulk_delete_shows_on_help_at_once(client):
    shout = CrisisResource.objects.get(name="SHOUT")
    client.get(reverse("safety:crisis"))  # cache the list
    client.force_login(AdminFactory())

    response = client.post(
        reverse("admin:safety_crisisresource_changelist"),
        {"action": "delete_selected", "_selected_action": [shout.pk], "post": "yes"},
    )

    assert response.status_code == HTTPStatus.FOUND
    assert not CrisisResource.objects.filter(pk=shout.pk).exists()
    assert "85258" not in client.get(reverse("safety:crisis")).content.decode()


def test_admin_list_edit_shows_on_help_at_once(client):
    """Deactivating from the changelist (list_editable) also refreshes the page."""
    resources = list(CrisisResource.objects.all())
    client.get(reverse("safety:crisis"))  # cache the list
    client.force_login(AdminFactory())
    data = {
        "form-TOTAL_FORMS": str(len(resources)),
        "form-INITIAL_FORMS": str(len(resources)),
        "form-MIN_NUM_FORMS": "0",
        "form-MAX_NUM_FORMS": "1000",
        "_save": "Save",
    }
    for i, resource in enumerate(resources):
        data[f"form-{i}-id"] = str(resource.pk)
        data[f"form-{i}-order"] = str(resource.order)
        if resource.name != "SHOUT":
            data[f"form-{i}-is_active"] = "on"

    response = client.post(reverse("admin:safety_crisisresource_changelist"), data)

    assert response.status_code == HTTPStatus.FOUND
    assert not CrisisResource.objects.get(name="SHOUT").is_active
    assert "85258" not in client.get(reverse("safety:crisis")).content.decode()


def test_only_admins_can_edit_crisis_resources(client):
    samaritans = CrisisResource.objects.get(name="Samaritans")
    client.force_login(ClinicianFactory())

    response = client.post(
        reverse("admin:safety_crisisresource_change", args=[samaritans.pk]),
        _resource_form(samaritans, how="Call a made-up number"),
    )

    assert response.status_code == HTTPStatus.FOUND
    assert response.url.startswith(reverse("admin:login"))
    samaritans.refresh_from_db()
    assert samaritans.how == "Call 116 123 (free)"


# --- the public API ---------------------------------------------------------------------------


def test_crisis_resources_api_is_public_json(client):
    response = client.get(reverse("api:crisis_resource_list"))

    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"].startswith("application/json")
    data = response.json()
    assert [item["name"] for item in data] == [
        "Emergency services",
        "NHS 111, option 2",
        "Samaritans",
        "SHOUT",
    ]
    assert data[2] == {
        "name": "Samaritans",
        "how": "Call 116 123 (free)",
        "href": "tel:116123",
        "when": "To talk to someone about anything, any time.",
    }


def test_crisis_resources_api_ignores_a_bad_token(client):
    response = client.get(
        reverse("api:crisis_resource_list"), headers={"Authorization": "Token exh_revoked"}
    )

    assert response.status_code == HTTPStatus.OK


def test_crisis_resources_api_is_reachable_by_staff_without_a_second_factor(client):
    """Public for everybody, like /help/: a missing second factor must not hide crisis help."""
    client.force_login(ClinicianFactory(mfa=False))

    response = client.get(reverse("api:crisis_resource_list"))

    assert response.status_code == HTTPStatus.OK
    assert "Samaritans" in [item["name"] for item in response.json()]
    # The exemption is for crisis help only: the rest of the API still needs the factor.
    assert client.get(reverse("api:me")).status_code == HTTPStatus.FORBIDDEN


def test_crisis_resources_api_works_when_the_database_fails(client):
    with _database_down():
        response = client.get(reverse("api:crisis_resource_list"))

    assert response.status_code == HTTPStatus.OK
    assert response.json() == settings.CRISIS_RESOURCES_FALLBACK


def test_crisis_resources_api_for_a_logged_in_patient(client, patient):
    client.force_login(patient)

    response = client.get(reverse("api:crisis_resource_list"))

    assert response.status_code == HTTPStatus.OK
    assert len(response.json()) == 4


# --- "Get help now" on every page ---------------------------------------------------------------


def test_landing_page_links_to_help(client):
    response = client.get(reverse("home"))

    assert response.status_code == HTTPStatus.OK
    assert HELP_LINK.search(response.content.decode())


def test_login_page_links_to_help(client):
    response = client.get(reverse("account_login"))

    assert response.status_code == HTTPStatus.OK
    assert HELP_LINK.search(response.content.decode())


def test_404_page_links_to_help(client):
    response = client.get("/no-such-page/")

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert HELP_LINK.search(response.content.decode())


def test_403_page_links_to_help(client, patient):
    client.force_login(patient)

    response = client.get(reverse("accounts:clinician_home"))

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert HELP_LINK.search(response.content.decode())


def test_500_page_links_to_help_without_touching_the_database(django_assert_num_queries):
    request = RequestFactory().get("/")

    with django_assert_num_queries(0):
        response = server_error_view(request)

    assert response.status_code == HTTPStatus.INTERNAL_SERVER_ERROR
    content = response.content.decode()
    assert HELP_LINK.search(content)
    assert "116 123" in content


def test_patient_home_links_to_help(client, patient):
    client.force_login(patient)

    response = client.get(reverse("accounts:patient_home"))

    assert response.status_code == HTTPStatus.OK
    assert HELP_LINK.search(response.content.decode())


@pytest.mark.parametrize(
    ("factory", "page"),
    [
        (ClinicianFactory, "accounts:clinician_home"),
        (PeerFactory, "accounts:peer_home"),
        (AdminFactory, "accounts:admin_home"),
    ],
)
def test_staff_homes_link_to_help(client, factory, page):
    client.force_login(factory())

    response = client.get(reverse(page))

    assert response.status_code == HTTPStatus.OK
    assert HELP_LINK.search(response.content.decode())


def test_notices_page_links_to_help(client, patient):
    client.force_login(patient)

    response = client.get(reverse("core:notification_list"))

    assert HELP_LINK.search(response.content.decode())


def test_second_factor_set_up_links_to_help(client):
    """A staff member held at second-factor set-up can still reach help."""
    client.force_login(ClinicianFactory(mfa=False))

    response = client.get(reverse("accounts:clinician_home"), follow=True)

    assert response.status_code == HTTPStatus.OK
    assert response.redirect_chain  # held at set-up (or re-authentication before it)
    assert HELP_LINK.search(response.content.decode())
