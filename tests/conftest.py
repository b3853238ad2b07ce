"""Shared fixtures. Tests use real PostgreSQL/Redis when DATABASE_URL/REDIS_URL are set,
SQLite and the file-system broker otherwise."""

from __future__ import annotations

import importlib

import pytest
from django.core.cache import cache
from django.core.management import call_command

from tests import factories


def seed_reference_data() -> None:
    """What the data migrations put in a new deployment's database: the crisis resources, the
    health timeline, the moderators' message templates and the onboarding texts. Their
    forwards() functions add them only where missing."""
    from django.apps import apps

    for module in (
        "safety.migrations.0002_uk_crisis_resources",
        "cessation.migrations.0002_health_benefits",
        "peersupport.migrations.0004_moderator_message_templates",
        "onboarding.migrations.0002_standard_texts",
    ):
        importlib.import_module(module).forwards(apps, None)


@pytest.fixture(autouse=True)
def _reference_data_after_flush(request):
    """A transactional test (a live server, a real worker) starts from the database the previous
    one emptied when it ended; seed what the migrations seed, as in a new deployment."""
    marker = request.node.get_closest_marker("django_db")
    transactional = (marker is not None and marker.kwargs.get("transaction")) or {
        "transactional_db",
        "live_server",
    } & set(request.fixturenames)
    if transactional:
        request.getfixturevalue("transactional_db")
        seed_reference_data()


@pytest.fixture(scope="session", autouse=True)
def _collected_static():
    """Tests run with DEBUG off, as production does: fingerprinted, compressed static files."""
    call_command("collectstatic", interactive=False, verbosity=0)


@pytest.fixture(autouse=True)
def _isolated_cache():
    """Rate limits, TOTP replay marks and cached pages never leak between tests."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def worker(tmp_path):
    """A real Celery worker process on every queue, against the test database; yields its log.
    Tests using it need `django_db(transaction=True)` so the worker sees committed rows."""
    from config.celery import app as celery_app
    from tests import worker as celery_processes

    celery_app.control.purge()  # stale messages from earlier tests would only slow it down
    log = tmp_path / "worker.log"
    process = celery_processes.start(celery_processes.WORKER_ARGS, {}, log)
    try:
        yield log
    finally:
        celery_processes.stop(process)


@pytest.fixture
def patient(db):
    return factories.PatientFactory()


@pytest.fixture
def clinician(db):
    return factories.ClinicianFactory()


@pytest.fixture
def peer(db):
    return factories.PeerFactory()


@pytest.fixture
def admin_user(db):
    return factories.AdminFactory()
