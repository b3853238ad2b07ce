"""Admin for the shared mechanisms. The audit log is read-only for everybody."""

from django.contrib import admin
from django.contrib.admin.views.main import PAGE_VAR
from django.contrib.auth import get_user_model

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


class PersonFilter(admin.SimpleListFilter):
    """Filter by one account, typed as its id or email address: with thousands of users a list of
    choices would be unusable. An unknown address shows no rows (never every row)."""

    template = "admin/core/person_filter.html"
    field = ""  # the AuditEvent foreign key

    def lookups(self, request, model_admin):
        return []

    def has_output(self):
        return True

    def choices(self, changelist):
        others = [
            (key, value)
            for key, values in changelist.filter_params.items()
            if key not in (self.parameter_name, PAGE_VAR)
            for value in values
        ]
        yield {
            "selected": self.value() is None,
            "query_string": changelist.get_query_string(remove=[self.parameter_name]),
            "display": "All",
            "hidden": others,
        }

    def user_id(self) -> int | None:
        value = (self.value() or "").strip()
        if value.isdigit():
            return int(value)
        if "@" in value:
            return (
                get_user_model()
                .objects.filter(email__iexact=value)
                .values_list("pk", flat=True)
                .first()
            )
        return None

    def queryset(self, request, queryset):
        if not (self.value() or "").strip():
            return queryset
        user_id = self.user_id()
        if user_id is None:
            return queryset.none()
        return queryset.filter(**{f"{self.field}_id": user_id})


class PatientFilter(PersonFilter):
    title = "patient (whose record)"
    parameter_name = "subject"
    field = "subject"


class StaffMemberFilter(PersonFilter):
    title = "staff member (who acted)"
    parameter_name = "actor"
    field = "actor"


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    """The audit log, for admins (with a second factor, as every admin page): filter by patient
    and by staff member (id or email), by action and role, by date."""

    list_display = [
        "at",
        "action",
        "actor_id",
        "actor_role",
        "subject_id",
        "target_type",
        "target_id",
    ]
    list_filter = [PatientFilter, StaffMemberFilter, "action", "actor_role"]
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
