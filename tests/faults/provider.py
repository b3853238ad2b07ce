"""A stand-in for the email provider, outside the product: the fault tests' product processes
send through it (EMAIL_BACKEND=tests.faults.provider.EmailBackend).

Each message is written to FAULTS_MAILBOX/provider.jsonl in two lines, appended atomically
(O_APPEND, one write each): "begin" when the product starts handing it over, "accepted" when the
provider has it. FAULTS_PROVIDER_DELAY seconds pass before acceptance (an SMTP round trip) and
again before the call returns (the answer on its way back), so a worker killed in the middle of
a send is killed either before or after the provider took the message.
"""

from __future__ import annotations

import json
import os
import time

from django.core.mail.backends.base import BaseEmailBackend


def _append(record: dict) -> None:
    path = os.path.join(os.environ["FAULTS_MAILBOX"], "provider.jsonl")
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, (json.dumps(record) + "\n").encode())
    finally:
        os.close(fd)


class EmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages) -> int:
        delay = float(os.environ.get("FAULTS_PROVIDER_DELAY", "0"))
        for message in email_messages:
            record = {
                "pid": os.getpid(),
                "message_id": message.extra_headers.get("Message-ID", ""),
                "to": list(message.to),
            }
            _append({"event": "begin", "t": time.time(), **record})
            time.sleep(delay)
            _append({"event": "accepted", "t": time.time(), **record})
            time.sleep(delay)
        return len(email_messages)


def read(mailbox: str) -> list[dict]:
    path = os.path.join(mailbox, "provider.jsonl")
    if not os.path.exists(path):
        return []
    with open(path) as handle:
        return [json.loads(line) for line in handle if line.endswith("\n")]
