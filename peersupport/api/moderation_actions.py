"""API of moderation, for peer specialists: what they do. Approve, reject with a kind message,
edit out personal details, remove, lock and pin posts; mute, unmute and remove members; hand a
worry to the clinician; close reports.

The selectors answer 404 for a post, membership or report outside the groups the peer specialist
moderates, and nothing changes. Input is checked first (400, nothing changed); then one service
makes the change and records it (who, what, when, why); a change the object's state does not allow
is a 409.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api_permissions import IsPeer
from core.api.errors import error_responses
from peersupport import selectors, services
from peersupport.api.common import TAG_MODERATION, body_field, denied_as_not_found
from peersupport.api.moderation import (
    ModerationMembershipSerializer,
    ModerationPostSerializer,
    ModerationReportSerializer,
)
from peersupport.models import Membership, Post
from peersupport.services import MAX_MODERATOR_MESSAGE_CHARS as MAX_TO_AUTHOR_CHARS
from peersupport.services import MAX_REASON_CHARS
from safety.models import Severity

TAG = TAG_MODERATION
WORRIED_SEVERITIES = (Severity.MEDIUM, Severity.HIGH, Severity.CRITICAL)
WORRIED_DONE = "The clinician has been told. If someone is in immediate danger, call 999 now."


def _text(limit: int, *, required: bool, what: str, help_text: str) -> serializers.CharField:
    empty = f"Write {what}."
    return serializers.CharField(
        max_length=limit,
        required=required,
        allow_blank=not required,
        default=serializers.empty if required else "",
        help_text=help_text,
        error_messages={
            "required": empty,
            "blank": empty,
            "null": empty,
            "max_length": f"Keep it under {limit:,} characters.",
        },
    )


# --- Actions on posts ----------------------------------------------------------------------------


class MessageToAuthorSerializer(serializers.Serializer):
    message = _text(
        MAX_TO_AUTHOR_CHARS,
        required=True,
        what="a kind message to the author, or choose one",
        help_text="What the author reads beside their post: a template's text or your own.",
    )


class EditOutSerializer(serializers.Serializer):
    body = body_field(
        services.MAX_POST_CHARS,
        empty="Write the post.",
        help_text="The author's words without the personal details. Screened again.",
    )
    reason = _text(MAX_REASON_CHARS, required=False, what="why", help_text="For the record.")
    publish = serializers.BooleanField(
        default=False, help_text="Also approve a held post in the same step."
    )


class LockSerializer(serializers.Serializer):
    locked = serializers.BooleanField(
        help_text="True closes the conversation to new replies; false opens it again.",
        error_messages={"required": "Say whether to close or open the conversation."},
    )
    reason = _text(MAX_REASON_CHARS, required=False, what="why", help_text="For the record.")


class PinSerializer(serializers.Serializer):
    pinned = serializers.BooleanField(
        error_messages={"required": "Say whether to pin or unpin the conversation."}
    )


class WorriedSerializer(serializers.Serializer):
    note = _text(
        MAX_REASON_CHARS,
        required=True,
        what="what worries you, for the clinician",
        help_text="What worries you, for the member's clinician. Stored encrypted.",
    )
    # A string, not an enum: the flags' own `severity` enum has `low` too, which a worry is not.
    severity = serializers.CharField(
        default=Severity.HIGH,
        help_text="How urgent: `medium`, `high` (the default) or `critical`.",
    )

    def validate_severity(self, value: str) -> str:
        if value not in WORRIED_SEVERITIES:
            raise serializers.ValidationError("Choose how urgent this is.")
        return value


class WorriedResultSerializer(serializers.Serializer):
    flag_id = serializers.IntegerField()
    severity = serializers.CharField()
    message = serializers.CharField()


def _worried(request, *, group, member, post=None) -> Response:
    data = _valid(WorriedSerializer, request)
    with denied_as_not_found():
        flag = services.member_worried(
            group=group, member=member, by=request.user, post=post, request=request, **data
        )
    return Response(
        WorriedResultSerializer(
            {"flag_id": flag.pk, "severity": flag.severity, "message": WORRIED_DONE}
        ).data,
        status=status.HTTP_201_CREATED,
    )


class _PostActionApi(APIView):
    """A POST acting on a post in a group the peer specialist moderates: the selector answers
    404 for any other post, the input is checked, and `act` calls the one service."""

    permission_classes = [IsPeer]
    input_serializer: type[serializers.Serializer] | None = None

    def act(self, request, post: Post, **data) -> Post:
        raise NotImplementedError

    def post(self, request, post_id: int):
        post = selectors.post_get_for_moderator(user=request.user, post_id=post_id)
        with denied_as_not_found():
            post = self.act(request, post, **_valid(self.input_serializer, request))
        return Response(ModerationPostSerializer(post).data)


def _valid(serializer_class, request) -> dict:
    if serializer_class is None:
        return {}
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _post_action_schema(input_serializer, *codes: int, description: str = ""):
    return extend_schema_view(
        post=extend_schema(
            tags=[TAG],
            request=input_serializer,
            responses={200: ModerationPostSerializer, **error_responses(*codes)},
            description=description,
        )
    )


@_post_action_schema(None, 401, 403, 404, 409)
class PostApproveApi(_PostActionApi):
    """Publish a held post; its author is told. A post not waiting for a moderator is a 409."""

    def act(self, request, post, **data):
        return services.post_approve(post=post, by=request.user, request=request)


@_post_action_schema(MessageToAuthorSerializer, 400, 401, 403, 404, 409)
class PostRejectApi(_PostActionApi):
    """Do not publish a held post; the author reads the kind message beside it."""

    input_serializer = MessageToAuthorSerializer

    def act(self, request, post, **data):
        return services.post_reject(post=post, by=request.user, request=request, **data)


@_post_action_schema(
    EditOutSerializer,
    400,
    401,
    403,
    404,
    409,
    description="Text that still shares personal details, or that is unchanged, is refused.",
)
class PostEditApi(_PostActionApi):
    """Take personal details out of a member's held or shared post (the author is told); with
    `publish`, approve a held post in the same step."""

    input_serializer = EditOutSerializer

    def act(self, request, post, **data):
        return services.post_edit_out(post=post, by=request.user, request=request, **data)


@_post_action_schema(MessageToAuthorSerializer, 400, 401, 403, 404, 409)
class PostRemoveApi(_PostActionApi):
    """Take a shared post down; the author reads the kind message. Open reports on it close."""

    input_serializer = MessageToAuthorSerializer

    def act(self, request, post, **data):
        return services.post_remove(post=post, by=request.user, request=request, **data)


@_post_action_schema(
    LockSerializer,
    400,
    401,
    403,
    404,
    409,
    description="Only an opening post is locked (400 for a reply); the same way twice is a 409.",
)
class ThreadLockApi(_PostActionApi):
    """Close a conversation to new replies, or open it again."""

    input_serializer = LockSerializer

    def act(self, request, post, **data):
        return services.thread_lock(post=post, by=request.user, request=request, **data)


@_post_action_schema(
    PinSerializer,
    400,
    401,
    403,
    404,
    409,
    description="Only a shared opening post is pinned (400 otherwise); the same way twice is a "
    "409.",
)
class PostPinApi(_PostActionApi):
    """Pin a shared conversation to the top of its group, or unpin it."""

    input_serializer = PinSerializer

    def act(self, request, post, **data):
        return services.post_pin(post=post, by=request.user, request=request, **data)


class PostWorriedApi(APIView):
    """ "I'm worried about this person": a flag to the author's clinician, with the note. Open
    "worried" reports on the post close with it."""

    permission_classes = [IsPeer]

    @extend_schema(
        tags=[TAG],
        request=WorriedSerializer,
        responses={201: WorriedResultSerializer, **error_responses(400, 401, 403, 404)},
    )
    def post(self, request, post_id: int):
        post = selectors.post_get_for_moderator(user=request.user, post_id=post_id)
        return _worried(request, group=post.group, member=post.author, post=post)


# --- Members -------------------------------------------------------------------------------------


class MuteSerializer(serializers.Serializer):
    days = serializers.ChoiceField(
        choices=[(days, f"{days} days") for days in services.MUTE_DAYS],
        error_messages={
            "required": "Choose how long to pause their posting.",
            "invalid_choice": "Choose how long to pause their posting.",
        },
    )
    reason = _text(MAX_REASON_CHARS, required=True, what="why", help_text="For the record.")


class MemberRemoveSerializer(serializers.Serializer):
    reason = _text(MAX_REASON_CHARS, required=True, what="why", help_text="For the record.")


class _MembershipActionApi(APIView):
    """A POST acting on a membership of a group the peer specialist moderates: the selector
    answers 404 for any other, the input is checked, and `act` calls the one service."""

    permission_classes = [IsPeer]
    input_serializer: type[serializers.Serializer] | None = None

    def act(self, request, membership: Membership, **data) -> Membership:
        raise NotImplementedError

    def post(self, request, membership_id: int):
        membership = selectors.membership_get_for_moderator(
            user=request.user, membership_id=membership_id
        )
        with denied_as_not_found():
            membership = self.act(request, membership, **_valid(self.input_serializer, request))
        return Response(ModerationMembershipSerializer(membership).data)


def _membership_action_schema(input_serializer, *codes: int):
    return extend_schema_view(
        post=extend_schema(
            tags=[TAG],
            request=input_serializer,
            responses={200: ModerationMembershipSerializer, **error_responses(*codes)},
        )
    )


@_membership_action_schema(MuteSerializer, 400, 401, 403, 404, 409)
class MemberMuteApi(_MembershipActionApi):
    """Pause a member's posting in the group for some days; they still read it and are told
    until when. A member no longer in the group is a 409."""

    input_serializer = MuteSerializer

    def act(self, request, membership, **data):
        return services.member_mute(membership=membership, by=request.user, request=request, **data)


@_membership_action_schema(None, 401, 403, 404, 409)
class MemberUnmuteApi(_MembershipActionApi):
    """Let a paused member post again. A member who is not paused is a 409."""

    def act(self, request, membership, **data):
        return services.member_unmute(membership=membership, by=request.user, request=request)


@_membership_action_schema(MemberRemoveSerializer, 400, 401, 403, 404, 409)
class MemberRemoveApi(_MembershipActionApi):
    """Remove a member from the group: they cannot join it again, and are told. Their posts
    stay under their group name."""

    input_serializer = MemberRemoveSerializer

    def act(self, request, membership, **data):
        return services.member_remove(
            membership=membership, by=request.user, request=request, **data
        )


class MemberWorriedApi(APIView):
    """ "I'm worried about this person": a flag to the member's clinician, with the note."""

    permission_classes = [IsPeer]

    @extend_schema(
        tags=[TAG],
        request=WorriedSerializer,
        responses={201: WorriedResultSerializer, **error_responses(400, 401, 403, 404)},
    )
    def post(self, request, membership_id: int):
        membership = selectors.membership_get_for_moderator(
            user=request.user, membership_id=membership_id
        )
        return _worried(request, group=membership.group, member=membership.member)


# --- Reports -------------------------------------------------------------------------------------


# --- Reports, templates, the log -----------------------------------------------------------------


class ReportCloseSerializer(serializers.Serializer):
    note = _text(MAX_REASON_CHARS, required=False, what="a note", help_text="For the record.")


class ReportCloseApi(APIView):
    """Close a report after looking at it, with nothing else to do."""

    permission_classes = [IsPeer]

    @extend_schema(
        tags=[TAG],
        request=ReportCloseSerializer,
        responses={200: ModerationReportSerializer, **error_responses(400, 401, 403, 404, 409)},
        description="A report already dealt with is a 409.",
    )
    def post(self, request, report_id: int):
        report = selectors.report_get_for_moderator(user=request.user, report_id=report_id)
        serializer = ReportCloseSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with denied_as_not_found():
            report = services.report_close(
                report=report, by=request.user, request=request, **serializer.validated_data
            )
        return Response(ModerationReportSerializer(report).data)
