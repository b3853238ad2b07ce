"""The user's own notices, as pages (/notifications/) and through the API."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core.models import Notification
from tests.factories import ClinicianFactory, PatientFactory

pytestmark = pytest.mark.django_db


def _notice(recipient, title="A notice", **fields) -> Notification:
    fields.setdefault("kind", "test")
    return Notification.objects.create(recipient=recipient, title=title, **fields)


def _notices(recipient, count: int) -> None:
    Notification.objects.bulk_create(
        [
            Notification(recipient=recipient, kind="test", title=f"Notice {i}", body=f"body {i}")
            for i in range(count)
        ]
    )


# --- pages -----------------------------------------------------------------------------------


def test_notice_list_shows_only_the_users_own_notices(client, patient):
    _notice(patient, "Your check-in reminder", body="Own body text")
    _notice(PatientFactory(), "SOMEONE ELSES NOTICE", body="Someone else's body text")
    client.force_login(patient)

    response = client.get(reverse("core:notification_list"))

    assert response.status_code == HTTPStatus.OK
    assert b"Your check-in reminder" in response.content
    assert b"Own body text" in response.content  # the body is shown in the app, decrypted
    assert b"SOMEONE ELSES NOTICE" not in response.content
    assert b"Someone else" not in response.content


def test_notice_list_is_paginated(client, patient):
    _notices(patient, 25)
    client.force_login(patient)

    first = client.get(reverse("core:notification_list"))
    second = client.get(reverse("core:notification_list"), {"page": 2})

    assert len(first.context["page"].object_list) == 20
    assert len(second.context["page"].object_list) == 5
    assert b"Page 1 of 2" in first.content


def test_notice_list_with_no_notices(client, patient):
    client.force_login(patient)

    response = client.get(reverse("core:notification_list"))

    assert response.status_code == HTTPStatus.OK
    assert b"You have no notices." in response.content


def test_header_shows_the_unread_count(client, patient):
    _notices(patient, 3)
    _notice(patient, read_at=timezone.now())
    _notices(PatientFactory(), 5)
    client.force_login(patient)

    response = client.get(reverse("core:notification_list"))

    assert response.context["unread_notifications"] == 3
    assert b'<span class="badge">3<' in response.content


def test_anonymous_is_sent_to_login_from_the_notice_list(client):
    url = reverse("core:notification_list")

    response = client.get(url)

    assert response.status_code == HTTPStatus.FOUND
    assert response.url == f"{reverse('account_login')}?next={url}"


def test_anonymous_cannot_mark_a_notice_read(client, patient):
    notice = _notice(patient)

    response = client.post(reverse("core:notification_read", args=[notice.pk]))

    assert response.status_code == HTTPStatus.FOUND
    assert response.url.startswith(reverse("account_login"))
    notice.refresh_from_db()
    assert notice.read_at is None


def test_mark_read_marks_the_users_own_notice(client, patient):
    notice = _notice(patient)
    client.force_login(patient)

    response = client.post(reverse("core:notification_read", args=[notice.pk]))

    assert response.status_code == HTTPStatus.FOUND
    assert response.url == reverse("core:notification_list")
    notice.refresh_from_db()
    assert notice.read_at is not None


def test_mark_read_twice_keeps_the_first_read_time(client, patient):
    notice = _notice(patient)
    client.force_login(patient)
    url = reverse("core:notification_read", args=[notice.pk])

    client.post(url)
    notice.refresh_from_db()
    first_read_at = notice.read_at
    client.post(url)

    notice.refresh_from_db()
    assert notice.read_at == first_read_at


def test_mark_read_of_another_users_notice_is_404_and_changes_nothing(client, patient):
    others = _notice(PatientFactory())
    client.force_login(patient)

    response = client.post(reverse("core:notification_read", args=[others.pk]))

    assert response.status_code == HTTPStatus.NOT_FOUND
    others.refresh_from_db()
    assert others.read_at is None


def test_mark_read_of_a_missing_notice_is_404(client, patient):
    client.force_login(patient)

    response = client.post(reverse("core:notification_read", args=[987654321]))

    assert response.status_code == HTTPStatus.NOT_FOUND


def test_open_goes_to_the_notices_link(client, patient):
    notice = _notice(patient, url=reverse("accounts:patient_home"))
    client.force_login(patient)

    response = client.post(reverse("core:notification_read", args=[notice.pk]), {"open": "1"})

    assert response.status_code == HTTPStatus.FOUND
    assert response.url == reverse("accounts:patient_home")


@pytest.mark.parametrize(
    "url", ["https://evil.example/phish", "//evil.example/phish", "javascript:alert(1)"]
)
def test_open_never_redirects_off_site(client, patient, url):
    notice = _notice(patient, url=url)
    client.force_login(patient)

    response = client.post(reverse("core:notification_read", args=[notice.pk]), {"open": "1"})

    assert response.status_code == HTTPStatus.FOUND
    assert response.url == reverse("core:notification_list")


def test_mark_all_read_marks_only_the_users_own_notices(client, patient):
    _notices(patient, 3)
    others = _notice(PatientFactory())
    client.force_login(patient)

    response = client.post(reverse("core:notification_read_all"))

    assert response.status_code == HTTPStatus.FOUND
    assert not Notification.objects.filter(recipient=patient, read_at__isnull=True).exists()
    others.refresh_from_db()
    assert others.read_at is None


@pytest.mark.parametrize("name", ["core:notification_read", "core:notification_read_all"])
def test_get_on_post_only_endpoints_is_405_and_changes_nothing(client, patient, name):
    notice = _notice(patient)
    client.force_login(patient)
    url = reverse(name, args=[notice.pk]) if name == "core:notification_read" else reverse(name)

    response = client.get(url)

    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED
    notice.refresh_from_db()
    assert notice.read_at is None


def test_mark_read_needs_a_csrf_token(patient):
    notice = _notice(patient)
    client = Client(enforce_csrf_checks=True)
    client.force_login(patient)

    response = client.post(reverse("core:notification_read", args=[notice.pk]))

    assert response.status_code == HTTPStatus.FORBIDDEN
    notice.refresh_from_db()
    assert notice.read_at is None


def test_staff_notice_list_needs_a_second_factor(client):
    client.force_login(ClinicianFactory(mfa=False))

    response = client.get(reverse("core:notification_list"))

    assert response.status_code == HTTPStatus.FOUND
    assert response.url == reverse("mfa_activate_totp")


def _count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == HTTPStatus.OK
    return len(queries)


def test_notice_list_query_count_does_not_grow_with_notices(client, patient):
    url = reverse("core:notification_list")
    client.force_login(patient)
    client.get(url)  # the first request of a session does its own bookkeeping
    _notices(patient, 3)
    few = _count_queries(client, url)

    _notices(patient, 27)
    many = _count_queries(client, url)

    assert many == few


def test_notice_list_query_count_is_small(client, patient, django_assert_max_num_queries):
    _notices(patient, 30)
    client.force_login(patient)

    with django_assert_max_num_queries(8):
        client.get(reverse("core:notification_list"))


# --- API -------------------------------------------------------------------------------------


def test_api_lists_only_the_users_own_notices_paginated(client, patient):
    _notices(patient, 30)
    _notice(PatientFactory(), "SOMEONE ELSES NOTICE")
    client.force_login(patient)

    response = client.get(reverse("api:notification_list"))

    assert response.status_code == HTTPStatus.OK
    data = response.json()
    assert data["count"] == 30
    assert len(data["results"]) == 25
    assert data["next"] is not None
    titles = {item["title"] for item in data["results"]}
    assert "SOMEONE ELSES NOTICE" not in titles

    second = client.get(data["next"]).json()
    assert len(second["results"]) == 5
    assert second["next"] is None


def test_api_notice_fields(client, patient):
    notice = _notice(patient, "Check-in due", body="Decrypted for the owner", url="/me/")
    client.force_login(patient)

    item = client.get(reverse("api:notification_list")).json()["results"][0]

    assert item == {
        "id": notice.pk,
        "kind": "test",
        "title": "Check-in due",
        "body": "Decrypted for the owner",
        "url": "/me/",
        "urgent": False,
        "created_at": item["created_at"],
        "read_at": None,
        "is_read": False,
    }


def test_api_page_size_is_bounded(client, patient):
    _notices(patient, 105)
    client.force_login(patient)

    response = client.get(reverse("api:notification_list"), {"page_size": 100000})

    assert response.status_code == HTTPStatus.OK
    assert response.json()["count"] == 105
    assert len(response.json()["results"]) == 100


def test_api_marks_the_users_own_notice_read(client, patient):
    notice = _notice(patient)
    client.force_login(patient)

    response = client.post(reverse("api:notification_read", args=[notice.pk]))

    assert response.status_code == HTTPStatus.OK
    assert response.json()["is_read"] is True
    notice.refresh_from_db()
    assert notice.read_at is not None


def test_api_mark_read_of_another_users_notice_is_404(client, patient):
    others = _notice(PatientFactory())
    client.force_login(patient)

    response = client.post(reverse("api:notification_read", args=[others.pk]))

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json()["code"] == "not_found"
    others.refresh_from_db()
    assert others.read_at is None


def test_api_get_on_mark_read_is_405(client, patient):
    notice = _notice(patient)
    client.force_login(patient)

    response = client.get(reverse("api:notification_read", args=[notice.pk]))

    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED
    notice.refresh_from_db()
    assert notice.read_at is None


@pytest.mark.parametrize(
    ("method", "name", "with_id"),
    [("get", "api:notification_list", False), ("post", "api:notification_read", True)],
)
def test_api_anonymous_is_401(client, patient, method, name, with_id):
    notice = _notice(patient)
    url = reverse(name, args=[notice.pk]) if with_id else reverse(name)

    response = getattr(client, method)(url)

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json()["code"] == "not_authenticated"
    notice.refresh_from_db()
    assert notice.read_at is None


def test_api_staff_without_second_factor_is_403(client):
    client.force_login(ClinicianFactory(mfa=False))

    response = client.get(reverse("api:notification_list"))

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert response.json()["code"] == "mfa_required"


def test_api_list_query_count_does_not_grow_with_notices(client, patient):
    url = reverse("api:notification_list")
    client.force_login(patient)
    client.get(url)  # the first request of a session does its own bookkeeping
    _notices(patient, 3)
    few = _count_queries(client, url)

    _notices(patient, 40)
    many = _count_queries(client, url)

    assert many == few
