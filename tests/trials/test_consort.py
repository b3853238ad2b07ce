"""The CONSORT flow: numbers worked by hand from the metrics fixture, that always add up, and a
drawing that is well-formed, accessible SVG with those numbers in it."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date

import pytest

from tests.factories import PatientFactory
from tests.trials import metrics_fixture
from tests.trials.metrics_fixture import allocate, at, participant
from trials import consort
from trials.models import FollowUp, Participant, ScreeningEntry, Withdrawal

pytestmark = pytest.mark.django_db

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def fx():
    return metrics_fixture.build()


def _arm(flow, code):
    return next(item for item in flow.arms if item.arm.code == code)


def test_enrolment_numbers(fx):
    flow = consort.flow(trial=fx.trial)

    # 10 in the screening log, each of the 6 enrolled matched to their participant.
    assert flow.assessed == 10
    assert flow.not_eligible == 2
    assert (flow.declined_screening, flow.declined_study, flow.declined) == (1, 1, 2)
    assert flow.not_reached == 1
    assert (flow.still_deciding, flow.withdrew_before, flow.enrolled_unregistered) == (0, 0, 0)
    assert flow.excluded == 5
    assert flow.awaiting == 1  # P5
    assert flow.randomised == 4
    assert flow.reasons["ineligible"] == {"not_smoker": 1, "too_unwell": 1}
    assert flow.adds_up


def test_allocation_follow_up_and_analysis_per_arm(fx):
    flow = consort.flow(trial=fx.trial)
    programme, usual = _arm(flow, "programme"), _arm(flow, "usual_care")

    assert flow.primary.code == "4w"
    # Both programme participants used it after randomisation; usual care all "receive" it.
    assert (programme.allocated, programme.received, programme.not_received) == (2, 2, 0)
    assert (usual.allocated, usual.received, usual.not_received) == (2, 2, 0)
    # Nobody missed the 4-week follow-up; P2 stopped the programme, P4 left follow-up.
    assert (programme.lost, usual.lost) == (0, 0)
    assert programme.discontinued == {"all": 0, "follow_up": 0, "intervention": 1}
    assert usual.discontinued == {"all": 0, "follow_up": 1, "intervention": 0}
    assert (programme.analysed, programme.excluded_from_analysis) == (2, 0)
    assert (usual.analysed, usual.excluded_from_analysis) == (2, 0)


def test_did_not_receive_lost_and_the_deepest_withdrawal(fx):
    """A programme participant who never used it and then withdrew from the study; another
    who missed the primary follow-up; someone still deciding; one who withdrew before being
    randomised; an entry logged as enrolled with no participant."""
    trial, admin = fx.trial, fx.admin
    patient = PatientFactory(password=None, full_name="Fixed Name Seven")
    seven = participant(
        trial, patient, by=admin, enrolled=at(20), status=Participant.Status.CONSENTED
    )
    allocate(seven, fx.programme, at(21), by=admin)
    for level in (Withdrawal.Level.INTERVENTION, Withdrawal.Level.ALL):
        Withdrawal.objects.create(
            participant=seven, level=level, source="patient", at=at(22), recorded_by=admin
        )
    FollowUp.objects.filter(participant=fx.p[2], point=fx.points["4w"]).update(
        status=FollowUp.Status.MISSED, smoked_since=""
    )
    participant(
        trial,
        PatientFactory(password=None, full_name="Fixed Name Eight"),
        by=admin,
        enrolled=at(22),
        status=Participant.Status.ENROLLED,
    )
    participant(
        trial,
        PatientFactory(password=None, full_name="Fixed Name Nine"),
        by=admin,
        enrolled=at(22),
        status=Participant.Status.WITHDRAWN,
    )
    ScreeningEntry.objects.create(
        trial=trial,
        screened_on=date(2025, 1, 23),
        outcome=ScreeningEntry.Outcome.ENROLLED,
        recorded_by=admin,
    )

    flow = consort.flow(trial=trial)
    programme = _arm(flow, "programme")

    assert flow.assessed == 14
    assert (flow.still_deciding, flow.withdrew_before, flow.enrolled_unregistered) == (1, 1, 1)
    assert flow.excluded == 8
    assert flow.randomised == 5
    assert (programme.allocated, programme.received, programme.not_received) == (3, 2, 1)
    assert (programme.not_received_withdrew, programme.not_received_other) == (1, 0)
    assert programme.lost == 1
    assert programme.discontinued == {"all": 1, "follow_up": 0, "intervention": 1}
    # Withdrawing from the study keeps the data collected before: still analysed.
    assert (programme.analysed, programme.excluded_from_analysis) == (3, 0)
    assert flow.adds_up


def test_the_numbers_add_up_for_a_trial_with_nobody(fx):
    from tests.trials.helpers import a_trial

    flow = consort.flow(trial=a_trial(slug="empty"))

    assert flow.assessed == flow.excluded == flow.randomised == 0
    assert flow.adds_up


def test_the_diagram_is_accessible_svg_with_the_numbers(fx):
    from django.template.loader import render_to_string

    flow = consort.flow(trial=fx.trial)
    svg = render_to_string(
        "trials/dashboard/consort.svg", {"diagram": consort.diagram(flow), "standalone": True}
    )

    root = ET.fromstring(svg.encode())  # noqa: S314 (our own output, under test)
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "consort-title consort-desc"
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title.get("id") == "consort-title"
    assert title.text == "CONSORT flow diagram: Exhale feasibility trial"
    assert desc.get("id") == "consort-desc"
    assert "Assessed for eligibility 10" in desc.text
    assert "randomised 4" in desc.text
    words = [text.text for text in root.iter(f"{SVG}text")]
    for expected in (
        "Assessed for eligibility (n=10)",
        "Excluded (n=5)",
        "Not eligible (n=2)",
        "Declined (n=2)",
        "Could not be reached (n=1)",
        "Randomised (n=4)",
        "Agreed, awaiting randomisation (n=1)",
        "Allocated to Exhale programme (n=2)",
        "Allocated to Usual care (n=2)",
        "Analysed (n=2)",
        "Excluded from analysis (n=0)",
    ):
        assert expected in words
    # Boxes and arrows, and nothing fetched from elsewhere.
    assert len(list(root.iter(f"{SVG}rect"))) >= 10
    assert len(list(root.iter(f"{SVG}polyline"))) == 2 + 2 + 2 + 2
    assert "<script" not in svg
    assert "http://" not in svg.replace("http://www.w3.org/2000/svg", "")
    assert "https://" not in svg


def test_the_diagram_escapes_what_admins_typed(fx):
    from django.template.loader import render_to_string

    fx.trial.name = 'Trial <b>&</b> "quoted"'
    fx.trial.save()
    fx.programme.label = "<script>alert(1)</script>"
    fx.programme.save()

    svg = render_to_string(
        "trials/dashboard/consort.svg",
        {"diagram": consort.diagram(consort.flow(trial=fx.trial)), "standalone": True},
    )

    assert "<script>" not in svg
    root = ET.fromstring(svg.encode())  # noqa: S314 (our own output, under test)
    assert root.find(f"{SVG}title").text == 'CONSORT flow diagram: Trial <b>&</b> "quoted"'
