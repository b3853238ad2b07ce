"""Check-in fan-out benchmark: 100,000 reminders due at once, and crisis notices during the storm.

    make bench-fanout            (or: .venv/bin/python bench/checkin_fanout.py --help)

What it does, from a clean checkout, on the local PostgreSQL and Redis:

1. Drops and recreates its own database (`exhale_bench`), migrates it with `manage.py migrate`,
   and flushes its own Redis database (13): nothing else is touched.
2. Fills it with `COPY`: clinicians, 100,000 patients (users and profiles) whose check-in
   schedules are due one second ago, and 1,000 more patients (not due) for crisis check-ins.
3. Baseline: a bare `COPY` of 100,000 rows into a scratch table shaped like
   `cessation_checkinreminder` (same columns and indexes), timed three times; the median counts.
4. Starts two real Celery worker processes on Redis (queues below), waits until both answer
   and have run a warm-up task.
5. Sends the real beat tick (`cessation.tasks.checkin_reminders_tick_task`, with the options
   of its beat entry) and polls the reminder rows until all 100,000 are recorded.
6. Meanwhile a thread submits 1,000 crisis check-ins (`checkin_submit`, "yes" to thoughts of
   harming themselves) for 1,000 other patients, paced evenly over the target window, and
   records when each one committed. The latency of each is the clinician notice's email
   delivery `sent_at` minus that commit time.
7. Checks the outcome (one reminder per patient, every schedule moved on), prints a report
   and writes it as JSON to var/bench/checkin_fanout.json.

Workers (see docs/performance.md, "Check-in fan-out"): worker A consumes `reminders`
(fan-out batches and, in this layout, nothing else); worker B consumes `escalation,default`.
`--layout` runs the other layouts for comparison.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import secrets
import statistics
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

TARGET_SECONDS = 10.0
TARGET_RATIO = 15.0
TARGET_CRISIS_P95 = 2.0

# Two worker processes; which queues each consumes.
LAYOUTS = {
    # The fan-out has a worker of its own; crisis notices share the other with everyday notices
    # (including the storm's reminder emails, which go on `default`).
    "split": {"a": "reminders", "b": "escalation,default"},
    # Escalation alone on one worker; the fan-out and its emails share the other.
    "isolated": {"a": "reminders,default", "b": "escalation"},
    # The Procfile's layout: both workers take every queue.
    "shared": {"a": "escalation,default,reminders", "b": "escalation,default,reminders"},
}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--patients", type=int, default=100_000, help="schedules due now")
    parser.add_argument("--crisis", type=int, default=1_000, help="crisis check-ins")
    parser.add_argument(
        "--crisis-window",
        type=float,
        default=0.0,
        help="seconds over which the crisis check-ins are spread from the tick "
        "(default: as long as the fan-out alone took)",
    )
    parser.add_argument(
        "--crisis-threads", type=int, default=4, help="threads submitting crisis check-ins"
    )
    parser.add_argument("--clinicians", type=int, default=100)
    parser.add_argument(
        "--postgres",
        default=os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432"),
        help="PostgreSQL server (no database name)",
    )
    parser.add_argument("--database", default="exhale_bench")
    parser.add_argument(
        "--redis", default=os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/13")
    )
    parser.add_argument("--layout", choices=sorted(LAYOUTS), default="shared")
    parser.add_argument(
        "--batch-size",
        type=int,
        default=None,
        help="CESSATION_REMINDER_BATCH_SIZE for the run (default: the product's setting)",
    )
    parser.add_argument(
        "--max-batches",
        type=int,
        default=None,
        help="CESSATION_REMINDER_MAX_BATCHES for the run (default: the product's setting)",
    )
    parser.add_argument("--timeout", type=float, default=300.0, help="give up after (s)")
    parser.add_argument(
        "--wait-emails",
        type=float,
        default=0.0,
        help="after the fan-out, wait up to this long for every reminder email to be sent",
    )
    parser.add_argument(
        "--poll",
        type=float,
        default=0.2,
        help="poll interval (s): each poll counts the reminders, a scan that competes with the run",
    )
    parser.add_argument("--output", default=str(BASE_DIR / "var" / "bench" / "checkin_fanout.json"))
    return parser.parse_args()


ARGS = parse_args()
DATABASE_URL = f"{ARGS.postgres.rstrip('/')}/{ARGS.database}"


def _fernet_key() -> str:
    import base64

    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


# Everything the product reads from the environment, for this process, `migrate` and the
# workers alike. Set explicitly (not defaults) so a developer's .env cannot redirect the run.
os.environ.update(
    {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "FIELD_ENCRYPTION_KEYS": _fernet_key(),
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DJANGO_LOG_LEVEL": "WARNING",
        "EXHALE_VAR_DIR": "var/bench",
        "DATABASE_URL": DATABASE_URL,
        "REDIS_URL": ARGS.redis,
        "CELERY_BROKER_URL": ARGS.redis,
        "CELERY_RESULT_BACKEND": ARGS.redis,
        "CACHE_URL": ARGS.redis,
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    }
)
# The product's own fan-out settings unless the command line says otherwise.
for _name, _value in (
    ("CESSATION_REMINDER_BATCH_SIZE", ARGS.batch_size),
    ("CESSATION_REMINDER_MAX_BATCHES", ARGS.max_batches),
):
    if _value is None:
        os.environ.pop(_name, None)
    else:
        os.environ[_name] = str(_value)

import psycopg  # noqa: E402

from bench import _common as common  # noqa: E402
from bench._common import say  # noqa: E402

# --- 1. database and broker ---------------------------------------------------------------------


def database_reset() -> None:
    common.database_reset(ARGS.postgres, ARGS.database)


def redis_flush() -> None:
    import redis

    redis.Redis.from_url(ARGS.redis).flushdb()


# --- 2. data ------------------------------------------------------------------------------------


def data_fill(now: datetime) -> tuple[list[int], list[int]]:
    """Clinicians, due patients and crisis patients, with COPY. Returns (due ids, crisis ids)."""
    clinicians = list(range(1, ARGS.clinicians + 1))
    first = ARGS.clinicians + 1
    due_ids = list(range(first, first + ARGS.patients))
    crisis_ids = list(range(first + ARGS.patients, first + ARGS.patients + ARGS.crisis))
    joined = now - timedelta(days=60)
    discharged = (now - timedelta(days=60)).date()
    due_at = now - timedelta(seconds=1)
    later = now + timedelta(days=1)
    with psycopg.connect(DATABASE_URL) as conn, conn.cursor() as cur:
        with cur.copy(
            "COPY accounts_user (id, password, email, full_name, preferred_name, role, "
            "is_active, date_joined, session_generation) FROM STDIN"
        ) as copy:
            for pk in clinicians:
                copy.write_row(
                    (
                        pk,
                        "!",
                        f"clinician{pk}@bench.invalid",
                        f"Clinician {pk}",
                        "",
                        "clinician",
                        True,
                        joined,
                        0,
                    )
                )
            due_set = set(due_ids)
            for pk in due_ids + crisis_ids:
                copy.write_row(
                    (
                        pk,
                        "!",  # unusable password
                        f"patient{pk}@bench.invalid",
                        f"Patient {pk}",
                        "",
                        "patient",
                        True,
                        joined,
                        0,
                    )
                )
        cur.execute(
            "SELECT setval(pg_get_serial_sequence('accounts_user', 'id'), max(id)) "
            "FROM accounts_user"
        )
        with cur.copy(
            "COPY accounts_patientprofile (user_id, clinician_id, discharged_on, time_zone, "
            "programme_status, created_at, updated_at) FROM STDIN"
        ) as copy:
            for n, pk in enumerate(due_ids + crisis_ids):
                copy.write_row(
                    (
                        pk,
                        clinicians[n % len(clinicians)],
                        discharged,
                        "Europe/London",
                        "active",
                        joined,
                        joined,
                    )
                )
        with cur.copy(
            "COPY cessation_checkinschedule (patient_id, frequency, times, early_times, "
            "quiet_start, quiet_end, is_active, paused_for, next_due_at, next_missed_check_at, "
            "missed_in_row, created_at, updated_at) FROM STDIN"
        ) as copy:
            due_set = set(due_ids)
            for pk in due_ids + crisis_ids:
                copy.write_row(
                    (
                        pk,
                        "daily",
                        '["19:00"]',
                        "[]",
                        "22:00",
                        "08:00",
                        True,
                        "",
                        due_at if pk in due_set else later,
                        later,
                        0,
                        joined,
                        joined,
                    )
                )
        conn.commit()
    with psycopg.connect(DATABASE_URL, autocommit=True) as conn:
        conn.execute(
            "VACUUM ANALYZE accounts_user, accounts_patientprofile, cessation_checkinschedule"
        )
    return due_ids, crisis_ids


# --- 3. baseline --------------------------------------------------------------------------------


def baseline_copy(now: datetime, due_ids: list[int], runs: int = 5) -> list[float]:
    """A bare COPY of one reminder row per patient into a table of the same shape."""
    day = now.date()
    rows = [(now, day, "reminder", now, n + 1, pk) for n, pk in enumerate(due_ids[: ARGS.patients])]
    timings = []
    with psycopg.connect(DATABASE_URL) as conn, conn.cursor() as cur:
        cur.execute(
            "CREATE TABLE bench_reminder_copy (LIKE cessation_checkinreminder INCLUDING ALL)"
        )
        conn.commit()
        for _ in range(runs):
            cur.execute("TRUNCATE bench_reminder_copy")
            conn.commit()
            started = time.perf_counter()
            with cur.copy(
                "COPY bench_reminder_copy (slot_at, day, kind, created_at, notification_id, "
                "patient_id) FROM STDIN"
            ) as copy:
                for row in rows:
                    copy.write_row(row)
            conn.commit()
            timings.append(time.perf_counter() - started)
    return timings


# --- 4. workers ---------------------------------------------------------------------------------


def workers_start(log_dir: Path, phase: str) -> dict[str, subprocess.Popen]:
    celery = str(Path(sys.executable).with_name("celery"))
    processes = {}
    for name, queues in LAYOUTS[ARGS.layout].items():
        log = (log_dir / f"worker-{name}-phase{phase}.log").open("wb")
        processes[name] = subprocess.Popen(
            [
                celery,
                "-A",
                "config",
                "worker",
                "--pool=prefork",
                "--concurrency=1",
                "--without-mingle",
                "--without-gossip",
                "--loglevel=WARNING",
                "-n",
                f"bench-{name}@%h",
                "-Q",
                queues,
            ],
            cwd=BASE_DIR,
            env=os.environ.copy(),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    return processes


def workers_wait_ready(processes: dict[str, subprocess.Popen], timeout: float = 60) -> None:
    from config.celery import app

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for name, process in processes.items():
            if process.poll() is not None:
                raise SystemExit(f"worker {name} exited with {process.returncode}; see its log")
        replies = app.control.ping(timeout=0.5) or []
        names = {key.split("@")[0] for reply in replies for key in reply}
        if names >= {f"bench-{name}" for name in processes}:
            return
    raise SystemExit("the workers did not answer within a minute; see var/bench/worker-*.log")


def workers_warm_up() -> None:
    """One heartbeat task on every queue, so each worker has connected to the database and
    imported what it needs (production workers are long-running)."""
    from core.models import Heartbeat
    from core.tasks import heartbeat_task

    queues = {q for qs in LAYOUTS[ARGS.layout].values() for q in qs.split(",")}
    before = Heartbeat.objects.filter(name="beat").values_list("count", flat=True).first() or 0
    for queue in queues:
        heartbeat_task.apply_async(queue=queue)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        beat = Heartbeat.objects.filter(name="beat").first()
        if beat is not None and beat.count >= before + len(queues):
            return
        time.sleep(0.1)
    raise SystemExit("warm-up tasks did not run; see var/bench/worker-*.log")


def workers_stop(processes: dict[str, subprocess.Popen]) -> None:
    for process in processes.values():
        if process.poll() is None:
            process.terminate()
    for process in processes.values():
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


# --- 5. crisis check-ins ------------------------------------------------------------------------


class CrisisSubmitter(threading.Thread):
    """Submits the crisis check-ins, paced evenly over the window from the tick."""

    def __init__(self, patient_ids: list[int], start_event: threading.Event, window: float):
        super().__init__(daemon=True)
        self.window = window
        self.patient_ids = patient_ids
        self.start_event = start_event
        self.saved: list[tuple[int, int, datetime]] = []  # (patient id, flag id, commit time)
        self.submit_seconds: list[float] = []
        self.error: BaseException | None = None
        self.t0 = 0.0

    def run(self) -> None:
        from django.db import connection, transaction

        from accounts.models import User
        from cessation.services import checkin_submit, patient_today

        try:
            patients = list(User.objects.filter(pk__in=self.patient_ids).order_by("pk"))
            days = {p.pk: patient_today(p) for p in patients[:1]}
            day = days[patients[0].pk]  # every patient is in Europe/London
            self.start_event.wait()
            interval = self.window / max(len(patients), 1)
            for n, patient in enumerate(patients):
                pause = self.t0 + n * interval - time.perf_counter()
                if pause > 0:
                    time.sleep(pause)
                committed: list[datetime] = []
                started = time.perf_counter()
                with transaction.atomic():
                    # Registered first, so it runs at commit, before the product's own
                    # on-commit callbacks (which queue the clinician notice).
                    transaction.on_commit(lambda c=committed: c.append(datetime.now(UTC)))
                    result = checkin_submit(
                        patient=patient,
                        day=day,
                        cigarettes=4,
                        craving=6,
                        mood=4,
                        sleep="poorly",
                        harm_thoughts="yes",
                    )
                self.submit_seconds.append(time.perf_counter() - started)
                if not (result.crisis and result.flags):
                    raise RuntimeError("a crisis check-in raised no flag")
                self.saved.append((patient.pk, result.flags[0].pk, committed[0]))
        except BaseException as exc:  # reported by the main thread
            self.error = exc
        finally:
            connection.close()


def crisis_latencies(saved: list[tuple[int, int, datetime]]) -> tuple[list[float], int]:
    """Seconds from each crisis check-in's commit to its clinician email being sent, and how
    many are not sent yet."""
    from core.models import NotificationDelivery
    from safety.models import FlagEvent

    flag_saved = {flag_id: at for _, flag_id, at in saved}
    notice_of_flag = {}
    for flag_id, detail in FlagEvent.objects.filter(
        flag_id__in=flag_saved, kind=FlagEvent.Kind.NOTIFIED
    ).values_list("flag_id", "detail"):
        notice_of_flag.setdefault(flag_id, detail["notification_id"])
    sent = dict(
        NotificationDelivery.objects.filter(
            notification_id__in=notice_of_flag.values(), channel="email"
        ).values_list("notification_id", "sent_at")
    )
    latencies, pending = [], 0
    for flag_id, at in flag_saved.items():
        sent_at = sent.get(notice_of_flag.get(flag_id))
        if sent_at is None:
            pending += 1
        else:
            latencies.append((sent_at - at).total_seconds())
    return latencies, pending


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    # nearest rank
    return ordered[min(len(ordered), max(1, math.ceil(q / 100 * len(ordered)))) - 1]


# --- 6. the run ---------------------------------------------------------------------------------


def main() -> int:
    log_dir = BASE_DIR / "var" / "bench"
    log_dir.mkdir(parents=True, exist_ok=True)
    say(f"database {ARGS.database}: drop, create, migrate")
    database_reset()
    redis_flush()

    import django

    django.setup()
    from django.conf import settings

    now = datetime.now(UTC)
    say(f"COPY {ARGS.patients:,} due patients and {ARGS.crisis:,} crisis patients")
    started = time.perf_counter()
    due_ids, crisis_ids = data_fill(now)
    say(f"  filled in {time.perf_counter() - started:.1f} s")

    say("baseline: COPY into a table shaped like cessation_checkinreminder (5 runs)")
    baseline_runs = baseline_copy(now, due_ids)
    baseline = statistics.median(baseline_runs)
    say("  " + ", ".join(f"{t:.3f} s" for t in baseline_runs) + f" → median {baseline:.3f} s")

    report = {
        "when": now.isoformat(timespec="seconds"),
        "machine": machine(),
        "config": {
            "patients": ARGS.patients,
            "crisis": ARGS.crisis,
            "layout": ARGS.layout,
            "queues": LAYOUTS[ARGS.layout],
            "batch_size": settings.CESSATION_REMINDER_BATCH_SIZE,
            "max_batches": settings.CESSATION_REMINDER_MAX_BATCHES,
        },
        "baseline_copy_s": round(baseline, 4),
        "baseline_runs_s": [round(t, 4) for t in baseline_runs],
    }

    say(f"phase 1: the fan-out alone; workers {LAYOUTS[ARGS.layout]}")
    report["fanout"] = run_phase(log_dir, "1", due_ids, [], window=0.0)
    if ARGS.crisis:
        phase_reset(due_ids)
        window = ARGS.crisis_window or report["fanout"]["fanout_s"] or TARGET_SECONDS
        say(
            f"phase 2: the fan-out again, with {ARGS.crisis:,} crisis check-ins over {window:.1f} s"
        )
        report["with_crisis"] = run_phase(log_dir, "2", due_ids, crisis_ids, window=window)

    fanout = report["fanout"]
    crisis = report.get("with_crisis", {}).get("crisis")
    finished = fanout["fanout_s"]
    ratio = finished / baseline if finished else None
    fanout["ratio_to_baseline"] = round(ratio, 1) if ratio else None
    met = {
        "fanout_under_10s": bool(finished and finished < TARGET_SECONDS),
        "fanout_within_15x_baseline": bool(ratio and ratio <= TARGET_RATIO),
        "crisis_p95_under_2s": bool(
            crisis
            and crisis["sent"]
            and not crisis["not_sent"]
            and crisis["p95_s"] < TARGET_CRISIS_P95
        ),
    }
    met["all"] = all(met.values())
    report["met"] = met
    Path(ARGS.output).write_text(json.dumps(report, indent=2, default=str))
    print_report(report)
    say(f"written to {ARGS.output}")
    return 0 if met["all"] else 1


def phase_reset(due_ids: list[int]) -> None:
    """Back to the start: no reminders or notices, every schedule due again, Redis empty."""
    redis_flush()
    with psycopg.connect(DATABASE_URL, autocommit=True) as conn:
        conn.execute(
            "TRUNCATE cessation_checkinreminder, core_notificationdelivery, core_notification"
        )
        conn.execute(
            "UPDATE cessation_checkinschedule SET next_due_at = now() - interval '1 second', "
            "claimed_until = NULL WHERE patient_id = ANY(%s)",
            [due_ids],
        )
        conn.execute(
            "VACUUM ANALYZE cessation_checkinschedule, cessation_checkinreminder, "
            "core_notification, core_notificationdelivery"
        )


def run_phase(log_dir: Path, phase: str, due_ids, crisis_ids, *, window: float) -> dict:
    processes = workers_start(log_dir, phase)
    try:
        workers_wait_ready(processes)
        workers_warm_up()
        return measure(due_ids, crisis_ids, window)
    finally:
        workers_stop(processes)


def measure(due_ids, crisis_ids, window: float) -> dict:
    from celery import current_app
    from django.conf import settings
    from django.db import connection

    from cessation.models import CheckInReminder, CheckInSchedule

    tick_entry = settings.CELERY_BEAT_SCHEDULE["cessation-reminders-tick"]
    start_event = threading.Event()
    submitters: list[CrisisSubmitter] = []
    if crisis_ids:
        # Several at once, as several web workers would take them: each paced evenly.
        threads = ARGS.crisis_threads
        submitters = [
            CrisisSubmitter(crisis_ids[n::threads], start_event, window) for n in range(threads)
        ]
        for submitter in submitters:
            submitter.start()
    poll = psycopg.connect(DATABASE_URL, autocommit=True)
    timeline: list[tuple[float, int]] = []
    load_before = os.getloadavg()[0]

    tick_wall = datetime.now(UTC)
    t0 = time.perf_counter()
    for submitter in submitters:
        submitter.t0 = t0
        start_event.set()
    # What beat sends every minute: the tick task, with its beat entry's options.
    current_app.send_task(tick_entry["task"], **tick_entry.get("options", {}))
    finished = None
    count = 0
    while time.perf_counter() - t0 < ARGS.timeout:
        count = poll.execute("SELECT count(*) FROM cessation_checkinreminder").fetchone()[0]
        elapsed = time.perf_counter() - t0
        if not timeline or timeline[-1][1] != count:
            timeline.append((round(elapsed, 3), count))
        if count >= ARGS.patients:
            finished = elapsed
            break
        time.sleep(ARGS.poll)
    fanout_wall_end = datetime.now(UTC)
    say(
        f"  {count:,} reminders recorded in {finished:.2f} s ({ARGS.patients / finished:,.0f}/s)"
        if finished
        else f"  only {count:,} reminders after {ARGS.timeout:.0f} s"
    )
    emails_sent_at_end = poll.execute(
        "SELECT count(*) FROM core_notificationdelivery WHERE status = 'sent'"
    ).fetchone()[0]
    first = next((t for t, c in timeline if c > 0), None)

    result = {
        "fanout_s": round(finished, 3) if finished else None,
        "reminders_per_s": round(ARGS.patients / finished) if finished else None,
        "first_reminder_s": first,
        "load_average_before": round(load_before, 2),
        "timeline": timeline,
        "emails_sent_when_fanout_done": emails_sent_at_end,
    }

    if submitters:
        saved, submit_seconds = [], []
        for submitter in submitters:
            submitter.join(timeout=ARGS.timeout)
            if submitter.error is not None:
                raise submitter.error
            saved += submitter.saved
            submit_seconds += submitter.submit_seconds
        during = sum(1 for *_, at in saved if at <= fanout_wall_end)
        say(f"  crisis check-ins saved: {len(saved)} ({during} during the fan-out)")
        deadline = time.perf_counter() + 120
        latencies, pending = crisis_latencies(saved)
        while pending and time.perf_counter() < deadline:
            time.sleep(0.25)
            latencies, pending = crisis_latencies(saved)
        connection.close()
        result["crisis"] = {
            "window_s": round(window, 2),
            "saved": len(saved),
            "saved_during_fanout": during,
            "sent": len(latencies),
            "not_sent": pending,
            "p50_s": round(percentile(latencies, 50), 3),
            "p95_s": round(percentile(latencies, 95), 3),
            "max_s": round(max(latencies), 3) if latencies else None,
            "submit_p50_ms": round(1000 * statistics.median(submit_seconds), 1),
        }
        say(
            f"  crisis notices sent: {len(latencies)}, p50 {result['crisis']['p50_s']:.3f} s, "
            f"p95 {result['crisis']['p95_s']:.3f} s"
        )

    if ARGS.wait_emails:
        total = ARGS.patients + len(crisis_ids)
        deadline = t0 + ARGS.wait_emails
        while time.perf_counter() < deadline:
            sent = poll.execute(
                "SELECT count(*) FROM core_notificationdelivery WHERE status = 'sent'"
            ).fetchone()[0]
            if sent >= total:
                result["all_emails_sent_s"] = round(time.perf_counter() - t0, 1)
                break
            time.sleep(0.5)

    # The outcome, checked: one reminder per due patient, every schedule moved on and free.
    result["checks"] = {
        "reminders": CheckInReminder.objects.count(),
        "distinct_patients": CheckInReminder.objects.values("patient_id").distinct().count(),
        "schedules_not_moved_on": CheckInSchedule.objects.filter(
            pk__in=due_ids, next_due_at__lte=tick_wall
        ).count(),
        "schedules_still_claimed": CheckInSchedule.objects.filter(
            claimed_until__isnull=False
        ).count(),
    }
    connection.close()
    poll.close()
    return result


def machine() -> dict:
    with psycopg.connect(DATABASE_URL) as conn:
        pg = conn.execute("SHOW server_version").fetchone()[0]
    import celery
    import django
    import redis

    server = redis.Redis.from_url(ARGS.redis).info("server")
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "os": platform.platform(),
        "python": platform.python_version(),
        "django": django.get_version(),
        "celery": celery.__version__,
        "postgresql": pg,
        "redis": server.get("redis_version"),
        "load_average_before": os.getloadavg(),
    }


def print_report(report: dict) -> None:
    mark = {True: "met", False: "NOT met"}
    met = report["met"]
    m = report["machine"]
    c = report["config"]
    fanout = report["fanout"]
    print()
    print("Check-in fan-out")
    print(
        f"  machine: {m['cpus']} CPUs ({m['cpu']}), Python {m['python']}, Django {m['django']}, "
        f"Celery {m['celery']}, PostgreSQL {m['postgresql']}, Redis {m['redis']}"
    )
    print(
        f"  {c['patients']:,} schedules due at once; one tick claims up to "
        f"{c['batch_size']} × {c['max_batches']}; two workers: "
        + ", ".join(f"{name} -Q {queues}" for name, queues in c["queues"].items())
    )
    print(
        f"  baseline, a bare COPY of {c['patients']:,} rows into a table shaped like "
        f"cessation_checkinreminder: {report['baseline_copy_s']:.3f} s"
    )
    if fanout["fanout_s"]:
        print(
            f"  FAN-OUT, tick → last reminder recorded: {fanout['fanout_s']:.2f} s, "
            f"{fanout['reminders_per_s']:,} reminders/s, {fanout['ratio_to_baseline']}× the "
            f"baseline (first reminders after {fanout['first_reminder_s']} s)"
        )
    else:
        print("  FAN-OUT: did not finish")
    print(
        f"    target under {TARGET_SECONDS:.0f} s: {mark[met['fanout_under_10s']]}; "
        f"target within {TARGET_RATIO:.0f}× the baseline: "
        f"{mark[met['fanout_within_15x_baseline']]}"
    )
    with_crisis = report.get("with_crisis")
    if with_crisis:
        crisis = with_crisis["crisis"]
        print(
            f"  CRISIS check-in saved → clinician email sent, {crisis['saved']:,} check-ins "
            f"({crisis['saved_during_fanout']:,} during the fan-out), {crisis['sent']:,} sent: "
            f"p50 {crisis['p50_s']:.3f} s, p95 {crisis['p95_s']:.3f} s, max {crisis['max_s']} s"
        )
        print(f"    target p95 under {TARGET_CRISIS_P95:.0f} s: {mark[met['crisis_p95_under_2s']]}")
        if with_crisis["fanout_s"]:
            print(
                f"  (the fan-out of that second run, with the crisis check-ins beside it: "
                f"{with_crisis['fanout_s']:.2f} s)"
            )
    for name in ("fanout", "with_crisis"):
        if name in report:
            print(f"  checks ({name}): {report[name]['checks']}")
    print()


if __name__ == "__main__":
    sys.exit(main())
