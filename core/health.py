"""Readiness checks for /health/: database, broker, cache, and the beat heartbeat."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils import timezone


@dataclass
class Check:
    ok: bool
    detail: str
    extra: dict = field(default_factory=dict)


def check_database() -> Check:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        return Check(False, f"unreachable ({type(exc).__name__})")
    return Check(True, connection.vendor)


def check_broker() -> Check:
    from config.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
            transport = conn.transport_cls
    except Exception as exc:
        return Check(False, f"unreachable ({type(exc).__name__})")
    return Check(True, str(transport))


def check_cache() -> Check:
    key = f"health:{uuid.uuid4().hex}"
    try:
        cache.set(key, "1", timeout=10)
        ok = cache.get(key) == "1"
        cache.delete(key)
    except Exception as exc:
        return Check(False, f"unreachable ({type(exc).__name__})")
    return Check(ok, "read back" if ok else "wrote but could not read back")


def check_heartbeat() -> Check:
    """Beat is alive when its last round trip is younger than three intervals.

    A stale heartbeat is reported but does not fail readiness: web processes can serve while
    the scheduler is being restarted, and a load balancer must not take them out for it.
    """
    from core.models import Heartbeat

    try:
        beat = Heartbeat.objects.filter(name="beat").first()
    except Exception as exc:
        return Check(False, f"unknown ({type(exc).__name__})")
    if beat is None:
        return Check(False, "no heartbeat yet: is celery beat running?", {"last_seen_at": None})
    age = (timezone.now() - beat.last_seen_at).total_seconds()
    fresh = age <= 3 * settings.CELERY_HEARTBEAT_SECONDS + 30
    return Check(
        fresh,
        "alive" if fresh else "stale: celery beat or the worker has stopped",
        {"last_seen_at": beat.last_seen_at.isoformat(), "age_seconds": round(age, 1)},
    )


def run_checks() -> tuple[bool, dict]:
    """All checks; ready when the database, broker and cache answer."""
    started = time.monotonic()
    checks = {
        "database": check_database(),
        "broker": check_broker(),
        "cache": check_cache(),
        "heartbeat": check_heartbeat(),
    }
    ready = all(checks[name].ok for name in ("database", "broker", "cache"))
    body = {
        "status": "ok" if ready and checks["heartbeat"].ok else ("degraded" if ready else "down"),
        "checks": {name: {"ok": c.ok, "detail": c.detail, **c.extra} for name, c in checks.items()},
        "elapsed_ms": round((time.monotonic() - started) * 1000, 1),
    }
    return ready, body
