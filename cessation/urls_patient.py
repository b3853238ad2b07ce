"""The patient's own quit-tracking pages (namespace "cessation")."""

from datetime import date

from django.urls import path, register_converter

from cessation.views import patient as views


class IsoDateConverter:
    """A day in a URL as YYYY-MM-DD; anything that is not a real date is no match (404)."""

    regex = r"\d{4}-\d{2}-\d{2}"

    def to_python(self, value: str) -> date:
        return date.fromisoformat(value)  # ValueError → no match

    def to_url(self, value: date) -> str:
        return value.isoformat()


register_converter(IsoDateConverter, "patient_day")

app_name = "cessation"

urlpatterns = [
    path("quit-plan/", views.quit_plan_view, name="quit_plan"),
    path("check-in/", views.checkin_view, name="checkin"),
    path("check-in/reminders/", views.schedule_view, name="schedule"),
    path("check-in/<patient_day:day>/", views.checkin_view, name="checkin_day"),
    path("progress/", views.progress_view, name="progress"),
    path("craving/", views.craving_view, name="craving"),
    path("co-readings/", views.co_readings_view, name="co_readings"),
    path("medications/", views.medications_view, name="medications"),
    path(
        "medications/<id:medication_id>/stop/",
        views.medication_stop_view,
        name="medication_stop",
    ),
]
