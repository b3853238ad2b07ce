"""Onboarding: the patient's first journey after discharge, as an ordered registry of steps."""

from django.apps import AppConfig


class OnboardingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "onboarding"
    verbose_name = "Onboarding"
