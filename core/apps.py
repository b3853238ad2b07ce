"""Shared mechanisms every Exhale app uses: encryption, audit, notifications, health."""

from django.apps import AppConfig
from django.urls import register_converter


class CoreConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        # Registers checks, the settings hook and the any_of lookup.
        from core import bulk, checks, crypto  # noqa: F401
        from core.connections import connect_signals
        from core.converters import IdConverter

        # Every PostgreSQL connection reads its server-side cursors to the end (core/connections).
        connect_signals()

        # `<id:...>` in every app's URLs (apps are ready before any URLconf is imported).
        register_converter(IdConverter, "id")
