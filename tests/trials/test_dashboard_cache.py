"""The dashboard's kept figures: computed once, shown again without computing, stale the moment
the trial's own records change, refreshed by the clock within their maximum age, computed live
when the cache is unreachable, and never holding the trial's pseudonym key."""

from __future__ import annotations

import pickle
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.factories import PatientFactory
from tests.trials import metrics_fixture
from tests.trials.test_dashboard import _more as more_participants
from trials import dashboard_cache
from trials.models import ScreeningEntry
from trials.tasks import dashboard_refresh_task

pytestmark = pytest.mark.django_db


@pytest.fixture
def fx():
    return metrics_fixture.build()


def _page(client, fx):
    return client.get(reverse("trials:dashboard", kwargs={"slug": fx.trial.slug}))


def _queries(callable_) -> int:
    with CaptureQueriesContext(connection) as context:
        callable_()
    return len(context.captured_queries)


def _assessed(page: str) -> str:
    """The CONSORT table's first figure, as the page shows it."""
    start = page.index("Assessed for eligibility")
    return page[start : start + 200]


def _screening_entry(fx) -> ScreeningEntry:
    return ScreeningEntry.objects.create(
        trial=fx.trial,
        screened_on=metrics_fixture.at(20).date(),
        outcome=ScreeningEntry.Outcome.INELIGIBLE,
        reason=ScreeningEntry.Reason.NOT_SMOKER,
        recorded_by=fx.admin,
    )


def _screen_one(fx, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        _screening_entry(fx)


def test_figures_shown_again_are_not_computed_again(client, fx):
    client.force_login(fx.admin)
    computing = _queries(lambda: _page(client, fx))

    kept = _queries(lambda: _page(client, fx))

    assert _page(client, fx).status_code == HTTPStatus.OK
    assert kept <= 12
    assert kept < computing / 2


def test_computing_the_page_costs_the_same_queries_at_two_sizes(
    client, fx, django_assert_max_num_queries
):
    client.force_login(fx.admin)
    _page(client, fx)  # warm the study gate and the session

    def computing():
        cache.delete_many([dashboard_cache._entry_key(fx.trial, dashboard_cache._generation())])
        assert _page(client, fx).status_code == HTTPStatus.OK

    small = _queries(computing)
    more_participants(fx, 12)

    with django_assert_max_num_queries(small):
        computing()


def test_a_change_to_the_trial_shows_at_once(client, fx, django_capture_on_commit_callbacks):
    client.force_login(fx.admin)
    before = _assessed(_page(client, fx).text)
    assert "10" in before

    _screen_one(fx, django_capture_on_commit_callbacks)

    assert "11" in _assessed(_page(client, fx).text)


def test_a_kept_entry_is_used_until_the_change_is_committed(client, fx):
    client.force_login(fx.admin)
    _page(client, fx)

    # Without the commit (no on-commit callbacks run here) the generation does not move: a
    # reader in between keeps what it had.
    _screening_entry(fx)

    assert "10" in _assessed(_page(client, fx).text)


def test_the_clock_refreshes_figures_half_their_age_old(fx, settings):
    settings.TRIAL_DASHBOARD_MAX_AGE = 300

    assert dashboard_refresh_task() == 1  # nothing kept: computed
    assert dashboard_refresh_task() == 0  # fresh: left alone

    key = dashboard_cache._entry_key(fx.trial, dashboard_cache._generation())
    figures, flow = cache.get(key)
    figures.computed_at = timezone.now() - timedelta(seconds=151)
    cache.set(key, (figures, flow), 300)

    assert dashboard_refresh_task() == 1
    assert timezone.now() - cache.get(key)[0].computed_at < timedelta(seconds=5)


def test_engagement_reaches_the_figures_at_the_next_refresh(fx):
    dashboard_cache.figures(trial=fx.trial)
    first, _ = dashboard_cache.figures(trial=fx.trial)
    one = fx.p[1].patient
    metrics_fixture.checkin(one, metrics_fixture.at(21).date(), metrics_fixture.at(21, 20))

    kept, _ = dashboard_cache.figures(trial=fx.trial)
    assert kept.computed_at == first.computed_at  # a check-in does not recompute at once

    key = dashboard_cache._entry_key(fx.trial, dashboard_cache._generation())
    old, flow = cache.get(key)
    old.computed_at -= timedelta(seconds=200)
    cache.set(key, (old, flow), 300)
    dashboard_cache.refresh(trial=fx.trial)

    assert dashboard_cache.figures(trial=fx.trial)[0].computed_at > first.computed_at


def test_a_lost_generation_never_revives_older_figures(fx):
    dashboard_cache.figures(trial=fx.trial)
    old_generation = dashboard_cache._generation()

    cache.delete(dashboard_cache._GENERATION_KEY)

    assert dashboard_cache._generation() != old_generation
    assert dashboard_cache._generation() != 0


def test_the_kept_entry_holds_no_trial_and_no_key(fx):
    dashboard_cache.figures(trial=fx.trial)
    kept = cache.get(dashboard_cache._entry_key(fx.trial, dashboard_cache._generation()))

    raw = pickle.dumps(kept)

    assert kept[0].trial is None
    assert kept[1].trial is None
    assert fx.trial.pseudonym_key.encode() not in raw
    assert fx.trial.name.encode() not in raw


class _UnreachableCache:
    """A cache whose server does not answer: every call raises, as the Redis client does."""

    def __getattr__(self, name):
        def unreachable(*args, **kwargs):
            raise ConnectionError("cache unreachable")

        return unreachable


def test_without_a_cache_the_page_computes_live(client, fx, monkeypatch):
    client.force_login(fx.admin)
    expected = _assessed(_page(client, fx).text)
    monkeypatch.setattr(dashboard_cache, "cache", _UnreachableCache())

    figures, flow = dashboard_cache.figures(trial=fx.trial)

    assert figures.trial == fx.trial
    assert flow.assessed == 10
    assert dashboard_cache.refresh(trial=fx.trial) is False
    dashboard_cache._new_generation()  # logs, does not raise
    assert "10" in expected
    assert "10" in _assessed(_page(client, fx).text)


def test_figures_of_a_new_patient_elsewhere_do_not_change(client, fx):
    """A save of a record the dashboard does not count (a patient account) leaves the kept
    figures in place."""
    client.force_login(fx.admin)
    _page(client, fx)
    key = dashboard_cache._entry_key(fx.trial, dashboard_cache._generation())

    PatientFactory(password=None, full_name="Someone Else")

    assert cache.get(key) is not None
