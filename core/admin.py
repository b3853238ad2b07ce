"""Admin for the shared mechanisms. The audit log is read-only for everybody."""

from django.contrib import admin

from core.models import AuditEvent, Heartbeat, NotificationDelivery


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records written by the services only: nobody adds, changes or deletes them here. The apps
    above use it for their own records (onboarding's consents, the trial's allocations)."""

    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = [
        "at",
        "action",
        "actor_id",
        "actor_role",
        "subject_id",
        "target_type",
        "target_id",
    ]
    list_filter = ["action", "actor_role"]
    search_fields = ["action", "target_id", "=actor__id", "=subject__id"]
    date_hierarchy = "at"
    ordering = ["-at", "-id"]


@admin.register(NotificationDelivery)
class NotificationDeliveryAdmin(admin.ModelAdmin):
    """Delivery state only: what was sent to whom stays out of the admin."""

    list_display = [
        "id",
        "notification_id",
        "channel",
        "status",
        "attempts",
        "next_attempt_at",
        "sent_at",
    ]
    list_filter = ["status", "channel"]
    readonly_fields = [
        "notification",
        "channel",
        "status",
        "attempts",
        "next_attempt_at",
        "sent_at",
        "last_error",
    ]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Heartbeat)
class HeartbeatAdmin(admin.ModelAdmin):
    list_display = ["name", "last_seen_at", "count"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
