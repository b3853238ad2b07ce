"""Admin of onboarding: the texts patients read (new versions, approval and publishing, each
through the services, so each is audited) and, read-only, the records of consents, journeys,
steps, baselines and assisted sessions.

A text is never edited: a change is a new version (prefilled from the version in force with
`?key=`), approved by an active clinician or admin, then published. Records show patients by id
only; a baseline's answers (health data) are shown on its own page, and that read is audited like
any other staff read of a patient's record.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import OuterRef, QuerySet, Subquery
from django.db.models.functions import Now
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from accounts.models import Role, User
from core.admin import ReadOnlyAdmin
from core.exceptions import StateConflict
from core.services import audit_record
from onboarding import markup, readability, selectors, services
from onboarding.models import AssistSession, Baseline, Consent, ContentVersion, Journey, StepRecord


def approvers() -> QuerySet[User]:
    """Who may be named as having approved a text: active clinicians and admins."""
    return User.objects.filter(is_active=True, role__in=[Role.CLINICIAN, Role.ADMIN]).order_by(
        "full_name"
    )


class ApproverChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return f"{obj.full_name} ({obj.get_role_display()})"


class ContentVersionCreateForm(forms.ModelForm):
    """A new version of a text. The service checks the markup and, for the easy-read explainer,
    the reading ease; the same checks run here so each problem shows on the form."""

    class Meta:
        model = ContentVersion
        fields = ["key", "title", "body", "change_note"]
        widgets = {"body": forms.Textarea(attrs={"rows": 24, "cols": 100})}

    def clean(self):
        cleaned = super().clean()
        key, body = cleaned.get("key"), cleaned.get("body")
        if key and body is not None:
            for problem in services.content_problems(key=key, body=body):
                self.add_error("body", problem)
        return cleaned


class ApproveForm(forms.Form):
    approver = ApproverChoiceField(
        queryset=User.objects.none(),
        label=_("Approved by"),
        help_text=_("The clinician or governance lead who approved these words."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["approver"].queryset = approvers()


class ContentVersionActionForm(ActionForm):
    """The changelist's action bar, with the approver for "Approve"."""

    approver = ApproverChoiceField(
        queryset=User.objects.none(), required=False, label=_("Approved by")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["approver"].queryset = approvers()


def _refusal(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc)


@admin.register(ContentVersion)
class ContentVersionAdmin(admin.ModelAdmin):
    list_display = [
        "key",
        "version",
        "title",
        "state",
        "in_force",
        "approved_by",
        "approved_at",
        "published_at",
    ]
    list_display_links = ["key", "version"]
    list_filter = ["key"]
    ordering = ["key", "-version"]
    list_select_related = ["approved_by"]
    search_fields = ["title"]
    actions = ["approve_selected", "publish_selected"]
    action_form = ContentVersionActionForm
    readonly_fields = [
        "key",
        "version",
        "title",
        "body",
        "change_note",
        "created_at",
        "created_by",
        "approved_by",
        "approved_at",
        "published_at",
        "reading_ease",
        "preview",
    ]
    fieldsets = [
        (None, {"fields": ["key", "version", "title", "change_note"]}),
        (_("Words"), {"fields": ["body", "reading_ease", "preview"]}),
        (
            _("Approval and publishing"),
            {"fields": ["created_at", "created_by", "approved_by", "approved_at", "published_at"]},
        ),
    ]
    add_fieldsets = [(None, {"fields": ["key", "title", "body", "change_note"]})]

    # --- What may be done ------------------------------------------------------------------------

    def has_change_permission(self, request, obj=None):
        # Every version is read-only: a change is a new version; approving and publishing have
        # their own buttons and actions, which call the services.
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False  # consents point at the words they agreed to

    def view_on_site(self, obj: ContentVersion) -> str | None:
        # Patients' pages show published versions only: a draft has no page yet.
        return obj.get_absolute_url() if obj.is_published else None

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = ContentVersionCreateForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fieldsets(self, request, obj=None):
        return self.fieldsets if obj is not None else self.add_fieldsets

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else []

    def get_queryset(self, request):
        in_force = (
            ContentVersion.objects.filter(
                key=OuterRef("key"), published_at__isnull=False, published_at__lte=Now()
            )
            .order_by("-published_at", "-version")
            .values("pk")[:1]
        )
        return super().get_queryset(request).annotate(in_force_pk=Subquery(in_force))

    # --- Columns and read-only fields ------------------------------------------------------------

    @admin.display(description=_("State"))
    def state(self, obj: ContentVersion) -> str:
        if obj.is_published:
            return gettext("Published") if obj.is_approved else gettext("Published, not approved")
        return gettext("Approved, not published") if obj.is_approved else gettext("Draft")

    @admin.display(description=_("In force"), boolean=True)
    def in_force(self, obj: ContentVersion) -> bool:
        return getattr(obj, "in_force_pk", None) == obj.pk

    @admin.display(description=_("Reading ease"))
    def reading_ease(self, obj: ContentVersion) -> str:
        score = readability.flesch_reading_ease(markup.plain_text(obj.body))
        note = gettext("Flesch reading ease %(score).0f (higher is easier).") % {"score": score}
        if obj.key == ContentVersion.Key.PRIVACY_EASY:
            note += " " + gettext("The easy-read explainer must score at least %(min).0f.") % {
                "min": readability.EASY_READ_MINIMUM
            }
        return note

    @admin.display(description=_("Preview"))
    def preview(self, obj: ContentVersion) -> str:
        # markup.render escapes every character of the text (the patients' pages use it too).
        return format_html(
            '<div class="easy-read content-preview">{}</div>',
            mark_safe(markup.render(obj.body)),  # noqa: S308
        )

    # --- Adding a version ------------------------------------------------------------------------

    def get_changeform_initial_data(self, request):
        """`?key=` starts from the words in force (or the latest version) of that text."""
        initial = super().get_changeform_initial_data(request)
        key = request.GET.get("key")
        if key in ContentVersion.Key.values:
            source = selectors.content_current(key=key) or (
                ContentVersion.objects.filter(key=key).order_by("-version").first()
            )
            initial["key"] = key
            if source is not None:
                initial.update(title=source.title, body=source.body)
        return initial

    def save_form(self, request, form, change):
        if change:
            raise PermissionDenied  # never reached: versions are read-only
        return services.content_version_create(
            key=form.cleaned_data["key"],
            title=form.cleaned_data["title"],
            body=form.cleaned_data["body"],
            change_note=form.cleaned_data.get("change_note", ""),
            by=request.user,
        )

    def save_model(self, request, obj, form, change):
        pass  # saved by the service in save_form

    def save_related(self, request, form, formsets, change):
        pass  # no related objects

    # --- Approving and publishing ----------------------------------------------------------------

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<id:object_id>/approve/",
                view(self.approve_view),
                name="onboarding_contentversion_approve",
            ),
            path(
                "<id:object_id>/publish/",
                view(self.publish_view),
                name="onboarding_contentversion_publish",
            ),
            *super().get_urls(),
        ]

    def _change_url(self, version: ContentVersion) -> str:
        return reverse("admin:onboarding_contentversion_change", args=[version.pk])

    def _approve(self, request, version: ContentVersion, approver: User) -> bool:
        try:
            services.content_approve(version=version, approver=approver, by=request.user)
        except (StateConflict, ValidationError, PermissionDenied) as exc:
            self.message_user(request, f"{version}: {_refusal(exc)}", messages.ERROR)
            return False
        return True

    def _publish(self, request, version: ContentVersion) -> bool:
        try:
            services.content_publish(version=version, by=request.user)
        except (StateConflict, PermissionDenied) as exc:
            self.message_user(request, f"{version}: {_refusal(exc)}", messages.ERROR)
            return False
        return True

    @method_decorator(require_POST)
    def approve_view(self, request: HttpRequest, object_id: int):
        if not self.has_change_permission(request):
            raise PermissionDenied
        version = get_object_or_404(ContentVersion, pk=object_id)
        form = ApproveForm(request.POST)
        if not form.is_valid():
            self.message_user(
                request, gettext("Choose an active clinician or admin."), messages.ERROR
            )
        elif self._approve(request, version, form.cleaned_data["approver"]):
            self.message_user(
                request,
                gettext("%(version)s is approved by %(name)s.")
                % {"version": version, "name": form.cleaned_data["approver"].full_name},
                messages.SUCCESS,
            )
        return HttpResponseRedirect(self._change_url(version))

    @method_decorator(require_POST)
    def publish_view(self, request: HttpRequest, object_id: int):
        if not self.has_change_permission(request):
            raise PermissionDenied
        version = get_object_or_404(ContentVersion, pk=object_id)
        if self._publish(request, version):
            self.message_user(
                request,
                gettext("%(version)s is published: patients see it from now on.")
                % {"version": version},
                messages.SUCCESS,
            )
        return HttpResponseRedirect(self._change_url(version))

    @admin.action(description=_("Approve the selected versions (choose who approved them)"))
    def approve_selected(self, request, queryset):
        form = ApproveForm({"approver": request.POST.get("approver")})
        if not form.is_valid():
            self.message_user(
                request,
                gettext("Choose who approved the words: an active clinician or admin."),
                messages.ERROR,
            )
            return
        approver = form.cleaned_data["approver"]
        done = sum(self._approve(request, version, approver) for version in queryset)
        if done:
            self.message_user(
                request,
                gettext("%(count)d version(s) approved by %(name)s.")
                % {"count": done, "name": approver.full_name},
                messages.SUCCESS,
            )

    @admin.action(description=_("Publish the selected versions"))
    def publish_selected(self, request, queryset):
        done = sum(self._publish(request, version) for version in queryset.order_by("version"))
        if done:
            self.message_user(request, gettext("%(count)d version(s) published.") % {"count": done})

    def change_view(self, request, object_id, form_url="", extra_context=None):
        version = self.get_object(request, object_id)
        extra_context = extra_context or {}
        if version is not None:
            extra_context.update(
                approve_form=ApproveForm(),
                approve_url=reverse("admin:onboarding_contentversion_approve", args=[version.pk]),
                publish_url=reverse("admin:onboarding_contentversion_publish", args=[version.pk]),
                new_version_url=(
                    reverse("admin:onboarding_contentversion_add") + f"?key={version.key}"
                ),
                version=version,
            )
        return super().change_view(request, object_id, form_url, extra_context)


# --- Records, read-only ---------------------------------------------------------------------------


@admin.register(Consent)
class ConsentAdmin(ReadOnlyAdmin):
    """Who agreed to what and when, by ids only: the version agreed to, the times, the reason
    chosen on withdrawing."""

    list_display = [
        "id",
        "patient_id",
        "kind",
        "text_version",
        "given_at",
        "withdrawn_at",
        "withdrawal_reason",
    ]
    list_filter = ["kind", "withdrawal_reason"]
    date_hierarchy = "given_at"
    ordering = ["-given_at", "-id"]
    list_select_related = ["text"]
    fields = [
        "id",
        "patient_id",
        "kind",
        "text_key",
        "text_version",
        "given_at",
        "withdrawn_at",
        "withdrawal_reason",
    ]
    readonly_fields = fields

    @admin.display(description=_("Text"))
    def text_key(self, obj: Consent) -> str:
        return obj.text.key

    @admin.display(description=_("Version"), ordering="text__version")
    def text_version(self, obj: Consent) -> int:
        return obj.text.version


@admin.register(Journey)
class JourneyAdmin(ReadOnlyAdmin):
    list_display = [
        "patient_id",
        "started_at",
        "current_step",
        "finished_at",
        "last_activity_at",
        "reminders_sent",
    ]
    list_filter = ["current_step"]
    ordering = ["-started_at"]
    fields = [
        "patient_id",
        "started_at",
        "current_step",
        "finished_at",
        "last_activity_at",
        "reminder_sent_at",
        "reminders_sent",
    ]
    readonly_fields = fields


@admin.register(StepRecord)
class StepRecordAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "journey_id",
        "step",
        "first_seen_at",
        "completed_at",
        "skipped_at",
        "times_completed",
        "assist_id",
    ]
    list_filter = ["step"]
    ordering = ["-first_seen_at", "-id"]
    fields = [
        "id",
        "journey_id",
        "step",
        "first_seen_at",
        "completed_at",
        "completed_by_id",
        "assist_id",
        "skipped_at",
        "times_completed",
        "detail",
    ]
    readonly_fields = fields


@admin.register(Baseline)
class BaselineAdmin(ReadOnlyAdmin):
    """The list shows ids and times; the answers (structured health data, no free text) are on
    each baseline's page, and opening it is audited."""

    list_display = ["patient_id", "recorded_at", "updated_at", "recorded_by_id"]
    ordering = ["-recorded_at"]
    fields = [
        "patient_id",
        "age_started",
        "per_day",
        "time_to_first",
        "hsi_score",
        "quit_attempts",
        "motivation",
        "vapes",
        "medicines",
        "support_wanted",
        "mood",
        "recorded_at",
        "recorded_by_id",
        "updated_at",
    ]
    readonly_fields = fields

    def change_view(self, request, object_id, form_url="", extra_context=None):
        baseline = self.get_object(request, object_id)
        if baseline is not None:
            audit_record(
                actor=request.user,
                action="patient.viewed",
                subject=baseline.patient,
                target=baseline,
                detail={"purpose": "admin onboarding baseline"},
                request=request,
            )
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(AssistSession)
class AssistSessionAdmin(ReadOnlyAdmin):
    list_display = ["id", "patient_id", "staff", "started_at", "ended_at", "expires_at"]
    ordering = ["-started_at", "-id"]
    list_select_related = ["staff"]
    fields = ["id", "patient_id", "staff", "started_at", "ended_at", "expires_at"]
    readonly_fields = fields
