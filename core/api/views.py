"""API of the shared mechanisms: the user's own notices."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from core import selectors, services
from core.api.errors import error_responses
from core.models import Notification


class NotificationSerializer(serializers.ModelSerializer):
    is_read = serializers.BooleanField(read_only=True)

    class Meta:
        model = Notification
        fields = [
            "id",
            "kind",
            "title",
            "body",
            "url",
            "urgent",
            "created_at",
            "read_at",
            "is_read",
        ]
        read_only_fields = fields


@extend_schema(tags=["notifications"], responses={200: NotificationSerializer(many=True)})
class NotificationListApi(ListAPIView):
    """The logged-in user's notices, newest first."""

    serializer_class = NotificationSerializer

    def get_queryset(self):
        return selectors.notification_list(recipient=self.request.user)

    @extend_schema(responses={200: NotificationSerializer(many=True), **error_responses(401, 403)})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class NotificationReadApi(APIView):
    """Mark one of the user's notices read."""

    @extend_schema(
        tags=["notifications"],
        request=None,
        responses={200: NotificationSerializer, **error_responses(401, 403, 404)},
    )
    def post(self, request, notification_id: int):
        notification = selectors.notification_get_for_recipient(
            recipient=request.user, notification_id=notification_id
        )
        services.notification_mark_read(notification=notification)
        return Response(NotificationSerializer(notification).data)
