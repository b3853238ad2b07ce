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


class ExhaleAdminConfig(AdminConfig):
    default_site = "config.admin.ExhaleAdminSite"
