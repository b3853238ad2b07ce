"""A Celery worker SIGKILLed 20 times in the middle of sending clinicians' crisis notices: every
notice still goes out, and none is sent twice.

The process killed is the pool process running the task, at a moment the provider's log shows
it mid-send: half the time before the provider took the email, half the time after it took it
but before the answer came back (the worst moment: the database does not know yet). The main
worker process starts a new pool process, and the message, acknowledged only after the task
(acks_late) and rejected back to the queue when its process dies (reject_on_worker_lost), is
delivered again. The delivery row decides what is left to do: the retried task sends only what is
still pending, with the same Message-ID, so a provider or mail client that has the first copy
shows one email.
"""

from __future__ import annotations

import os
import signal
import time
from collections import Counter

import pytest

from tests.faults import provider
from tests.faults.conftest import report

pytestmark = pytest.mark.faults  # the conftest adds it too; explicit for -m

NOTICES = 60
KILLS = 20
PROVIDER_DELAY = 0.15  # seconds before the provider takes an email, and again before it answers

SEED = f"""
from core.services import notification_send
from tests.faults import seed
team = seed.clinicians(4)
for i in range({NOTICES}):
    notification_send(recipient=team[i % 4], kind="safety_flag", urgent=True,
                      title="Safety flag (high): please respond", url=f"/flags/{{i}}/")
print(json.dumps({{}}))
"""


def _mid_send(product, event: str, seen: int) -> tuple[int, str] | None:
    """A pool process whose last provider record (after the first `seen`) is `event`."""
    records = provider.read(str(product.mailbox))[seen:]
    last: dict[int, dict] = {}
    for record in records:
        last[record["pid"]] = record
    children = set(product.worker_children())
    for pid, record in last.items():
        if pid in children and record["event"] == event:
            return pid, record["message_id"]
    return None


def test_a_worker_killed_twenty_times_mid_send_sends_every_notice_once(
    fresh_db, redis_server, product_factory
):
    product = product_factory(
        fresh_db.url, redis_server.url, FAULTS_PROVIDER_DELAY=str(PROVIDER_DELAY)
    )
    product.start_worker(concurrency=2)
    started = time.monotonic()
    product.script(SEED)  # queues one task per notice, on commit

    kills: list[tuple[str, int]] = []
    seen = 0
    deadline = time.monotonic() + 120
    while len(kills) < KILLS and time.monotonic() < deadline:
        moment = (
            "begin" if len(kills) % 2 == 0 else "accepted"
        )  # before / after the provider took it
        target = _mid_send(product, moment, seen)
        if target is None:
            time.sleep(0.01)
            continue
        pid, _ = target
        os.kill(pid, signal.SIGKILL)
        kills.append((moment, pid))
        seen = len(provider.read(str(product.mailbox)))
        time.sleep(0.3)  # let the worker replace it and take the next task
    assert len(kills) == KILLS, f"only {len(kills)} kills in the time allowed"

    with fresh_db.connect() as conn:

        def statuses() -> dict[str, int]:
            return dict(
                conn.execute(
                    "SELECT status, count(*) FROM core_notificationdelivery GROUP BY status"
                ).fetchall()
            )

        deadline = time.monotonic() + 90
        while statuses() != {"sent": NOTICES} and time.monotonic() < deadline:
            time.sleep(0.3)
        finished = time.monotonic() - started
        final = statuses()
        notices = conn.execute("SELECT count(*) FROM core_notification").fetchone()[0]
        attempts = conn.execute("SELECT max(attempts) FROM core_notificationdelivery").fetchone()[0]

    records = provider.read(str(product.mailbox))
    accepted = Counter(r["message_id"] for r in records if r["event"] == "accepted")
    repeated = {message_id: n for message_id, n in accepted.items() if n > 1}
    killed = {pid for _, pid in kills}
    # Who first sent each email the provider took twice: it must be a process we killed.
    first_sender = {}
    for record in records:
        if record["event"] == "accepted":
            first_sender.setdefault(record["message_id"], record["pid"])
    repeats_explained = all(first_sender[message_id] in killed for message_id in repeated)
    lost_workers = product.log("worker").count("Task handler raised error: WorkerLostError")
    report(
        f"Worker pool process SIGKILLed {KILLS} times mid-send",
        {
            "notices": f"{notices}, deliveries {final}",
            "kills": f"{len(kills)}: {Counter(m for m, _ in kills)} "
            f"(worker saw {lost_workers} lost)",
            "all sent after": f"{finished:.1f} s",
            "provider accepted": f"{sum(accepted.values())} emails, {len(accepted)} distinct "
            f"Message-IDs",
            "sent again (same Message-ID)": f"{len(repeated)}, each after its first sender was "
            f"killed once the provider had it: {repeats_explained}",
        },
    )
    assert final == {"sent": NOTICES}, "a notice was never sent"
    assert notices == NOTICES
    assert attempts == 1  # a killed attempt left no trace in the row: it was never committed
    assert len(accepted) == NOTICES  # every notice reached the provider, under its own id
    # A second copy only where the process that sent the first was killed after the provider
    # took it and before the row could say so (at most one per kill); it carries the same
    # Message-ID, so the recipient sees one email.
    assert repeats_explained
    assert sum(n - 1 for n in repeated.values()) <= len(kills)
