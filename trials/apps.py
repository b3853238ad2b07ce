"""Trials: the feasibility trial — arms, randomisation, follow-up, outcomes, exports."""

from django.apps import AppConfig


class TrialsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "trials"
    verbose_name = "Feasibility trial"
