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


def _transactional(item: pytest.Item) -> bool:
    """Whether the test runs outside a rolled-back transaction (a live server, a real worker):
    pytest-django empties every table when such a test ends."""
    marker = item.get_closest_marker("django_db")
    fixtures = set(getattr(item, "fixturenames", ()))
    return bool(
        (marker is not None and marker.kwargs.get("transaction"))
        or {"transactional_db", "live_server"} & fixtures
    )


@pytest.fixture(autouse=True)
def _reference_data_after_flush(request):
    """A transactional test (a live server, a real worker) starts from the database the previous
    one emptied when it ended; seed what the migrations seed, as in a new deployment."""
    if _transactional(request.node):
        request.getfixturevalue("transactional_db")
        seed_reference_data()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """After a transactional test has emptied the tables, put back what the migrations seed, so
    that the next test, transactional or not, starts from a migrated database. Run one after the
    other, pytest-django puts the transactional tests last; under pytest-xdist a test process
    can be given an ordinary test after one (and fixtures cannot run after pytest-django's own
    teardown, hence a hook)."""
    result = yield
    if nextitem is not None and _transactional(item):
        from pytest_django.plugin import blocking_manager_key

        with item.config.stash[blocking_manager_key].unblock():
            seed_reference_data()
    return result


@pytest.fixture(scope="session", autouse=True)
def _collected_static():
    """Tests run with DEBUG off, as production does: fingerprinted, compressed static files."""
    call_command("collectstatic", interactive=False, verbosity=0)


@pytest.fixture(scope="session", autouse=True)
def _fast_password_hashing():
    """Factories give every user a password, and the production hasher (PBKDF2, a million
    rounds) costs about half a second of CPU each: tests hash with MD5. The production hashers
    stay listed, so a hash made by a subprocess (a Celery worker, manage.py) still checks."""
    from django.conf import settings
    from django.test import override_settings

    fast = ["django.contrib.auth.hashers.MD5PasswordHasher", *settings.PASSWORD_HASHERS]
    with override_settings(PASSWORD_HASHERS=fast):
        yield


@pytest.fixture(scope="session", autouse=True)
def _fragments_verified():
    """Every {% fragment %} is drawn afresh and compared with what is kept for its key, across
    all the suite's pages and data: a key that misses a value the markup shows fails the test
    that shows it (core/templatetags/fragments.py)."""
    from django.test import override_settings

    with override_settings(EXHALE_FRAGMENT_VERIFY=True):
        yield


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
