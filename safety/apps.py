"""Safety: screening of text, flags, escalation, crisis resources, safety plans.

Knows no other domain app: callers hand it text and a patient (DESIGN.md).
"""

from django.apps import AppConfig


class SafetyConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "safety"
    verbose_name = "Safety"

    def ready(self) -> None:
        from accounts import sections
        from safety.patient_page import safety_section

        sections.staff_patient_page.register(safety_section)
