"""Helpers shared by the benchmark scripts: where the server is, a timestamped line, a database
dropped and recreated and migrated, nearest-rank percentiles and what the run ran on.

Import it after the script has set its environment (DATABASE_URL and the rest): `migrate` runs
in a child process with this process's environment.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import psycopg

BASE_DIR = Path(__file__).resolve().parent.parent
DEFAULT_POSTGRES = os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")


def say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def database_url(postgres: str, database: str) -> str:
    return f"{postgres.rstrip('/')}/{database}"


def database_exists(postgres: str, database: str) -> bool:
    with psycopg.connect(database_url(postgres, "postgres"), autocommit=True) as conn:
        row = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,)).fetchone()
    return row is not None


def database_reset(postgres: str, database: str) -> None:
    """Drop and recreate the benchmark's own database, then `manage.py migrate` it (in a child
    process, with this process's environment: DATABASE_URL must name the same database)."""
    with psycopg.connect(database_url(postgres, "postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{database}"')
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "-v0"], cwd=BASE_DIR, check=True
    )


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest rank: the smallest value with at least q% of the values at or below it."""
    if not sorted_values:
        return 0.0
    rank = max(1, int(-(-q * len(sorted_values) // 100)))
    return sorted_values[rank - 1]


def versions(dsn: str) -> dict:
    """What the run ran on: machine, Python, Django, psycopg, PostgreSQL."""
    import django

    with psycopg.connect(dsn) as conn:
        pg = conn.execute("SHOW server_version").fetchone()[0]
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "os": platform.platform(),
        "cpu": cpu,
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "django": django.get_version(),
        "psycopg": psycopg.__version__,
        "postgresql": pg,
    }


def load_average() -> str:
    try:
        return " ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "?"
