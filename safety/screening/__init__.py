"""Screening of free text for crisis, personal information, harmful advice and abuse.

Pure Python: no Django, no database, no network. Callers hand it a text and get a Verdict::

    from safety.screening import screen_text
    verdict = screen_text(body)
    if verdict.escalate: ...   # crisis or incitement: hold and raise a flag
    elif verdict.hold: ...     # hold for a moderator

The rules are data (``rules/*.toml``) that clinicians review; see docs/screening.md.
"""

from .engine import MAX_CHARS, Evidence, Verdict, screen_text

__all__ = ["MAX_CHARS", "Evidence", "Verdict", "screen_text"]
