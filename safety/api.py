"""API of safety: crisis resources (public), flag triage for clinicians, the patient's plan."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api_permissions import IsClinician, IsPatient
from accounts.models import Role, User
from core.api.errors import error_responses
from safety import selectors, services
from safety.models import Flag, FlagEvent
from safety.selectors import crisis_resource_list
from safety.services.flags import MAX_NOTE_LENGTH
from safety.services.plans import MAX_SECTION_LENGTH


class CrisisResourceSerializer(serializers.Serializer):
    name = serializers.CharField()
    how = serializers.CharField()
    href = serializers.CharField(allow_blank=True)
    when = serializers.CharField()


class CrisisResourceListApi(APIView):
    """Where to get help now. Public: no login needed."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    # Never rate-limited: a ward or a hostel behind one address must always get these.
    throttle_classes: list = []

    @extend_schema(tags=["safety"], responses={200: CrisisResourceSerializer(many=True)})
    def get(self, request):
        return Response(CrisisResourceSerializer(crisis_resource_list(), many=True).data)


class FlagSerializer(serializers.ModelSerializer):
    patient_id = serializers.IntegerField(read_only=True)
    patient_name = serializers.CharField(source="patient.full_name", read_only=True)
    handled_by_id = serializers.IntegerField(read_only=True, allow_null=True)
    # Empty until the flag is resolved (DRF drops allow_blank from read-only model fields, so
    # the schema said one of the outcomes, never "").
    outcome = serializers.ChoiceField(
        choices=Flag.Outcome.choices, allow_blank=True, read_only=True
    )

    class Meta:
        model = Flag
        fields = [
            "id",
            "patient_id",
            "patient_name",
            "source",
            "category",
            "severity",
            "summary",
            "status",
            "ack_deadline",
            "escalation_level",
            "handled_by_id",
            "acknowledged_at",
            "resolved_at",
            "outcome",
            "signal_count",
            "created_at",
        ]
        read_only_fields = fields


class FlagEventSerializer(serializers.ModelSerializer):
    actor_id = serializers.IntegerField(read_only=True, allow_null=True)

    class Meta:
        model = FlagEvent
        fields = ["at", "kind", "actor_id", "note"]
        read_only_fields = fields


class FlagDetailSerializer(FlagSerializer):
    events = FlagEventSerializer(many=True, read_only=True)

    class Meta(FlagSerializer.Meta):
        fields = [*FlagSerializer.Meta.fields, "events"]
        read_only_fields = fields


class FlagNoteSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=MAX_NOTE_LENGTH, allow_blank=True, default="")
    contact_made = serializers.BooleanField(default=False)


class FlagResolveSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=Flag.Outcome.choices)
    note = serializers.CharField(max_length=MAX_NOTE_LENGTH, allow_blank=True, default="")


class FlagHandOverSerializer(serializers.Serializer):
    to = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(role=Role.CLINICIAN, is_active=True)
    )
    note = serializers.CharField(max_length=MAX_NOTE_LENGTH, allow_blank=True, default="")


class FlagListApi(ListAPIView):
    """The clinician's active flags, most urgent and oldest first."""

    permission_classes = [IsClinician]
    serializer_class = FlagSerializer

    def get_queryset(self):
        return selectors.flag_queue_for(user=self.request.user)

    @extend_schema(
        tags=["safety"], responses={200: FlagSerializer(many=True), **error_responses(401, 403)}
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class FlagDetailApi(APIView):
    """One flag with its history. The read is audited."""

    permission_classes = [IsClinician]

    @extend_schema(
        tags=["safety"], responses={200: FlagDetailSerializer, **error_responses(401, 403, 404)}
    )
    def get(self, request, flag_id: int):
        flag = selectors.flag_get_for_staff(user=request.user, flag_id=flag_id, request=request)
        return Response(FlagDetailSerializer(flag).data)


class FlagAcknowledgeApi(APIView):
    """Acknowledge an open flag: "I am dealing with this"."""

    permission_classes = [IsClinician]

    @extend_schema(
        tags=["safety"],
        request=None,
        responses={200: FlagSerializer, **error_responses(401, 403, 404, 409)},
    )
    def post(self, request, flag_id: int):
        flag = selectors.flag_get_for_staff(user=request.user, flag_id=flag_id, request=request)
        return Response(FlagSerializer(services.flag_acknowledge(flag=flag, by=request.user)).data)


class FlagNoteApi(APIView):
    """Add an encrypted note, or record that contact was made."""

    permission_classes = [IsClinician]

    @extend_schema(
        tags=["safety"],
        request=FlagNoteSerializer,
        responses={201: FlagEventSerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    def post(self, request, flag_id: int):
        flag = selectors.flag_get_for_staff(user=request.user, flag_id=flag_id, request=request)
        serializer = FlagNoteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        event = services.flag_note_add(flag=flag, by=request.user, **serializer.validated_data)
        return Response(FlagEventSerializer(event).data, status=status.HTTP_201_CREATED)


class FlagResolveApi(APIView):
    """Resolve a flag with its outcome."""

    permission_classes = [IsClinician]

    @extend_schema(
        tags=["safety"],
        request=FlagResolveSerializer,
        responses={200: FlagSerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    def post(self, request, flag_id: int):
        flag = selectors.flag_get_for_staff(user=request.user, flag_id=flag_id, request=request)
        serializer = FlagResolveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        flag = services.flag_resolve(flag=flag, by=request.user, **serializer.validated_data)
        return Response(FlagSerializer(flag).data)


class FlagHandOverApi(APIView):
    """Hand a flag over to another clinician."""

    permission_classes = [IsClinician]

    @extend_schema(
        tags=["safety"],
        request=FlagHandOverSerializer,
        responses={200: FlagSerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    def post(self, request, flag_id: int):
        flag = selectors.flag_get_for_staff(user=request.user, flag_id=flag_id, request=request)
        serializer = FlagHandOverSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        flag = services.flag_hand_over(flag=flag, by=request.user, **serializer.validated_data)
        return Response(FlagSerializer(flag).data)


class SafetyPlanSerializer(serializers.Serializer):
    warning_signs = serializers.CharField(max_length=MAX_SECTION_LENGTH, allow_blank=True)
    coping_strategies = serializers.CharField(max_length=MAX_SECTION_LENGTH, allow_blank=True)
    distractions = serializers.CharField(max_length=MAX_SECTION_LENGTH, allow_blank=True)
    people_to_ask = serializers.CharField(max_length=MAX_SECTION_LENGTH, allow_blank=True)
    professionals = serializers.CharField(max_length=MAX_SECTION_LENGTH, allow_blank=True)
    safe_environment = serializers.CharField(max_length=MAX_SECTION_LENGTH, allow_blank=True)
    reasons_to_live = serializers.CharField(max_length=MAX_SECTION_LENGTH, allow_blank=True)
    updated_at = serializers.DateTimeField(read_only=True)


class SafetyPlanApi(APIView):
    """The logged-in patient's own safety plan. PATCH changes only the sections sent."""

    permission_classes = [IsPatient]

    @extend_schema(
        tags=["safety"], responses={200: SafetyPlanSerializer, **error_responses(401, 403)}
    )
    def get(self, request):
        return Response(SafetyPlanSerializer(selectors.safety_plan_for(patient=request.user)).data)

    @extend_schema(
        tags=["safety"],
        request=SafetyPlanSerializer,
        responses={200: SafetyPlanSerializer, **error_responses(400, 401, 403)},
    )
    def patch(self, request):
        serializer = SafetyPlanSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        plan = services.safety_plan_update(
            patient=request.user, by=request.user, sections=serializer.validated_data
        )
        return Response(SafetyPlanSerializer(plan).data)
