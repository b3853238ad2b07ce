from django.urls import path

from safety import views

app_name = "safety"

urlpatterns = [
    path("help/", views.crisis_view, name="crisis"),
    path("help/support/", views.crisis_support_view, name="crisis_support"),
    path("safety-plan/", views.safety_plan_view, name="safety_plan"),
    path(
        "patients/<id:patient_id>/safety-plan/",
        views.patient_safety_plan_view,
        name="patient_safety_plan",
    ),
    path("patients/<id:patient_id>/concern/", views.concern_create_view, name="concern_create"),
    path("flags/", views.flag_queue_view, name="flag_queue"),
    path("flags/on-call/", views.on_call_view, name="on_call"),
    path("flags/<id:flag_id>/", views.flag_detail_view, name="flag_detail"),
    path("flags/<id:flag_id>/acknowledge/", views.flag_acknowledge_view, name="flag_acknowledge"),
    path("flags/<id:flag_id>/note/", views.flag_note_view, name="flag_note"),
    path("flags/<id:flag_id>/resolve/", views.flag_resolve_view, name="flag_resolve"),
    path("flags/<id:flag_id>/hand-over/", views.flag_hand_over_view, name="flag_hand_over"),
    path("safety/overview/", views.safety_overview_view, name="overview"),
]
