"""manage.py screen_text: JSON lines in, one JSON verdict (or error) line out per input."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command

from tests.safety.screening.helpers import DEV_CASES, action_ok


def _run(stdin) -> list[dict]:
    out = io.StringIO()
    call_command("screen_text", stdin=stdin, stdout=out)
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_each_input_line_gives_one_verdict_line_with_the_expected_keys():
    lines = "\n".join(
        json.dumps(item)
        for item in [
            {"id": 1, "text": "Day 5 smoke free"},
            {"id": "b", "text": "I want to die"},
            {"id": None, "text": "call me on 07911 123456"},
        ]
    )
    rows = _run(io.StringIO(lines + "\n"))
    assert [r["id"] for r in rows] == [1, "b", None]
    assert [r["action"] for r in rows] == ["publish", "escalate", "hold"]
    for row in rows:
        assert set(row) == {"id", "action", "severity", "categories", "evidence"}


def test_bad_lines_give_error_lines_and_the_rest_still_runs():
    stdin = io.StringIO(
        '{"id": 7, "text": \n'
        "not json at all\n"
        '{"id": "x"}\n'
        '{"id": 5, "text": 12}\n'
        "[1, 2]\n"
        "\n"
        '{"id": 8, "text": "kys"}\n'
    )
    rows = _run(stdin)
    assert rows[0] == {"id": 7, "error": rows[0]["error"]}
    assert "JSON" in rows[0]["error"]
    assert rows[1]["id"] is None
    assert "error" in rows[1]
    assert rows[2] == {"id": "x", "error": "missing text"}
    assert rows[3] == {"id": 5, "error": "text must be a string"}
    assert rows[4]["id"] is None
    assert "error" in rows[4]
    assert (rows[5]["id"], rows[5]["action"]) == (8, "escalate")
    assert len(rows) == 6  # the blank line is skipped


def test_undecodable_bytes_are_held_not_fatal():
    stdin = io.BytesIO(b'{"id": 1, "text": "caf\xff\xfe"}\n{"id": 2, "text": "ok"}\n')
    wrapper = io.TextIOWrapper(stdin, encoding="utf-8", errors="strict")
    rows = _run(wrapper)
    assert [r["id"] for r in rows] == [1, 2]
    assert rows[0]["action"] == "hold"


def test_unreadable_stdin_is_an_error():
    class Broken(io.StringIO):
        def __iter__(self):
            raise OSError("device gone")

    with pytest.raises(Exception, match="cannot read standard input"):
        call_command("screen_text", stdin=Broken(), stdout=io.StringIO())


@pytest.mark.skipif(not DEV_CASES.exists(), reason="shared dev cases not present")
def test_dev_cases_through_the_command():
    expected = {}
    with DEV_CASES.open(encoding="utf-8") as handle:
        for line in handle:
            case = json.loads(line)
            expected[case["id"]] = case["expect"]
        handle.seek(0)
        rows = _run(handle)
    assert len(rows) == len(expected)
    for row in rows:
        assert action_ok(expected[row["id"]], row["action"]), row
