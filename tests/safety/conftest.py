"""Fixtures for safety tests."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps

uk_crisis_resources_migration = importlib.import_module(
    "safety.migrations.0002_uk_crisis_resources"
)


@pytest.fixture(autouse=True)
def uk_crisis_resources(db):
    """The UK crisis resources the data migration seeds.

    A transactional test elsewhere in the run (a live server, a real worker) flushes the
    database, and with it the migration's rows; seed them again the way the migration does.
    """
    from safety.models import CrisisResource

    uk_crisis_resources_migration.forwards(apps, None)
    return list(CrisisResource.objects.order_by("order", "id"))


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Factories hash a password per user, and these tests make many users; a fast hasher keeps
    them quick. Nothing here depends on the hasher."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def team(db):
    """A patient (with a name and email no page or email may leak) and their care team: named
    clinician, backup clinician and peer support specialist."""
    from tests.safety.factories import make_team

    return make_team()
