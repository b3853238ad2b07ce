"""Browser journeys in Chromium through Playwright, against pytest-django's live server.

Every page a journey lands on goes through `audit`: axe-core (WCAG 2.2 AA rules), the
"Get help now" link visible at the page's width, and no sideways scrolling at 360 px.
"""

from __future__ import annotations

import os
import re
import weakref
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; Django refuses ORM calls from a thread
# with a running loop unless told otherwise. Only the browser tests need this.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

E2E_DIR = Path(__file__).parent
CHROMIUM = os.environ.get("EXHALE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # The test machine has no network: without these Chromium keeps dialling Google's services.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 360, "height": 740}
# EXHALE_E2E_SCREENSHOTS=<folder>: keep a full-page picture of every audited page, for a human.
SCREENSHOTS = (
    Path(os.environ["EXHALE_E2E_SCREENSHOTS"]) if os.environ.get("EXHALE_E2E_SCREENSHOTS") else None
)
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]

# Contexts created with JavaScript off. In them Chromium runs no microtasks or timers, even for
# Playwright's own evaluate, so axe (which is asynchronous) cannot run there; `audit` checks
# their pages by replaying the exact HTML the browser received in a scripted tab.
_SCRIPTLESS: weakref.WeakSet = weakref.WeakSet()


def pytest_collection_modifyitems(config, items):
    for item in items:
        if E2E_DIR in Path(item.fspath).parents:
            item.add_marker(pytest.mark.e2e)


def _unavailable(reason: str):
    """No browser: a skip on a developer's machine, a failure in CI, where it must run."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: the browser tests must run in CI)", pytrace=False)
    pytest.skip(reason)


def _static_as_in_production(handler):
    return handler


@pytest.fixture(scope="session")
def live_server(request, _collected_static):
    """pytest-django's live server, except that WhiteNoise serves the static files, as in
    production. pytest-django's own static handler looks files up by their source names, so the
    fingerprinted names that DEBUG-off pages link to (exhale.<hash>.css) would answer 404."""
    from pytest_django.live_server_helper import LiveServer

    address = (
        request.config.getvalue("liveserver")
        or os.environ.get("DJANGO_LIVE_TEST_SERVER_ADDRESS")
        or "localhost"
    )
    server = LiveServer(address, start=False)
    server.thread.static_handler = _static_as_in_production
    server.start()
    yield server
    server.stop()


# Package scope: Playwright's event loop stops once the browser tests are done, so tests that run
# after them (pytest-django runs transactional tests last) are not inside a running loop.
@pytest.fixture(scope="package")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable(
            "the playwright package is not installed (pip install -r requirements-dev.txt)"
        )
    if not os.access(CHROMIUM, os.X_OK):
        _unavailable(
            f"no Chromium at {CHROMIUM} (apt-get install chromium, or set EXHALE_CHROMIUM)"
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def axe_source() -> str:
    try:
        from axe_playwright_python.base import AXE_FILE_PATH
    except ImportError:
        _unavailable("axe-playwright-python is not installed (pip install -r requirements-dev.txt)")
    return AXE_FILE_PATH.read_text(encoding="utf-8")


@pytest.fixture
def new_page(browser, live_server):
    """Open a page on the live server: a 360 x 740 phone unless told otherwise.

    Cookies stay Secure, as in production: Chromium counts http://localhost as a secure origin.
    """
    contexts = []

    def open_page(*, javascript: bool = True, viewport: dict | None = None):
        context = browser.new_context(
            base_url=live_server.url,
            viewport=viewport or PHONE,
            java_script_enabled=javascript,
            locale="en-GB",
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        if not javascript:
            _SCRIPTLESS.add(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    return new_page()


@pytest.fixture
def nojs_page(new_page):
    return new_page(javascript=False)


def _format_violations(url: str, violations: list[dict]) -> str:
    lines = [f"axe found {len(violations)} accessibility violation(s) on {url}:"]
    for violation in violations:
        lines.append(
            f"- {violation['id']} ({violation['impact']}): {violation['help']} "
            f"[{violation['helpUrl']}]"
        )
        for node in violation["nodes"][:10]:
            target = " ".join(str(part) for part in node["target"])
            lines.append(f"    {target}: {node['failureSummary'].splitlines()[-1].strip()}")
            lines.append(f"      {node['html'][:200]}")
    return "\n".join(lines)


def _axe(page, axe_source: str) -> list[dict]:
    # page.evaluate runs through the DevTools protocol, which the page's Content-Security-Policy
    # (script-src 'self') does not govern, so the product's CSP stays as it is in production.
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(axe_source)
    results = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags},"
        " resultTypes: ['violations']})",
        WCAG_TAGS,
    )
    return results["violations"]


def _check_layout(page) -> list[str]:
    problems = []
    if not page.evaluate(
        "[...document.querySelectorAll('link[rel=stylesheet]')].every(link => link.sheet)"
    ):
        problems.append("a stylesheet did not load, so nothing below was checked as styled")
    help_link = page.locator("header").get_by_role("link", name="Get help now")
    if not help_link.is_visible():
        problems.append('the "Get help now" link in the header is not visible')
    width = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    if width[0] > width[1]:
        problems.append(f"the page scrolls sideways: {width[0]} px wide in a {width[1]} px window")
    return problems


@pytest.fixture
def audit(browser, axe_source):
    """audit(page): axe's WCAG 2.2 A/AA rules, plus the help link and no sideways scrolling."""
    replays = []

    def run(page) -> None:
        url = page.url
        if SCREENSHOTS:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            shots = sorted(SCREENSHOTS.glob("*.png"))
            name = f"{len(shots):03d}-{re.sub(r'[^a-z0-9]+', '-', url.split('/', 3)[-1])[:60]}"
            page.screenshot(path=SCREENSHOTS / f"{name.strip('-')}.png", full_page=True)
        problems = _check_layout(page)
        if page.context in _SCRIPTLESS:
            # Replay the HTML this script-less tab received in a scripted tab of the same size
            # and origin (so the same CSS applies), and let axe read that.
            # (<noscript> content is the one thing that differs; no template uses it yet.)
            html = page.content()
            if not replays:
                replays.append(browser.new_context(viewport=page.viewport_size))
            target = replays[0].new_page()
            target.route(url, lambda route: route.fulfill(body=html, content_type="text/html"))
            target.goto(url)
        else:
            target = page
        violations = _axe(target, axe_source)
        message = []
        if violations:
            message.append(_format_violations(url, violations))
        if problems:
            message.append(f"At {page.viewport_size['width']} px on {url}: " + "; ".join(problems))
        if message:
            pytest.fail("\n".join(message), pytrace=False)

    yield run
    for context in replays:
        context.close()


@pytest.fixture
def visit(audit):
    """visit(page, path): open a page, check it answered 200, audit it."""

    def go(page, path: str, *, status: int = 200):
        response = page.goto(path)
        assert response is not None
        assert response.status == status, f"{path} answered {response.status}"
        audit(page)
        return response

    return go


@pytest.fixture
def click_through(audit):
    """click_through(page, locator): click a link or button, wait for the next page, audit it."""

    def click(page, locator, *, status: int = 200):
        with page.expect_navigation() as navigation:
            locator.click()
        response = navigation.value
        assert response is not None
        assert response.status == status, f"{response.url} answered {response.status}"
        audit(page)
        return response

    return click


@pytest.fixture
def submit(click_through):
    """submit(page, button_name): press the button that sends a form, audit the next page."""

    def press(page, button_name: str, *, status: int = 200):
        button = page.get_by_role("main").get_by_role("button", name=button_name, exact=True)
        return click_through(page, button, status=status)

    return press
