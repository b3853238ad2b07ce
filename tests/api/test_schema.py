"""The OpenAPI schema: valid, complete (every /api/v1/ path), errors documented with the one
error shape, in step with what the API really answers; the docs page works offline."""

from __future__ import annotations

import json
import re
from http import HTTPStatus

import pytest
from django.core.management import call_command
from django.urls import URLPattern, reverse

from config import api_urls
from tests.factories import ClinicianFactory, InvitationFactory, PatientFactory

pytestmark = pytest.mark.django_db

ERROR_REF = "#/components/schemas/Error"
METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture
def schema(client):
    response = client.get(f"{reverse('api-schema')}?format=json")
    assert response.status_code == HTTPStatus.OK
    return json.loads(response.content)


def _operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


def _is_public(operation) -> bool:
    return operation.get("security") == [{}]


def _api_v1_paths() -> set[str]:
    """Every route in config/api_urls.py, spelled as OpenAPI spells it."""
    paths = set()
    for pattern in api_urls.urlpatterns:
        assert isinstance(pattern, URLPattern)
        route = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", str(pattern.pattern))
        paths.add(f"/api/v1/{route}")
    return paths


def test_the_schema_passes_spectacular_validation_without_warnings(tmp_path):
    out = tmp_path / "schema.yaml"

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))

    text = out.read_text()
    assert text.startswith("openapi: 3")
    assert "/api/v1/me/" in text


def test_the_schema_is_served_to_anybody(schema):
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "Exhale API"


def test_every_api_v1_path_is_in_the_schema(schema):
    expected = _api_v1_paths()

    assert len(expected) >= 8
    assert expected == set(schema["paths"])


def test_the_error_component_has_the_one_error_shape(schema):
    error = schema["components"]["schemas"]["Error"]

    assert set(error["properties"]) == {"detail", "code", "errors"}
    assert set(error["required"]) == {"detail", "code"}


def test_every_error_response_uses_the_error_component(schema):
    seen = 0
    for path, method, operation in _operations(schema):
        for status, response in operation["responses"].items():
            if status.startswith("4"):
                seen += 1
                ref = response["content"]["application/json"]["schema"]["$ref"]
                assert ref == ERROR_REF, (path, method, status)
                assert response["description"], (path, method, status)
    assert seen >= 20


def test_every_protected_operation_documents_401_and_403(schema):
    for path, method, operation in _operations(schema):
        if _is_public(operation):
            continue
        assert {"401", "403"} <= set(operation["responses"]), (path, method)


def test_every_operation_on_one_object_documents_404(schema):
    for path, method, operation in _operations(schema):
        if "{" in path:
            assert "404" in operation["responses"], (path, method)


def test_every_operation_with_a_request_body_documents_400(schema):
    with_body = [(path, method) for path, method, op in _operations(schema) if "requestBody" in op]

    assert ("/api/v1/invitations/", "post") in with_body
    for path, method in with_body:
        assert "400" in schema["paths"][path][method]["responses"], (path, method)


def test_revoking_an_invitation_documents_409(schema):
    responses = schema["paths"]["/api/v1/invitations/{invitation_id}/revoke/"]["post"]
    assert "409" in responses["responses"]


def test_only_crisis_resources_and_onboarding_texts_are_public(schema):
    """Both say nothing about anyone: where to get help, and the privacy and consent texts that
    are on public pages too (people read what they would agree to before they have an account)."""
    public = {path for path, _, operation in _operations(schema) if _is_public(operation)}

    assert public == {"/api/v1/crisis-resources/", "/api/v1/onboarding/texts/{key}/"}


def test_both_ways_to_authenticate_are_described(schema):
    schemes = schema["components"]["securitySchemes"]

    assert schemes["tokenAuth"]["in"] == "header"
    assert schemes["tokenAuth"]["name"] == "Authorization"
    assert "cookieAuth" in schemes


def _resolve(schema, node):
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    return node


@pytest.mark.parametrize(
    "url_name", ["api:patient_list", "api:invitation_list", "api:notification_list"]
)
def test_list_responses_have_the_shape_the_schema_says(client, schema, url_name):
    clinician = ClinicianFactory()
    PatientFactory(profile=clinician)
    InvitationFactory(invited_by=clinician)
    client.force_login(clinician)
    url = reverse(url_name)

    body = client.get(url).json()

    documented = _resolve(
        schema,
        schema["paths"][url]["get"]["responses"]["200"]["content"]["application/json"]["schema"],
    )
    assert documented["type"] == "object"
    assert set(documented["properties"]) == set(body)
    assert body["results"] is not None


def test_the_docs_render_for_anonymous_users_without_a_cdn(client):
    response = client.get(reverse("api-docs"))

    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    assert "swagger-ui" in html
    for outside in ("cdn.", "jsdelivr", "unpkg", "cdnjs", "googleapis"):
        assert outside not in html
    assert "//" not in "".join(re.findall(r'(?:src|href)="([^"]+)"', html))


def test_the_docs_assets_are_served_by_exhale_itself(client):
    html = client.get(reverse("api-docs")).content.decode()
    assets = re.findall(r'(?:src|href)="(/[^"]+)"', html)

    assert any(asset.endswith(".js") for asset in assets)
    for asset in assets:
        response = client.get(asset)
        assert response.status_code == HTTPStatus.OK, asset
        body = b"".join(response) if response.streaming else response.content
        assert b"cdn.jsdelivr" not in body


def test_the_docs_page_runs_no_inline_script(client):
    response = client.get(reverse("api-docs"))
    html = response.content.decode()

    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline'" not in csp.split("script-src", 1)[1].split(";", 1)[0]


def test_every_paginated_list_documents_404_for_a_page_that_does_not_exist(client, schema):
    """DRF answers 404 "Invalid page." past the last page (found by the API fuzz)."""
    paginated = [
        (path, method)
        for path, method, operation in _operations(schema)
        if any(p["name"] == "page" for p in operation.get("parameters", []))
    ]
    assert ("/api/v1/patients/", "get") in paginated
    for path, method in paginated:
        response = schema["paths"][path][method]["responses"]["404"]
        assert response["content"]["application/json"]["schema"]["$ref"] == ERROR_REF

    client.force_login(ClinicianFactory())
    answer = client.get(f"{reverse('api:patient_list')}?page=99")
    assert answer.status_code == HTTPStatus.NOT_FOUND
    assert answer.json()["code"] == "not_found"


def test_a_flag_not_yet_resolved_may_have_an_empty_outcome(schema):
    outcome = schema["components"]["schemas"]["Flag"]["properties"]["outcome"]

    assert any(_resolve(schema, option).get("enum") == [""] for option in outcome["oneOf"])


def test_every_rate_limited_operation_documents_429(schema):
    """Every view but crisis help has DRF's throttles (found by the API fuzz: a public text
    answered an undocumented 429)."""
    for path, method, operation in _operations(schema):
        if path == "/api/v1/crisis-resources/":
            assert "429" not in operation["responses"]
        else:
            assert "429" in operation["responses"], (path, method)


def test_a_step_not_reached_yet_has_no_dates(schema):
    step = schema["components"]["schemas"]["Step"]["properties"]

    assert step["first_seen_at"]["nullable"] is True
    assert step["completed_at"]["nullable"] is True


def test_every_operation_with_a_body_documents_415(client, schema):
    """A body in another media type is a 415 (found by the API fuzz)."""
    for path, method, operation in _operations(schema):
        if "requestBody" in operation:
            assert "415" in operation["responses"], (path, method)

    client.force_login(ClinicianFactory())
    answer = client.post(reverse("api:invitation_list"), "x", content_type="text/plain")
    assert answer.status_code == HTTPStatus.UNSUPPORTED_MEDIA_TYPE
    assert answer.json()["code"] == "unsupported_media_type"
