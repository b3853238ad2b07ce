"""API of accounts: who am I, the caseload, invitations."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import permissions, selectors, services
from accounts.api_permissions import CanInvite, IsCareTeamStaff
from accounts.models import Invitation, PatientProfile, Role, User
from core.api.errors import error_responses
from core.api.pagination import StandardPagination


class MeSerializer(serializers.ModelSerializer):
    display_name = serializers.CharField(read_only=True)

    class Meta:
        model = User
        fields = ["id", "email", "full_name", "display_name", "role"]
        read_only_fields = fields


class UserMeApi(APIView):
    """The logged-in user."""

    @extend_schema(tags=["accounts"], responses={200: MeSerializer, **error_responses(401, 403)})
    def get(self, request):
        return Response(MeSerializer(request.user).data)


class CareTeamMemberSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "full_name", "role"]
        read_only_fields = fields


class PatientSerializer(serializers.Serializer):
    """What a care-team member sees of a patient. Peers do not get contact details."""

    id = serializers.IntegerField(source="user_id")
    display_name = serializers.CharField(source="user.display_name")
    full_name = serializers.SerializerMethodField()
    email = serializers.SerializerMethodField()
    discharged_on = serializers.DateField(allow_null=True)
    programme_status = serializers.CharField()
    clinician = CareTeamMemberSerializer()
    backup_clinician = CareTeamMemberSerializer(allow_null=True)
    peer_specialist = CareTeamMemberSerializer(allow_null=True)

    def _contact(self, profile: PatientProfile) -> bool:
        return permissions.can_see_patient_contact_details(self.context["request"].user, profile)

    def get_full_name(self, profile: PatientProfile) -> str | None:
        return profile.user.full_name if self._contact(profile) else None

    def get_email(self, profile: PatientProfile) -> str | None:
        return profile.user.email if self._contact(profile) else None


class PatientListApi(ListAPIView):
    """The user's caseload: a clinician's patients (named or backup), a peer's assigned ones."""

    permission_classes = [IsCareTeamStaff]
    serializer_class = PatientSerializer

    def get_queryset(self):
        return selectors.caseload_list(user=self.request.user)

    @extend_schema(
        tags=["patients"],
        responses={200: PatientSerializer(many=True), **error_responses(401, 403)},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class PatientDetailApi(APIView):
    """One patient of the user's care team. The read is written to the audit log."""

    permission_classes = [IsCareTeamStaff]

    @extend_schema(
        tags=["patients"], responses={200: PatientSerializer, **error_responses(401, 403, 404)}
    )
    def get(self, request, patient_id: int):
        profile = selectors.patient_get_for_staff(
            user=request.user, patient_id=patient_id, request=request, purpose="api"
        )
        return Response(PatientSerializer(profile, context={"request": request}).data)


class InvitationSerializer(serializers.ModelSerializer):
    status = serializers.CharField(read_only=True)

    class Meta:
        model = Invitation
        fields = [
            "id",
            "email",
            "full_name",
            "role",
            "status",
            "created_at",
            "expires_at",
            "sent_at",
            "accepted_at",
            "revoked_at",
            "clinician",
            "backup_clinician",
            "peer_specialist",
            "discharged_on",
        ]
        read_only_fields = fields


class InvitationCreateSerializer(serializers.Serializer):
    email = serializers.EmailField()
    full_name = serializers.CharField(max_length=150)
    role = serializers.ChoiceField(choices=Role.choices, default=Role.PATIENT)
    clinician = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(role=Role.CLINICIAN, is_active=True),
        required=False,
        allow_null=True,
        help_text="Required when an admin invites a patient; a clinician invites to their own.",
    )
    backup_clinician = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(role=Role.CLINICIAN, is_active=True),
        required=False,
        allow_null=True,
    )
    peer_specialist = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(role=Role.PEER, is_active=True),
        required=False,
        allow_null=True,
    )
    discharged_on = serializers.DateField(required=False, allow_null=True)


class InvitationListCreateApi(APIView):
    """Invitations the user sent or that join their caseload (admins: all); send a new one."""

    permission_classes = [CanInvite]
    # Also tells the schema that the list is paginated, as the response is.
    pagination_class = StandardPagination

    @extend_schema(
        tags=["invitations"],
        responses={200: InvitationSerializer(many=True), **error_responses(401, 403)},
    )
    def get(self, request):
        paginator = self._paginator()
        page = paginator.paginate_queryset(
            selectors.invitation_list_for(user=request.user), request
        )
        return paginator.get_paginated_response(InvitationSerializer(page, many=True).data)

    @extend_schema(
        tags=["invitations"],
        request=InvitationCreateSerializer,
        responses={201: InvitationSerializer, **error_responses(400, 401, 403)},
    )
    def post(self, request):
        serializer = InvitationCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        if not permissions.can_invite(request.user, serializer.validated_data["role"]):
            raise PermissionDenied("Your role cannot send this kind of invitation.")
        invitation = services.invitation_create(
            invited_by=request.user, **serializer.validated_data
        )
        return Response(InvitationSerializer(invitation).data, status=status.HTTP_201_CREATED)

    def _paginator(self):
        return self.pagination_class()


class InvitationRevokeApi(APIView):
    """Revoke an invitation that has not been accepted."""

    permission_classes = [CanInvite]

    @extend_schema(
        tags=["invitations"],
        request=None,
        responses={200: InvitationSerializer, **error_responses(401, 403, 404, 409)},
    )
    def post(self, request, invitation_id: int):
        invitation = selectors.invitation_get_for_manager(
            user=request.user, invitation_id=invitation_id
        )
        invitation = services.invitation_revoke(invitation=invitation, by=request.user)
        return Response(InvitationSerializer(invitation).data)
