"""Static files as production serves them: fingerprinted names in the pages, cached for good by
browsers under those names, compressed when the browser asks, and never long-cached under a name
without a fingerprint (a change would not reach a browser that kept the old file).

The suite runs with DJANGO_DEBUG off (pyproject.toml), and tests/conftest.py collects the static
files once per test process with the production storage into STATIC_ROOT; these tests read that
collection and ask for it through the WSGI stack, where WhiteNoise answers."""

from __future__ import annotations

import gzip
import re
from http import HTTPStatus
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles.storage import staticfiles_storage
from django.test import Client
from django.urls import reverse

from tests.factories import PatientFactory
from tests.peersupport.helpers import a_group, member_of

pytestmark = pytest.mark.django_db

TEMPLATES = Path(settings.BASE_DIR) / "templates"
# Django's manifest storage puts 12 hex digits of the content's MD5 before the extension.
FINGERPRINTED = re.compile(r"^/static/(?P<name>[\w/.-]+)\.(?P<hash>[0-9a-f]{12})\.(?P<ext>\w+)$")
ASSET = re.compile(r"""<(?:link|script|img)\b[^>]*?\b(?:href|src)="(/static/[^"]+)\"""")


def _get(client: Client, url: str, **headers):
    response = client.get(url, headers=headers)
    # Reading a streamed file to its end closes it, as a WSGI server would.
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return response, body


def _max_age(response) -> int:
    match = re.search(r"max-age=(\d+)", response.get("Cache-Control", ""))
    assert match, f"no max-age in Cache-Control: {response.get('Cache-Control')!r}"
    return int(match.group(1))


def _assets(html: str) -> set[str]:
    return set(ASSET.findall(html))


@pytest.fixture
def page_assets(db) -> dict[str, set[str]]:
    """The static files three pages link to: base.html's, the onboarding layout's and a group's
    (the pages with htmx)."""
    client = Client()
    pages = {"login": reverse("account_login"), "privacy": reverse("onboarding:privacy")}
    assets = {name: _assets(_get(client, url)[1].decode()) for name, url in pages.items()}
    group = a_group()
    member = member_of(group)
    client.force_login(member)
    group_page = _get(client, reverse("peersupport:group", args=[group.slug]))[1].decode()
    return {**assets, "group": _assets(group_page)}


def test_production_settings_fingerprint_and_compress():
    assert not settings.DEBUG
    assert (
        settings.STORAGES["staticfiles"]["BACKEND"]
        == "whitenoise.storage.CompressedManifestStaticFilesStorage"
    )
    assert "whitenoise.middleware.WhiteNoiseMiddleware" in settings.MIDDLEWARE
    # Straight after SecurityMiddleware: a static file is answered before sessions and the rest.
    assert settings.MIDDLEWARE.index("whitenoise.middleware.WhiteNoiseMiddleware") == 1
    assert (Path(settings.STATIC_ROOT) / "staticfiles.json").is_file()


def test_pages_link_only_fingerprinted_static_files(client):
    group = a_group()
    slug = group.slug
    pages = [
        ("login", reverse("account_login")),
        ("privacy (onboarding layout)", reverse("onboarding:privacy")),
        ("patient home, logged in", reverse("accounts:patient_home")),
        ("a group, the only kind of page with htmx", reverse("peersupport:group", args=[slug])),
    ]
    seen = set()
    for label, url in pages:
        if url == reverse("accounts:patient_home"):
            patient = PatientFactory(password=None)
            member_of(group, patient=patient)
            client.force_login(patient)
        response = client.get(url)
        assert response.status_code == HTTPStatus.OK, f"{label}: {response.status_code}"
        assets = _assets(response.content.decode())
        assert assets, f"{label} links no static file"
        unversioned = [asset for asset in assets if not FINGERPRINTED.match(asset)]
        assert not unversioned, f"{label} links static files without a fingerprint: {unversioned}"
        seen |= {FINGERPRINTED.match(asset)["name"] for asset in assets}
    assert {"css/exhale", "css/onboarding", "js/htmx.min", "img/favicon"} <= seen


def test_every_static_file_a_template_names_has_a_fingerprinted_url():
    """Templates the pages above do not reach (moderation, admin overrides) too: each
    `{% static %}` name is in the manifest, so it renders fingerprinted (or the page fails)."""
    names = set()
    for template in TEMPLATES.rglob("*.html"):
        names |= set(re.findall(r"""{%\s*static\s+["']([^"']+)["']""", template.read_text()))
    assert names
    for name in sorted(names):
        url = staticfiles_storage.url(name)
        assert FINGERPRINTED.match(url), f"{name} → {url}"


def test_fingerprinted_files_are_cached_for_good_and_compressed_on_request(page_assets):
    client = Client()
    assets = set().union(*page_assets.values())
    # Text files; an image as small as the favicon is left as it is when gzip gains nothing.
    compressible = [a for a in assets if a.endswith((".css", ".js"))]
    assert len(compressible) >= 3
    for url in sorted(assets):
        plain, body = _get(client, url)
        assert plain.status_code == HTTPStatus.OK, url
        assert "immutable" in plain["Cache-Control"], f"{url}: {plain['Cache-Control']}"
        assert "public" in plain["Cache-Control"], f"{url}: {plain['Cache-Control']}"
        assert _max_age(plain) >= 365 * 24 * 60 * 60, f"{url}: {plain['Cache-Control']}"
        assert not plain.has_header("Content-Encoding"), f"{url} compressed unasked"
        if url not in compressible:
            continue
        assert "Accept-Encoding" in plain.get("Vary", ""), f"{url}: Vary {plain.get('Vary')!r}"
        zipped, zipped_body = _get(client, url, accept_encoding="gzip, deflate")
        assert zipped.status_code == HTTPStatus.OK, url
        assert zipped["Content-Encoding"] == "gzip", url
        assert "Accept-Encoding" in zipped.get("Vary", ""), url
        assert zipped["Cache-Control"] == plain["Cache-Control"], url
        assert gzip.decompress(zipped_body) == body, f"{url}: the gzip variant differs"
        assert int(zipped["Content-Length"]) == len(zipped_body) < len(body), url


def test_brotli_is_served_when_it_is_installed_and_asked_for(page_assets):
    brotli = pytest.importorskip("brotli", reason="Brotli is not installed: gzip only")
    client = Client()
    stylesheet = next(a for a in page_assets["login"] if a.endswith(".css"))
    _plain, body = _get(client, stylesheet)
    response, encoded = _get(client, stylesheet, accept_encoding="gzip, deflate, br")
    assert response["Content-Encoding"] == "br"
    assert brotli.decompress(encoded) == body


def test_names_without_a_fingerprint_are_not_long_cached(page_assets):
    """WhiteNoise also answers a file's plain name (css/exhale.css); a browser or proxy that kept
    it for a year would go on using an old stylesheet after a release."""
    client = Client()
    assets = set().union(*page_assets.values())
    for url in sorted(assets):
        match = FINGERPRINTED.match(url)
        plain_url = f"/static/{match['name']}.{match['ext']}"
        response, _body = _get(client, plain_url)
        assert response.status_code == HTTPStatus.OK, plain_url
        assert "immutable" not in response["Cache-Control"], plain_url
        assert _max_age(response) <= 10 * 60, f"{plain_url}: {response['Cache-Control']}"


def test_pages_are_gzip_compressed_for_a_browser_that_asks(client):
    """Pages too (core.middleware.PageGZipMiddleware): a page of a thread (20 replies) is about
    54 KB of HTML and 5 KB sent. The API's JSON is left as it is."""
    gzip_please = {"accept-encoding": "gzip, deflate"}
    plain = client.get(reverse("safety:crisis"))
    zipped = client.get(reverse("safety:crisis"), headers=gzip_please)
    assert not plain.has_header("Content-Encoding")
    assert zipped["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in zipped["Vary"]
    assert "<h1>" in gzip.decompress(zipped.content).decode()
    assert len(zipped.content) < len(plain.content) / 2

    api = client.get(reverse("api:crisis_resource_list"), headers=gzip_please)
    assert api.status_code == HTTPStatus.OK
    assert not api.has_header("Content-Encoding")
    assert api.json()
