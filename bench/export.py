"""Trial export benchmark: the check-ins export against a bare `psql \\copy` of the same query.

    .venv/bin/python bench/export.py                 (1,000,000 check-ins, 10,000 participants)
    .venv/bin/python bench/export.py --rows 100000

What it does, from a clean checkout, on the local PostgreSQL:

1. Drops and recreates its own database (`exhale_bench_export`) and migrates it with
   `manage.py migrate`: nothing else is touched.
2. Creates one trial with the product's set-up service, then fills the rest with `COPY`: an
   admin, a clinician, 10,000 patients (users and profiles), their participants (trial ids
   computed with the trial's key, as the product does), sealed sequence slots and allocations,
   and the check-ins (rows / participants consecutive days each).
3. Times, three times each and alternating, median counted:
   a) the product's check-ins export, in a child process (a fresh Python as a web worker or the
      command would be): the same call the page and `manage.py export_trial` make
      (`trials.exports.files.data_stream("checkins", "csv", trial)`, which streams
      `COPY (SELECT …) TO STDOUT` through psycopg), written to /dev/null. The child reports
      the export's own time and its peak resident memory (ru_maxrss: the honest figure, Django
      and all).
   b) `psql -c "\\copy (<the same SELECT>) TO '/dev/null' WITH (FORMAT csv, HEADER)"`.
   And once each, for information: the Python (ORM) path of the same CSV, and the JSON.
4. Prints a report and writes it as JSON to var/bench/export-<rows>.json; exits non-zero when a
   target is missed (within 2x of the bare COPY; peak memory under 150 MB).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import resource
import secrets
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

TARGET_RATIO = 2.0
TARGET_MEMORY_MB = 150.0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="check-ins")
    parser.add_argument("--participants", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--postgres",
        default=os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432"),
        help="PostgreSQL server (no database name)",
    )
    parser.add_argument("--database", default="exhale_bench_export")
    parser.add_argument("--output", default="")
    # Internal: the child process that runs one export and reports on stdout.
    parser.add_argument("--child", choices=("copy", "python-csv", "json"), help=argparse.SUPPRESS)
    parser.add_argument("--slug", default="bench-export", help=argparse.SUPPRESS)
    return parser.parse_args()


ARGS = parse_args()
DATABASE_URL = f"{ARGS.postgres.rstrip('/')}/{ARGS.database}"

if not ARGS.child:
    # Everything the product reads from the environment, for this process, `migrate` and the
    # children alike. Set explicitly so a developer's .env cannot redirect the run.
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DJANGO_DEBUG": "false",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "FIELD_ENCRYPTION_KEYS": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
            "DJANGO_SECURE_SSL_REDIRECT": "false",
            "DJANGO_LOG_LEVEL": "WARNING",
            "EXHALE_VAR_DIR": "var/bench",
            "DATABASE_URL": DATABASE_URL,
            "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        }
    )
    for name in ("REDIS_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND", "CACHE_URL"):
        os.environ.pop(name, None)

import psycopg  # noqa: E402

from bench import _common as common  # noqa: E402
from bench._common import say  # noqa: E402

# --- the child: one export ----------------------------------------------------------------------


def child() -> None:
    import django

    django.setup()
    from trials.exports.datasets import DATASETS
    from trials.exports.files import data_stream
    from trials.exports.writers import RowCounter, csv_stream
    from trials.models import Trial

    trial = Trial.objects.get(slug=ARGS.slug)
    counter = RowCounter()
    started = time.perf_counter()
    size = 0
    with open(os.devnull, "wb") as sink:
        if ARGS.child == "copy":
            chunks = data_stream("checkins", "csv", trial, counter)
        elif ARGS.child == "python-csv":
            chunks = csv_stream(DATASETS["checkins"], trial, counter=counter, use_copy=False)
        else:
            chunks = data_stream("checkins", "json", trial, counter)
        for chunk in chunks:
            size += len(chunk)
            sink.write(chunk)
    seconds = time.perf_counter() - started
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"seconds": seconds, "rows": counter.rows, "bytes": size, "peak_kb": peak_kb}))


# --- 1. database --------------------------------------------------------------------------------


def database_reset() -> None:
    common.database_reset(ARGS.postgres, ARGS.database)


# --- 2. data ------------------------------------------------------------------------------------


def data_fill(now: datetime):
    """One trial (by the product's service), then everyone and everything else with COPY."""
    import django

    django.setup()
    from accounts.models import User
    from trials import pseudonyms
    from trials.services import setup

    admin = User.objects.create(
        email="admin@bench.invalid",
        full_name="Bench admin",
        role="admin",
        password="!",  # noqa: S106 - "!" is Django's unusable password
    )
    trial = setup.trial_create(
        by=admin, name="Bench trial", slug=ARGS.slug, recruitment_target=ARGS.participants
    )
    arms = list(trial.arms.order_by("order").values_list("id", "code"))
    clinician_id = admin.pk + 1
    first = clinician_id + 1
    patient_ids = list(range(first, first + ARGS.participants))
    joined = now - timedelta(days=400)
    consented = joined + timedelta(days=1)
    days = max(ARGS.rows // ARGS.participants, 1)
    start_day = (consented + timedelta(days=1)).date()
    with psycopg.connect(DATABASE_URL) as conn, conn.cursor() as cur:
        with cur.copy(
            "COPY accounts_user (id, password, email, full_name, preferred_name, role, "
            "is_active, date_joined, session_generation) FROM STDIN"
        ) as copy:
            copy.write_row(
                (
                    clinician_id,
                    "!",
                    "clinician@bench.invalid",
                    "Clinician",
                    "",
                    "clinician",
                    True,
                    joined,
                    0,
                )
            )
            for pk in patient_ids:
                copy.write_row(
                    (
                        pk,
                        "!",
                        f"p{pk}@bench.invalid",
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
            for pk in patient_ids:
                copy.write_row(
                    (pk, clinician_id, joined.date(), "Europe/London", "active", joined, joined)
                )
        with cur.copy(
            "COPY trials_participant (id, trial_id, patient_id, study_id, diagnosis_group, "
            "status, enrolled_at, enrolled_by_id, consented_at) FROM STDIN"
        ) as copy:
            for n, pk in enumerate(patient_ids, start=1):
                copy.write_row(
                    (
                        n,
                        trial.pk,
                        pk,
                        pseudonyms.trial_id_for(key=trial.pseudonym_key, patient_id=pk),
                        ("psychosis", "bipolar", "depression", "other")[n % 4],
                        "randomised",
                        joined,
                        clinician_id,
                        consented,
                    )
                )
        with cur.copy(
            "COPY trials_sequenceslot (id, trial_id, stratum, position, block, block_size, "
            "arm_sealed, used_at) FROM STDIN"
        ) as copy:
            for n in range(1, ARGS.participants + 1):
                copy.write_row((n, trial.pk, "bench", 10_000_000 + n, n, 2, "sealed", consented))
        with cur.copy(
            "COPY trials_allocation (participant_id, arm_id, stratum, slot_id, allocated_at, "
            "allocated_by_id) FROM STDIN"
        ) as copy:
            for n in range(1, ARGS.participants + 1):
                copy.write_row((n, arms[n % 2][0], "bench", n, consented, admin.pk))
        for table in ("trials_participant", "trials_sequenceslot", "trials_allocation"):
            cur.execute(
                # The three names above, not input.
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM {table}"  # noqa: S608
            )
        written = 0
        with cur.copy(
            "COPY cessation_checkin (patient_id, day, cigarettes, craving, mood, sleep, "
            "supports_used, harm_thoughts, note, created_at, updated_at) FROM STDIN"
        ) as copy:
            sleeps = ("well", "ok", "poorly", "hardly")
            for pk in patient_ids:
                for d in range(days):
                    if written >= ARGS.rows:
                        break
                    at = consented + timedelta(days=d + 1, hours=2)
                    copy.write_row(
                        (
                            pk,
                            start_day + timedelta(days=d),
                            (pk + d) % 25,
                            d % 11,
                            (pk * 7 + d) % 11,
                            sleeps[d % 4],
                            '["patch", "gum"]' if d % 3 else "[]",
                            "no",
                            "",
                            at,
                            at,
                        )
                    )
                    written += 1
        conn.commit()
    with psycopg.connect(DATABASE_URL, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    return trial, written


# --- 3. timing ----------------------------------------------------------------------------------


def run_child(kind: str) -> dict:
    result = subprocess.run(
        [
            sys.executable,
            str(Path(__file__).resolve()),
            "--child",
            kind,
            "--slug",
            ARGS.slug,
            "--database",
            ARGS.database,
            "--postgres",
            ARGS.postgres,
        ],
        cwd=BASE_DIR,
        env=os.environ.copy(),
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def run_psql(select_sql: str) -> float:
    started = time.perf_counter()
    subprocess.run(
        [
            "psql",
            DATABASE_URL,
            "-X",
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "-c",
            f"\\copy ({select_sql}) TO '/dev/null' WITH (FORMAT csv, HEADER)",
        ],
        check=True,
    )
    return time.perf_counter() - started


def main() -> int:
    if ARGS.child:
        child()
        return 0
    began = time.perf_counter()
    say(f"database {ARGS.database}: reset and migrate")
    database_reset()
    say(f"fill: {ARGS.participants} participants, {ARGS.rows} check-ins (COPY)")
    now = datetime.now(UTC)
    trial, written = data_fill(now)
    from trials.exports.datasets import DATASETS

    with psycopg.connect(DATABASE_URL) as conn:
        select_sql = DATASETS["checkins"].copy_select(trial).as_string(conn)
    say("warm-up (one run of each, not counted)")
    run_psql(select_sql)
    run_child("copy")
    product, bare = [], []
    for n in range(ARGS.runs):
        product.append(run_child("copy"))
        bare.append(run_psql(select_sql))
        say(
            f"run {n + 1}: export {product[-1]['seconds']:.2f} s "
            f"({product[-1]['peak_kb'] / 1024:.0f} MB peak), psql \\copy {bare[-1]:.2f} s"
        )
    say("for information: the Python (ORM) CSV path and the JSON, once each")
    python_csv = run_child("python-csv")
    json_run = run_child("json")
    export_median = statistics.median(r["seconds"] for r in product)
    bare_median = statistics.median(bare)
    ratio = export_median / bare_median
    peak_mb = max(r["peak_kb"] for r in product) / 1024
    report = {
        "rows": written,
        "participants": ARGS.participants,
        "rows_exported": product[0]["rows"],
        "csv_bytes": product[0]["bytes"],
        "export_seconds": [round(r["seconds"], 3) for r in product],
        "psql_copy_seconds": [round(s, 3) for s in bare],
        "export_median_s": round(export_median, 3),
        "psql_copy_median_s": round(bare_median, 3),
        "ratio": round(ratio, 3),
        "export_peak_rss_mb": round(peak_mb, 1),
        "python_csv_path": {
            "seconds": round(python_csv["seconds"], 3),
            "peak_rss_mb": round(python_csv["peak_kb"] / 1024, 1),
        },
        "json": {
            "seconds": round(json_run["seconds"], 3),
            "bytes": json_run["bytes"],
            "peak_rss_mb": round(json_run["peak_kb"] / 1024, 1),
        },
        "targets": {"ratio": TARGET_RATIO, "peak_rss_mb": TARGET_MEMORY_MB},
        "met": ratio <= TARGET_RATIO and peak_mb < TARGET_MEMORY_MB,
        "versions": common.versions(DATABASE_URL),
        "total_seconds": round(time.perf_counter() - began, 1),
        "at": now.isoformat(timespec="seconds"),
    }
    output = Path(ARGS.output or BASE_DIR / "var" / "bench" / f"export-{ARGS.rows}.json")
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))
    say(
        f"{'MET' if report['met'] else 'MISSED'}: export {export_median:.2f} s vs psql \\copy "
        f"{bare_median:.2f} s (x{ratio:.2f}, target x{TARGET_RATIO}); peak {peak_mb:.0f} MB "
        f"(target < {TARGET_MEMORY_MB:.0f} MB). Report: {output}"
    )
    return 0 if report["met"] else 1


if __name__ == "__main__":
    sys.exit(main())
