"""Settings come from the environment: production refuses to start with a missing secret, passes
Django's deployment checklist, and picks PostgreSQL and Redis from their URLs.

Each test starts Django in a subprocess with a clean environment, as a server would start."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.conf import settings as django_settings

BASE_DIR = Path(django_settings.BASE_DIR)
PYTHON = sys.executable
KEEP = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT")

no_dotenv = pytest.mark.skipif(
    (BASE_DIR / ".env").exists(),
    reason="a .env file in the checkout would fill in the variables these tests leave out",
)

PRINT_SETTINGS = """
import json, django
django.setup()
from django.conf import settings as s
db = s.DATABASES["default"]
print(json.dumps({
    "debug": s.DEBUG,
    "engine": db["ENGINE"], "name": str(db["NAME"]), "host": db.get("HOST", ""),
    "port": str(db.get("PORT", "")), "user": db.get("USER", ""),
    "conn_max_age": db.get("CONN_MAX_AGE"), "health_checks": db.get("CONN_HEALTH_CHECKS"),
    "db_options": db.get("OPTIONS", {}),
    "fragment_chars": s.EXHALE_FRAGMENT_CHARS, "fragment_verify": s.EXHALE_FRAGMENT_VERIFY,
    "cache": s.CACHES["default"]["BACKEND"], "cache_location": str(s.CACHES["default"]["LOCATION"]),
    "broker": s.CELERY_BROKER_URL, "results": s.CELERY_RESULT_BACKEND,
    "allowed_hosts": s.ALLOWED_HOSTS, "ssl_redirect": getattr(s, "SECURE_SSL_REDIRECT", False),
    "secure_cookies": getattr(s, "SESSION_COOKIE_SECURE", False),
    "secret_key": s.SECRET_KEY, "field_keys": s.FIELD_ENCRYPTION_KEYS,
}))
"""


def _clean_env(tmp_path: Path, **variables: str) -> dict[str, str]:
    """Only what a shell needs, plus the variables given: nothing leaks in from pytest's env."""
    env = {name: os.environ[name] for name in KEEP if name in os.environ}
    env.update({"EXHALE_VAR_DIR": str(tmp_path / "var"), "PYTHONDONTWRITEBYTECODE": "1"})
    env.update(variables)
    return env


def _production(tmp_path: Path, **variables: str) -> dict[str, str]:
    values = {
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": "x" * 10 + os.urandom(32).hex(),
        "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "DJANGO_ALLOWED_HOSTS": "exhale.example.org",
        "DATABASE_URL": os.environ.get("DATABASE_URL", f"sqlite:///{tmp_path / 'exhale.sqlite3'}"),
    }
    if os.environ.get("REDIS_URL"):
        values["REDIS_URL"] = os.environ["REDIS_URL"]
    values.update(variables)
    return _clean_env(tmp_path, **values)


def _run(args: list[str], env: dict[str, str], cwd: Path = BASE_DIR) -> subprocess.CompletedProcess:
    return subprocess.run(
        [PYTHON, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def _manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return _run(["manage.py", *args], env)


def _settings(env: dict[str, str], cwd: Path = BASE_DIR) -> dict:
    env = {**env, "DJANGO_SETTINGS_MODULE": "config.settings", "PYTHONPATH": str(BASE_DIR)}
    result = _run(["-c", PRINT_SETTINGS], env, cwd)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@no_dotenv
@pytest.mark.parametrize("missing", ["DJANGO_SECRET_KEY", "FIELD_ENCRYPTION_KEYS"])
def test_production_refuses_to_start_without_a_secret(tmp_path, missing):
    env = _production(tmp_path)
    del env[missing]

    result = _manage(env, "check")

    assert result.returncode != 0
    # One plain line saying what is missing, not a traceback.
    assert result.stderr.startswith(f"Exhale cannot start: {missing} is not set")
    assert "Traceback" not in result.stderr


@no_dotenv
@pytest.mark.parametrize("missing", ["DJANGO_SECRET_KEY", "FIELD_ENCRYPTION_KEYS"])
def test_an_empty_secret_counts_as_missing(tmp_path, missing):
    result = _manage(_production(tmp_path, **{missing: ""}), "check")

    assert result.returncode != 0
    assert f"{missing} is not set" in result.stderr


def test_a_malformed_encryption_key_fails_the_checks(tmp_path):
    result = _manage(_production(tmp_path, FIELD_ENCRYPTION_KEYS="not-a-fernet-key"), "check")

    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEYS" in result.stdout + result.stderr


def test_the_deployment_checklist_passes_with_production_variables(tmp_path):
    result = _manage(_production(tmp_path), "check", "--deploy", "--fail-level", "WARNING")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_the_deployment_checklist_fails_when_debug_is_left_on(tmp_path):
    env = _production(tmp_path, DJANGO_DEBUG="true")

    result = _manage(env, "check", "--deploy", "--fail-level", "WARNING")

    assert result.returncode != 0
    assert "security.W018" in result.stdout + result.stderr


@no_dotenv
def test_production_settings_are_secure(tmp_path):
    values = _settings(_production(tmp_path))

    assert values["debug"] is False
    assert values["allowed_hosts"] == ["exhale.example.org"]
    assert values["ssl_redirect"] is True
    assert values["secure_cookies"] is True


@no_dotenv
def test_postgresql_and_redis_come_from_their_urls(tmp_path):
    env = _production(
        tmp_path,
        DATABASE_URL="postgres://exhale:s3cret@db.internal:6543/exhale_prod",
        REDIS_URL="redis://cache.internal:6380/2",
    )

    values = _settings(env)

    assert values["engine"] == "django.db.backends.postgresql"
    assert (values["name"], values["host"], values["port"], values["user"]) == (
        "exhale_prod",
        "db.internal",
        "6543",
        "exhale",
    )
    assert values["conn_max_age"] == 60
    assert values["health_checks"] is True
    # Repeated statements prepared by PostgreSQL (off behind a pooler in transaction mode).
    assert values["db_options"] == {"server_side_binding": True, "prepare_threshold": 5}
    assert _settings({**env, "DATABASE_PREPARE_THRESHOLD": "0"})["db_options"] == {}
    custom = _settings({**env, "DATABASE_PLAN_CACHE_MODE": "force_custom_plan"})["db_options"]
    assert custom["options"] == "-c plan_cache_mode=force_custom_plan"
    # Kept page parts are served, not drawn twice, in production.
    assert (values["fragment_chars"], values["fragment_verify"]) == (4_000_000, False)
    assert values["cache"] == "core.cache.ResilientRedisCache"
    assert values["cache_location"] == "redis://cache.internal:6380/2"
    assert values["broker"] == "redis://cache.internal:6380/2"
    assert values["results"] == "redis://cache.internal:6380/2"


@no_dotenv
def test_without_urls_it_runs_on_sqlite_and_the_file_broker_in_the_var_dir(tmp_path):
    env = _production(tmp_path)
    del env["DATABASE_URL"]
    env.pop("REDIS_URL", None)

    values = _settings(env)

    var = tmp_path / "var"
    assert values["engine"] == "django.db.backends.sqlite3"
    assert values["name"] == str(var / "exhale.sqlite3")
    assert values["cache"] == "django.core.cache.backends.filebased.FileBasedCache"
    assert values["cache_location"] == str(var / "cache")
    assert values["broker"].startswith("filesystem://")
    assert values["results"] == f"file://{var / 'celery' / 'results'}"
    assert (var / "celery" / "queue").is_dir()


@no_dotenv
def test_a_relative_var_dir_is_relative_to_the_project_not_the_current_directory(tmp_path):
    """Web, worker and beat started from different directories share one broker and database."""
    relative = "var/test-settings-relative"
    env = _production(tmp_path, EXHALE_VAR_DIR=relative)
    del env["DATABASE_URL"]
    env.pop("REDIS_URL", None)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()

    values = _settings(env, cwd=elsewhere)

    assert values["cache_location"] == str(BASE_DIR / relative / "cache")
    assert values["name"] == str(BASE_DIR / relative / "exhale.sqlite3")
    assert not (elsewhere / "var").exists()
    check = _manage(env, "check", "--deploy", "--fail-level", "WARNING")
    assert check.returncode == 0, check.stdout + check.stderr


@no_dotenv
def test_debug_makes_its_own_secrets_and_keeps_them_private(tmp_path):
    env = _clean_env(tmp_path, DJANGO_DEBUG="true")

    first = _settings(env)
    second = _settings(env)

    assert first["secret_key"]
    assert first["secret_key"] == second["secret_key"]
    assert Fernet(first["field_keys"][0].encode())
    secret_file = tmp_path / "var" / "dev-django_secret_key"
    assert secret_file.stat().st_mode & 0o077 == 0
    assert first["allowed_hosts"] == ["localhost", "127.0.0.1", "[::1]"]


def test_every_variable_the_settings_read_is_in_env_example():
    source = (BASE_DIR / "config" / "settings.py").read_text()
    example = (BASE_DIR / ".env.example").read_text()
    names = set(re.findall(r'env(?:\.\w+)?\(\s*"([A-Z][A-Z0-9_]+)"', source))
    names |= set(re.findall(r'_required_secret\(\s*"([A-Z][A-Z0-9_]+)"', source))

    assert {"DJANGO_SECRET_KEY", "DATABASE_URL", "REDIS_URL"} <= names
    missing = sorted(name for name in names if not re.search(rf"^#?\s*{name}=", example, re.M))
    assert missing == []
