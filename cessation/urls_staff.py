"""The care team's quit-tracking pages (namespace "cessation_staff")."""

from django.urls import path

from cessation.views import outreach, staff

app_name = "cessation_staff"

urlpatterns = [
    path(
        "patients/<id:patient_id>/co-readings/",
        staff.co_reading_create_view,
        name="co_reading_create",
    ),
    path(
        "patients/<id:patient_id>/medications/",
        staff.medication_create_view,
        name="medication_create",
    ),
    path(
        "patients/<id:patient_id>/medications/<id:medication_id>/stop/",
        staff.medication_stop_view,
        name="medication_stop",
    ),
    path("patients/<id:patient_id>/quit-plan/", staff.quit_plan_view, name="quit_plan"),
    path("patients/<id:patient_id>/reminders/", staff.schedule_view, name="schedule"),
    path("content/health-timeline/", staff.health_content_view, name="health_content"),
    path("peer/outreach/", outreach.outreach_queue_view, name="outreach_queue"),
    path(
        "peer/outreach/<id:task_id>/close/",
        outreach.outreach_close_view,
        name="outreach_close",
    ),
]
