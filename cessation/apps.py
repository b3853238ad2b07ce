"""Cessation: quit plans, daily check-ins, CO readings, progress, check-in schedules."""

from django.apps import AppConfig


class CessationConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "cessation"
    verbose_name = "Quit tracking"

    def ready(self) -> None:
        from accounts import sections as account_sections
        from cessation import sections
        from cessation.timeline import quit_tracking_timeline
        from safety import timeline as safety_timeline

        account_sections.patient_home.register(sections.patient_home_section)
        account_sections.staff_patient_page.register(sections.staff_patient_section)
        safety_timeline.register(quit_tracking_timeline)
