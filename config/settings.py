"""Exhale settings: one module, every difference between environments from environment variables.

Defaults are safe for a first local run (`make run`): SQLite and a file-system Celery broker in
`var/`, emails to the console. Production sets DATABASE_URL, REDIS_URL and the secrets; with
DJANGO_DEBUG off a missing secret stops start-up with a message that says which one.
Every variable is listed, with its meaning, in `.env.example`.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import environ
from celery.schedules import crontab
from cryptography.fernet import Fernet
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")  # optional; real environment variables win

# A relative EXHALE_VAR_DIR is relative to the project, not to the current directory: the web,
# worker and beat processes must find the same SQLite file, broker folder and cache wherever they
# are started from.
VAR_DIR = BASE_DIR / env.str("EXHALE_VAR_DIR", default="var")

# Tests only: under pytest-xdist (CI runs `pytest -n 2`) every test process is told its name in
# PYTEST_XDIST_WORKER (gw0, gw1, ...), and the Celery worker or beat a test starts inherits it.
# Each test process then has its own var dir (<var>-gw1: SQLite test database, file cache,
# file-system broker, static files) and its own Redis database (the configured db + 1 for gw1),
# because a test empties the cache (a FLUSHDB on Redis) and purges the broker's queues.
# It is pytest-xdist's variable, not a setting: never set it by hand (so not in .env.example).
XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
if XDIST_WORKER:
    VAR_DIR = VAR_DIR.with_name(f"{VAR_DIR.name}-{XDIST_WORKER}")
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env.bool("DJANGO_DEBUG", default=False)


def _dev_secret(name: str, make) -> str:
    """A per-checkout development secret kept in var/, so a first run needs no configuration.

    Only used with DJANGO_DEBUG on; with debug off a missing secret is a start-up error.
    """
    path = VAR_DIR / f"dev-{name}"
    if not path.exists():
        path.write_text(make())
        path.chmod(0o600)
    return path.read_text().strip()


def _required_secret(name: str, dev_default) -> str:
    value = env.str(name, default="")
    if value:
        return value
    if DEBUG:
        return _dev_secret(name.lower(), dev_default)
    raise ImproperlyConfigured(
        f"{name} is not set. Exhale refuses to start without it when DJANGO_DEBUG is off. "
        f"See .env.example for how to generate one."
    )


SECRET_KEY = _required_secret("DJANGO_SECRET_KEY", lambda: secrets.token_urlsafe(50))
# Fernet keys for identifying free text, newest first; older keys only decrypt (see core/crypto.py).
FIELD_ENCRYPTION_KEYS = [
    key.strip()
    for key in _required_secret(
        "FIELD_ENCRYPTION_KEYS", lambda: Fernet.generate_key().decode()
    ).split(",")
    if key.strip()
]

ALLOWED_HOSTS = env.list(
    "DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("EXHALE_SITE_URL", default="http://localhost:8000").rstrip("/")

INSTALLED_APPS = [
    "config.admin.ExhaleAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "csp",
    # Exhale apps, lowest layer first (DESIGN.md): an app imports only the apps above it here.
    "core",
    "accounts",
    "safety",
    "cessation",
    "peersupport",
    "onboarding",
    "trials",
    "records",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # HTML pages gzip-compressed for browsers that ask (a page of a thread: 54 KB → 5 KB),
    # so every patient page stays under 100 KB on a cheap phone (docs/performance.md, "Page
    # weight"). Outside everything that writes the body; static files are compressed already.
    "core.middleware.PageGZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "accounts.middleware.SessionIdleTimeoutMiddleware",
    "accounts.middleware.StaffMFARequiredMiddleware",
    "onboarding.middleware.ProgrammeConsentMiddleware",
    "trials.middleware.StudyArmMiddleware",
    "csp.middleware.CSPMiddleware",
    "core.middleware.SecurityHeadersMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "core.context_processors.exhale",
                "onboarding.context_processors.tour_return",
                "onboarding.context_processors.programme",
                "trials.context_processors.study_only",
            ],
        },
    },
]

# Form widgets (the check-in's eleven-point scales, the radio and tick boxes) drawn by Jinja2's
# copies of Django's own widget templates: the same markup, at about a fifth of the cost of
# Django's template language; the admin's widgets, which exist only as Django templates, as
# before (core/forms.py). Pages stay in Django templates.
FORM_RENDERER = "core.forms.WidgetRenderer"

# {% fragment %} (core/templatetags/fragments.py): parts of pages drawn once per process for each
# set of values they show, kept in memory up to this many characters per process (about 4 MB of
# HTML: the frame's few variants, a few thousand posts and flag rows). With VERIFY on (in
# development and in the test suite) every fragment is drawn afresh and compared with what is
# kept, so a key that misses a value the markup shows fails loudly.
EXHALE_FRAGMENT_CHARS = env.int("EXHALE_FRAGMENT_CHARS", default=4_000_000)
EXHALE_FRAGMENT_VERIFY = env.bool("EXHALE_FRAGMENT_VERIFY", default=DEBUG)

# --- Database -----------------------------------------------------------------------------------
# No DATABASE_URL: SQLite in var/, in WAL mode so the web server, worker and beat can share it.
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'exhale.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # A file, not memory, so that a Celery worker started by a test sees the test's data.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # Statements a connection runs again and again (every page's session, user and badge reads)
    # are prepared by PostgreSQL once and then only executed: no parse and plan each time, about
    # half the database's CPU per page (docs/performance.md, "Pages"). Parameters go to the
    # server apart from the SQL. Off (0) behind a pooler in transaction mode (PgBouncer before
    # 1.21), where a prepared statement can meet another connection.
    if env.int("DATABASE_PREPARE_THRESHOLD", default=5):
        DATABASES["default"]["OPTIONS"] = {
            **DATABASES["default"].get("OPTIONS", {}),
            "server_side_binding": True,
            "prepare_threshold": env.int("DATABASE_PREPARE_THRESHOLD", default=5),
        }
    # PostgreSQL may plan a prepared statement once for any values (a generic plan) when that
    # looks no dearer: the flag queue's reads took 2.8 ms so instead of 2.3. Should a generic
    # plan go bad as the data grows, force_custom_plan plans every run again with its values
    # (most of the saving is then lost: docs/operations.md).
    _plan_cache_mode = env.str("DATABASE_PLAN_CACHE_MODE", default="auto")
    if _plan_cache_mode != "auto":
        DATABASES["default"].setdefault("OPTIONS", {})["options"] = (
            f"-c plan_cache_mode={_plan_cache_mode}"
        )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: broker, results and cache -----------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL and XDIST_WORKER:  # see VAR_DIR above: redis://host:6379/11 is db 12 for gw1
    _redis = urlsplit(REDIS_URL)
    _db = int(_redis.path.strip("/") or 0) + int(XDIST_WORKER.removeprefix("gw"))
    REDIS_URL = urlunsplit(_redis._replace(path=f"/{_db}"))
if REDIS_URL:
    CACHES = {
        "default": {
            # Redis, but a miss instead of an error while Redis is down (core/cache.py).
            "BACKEND": "core.cache.ResilientRedisCache",
            "LOCATION": env.str("CACHE_URL", default=REDIS_URL),
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="exhale"),
            # A Redis that stops answering must not hold pages up: every use of the cache has a
            # way on without it (the programme gate asks the database).
            "OPTIONS": {
                "socket_connect_timeout": env.float("CACHE_SOCKET_TIMEOUT", default=1.0),
                "socket_timeout": env.float("CACHE_SOCKET_TIMEOUT", default=1.0),
            },
        }
    }
else:
    # Shared by every process on the machine, unlike local memory: TOTP replay protection and
    # rate limits must hold across the web workers.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# --- Celery ---------------------------------------------------------------------------------------
CELERY_BROKER_DIR = VAR_DIR / "celery"
if REDIS_URL:
    CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
    CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=REDIS_URL)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # A task not acknowledged within this time is delivered again (acks_late); no task ETA
        # may exceed it (see core/tasks.py).
        "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
        # Queues are taken in the order a worker lists them (-Q escalation,default,reminders),
        # not in turn: a clinician's crisis notice never waits behind a reminder fan-out
        # (round robin gave it one turn per fan-out batch; see docs/performance.md).
        "queue_order_strategy": "priority",
    }
else:
    CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://localhost//")
    for sub in ("queue", "processed", "results", "control"):
        (CELERY_BROKER_DIR / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_DIR / "queue"),
        "data_folder_out": str(CELERY_BROKER_DIR / "queue"),
        "processed_folder": str(CELERY_BROKER_DIR / "processed"),
        # Broadcast (control) messages, otherwise written to ./control of whatever directory.
        "control_folder": str(CELERY_BROKER_DIR / "control"),
        "store_processed": False,
    }
    CELERY_RESULT_BACKEND = env.str(
        "CELERY_RESULT_BACKEND", default=f"file://{CELERY_BROKER_DIR / 'results'}"
    )
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_RESULT_EXPIRES = timedelta(days=1)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=300)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=240)
CELERY_BROKER_CONNECTION_TIMEOUT = 3
# The longest wait between reconnection attempts after the broker went away (config/celery.py).
CELERY_BROKER_RECONNECT_MAX_SECONDS = env.float("CELERY_BROKER_RECONNECT_MAX_SECONDS", default=5.0)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A request that queues work after commit must not hang on a broker outage: the row it queued
# for is already saved and the periodic sweeps pick it up (core/tasks.py).
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
CELERY_TASK_DEFAULT_QUEUE = "default"
# Crisis notices travel on their own queue so that a storm of reminders never delays them; a
# worker started by the Procfile consumes all three, production runs one worker per queue.
CELERY_TASK_CREATE_MISSING_QUEUES = True
CELERY_WORKER_QUEUES = ["escalation", "default", "reminders"]
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_HEARTBEAT_SECONDS = env.float("CELERY_HEARTBEAT_SECONDS", default=30.0)
CELERY_BEAT_SCHEDULE = {
    "core-heartbeat": {
        "task": "core.tasks.heartbeat_task",
        "schedule": CELERY_HEARTBEAT_SECONDS,
        "options": {"expires": CELERY_HEARTBEAT_SECONDS},
    },
    "safety-flag-escalation-sweep": {
        "task": "safety.tasks.flag_escalation_sweep_task",
        "schedule": 60.0,
        "options": {"expires": 60.0, "queue": "escalation"},
    },
    "cessation-reminders-tick": {
        "task": "cessation.tasks.checkin_reminders_tick_task",
        "schedule": 60.0,
        "options": {"expires": 60.0, "queue": "reminders"},
    },
    "cessation-missed-checkins": {
        "task": "cessation.tasks.missed_checkins_task",
        "schedule": 300.0,
        "options": {"expires": 300.0, "queue": "reminders"},
    },
    "cessation-schedules-ensure": {
        "task": "cessation.tasks.schedules_ensure_task",
        "schedule": 600.0,
        "options": {"expires": 600.0, "queue": "reminders"},
    },
    "cessation-co-window-notices": {
        "task": "cessation.tasks.co_window_notices_task",
        "schedule": 3600.0,
        "options": {"expires": 3600.0, "queue": "default"},
    },
    "peersupport-unanswered-posts": {
        "task": "peersupport.tasks.unanswered_posts_nudge_task",
        "schedule": 600.0,
        "options": {"expires": 600.0},
    },
    "peersupport-overdue-messages": {
        "task": "peersupport.tasks.overdue_messages_report_task",
        "schedule": 300.0,
        "options": {"expires": 300.0},
    },
    "core-urgent-delivery-sweep": {
        "task": "core.tasks.notification_urgent_delivery_sweep_task",
        "schedule": env.float("NOTIFICATION_URGENT_SWEEP_SECONDS", default=15.0),
        "options": {"expires": 15.0, "queue": "escalation"},
    },
    "core-notification-delivery-sweep": {
        "task": "core.tasks.notification_delivery_sweep_task",
        "schedule": 60.0,
        "options": {"expires": 60.0},
    },
    "trials-followups-tick": {
        "task": "trials.tasks.followups_tick_task",
        "schedule": 900.0,
        "options": {"expires": 900.0, "queue": "reminders"},
    },
    "trials-adverse-events-from-flags": {
        "task": "trials.tasks.adverse_events_from_flags_task",
        "schedule": 60.0,
        "options": {"expires": 60.0, "queue": "escalation"},
    },
    "trials-dashboard-refresh": {
        "task": "trials.tasks.dashboard_refresh_task",
        "schedule": 60.0,
        "options": {"expires": 60.0},
    },
    "records-retention": {
        "task": "records.tasks.retention_apply_task",
        "schedule": crontab(hour=3, minute=30),
        "options": {"expires": 6 * 3600},
    },
}
# Beat never reads a result: subscribing to one made beat retry the result store for 20 s per
# task while Redis was down.
for _entry in CELERY_BEAT_SCHEDULE.values():
    _entry.setdefault("options", {}).setdefault("ignore_result", True)

# --- Accounts, allauth and MFA --------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
ACCOUNT_USER_DISPLAY = "accounts.adapters.user_display"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
ACCOUNT_LOGIN_BY_CODE_TIMEOUT = 15 * 60
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_PASSWORD_RESET_BY_CODE_ENABLED = False
ACCOUNT_SESSION_REMEMBER = False
# Tell the account holder by email when their password or second factor changes (ASVS 2.2.3):
# someone who took over the account cannot do it unnoticed.
ACCOUNT_EMAIL_NOTIFICATIONS = True
ACCOUNT_PRESERVE_USERNAME_CASING = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = "Exhale: "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if not DEBUG else "http"
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "5/5m/ip,5/5m/key",
    "request_login_code": "5/5m/ip,3/5m/key",
    "reset_password": "5/m/ip,3/5m/key",
    "reset_password_from_key": "20/m/ip",
    "change_password": "5/m/user",
}
MFA_ADAPTER = "allauth.mfa.adapter.DefaultMFAAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = env.str("MFA_TOTP_ISSUER", default="Exhale")
MFA_TOTP_TOLERANCE = 1
MFA_RECOVERY_CODE_COUNT = 10

INVITATION_EXPIRY_DAYS = env.int("INVITATION_EXPIRY_DAYS", default=14)

# --- Sessions, cookies and HTTPS ---------------------------------------------------------------
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=60 * 60 * 12)
# Database sessions; a database outage while saving one is a 500, not a 400 (core/sessions.py).
SESSION_ENGINE = "core.sessions"
# Seconds without a request after which a session ends (accounts.middleware); a session also
# ends SESSION_COOKIE_AGE after login however busy it is. Staff see many patients' records, often
# on shared desktops: 30 minutes. Patients see only their own, mostly on their own phone, often
# a little at a time through the day, and crisis help needs no login: 4 hours.
SESSION_IDLE_TIMEOUT_STAFF = env.int("SESSION_IDLE_TIMEOUT_STAFF", default=30 * 60)
SESSION_IDLE_TIMEOUT_PATIENT = env.int("SESSION_IDLE_TIMEOUT_PATIENT", default=4 * 60 * 60)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=True)
# /health/ is polled by load balancers over plain HTTP inside the network.
SECURE_REDIRECT_EXEMPT = [r"^health/$"]

# --- Content-Security-Policy (django-csp) ---------------------------------------------------------
# Same-origin only, nothing inline: no 'unsafe-inline' or 'unsafe-eval' anywhere. The only inline
# code is two <style> blocks of third-party pages (the admin's change list, the API docs), which
# carry the request's nonce (templates/admin/change_list.html, templates/drf_spectacular/): the
# nonce appears in the header only on a response whose template asked for it.
# Permissions-Policy, Cross-Origin-Opener-Policy and no-store: core/middleware.py.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
        "object-src": [NONE],
    }
}

# --- Email ---------------------------------------------------------------------------------------
EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=587)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=True)
EMAIL_TIMEOUT = 20
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Exhale <no-reply@exhale.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Internationalisation ----------------------------------------------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = env.str("EXHALE_TIME_ZONE", default="Europe/London")
USE_I18N = True
# English first; every patient-facing string is marked for translation (make messages).
LANGUAGES = [("en-gb", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_TZ = True

# --- Static files --------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
# Fingerprinted names (exhale.<hash>.css, what every page links to) are cached for ten years and
# marked immutable by WhiteNoise whatever this says. This is the lifetime of a file's plain name
# (css/exhale.css), whose content changes with a release: a year there would keep old files.
WHITENOISE_MAX_AGE = 60

# --- API -----------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.api_auth.HashedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["accounts.api_permissions.IsAuthenticatedWithStaffMFA"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "core.api.pagination.StandardPagination",
    "PAGE_SIZE": 25,
    "EXCEPTION_HANDLER": "core.api.errors.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_THROTTLE_RATES": {"anon": "60/min", "user": "600/min"},
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
}
if DEBUG:
    REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"].append(
        "rest_framework.renderers.BrowsableAPIRenderer"
    )
SPECTACULAR_SETTINGS = {
    "TITLE": "Exhale API",
    "DESCRIPTION": (
        "The JSON API of Exhale, a peer-supported smoking-cessation programme. "
        "Authenticate with a session or with `Authorization: Token <key>`; staff need a second "
        "factor enrolled. Errors share one shape: `{detail, code, errors}`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "ENUM_NAME_OVERRIDES": {
        "ParticipantStatusEnum": "trials.models.Participant.Status",
        "FollowUpStatusEnum": "trials.models.FollowUp.Status",
        "FlagStatusEnum": "safety.models.Flag.Status",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.api.schema.document_invalid_pages",
        "core.api.schema.document_rate_limits",
        "core.api.schema.document_unsupported_media_types",
    ],
    # `<id:...>` (core/converters.py): a 64-bit id of at most 18 digits.
    "PATH_CONVERTER_OVERRIDES": {
        "id": {"type": "integer", "minimum": 0, "maximum": 999_999_999_999_999_999}
    },
}

# --- Safety flags -----------------------------------------------------------------------------
# Minutes a clinician has to acknowledge a flag, by severity, before it re-escalates (named
# clinician → backup → on call). Defaults follow NHS crisis-response standards.
SAFETY_ACK_DEADLINE_MINUTES = {
    "critical": env.int("SAFETY_ACK_MINUTES_CRITICAL", default=60),
    "high": env.int("SAFETY_ACK_MINUTES_HIGH", default=4 * 60),
    "medium": env.int("SAFETY_ACK_MINUTES_MEDIUM", default=24 * 60),
    "low": env.int("SAFETY_ACK_MINUTES_LOW", default=72 * 60),
}

# --- Quit tracking --------------------------------------------------------------------------------
# Medications whose blood levels change when someone stops or restarts smoking (tobacco smoke
# induces CYP1A2): recording one raises a medication-review flag around the quit date.
CESSATION_REVIEW_MEDICATIONS = env.list(
    "CESSATION_REVIEW_MEDICATIONS", default=["clozapine", "olanzapine"]
)
# How many missed days a patient may still check in for.
CESSATION_BACKFILL_DAYS = env.int("CESSATION_BACKFILL_DAYS", default=3)

# --- Check-in schedules and reminders ---------------------------------------------------------
# Local times of the daily reminder, and (in the first CESSATION_EARLY_DAYS after discharge) of
# the more frequent early prompts; no reminder in quiet hours (local, start and end).
CESSATION_CHECKIN_TIMES = env.list("CESSATION_CHECKIN_TIMES", default=["19:00"])
CESSATION_EARLY_CHECKIN_TIMES = env.list(
    "CESSATION_EARLY_CHECKIN_TIMES", default=["09:30", "19:00"]
)
CESSATION_EARLY_DAYS = env.int("CESSATION_EARLY_DAYS", default=14)
CESSATION_QUIET_HOURS = env.list("CESSATION_QUIET_HOURS", default=["22:00", "08:00"])
# Fan-out: one tick queues at most MAX_BATCHES messages of BATCH_SIZE schedule ids each; a claim
# not processed within the lease (a dead worker, a broker outage) is claimed again.
CESSATION_REMINDER_BATCH_SIZE = env.int("CESSATION_REMINDER_BATCH_SIZE", default=2000)
CESSATION_REMINDER_MAX_BATCHES = env.int("CESSATION_REMINDER_MAX_BATCHES", default=50)
CESSATION_CLAIM_LEASE_SECONDS = env.int("CESSATION_CLAIM_LEASE_SECONDS", default=300)

# Missed check-ins in a row that lead to: a gentle second reminder, the peer specialist being
# asked to reach out, a nonresponse flag (and in the first weeks after discharge, sooner).
CESSATION_MISSED_LADDER = {
    "second_reminder": env.int("CESSATION_MISSED_SECOND_REMINDER", default=1),
    "peer_outreach": env.int("CESSATION_MISSED_PEER_OUTREACH", default=2),
    "flag": env.int("CESSATION_MISSED_FLAG", default=3),
    "flag_early": env.int("CESSATION_MISSED_FLAG_EARLY", default=2),
}
# Deterioration against the person's own baseline (cessation/deterioration.py).
CESSATION_DETERIORATION = {
    "baseline_days": env.int("CESSATION_DETERIORATION_BASELINE_DAYS", default=14),
    "min_baseline": env.int("CESSATION_DETERIORATION_MIN_BASELINE", default=4),
    "sustained": env.int("CESSATION_DETERIORATION_SUSTAINED", default=3),
    "mood_drop": env.int("CESSATION_DETERIORATION_MOOD_DROP", default=3),
    "craving_rise": env.int("CESSATION_DETERIORATION_CRAVING_RISE", default=2),
    "mood_fall": env.int("CESSATION_DETERIORATION_MOOD_FALL", default=2),
    "good_sleep_share": env.float("CESSATION_DETERIORATION_GOOD_SLEEP_SHARE", default=0.5),
}

# --- Peer groups ----------------------------------------------------------------------------------
# A new member's first posts (this many) are read by a peer specialist before anyone else.
PEERSUPPORT_PREMODERATED_POSTS = env.int("PEERSUPPORT_PREMODERATED_POSTS", default=3)
# A member's post with no reply from anyone else after this many hours is nudged to the group's
# peer specialists.
PEERSUPPORT_UNANSWERED_HOURS = env.int("PEERSUPPORT_UNANSWERED_HOURS", default=24)
# "A peer specialist usually replies within N working day(s)": past it, their lead is told.
# Working days are Monday to Friday except the holidays listed (ISO dates, comma-separated).
PEERSUPPORT_REPLY_WORKING_DAYS = env.int("PEERSUPPORT_REPLY_WORKING_DAYS", default=1)
PEERSUPPORT_HOLIDAYS = env.list("PEERSUPPORT_HOLIDAYS", default=[])

# --- Crisis resources ----------------------------------------------------------------------------
# Used when the database is unreachable, and as the first content of a new deployment; admins
# edit the live list in the admin (safety.CrisisResource).
CRISIS_RESOURCES_FALLBACK = [
    {
        "name": "Emergency services",
        "how": "Call 999",
        "href": "tel:999",
        "when": "If your life, or someone else's, is in danger now.",
    },
    {
        "name": "NHS 111, option 2",
        "how": "Call 111 and choose option 2",
        "href": "tel:111",
        "when": "Urgent mental health help, any time of day or night.",
    },
    {
        "name": "Samaritans",
        "how": "Call 116 123 (free)",
        "href": "tel:116123",
        "when": "To talk to someone about anything, any time.",
    },
    {
        "name": "SHOUT",
        "how": "Text SHOUT to 85258",
        "href": "sms:85258?body=SHOUT",
        "when": "If you would rather text than talk. Free, any time.",
    },
]

# --- Logging: nothing identifying. Messages name ids, never names, emails or free text. ---------
LOG_LEVEL = env.str("DJANGO_LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Request lines carry URLs with invitation tokens; keep them out of the logs.
        "django.server": {"level": "WARNING"},
        "django.request": {"level": "ERROR"},
    },
}

# --- Onboarding ---------------------------------------------------------------------------------
# An assisted session (a clinician or peer specialist going through onboarding with the patient)
# lapses after this many minutes, so an unattended screen does not stay open on their record.
ONBOARDING_ASSIST_MINUTES = env.int("ONBOARDING_ASSIST_MINUTES", default=90)
# The care team can remind a patient to carry on with onboarding at most once in this many hours.
ONBOARDING_REMINDER_INTERVAL_HOURS = env.int("ONBOARDING_REMINDER_INTERVAL_HOURS", default=24)

# --- Trial follow-ups ---------------------------------------------------------------------------
# A follow-up questionnaire is reminded at most every INTERVAL days, at most MAX times, never in
# the participant's local quiet hours (start,end); the opening notice waits for them too.
TRIALS_FOLLOWUP_REMINDER_INTERVAL_DAYS = env.int(
    "TRIALS_FOLLOWUP_REMINDER_INTERVAL_DAYS", default=3
)
TRIALS_FOLLOWUP_MAX_REMINDERS = env.int("TRIALS_FOLLOWUP_MAX_REMINDERS", default=3)
TRIALS_FOLLOWUP_QUIET_HOURS = env.list("TRIALS_FOLLOWUP_QUIET_HOURS", default=["21:00", "09:00"])
# Rows the follow-up tick locks and handles per transaction.
TRIALS_FOLLOWUP_BATCH_SIZE = env.int("TRIALS_FOLLOWUP_BATCH_SIZE", default=500)
# Without a quit plan, follow-ups counted from the quit date use randomisation + this many days
# (the protocol's default target quit date), until the participant sets one.
TRIALS_DEFAULT_QUIT_AFTER_DAYS = env.int("TRIALS_DEFAULT_QUIT_AFTER_DAYS", default=14)
# The dashboard's figures are kept (trials/dashboard_cache.py): the trial's own records show at
# once, engagement (check-ins, posts) and the clocks' bulk changes within this many seconds.
TRIAL_DASHBOARD_MAX_AGE = env.int("TRIAL_DASHBOARD_MAX_AGE", default=300)

# --- Retention (docs/data-protection.md, "Retention"; records/services/retention.py) -----------
# The health record: 20 years after the last contact (NHS Records Management Code of Practice,
# mental health records). Past it a record is listed for review, never deleted by a job.
RETENTION_RECORD_YEARS = env.int("RETENTION_RECORD_YEARS", default=20)
# Study data: years after the trial closes, as its protocol says (a protocol decision).
RETENTION_TRIAL_YEARS = env.int("RETENTION_TRIAL_YEARS", default=5)
# Deleted daily: invitations never accepted and API tokens, this many days after expiry or
# revocation; notice deliveries sent or given up; notices themselves.
RETENTION_EXPIRED_ACCESS_DAYS = env.int("RETENTION_EXPIRED_ACCESS_DAYS", default=30)
RETENTION_DELIVERY_DAYS = env.int("RETENTION_DELIVERY_DAYS", default=90)
RETENTION_NOTIFICATION_DAYS = env.int("RETENTION_NOTIFICATION_DAYS", default=365)
