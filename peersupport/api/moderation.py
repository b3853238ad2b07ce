"""API of moderation, for peer specialists: what they read. The queue, one post with what is
needed to decide, a group's members, the message templates; and the moderation log, which admins
read in full. (The actions: moderation_actions.py.)

The selectors answer 404 for a post, member or group outside the groups the peer specialist
moderates. Members appear by their group name only: who they really are is not in this API.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api_permissions import IsPeer, IsPeerOrAdmin
from core.api.errors import error_responses
from core.api.pagination import StandardPagination
from core.converters import MAX_ID
from peersupport import selectors
from peersupport.api.common import (
    TAG_MODERATION,
    AuthorMixin,
    GroupRefSerializer,
    paginated,
    pseudonym_of,
)
from peersupport.models import Post

TAG = TAG_MODERATION


# --- What moderators see -------------------------------------------------------------------------


class ModerationPostBriefSerializer(AuthorMixin, serializers.Serializer):
    """A post as moderators see it, where its group goes without saying (a conversation's
    replies)."""

    id = serializers.IntegerField()
    thread_id = serializers.IntegerField()
    parent_id = serializers.IntegerField(allow_null=True)
    kind = serializers.CharField()
    body = serializers.CharField(help_text="As written: plain text, never HTML.")
    status = serializers.CharField(help_text="`published`, `held`, `rejected` or `removed`.")
    held_reason = serializers.CharField(help_text="Why the screening held it; else empty.")
    screening_categories = serializers.ListField(child=serializers.CharField())
    flag_raised = serializers.SerializerMethodField(
        help_text="A safety flag went to the author's clinician (a crisis)."
    )
    is_pinned = serializers.BooleanField()
    is_locked = serializers.BooleanField()
    moderator_message = serializers.CharField(help_text="What the author was told.")
    edited_by_moderator_at = serializers.DateTimeField(allow_null=True)
    moderated_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    published_at = serializers.DateTimeField(allow_null=True)

    def get_flag_raised(self, post: Post) -> bool:
        return bool(post.flag_ref)


class ModerationPostSerializer(ModerationPostBriefSerializer):
    group = GroupRefSerializer()


class EvidenceSerializer(serializers.Serializer):
    category = serializers.CharField()
    rule_id = serializers.CharField()
    excerpt = serializers.CharField(help_text="The author's words that the rule matched.")
    reason = serializers.CharField()
    severity = serializers.CharField()


class ModerationReportSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    post_id = serializers.IntegerField()
    reason = serializers.CharField()
    reason_label = serializers.CharField(source="get_reason_display")
    note = serializers.CharField(help_text="The reporter's note.")
    reporter = serializers.SerializerMethodField(help_text="The reporter's group name.")
    created_at = serializers.DateTimeField()
    handled_at = serializers.DateTimeField(allow_null=True)
    outcome = serializers.CharField(help_text="Empty while open.")

    def get_reporter(self, report) -> str:
        return pseudonym_of(report.reporter)


class QueueItemSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text="`held` or `reported`.")
    urgency = serializers.IntegerField(help_text="0 is the most urgent (a crisis).")
    since = serializers.DateTimeField()
    post = ModerationPostSerializer()
    evidence = serializers.SerializerMethodField()
    reports = ModerationReportSerializer(many=True)
    report_reasons = serializers.ListField(child=serializers.CharField())

    @extend_schema_field(EvidenceSerializer(many=True))
    def get_evidence(self, item) -> list[dict]:
        return selectors.screening_evidence_of(item.post)


class UnansweredPostSerializer(ModerationPostSerializer):
    overdue = serializers.BooleanField(help_text="Past the time after which moderators are nudged.")


class WaitingConversationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    waiting_since = serializers.DateTimeField()
    reply_due_at = serializers.DateTimeField()
    overdue = serializers.BooleanField(source="is_overdue")


class ModeratedGroupSerializer(GroupRefSerializer):
    member_count = serializers.IntegerField()


class QueueSerializer(serializers.Serializer):
    items = QueueItemSerializer(many=True, help_text="Most urgent first, at most 100.")
    more_items = serializers.BooleanField(help_text="There are more than shown.")
    unanswered = UnansweredPostSerializer(
        many=True, help_text="Conversations nobody has replied to, oldest first (25)."
    )
    waiting_conversations = WaitingConversationSerializer(
        many=True, help_text="Members waiting for their 1:1 reply, longest first (25)."
    )
    groups = ModeratedGroupSerializer(many=True)


class QueueApi(APIView):
    """The peer specialist's queue across their groups, most urgent first: held posts with the
    screening's evidence and reported posts with the reasons; then the unanswered conversations
    and the people waiting for a 1:1 reply."""

    permission_classes = [IsPeer]

    @extend_schema(tags=[TAG], responses={200: QueueSerializer, **error_responses(401, 403)})
    def get(self, request):
        return Response(QueueSerializer(selectors.moderation_queue_for(user=request.user)).data)


class ModerationActionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    post_id = serializers.IntegerField(allow_null=True)
    action = serializers.CharField()
    action_label = serializers.CharField(source="get_action_display")
    actor_id = serializers.IntegerField()
    actor_name = serializers.CharField(source="actor.full_name")
    reason = serializers.SerializerMethodField(
        help_text="Why, in the moderator's words. Why someone was looked up is read by admins "
        "and the one who looked only."
    )
    detail = serializers.DictField(help_text="Context: until when, report and flag ids.")

    def get_reason(self, action) -> str:
        return action.reason_for(self.context["request"].user)

    created_at = serializers.DateTimeField()


class ModerationLogEntrySerializer(ModerationActionSerializer):
    group = GroupRefSerializer()
    member = serializers.SerializerMethodField(
        help_text="The group name of the member it was about; null if none."
    )

    def get_member(self, action) -> str | None:
        return pseudonym_of(action.member) if action.member_id else None


class MembershipBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="For the member actions (mute, remove, worried).")
    is_current = serializers.BooleanField()
    joined_at = serializers.DateTimeField()
    left_at = serializers.DateTimeField(allow_null=True)
    muted_until = serializers.DateTimeField(allow_null=True)


class AuthorPostCountSerializer(serializers.Serializer):
    status = serializers.CharField()
    count = serializers.IntegerField()


class MessageTemplateSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    text = serializers.CharField(help_text="What the author reads.")


class ModerationPostDetailSerializer(serializers.Serializer):
    post = ModerationPostSerializer()
    evidence = EvidenceSerializer(many=True)
    reports = ModerationReportSerializer(many=True)
    thread = ModerationPostBriefSerializer(
        help_text="The conversation it is in (itself if opening)."
    )
    replies = ModerationPostBriefSerializer(many=True, help_text="Shared replies (first 20).")
    membership = MembershipBriefSerializer(
        allow_null=True, help_text="The author's latest membership of the group."
    )
    author_post_counts = AuthorPostCountSerializer(many=True)
    history = ModerationActionSerializer(many=True, help_text="On this post or author (20).")
    templates = MessageTemplateSerializer(many=True)


class ModerationPostDetailApi(APIView):
    """One post with everything needed to decide: the evidence, the reports, its conversation,
    the author's membership and record, what moderators did before, the message templates."""

    permission_classes = [IsPeer]

    @extend_schema(
        tags=[TAG],
        responses={200: ModerationPostDetailSerializer, **error_responses(401, 403, 404)},
    )
    def get(self, request, post_id: int):
        post = selectors.post_open_for_moderator(
            user=request.user, post_id=post_id, request=request
        )
        context = selectors.moderation_post_context(post=post)
        data = {
            "post": post,
            "evidence": context["evidence"],
            "reports": context["reports"],
            "thread": context["thread"],
            "replies": context["replies"],
            "membership": context["membership"],
            "author_post_counts": list(context["author_posts"]),
            "history": context["history"],
            "templates": context["templates"],
        }
        return Response(ModerationPostDetailSerializer(data, context={"request": request}).data)


# --- Members -------------------------------------------------------------------------------------


class ModerationMembershipSerializer(MembershipBriefSerializer):
    group = GroupRefSerializer()
    member = serializers.SerializerMethodField(help_text="Their group name.")
    removed = serializers.SerializerMethodField(help_text="A moderator removed them.")

    def get_member(self, membership) -> str:
        return pseudonym_of(membership.member)

    def get_removed(self, membership) -> bool:
        return membership.removed_by_id is not None


class GroupMemberSerializer(MembershipBriefSerializer):
    member = serializers.SerializerMethodField(help_text="Their group name.")
    post_count = serializers.IntegerField()

    def get_member(self, membership) -> str:
        return pseudonym_of(membership.member)


class GroupMemberListApi(APIView):
    """The current members of a group the peer specialist moderates, by group name."""

    permission_classes = [IsPeer]
    pagination_class = StandardPagination

    @extend_schema(
        tags=[TAG],
        responses={200: GroupMemberSerializer(many=True), **error_responses(401, 403, 404)},
    )
    def get(self, request, slug: str):
        group = selectors.group_get_for_moderator(user=request.user, slug=slug)
        members = selectors.group_members_for_moderator(group=group)
        return paginated(self, request, members, GroupMemberSerializer)


# --- Templates and the log ---------------------------------------------------------------------


class MessageTemplateListApi(APIView):
    """Kind messages to an author whose post is not published (admins edit them)."""

    permission_classes = [IsPeer]

    @extend_schema(
        tags=[TAG],
        responses={200: MessageTemplateSerializer(many=True), **error_responses(401, 403)},
    )
    def get(self, request):
        return Response(MessageTemplateSerializer(selectors.message_templates(), many=True).data)


class ModerationLogFilterSerializer(serializers.Serializer):
    # Bounded like ids in URLs: a number beyond 64 bits reached the database and answered 500.
    group = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, help_text="One group's id."
    )
    actor = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, help_text="One moderator's id."
    )


class ModerationLogApi(APIView):
    """Moderation actions, newest first: every one for admins, their own groups' for peer
    specialists."""

    permission_classes = [IsPeerOrAdmin]
    pagination_class = StandardPagination

    @extend_schema(
        tags=[TAG],
        parameters=[ModerationLogFilterSerializer],
        responses={
            200: ModerationLogEntrySerializer(many=True),
            **error_responses(400, 401, 403),
        },
    )
    def get(self, request):
        filters = ModerationLogFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        actions = selectors.moderation_log_for(
            user=request.user,
            group_id=filters.validated_data.get("group"),
            actor_id=filters.validated_data.get("actor"),
        )
        return paginated(
            self, request, actions, ModerationLogEntrySerializer, context={"request": request}
        )
