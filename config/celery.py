"""The Celery application. Configuration lives in settings (CELERY_*); tasks are found per app."""

import gc
import os

from celery import Celery
from celery.signals import worker_process_init, worker_ready
from django.conf import settings
from kombu import Connection

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("exhale")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# After a broker outage the worker (and beat's control thread) reconnect with kombu's defaults:
# 2 s, 4 s, 6 s … up to 30 s between attempts, so a worker could sit idle for 30 s after Redis
# came back, with a crisis notice waiting. At most BROKER_RECONNECT_MAX_SECONDS instead (one
# connection attempt every few seconds against a Redis that is down costs nothing).
_kombu_ensure_connection = Connection._ensure_connection


def _ensure_connection(self, errback=None, max_retries=None, *args, **kwargs):
    if not args:
        kwargs.setdefault("interval_start", 1)
        kwargs.setdefault("interval_step", 1)
        kwargs.setdefault("interval_max", settings.CELERY_BROKER_RECONNECT_MAX_SECONDS)
    return _kombu_ensure_connection(self, errback, max_retries, *args, **kwargs)


Connection._ensure_connection = _ensure_connection


@worker_process_init.connect  # each prefork child, once Django and the tasks are loaded
@worker_ready.connect  # the solo pool runs tasks in the main process
def _freeze_loaded_objects(**_kwargs) -> None:
    """Move everything loaded at start-up out of the collector's reach. A reminder batch
    allocates enough to trigger full collections, and each one walked the whole of Django
    (~50 ms, a third of a batch; bench/checkin_fanout.py)."""
    gc.freeze()
