"""Page weight: what each page a patient reaches costs on a first visit with an empty cache, in
bytes as they cross the network (compressed where the server compresses them): the HTML, the
stylesheets, scripts, images and fonts. The budget is 100 KB a page (issue 10: cheap phones on
poor connections).

Measured in Chromium through the DevTools protocol: the browser cache is off, and each request's
`encodedDataLength` at Network.loadingFinished (the bytes received for it, headers included) is
summed by resource type. The live server runs the production middleware: WhiteNoise answers
static files from what `collectstatic` wrote with the production storage (tests/conftest.py,
tests/e2e/conftest.py), the fingerprinted, gzip-compressed files production serves, and pages are
gzipped (core.middleware.PageGZipMiddleware); the test checks each page, stylesheet and script
came compressed, and each static file under a fingerprinted name, cached for good.

The data are the demo's (`seed_demo`: four patients with weeks of history, two groups, a 1:1
conversation, the trial), with every list a patient scrolls filled to what one page shows at
most: a thread with a full page of replies, a group with a full page of conversations, a full
page of notices and of "My posts", and the longest 1:1 conversation the messages page shows.
A page's weight then stays where it is however much history piles up.

`patient_pages` and `build_world` are shared with tests/e2e/test_without_javascript.py, which
opens the same pages with JavaScript off.
"""

from __future__ import annotations

import inspect
import random
import re
import time
from dataclasses import dataclass
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Count
from django.utils import timezone
from playwright.sync_api import Error as PlaywrightError

from accounts.demo import DEMO_PASSWORD
from accounts.models import User
from core.models import Notification
from onboarding.models import ContentVersion
from onboarding.services import TOUR_STOPS
from peersupport import selectors as peer_selectors
from peersupport.demo import TOPIC_SLUG
from peersupport.models import Conversation, PeerGroup, PeerMessage, Post
from peersupport.views import member as member_views
from tests.factories import InvitationFactory
from trials.models import FollowUp, Participant, Trial
from trials.services import participation

pytestmark = pytest.mark.usefixtures("transactional_db")

BUDGET = 100_000  # bytes, everything a first load transfers
NOTICES_PER_PAGE = 20  # core/views.py: notification_list_view
MESSAGES_SHOWN = inspect.signature(peer_selectors.conversation_messages).parameters["limit"].default
KINDS = {"Document": "html", "Stylesheet": "css", "Script": "js", "Image": "img", "Font": "font"}
COLUMNS = ("html", "css", "js", "img", "font", "other")
# Django's manifest storage: 12 hex digits of the content's hash before the extension.
FINGERPRINTED = re.compile(r"/static/[\w/.-]+\.[0-9a-f]{12}\.\w+$")


# --- The world ----------------------------------------------------------------------------------


@dataclass
class World:
    users: dict[str, User]
    group: PeerGroup
    thread: Post
    invitation_token: str
    followup: FollowUp
    text: ContentVersion


class Prose:
    """Made-up posts and messages as long as the demo's, in the demo's words but drawn at random,
    so that no two are alike: repeated texts would compress better than real ones do, and make
    the pages look lighter than they are."""

    def __init__(self, texts: list[str]) -> None:
        assert texts
        self.lengths = [len(text.split()) for text in texts]
        self.words = [word.strip(".,!?;:'\"()").lower() for text in texts for word in text.split()]
        self.random = random.Random(10)  # the same texts on every run

    def __call__(self) -> str:
        words = self.random.choices(self.words, k=self.random.choice(self.lengths))
        return " ".join(words).capitalize() + "."


def _fill_thread_and_group(users: dict[str, User], group: PeerGroup) -> Post:
    """The busiest conversation gets a full page of replies and the group a full page of
    conversations, Alex writing every other one (so "My posts" is full too)."""
    members = [users[key] for key in ("bea", "chris", "dani")]
    published = Post.objects.filter(
        group=group, kind=Post.Kind.MEMBER, status=Post.Status.PUBLISHED
    )
    prose = Prose(list(published.values_list("body", flat=True)))
    thread = (
        published.filter(parent=None)
        .annotate(replies_count=Count("replies"))
        .order_by("-replies_count", "pk")
        .first()
    )
    start = timezone.now() - timedelta(days=2)

    def post(index: int, **fields) -> Post:
        at = start + timedelta(minutes=10 * index)
        return Post(
            group=group,
            author=users["alex"] if index % 2 == 0 else members[index % 3],
            body=prose(),
            status=Post.Status.PUBLISHED,
            created_at=at,
            published_at=at,
            **fields,
        )

    replies = member_views.REPLIES_PER_PAGE - thread.replies.count()
    threads = member_views.THREADS_PER_PAGE - published.filter(parent=None).count()
    Post.objects.bulk_create(
        [post(i, parent=thread) for i in range(max(replies, 0))]
        + [post(i, first_reply_at=start) for i in range(max(threads, 0))]
    )
    assert Post.objects.filter(author=users["alex"]).count() >= member_views.MY_POSTS_PER_PAGE
    return thread


def _fill_messages_and_notices(users: dict[str, User]) -> None:
    alex, jo = users["alex"], users["peer"]
    conversation = Conversation.objects.get(patient=alex, peer=jo)
    prose = Prose(list(conversation.messages.values_list("body", flat=True)))
    start = timezone.now() - timedelta(days=90)
    missing = MESSAGES_SHOWN - conversation.messages.count()
    PeerMessage.objects.bulk_create(
        PeerMessage(
            conversation=conversation,
            sender=alex if i % 2 == 0 else jo,
            body=prose(),
            created_at=start + timedelta(hours=9 * i),
            read_at=start + timedelta(hours=9 * i + 1),
        )
        for i in range(max(missing, 0))
    )
    Notification.objects.bulk_create(
        Notification(
            recipient=alex,
            kind="peer_reply",
            title="Someone replied in your group",
            body=prose(),
            url=f"/groups/{TOPIC_SLUG}/",
            created_at=timezone.now() - timedelta(hours=i + 1),
        )
        for i in range(NOTICES_PER_PAGE)
    )


def build_world() -> World:
    call_command("seed_demo", force=True, stdout=StringIO())
    users = {u.email.split("@")[0]: u for u in User.objects.filter(email__endswith="@exhale.demo")}
    group = PeerGroup.objects.get(slug=TOPIC_SLUG)
    thread = _fill_thread_and_group(users, group)
    _fill_messages_and_notices(users)
    # Bea's first follow-up, its window open as if its day had come: the questions' page.
    followup = FollowUp.objects.filter(participant__patient=users["bea"]).earliest("due_on")
    today = timezone.localdate()
    FollowUp.objects.filter(pk=followup.pk).update(
        status=FollowUp.Status.OPEN,
        due_on=today,
        window_opens_on=today - timedelta(days=1),
        window_closes_on=today + timedelta(days=14),
    )
    # Chris's clinician offers him the study: "The study" is his to answer.
    participation.participant_enrol(
        trial=Trial.objects.get(participants__patient=users["bea"]),
        profile=users["chris"].patient_profile,
        by=users["clinician"],
        diagnosis_group=Participant.DiagnosisGroup.DEPRESSION,
    )
    return World(
        users=users,
        group=group,
        thread=thread,
        invitation_token=InvitationFactory(invited_by=users["clinician"]).raw_token,
        followup=followup,
        text=ContentVersion.objects.filter(published_at__isnull=False).latest("published_at"),
    )


# --- The pages ----------------------------------------------------------------------------------


def patient_pages(world: World) -> dict[str | None, list[str]]:
    """Every page a patient reaches, by who opens it: nobody (before logging in), Alex (three
    weeks in, every list full: his onboarding pages are open to look back at), Dani (stopped
    half-way through her first steps), Bea (in the trial) and Chris (offered it)."""
    group, thread = world.group, world.thread
    yesterday = timezone.localdate() - timedelta(days=1)
    return {
        None: [
            "/",
            "/accounts/login/",
            "/accounts/password/reset/",
            f"/invite/{world.invitation_token}/",
            "/help/",
            "/privacy/",
            "/privacy/full/",
            f"/privacy/texts/{world.text.key}/v{world.text.version}/",
        ],
        "alex": [
            "/me/",
            "/check-in/",
            f"/check-in/{yesterday.isoformat()}/",
            "/check-in/reminders/",
            "/progress/",
            "/craving/",
            "/quit-plan/",
            "/co-readings/",
            "/medications/",
            "/groups/",
            "/groups/name/",
            "/groups/guidelines/",
            "/groups/my-posts/",
            f"/groups/{group.slug}/",
            f"/groups/{group.slug}/new/",
            f"/groups/{group.slug}/threads/{thread.pk}/",
            f"/groups/{group.slug}/posts/{thread.pk}/report/",
            "/messages/",
            "/safety-plan/",
            "/help/",
            "/help/support/",
            "/notifications/",
            "/account/",
            "/account/consents/",
            "/account/consents/programme/withdraw/",
            "/accounts/password/change/",
            "/accounts/2fa/",
            "/welcome/",
            "/welcome/hello/",
            "/welcome/your-data/",
            "/welcome/agreement/",
            "/welcome/about-you/",
            "/welcome/safety-plan/",
            "/welcome/quit-plan/",
            "/welcome/tour/",
            "/welcome/tour/watch/",
            *(f"/welcome/tour/{stop}/" for stop in TOUR_STOPS),
            "/welcome/groups/",
            "/welcome/groups/name/",
        ],
        "dani": ["/welcome/quit-plan/", "/welcome/safety-plan/"],
        "bea": ["/study/", f"/study/follow-up/{world.followup.pk}/"],
        "chris": ["/study/agree/"],
    }


def log_in(page, user: User) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email address").fill(user.email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    with page.expect_navigation():
        page.get_by_role("main").get_by_role("button", name="Log in", exact=True).click()
    assert "/accounts/login/" not in page.url, f"{user.email} could not log in"


def open_page(page, path: str):
    """Go to `path` and check it answered 200 itself, not by a redirect to some other page."""
    response = page.goto(path)
    assert response is not None, path
    assert response.request.redirected_from is None, f"{path} redirected to {page.url}"
    assert response.status == 200, f"{path} answered {response.status}"
    return response


# --- Measuring ----------------------------------------------------------------------------------


class Meter:
    """One tab's requests, with the bytes each took on the network, the browser cache off so
    that every page load is a first visit.

    The favicon is the exception. Chromium fetches it on its own, after the load event, when it
    gets round to it (sometimes twice, dropping one), so counting its requests with the page
    would make the figures change from run to run. They are left out here; the test measures
    the favicon once, as a page of its own, and adds it to every page that links it."""

    def __init__(self, page) -> None:
        self.page = page
        self.requests: dict[str, dict] = {}
        self.skip_favicon = True
        cdp = page.context.new_cdp_session(page)
        cdp.on("Network.requestWillBeSent", self._sent)
        cdp.on("Network.responseReceived", self._received)
        cdp.on("Network.loadingFinished", self._finished)
        cdp.on("Network.loadingFailed", self._failed)
        cdp.send("Network.enable")
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})

    def _sent(self, event) -> None:
        url = event["request"]["url"]
        if not (self.skip_favicon and "/favicon" in url):
            self.requests.setdefault(event["requestId"], {"url": url})

    def _received(self, event) -> None:
        # Only the requests of this load: a late answer to the last page's is not counted.
        if (request := self.requests.get(event["requestId"])) is not None:
            request["kind"] = KINDS.get(event["type"], "other")
            request["status"] = event["response"]["status"]
            request["headers"] = {k.lower(): v for k, v in event["response"]["headers"].items()}

    def _finished(self, event) -> None:
        if (request := self.requests.get(event["requestId"])) is not None:
            request["bytes"] = int(event["encodedDataLength"])

    def _failed(self, event) -> None:
        if (request := self.requests.get(event["requestId"])) is not None:
            request["failed"] = event.get("errorText", "?")

    def load(self, path: str) -> list[dict]:
        """Open `path`: every request the load made, once each has finished."""
        self.requests = {}
        open_page(self.page, path)
        deadline = time.monotonic() + 5
        while any("bytes" not in r and "failed" not in r for r in self.requests.values()):
            assert time.monotonic() < deadline, f"{path}: requests still open {self.requests}"
            self.page.wait_for_timeout(10)
        failed = [r for r in self.requests.values() if "failed" in r]
        assert not failed, f"{path}: requests failed: {failed}"
        return list(self.requests.values())

    def favicon_bytes(self) -> int:
        """The favicon the page links, opened on its own: what its first fetch costs."""
        icon = self.page.locator("link[rel=icon]")
        if icon.count() == 0:
            return 0
        href = icon.get_attribute("href")
        path = self.page.url
        self.skip_favicon = False
        try:
            # (The tab may ask for /favicon.ico too, for the picture on its own.)
            (request,) = [r for r in self.load(href) if r["url"].endswith(href)]
        finally:
            self.skip_favicon = True
            self.page.goto(path)
        problems = _delivery_problems([{**request, "kind": "img"}])
        assert not problems, problems
        return request["bytes"]


def _delivery_problems(requests: list[dict]) -> list[str]:
    """Not as production serves it: a page or a stylesheet or script sent uncompressed, or a
    static file without a fingerprint in its name or not cached for good."""
    problems = []
    for request in requests:
        url, headers = request["url"], request["headers"]
        if request["kind"] in ("html", "css", "js") and headers.get("content-encoding") not in (
            "gzip",
            "br",
        ):
            problems.append(f"{url}: sent uncompressed")
        if "/static/" not in url:
            continue
        if not FINGERPRINTED.search(url):
            problems.append(f"{url}: no fingerprint in the name")
        if "immutable" not in headers.get("cache-control", ""):
            problems.append(f"{url}: Cache-Control {headers.get('cache-control')!r}")
    return problems


def _row(requests: list[dict]) -> dict[str, int]:
    row = dict.fromkeys(COLUMNS, 0)
    for request in requests:
        row[request.get("kind", "other")] += request["bytes"]
    row["total"] = sum(row.values())
    return row


def _table(rows: dict[str, dict[str, int]]) -> str:
    head = f"{'page':46} " + " ".join(f"{c:>6}" for c in (*COLUMNS, "total"))
    lines = ["Page weight, first visit, bytes transferred (compressed):", head]
    for label, row in rows.items():
        cells = " ".join(f"{row[c]:>6}" for c in (*COLUMNS, "total"))
        lines.append(f"{label[:46]:46} {cells}")
    return "\n".join(lines)


def _label(who: str | None, path: str, world: World) -> str:
    path = path.replace(world.invitation_token, "<token>").replace(world.group.slug, "<group>")
    path = re.sub(r"\d{4}-\d\d-\d\d", "<day>", path)
    path = re.sub(r"/\d+/", "/<id>/", path)
    return f"{who or 'anonymous'}: {path}"


def _htmx_problems(page) -> list[str]:
    """htmx (17 KB, two thirds of a first visit) is loaded by the pages that use it, and only
    by them (templates/includes/htmx.html)."""
    uses = page.locator("[hx-post], [hx-get], [hx-trigger]").count() > 0
    loads = page.locator("script[src*='htmx']").count() > 0
    if uses and not loads:
        return ["uses htmx attributes but does not load htmx"]
    if loads and not uses:
        return ["loads htmx but uses none of it"]
    return []


def test_every_patient_page_weighs_under_100_kb_on_a_first_visit(
    browser, live_server, record_property
):
    world = build_world()
    rows: dict[str, dict[str, int]] = {}
    problems: list[str] = []
    favicon = None
    for who, paths in patient_pages(world).items():
        context = browser.new_context(
            base_url=live_server.url, viewport={"width": 360, "height": 740}, locale="en-GB"
        )
        try:
            page = context.new_page()
            if who is not None:
                log_in(page, world.users[who])
            meter = Meter(page)
            for path in paths:
                label = _label(who, path, world)
                try:
                    requests = meter.load(path)
                    if favicon is None:
                        favicon = meter.favicon_bytes()
                except (AssertionError, PlaywrightError) as exc:
                    problems.append(f"{label}: {str(exc).splitlines()[0]}")
                    continue
                rows[label] = row = _row(requests)
                if page.locator("link[rel=icon]").count():
                    row["img"] += favicon
                    row["total"] += favicon
                problems += [f"{label}: {p}" for p in _delivery_problems(requests)]
                problems += [f"{label}: {p}" for p in _htmx_problems(page)]
                if row["total"] >= BUDGET:
                    problems.append(f"{label}: {row['total']} bytes, over {BUDGET}")
        finally:
            context.close()
    table = _table(rows)
    print(table)
    record_property("page_weight_bytes", rows)
    assert not problems, "\n".join([*problems, "", table])
