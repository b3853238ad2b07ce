"""Screening is pure Python: these tests need no database.

The parent ``tests/safety/conftest.py`` seeds crisis resources into the database for every test
below it; that fixture is overridden here so the screening tests run without one.
"""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def uk_crisis_resources():
    """No database for the screening engine's tests (overrides the parent's seeding fixture)."""
    return None
