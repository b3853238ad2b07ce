"""Admin for quit tracking: only the health-improvement timeline, which is content.

Check-ins, cravings, CO readings and medications are health data for the care team and are not
in the admin. An edited timeline entry loses its approval: patients see "approved by" only for
text a clinician has approved as it reads now.
"""

from django.contrib import admin

from cessation.models import HealthBenefit


@admin.register(HealthBenefit)
class HealthBenefitAdmin(admin.ModelAdmin):
    list_display = ["when_label", "text", "source", "approved_by", "approved_at"]
    fields = ["after_minutes", "when_label", "text", "source", "source_url", "order"]
    readonly_fields = ["approved_by", "approved_at"]
    ordering = ["after_minutes", "order", "id"]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "source_url":
            kwargs["assume_scheme"] = "https"
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def get_fields(self, request, obj=None):
        # Show who approved it, read-only, beside the editable content.
        return [*self.fields, *(["approved_by", "approved_at"] if obj else [])]

    def save_model(self, request, obj, form, change):
        if not change or form.has_changed():
            # New or changed content needs a clinician's approval again (content, not code).
            obj.approved_by = None
            obj.approved_at = None
        super().save_model(request, obj, form, change)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("approved_by")
