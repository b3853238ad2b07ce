"""API of safety: crisis resources (public)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from safety.selectors import crisis_resource_list


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
