"""The trial's API: followups.

- `GET /api/v1/study/follow-ups/`: the logged-in participant's follow-ups (both arms), each with
  its window, status and whether it can be answered now.
- `POST /api/v1/study/follow-ups/<id>/`: answer an open follow-up (the Russell Standard
  questions). 404 for anybody else's; 409 when it is not open (not yet, closed, answered,
  stopped); 400 for answers that are not valid, with nothing saved.
"""

from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api_permissions import IsPatient
from core.api.errors import error_responses
from trials import followups_ui
from trials.models import FollowUp
from trials.services import followups as services

TAG = "study"


class FollowUpSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    point = serializers.CharField(source="point.code", help_text="The time point's code.")
    label = serializers.CharField(source="point.label")
    status = serializers.ChoiceField(choices=FollowUp.Status.choices)
    due_on = serializers.DateField()
    window_opens_on = serializers.DateField()
    window_closes_on = serializers.DateField()
    can_answer = serializers.SerializerMethodField()
    smoking_counted_from = serializers.SerializerMethodField(
        help_text="The date the first question asks about: two weeks after the quit date."
    )
    smoked_since = serializers.ChoiceField(choices=FollowUp.SmokedSince.choices, allow_blank=True)
    smoked_last_7_days = serializers.BooleanField(allow_null=True)
    cigarettes_per_day = serializers.IntegerField(allow_null=True)
    answered_at = serializers.DateTimeField(allow_null=True)

    def get_can_answer(self, followup: FollowUp) -> bool:
        return followup.status == FollowUp.Status.OPEN

    def get_smoking_counted_from(self, followup: FollowUp) -> str:
        return services.smoking_counted_from(followup).isoformat()


class AnswerSerializer(serializers.Serializer):
    smoked_since = serializers.ChoiceField(
        choices=FollowUp.SmokedSince.choices,
        help_text="Since two weeks after the quit date: none, up to 5 cigarettes, more.",
    )
    smoked_last_7_days = serializers.BooleanField(
        help_text="Smoked at all, even a puff, in the last 7 days."
    )
    cigarettes_per_day = serializers.IntegerField(
        min_value=0, max_value=200, required=False, allow_null=True
    )


class StudyFollowUpListApi(APIView):
    """The participant's own follow-ups, in the order they fall due."""

    permission_classes = [IsPatient]

    @extend_schema(
        tags=[TAG], responses={200: FollowUpSerializer(many=True), **error_responses(401, 403)}
    )
    def get(self, request):
        followups = followups_ui.followups_of_patient(request.user)
        return Response(FollowUpSerializer(followups, many=True).data)


class StudyFollowUpAnswerApi(APIView):
    """Answer one of the participant's own open follow-ups."""

    permission_classes = [IsPatient]

    @extend_schema(
        tags=[TAG],
        request=AnswerSerializer,
        responses={200: FollowUpSerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    def post(self, request, followup_id: int):
        followup = followups_ui.followup_for_patient(patient=request.user, followup_id=followup_id)
        serializer = AnswerSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        followup = services.followup_answer(
            followup=followup,
            by=request.user,
            answers=services.Answers(**serializer.validated_data),
            request=request,
        )
        return Response(FollowUpSerializer(followup).data)


urlpatterns = [
    path("study/follow-ups/", StudyFollowUpListApi.as_view(), name="study_followup_list"),
    path(
        "study/follow-ups/<id:followup_id>/",
        StudyFollowUpAnswerApi.as_view(),
        name="study_followup_answer",
    ),
]
