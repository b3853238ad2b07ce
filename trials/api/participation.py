"""The trial's API: participation.

- `GET /api/v1/study/`: the logged-in patient's study: status, their group after randomisation,
  the follow-ups due (when the follow-ups part provides them). To agree, decline later or stop,
  an app uses onboarding's consent endpoints (`/api/v1/onboarding/consents/`, kind "trial"):
  the same services, the same rules.
- `POST /api/v1/patients/<id>/study/enrol/`: the patient's clinician offers them the recruiting
  study (404 outside their caseload, 409 when already offered or no study recruits).

Nothing here, or anywhere, shows the allocation sequence.
"""

from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api_permissions import IsClinician, IsPatient
from accounts.selectors import patient_get_for_staff
from core.api.errors import error_responses
from trials import selectors
from trials.models import Participant
from trials.services import participation as services

TAG = "study"


class ArmSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    description = serializers.CharField()
    gets_programme = serializers.BooleanField()


class StudySerializer(serializers.Serializer):
    taking_part = serializers.BooleanField()
    trial = serializers.CharField(allow_null=True, help_text="The trial's name.")
    status = serializers.ChoiceField(choices=Participant.Status.choices, allow_null=True)
    study_id = serializers.CharField(allow_null=True, help_text="The participant's trial id.")
    arm = ArmSerializer(allow_null=True, help_text="The group, once randomised.")
    randomised_at = serializers.DateTimeField(allow_null=True)
    withdrawn_at = serializers.DateTimeField(allow_null=True)
    followups = serializers.ListField(
        child=serializers.DictField(), help_text="Follow-up questionnaires due, if any."
    )


def _followups(patient) -> list:
    try:
        from trials.followups_ui import due_for_patient
    except ImportError:
        return []
    rows = []
    for followup in due_for_patient(patient):
        point = getattr(followup, "point", None)
        rows.append(
            {
                "id": getattr(followup, "pk", None),
                "point": getattr(point, "code", ""),
                "label": str(getattr(point, "label", "")),
                "status": getattr(followup, "status", ""),
                "due_on": str(getattr(followup, "due_on", "")),
                "window_closes_on": str(getattr(followup, "window_closes_on", "")),
            }
        )
    return rows


class StudyApi(APIView):
    """The logged-in patient's study."""

    permission_classes = [IsPatient]

    @extend_schema(tags=[TAG], responses={200: StudySerializer, **error_responses(401, 403)})
    def get(self, request):
        participant = selectors.participant_current(patient=request.user)
        allocation = getattr(participant, "allocation", None) if participant else None
        data = {
            "taking_part": participant is not None
            and participant.status in (Participant.Status.CONSENTED, Participant.Status.RANDOMISED),
            "trial": participant.trial.name if participant else None,
            "status": participant.status if participant else None,
            "study_id": participant.study_id if participant else None,
            "arm": ArmSerializer(allocation.arm).data if allocation else None,
            "randomised_at": allocation.allocated_at if allocation else None,
            "withdrawn_at": participant.withdrawn_at if participant else None,
            "followups": _followups(request.user) if participant else [],
        }
        return Response(StudySerializer(data).data)


class EnrolSerializer(serializers.Serializer):
    diagnosis_group = serializers.ChoiceField(choices=Participant.DiagnosisGroup.choices)


class EnrolledSerializer(serializers.Serializer):
    study_id = serializers.CharField()
    status = serializers.ChoiceField(choices=Participant.Status.choices)
    enrolled_at = serializers.DateTimeField()


class StudyEnrolApi(APIView):
    """Offer the recruiting study to a patient of the clinician's caseload."""

    permission_classes = [IsClinician]

    @extend_schema(
        tags=[TAG],
        request=EnrolSerializer,
        responses={201: EnrolledSerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    def post(self, request, patient_id: int):
        profile = patient_get_for_staff(
            user=request.user, patient_id=patient_id, request=request, purpose="api trial enrolment"
        )
        serializer = EnrolSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        participant = services.participant_enrol(
            trial=selectors.trial_recruiting(),
            profile=profile,
            by=request.user,
            diagnosis_group=serializer.validated_data["diagnosis_group"],
            request=request,
        )
        return Response(EnrolledSerializer(participant).data, status=status.HTTP_201_CREATED)


urlpatterns = [
    path("study/", StudyApi.as_view(), name="study"),
    path("patients/<id:patient_id>/study/enrol/", StudyEnrolApi.as_view(), name="study_enrol"),
]
