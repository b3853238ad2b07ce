from django.contrib import admin

from safety.models import CrisisResource, OnCall
from safety.services import crisis_resources_changed


@admin.register(CrisisResource)
class CrisisResourceAdmin(admin.ModelAdmin):
    list_display = ["name", "how", "order", "is_active"]
    list_editable = ["order", "is_active"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        crisis_resources_changed()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        crisis_resources_changed()

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        crisis_resources_changed()


@admin.register(OnCall)
class OnCallAdmin(admin.ModelAdmin):
    """Who is on call. Flag contents are not in the admin: they are for clinicians."""

    list_display = ["user", "since"]
    autocomplete_fields = ["user"]
