"""API of the peer groups for members (patients): their group name and the community
guidelines, the groups they can join, joining and leaving, and their own posts with what
happened to each.

Every route is the logged-in patient's own. Groups are named by their slug, as on the pages.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api_permissions import IsPatient
from core.api.errors import error_responses
from core.api.pagination import StandardPagination
from peersupport import selectors, services
from peersupport.api.common import (
    TAG_MEMBERS,
    GroupRefSerializer,
    denied_as_not_found,
    paginated,
)
from peersupport.models import Post

TAG = TAG_MEMBERS
# Long enough for spaces the check tidies away; the service says what is too long (as the page).
PSEUDONYM_INPUT_CHARS = 60


# --- A group name and the guidelines -------------------------------------------------------------


class PeerMemberSerializer(serializers.Serializer):
    pseudonym = serializers.CharField(
        allow_null=True, help_text="The name they go by in every group; null until chosen."
    )
    guidelines_version = serializers.CharField(
        allow_blank=True, help_text="The version of the guidelines they accepted; empty if none."
    )
    guidelines_accepted_at = serializers.DateTimeField(allow_null=True)
    current_guidelines_version = serializers.CharField(
        help_text="The version in force: accept it (POST peer-member/guidelines/) to join groups."
    )
    ready = serializers.BooleanField(
        help_text="A group name chosen and the current guidelines accepted: they can join groups."
    )


def _peer_member_data(member) -> dict:
    current = services.GUIDELINES_VERSION
    return {
        "pseudonym": member.pseudonym if member else None,
        "guidelines_version": member.guidelines_version if member else "",
        "guidelines_accepted_at": member.guidelines_accepted_at if member else None,
        "current_guidelines_version": current,
        "ready": member is not None and member.guidelines_version == current,
    }


class PseudonymSerializer(serializers.Serializer):
    pseudonym = serializers.CharField(
        max_length=PSEUDONYM_INPUT_CHARS,
        help_text="3 to 24 letters or numbers, unique in Exhale, saying nothing about who they "
        "are: not their name, an email, a phone number or a web address.",
        error_messages={
            "required": "Choose a name first.",
            "blank": "Choose a name first.",
            "null": "Choose a name first.",
            "max_length": "Choose a name of at most 24 characters.",
        },
    )


class GuidelinesAcceptSerializer(serializers.Serializer):
    version = serializers.CharField(
        max_length=16,
        help_text="The version of the guidelines they read (`current_guidelines_version`).",
        error_messages={"required": "Say which version of the guidelines you read."},
    )


class PeerMemberApi(APIView):
    """The logged-in patient's group name and the community guidelines they accepted."""

    permission_classes = [IsPatient]

    @extend_schema(tags=[TAG], responses={200: PeerMemberSerializer, **error_responses(401, 403)})
    def get(self, request):
        member = selectors.peer_member_for(user=request.user)
        return Response(PeerMemberSerializer(_peer_member_data(member)).data)

    @extend_schema(
        tags=[TAG],
        request=PseudonymSerializer,
        responses={
            200: OpenApiResponse(PeerMemberSerializer, description="The name was changed."),
            201: OpenApiResponse(PeerMemberSerializer, description="The first name was chosen."),
            **error_responses(400, 401, 403),
        },
        description="Choose or change the name they go by in every group. A name that could "
        "identify them (their own name, a full name, an email, a phone number, a web address) "
        "or that somebody else goes by is refused with the reason, and nothing is changed.",
    )
    def put(self, request):
        serializer = PseudonymSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        existed = selectors.peer_member_for(user=request.user) is not None
        member = services.peer_member_set_pseudonym(
            user=request.user, pseudonym=serializer.validated_data["pseudonym"]
        )
        return Response(
            PeerMemberSerializer(_peer_member_data(member)).data,
            status=status.HTTP_200_OK if existed else status.HTTP_201_CREATED,
        )

    @extend_schema(
        tags=[TAG],
        request=PseudonymSerializer,
        responses={
            200: OpenApiResponse(PeerMemberSerializer, description="The name was changed."),
            201: OpenApiResponse(PeerMemberSerializer, description="The first name was chosen."),
            **error_responses(400, 401, 403),
        },
        description="As PUT, but without `pseudonym` nothing changes.",
    )
    def patch(self, request):
        serializer = PseudonymSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        if "pseudonym" not in serializer.validated_data:
            return self.get(request)
        return self.put(request)


class GuidelinesAcceptApi(APIView):
    """Accept the community guidelines (after choosing a group name)."""

    permission_classes = [IsPatient]

    @extend_schema(
        tags=[TAG],
        request=GuidelinesAcceptSerializer,
        responses={200: PeerMemberSerializer, **error_responses(400, 401, 403)},
        description="Accept the version in force (`current_guidelines_version`); an older "
        "version is refused (the guidelines have changed: read them again).",
    )
    def post(self, request):
        serializer = GuidelinesAcceptSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        member = services.guidelines_accept(
            user=request.user, version=serializer.validated_data["version"]
        )
        return Response(PeerMemberSerializer(_peer_member_data(member)).data)


# --- Groups --------------------------------------------------------------------------------------


class GroupSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    slug = serializers.CharField(help_text="Names the group in URLs.")
    name = serializers.CharField()
    kind = serializers.CharField(help_text="`cohort` (joined in the same month) or `topic`.")
    description = serializers.CharField(help_text="Who the group is for, in plain words.")
    is_open = serializers.BooleanField(help_text="Whether it takes new members.")
    member_count = serializers.IntegerField()
    is_member = serializers.BooleanField()


class MembershipSerializer(serializers.Serializer):
    group = GroupRefSerializer()
    is_member = serializers.BooleanField(source="is_current")
    joined_at = serializers.DateTimeField()
    left_at = serializers.DateTimeField(allow_null=True)
    muted_until = serializers.SerializerMethodField(
        help_text="Until when a peer specialist has paused their posting here; null if not."
    )

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_muted_until(self, membership) -> str | None:
        if not membership.is_muted():
            return None
        return serializers.DateTimeField().to_representation(membership.muted_until)


class GroupListApi(APIView):
    """The groups the patient is in (first) and the open groups they can join."""

    permission_classes = [IsPatient]
    pagination_class = StandardPagination

    @extend_schema(
        tags=[TAG], responses={200: GroupSerializer(many=True), **error_responses(401, 403)}
    )
    def get(self, request):
        return paginated(
            self, request, selectors.groups_for_patient(user=request.user), GroupSerializer
        )


class GroupJoinApi(APIView):
    """Join an open group."""

    permission_classes = [IsPatient]

    @extend_schema(
        tags=[TAG],
        request=None,
        responses={200: MembershipSerializer, **error_responses(400, 401, 403, 404)},
        description="Needs a group name and the current guidelines accepted. Joining a group "
        "one is in already changes nothing. A closed group, or one a peer specialist removed "
        "them from, is refused with the reason.",
    )
    def post(self, request, slug: str):
        group = selectors.group_get_by_slug(slug=slug)
        with denied_as_not_found():
            membership = services.group_join(user=request.user, group=group)
        return Response(MembershipSerializer(membership).data)


class GroupLeaveApi(APIView):
    """Leave a group. What they posted stays, under their group name."""

    permission_classes = [IsPatient]

    @extend_schema(
        tags=[TAG],
        request=None,
        responses={200: MembershipSerializer, **error_responses(400, 401, 403, 404)},
    )
    def post(self, request, slug: str):
        group = selectors.group_get_by_slug(slug=slug)
        membership = services.group_leave(user=request.user, group=group)
        return Response(MembershipSerializer(membership).data)


# --- My posts ------------------------------------------------------------------------------------


class MyPostSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    group = GroupRefSerializer()
    thread_id = serializers.IntegerField()
    parent_id = serializers.IntegerField(allow_null=True)
    body = serializers.CharField()
    status = serializers.CharField(
        help_text="`published`, `held` (waiting for a moderator), `rejected` (not published) "
        "or `removed` (taken down by a moderator)."
    )
    status_label = serializers.CharField(source="get_status_display")
    held_reason = serializers.SerializerMethodField(
        help_text="Why it waits for a moderator, in plain words; else empty."
    )
    moderator_message = serializers.CharField(
        help_text="What the peer specialist told them: why it was not published or was "
        "removed, or that personal details were taken out."
    )
    edited_by_moderator_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    published_at = serializers.DateTimeField(allow_null=True)

    def get_held_reason(self, post: Post) -> str:
        return post.reason_for_author


class MyPostListApi(APIView):
    """Everything the patient has posted, newest first, with what happened to each and why."""

    permission_classes = [IsPatient]
    pagination_class = StandardPagination

    @extend_schema(
        tags=[TAG], responses={200: MyPostSerializer(many=True), **error_responses(401, 403)}
    )
    def get(self, request):
        return paginated(
            self, request, selectors.posts_by_author(user=request.user), MyPostSerializer
        )
