"""Cessation: quit plans, daily check-ins, CO readings, progress, check-in schedules."""

from django.apps import AppConfig


class CessationConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "cessation"
    verbose_name = "Quit tracking"
