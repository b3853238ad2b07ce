"""Response headers: a strict Content-Security-Policy (django-csp, no 'unsafe-inline' anywhere, a
nonce where a third-party page has an inline style block), no framing, no sniffing, referrer
policy; no-store on every page for a logged-in user; secure cookies and HSTS.

The suite runs with DJANGO_DEBUG off (pyproject.toml), so these are the production settings."""

from __future__ import annotations

import re
from http import HTTPStatus

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse

from accounts import services as account_services
from core.models import AuditEvent
from tests.factories import (
    PASSWORD,
    AdminFactory,
    ClinicianFactory,
    PatientFactory,
    PeerFactory,
)

pytestmark = pytest.mark.django_db

NONCE = re.compile(r"'nonce-([A-Za-z0-9+/=]+)'")


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


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


def _assert_strict_csp(response, *, style_nonce: bool = False) -> None:
    csp = response["Content-Security-Policy"]
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp
    assert "unsafe-hashes" not in csp
    directives = _directives(response)
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'"]  # never inline scripts, not even with a nonce
    if style_nonce:
        assert directives["style-src"][0] == "'self'"
        assert len(directives["style-src"]) == 2
        assert NONCE.fullmatch(directives["style-src"][1])
    else:
        assert directives["style-src"] == ["'self'"]
    assert directives["img-src"] == ["'self'", "data:"]
    assert directives["connect-src"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["base-uri"] == ["'none'"]
    assert directives["form-action"] == ["'self'"]


def _assert_inline_styles_carry_the_nonce(response) -> None:
    """Every inline style block carries the header's nonce; no style attribute, no inline script."""
    content = response.content.decode()
    nonce = NONCE.search(response["Content-Security-Policy"]).group(1)
    blocks = re.findall(r"<style\b[^>]*>", content)
    assert blocks
    for tag in blocks:
        assert f'nonce="{nonce}"' in tag, tag
    assert " style=" not in content
    for tag in content.split("<script")[1:]:
        opening = tag.split(">", 1)[0]
        assert " src=" in opening or 'type="application/json"' in opening


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
        "/admin/login/",  # a redirect to allauth's login
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


def test_api_docs_style_block_carries_a_fresh_nonce_and_nothing_inline(client):
    first = client.get("/api/docs/")
    second = client.get("/api/docs/")

    assert first.status_code == HTTPStatus.OK
    _assert_common_headers(first)
    _assert_strict_csp(first, style_nonce=True)
    _assert_inline_styles_carry_the_nonce(first)
    nonces = {NONCE.search(r["Content-Security-Policy"]).group(1) for r in (first, second)}
    assert len(nonces) == 2  # a new nonce for every response
    # The Swagger UI script is served from a URL, not written into the page.
    script = client.get("/api/docs/?script=")
    assert script.status_code == HTTPStatus.OK
    assert "SwaggerUIBundle" in script.content.decode()


def test_admin_pages_for_a_logged_in_admin_carry_strict_headers(client, patient):
    client.force_login(AdminFactory())

    for url in (
        reverse("admin:index"),
        reverse("admin:core_auditevent_changelist"),
        reverse("admin:accounts_user_changelist"),
        reverse("admin:accounts_user_change", args=[patient.pk]),
    ):
        response = client.get(url)
        assert response.status_code == HTTPStatus.OK, url
        _assert_common_headers(response)
        _assert_strict_csp(response)  # Django's admin writes no inline style on these
        assert "<style" not in response.content.decode()


def test_admin_change_list_without_actions_carries_its_style_with_the_nonce(client, monkeypatch):
    """Django writes an inline style block for a model admin without action bars: ours has the
    nonce (templates/admin/change_list.html), so no 'unsafe-inline' is needed."""
    model_admin = admin.site._registry[AuditEvent]
    monkeypatch.setattr(model_admin, "actions_on_top", False)
    monkeypatch.setattr(model_admin, "actions_on_bottom", False)
    client.force_login(AdminFactory())

    response = client.get(reverse("admin:core_auditevent_changelist"))

    assert response.status_code == HTTPStatus.OK
    _assert_strict_csp(response, style_nonce=True)
    _assert_inline_styles_carry_the_nonce(response)
    assert "thead th:first-child" in response.content.decode()


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


# --- no-store ----------------------------------------------------------------------------------


def _assert_no_store(response, url: str) -> None:
    cache_control = response.get("Cache-Control", "")
    assert "no-store" in cache_control, f"{url}: {cache_control!r}"
    assert "private" in cache_control, f"{url}: {cache_control!r}"


def _pages_by_role():
    """(user, urls) for each role: representative pages that show a patient's data."""
    clinician = ClinicianFactory()
    patient = PatientFactory(profile=clinician)
    peer = PeerFactory()
    admin_user = AdminFactory()
    return [
        (
            patient,
            [
                reverse("accounts:patient_home"),
                reverse("accounts:account"),
                reverse("core:notification_list"),
                reverse("safety:safety_plan"),
                reverse("safety:crisis"),  # public, but this copy names the user in its menu
                "/api/v1/me/",
            ],
        ),
        (
            clinician,
            [
                reverse("accounts:clinician_home"),
                reverse("accounts:patient_detail", args=[patient.pk]),
                reverse("safety:flag_queue"),
                "/api/v1/me/",
            ],
        ),
        (peer, [reverse("accounts:peer_home"), "/api/v1/me/"]),
        (
            admin_user,
            [
                reverse("accounts:admin_home"),
                reverse("admin:index"),
                reverse("admin:accounts_user_changelist"),
                reverse("admin:accounts_user_change", args=[patient.pk]),
            ],
        ),
    ]


def test_every_page_for_a_logged_in_user_is_never_stored(client):
    for user, urls in _pages_by_role():
        client.force_login(user)
        for url in urls:
            response = client.get(url)
            assert response.status_code == HTTPStatus.OK, f"{user.role} {url}"
            _assert_no_store(response, url)
        client.logout()


def test_an_api_call_with_a_token_is_never_stored(client):
    """Token authentication happens inside the view (DRF), after the middleware has looked."""
    _, key = account_services.api_token_create(user=ClinicianFactory(), name="laptop")

    response = client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {key}")

    assert response.status_code == HTTPStatus.OK
    _assert_no_store(response, "/api/v1/me/")


def test_errors_and_redirects_for_a_logged_in_user_are_never_stored(client, patient):
    client.force_login(patient)

    for url, status in (
        ("/no-such-page/", HTTPStatus.NOT_FOUND),
        (reverse("safety:flag_queue"), HTTPStatus.FORBIDDEN),
        ("/", HTTPStatus.FOUND),
    ):
        response = client.get(url)
        assert response.status_code == status, url
        _assert_no_store(response, url)


def test_account_flows_are_never_stored_even_when_logged_out(client):
    for url in (reverse("account_login"), reverse("account_reset_password")):
        response = client.get(url)
        assert response.status_code == HTTPStatus.OK, url
        _assert_no_store(response, url)


@pytest.mark.parametrize("url", ["/", "/help/", "/api/v1/crisis-resources/"])
def test_public_pages_stay_cacheable_for_anonymous_visitors(client, url):
    response = client.get(url)

    assert response.status_code == HTTPStatus.OK
    assert "no-store" not in response.get("Cache-Control", "")
    assert "private" not in response.get("Cache-Control", "")


def test_logging_out_answers_with_no_store(client, patient):
    client.force_login(patient)

    response = client.post(reverse("account_logout"))

    assert response.status_code == HTTPStatus.FOUND
    _assert_no_store(response, "logout")


# --- cookies and HTTPS under the production settings --------------------------------------------


def test_the_suite_runs_with_the_production_security_settings(settings):
    """The rest of this file would prove less with DEBUG on: the secure branch of the settings."""
    assert settings.DEBUG is False
    assert settings.SESSION_COOKIE_SECURE is True
    assert settings.CSRF_COOKIE_SECURE is True
    assert settings.SESSION_COOKIE_HTTPONLY is True
    assert settings.CSRF_COOKIE_HTTPONLY is True
    assert settings.SESSION_COOKIE_SAMESITE == "Lax"
    assert settings.SECURE_HSTS_SECONDS >= 60 * 60 * 24 * 365
    assert settings.SECURE_PROXY_SSL_HEADER == ("HTTP_X_FORWARDED_PROTO", "https")


def test_login_sets_secure_http_only_same_site_cookies(client, settings):
    patient = PatientFactory()

    form = client.get(reverse("account_login"))
    response = client.post(reverse("account_login"), {"login": patient.email, "password": PASSWORD})

    assert response.status_code == HTTPStatus.FOUND
    session = response.cookies[settings.SESSION_COOKIE_NAME]
    assert session.value
    assert session["secure"] is True
    assert session["httponly"] is True
    assert session["samesite"] == "Lax"
    csrf = form.cookies["csrftoken"]
    assert csrf["secure"] is True
    assert csrf["httponly"] is True
    assert csrf["samesite"] == "Lax"


def test_https_responses_carry_hsts_with_subdomains_and_preload(client):
    # Behind the proxy (X-Forwarded-Proto) as in production, and directly over HTTPS.
    for response in (
        client.get("/", secure=True),
        client.get("/", HTTP_X_FORWARDED_PROTO="https"),
    ):
        assert response.status_code == HTTPStatus.OK
        assert response["Strict-Transport-Security"] == (
            "max-age=31536000; includeSubDomains; preload"
        )


@override_settings(SECURE_SSL_REDIRECT=True)
def test_plain_http_is_redirected_to_https_except_the_health_check(client):
    response = client.get("/help/")

    assert response.status_code == HTTPStatus.MOVED_PERMANENTLY
    assert response["Location"] == "https://testserver/help/"
    assert client.get("/health/").status_code in (HTTPStatus.OK, HTTPStatus.SERVICE_UNAVAILABLE)


def test_the_deploy_check_fails_on_a_loosened_policy(settings):
    """core.checks: a policy with 'unsafe-inline' fails `check --deploy --fail-level WARNING`."""
    from django.core.management.base import SystemCheckError

    from core.checks import content_security_policy_check

    assert content_security_policy_check(None) == []
    policy = settings.CONTENT_SECURITY_POLICY
    loose = {"DIRECTIVES": {**policy["DIRECTIVES"], "style-src": ["'self'", "'unsafe-inline'"]}}
    settings.CONTENT_SECURITY_POLICY = loose

    with pytest.raises(SystemCheckError, match=r"core\.W004"):
        call_command("check", "--deploy", "--fail-level", "WARNING", "--tag", "security")

    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if m != "csp.middleware.CSPMiddleware"]
    settings.CONTENT_SECURITY_POLICY = policy
    with pytest.raises(SystemCheckError, match=r"core\.W002"):
        call_command("check", "--deploy", "--fail-level", "WARNING", "--tag", "security")
