"""A patient's smoking status and daily check-ins as a FHIR R4 Bundle, for a clinician's system
that wants them (served to the patient's care team: trials/api/exports.py).

The Bundle (type "collection") holds:
- an Observation of tobacco smoking status (LOINC 72166-2, category social-history, a SNOMED CT
  value) per check-in, derived from its cigarettes, and per answered trial follow-up, derived
  from the Russell Standard answer;
- a QuestionnaireResponse per check-in (cigarettes, craving, mood, sleep, thoughts of harming
  themselves); never the free-text note.
The patient is referred to by an identifier of this deployment, never by name. Resource ids are
UUIDs derived from the rows, so the same row gives the same resource in every bundle.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from cessation.models import CheckIn
from trials import outcomes
from trials.models import FollowUp

FHIR_JSON = "application/fhir+json"
LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
SMOKING_STATUS = {"system": LOINC, "code": "72166-2", "display": "Tobacco smoking status"}
SMOKER = {"system": SNOMED, "code": "77176002", "display": "Smoker"}
EX_SMOKER = {"system": SNOMED, "code": "8517006", "display": "Ex-smoker"}
DAILY_SMOKER = {"system": SNOMED, "code": "449868002", "display": "Smokes tobacco daily"}

_NAMESPACE = uuid.UUID("5b0c1a57-8f6e-4f0e-9a55-6e8a1e7f3c21")


def _base() -> str:
    return f"{settings.SITE_URL}/fhir"


def patient_identifier(patient) -> dict[str, str]:
    """How this deployment names the patient to other systems: its own id, no name."""
    return {"system": f"{_base()}/sid/patient", "value": str(patient.pk)}


def _urn(kind: str, pk: int) -> str:
    return f"urn:uuid:{uuid.uuid5(_NAMESPACE, f'{settings.SITE_URL}/{kind}/{pk}')}"


def _id(urn: str) -> str:
    return urn.removeprefix("urn:uuid:")


def _smoking_status(
    *, urn: str, subject: dict, effective: date, value: dict, text: str, derived_from: str = ""
) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "id": _id(urn),
        "status": "final",
        "category": [
            {
                "coding": [
                    {
                        "system": OBSERVATION_CATEGORY,
                        "code": "social-history",
                        "display": "Social History",
                    }
                ]
            }
        ],
        "code": {"coding": [SMOKING_STATUS], "text": "Tobacco smoking status"},
        "subject": subject,
        "effectiveDateTime": effective.isoformat(),
        "valueCodeableConcept": {"coding": [value], "text": text},
    }
    if derived_from:
        resource["derivedFrom"] = [{"reference": derived_from}]
    return resource


def _coding(kind: str, code: str, display: str) -> dict[str, str]:
    return {"system": f"{_base()}/CodeSystem/{kind}", "code": code, "display": display}


def _label(choices, code: str) -> str:
    return str(dict(choices.choices).get(code, code))


def _questionnaire_response(*, urn: str, subject: dict, checkin: CheckIn) -> dict[str, Any]:
    def integer(link: str, text: str, value: int) -> dict:
        return {"linkId": link, "text": text, "answer": [{"valueInteger": value}]}

    def coded(link: str, text: str, kind: str, code: str, display: str) -> dict:
        return {
            "linkId": link,
            "text": text,
            "answer": [{"valueCoding": _coding(kind, code, display)}],
        }

    return {
        "resourceType": "QuestionnaireResponse",
        "id": _id(urn),
        "questionnaire": f"{_base()}/Questionnaire/daily-check-in",
        "status": "completed",
        "subject": subject,
        "authored": timezone.localtime(checkin.created_at).isoformat(timespec="seconds"),
        "item": [
            {
                "linkId": "day",
                "text": "Day the check-in is for",
                "answer": [{"valueDate": checkin.day.isoformat()}],
            },
            integer("cigarettes", "Cigarettes since the last check-in", checkin.cigarettes),
            integer("craving", "Strongest craving (0 none to 10 worst)", checkin.craving),
            integer("mood", "Mood (0 very low to 10 very good)", checkin.mood),
            coded(
                "sleep",
                "Sleep last night",
                "sleep",
                checkin.sleep,
                _label(CheckIn.Sleep, checkin.sleep),
            ),
            coded(
                "harm-thoughts",
                "Thoughts of harming yourself",
                "safety-answer",
                checkin.harm_thoughts,
                _label(CheckIn.SafetyAnswer, checkin.harm_thoughts),
            ),
        ],
    }


def _followup_value(followup: FollowUp) -> tuple[dict, str] | None:
    abstinent = outcomes.abstinent_self_report(followup.smoked_since or None)
    if abstinent is None:
        return None
    label = FollowUp.SmokedSince(followup.smoked_since).label
    if abstinent:
        return EX_SMOKER, f"Follow-up ({followup.point.label}): {label}"
    if followup.smoked_last_7_days and (followup.cigarettes_per_day or 0) >= 1:
        return DAILY_SMOKER, f"Follow-up ({followup.point.label}): {label}, smoking daily"
    return SMOKER, f"Follow-up ({followup.point.label}): {label}"


# A bundle holds at most this many check-ins (the most recent), from `since` (a year by default).
MAX_CHECKINS = 1000
DEFAULT_DAYS = 365


def bundle_for_patient(*, patient, since: date | None = None) -> dict[str, Any]:
    """The patient's bundle: check-ins (from `since`, a year ago by default; at most
    MAX_CHECKINS, the most recent) and their smoking status, then follow-up answers."""
    subject = {"identifier": patient_identifier(patient)}
    entries: list[dict[str, Any]] = []
    since = since or timezone.localdate() - timedelta(days=DEFAULT_DAYS)
    recent = list(
        CheckIn.objects.filter(patient=patient, day__gte=since)
        .order_by("-day")
        .only("pk", "day", "created_at", "cigarettes", "craving", "mood", "sleep", "harm_thoughts")[
            :MAX_CHECKINS
        ]
    )
    for checkin in reversed(recent):
        response_urn = _urn("checkin", checkin.pk)
        entries.append(
            {
                "fullUrl": response_urn,
                "resource": _questionnaire_response(
                    urn=response_urn, subject=subject, checkin=checkin
                ),
            }
        )
        smoked = checkin.cigarettes > 0
        observation_urn = _urn("checkin-smoking", checkin.pk)
        entries.append(
            {
                "fullUrl": observation_urn,
                "resource": _smoking_status(
                    urn=observation_urn,
                    subject=subject,
                    effective=checkin.day,
                    value=SMOKER if smoked else EX_SMOKER,
                    text=(
                        f"{checkin.cigarettes} cigarettes since the last check-in"
                        if smoked
                        else "No cigarettes since the last check-in"
                    ),
                    derived_from=response_urn,
                ),
            }
        )
    followups = (
        FollowUp.objects.filter(participant__patient=patient, answered_at__isnull=False)
        .select_related("point", "participant")
        .order_by("answered_at", "pk")
    )
    for followup in followups:
        withdrawn = followup.participant.withdrawn_at
        if withdrawn is not None and followup.answered_at > withdrawn:
            continue
        found = _followup_value(followup)
        if found is None:
            continue
        value, text = found
        urn = _urn("followup-smoking", followup.pk)
        entries.append(
            {
                "fullUrl": urn,
                "resource": _smoking_status(
                    urn=urn,
                    subject=subject,
                    effective=timezone.localtime(followup.answered_at).date(),
                    value=value,
                    text=text,
                ),
            }
        )
    return {
        "resourceType": "Bundle",
        "id": str(uuid.uuid4()),
        "type": "collection",
        "timestamp": timezone.localtime().isoformat(timespec="seconds"),
        "entry": entries,
    }
