"""The trial's API: exports. A patient's smoking status and check-ins as a FHIR R4 Bundle for
their clinician's system (trials/fhir.py): clinicians of the care team only, 404 outside the
caseload, the read written to the audit log. Exports of trial data are on the page and the
command (admins, audited with a reason)."""

from __future__ import annotations

from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api_permissions import IsClinician
from accounts.selectors import patient_get_for_staff
from core.api.errors import error_responses
from trials import fhir

TAG = "trials"


class FhirJSONRenderer(JSONRenderer):
    media_type = fhir.FHIR_JSON
    format = "fhir"


class FhirQuerySerializer(serializers.Serializer):
    since = serializers.DateField(
        required=False,
        help_text="Check-ins on or after this day (default: the last year). At most "
        f"{fhir.MAX_CHECKINS} check-ins are included, the most recent.",
    )


class PatientFhirBundleApi(APIView):
    """The patient's tobacco smoking status Observations (LOINC 72166-2) and check-in
    QuestionnaireResponses as a FHIR R4 Bundle of type collection. No name, no free text: the
    patient is referred to by this deployment's identifier."""

    permission_classes = [IsClinician]
    # FHIR clients ask for application/fhir+json; errors keep the one Error shape either way.
    renderer_classes = [FhirJSONRenderer, JSONRenderer]

    @extend_schema(
        tags=[TAG],
        operation_id="patient_fhir_bundle",
        responses={
            (200, fhir.FHIR_JSON): OpenApiResponse(
                OpenApiTypes.OBJECT, description="A FHIR R4 Bundle (type collection)."
            ),
            **error_responses(400, 401, 403, 404),
        },
        parameters=[
            OpenApiParameter(
                "since",
                OpenApiTypes.DATE,
                description="Check-ins on or after this day (default: the last year).",
            )
        ],
    )
    def get(self, request, patient_id: int):
        query = FhirQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        profile = patient_get_for_staff(
            user=request.user, patient_id=patient_id, request=request, purpose="api fhir"
        )
        bundle = fhir.bundle_for_patient(
            patient=profile.user, since=query.validated_data.get("since")
        )
        return Response(bundle, content_type=fhir.FHIR_JSON)


urlpatterns = [
    path(
        "patients/<id:patient_id>/fhir/",
        PatientFhirBundleApi.as_view(),
        name="patient_fhir_bundle",
    ),
]
