"""Ids in URLs (`<id:...>`, core/converters.py): a number too big for a 64-bit key is an
ordinary 404 on pages and in the API, never a 500; no URL takes Django's unbounded `int`."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.urls import URLResolver, get_resolver, reverse
from django.urls.converters import IntConverter

from accounts import services as account_services
from core.converters import MAX_ID, IdConverter
from tests.factories import AdminFactory, ClinicianFactory, PatientFactory, PeerFactory

pytestmark = pytest.mark.django_db

TOO_BIG = str(2**63)  # one more than the largest 64-bit primary key


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _patterns(resolver: URLResolver):
    for pattern in resolver.url_patterns:
        yield pattern
        if isinstance(pattern, URLResolver):
            yield from _patterns(pattern)


def test_no_url_takes_an_unbounded_int():
    with_ints = [
        str(pattern.pattern)
        for pattern in _patterns(get_resolver())
        if any(
            isinstance(converter, IntConverter)
            for converter in getattr(pattern.pattern, "converters", {}).values()
        )
    ]

    assert with_ints == []


def test_ids_are_used_in_every_app():
    ids = [
        str(pattern.pattern)
        for pattern in _patterns(get_resolver())
        if any(
            isinstance(converter, IdConverter)
            for converter in getattr(pattern.pattern, "converters", {}).values()
        )
    ]

    assert len(ids) >= 90
    assert "patients/<id:patient_id>/" in ids


def test_the_largest_id_fits_a_64_bit_key():
    assert MAX_ID < 2**63 - 1
    assert len(TOO_BIG) == len(str(MAX_ID)) + 1


@pytest.mark.parametrize("patient_id", [TOO_BIG, "9" * 40, str(MAX_ID)])
def test_a_page_with_a_huge_id_is_not_found(client, patient_id):
    client.force_login(ClinicianFactory())

    response = client.get(f"/patients/{patient_id}/")

    assert response.status_code == HTTPStatus.NOT_FOUND


@pytest.mark.parametrize("patient_id", [TOO_BIG, str(MAX_ID)])
def test_an_api_call_with_a_huge_id_is_not_found_in_the_error_shape(client, patient_id):
    clinician = ClinicianFactory()
    PatientFactory(profile=clinician)
    _, key = account_services.api_token_create(user=clinician, name="laptop")

    for path in (f"/api/v1/patients/{patient_id}/fhir/", f"/api/v1/patients/{patient_id}/"):
        response = client.get(path, HTTP_AUTHORIZATION=f"Token {key}")

        assert response.status_code == HTTPStatus.NOT_FOUND, path
        assert response.json()["code"] == "not_found"


def test_a_real_id_still_resolves(client):
    clinician = ClinicianFactory()
    patient = PatientFactory(profile=clinician)
    client.force_login(clinician)

    url = reverse("accounts:patient_detail", kwargs={"patient_id": patient.pk})

    assert client.get(url).status_code == HTTPStatus.OK


def test_the_schema_says_ids_are_bounded_integers(client):
    schema = client.get(f"{reverse('api-schema')}?format=json").json()

    parameters = schema["paths"]["/api/v1/patients/{patient_id}/fhir/"]["get"]["parameters"]
    (parameter,) = [p for p in parameters if p["name"] == "patient_id"]
    assert parameter["schema"] == {"type": "integer", "minimum": 0, "maximum": MAX_ID}


def test_the_admin_with_a_huge_id_does_not_fail(client):
    client.force_login(AdminFactory())

    response = client.get(f"/admin/accounts/user/{TOO_BIG}/change/")

    assert response.status_code in (HTTPStatus.FOUND, HTTPStatus.NOT_FOUND)


def test_a_huge_id_in_a_query_filter_is_a_400_not_a_500(client):
    """The moderation log's `actor` and `group` filters (found by the API fuzz)."""
    _, key = account_services.api_token_create(user=PeerFactory(), name="laptop")

    for query in (f"actor={TOO_BIG}", f"group={TOO_BIG}", f"actor={MAX_ID}"):
        response = client.get(
            f"/api/v1/moderation/actions/?{query}", HTTP_AUTHORIZATION=f"Token {key}"
        )

        expected = HTTPStatus.OK if str(MAX_ID) in query else HTTPStatus.BAD_REQUEST
        assert response.status_code == expected, query
