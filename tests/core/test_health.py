"""/health/: readiness of the database, broker and cache, and the beat heartbeat."""

from __future__ import annotations

from datetime import timedelta
from http import HTTPStatus

import pytest
from django.conf import settings
from django.db import connection
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from config.celery import app as celery_app
from core import services, tasks
from core.models import Heartbeat
from tests.factories import ClinicianFactory

pytestmark = pytest.mark.django_db

UNREACHABLE_REDIS = "redis://127.0.0.1:1/0"


def _health(client):
    response = client.get(reverse("health"))
    return response, response.json()


def test_health_is_ok_when_everything_answers(client):
    services.heartbeat_record()

    response, body = _health(client)

    assert response.status_code == HTTPStatus.OK
    assert body["status"] == "ok"
    for name in ("database", "broker", "cache", "heartbeat"):
        assert body["checks"][name]["ok"] is True, body["checks"][name]
    assert body["checks"]["database"]["detail"] == connection.vendor
    assert isinstance(body["elapsed_ms"], float | int)


def test_health_before_the_first_heartbeat_is_degraded_but_ready(client):
    Heartbeat.objects.filter(name="beat").delete()

    response, body = _health(client)

    assert response.status_code == HTTPStatus.OK
    assert body["status"] == "degraded"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["broker"]["ok"] is True
    assert body["checks"]["cache"]["ok"] is True
    heartbeat = body["checks"]["heartbeat"]
    assert heartbeat["ok"] is False
    assert heartbeat["detail"].startswith("no heartbeat yet")
    assert heartbeat["last_seen_at"] is None


def test_heartbeat_is_ok_with_its_age_once_recorded(client):
    Heartbeat.objects.filter(name="beat").delete()
    services.heartbeat_record()

    _response, body = _health(client)

    heartbeat = body["checks"]["heartbeat"]
    assert heartbeat["ok"] is True
    assert heartbeat["detail"] == "alive"
    assert 0 <= heartbeat["age_seconds"] < 60
    assert heartbeat["last_seen_at"] is not None


def test_stale_heartbeat_is_reported_but_the_endpoint_stays_up(client):
    services.heartbeat_record()
    stale_for = 3 * settings.CELERY_HEARTBEAT_SECONDS + 120
    Heartbeat.objects.filter(name="beat").update(
        last_seen_at=timezone.now() - timedelta(seconds=stale_for)
    )

    response, body = _health(client)

    assert response.status_code == HTTPStatus.OK
    assert body["status"] == "degraded"
    heartbeat = body["checks"]["heartbeat"]
    assert heartbeat["ok"] is False
    assert heartbeat["detail"].startswith("stale")
    assert heartbeat["age_seconds"] >= stale_for


def test_unreachable_broker_is_503_down(client, monkeypatch):
    services.heartbeat_record()
    monkeypatch.setattr(celery_app.conf, "broker_url", UNREACHABLE_REDIS)

    response, body = _health(client)

    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert body["status"] == "down"
    assert body["checks"]["broker"]["ok"] is False
    assert body["checks"]["broker"]["detail"].startswith("unreachable")
    assert body["checks"]["database"]["ok"] is True


def test_unreachable_cache_is_503_down(client):
    services.heartbeat_record()
    unreachable = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": UNREACHABLE_REDIS,
        }
    }

    with override_settings(CACHES=unreachable):
        response, body = _health(client)

    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert body["status"] == "down"
    assert body["checks"]["cache"]["ok"] is False
    assert body["checks"]["broker"]["ok"] is True


def test_health_is_never_cached(client):
    response = client.get(reverse("health"))

    assert "no-cache" in response["Cache-Control"]
    assert "no-store" in response["Cache-Control"]


def test_health_answers_get_only(client):
    assert client.post(reverse("health")).status_code == HTTPStatus.METHOD_NOT_ALLOWED


def test_health_is_reachable_by_staff_without_a_second_factor(client):
    client.force_login(ClinicianFactory(mfa=False))

    response = client.get(reverse("health"))

    assert response.status_code == HTTPStatus.OK


def test_heartbeat_record_creates_then_counts():
    Heartbeat.objects.filter(name="beat").delete()

    first = services.heartbeat_record()
    second = services.heartbeat_record()

    assert first.count == 1
    assert second.count == 2
    assert second.last_seen_at >= first.last_seen_at
    assert Heartbeat.objects.filter(name="beat").count() == 1


def test_heartbeat_task_called_directly_increments_the_count():
    Heartbeat.objects.filter(name="beat").delete()

    tasks.heartbeat_task()
    tasks.heartbeat_task()

    assert Heartbeat.objects.get(name="beat").count == 2


def test_heartbeat_task_is_on_the_beat_schedule():
    schedule = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}

    assert tasks.heartbeat_task.name in schedule
    assert tasks.notification_delivery_sweep_task.name in schedule
