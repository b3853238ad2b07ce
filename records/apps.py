"""Records: retention of what Exhale holds and the subject-access export of one person's data.
It sits above every other app, because a person's data lives in all of them (DESIGN.md)."""

from django.apps import AppConfig


class RecordsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "records"
    verbose_name = "Records (retention and subject access)"

    def ready(self) -> None:
        from accounts import sections as account_sections
        from records import sections

        account_sections.account_page.register(sections.account_section)
        account_sections.admin_home.register(sections.admin_home_section)
