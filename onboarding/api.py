"""API of onboarding: the patient's own journey and consents (open before they have agreed to
take part, so an app can take them through it), the texts in force (public, like the privacy
page), and a patient's onboarding for their care team (404 outside the caseload, audited).

Consent is given only by the patient, to the version of the words they read: a stale version is a
409 whose body carries the version in force, and nothing is recorded.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api_permissions import IsCareTeamStaff, IsPatient
from accounts.selectors import patient_get_for_staff
from core.api.errors import ErrorSerializer, error_responses
from onboarding import selectors, services
from onboarding.models import Consent, ContentVersion
from onboarding.selectors import JourneyState

TAG = "onboarding"


class StepSerializer(serializers.Serializer):
    key = serializers.CharField()
    title = serializers.CharField(source="step.title")
    number = serializers.IntegerField()
    may_be_left_for_later = serializers.BooleanField(source="step.skippable")
    reachable = serializers.BooleanField()
    done = serializers.BooleanField()
    left_for_later = serializers.BooleanField(source="skipped")
    is_current = serializers.BooleanField()
    # None for a step not seen or not done yet.
    first_seen_at = serializers.DateTimeField(
        source="record.first_seen_at", default=None, allow_null=True
    )
    completed_at = serializers.DateTimeField(
        source="record.completed_at", default=None, allow_null=True
    )
    assisted = serializers.SerializerMethodField()

    def get_assisted(self, status_) -> bool:
        return status_.record is not None and status_.record.assist_id is not None


class JourneySerializer(serializers.Serializer):
    started_at = serializers.DateTimeField(source="journey.started_at")
    finished_at = serializers.DateTimeField(source="journey.finished_at", allow_null=True)
    current_step = serializers.CharField(
        source="journey.current_step", help_text="Empty when every step is done or left for later."
    )
    steps = StepSerializer(source="statuses", many=True)


def _journey_data(state: JourneyState | None) -> dict:
    if state is None:
        raise NotFound("No onboarding: this patient joined before onboarding was part of Exhale.")
    return JourneySerializer(state).data


class OnboardingApi(APIView):
    """The logged-in patient's onboarding: each step, done, left for later or current."""

    permission_classes = [IsPatient]

    @extend_schema(tags=[TAG], responses={200: JourneySerializer, **error_responses(401, 403, 404)})
    def get(self, request):
        return Response(_journey_data(selectors.journey_state_for(patient=request.user)))


class PatientOnboardingApi(APIView):
    """A patient's onboarding, for their care team. The read is written to the audit log."""

    permission_classes = [IsCareTeamStaff]

    @extend_schema(tags=[TAG], responses={200: JourneySerializer, **error_responses(401, 403, 404)})
    def get(self, request, patient_id: int):
        profile = patient_get_for_staff(
            user=request.user, patient_id=patient_id, request=request, purpose="api onboarding"
        )
        return Response(_journey_data(selectors.journey_state_for(patient=profile.user)))


class TextSerializer(serializers.Serializer):
    key = serializers.CharField()
    version = serializers.IntegerField()
    title = serializers.CharField()
    body = serializers.CharField(help_text="Easy-read markup: '# [icon] Heading', '- ', '> '.")
    published_at = serializers.DateTimeField()
    approved_at = serializers.DateTimeField(allow_null=True)
    approved_by = serializers.CharField(
        source="approved_by.full_name", default=None, allow_null=True
    )


class TextApi(APIView):
    """The version of a text in force: welcome, the privacy explainer, the consent texts."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(tags=[TAG], responses={200: TextSerializer, **error_responses(404)})
    def get(self, request, key: str):
        text = selectors.content_current(key=key) if key in ContentVersion.Key.values else None
        if text is None:
            raise NotFound("No such text.")
        return Response(TextSerializer(text).data)


class ConsentSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    kind = serializers.ChoiceField(choices=Consent.Kind.choices)
    version = serializers.IntegerField(
        source="text.version", min_value=1, help_text="The version of the words agreed to."
    )
    given_at = serializers.DateTimeField(read_only=True)
    withdrawn_at = serializers.DateTimeField(read_only=True, allow_null=True)
    withdrawal_reason = serializers.CharField(read_only=True)


class ConsentListCreateApi(APIView):
    """The patient's consents, newest first; POST agrees to the version of the words read."""

    permission_classes = [IsPatient]

    @extend_schema(
        tags=[TAG], responses={200: ConsentSerializer(many=True), **error_responses(401, 403)}
    )
    def get(self, request):
        return Response(
            ConsentSerializer(selectors.consent_list(patient=request.user), many=True).data
        )

    @extend_schema(
        tags=[TAG],
        request=ConsentSerializer,
        responses={
            201: ConsentSerializer,
            **error_responses(400, 401, 403),
            409: OpenApiResponse(
                response=ErrorSerializer,
                description="The words changed: `errors.version` is the version in force; "
                "read it and agree to it. Nothing was recorded.",
            ),
        },
    )
    def post(self, request):
        serializer = ConsentSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            consent = services.consent_give(
                patient=request.user,
                by=request.user,
                kind=serializer.validated_data["kind"],
                version=serializer.validated_data["text"]["version"],
                request=request,
            )
        except services.StaleText as exc:
            # The one error shape; `errors.version` holds the version in force to read.
            return Response(
                {
                    "detail": "The words have changed since this version. Read the current "
                    "version and agree to it. Nothing was recorded.",
                    "code": "stale_version",
                    "errors": {"version": [str(exc.current.version)]},
                },
                status=status.HTTP_409_CONFLICT,
            )
        return Response(ConsentSerializer(consent).data, status=status.HTTP_201_CREATED)


class WithdrawSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(
        choices=[
            choice
            for choice in Consent.WithdrawalReason.choices
            if choice[0] != Consent.WithdrawalReason.SUPERSEDED
        ]
    )


class ConsentWithdrawApi(APIView):
    """Withdraw a consent. Withdrawing from the programme closes it (crisis help stays open)."""

    permission_classes = [IsPatient]

    @extend_schema(
        tags=[TAG],
        request=WithdrawSerializer,
        responses={
            200: ConsentSerializer,
            **error_responses(400, 401, 403, 404, 409),
        },
    )
    def post(self, request, kind: str):
        if kind not in Consent.Kind.values:
            raise NotFound("No such consent.")
        serializer = WithdrawSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        consent = services.consent_withdraw(
            patient=request.user,
            by=request.user,
            kind=kind,
            reason=serializer.validated_data["reason"],
            request=request,
        )
        return Response(ConsentSerializer(consent).data)
