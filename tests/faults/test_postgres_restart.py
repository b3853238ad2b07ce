"""PostgreSQL restarted while patients check in and read their pages: requests caught by the
restart fail cleanly (an error page or the API's error shape, quickly, never a hang or a dropped
connection), nothing is half-written (every check-in in the database has its flag, notice and
email delivery; every check-in answered as saved is there), and the same gunicorn and worker
serve again once PostgreSQL is back, without a restart of their own."""

from __future__ import annotations

import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.faults.conftest import http, report

pytestmark = pytest.mark.faults  # the conftest adds it too; explicit for -m

PATIENTS = 400
CLIENTS = 6
BEFORE, AFTER = 3.0, 8.0  # seconds of traffic before the restart and after it is back

SEED = f"""
from django.utils import timezone
from tests.faults import seed
team = seed.clinicians(4)
patients = seed.patients({PATIENTS}, team)
print(json.dumps({{"sessions": seed.sessions(patients), "ids": [p.pk for p in patients],
                  "today": str(timezone.localdate())}}))
"""


def _wait_until_sent(conn, count: int, timeout: float = 120) -> float:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        sent = conn.execute(
            "SELECT count(*) FROM core_notificationdelivery WHERE status = 'sent'"
        ).fetchone()[0]
        if sent >= count:
            return time.monotonic()
        time.sleep(0.3)
    return time.monotonic()


def test_postgres_restart_fails_requests_cleanly_and_the_app_recovers(
    fresh_db, redis_server, product_factory
):
    product = product_factory(fresh_db.url, redis_server.url)
    seeded = product.script(SEED)
    sessions, ids, today = seeded["sessions"], seeded["ids"], seeded["today"]
    # Every check-in here says thoughts of self-harm: each raises a flag and an urgent notice.
    crisis_check_in = {
        "day": today,
        "cigarettes": 1,
        "craving": 4,
        "mood": 5,
        "sleep": "ok",
        "harm_thoughts": "yes",
        "note": "",
    }
    product.start_web()
    product.start_worker()
    # The worker is up and has used the database before the restart: a first check-in's email
    # goes out (the last patient's, kept out of the traffic below).
    status, _, _ = http(
        "POST",
        f"{product.base_url}/api/v1/check-ins/",
        sessions[-1],
        crisis_check_in,
    )
    assert status == 201
    with fresh_db.connect() as conn:
        _wait_until_sent(conn, 1)

    results: list[dict] = []
    lock = threading.Lock()
    stop = threading.Event()
    next_patient = iter(range(PATIENTS - 1))

    def client() -> None:
        while not stop.is_set():
            with lock:
                i = next(next_patient, None)
            if i is None:
                return
            started = time.monotonic()
            status, seconds, body = http(
                "POST",
                f"{product.base_url}/api/v1/check-ins/",
                sessions[i],
                crisis_check_in,
                timeout=40,
            )
            page_status, page_seconds, page = http("GET", f"{product.base_url}/", sessions[i])
            with lock:
                results.append(
                    {
                        "patient": ids[i],
                        "started": started,
                        "status": status,
                        "seconds": seconds,
                        "body": body[:200],
                    }
                )
                results.append(
                    {
                        "patient": None,
                        "started": started,
                        "status": page_status,
                        "seconds": page_seconds,
                        "body": page[:200],
                    }
                )

    with ThreadPoolExecutor(CLIENTS) as pool:
        for _ in range(CLIENTS):
            pool.submit(client)
        time.sleep(BEFORE)
        restart_began = time.monotonic()
        fresh_db.restart()
        restart_done = time.monotonic()
        time.sleep(AFTER)
        stop.set()

    failed = [r for r in results if r["status"] != 200 and r["status"] != 201]
    after = sorted((r for r in results if r["started"] >= restart_done), key=lambda r: r["started"])
    first_ok = next((r for r in after if r["status"] in (200, 201)), None)
    last_failure_end = max((r["started"] + r["seconds"] for r in failed), default=restart_began)
    checkins = [r for r in results if r["patient"] is not None]

    with fresh_db.connect() as conn:
        saved = {
            row[0] for row in conn.execute("SELECT patient_id FROM cessation_checkin").fetchall()
        }
        incomplete = conn.execute(
            """
            SELECT c.id FROM cessation_checkin c
            WHERE NOT EXISTS (SELECT 1 FROM safety_flag f WHERE f.patient_id = c.patient_id
                              AND f.category = 'crisis' AND f.source_ref = 'cessation.checkin:'
                              || c.id)
               OR NOT EXISTS (SELECT 1 FROM safety_flagsignal s JOIN safety_flag f
                              ON f.id = s.flag_id WHERE f.patient_id = c.patient_id)
               OR NOT EXISTS (SELECT 1 FROM core_auditevent a WHERE a.subject_id = c.patient_id
                              AND a.action = 'checkin.created')
            """
        ).fetchall()
        notices_without_delivery = conn.execute(
            "SELECT count(*) FROM core_notification n WHERE NOT EXISTS"
            " (SELECT 1 FROM core_notificationdelivery d WHERE d.notification_id = n.id)"
        ).fetchone()[0]
        flags_without_notice = conn.execute(
            "SELECT count(*) FROM safety_flag f WHERE NOT EXISTS"
            " (SELECT 1 FROM safety_flagevent e WHERE e.flag_id = f.id AND e.kind = 'notified')"
        ).fetchone()[0]
        # The worker carries on too, without a restart: every email goes out.
        caught_up = _wait_until_sent(conn, len(saved)) - restart_done
        deliveries = dict(
            conn.execute(
                "SELECT status, count(*) FROM core_notificationdelivery GROUP BY status"
            ).fetchall()
        )

    answered_saved = {r["patient"] for r in checkins if r["status"] in (200, 201)}
    failed_but_saved = {r["patient"] for r in checkins if r["status"] >= 500} & saved
    report(
        "PostgreSQL restarted during traffic",
        {
            "requests": f"{len(results)} ({len(checkins)} check-ins, the rest pages), "
            f"{CLIENTS} clients: {dict(Counter(r['status'] for r in results))}",
            "restart (pg_ctl restart -m fast)": f"{restart_done - restart_began:.1f} s",
            "slowest failed request": f"{max((r['seconds'] for r in failed), default=0):.2f} s",
            "first success after the restart": f"{first_ok['started'] - restart_done:.2f} s"
            if first_ok
            else "none",
            "last failure ended": f"{last_failure_end - restart_done:.2f} s after the restart",
            "check-ins saved": f"{len(saved)}; answered as saved {len(answered_saved)}; "
            f"answered 500 yet saved {len(failed_but_saved)}",
            "half-written": f"{len(incomplete)} check-ins, {notices_without_delivery} notices, "
            f"{flags_without_notice} flags",
            "emails": f"{deliveries}, the last {caught_up:.1f} s after the restart",
        },
    )
    assert failed, "the restart did not catch a single request: it proves nothing"
    # Clean failures: an answer (no dropped connection), a server error with our error shape or
    # error page, and quickly (no request waited out gunicorn's timeout).
    assert {r["status"] for r in failed} <= {500, 503}, Counter(r["status"] for r in failed)
    for r in failed:
        assert "Something went wrong on our side" in r["body"] or "<html" in r["body"].lower()
    assert max(r["seconds"] for r in results) < 10
    # Nothing half-written.
    assert answered_saved <= saved
    assert incomplete == []
    assert notices_without_delivery == 0
    assert flags_without_notice == 0
    # Recovered without restarting anything: every request that began a second after
    # PostgreSQL was back succeeded.
    assert deliveries == {"sent": len(saved)}
    assert first_ok is not None
    late = [r for r in after if r["started"] >= restart_done + 1.0]
    assert late
    assert all(r["status"] in (200, 201) for r in late)
