"""Peer support: groups, pseudonyms, posts, moderation, 1:1 messages to peer specialists."""

from django.apps import AppConfig


class PeersupportConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "peersupport"
    verbose_name = "Peer support"

    def ready(self) -> None:
        from accounts import sections as account_sections
        from peersupport import sections

        account_sections.patient_home.register(sections.patient_home_section)
        account_sections.peer_home.register(sections.peer_home_section)
        account_sections.admin_home.register(sections.admin_home_section)
        account_sections.staff_patient_page.register(sections.staff_patient_section)
