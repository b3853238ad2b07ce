"""Load benchmark: a realistic mix of patients, clinicians, peer specialists and an admin against
gunicorn + Celery worker + beat on PostgreSQL and Redis, for five minutes by default.

    .venv/bin/python bench/load.py                    (300 s: the documented run)
    .venv/bin/python bench/load.py --duration 30      (a quick check)

What it does, from a clean checkout, on the local PostgreSQL and Redis (as `.ci/run` starts them):

1. Drops and recreates its own database (`exhale_load`), migrates it, and flushes its own Redis
   database (10): nothing else is touched.
2. Seeds, with the test factories and the product's services: clinicians, peer specialists and
   an admin with TOTP enrolled, patients (a clinician each), two peer groups moderated by the
   peer specialists, every patient a member under a group name (a third still new, so their
   first posts wait for a moderator).
3. Starts the deployment's processes with production settings (DEBUG off, secure cookies, HSTS;
   only the HTTPS redirect is off, as behind the TLS-terminating proxy that the driver plays by
   sending X-Forwarded-Proto): gunicorn (2 x cores + 1 sync workers), a Celery worker on the
   three queues and beat. Waits until /health/ answers 200 (database, broker and cache).
4. Every virtual user logs in through the real pages (staff with a TOTP code through allauth's
   second step), then loops over its role's pages with think time for `--duration` seconds:
   - patients: home, today's check-in (form, then the answers; 3% say yes to thoughts of
     self-harm, which raises a flag and a clinician notice through the worker), progress, their
     group, a new post (one in five shares a phone number and is held for a moderator),
     notices, help, the API's /me;
   - clinicians: caseload, a patient's record, the flag queue; an open flag is opened,
     acknowledged and resolved;
   - peer specialists: their home, the moderation queue; a held post is opened and approved;
     the moderation log, the outreach queue;
   - the admin: the admin home, invitations, the Django admin and its audit log.
5. Prints, per page: requests, throughput, p50/p95/p99 latency and errors (any answer other than
   the page's expected status, no answer, or an answer without the production headers: a strict
   Content-Security-Policy, HSTS, and no-store for a logged-in user), writes it as JSON to
   var/bench/load.json, stops every process it started and exits non-zero on any error.

The driver is this script's own threads with `requests` (one session each, keep-alive), not
locust: locust brings gevent and its monkey-patching into the process that also seeds the
database through Django, and a closed-loop driver with think time is what this measures (tens of
people using the service at once, each waiting for a page before the next). The driver runs on
the same machine and takes some of its CPU; the report says how much.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import platform
import random
import re
import resource
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=float, default=300.0, help="seconds of load")
    parser.add_argument("--patients", type=int, default=20, help="patients using it at once")
    parser.add_argument("--clinicians", type=int, default=4)
    parser.add_argument("--peers", type=int, default=2)
    parser.add_argument("--think", type=float, default=2.0, help="mean think time (s)")
    parser.add_argument(
        "--web-workers", type=int, default=2 * (os.cpu_count() or 1) + 1, help="gunicorn workers"
    )
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument(
        "--postgres",
        default=os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432"),
        help="PostgreSQL server (no database name)",
    )
    parser.add_argument("--database", default="exhale_load")
    parser.add_argument(
        "--redis", default=os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/10")
    )
    parser.add_argument("--seed", type=int, default=9, help="random seed of the mix")
    parser.add_argument("--output", default=str(BASE_DIR / "var" / "bench" / "load.json"))
    return parser.parse_args()


ARGS = parse_args()
DATABASE_URL = f"{ARGS.postgres.rstrip('/')}/{ARGS.database}"
VAR_DIR = "var/bench-load"
HOST = f"127.0.0.1:{ARGS.port}"
BASE_URL = f"http://{HOST}"
# allauth allows 30 logins a minute from one address; every virtual user comes from 127.0.0.1.
LOGINS_PER_MINUTE = 28

# Everything the product reads from the environment, for this process, `migrate`, gunicorn, the
# worker and beat alike. Set explicitly (not defaults) so a developer's .env cannot redirect it.
os.environ.update(
    {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "FIELD_ENCRYPTION_KEYS": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_LOG_LEVEL": "WARNING",
        "EXHALE_VAR_DIR": VAR_DIR,
        "EXHALE_SITE_URL": BASE_URL,
        "DATABASE_URL": DATABASE_URL,
        "REDIS_URL": ARGS.redis,
        "CELERY_BROKER_URL": ARGS.redis,
        "CELERY_RESULT_BACKEND": ARGS.redis,
        "CACHE_URL": ARGS.redis,
        # Notices are really sent (the worker renders and hands them over), to nowhere.
        "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
    }
)

import psycopg  # noqa: E402
import requests  # noqa: E402

from bench import _common as common  # noqa: E402
from bench._common import percentile, say  # noqa: E402

# --- 1. database and broker ---------------------------------------------------------------------


def database_reset() -> None:
    common.database_reset(ARGS.postgres, ARGS.database)
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "-v0"],
        cwd=BASE_DIR,
        check=True,
    )


def redis_flush() -> None:
    import redis

    redis.Redis.from_url(ARGS.redis).flushdb()


# --- 2. people ----------------------------------------------------------------------------------


@dataclass
class Person:
    role: str
    pk: int
    email: str
    group: str = ""


GROUPS = ("first-weeks", "staying-stopped")


def people_seed() -> list[Person]:
    import django

    django.setup()
    from django.contrib.auth.hashers import make_password

    from accounts.models import User
    from tests.factories import (
        PASSWORD,
        AdminFactory,
        ClinicianFactory,
        PeerFactory,
        enrol_totp,
    )
    from tests.peersupport.helpers import a_group, a_patient, member_of

    clinicians = [ClinicianFactory(password=None, mfa=False) for _ in range(ARGS.clinicians)]
    peers = [PeerFactory(password=None, mfa=False) for _ in range(ARGS.peers)]
    admin_user = AdminFactory(password=None, mfa=False)
    for user in (*clinicians, *peers, admin_user):
        enrol_totp(user)
    groups = [a_group(slug, moderators=peers) for slug in GROUPS]
    people = [Person("clinician", u.pk, u.email) for u in clinicians]
    people += [Person("peer", u.pk, u.email) for u in peers]
    people.append(Person("admin", admin_user.pk, admin_user.email))
    for n in range(ARGS.patients):
        patient = a_patient(clinician=clinicians[n % len(clinicians)], full_name="Robin Example")
        group = groups[n % len(groups)]
        member_of(group, patient=patient, settled=n % 3 != 0)
        people.append(Person("patient", patient.pk, patient.email, group.slug))
    # One hash for everybody: hashing is slow by design and not what this measures.
    User.objects.update(password=make_password(PASSWORD))
    from django.db import connections

    connections.close_all()
    return people


# --- 3. processes -------------------------------------------------------------------------------


def processes_start(log_dir: Path) -> dict[str, subprocess.Popen]:
    bin_dir = Path(sys.executable).parent
    commands = {
        "web": [
            str(bin_dir / "gunicorn"),
            "config.wsgi:application",
            "--bind",
            HOST,
            "--workers",
            str(ARGS.web_workers),
            "--timeout",
            "30",
            "--graceful-timeout",
            "20",
            "--max-requests",
            "2000",
            "--max-requests-jitter",
            "200",
        ],
        "worker": [
            str(bin_dir / "celery"),
            "-A",
            "config",
            "worker",
            "--loglevel=WARNING",
            "--concurrency=2",
            "-Q",
            "escalation,default,reminders",
        ],
        "beat": [
            str(bin_dir / "celery"),
            "-A",
            "config",
            "beat",
            "--loglevel=WARNING",
            "-s",
            str(BASE_DIR / VAR_DIR / "celerybeat-schedule"),
        ],
    }
    processes = {}
    for name, command in commands.items():
        processes[name] = subprocess.Popen(
            command,
            cwd=BASE_DIR,
            env=os.environ.copy(),
            stdout=(log_dir / f"{name}.log").open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopped whole, children included
        )
    return processes


def processes_stop(processes: dict[str, subprocess.Popen]) -> None:
    for process in processes.values():
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + 30
    for process in processes.values():
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)


def wait_healthy(processes: dict[str, subprocess.Popen], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for name, process in processes.items():
            if process.poll() is not None:
                raise SystemExit(f"{name} exited with {process.returncode}; see its log")
        try:
            if requests.get(f"{BASE_URL}/health/", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise SystemExit("the web server did not become healthy; see var/bench-load/logs")


# --- 4. virtual users ---------------------------------------------------------------------------


@dataclass
class Results:
    samples: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    examples: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    measuring: bool = False

    def record(self, page: str, seconds: float, ok: bool, detail: str) -> None:
        with self.lock:
            if not self.measuring:
                return
            self.samples[page].append(seconds)
            if not ok:
                self.errors[page] += 1
                if len(self.examples) < 20:
                    self.examples.append(f"{page}: {detail}")


class Claims:
    """Flags and held posts one virtual user is working on: two never act on the same item."""

    def __init__(self) -> None:
        self._taken: set[str] = set()
        self._lock = threading.Lock()

    def take(self, key: str) -> bool:
        with self._lock:
            if key in self._taken:
                return False
            self._taken.add(key)
            return True


LOGINS = Results()  # the log-in phase, reported apart: it is paced, not a steady mix
MIX = Results()
RESULTS = LOGINS  # where User.call records; main() switches it to MIX
CLAIMS = Claims()
FLAG_LINK = re.compile(r'href="/flags/(\d+)/"')
PATIENT_LINK = re.compile(r'href="/patients/(\d+)/"')
HELD_LINK = re.compile(r'href="/moderation/posts/(\d+)/"')


def _header_problem(response, *, logged_in: bool) -> str:
    """The production headers hold under load too: a missing one counts as an error."""
    csp = response.headers.get("Content-Security-Policy", "")
    if "default-src 'self'" not in csp or "unsafe-inline" in csp:
        return f"Content-Security-Policy missing or loose on {response.url}"
    if "max-age=31536000" not in response.headers.get("Strict-Transport-Security", ""):
        return f"no HSTS on {response.url}"
    if logged_in and "no-store" not in response.headers.get("Cache-Control", ""):
        return f"no no-store for a logged-in user on {response.url}"
    return ""


def _answer(response) -> str:
    if response is None:
        return "no answer"
    return f"{response.status_code} {response.headers.get('Location', '')} {response.text[:300]!r}"


class User:
    def __init__(self, person: Person, rng: random.Random) -> None:
        self.person = person
        self.rng = rng
        self.http = requests.Session()
        # As production's proxy says: the browser's request was HTTPS.
        self.http.headers.update({"X-Forwarded-Proto": "https", "User-Agent": "exhale-load"})
        self.logged_in = False

    # One request, timed and checked; returns the response (or None when there was none).
    def call(self, method: str, path: str, page: str, expect=(200,), data=None):
        # The cookies are Secure; the hop from the TLS proxy (played here) is plain HTTP, where
        # requests would leave them out, so the Cookie header is written from the jar.
        headers = {"Cookie": "; ".join(f"{c.name}={c.value}" for c in self.http.cookies)}
        if method == "POST":
            data = {**(data or {}), "csrfmiddlewaretoken": self.http.cookies.get("csrftoken", "")}
            headers |= {"Origin": f"https://{HOST}", "Referer": f"https://{HOST}{path}"}
        started = time.perf_counter()
        try:
            response = self.http.request(
                method,
                BASE_URL + path,
                data=data,
                headers=headers,
                allow_redirects=False,
                timeout=30,
            )
        except requests.RequestException as exc:
            RESULTS.record(page, time.perf_counter() - started, False, type(exc).__name__)
            return None
        elapsed = time.perf_counter() - started
        problem = _header_problem(response, logged_in=self.logged_in)
        ok = response.status_code in expect and not problem
        detail = problem or f"{response.status_code} for {method} {path}"
        RESULTS.record(page, elapsed, ok, detail)
        return response

    def log_in(self) -> None:
        from tests.factories import PASSWORD, totp_code

        self.call("GET", "/accounts/login/", "login form")
        response = self.call(
            "POST",
            "/accounts/login/",
            "log in",
            expect=(302,),
            data={"login": self.person.email, "password": PASSWORD},
        )
        if response is None or response.status_code != 302:
            raise RuntimeError(f"{self.person.role} could not log in: {_answer(response)}")
        if self.person.role != "patient":
            self.call("GET", "/accounts/2fa/authenticate/", "second factor form")
            from accounts.models import User as Account

            code = totp_code(Account.objects.get(pk=self.person.pk))
            response = self.call(
                "POST",
                "/accounts/2fa/authenticate/",
                "second factor",
                expect=(302,),
                data={"code": code},
            )
            from django.db import connection

            connection.close()
            if response is None or response.status_code != 302:
                raise RuntimeError(
                    f"{self.person.role} could not pass the second factor: {_answer(response)}"
                )

        self.logged_in = True

    def think(self) -> None:
        time.sleep(self.rng.uniform(0.5, 1.5) * ARGS.think)

    def run(self, stop_at: float) -> None:
        tasks = TASKS[self.person.role]
        names = list(tasks)
        weights = [tasks[name][1] for name in names]
        while time.monotonic() < stop_at:
            name = self.rng.choices(names, weights)[0]
            tasks[name][0](self)
            self.think()


# Patients


def patient_home(user: User) -> None:
    user.call("GET", "/me/", "GET /me/ (patient home)")


def patient_checkin(user: User) -> None:
    user.call("GET", "/check-in/", "GET /check-in/")
    user.think()
    crisis = user.rng.random() < 0.03
    answers = {
        "cigarettes": str(user.rng.choice([0, 0, 0, 1, 2, 5])),
        "craving": str(user.rng.randint(0, 10)),
        "supports_used": ["patch"],
        "mood": str(user.rng.randint(2, 9)),
        "sleep": user.rng.choice(["well", "ok", "poorly", "hardly"]),
        "harm_thoughts": "yes" if crisis else "no",
        "note": "",
    }
    user.call("POST", "/check-in/", "POST /check-in/", expect=(302,), data=answers)


def patient_progress(user: User) -> None:
    user.call("GET", "/progress/", "GET /progress/")


def patient_group(user: User) -> None:
    user.call("GET", f"/groups/{user.person.group}/", "GET /groups/<slug>/")


def patient_post(user: User) -> None:
    if user.rng.random() < 0.2:
        body = "Text me on 07700 900123 if you want to walk together this week."
    else:
        body = user.rng.choice(
            [
                "Day three without a cigarette. The walk after tea helped.",
                "Cravings were strong this morning, the patch took the edge off.",
                "Anyone else find the evenings hardest? Tea and a podcast works for me.",
            ]
        )
    user.call(
        "POST",
        f"/groups/{user.person.group}/new/",
        "POST /groups/<slug>/new/",
        expect=(302,),
        data={"body": body},
    )


def patient_notices(user: User) -> None:
    user.call("GET", "/notifications/", "GET /notifications/")


def patient_help(user: User) -> None:
    user.call("GET", "/help/", "GET /help/")


def patient_api_me(user: User) -> None:
    user.call("GET", "/api/v1/me/", "GET /api/v1/me/")


# Clinicians


def clinician_caseload(user: User) -> None:
    response = user.call("GET", "/clinician/", "GET /clinician/ (caseload)")
    ids = PATIENT_LINK.findall(response.text) if response is not None else []
    if ids:
        user.think()
        user.call("GET", f"/patients/{user.rng.choice(ids)}/", "GET /patients/<id>/")


def clinician_triage(user: User) -> None:
    response = user.call("GET", "/flags/", "GET /flags/ (queue)")
    ids = FLAG_LINK.findall(response.text) if response is not None else []
    flag = next((i for i in ids if CLAIMS.take(f"flag-{i}")), None)
    if flag is None:
        return
    user.think()
    page = user.call("GET", f"/flags/{flag}/", "GET /flags/<id>/")
    if page is None or page.status_code != 200:
        return
    if f"/flags/{flag}/resolve/" not in page.text:  # a recently resolved flag: nothing to do
        return
    user.think()
    if f"/flags/{flag}/acknowledge/" in page.text:
        user.call(
            "POST", f"/flags/{flag}/acknowledge/", "POST /flags/<id>/acknowledge/", expect=(302,)
        )
        user.think()
    user.call(
        "POST",
        f"/flags/{flag}/resolve/",
        "POST /flags/<id>/resolve/",
        expect=(302,),
        data={"outcome": "contacted_safe", "note": "Called; safe for now, plan agreed."},
    )


# Peer specialists (moderators)


def peer_home(user: User) -> None:
    user.call("GET", "/peer/", "GET /peer/")


def peer_moderate(user: User) -> None:
    response = user.call("GET", "/moderation/", "GET /moderation/ (queue)")
    ids = HELD_LINK.findall(response.text) if response is not None else []
    post = next((i for i in ids if CLAIMS.take(f"post-{i}")), None)
    if post is None:
        return
    user.think()
    page = user.call("GET", f"/moderation/posts/{post}/", "GET /moderation/posts/<id>/")
    if page is None or f"/moderation/posts/{post}/approve/" not in page.text:
        return  # not held (a report, or already decided): nothing to approve
    user.think()
    user.call(
        "POST",
        f"/moderation/posts/{post}/approve/",
        "POST /moderation/posts/<id>/approve/",
        expect=(302,),
    )


def peer_log(user: User) -> None:
    user.call("GET", "/moderation/log/", "GET /moderation/log/")


def peer_outreach(user: User) -> None:
    user.call("GET", "/peer/outreach/", "GET /peer/outreach/")


# Admin


def admin_home(user: User) -> None:
    user.call("GET", "/manage/", "GET /manage/ (admin home)")


def admin_invitations(user: User) -> None:
    user.call("GET", "/invitations/", "GET /invitations/")


def admin_django(user: User) -> None:
    user.call("GET", "/admin/", "GET /admin/")
    user.think()
    user.call("GET", "/admin/core/auditevent/", "GET /admin/core/auditevent/")


# Each role's pages and how often each is chosen (weights).
TASKS = {
    "patient": {
        "home": (patient_home, 3),
        "checkin": (patient_checkin, 2),
        "progress": (patient_progress, 2),
        "group": (patient_group, 3),
        "post": (patient_post, 1),
        "notices": (patient_notices, 1),
        "help": (patient_help, 1),
        "api": (patient_api_me, 1),
    },
    "clinician": {"caseload": (clinician_caseload, 2), "triage": (clinician_triage, 3)},
    "peer": {
        "home": (peer_home, 2),
        "moderate": (peer_moderate, 4),
        "log": (peer_log, 1),
        "outreach": (peer_outreach, 1),
    },
    "admin": {
        "home": (admin_home, 2),
        "invitations": (admin_invitations, 1),
        "django": (admin_django, 1),
    },
}


def users_log_in(users: list[User], at_once: int = 4) -> None:
    """A few at a time, paced under allauth's per-address login limit (30 a minute)."""
    say(f"logging in {len(users)} users (at most {LOGINS_PER_MINUTE} a minute, as allauth allows)")
    from concurrent.futures import ThreadPoolExecutor

    for first in range(0, len(users), LOGINS_PER_MINUTE):
        if first:
            time.sleep(61)
        with ThreadPoolExecutor(max_workers=at_once) as pool:
            for future in [pool.submit(u.log_in) for u in users[first : first + LOGINS_PER_MINUTE]]:
                future.result()


# --- 5. report ----------------------------------------------------------------------------------


def report(results: Results, elapsed: float, title: str) -> dict:
    rows = []
    for page in sorted(results.samples):
        values = sorted(results.samples[page])
        rows.append(
            {
                "page": page,
                "requests": len(values),
                "per_second": len(values) / elapsed,
                "p50_ms": percentile(values, 50) * 1000,
                "p95_ms": percentile(values, 95) * 1000,
                "p99_ms": percentile(values, 99) * 1000,
                "errors": results.errors.get(page, 0),
            }
        )
    everything = sorted(v for values in results.samples.values() for v in values)
    total = {
        "page": "all",
        "requests": len(everything),
        "per_second": len(everything) / elapsed,
        "p50_ms": percentile(everything, 50) * 1000 if everything else 0,
        "p95_ms": percentile(everything, 95) * 1000 if everything else 0,
        "p99_ms": percentile(everything, 99) * 1000 if everything else 0,
        "errors": sum(results.errors.values()),
    }
    width = max(len(row["page"]) for row in [*rows, total])
    print()
    print(f"{title}: {elapsed:.0f} s")
    print(
        f"{'page':<{width}}  {'requests':>8}  {'req/s':>6}  {'p50 ms':>7}  {'p95 ms':>7}  "
        f"{'p99 ms':>7}  {'errors':>6}"
    )
    for row in [*rows, total]:
        if row is total:
            print("-" * (width + 56))
        print(
            f"{row['page']:<{width}}  {row['requests']:>8}  {row['per_second']:>6.2f}  "
            f"{row['p50_ms']:>7.1f}  {row['p95_ms']:>7.1f}  {row['p99_ms']:>7.1f}  "
            f"{row['errors']:>6}"
        )
    for example in results.examples:
        print(f"  error: {example}")
    return {"elapsed_s": elapsed, "pages": rows, "total": total}


def queues_left() -> dict[str, int]:
    import redis

    client = redis.Redis.from_url(ARGS.redis)
    return {name: client.llen(name) for name in ("escalation", "default", "reminders")}


def outcome_counts() -> dict[str, int]:
    with psycopg.connect(DATABASE_URL) as conn:
        count = lambda sql: conn.execute(sql).fetchone()[0]  # noqa: E731
        return {
            "check_ins": count("SELECT count(*) FROM cessation_checkin"),
            "posts": count("SELECT count(*) FROM peersupport_post"),
            "flags": count("SELECT count(*) FROM safety_flag"),
            "flags_resolved": count("SELECT count(*) FROM safety_flag WHERE status = 'resolved'"),
            "notification_deliveries_pending": count(
                "SELECT count(*) FROM core_notificationdelivery WHERE sent_at IS NULL"
            ),
        }


def main() -> int:
    rng = random.Random(ARGS.seed)
    log_dir = BASE_DIR / VAR_DIR / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    say(f"database {ARGS.database}, Redis {ARGS.redis}: reset and migrate")
    database_reset()
    redis_flush()
    people = people_seed()
    say(
        f"seeded {ARGS.patients} patients, {ARGS.clinicians} clinicians, {ARGS.peers} peer "
        "specialists and an admin"
    )
    processes = processes_start(log_dir)
    try:
        wait_healthy(processes)
        say(f"gunicorn ({ARGS.web_workers} workers), worker and beat are up on {BASE_URL}")
        users = [User(person, random.Random(rng.random())) for person in people]
        global RESULTS
        LOGINS.measuring = True
        login_started = time.monotonic()
        users_log_in(users)
        login_elapsed = time.monotonic() - login_started
        LOGINS.measuring = False
        RESULTS = MIX
        say(f"running the mix for {ARGS.duration:.0f} s")
        MIX.measuring = True
        cpu_before = resource.getrusage(resource.RUSAGE_SELF)
        started = time.monotonic()
        stop_at = started + ARGS.duration
        threads = [
            threading.Thread(target=user.run, args=(stop_at,), daemon=True) for user in users
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=ARGS.duration + 120)
        elapsed = time.monotonic() - started
        MIX.measuring = False
        cpu_after = resource.getrusage(resource.RUSAGE_SELF)
        driver_cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (
            cpu_after.ru_stime - cpu_before.ru_stime
        )
        for name, process in processes.items():
            if process.poll() is not None:
                MIX.errors[f"{name} process exited"] += 1
                MIX.samples[f"{name} process exited"].append(0.0)
        time.sleep(5)  # let the worker finish what the last requests queued
        logins = report(LOGINS, login_elapsed, "log-in phase (paced, before the mix)")
        summary = report(MIX, elapsed, f"the mix ({len(users)} users at once)")
        print(
            f"\ndriver CPU {driver_cpu:.0f} s over the mix ({driver_cpu / elapsed:.0%} of a core)"
        )
        outcome = outcome_counts()
        queued = queues_left()
        print(f"outcome: {outcome}; tasks still queued: {queued}")
    finally:
        processes_stop(processes)
    result = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "args": {k: v for k, v in vars(ARGS).items() if k not in ("postgres", "output")},
        "users": len(people),
        "elapsed_s": elapsed,
        "driver_cpu_s": driver_cpu,
        "outcome": outcome,
        "tasks_queued_at_end": queued,
        "errors_seen": LOGINS.examples + MIX.examples,
        "logins": logins,
        **summary,
    }
    output = Path(ARGS.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(result, indent=2))
    say(f"written to {output}")
    errors = summary["total"]["errors"] + logins["total"]["errors"]
    if errors:
        say(f"FAILED: {errors} errors (target: none)")
        return 1
    say("no errors")
    return 0


if __name__ == "__main__":
    sys.exit(main())
