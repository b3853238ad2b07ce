"""Response headers: a strict Content-Security-Policy, no framing, no sniffing, referrer policy."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.urls import reverse

from tests.factories import AdminFactory

pytestmark = pytest.mark.django_db


def _directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    directives = {}
    for part in policy.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def _assert_common_headers(response) -> None:
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"]
    assert "geolocation=()" in response["Permissions-Policy"]
    assert "microphone=()" in response["Permissions-Policy"]


def _assert_strict_csp(response) -> None:
    csp = response["Content-Security-Policy"]
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp
    directives = _directives(response)
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["base-uri"] == ["'none'"]
    assert directives["form-action"] == ["'self'"]


@pytest.mark.parametrize(
    "url",
    [
        "/",  # landing
        "/accounts/login/",
        "/help/",
        "/health/",
        "/api/v1/crisis-resources/",
        "/api/v1/me/",  # a 401
        "/no-such-page/",  # a 404
        "/administrator/",  # looks like the admin, is not
    ],
)
def test_anonymous_pages_carry_strict_security_headers(client, url):
    response = client.get(url)

    _assert_common_headers(response)
    _assert_strict_csp(response)


def test_logged_in_patient_pages_carry_strict_security_headers(client, patient):
    client.force_login(patient)

    for name in ("accounts:patient_home", "core:notification_list", "accounts:account"):
        response = client.get(reverse(name))
        assert response.status_code == HTTPStatus.OK, name
        _assert_common_headers(response)
        _assert_strict_csp(response)


@pytest.mark.parametrize("url", ["/admin/login/", "/api/docs/"])
def test_admin_and_api_docs_allow_inline_styles_only(client, url):
    response = client.get(url)

    _assert_common_headers(response)
    directives = _directives(response)
    assert directives["style-src"] == ["'self'", "'unsafe-inline'"]
    assert directives["script-src"] == ["'self'"]  # never inline scripts, even here
    assert directives["frame-ancestors"] == ["'none'"]


def test_admin_pages_for_a_logged_in_admin_carry_the_headers(client):
    client.force_login(AdminFactory())

    response = client.get(reverse("admin:index"))

    assert response.status_code == HTTPStatus.OK
    _assert_common_headers(response)
    assert _directives(response)["script-src"] == ["'self'"]


def test_pages_have_no_inline_scripts_or_styles(client, patient):
    """The strict policy would block them; nothing patient-facing may rely on them."""
    client.force_login(patient)

    for url in (reverse("accounts:patient_home"), reverse("safety:crisis")):
        content = client.get(url).content.decode()
        assert "<style" not in content
        assert " style=" not in content
        assert " onclick=" not in content
        for tag in content.split("<script")[1:]:
            assert " src=" in tag.split(">", 1)[0], f"inline script on {url}"
