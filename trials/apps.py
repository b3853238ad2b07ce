"""Trials: the feasibility trial — arms, randomisation, follow-up, outcomes, exports."""

from django.apps import AppConfig


class TrialsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "trials"
    verbose_name = "Feasibility trial"

    def ready(self) -> None:
        # trials sits above every other app: it adds its onboarding steps, its hooks on
        # consent and baseline, and its page sections to the registries below (DESIGN.md).
        from onboarding.middleware import allow_prefixes
        from trials import wiring_dashboard, wiring_followups, wiring_participation

        # A participant who leaves the programme stays in the study's follow-up (as the study
        # consent says): their study page and questions stay open to them.
        allow_prefixes("/study/", "/api/v1/study/")

        wiring_participation.connect()
        wiring_followups.connect()
        wiring_dashboard.connect()
