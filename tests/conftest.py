"""Shared fixtures. Tests use real PostgreSQL/Redis when DATABASE_URL/REDIS_URL are set,
SQLite and the file-system broker otherwise."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.core.management import call_command

from tests import factories


def pytest_collection_modifyitems(items):
    """Transactional tests (a live server, a real worker) empty the database when they end;
    serialized rollback puts back what the migrations seeded (crisis resources, the health
    timeline), so later tests see a database like a new deployment's."""
    for item in items:
        marker = item.get_closest_marker("django_db")
        transactional = (marker is not None and marker.kwargs.get("transaction")) or {
            "transactional_db",
            "live_server",
        } & set(getattr(item, "fixturenames", ()))
        if transactional:
            item.add_marker(
                pytest.mark.django_db(transaction=True, serialized_rollback=True), append=False
            )


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
