"""Admin for accounts. Accounts are created by invitation, never here; opening a patient's
account in the admin is written to the audit log like any other staff read."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from accounts.models import ApiToken, Invitation, PatientProfile, Role, User
from accounts.services import user_deactivate
from core.services import audit_record


class PatientProfileInline(admin.StackedInline):
    model = PatientProfile
    fk_name = "user"
    can_delete = False
    extra = 0
    autocomplete_fields = ["clinician", "backup_clinician", "peer_specialist"]


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    list_display = ["id", "full_name", "email", "role", "is_active", "last_login"]
    list_filter = ["role", "is_active"]
    search_fields = ["full_name", "email"]
    ordering = ["role", "full_name"]
    fields = [
        "email",
        "full_name",
        "preferred_name",
        "role",
        "is_active",
        "date_joined",
        "last_login",
        "audit_log",
        "subject_access",
    ]
    readonly_fields = ["role", "date_joined", "last_login", "audit_log", "subject_access"]
    inlines = [PatientProfileInline]

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None and obj.role == Role.PATIENT else []

    def has_add_permission(self, request):
        return False  # access is by invitation only

    @admin.display(description="Audit log")
    def audit_log(self, obj):
        url = reverse("admin:core_auditevent_changelist")
        return format_html(
            '<a href="{}?subject={}">About this account</a> · <a href="{}?actor={}">By them</a>',
            url,
            obj.pk,
            url,
            obj.pk,
        )

    @admin.display(description="Their data")
    def subject_access(self, obj):
        # records (above accounts) serves the page; a URL name, not an import.
        return format_html(
            '<a href="{}">A copy of their data (subject access)</a>',
            reverse("records:subject_access", args=[obj.pk]),
        )

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change:
            return
        if "is_active" in form.changed_data and not obj.is_active:
            # Deactivating ends the account's sessions and API tokens now.
            user_deactivate(user=obj, by=request.user, request=request)
        elif "is_active" in form.changed_data:
            audit_record(
                actor=request.user,
                action="account.reactivated",
                subject=obj,
                target=obj,
                request=request,
            )
        changed = [name for name in form.changed_data if name != "is_active"]
        if changed:
            # Which fields, never their old or new words.
            audit_record(
                actor=request.user,
                action="account.changed",
                subject=obj,
                target=obj,
                detail={"fields": sorted(changed)},
                request=request,
            )

    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)
        for profile, fields in getattr(formset, "changed_objects", []):
            # A new clinician, backup or peer specialist changes who may read the record: ids only.
            audit_record(
                actor=request.user,
                action="care_team.changed",
                subject=profile.user,
                target=profile,
                detail={
                    "fields": sorted(fields),
                    **{
                        f"{name}_id": getattr(profile, f"{name}_id")
                        for name in ("clinician", "backup_clinician", "peer_specialist")
                        if name in fields
                    },
                },
                request=request,
            )

    def has_delete_permission(self, request, obj=None):
        return False  # deactivate instead: records and the audit trail must survive

    def change_view(self, request, object_id, form_url="", extra_context=None):
        user = self.get_object(request, object_id)
        if user is not None and user.role == Role.PATIENT:
            audit_record(
                actor=request.user,
                action="patient.viewed",
                subject=user,
                target=user,
                detail={"purpose": "admin"},
                request=request,
            )
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "email",
        "role",
        "invited_by",
        "created_at",
        "expires_at",
        "accepted_at",
        "revoked_at",
    ]
    list_filter = ["role"]
    search_fields = ["email"]
    exclude = ["token", "token_hash"]
    readonly_fields = [
        "email",
        "full_name",
        "role",
        "invited_by",
        "expires_at",
        "sent_at",
        "accepted_at",
        "accepted_user",
        "revoked_at",
        "revoked_by",
        "clinician",
        "backup_clinician",
        "peer_specialist",
        "discharged_on",
    ]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = [
        "prefix",
        "user",
        "name",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    ]
    exclude = ["key_hash"]
    readonly_fields = ["user", "name", "prefix", "created_at", "expires_at", "last_used_at"]

    def has_add_permission(self, request):
        return False
