"""What the members' API and the moderation API share: how a group and an author are shown, the
crisis hint, pagination, and what a service's PermissionDenied becomes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from peersupport.models import Post
from safety.api import CrisisResourceSerializer
from safety.selectors import crisis_resource_list

TAG_MEMBERS = "peer groups"
TAG_MODERATION = "moderation"
MEMBER = "member"
PEER_SPECIALIST = "peer specialist"
A_MEMBER = "A member"


@contextmanager
def denied_as_not_found() -> Iterator[None]:
    """A service's PermissionDenied means "not in your group": 404, as on the pages. The
    selectors have already answered 404 for anything outside the user's groups; this covers a
    membership or a moderator's place ending between the read and the write."""
    try:
        yield
    except PermissionDenied as exc:
        raise Http404(str(exc) or "Not found.") from exc


def body_field(limit: int, *, empty: str, help_text: str) -> serializers.CharField:
    """A text field of a post or message: required, at most `limit` characters after trimming
    (the services' limits), with the pages' words when it is empty or too long."""
    return serializers.CharField(
        max_length=limit,
        help_text=help_text,
        error_messages={
            "required": empty,
            "blank": empty,
            "null": empty,
            "max_length": f"Keep it under {limit:,} characters.",
        },
    )


class GroupRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    slug = serializers.CharField(help_text="Names the group in URLs.")
    name = serializers.CharField()


class AuthorSerializer(serializers.Serializer):
    name = serializers.CharField(
        help_text="A member's group name (pseudonym); a peer specialist's first name. Never a "
        "member's real name."
    )
    role = serializers.CharField(help_text="`member` or `peer specialist`.")


def author_of(post: Post) -> dict:
    """Who wrote a post, as others see it: a member by their group name only."""
    if post.is_from_staff:
        return {"name": post.author.display_name, "role": PEER_SPECIALIST}
    return {"name": pseudonym_of(post.author), "role": MEMBER}


def pseudonym_of(user) -> str:
    """A member's group name (their PeerMember, joined by the selector: no query)."""
    peer_member = getattr(user, "peer_member", None)
    return peer_member.pseudonym if peer_member is not None else A_MEMBER


class AuthorMixin(serializers.Serializer):
    """A post's `author`, shown by group name (see author_of)."""

    author = serializers.SerializerMethodField()

    @extend_schema_field(AuthorSerializer)
    def get_author(self, post: Post) -> dict:
        return author_of(post)


class CrisisHintSerializer(serializers.Serializer):
    crisis = serializers.BooleanField(
        help_text="True: show crisis support now, before anything else (their clinician has "
        "been alerted)."
    )
    crisis_url = serializers.URLField(
        allow_null=True, help_text="The crisis support page to show when `crisis` is true."
    )
    crisis_resources = CrisisResourceSerializer(
        many=True, help_text="Where to get help now, when `crisis` is true (else empty)."
    )


def crisis_hint(request, crisis: bool) -> dict:
    return {
        "crisis": crisis,
        "crisis_url": request.build_absolute_uri(reverse("safety:crisis_support"))
        if crisis
        else None,
        "crisis_resources": crisis_resource_list() if crisis else [],
    }


def paginated(view: APIView, request, items, serializer_class, context=None) -> Response:
    """One page of `items` (a queryset or a list); `context` may be a function of the page."""
    paginator = view.pagination_class()
    page = paginator.paginate_queryset(items, request, view=view)
    context = context(page) if callable(context) else (context or {})
    return paginator.get_paginated_response(serializer_class(page, many=True, context=context).data)
