"""Shared mechanisms every Exhale app uses: encryption, audit, notifications, health."""

from django.apps import AppConfig


class CoreConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        # Registers checks, the settings hook and the any_of lookup.
        from core import bulk, checks, crypto  # noqa: F401
