from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("me/", views.patient_home_view, name="patient_home"),
    path("clinician/", views.clinician_home_view, name="clinician_home"),
    path("peer/", views.peer_home_view, name="peer_home"),
    path("manage/", views.admin_home_view, name="admin_home"),
    path("patients/<id:patient_id>/", views.patient_detail_view, name="patient_detail"),
    path("invitations/", views.invitation_list_view, name="invitation_list"),
    path(
        "invitations/patient/",
        views.patient_invitation_create_view,
        name="invitation_create_patient",
    ),
    path("invitations/staff/", views.staff_invitation_create_view, name="invitation_create_staff"),
    path(
        "invitations/<id:invitation_id>/revoke/",
        views.invitation_revoke_view,
        name="invitation_revoke",
    ),
    path(
        "invitations/<id:invitation_id>/resend/",
        views.invitation_resend_view,
        name="invitation_resend",
    ),
    path("invite/<str:token>/", views.invitation_accept_view, name="invitation_accept"),
    path("account/", views.account_view, name="account"),
    path(
        "account/tokens/<id:token_id>/revoke/",
        views.api_token_revoke_view,
        name="api_token_revoke",
    ),
]
