"""What an arm without the programme gets: a patient allocated to it (while the trial runs) sees
only their study, its follow-up questions, crisis help and their safety plan, privacy, their
first steps, their account and notices; any other page takes them to their study page, and the
API answers 403 with the code "study_arm". The answer is remembered in the shared cache
(trials/gate.py): no query per page. With no trial, nothing changes for anybody.

It runs after onboarding's ProgrammeConsentMiddleware: agreeing to the programme comes first.
"""

from __future__ import annotations

from http import HTTPStatus

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect

from trials.gate import study_only

ALLOWED_PREFIXES = (
    "/study/",
    "/help/",
    "/safety-plan/",
    "/privacy/",
    "/welcome/",
    "/account/",
    "/accounts/",
    "/notifications/",
    "/health/",
    "/static/",
    "/api/v1/me/",
    "/api/v1/notifications/",
    "/api/v1/crisis-resources/",
    "/api/v1/safety-plan/",
    "/api/v1/onboarding/",
    "/api/v1/study/",
)
STUDY_ARM_DETAIL = (
    "In your study group, Exhale offers the study's questions, your safety plan and crisis help."
)


class StudyArmMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is None
            or not user.is_authenticated
            or not user.is_patient
            or request.path.startswith(ALLOWED_PREFIXES)
            or not study_only(user)
        ):
            return self.get_response(request)
        if request.path.startswith("/api/"):
            return JsonResponse(
                {"detail": STUDY_ARM_DETAIL, "code": "study_arm"}, status=HTTPStatus.FORBIDDEN
            )
        return redirect("trials:study")
