"""Real Celery processes for tests: a worker (and beat) started against the test database, on
the configured broker — Redis when REDIS_URL is set, the file-system transport otherwise."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from config.celery import app as celery_app

CELERY = str(Path(sys.executable).with_name("celery"))
WORKER_ARGS = [
    "worker",
    "--pool=solo",
    "--loglevel=INFO",
    "--without-mingle",
    "--without-gossip",
    "-Q",
    "escalation,default,reminders",
]


def test_database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{Path(db['NAME']).resolve()}"
    user = db.get("USER") or ""
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    return f"postgres://{auth}{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


test_database_url.__test__ = False  # a helper, not a test


def start(args: list[str], extra_env: dict[str, str], log: Path) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": test_database_url(), **extra_env}
    return subprocess.Popen(
        [CELERY, "-A", "config", *args],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )


def stop(process: subprocess.Popen) -> None:
    """Warm shutdown first (SIGTERM: a running task finishes). On the file-system transport the
    consumer notices it only after about 4 s of polls, and a cold shutdown (SIGQUIT) waits as
    long, so after a second the process is killed: by teardown the test has waited for every
    effect it checks, and an unfinished transaction dies with it (the database rolls it back)."""
    process.terminate()
    try:
        process.wait(timeout=1)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


def wait_for(predicate: Callable[[], bool], timeout: float, logs: list[Path]) -> None:
    """Poll until `predicate()` holds; on timeout fail with the processes' output."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.25)
    output = "\n".join(f"--- {log.name}\n{log.read_text(errors='replace')[-3000:]}" for log in logs)
    pytest.fail(f"condition not met within {timeout}s; process output:\n{output}")


UNREACHABLE_BROKER = "redis://127.0.0.1:1/0"  # nothing listens on port 1


def _drop_broker_connections() -> None:
    """Forget the pools bound to a broker URL, so the next publish uses the configured one (what
    Celery itself does after a fork). kombu keeps each URL's pool, so they are not closed."""
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@contextmanager
def broker_down() -> Iterator[None]:
    """The web process cannot reach the broker (Redis is down, or the network to it is)."""
    saved = celery_app.conf.broker_url
    _drop_broker_connections()
    celery_app.conf.broker_url = UNREACHABLE_BROKER
    try:
        yield
    finally:
        celery_app.conf.broker_url = saved
        _drop_broker_connections()
