"""The trial dashboard page, the CONSORT diagram as a file, and the trials on the admin's home
page: who may see them, what they show, and a query count that does not grow with the trial."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date, timedelta
from http import HTTPStatus

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cessation.models import Craving
from tests.factories import AdminFactory, ClinicianFactory, PatientFactory, PeerFactory
from tests.trials import metrics_fixture
from tests.trials.metrics_fixture import NOW, allocate, at, checkin, followup, participant
from trials import consort, metrics
from trials.models import FollowUp, Participant, ScreeningEntry, Withdrawal

pytestmark = pytest.mark.django_db


@pytest.fixture
def fx():
    return metrics_fixture.build()


def _urls(trial):
    return (
        reverse("trials:dashboard", kwargs={"slug": trial.slug}),
        reverse("trials:consort_svg", kwargs={"slug": trial.slug}),
    )


@pytest.mark.parametrize(
    "make_user",
    [
        lambda: PatientFactory(password=None),
        lambda: ClinicianFactory(password=None),
        lambda: PeerFactory(password=None),
    ],
    ids=["patient", "clinician", "peer"],
)
def test_nobody_but_admins_sees_the_dashboard_or_the_diagram(client, fx, make_user):
    client.force_login(make_user())

    for url in _urls(fx.trial):
        response = client.get(url)
        assert response.status_code == HTTPStatus.FORBIDDEN
        assert b"Assessed for eligibility" not in response.content


def test_signed_out_visitors_are_sent_to_sign_in(client, fx):
    for url in _urls(fx.trial):
        response = client.get(url)
        assert response.status_code == HTTPStatus.FOUND
        assert "login" in response["Location"]


def test_an_unknown_trial_is_not_found(client, fx):
    client.force_login(fx.admin)

    response = client.get(reverse("trials:dashboard", kwargs={"slug": "no-such-trial"}))

    assert response.status_code == HTTPStatus.NOT_FOUND


def test_the_dashboard_shows_each_figure_with_its_definition(client, fx):
    client.force_login(fx.admin)

    response = client.get(_urls(fx.trial)[0])

    assert response.status_code == HTTPStatus.OK
    assert "no-store" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]
    page = response.text
    assert "Dashboard: Exhale feasibility trial" in page
    assert "Last updated" in page
    for heading in (
        "Recruitment",
        "Consent and randomisation",
        "Retention at each follow-up",
        "Uptake",
        "Engagement",
        "Safety events",
        "Abstinence",
        "CONSORT flow",
    ):
        assert f">{heading}</h2>" in page
    for summary in (
        "How recruitment is counted",
        "How consent is counted",
        "How retention is counted",
        "How uptake is counted",
        "How engagement is counted",
        "How safety events are counted",
        "How abstinence is counted",
        "How the flow is counted",
    ):
        assert summary in page
    assert "4/40 (10%)" in page
    assert "5/6 (83.3%)" in page
    assert "Russell Standard" in page
    # The recruitment chart and the CONSORT diagram inline, each with its table.
    assert 'aria-labelledby="recruitment-chart-title recruitment-chart-desc"' in page
    assert 'aria-labelledby="consort-title consort-desc"' in page
    assert "Recruitment per week" in page
    assert "Show the flow as tables" in page
    assert "Assessed for eligibility (n=10)" in page
    assert reverse("trials:consort_svg", kwargs={"slug": fx.trial.slug}) in page
    # No name of a participant anywhere.
    assert "Fixed Name" not in page


def test_the_diagram_is_served_as_svg(client, fx):
    client.force_login(fx.admin)

    response = client.get(_urls(fx.trial)[1])

    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"].startswith("image/svg+xml")
    root = ET.fromstring(response.content)  # noqa: S314 (our own output, under test)
    assert root.get("role") == "img"
    texts = [element.text for element in root.iter("{http://www.w3.org/2000/svg}text")]
    assert "Randomised (n=4)" in texts


def test_the_admin_home_links_each_trial_with_its_headline(client, fx):
    client.force_login(fx.admin)

    page = client.get(reverse("accounts:admin_home")).text

    assert reverse("trials:dashboard", kwargs={"slug": fx.trial.slug}) in page
    assert "4 randomised of a target of 40" in page


def test_the_admin_home_says_nothing_of_trials_being_set_up(client):
    from tests.trials.helpers import a_trial

    trial = a_trial()
    client.force_login(AdminFactory(password=None))

    page = client.get(reverse("accounts:admin_home")).text

    assert reverse("trials:dashboard", kwargs={"slug": trial.slug}) not in page


def test_the_dashboard_of_a_trial_being_set_up_works(client):
    from tests.trials.helpers import a_trial

    trial = a_trial()
    client.force_login(trial.manager)

    response = client.get(_urls(trial)[0])

    assert response.status_code == HTTPStatus.OK
    assert "Recruitment has not opened yet." in response.text


# --- Queries: constant in the number of participants ---------------------------------------------


def _more(fx, n: int) -> None:
    """n more randomised participants, each with a check-in, a craving, a follow-up, a
    withdrawal and a screening entry, and one more still deciding."""
    trial, admin = fx.trial, fx.admin
    for index in range(n):
        patient = PatientFactory(password=None, full_name="Fixed Name Extra")
        someone = participant(
            trial,
            patient,
            by=admin,
            enrolled=at(20),
            status=Participant.Status.CONSENTED,
            consented=at(20),
        )
        arm = fx.programme if index % 2 else fx.usual
        allocate(someone, arm, at(21), by=admin)
        checkin(patient, date(2025, 1, 22), at(22))
        Craving.objects.create(patient=patient, at=at(23), intensity=4)
        followup(
            someone,
            fx.points["4w"],
            status=FollowUp.Status.COMPLETED,
            opens=date(2025, 2, 15),
            closes=date(2025, 2, 15) + timedelta(days=17),
            smoked="none",
            co_ppm=3,
            co_on=date(2025, 2, 16),
        )
        Withdrawal.objects.create(
            participant=someone,
            level=Withdrawal.Level.INTERVENTION,
            source="staff",
            at=at(24),
            recorded_by=admin,
        )
        ScreeningEntry.objects.create(
            trial=trial,
            screened_on=date(2025, 1, 20),
            outcome=ScreeningEntry.Outcome.ENROLLED,
            recorded_by=admin,
            patient=patient,
        )


def _count(callable_) -> int:
    with CaptureQueriesContext(connection) as context:
        callable_()
    return len(context.captured_queries)


def test_the_figures_cost_the_same_queries_at_two_sizes(fx, django_assert_max_num_queries):
    def figures():
        metrics.dashboard(trial=fx.trial, now=NOW)
        consort.diagram(consort.flow(trial=fx.trial))

    figures()  # warm what is remembered between requests (the study gate's cache)
    small = _count(figures)
    _more(fx, 12)

    with django_assert_max_num_queries(small):
        figures()
    assert small <= 40


def test_the_page_costs_the_same_queries_at_two_sizes(client, fx, django_assert_max_num_queries):
    client.force_login(fx.admin)
    url = _urls(fx.trial)[0]
    client.get(url)
    small = _count(lambda: client.get(url))
    _more(fx, 12)

    with django_assert_max_num_queries(small):
        assert client.get(url).status_code == HTTPStatus.OK
