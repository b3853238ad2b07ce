"""The FHIR R4 bundle of a patient's smoking status and check-ins: valid (the fhir.resources
package parses it and each resource), no name or free text, and served only to the patient's
clinician (404 outside the caseload, the read audited)."""

from __future__ import annotations

import json
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.urls import reverse
from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from cessation.models import CheckIn
from core.models import AuditEvent
from tests.factories import ClinicianFactory, PeerFactory
from trials import fhir

from .export_helpers import CANARIES, a_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return a_world()


def _resources(bundle, kind):
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def test_the_bundle_is_valid_fhir_r4(world):
    bundle = fhir.bundle_for_patient(patient=world.patients["A"])

    parsed = Bundle.model_validate(bundle)
    assert parsed.type == "collection"
    for entry in bundle["entry"]:
        resource = entry["resource"]
        model = {"Observation": Observation, "QuestionnaireResponse": QuestionnaireResponse}[
            resource["resourceType"]
        ]
        model.model_validate(resource)
        assert entry["fullUrl"] == f"urn:uuid:{resource['id']}"


def test_smoking_status_from_each_check_in_and_follow_up(world):
    bundle = fhir.bundle_for_patient(patient=world.patients["A"])
    observations = _resources(bundle, "Observation")
    # Four check-ins and the 4-week follow-up.
    assert len(observations) == 5
    for observation in observations:
        assert observation["code"]["coding"][0] == {
            "system": "http://loinc.org",
            "code": "72166-2",
            "display": "Tobacco smoking status",
        }
        assert observation["category"][0]["coding"][0]["code"] == "social-history"
        assert (
            observation["valueCodeableConcept"]["coding"][0]["system"] == "http://snomed.info/sct"
        )
    by_day = {o["effectiveDateTime"]: o for o in observations if "derivedFrom" in o}
    smoked = by_day[world.day0.isoformat()]
    assert smoked["valueCodeableConcept"]["coding"][0]["code"] == "77176002"
    clean = by_day[(world.day0 + timedelta(days=1)).isoformat()]
    assert clean["valueCodeableConcept"]["coding"][0]["code"] == "8517006"
    followup = [o for o in observations if "derivedFrom" not in o]
    assert followup[0]["valueCodeableConcept"]["coding"][0]["code"] == "8517006"


def test_check_ins_as_questionnaire_responses_without_the_note(world):
    bundle = fhir.bundle_for_patient(patient=world.patients["A"])
    responses = _resources(bundle, "QuestionnaireResponse")
    assert len(responses) == 4
    first = responses[1]
    assert first["status"] == "completed"
    links = [item["linkId"] for item in first["item"]]
    assert links == ["day", "cigarettes", "craving", "mood", "sleep", "harm-thoughts"]
    text = json.dumps(bundle)
    for canary in CANARIES:
        assert canary not in text
    assert first["subject"] == {"identifier": fhir.patient_identifier(world.patients["A"])}


def test_follow_up_answers_after_withdrawal_are_left_out(world):
    bundle = fhir.bundle_for_patient(patient=world.patients["C"])
    observations = _resources(bundle, "Observation")
    assert all("derivedFrom" in o for o in observations)


def test_the_patients_clinician_gets_it_as_fhir_json_and_the_read_is_audited(client, world):
    client.force_login(world.clinician)
    url = reverse("api:patient_fhir_bundle", kwargs={"patient_id": world.patients["A"].pk})
    response = client.get(url, HTTP_ACCEPT="application/fhir+json")
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"].startswith("application/fhir+json")
    Bundle.model_validate(json.loads(response.content))
    assert AuditEvent.objects.filter(
        action="patient.viewed", actor_id=world.clinician.pk, detail__purpose="api fhir"
    ).exists()
    # An ordinary JSON client is answered in FHIR JSON too.
    assert client.get(url)["Content-Type"].startswith("application/fhir+json")


def test_another_clinician_gets_404_and_a_peer_403_in_the_error_shape(client, world):
    url = reverse("api:patient_fhir_bundle", kwargs={"patient_id": world.patients["A"].pk})
    client.force_login(ClinicianFactory(password=None))
    response = client.get(url, HTTP_ACCEPT="application/fhir+json")
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert set(json.loads(response.content)) >= {"detail", "code"}
    client.force_login(PeerFactory(password=None))
    response = client.get(url)
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert json.loads(response.content)["code"] == "permission_denied"
    client.logout()
    assert client.get(url).status_code in (HTTPStatus.UNAUTHORIZED, HTTPStatus.FORBIDDEN)


def test_an_empty_bundle_for_a_patient_with_nothing_yet(world):
    patient = world.patients["E"]
    bundle = fhir.bundle_for_patient(patient=patient)
    assert bundle["entry"] == []
    assert bundle["timestamp"] <= timezone.localtime().isoformat()
    Bundle.model_validate(bundle)


def test_the_bundle_holds_the_last_year_by_default_or_from_a_day_asked_for(client, world):
    patient = world.patients["A"]
    days = sorted(CheckIn.objects.filter(patient=patient).values_list("day", flat=True))
    assert days
    client.force_login(world.clinician)
    url = reverse("api:patient_fhir_bundle", kwargs={"patient_id": patient.pk})
    CheckIn.objects.filter(patient=patient, day=days[0]).update(
        day=timezone.localdate() - timedelta(days=400)
    )
    default = json.loads(client.get(url).content)
    everything = json.loads(client.get(url, {"since": "2000-01-01"}).content)
    responses = [
        entry
        for entry in default["entry"]
        if entry["resource"]["resourceType"] == "QuestionnaireResponse"
    ]
    assert len(responses) == len(days) - 1
    assert len(
        [e for e in everything["entry"] if e["resource"]["resourceType"] == "QuestionnaireResponse"]
    ) == len(days)
    bad = client.get(url, {"since": "yesterday"})
    assert bad.status_code == HTTPStatus.BAD_REQUEST
    assert "since" in bad.json()["errors"]
