"""The Django admin site, for admins with a second factor only."""

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig


class ExhaleAdminSite(admin.AdminSite):
    site_header = "Exhale administration"
    site_title = "Exhale admin"
    index_title = "Accounts, content and records"

    def has_permission(self, request) -> bool:
        from accounts.permissions import can_use_admin_site

        return can_use_admin_site(request.user)

    def login(self, request, extra_context=None):
        from allauth.account.decorators import secure_admin_login

        # The admin's own password form logs a user in without the second factor: send everybody
        # to allauth's login instead. Logged-in users who may not use the admin get a 403.
        return secure_admin_login(super().login)(request, extra_context)


class ExhaleAdminConfig(AdminConfig):
    default_site = "config.admin.ExhaleAdminSite"
