"""Answers kept for one request (core/request_memo.py): the gates are asked once per page, not
once per section, and nothing kept outlives its request or hides a change the request made."""

from __future__ import annotations

import os

import pytest
from allauth.mfa.models import Authenticator
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connection
from django.urls import reverse

from core.request_memo import forget, remembered
from onboarding.gate import programme_forget, programme_open
from onboarding.models import Consent
from tests.onboarding.helpers import a_new_patient, through_consent


class Counter:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> int:
        self.calls += 1
        return self.calls


def start_request() -> None:
    # As Django's test client does: without closing the test's database connection.
    request_started.disconnect(close_old_connections)
    try:
        request_started.send(sender=None, environ={})
    finally:
        request_started.connect(close_old_connections)


def end_request() -> None:
    request_finished.disconnect(close_old_connections)
    try:
        request_finished.send(sender=None)
    finally:
        request_finished.connect(close_old_connections)


@pytest.fixture
def in_a_request():
    start_request()
    yield
    end_request()


def test_outside_a_request_every_call_computes():
    compute = Counter()

    assert [remembered("space", 1, compute) for _ in range(3)] == [1, 2, 3]


def test_within_a_request_a_key_is_computed_once(in_a_request):
    first, second = Counter(), Counter()

    assert [remembered("space", 1, first) for _ in range(3)] == [1, 1, 1]
    assert remembered("space", 2, second) == 1  # another key: its own answer
    assert remembered("other", 1, second) == 2  # another namespace too
    assert first.calls == 1


def test_forgetting_a_key_or_a_namespace_computes_again(in_a_request):
    compute = Counter()
    remembered("space", 1, compute)
    remembered("space", 2, compute)

    forget("space", 1)
    assert remembered("space", 1, compute) == 3
    assert remembered("space", 2, compute) == 2  # untouched

    forget("space")
    assert remembered("space", 2, compute) == 4
    forget("never-used")  # nothing kept: nothing to do


def test_nothing_kept_outlives_its_request():
    compute = Counter()
    start_request()
    remembered("space", 1, compute)
    end_request()

    assert remembered("space", 1, compute) == 2  # after the request: computed
    start_request()
    try:
        assert remembered("space", 1, compute) == 3  # the next request starts with nothing
    finally:
        end_request()


@pytest.mark.django_db
def test_a_change_within_the_request_is_seen_by_the_rest_of_it(in_a_request):
    patient = a_new_patient()
    through_consent(patient)
    assert programme_open(patient) is True

    Consent.objects.filter(patient=patient, kind=Consent.Kind.PROGRAMME).update(
        withdrawn_at="2026-01-01T00:00Z"
    )
    assert programme_open(patient) is True  # kept for this request, until forgotten
    programme_forget(patient)  # what the service that withdraws consent calls

    assert programme_open(patient) is False


@pytest.mark.django_db
def test_the_patient_home_asks_the_cache_for_each_gate_once(client):
    patient = a_new_patient()
    through_consent(patient)
    client.force_login(patient)
    client.get(reverse("accounts:patient_home"))  # the gates' answers are in the cache now
    reads, inside_get_many = [], []
    original_get, original_get_many = cache.get, cache.get_many

    def counted_get(key, *args, **kwargs):
        if not inside_get_many:  # the file cache's get_many calls get for each key
            reads.append(key)
        return original_get(key, *args, **kwargs)

    def counted_get_many(keys, *args, **kwargs):
        reads.extend(keys)
        inside_get_many.append(True)
        try:
            return original_get_many(keys, *args, **kwargs)
        finally:
            inside_get_many.pop()

    cache.get, cache.get_many = counted_get, counted_get_many
    try:
        client.get(reverse("accounts:patient_home"))
    finally:
        del cache.get, cache.get_many

    gate_reads = [key for key in reads if "programme" in key or "study" in key]
    # The programme gate: its generation and its answer; the study gate: the two generations
    # and its answer. Before: eight times each (the middleware, the frame, every section).
    assert len(gate_reads) == 5, reads


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="the Redis cache backend")
def test_the_redis_cache_builds_one_client_per_connection_pool():
    from core.cache import ResilientRedisCache

    backend = ResilientRedisCache(os.environ["REDIS_URL"], {"KEY_PREFIX": "test-client-reuse"})
    backend.set("key", "value", 30)

    assert backend._cache.get_client("key") is backend._cache.get_client("key", write=True)
    assert backend.get("key") == "value"
    backend.delete("key")


@pytest.mark.django_db
def test_a_second_factor_added_or_removed_within_a_request_is_seen_at_once(in_a_request):
    from accounts.permissions import has_second_factor
    from tests.factories import ClinicianFactory, enrol_totp

    clinician = ClinicianFactory(password=None, mfa=False)
    assert has_second_factor(clinician) is False  # kept for the request from here

    enrol_totp(clinician)
    assert has_second_factor(clinician) is True  # the model's signal forgot the kept answer

    Authenticator.objects.filter(user=clinician).delete()
    assert has_second_factor(clinician) is False


@pytest.mark.django_db
def test_a_staff_api_request_reads_the_second_factor_once(client):
    from tests.factories import ClinicianFactory

    clinician = ClinicianFactory()
    client.force_login(clinician)
    reads = []

    def count_factor_reads(execute, sql, params, many, context):
        if "mfa_authenticator" in sql:
            reads.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count_factor_reads):
        response = client.get(reverse("api:me"))

    assert response.status_code == 200
    assert len(reads) == 1  # the MFA middleware asks; DRF's permission takes its answer
