"""The standard texts supplied with Exhale (onboarding/content/*.txt). A new deployment starts
with them as version 1 of each text, published but not yet approved: the service running
Exhale approves its own words (or replaces them) in the admin, and patients see which."""

from __future__ import annotations

from pathlib import Path

from onboarding import markup

CONTENT_DIR = Path(__file__).resolve().parent / "content"
KEYS = ("welcome", "privacy_easy", "privacy_full", "consent_programme", "consent_trial")


def standard_text(key: str) -> tuple[str, str]:
    """(title, body) of a standard text."""
    return markup.split_title((CONTENT_DIR / f"{key}.txt").read_text(encoding="utf-8"))
