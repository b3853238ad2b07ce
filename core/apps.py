"""Shared mechanisms every Exhale app uses: encryption, audit, notifications, health."""

from django.apps import AppConfig


class CoreConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from core import checks, crypto  # noqa: F401  (registers checks and the settings hook)
