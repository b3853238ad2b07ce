"""The JSON API, version 1: every app's API views under /api/v1/."""

from django.urls import path

from accounts import api as accounts_api
from cessation import api as cessation_api
from core.api import views as core_api
from safety import api as safety_api

urlpatterns = [
    path("me/", accounts_api.UserMeApi.as_view(), name="me"),
    path("patients/", accounts_api.PatientListApi.as_view(), name="patient_list"),
    path(
        "patients/<int:patient_id>/", accounts_api.PatientDetailApi.as_view(), name="patient_detail"
    ),
    path("invitations/", accounts_api.InvitationListCreateApi.as_view(), name="invitation_list"),
    path(
        "invitations/<int:invitation_id>/revoke/",
        accounts_api.InvitationRevokeApi.as_view(),
        name="invitation_revoke",
    ),
    path("notifications/", core_api.NotificationListApi.as_view(), name="notification_list"),
    path(
        "notifications/<int:notification_id>/read/",
        core_api.NotificationReadApi.as_view(),
        name="notification_read",
    ),
    path("flags/", safety_api.FlagListApi.as_view(), name="flag_list"),
    path("flags/<int:flag_id>/", safety_api.FlagDetailApi.as_view(), name="flag_detail"),
    path(
        "flags/<int:flag_id>/acknowledge/",
        safety_api.FlagAcknowledgeApi.as_view(),
        name="flag_acknowledge",
    ),
    path("flags/<int:flag_id>/notes/", safety_api.FlagNoteApi.as_view(), name="flag_note"),
    path("flags/<int:flag_id>/resolve/", safety_api.FlagResolveApi.as_view(), name="flag_resolve"),
    path(
        "flags/<int:flag_id>/hand-over/",
        safety_api.FlagHandOverApi.as_view(),
        name="flag_hand_over",
    ),
    path("safety-plan/", safety_api.SafetyPlanApi.as_view(), name="safety_plan"),
    path(
        "crisis-resources/",
        safety_api.CrisisResourceListApi.as_view(),
        name="crisis_resource_list",
    ),
    path("quit-plan/", cessation_api.QuitPlanApi.as_view(), name="quit_plan"),
    path("check-ins/", cessation_api.CheckInListCreateApi.as_view(), name="checkin_list"),
    path("cravings/", cessation_api.CravingListCreateApi.as_view(), name="craving_list"),
    path("progress/", cessation_api.ProgressApi.as_view(), name="progress"),
    path(
        "patients/<int:patient_id>/check-ins/",
        cessation_api.PatientCheckInListApi.as_view(),
        name="patient_checkin_list",
    ),
    path(
        "patients/<int:patient_id>/progress/",
        cessation_api.PatientProgressApi.as_view(),
        name="patient_progress",
    ),
    path(
        "patients/<int:patient_id>/co-readings/",
        cessation_api.PatientCOReadingListCreateApi.as_view(),
        name="patient_co_reading_list",
    ),
]
