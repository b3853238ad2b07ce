"""Page benchmark: the key pages against the framework's floor, on the national-scale data.

    .venv/bin/python bench/generate.py                  (first: the data, a few minutes)
    .venv/bin/python bench/web.py                       (30 s of measurement per page)
    .venv/bin/python bench/web.py --duration 10         (a quick check)

What it does, on the database bench/generate.py filled (`exhale_bench_web`), the local Redis
(database 14, flushed) and PostgreSQL:

1. Starts gunicorn with production settings (DEBUG off, secure cookies, HSTS, the CSP; only the
   HTTPS redirect is off, as behind the TLS-terminating proxy that the driver plays by sending
   X-Forwarded-Proto), with as many sync workers as load.py starts (2 x cores + 1), and the
   bench-only settings module bench/web_settings.py: the product's settings and URLs, plus
   /bench/floor/ (a bare Django view that reads one row by primary key and answers a few bytes)
   and a header with each answer's query count. The product ships no bench route.
2. Logs in, through the real pages, the users generate.py wrote to var/bench/generate.json: the
   patient (password), the clinician and the trial manager (password, then a TOTP code through
   allauth's second step).
3. Measures, with a closed-loop driver (`--concurrency` threads, each waiting for its answer
   before asking again, keep-alive connections), for `--duration` seconds per page, in
   `--rounds` slices interleaved page by page so that noise on the machine falls on all alike
   (after a warm-up of each page that is not counted):
   - the floor, asked with the patient's session (so it pays what every logged-in page pays:
     the session, the user, the middleware), and, for information, the same floor without a
     session and the query ladder: the floor with 2 and 5 more reads of its row (what queries
     alone cost a page, the cheapest there is);
   - the patient's home (/me/), the check-in form (/check-in/), a thread of their busy group,
     the clinician's flag queue (/flags/) and the trial dashboard.
   The trial dashboard's figures are kept in the cache and recomputed every minute by beat in
   a deployment (trials.tasks.dashboard_refresh_task); here this script does what that task
   does, on the same schedule, between slices (a recomputation is seconds of PostgreSQL, which
   inside a slice would count against that slice's page alone), and says how long each took.
4. Prints per page: requests, requests/s, p50/p95/p99, errors (any answer but 200, or none),
   queries and size of an answer (as sent: gzipped, since the driver asks as a browser does),
   and the ratios to the floor; writes it to var/bench/web.json;
   stops gunicorn; exits non-zero when a target is missed: every page at least 0.5x the floor's
   throughput and at most 2x its p95, the trial dashboard's p95 under 500 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from bench._common import (  # noqa: E402
    DEFAULT_POSTGRES,
    database_exists,
    database_url,
    load_average,
    percentile,
    say,
    versions,
)

TARGET_THROUGHPUT_RATIO = 0.5
TARGET_P95_RATIO = 2.0
TARGET_DASHBOARD_P95_MS = 500.0
# The floor with this many more primary-key reads, for comparison (the query ladder).
LADDER = (2, 5)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", default="exhale_bench_web")
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES, help="server, no database name")
    parser.add_argument(
        "--redis", default=os.environ.get("BENCH_WEB_REDIS", "redis://127.0.0.1:6379/14")
    )
    parser.add_argument("--duration", type=float, default=30.0, help="measured seconds per page")
    parser.add_argument("--rounds", type=int, default=3, help="slices per page, interleaved")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds per page, not counted")
    parser.add_argument(
        "--web-workers", type=int, default=2 * (os.cpu_count() or 1) + 1, help="gunicorn workers"
    )
    parser.add_argument(
        "--concurrency", type=int, default=0, help="driver threads (default: the workers)"
    )
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--input", default=str(BASE_DIR / "var" / "bench" / "generate.json"))
    parser.add_argument("--output", default=str(BASE_DIR / "var" / "bench" / "web.json"))
    return parser.parse_args()


ARGS = parse_args()
CONCURRENCY = ARGS.concurrency or ARGS.web_workers
HOST = f"127.0.0.1:{ARGS.port}"
BASE_URL = f"http://{HOST}"
VAR_DIR = "var/bench-web"


def generated() -> dict:
    path = Path(ARGS.input)
    if not path.exists() or not database_exists(ARGS.postgres, ARGS.database):
        raise SystemExit(
            f"No generated data ({path} or the database {ARGS.database} is missing): run "
            f".venv/bin/python bench/generate.py --database {ARGS.database} first."
        )
    data = json.loads(path.read_text())
    if data["database"] != ARGS.database:
        raise SystemExit(f"{path} describes {data['database']}, not {ARGS.database}.")
    return data


DATA = generated()
os.environ.update(
    {
        "DJANGO_SETTINGS_MODULE": "bench.web_settings",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        # The key the data was encrypted with (generate.py made it for this data only).
        "FIELD_ENCRYPTION_KEYS": DATA["field_encryption_keys"],
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_LOG_LEVEL": "WARNING",
        "EXHALE_VAR_DIR": VAR_DIR,
        "EXHALE_SITE_URL": BASE_URL,
        "DATABASE_URL": database_url(ARGS.postgres, ARGS.database),
        "REDIS_URL": ARGS.redis,
        "CELERY_BROKER_URL": ARGS.redis,
        "CELERY_RESULT_BACKEND": ARGS.redis,
        "CACHE_URL": ARGS.redis,
        "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        "BENCH_FLOOR_PK": str(DATA["users"]["patient"]["id"]),
    }
)

import requests  # noqa: E402
import urllib3  # noqa: E402

# --- server -------------------------------------------------------------------------------------


def server_start(log: Path) -> subprocess.Popen:
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "-v0"],
        cwd=BASE_DIR,
        check=True,
    )
    import redis

    redis.Redis.from_url(ARGS.redis).flushdb()
    return subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "config.wsgi:application",
            "--bind",
            HOST,
            "--workers",
            str(ARGS.web_workers),
            "--timeout",
            "60",
            "--graceful-timeout",
            "20",
        ],
        cwd=BASE_DIR,
        env=os.environ.copy(),
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: stopped whole, workers included
    )


def server_stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)


def wait_healthy(process: subprocess.Popen, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited with {process.returncode}; see {VAR_DIR}/logs")
        try:
            if requests.get(f"{BASE_URL}/health/", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise SystemExit(f"the web server did not become healthy; see {VAR_DIR}/logs")


# --- logging in through the real pages ----------------------------------------------------------


def totp_now(secret: str) -> str:
    """The code an authenticator app shows now (RFC 6238: 30 s, 6 digits, SHA-1)."""
    import base64
    import hashlib
    import hmac
    import struct

    key = base64.b32decode(secret)
    digest = hmac.new(key, struct.pack(">Q", int(time.time()) // 30), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{number % 1_000_000:06d}"


def log_in(email: str, password: str, totp_secret: str | None) -> str:
    """A session through allauth's pages (and its second step for staff); returns the Cookie
    header the driver sends."""
    session = requests.Session()
    session.headers.update({"X-Forwarded-Proto": "https", "User-Agent": "exhale-bench-web"})

    def post(path: str, data: dict) -> requests.Response:
        # The cookies are Secure: the hop from the TLS proxy (played here) is plain HTTP.
        cookies = "; ".join(f"{c.name}={c.value}" for c in session.cookies)
        return session.post(
            BASE_URL + path,
            data={**data, "csrfmiddlewaretoken": session.cookies.get("csrftoken", "")},
            headers={
                "Cookie": cookies,
                "Origin": f"https://{HOST}",
                "Referer": f"https://{HOST}{path}",
            },
            allow_redirects=False,
            timeout=60,
        )

    session.get(BASE_URL + "/accounts/login/", timeout=60)
    answer = post("/accounts/login/", {"login": email, "password": password})
    if answer.status_code != 302:
        raise SystemExit(f"{email} could not log in: {answer.status_code} {answer.text[:300]!r}")
    if totp_secret:
        cookies = "; ".join(f"{c.name}={c.value}" for c in session.cookies)
        session.get(
            BASE_URL + "/accounts/2fa/authenticate/", headers={"Cookie": cookies}, timeout=60
        )
        answer = post("/accounts/2fa/authenticate/", {"code": totp_now(totp_secret)})
        if answer.status_code != 302:
            raise SystemExit(f"{email}: the second factor failed: {answer.status_code}")
    return "; ".join(f"{c.name}={c.value}" for c in session.cookies)


# --- the driver ---------------------------------------------------------------------------------


@dataclass
class Page:
    name: str
    path: str
    cookie: str
    target: bool = True  # False: measured for comparison (the floors), held to no target
    samples: list[float] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0
    error_examples: list[str] = field(default_factory=list)
    queries: str = ""
    size: int = 0


def request_once(pool: urllib3.HTTPConnectionPool, page: Page):
    # As a phone's browser asks: compressed if the server will (the pages are gzipped). The body
    # is not unzipped here: its size is what went over the wire.
    headers = {
        "X-Forwarded-Proto": "https",
        "User-Agent": "exhale-bench-web",
        "Accept-Encoding": "gzip",
    }
    if page.cookie:
        headers["Cookie"] = page.cookie
    return pool.request(
        "GET", page.path, headers=headers, redirect=False, retries=False, decode_content=False
    )


def run_slice(page: Page, seconds: float, *, counted: bool) -> None:
    """`CONCURRENCY` closed-loop clients on one page for `seconds`."""
    stop_at = time.monotonic() + seconds
    lock = threading.Lock()

    def client() -> None:
        pool = urllib3.HTTPConnectionPool(
            "127.0.0.1", ARGS.port, maxsize=1, timeout=urllib3.Timeout(total=60)
        )
        samples, errors, examples = [], 0, []
        while time.monotonic() < stop_at:
            started = time.perf_counter()
            try:
                answer = request_once(pool, page)
                ok = answer.status == 200
                detail = f"{answer.status} {answer.headers.get('Location', '')}"
            except urllib3.exceptions.HTTPError as exc:
                ok, detail = False, type(exc).__name__
            samples.append(time.perf_counter() - started)
            if not ok:
                errors += 1
                examples.append(detail)
        pool.close()
        if counted:
            with lock:
                page.samples.extend(samples)
                page.errors += errors
                page.error_examples.extend(examples[: 3 - len(page.error_examples)])

    threads = [threading.Thread(target=client) for _ in range(CONCURRENCY)]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if counted:
        page.seconds += time.monotonic() - began


class DashboardRefresher:
    """What beat's trials.tasks.dashboard_refresh_task does every minute, done here between
    slices (never during one): a recomputation reads every participant's check-ins and posts,
    seconds of PostgreSQL on this data, which would otherwise land in whichever page's slice
    was running and count against that page alone."""

    EVERY = 60.0

    def __init__(self) -> None:
        import django

        django.setup()
        self.last: float | None = None  # when it last looked
        self.computed: list[float] = []  # seconds each recomputation took

    def between_slices(self) -> None:
        if self.last is not None and time.monotonic() - self.last < self.EVERY:
            return
        from django.db import connections

        from trials import dashboard_cache

        began = time.monotonic()
        if dashboard_cache.refresh_running():
            self.computed.append(time.monotonic() - began)
        connections.close_all()
        self.last = time.monotonic()


# --- report -------------------------------------------------------------------------------------


def summarise(pages: list[Page]) -> list[dict]:
    rows = []
    for page in pages:
        values = sorted(page.samples)
        rows.append(
            {
                "page": page.name,
                "path": page.path,
                "requests": len(values),
                "per_second": len(values) / page.seconds if page.seconds else 0.0,
                "p50_ms": percentile(values, 50) * 1000,
                "p95_ms": percentile(values, 95) * 1000,
                "p99_ms": percentile(values, 99) * 1000,
                "errors": page.errors,
                "error_examples": page.error_examples,
                "queries": page.queries,
                "bytes": page.size,
                "target": page.target,
            }
        )
    floor = rows[0]
    for row in rows:
        row["throughput_ratio"] = row["per_second"] / floor["per_second"]
        row["p95_ratio"] = row["p95_ms"] / floor["p95_ms"]
    return rows


def print_table(rows: list[dict]) -> None:
    width = max(len(row["page"]) for row in rows)
    print()
    print(
        f"{'page':<{width}}  {'requests':>8}  {'req/s':>7}  {'p50 ms':>7}  {'p95 ms':>7}  "
        f"{'p99 ms':>7}  {'errors':>6}  {'queries':>7}  {'KB':>5}  {'x thru':>6}  {'x p95':>6}"
    )
    for row in rows:
        print(
            f"{row['page']:<{width}}  {row['requests']:>8}  {row['per_second']:>7.1f}  "
            f"{row['p50_ms']:>7.1f}  {row['p95_ms']:>7.1f}  {row['p99_ms']:>7.1f}  "
            f"{row['errors']:>6}  {row['queries']:>7}  {row['bytes'] / 1024:>5.1f}  "
            f"{row['throughput_ratio']:>6.2f}  {row['p95_ratio']:>6.2f}"
        )
        for example in row["error_examples"]:
            print(f"  error: {example}")


def targets(rows: list[dict]) -> list[str]:
    missed = []
    for row in rows:
        if not row["target"]:  # the floors are what the pages are measured against
            continue
        if row["errors"]:
            missed.append(f"{row['page']}: {row['errors']} errors")
        if row["throughput_ratio"] < TARGET_THROUGHPUT_RATIO:
            missed.append(
                f"{row['page']}: throughput {row['throughput_ratio']:.2f}x the floor "
                f"(target >= {TARGET_THROUGHPUT_RATIO}x)"
            )
        if row["p95_ratio"] > TARGET_P95_RATIO:
            missed.append(
                f"{row['page']}: p95 {row['p95_ratio']:.2f}x the floor "
                f"(target <= {TARGET_P95_RATIO}x)"
            )
        if row["page"].startswith("trial dashboard") and row["p95_ms"] >= TARGET_DASHBOARD_P95_MS:
            missed.append(
                f"{row['page']}: p95 {row['p95_ms']:.0f} ms "
                f"(target < {TARGET_DASHBOARD_P95_MS:.0f} ms)"
            )
    return missed


def main() -> int:
    users = DATA["users"]
    log_dir = BASE_DIR / VAR_DIR / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    say(
        f"data: {ARGS.database} (scale {DATA['scale']:g}, generated {DATA['generated_at']}); "
        f"Redis {ARGS.redis}; load average {load_average()}"
    )
    process = server_start(log_dir / "web.log")
    refresher = DashboardRefresher()
    try:
        wait_healthy(process)
        say(f"gunicorn ({ARGS.web_workers} workers) is up on {BASE_URL}")
        refresher.between_slices()
        patient = log_in(users["patient"]["email"], DATA["password"], None)
        clinician = log_in(
            users["clinician"]["email"], DATA["password"], users["clinician"]["totp_secret"]
        )
        admin = log_in(users["admin"]["email"], DATA["password"], users["admin"]["totp_secret"])
        say("logged in: the patient, the clinician and the trial manager")
        group, thread = users["patient"]["group"], users["patient"]["thread"]
        pages = [
            Page("floor (patient's session)", "/bench/floor/", patient, target=False),
            Page("floor (no session)", "/bench/floor/", "", target=False),
            # The query ladder: the floor with more of its own cheapest query; what a page's
            # queries cost it at the least, whatever they read.
            *(
                Page(f"floor + {n} reads", f"/bench/floor/?reads={n}", patient, target=False)
                for n in LADDER
            ),
            Page("patient home", "/me/", patient),
            Page("check-in form", "/check-in/", patient),
            Page("group thread", f"/groups/{group}/threads/{thread}/", patient),
            Page("flag queue", "/flags/", clinician),
            Page("trial dashboard", f"/trials/{users['admin']['trial']}/dashboard/", admin),
        ]
        pool = urllib3.HTTPConnectionPool("127.0.0.1", ARGS.port, maxsize=1)
        for page in pages:
            answer = request_once(pool, page)
            if answer.status != 200:
                raise SystemExit(
                    f"{page.name} ({page.path}) answered {answer.status} "
                    f"{answer.headers.get('Location', '')}: see {VAR_DIR}/logs/web.log"
                )
            page.queries = answer.headers.get("X-Bench-Queries", "?")
            page.size = len(answer.data)
        say(f"warm-up: {ARGS.warmup:g} s per page, {CONCURRENCY} clients")
        for page in pages:
            refresher.between_slices()
            run_slice(page, ARGS.warmup, counted=False)
        slice_seconds = ARGS.duration / ARGS.rounds
        say(
            f"measuring: {ARGS.duration:g} s per page in {ARGS.rounds} interleaved slices, "
            f"{CONCURRENCY} clients; load average {load_average()}"
        )
        for round_number in range(ARGS.rounds):
            order = pages[round_number % len(pages) :] + pages[: round_number % len(pages)]
            for page in order:
                refresher.between_slices()
                run_slice(page, slice_seconds, counted=True)
            say(f"  round {round_number + 1} of {ARGS.rounds} done; load {load_average()}")
        for page in pages:  # what an answer weighs now (the dashboard, say, once kept)
            answer = request_once(pool, page)
            page.queries = answer.headers.get("X-Bench-Queries", page.queries)
        crashed = process.poll() is not None
    finally:
        server_stop(process)
    rows = summarise(pages)
    print_table(rows)
    if refresher.computed:
        print(
            "\ndashboard figures recomputed between slices: "
            + ", ".join(f"{seconds:.1f} s" for seconds in refresher.computed)
        )
    missed = targets(rows)
    if crashed:
        missed.append("gunicorn exited during the run")
    report = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "data": {k: DATA[k] for k in ("database", "scale", "generated_at", "rows")},
        "args": {k: v for k, v in vars(ARGS).items() if k not in ("postgres", "input", "output")},
        "concurrency": CONCURRENCY,
        "dashboard_recomputed_seconds": refresher.computed,
        "load_average_at_end": load_average(),
        "pages": rows,
        "targets": {
            "throughput_ratio_min": TARGET_THROUGHPUT_RATIO,
            "p95_ratio_max": TARGET_P95_RATIO,
            "dashboard_p95_ms_max": TARGET_DASHBOARD_P95_MS,
        },
        "missed": missed,
        "met": not missed,
        "versions": versions(database_url(ARGS.postgres, ARGS.database)),
    }
    output = Path(ARGS.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, indent=2))
    print()
    for line in missed:
        say(f"MISSED {line}")
    say(f"{'MET' if not missed else 'MISSED'}; written to {output}")
    return 0 if not missed else 1


if __name__ == "__main__":
    sys.exit(main())
