"""Onboarding: the patient's first journey after discharge, as an ordered registry of steps."""

from django.apps import AppConfig


class OnboardingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "onboarding"
    verbose_name = "Onboarding"

    def ready(self) -> None:
        from accounts import hooks
        from accounts import sections as account_sections
        from onboarding import sections, services, steps

        steps.register_built_in()
        hooks.patient_joined.register(services.journey_start_for_new_patient)
        account_sections.patient_home.register(sections.patient_home_section, first=True)
        account_sections.staff_patient_page.register(sections.staff_patient_section)
        account_sections.account_page.register(sections.account_section)
        account_sections.caseload_columns.register(sections.caseload_column)
        account_sections.admin_home.register(sections.admin_home_section)
