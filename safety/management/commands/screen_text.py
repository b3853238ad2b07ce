"""``manage.py screen_text``: screen JSON lines from standard input, one verdict line per input.

Each input line is ``{"id": ..., "text": ...}``; each output line is ``{"id", "action",
"severity", "categories", "evidence"}``. A line that is not JSON, not an object, or has no string
``text`` gives ``{"id": <id if it can be recovered, else null>, "error": "..."}`` and the rest of
the input is still screened. Blank lines are skipped. The exit status is 0 unless standard input
itself cannot be read.
"""

from __future__ import annotations

import json
import re
import sys

from django.core.management.base import BaseCommand, CommandError

from safety.screening import screen_text

# Recovers the id from a line that is not valid JSON, so the error can still be matched up.
_ID = re.compile(r'"id"\s*:\s*("(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?|true|false|null)')


def _recover_id(line: str):
    match = _ID.search(line)
    if not match:
        return None
    try:
        return json.loads(match.group(1))
    except ValueError:
        return None


def screen_line(line: str) -> dict | None:
    """The output object for one input line (None for a blank line)."""
    if not line.strip():
        return None
    try:
        item = json.loads(line)
    except ValueError as error:
        return {"id": _recover_id(line), "error": f"not valid JSON: {error.msg}"}
    if not isinstance(item, dict):
        return {"id": None, "error": "each line must be a JSON object with id and text"}
    identifier = item.get("id")
    text = item.get("text")
    if not isinstance(text, str):
        problem = "missing text" if "text" not in item else "text must be a string"
        return {"id": identifier, "error": problem}
    return {"id": identifier, **screen_text(text).as_dict()}


class Command(BaseCommand):
    help = (
        "Screen JSON lines {id, text} from standard input; write one JSON verdict line per input "
        "(action, severity, categories, evidence)."
    )
    stealth_options = ("stdin",)

    def handle(self, *args, **options):
        source = options.get("stdin") or sys.stdin
        lines = None
        while True:
            try:
                if lines is None:
                    lines = iter(getattr(source, "buffer", None) or source)
                raw = next(lines)
            except StopIteration:
                return
            except OSError as error:
                raise CommandError(f"cannot read standard input: {error}") from error
            if isinstance(raw, bytes):
                # undecodable bytes are kept as surrogates; screening holds such text
                raw = raw.decode("utf-8", errors="surrogateescape")
            result = screen_line(raw)
            if result is not None:
                self.stdout.write(json.dumps(result, ensure_ascii=True))
