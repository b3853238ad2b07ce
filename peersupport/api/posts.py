"""API of the peer groups for members: a group's conversations, one conversation with its
replies, posting and replying (screened as on the pages), reactions and reports.

A group they are not in, a post they may not see (somebody else's held post, another group's) is
a 404. Authors appear by their group name only: never a member's real name, email or user id.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api_permissions import IsPatient
from core.api.errors import error_responses
from core.api.pagination import StandardPagination
from peersupport import selectors, services
from peersupport.api.common import (
    TAG_MEMBERS,
    AuthorMixin,
    CrisisHintSerializer,
    GroupRefSerializer,
    body_field,
    crisis_hint,
    denied_as_not_found,
    paginated,
)
from peersupport.models import Post, Reaction, Report

TAG = TAG_MEMBERS


# --- Posts as members see them -------------------------------------------------------------------


class ReactionCountSerializer(serializers.Serializer):
    kind = serializers.CharField()
    label = serializers.CharField()
    count = serializers.IntegerField()
    mine = serializers.BooleanField(help_text="Whether the reader gave this reaction.")


class PostSerializer(AuthorMixin, serializers.Serializer):
    """A post as a member sees it. `context`: the reader (`user`), and optionally the page's
    `reactions` (selectors.reactions_for) and the posts they `reported` (selectors.reported_by)."""

    id = serializers.IntegerField()
    thread_id = serializers.IntegerField(help_text="The conversation's opening post.")
    parent_id = serializers.IntegerField(allow_null=True, help_text="Null for an opening post.")
    kind = serializers.CharField(
        help_text="`member`, or from a peer specialist: `staff`, `welcome`, `announcement`, "
        "`programme` (content from the programme, with who approved it)."
    )
    body = serializers.CharField(help_text="As written: plain text, never HTML.")
    status = serializers.CharField(
        help_text="`published`, or `held` (waiting for a moderator: only its author sees it)."
    )
    held_reason = serializers.SerializerMethodField(
        help_text="Why it waits for a moderator, in plain words (its author only); else empty."
    )
    is_mine = serializers.SerializerMethodField()
    is_pinned = serializers.BooleanField()
    is_locked = serializers.BooleanField(help_text="A closed conversation takes no replies.")
    edited_by_moderator = serializers.SerializerMethodField(
        help_text="A peer specialist took personal details out of it."
    )
    approved_by = serializers.SerializerMethodField(
        help_text="Programme content: the clinician who approved it; else null."
    )
    approved_on = serializers.DateField(allow_null=True)
    created_at = serializers.DateTimeField()
    published_at = serializers.DateTimeField(allow_null=True)
    reactions = serializers.SerializerMethodField(
        help_text="Each reaction with its count and whether the reader gave it (shared posts)."
    )
    reported = serializers.SerializerMethodField(help_text="Whether the reader reported it.")

    def _is_mine(self, post: Post) -> bool:
        return post.author_id == self.context["user"].pk

    def get_is_mine(self, post: Post) -> bool:
        return self._is_mine(post)

    def get_held_reason(self, post: Post) -> str:
        return post.reason_for_author if self._is_mine(post) else ""

    def get_edited_by_moderator(self, post: Post) -> bool:
        return post.edited_by_moderator_at is not None

    def get_approved_by(self, post: Post) -> str | None:
        return post.approved_by.full_name if post.approved_by_id else None

    @extend_schema_field(ReactionCountSerializer(many=True))
    def get_reactions(self, post: Post) -> list[dict]:
        reactions = self.context.get("reactions")
        if reactions is None or post.status != Post.Status.PUBLISHED:
            return []
        return reactions[post.pk].choices()

    def get_reported(self, post: Post) -> bool:
        return post.pk in self.context.get("reported", ())


class ThreadSerializer(PostSerializer):
    reply_count = serializers.IntegerField(help_text="Shared replies.")


def _thread_context(request):
    def context(page):
        posts = list(page)
        return {
            "user": request.user,
            "reactions": selectors.reactions_for(user=request.user, posts=posts),
            "reported": selectors.reported_by(user=request.user, posts=posts),
        }

    return context


class GroupDetailSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    slug = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.CharField(help_text="`cohort` (joined in the same month) or `topic`.")
    description = serializers.CharField(help_text="Who the group is for, in plain words.")
    welcome = PostSerializer(
        allow_null=True, help_text='The group\'s welcome post ("start here"); null if none.'
    )
    muted_until = serializers.DateTimeField(
        allow_null=True, help_text="Until when their posting in this group is paused."
    )


class GroupDetailApi(APIView):
    """A group the patient is in: what it is for, and its welcome post. (Its conversations:
    threads/.)"""

    permission_classes = [IsPatient]

    @extend_schema(
        tags=[TAG], responses={200: GroupDetailSerializer, **error_responses(401, 403, 404)}
    )
    def get(self, request, slug: str):
        group, membership = selectors.group_get_for_member(user=request.user, slug=slug)
        welcome = selectors.group_welcome_post(group=group)
        data = {
            "id": group.pk,
            "slug": group.slug,
            "name": group.name,
            "kind": group.kind,
            "description": group.description,
            "welcome": welcome,
            "muted_until": membership.muted_until if membership.is_muted() else None,
        }
        return Response(GroupDetailSerializer(data, context={"user": request.user}).data)


class PostCreateSerializer(serializers.Serializer):
    body = body_field(
        services.MAX_POST_CHARS,
        empty="Write something first.",
        help_text="Plain text. Leave out anything that could identify anyone (phone numbers, "
        "emails, addresses, full names).",
    )


class PostResultSerializer(CrisisHintSerializer):
    post = PostSerializer()
    status = serializers.CharField(
        help_text="`published`, or `held`: only they see it until a peer specialist has read it."
    )
    held_reason = serializers.CharField(help_text="Why it is held, in plain words; else empty.")


def _post_result(request, result: services.PostResult) -> Response:
    post = result.post
    data = {
        "post": post,
        "status": post.status,
        "held_reason": post.reason_for_author,
        **crisis_hint(request, result.crisis),
    }
    return Response(
        PostResultSerializer(data, context={"user": request.user}).data,
        status=status.HTTP_201_CREATED,
    )


POST_DESCRIPTION = (
    "Screened before anyone else sees it: published, or held for a peer specialist (personal "
    "details, harmful advice, a new member's first posts), or held with their clinician alerted "
    "when it sounds like a crisis — then `crisis` is true, and the client shows crisis support "
    "(`crisis_url`, `crisis_resources`) at once. Refused with the reason and nothing written when "
    "empty, too long, muted, or (a reply) when the conversation is closed."
)


class GroupThreadListApi(APIView):
    """A group's conversations, pinned first, then newest: the shared ones and the reader's own
    held ones. Start a conversation."""

    permission_classes = [IsPatient]
    pagination_class = StandardPagination

    @extend_schema(
        tags=[TAG],
        responses={200: ThreadSerializer(many=True), **error_responses(401, 403, 404)},
    )
    def get(self, request, slug: str):
        group, _membership = selectors.group_get_for_member(user=request.user, slug=slug)
        threads = selectors.group_threads_for(user=request.user, group=group)
        return paginated(self, request, threads, ThreadSerializer, _thread_context(request))

    @extend_schema(
        tags=[TAG],
        request=PostCreateSerializer,
        responses={201: PostResultSerializer, **error_responses(400, 401, 403, 404)},
        description=POST_DESCRIPTION,
    )
    def post(self, request, slug: str):
        group, _membership = selectors.group_get_for_member(user=request.user, slug=slug)
        serializer = PostCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with denied_as_not_found():
            result = services.post_create(
                author=request.user, group=group, body=serializer.validated_data["body"]
            )
        return _post_result(request, result)


class ThreadDetailSerializer(serializers.Serializer):
    group = GroupRefSerializer()
    thread = PostSerializer()
    replies = PostSerializer(many=True, help_text="Oldest first.")
    muted_until = serializers.DateTimeField(
        allow_null=True, help_text="Until when their posting in this group is paused."
    )


class ThreadDetailApi(APIView):
    """One conversation: its opening post and replies, oldest first (shared ones and the reader's
    own held ones), with reactions."""

    permission_classes = [IsPatient]

    @extend_schema(
        tags=[TAG], responses={200: ThreadDetailSerializer, **error_responses(401, 403, 404)}
    )
    def get(self, request, slug: str, thread_id: int):
        group, membership = selectors.group_get_for_member(user=request.user, slug=slug)
        thread = selectors.thread_get_for_member(
            user=request.user, group=group, thread_id=thread_id
        )
        posts = selectors.thread_posts_for(user=request.user, thread=thread)
        context = {
            "user": request.user,
            "reactions": selectors.reactions_for(user=request.user, posts=posts),
            "reported": selectors.reported_by(user=request.user, posts=posts),
        }
        data = {
            "group": group,
            "thread": posts[0],
            "replies": posts[1:],
            "muted_until": membership.muted_until if membership.is_muted() else None,
        }
        return Response(ThreadDetailSerializer(data, context=context).data)


class ReplyCreateApi(APIView):
    """Reply to a conversation."""

    permission_classes = [IsPatient]

    @extend_schema(
        tags=[TAG],
        request=PostCreateSerializer,
        responses={201: PostResultSerializer, **error_responses(400, 401, 403, 404)},
        description=POST_DESCRIPTION,
    )
    def post(self, request, slug: str, thread_id: int):
        group, _membership = selectors.group_get_for_member(user=request.user, slug=slug)
        thread = selectors.thread_get_for_member(
            user=request.user, group=group, thread_id=thread_id
        )
        serializer = PostCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with denied_as_not_found():
            result = services.post_create(
                author=request.user,
                group=group,
                body=serializer.validated_data["body"],
                parent=thread,
            )
        return _post_result(request, result)


# --- Reactions and reports -----------------------------------------------------------------------


class ReactionCreateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=Reaction.Kind.choices,
        help_text="Encouragement only: there is no dislike.",
        error_messages={
            "required": "Choose one of the reactions shown.",
            "null": "Choose one of the reactions shown.",
            "invalid_choice": "Choose one of the reactions shown.",
        },
    )


class PostReactionsSerializer(serializers.Serializer):
    post_id = serializers.IntegerField()
    reactions = ReactionCountSerializer(many=True)


def _reactions_of(request, post: Post) -> dict:
    summary = selectors.reactions_for(user=request.user, posts=[post])[post.pk]
    return PostReactionsSerializer({"post_id": post.pk, "reactions": summary.choices()}).data


class ReactionCreateApi(APIView):
    """Encourage a shared post. Each reaction once."""

    permission_classes = [IsPatient]

    @extend_schema(
        tags=[TAG],
        request=ReactionCreateSerializer,
        responses={201: PostReactionsSerializer, **error_responses(400, 401, 403, 404)},
        description="The same reaction twice is refused (400), and nothing changes.",
    )
    def post(self, request, slug: str, post_id: int):
        group, _membership = selectors.group_get_for_member(user=request.user, slug=slug)
        post = selectors.post_get_for_member(user=request.user, group=group, post_id=post_id)
        serializer = ReactionCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with denied_as_not_found():
            services.reaction_add(
                member=request.user, post=post, kind=serializer.validated_data["kind"]
            )
        return Response(_reactions_of(request, post), status=status.HTTP_201_CREATED)


class ReactionDeleteApi(APIView):
    """Take back one's own reaction."""

    permission_classes = [IsPatient]

    @extend_schema(
        tags=[TAG],
        parameters=[
            OpenApiParameter(
                "kind", OpenApiTypes.STR, OpenApiParameter.PATH, enum=Reaction.Kind.values
            )
        ],
        responses={200: PostReactionsSerializer, **error_responses(400, 401, 403, 404)},
        description="Taking back a reaction they did not give is refused (400).",
    )
    def delete(self, request, slug: str, post_id: int, kind: str):
        group, _membership = selectors.group_get_for_member(user=request.user, slug=slug)
        post = selectors.post_get_for_member(user=request.user, group=group, post_id=post_id)
        with denied_as_not_found():
            services.reaction_remove(member=request.user, post=post, kind=kind)
        return Response(_reactions_of(request, post))


class ReportSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    post_id = serializers.IntegerField(read_only=True)
    reason = serializers.ChoiceField(
        choices=Report.Reason.choices,
        error_messages={
            "required": "Choose why you are reporting this post.",
            "null": "Choose why you are reporting this post.",
            "invalid_choice": "Choose why you are reporting this post.",
        },
    )
    note = serializers.CharField(
        max_length=services.MAX_REPORT_NOTE_CHARS,
        allow_blank=True,
        default="",
        help_text="Anything the peer specialist should know. Only they read it; stored encrypted.",
        error_messages={
            "max_length": f"Keep the note under {services.MAX_REPORT_NOTE_CHARS:,} characters."
        },
    )
    created_at = serializers.DateTimeField(read_only=True)


class ReportCreateApi(APIView):
    """Report a shared post to the group's peer specialists."""

    permission_classes = [IsPatient]

    @extend_schema(
        tags=[TAG],
        request=ReportSerializer,
        responses={201: ReportSerializer, **error_responses(400, 401, 403, 404)},
        description="Once per post; not one's own post (both refused with 400, nothing "
        "written). `worried` tells the peer specialists at once.",
    )
    def post(self, request, slug: str, post_id: int):
        group, _membership = selectors.group_get_for_member(user=request.user, slug=slug)
        post = selectors.post_get_for_member(user=request.user, group=group, post_id=post_id)
        serializer = ReportSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with denied_as_not_found():
            report = services.report_create(
                reporter=request.user, post=post, **serializer.validated_data
            )
        return Response(ReportSerializer(report).data, status=status.HTTP_201_CREATED)
