"""The Celery application. Configuration lives in settings (CELERY_*); tasks are found per app."""

import gc
import os

from celery import Celery
from celery.signals import worker_process_init, worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("exhale")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_process_init.connect  # each prefork child, once Django and the tasks are loaded
@worker_ready.connect  # the solo pool runs tasks in the main process
def _freeze_loaded_objects(**_kwargs) -> None:
    """Move everything loaded at start-up out of the collector's reach. A reminder batch
    allocates enough to trigger full collections, and each one walked the whole of Django
    (~50 ms, a third of a batch; bench/checkin_fanout.py)."""
    gc.freeze()
