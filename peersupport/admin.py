"""Admin of the peer groups: groups and their moderators, the moderators' message templates, who
leads each peer specialist, and the moderation log (read-only). Posts, messages and members'
identities are not here: moderation happens in the product's own pages, where it is audited."""

from django import forms
from django.contrib import admin

from accounts.models import Role, User
from core.services import audit_record
from peersupport.models import ModerationAction, ModeratorMessageTemplate, PeerGroup, PeerLead


class PeerGroupForm(forms.ModelForm):
    class Meta:
        model = PeerGroup
        fields = ["name", "slug", "kind", "description", "cohort_month", "moderators", "is_open"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["moderators"].queryset = User.objects.filter(
            role=Role.PEER, is_active=True
        ).order_by("full_name")


@admin.register(PeerGroup)
class PeerGroupAdmin(admin.ModelAdmin):
    form = PeerGroupForm
    list_display = ["name", "kind", "cohort_month", "is_open", "created_at"]
    list_filter = ["kind", "is_open"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["moderators"]
    search_fields = ["name"]

    def has_delete_permission(self, request, obj=None):
        return False  # close a group instead: its conversations and moderation record stay

    def save_related(self, request, form, formsets, change):
        before = set(form.instance.moderators.values_list("pk", flat=True)) if change else set()
        super().save_related(request, form, formsets, change)
        after = set(form.instance.moderators.values_list("pk", flat=True))
        # Becoming (or ceasing to be) a group's moderator changes what a peer specialist may
        # read and do: one audit row per person, ids only.
        for user_id, action in [(pk, "moderator.added") for pk in sorted(after - before)] + [
            (pk, "moderator.removed") for pk in sorted(before - after)
        ]:
            audit_record(
                actor=request.user,
                action=f"peer_group.{action}",
                subject=User(pk=user_id),
                target=form.instance,
                request=request,
            )


@admin.register(ModeratorMessageTemplate)
class ModeratorMessageTemplateAdmin(admin.ModelAdmin):
    list_display = ["title", "order", "is_active"]
    list_editable = ["order", "is_active"]


class PeerLeadForm(forms.ModelForm):
    class Meta:
        model = PeerLead
        fields = ["peer", "lead"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["peer"].queryset = User.objects.filter(role=Role.PEER).order_by("full_name")
        self.fields["lead"].queryset = User.objects.filter(
            role=Role.ADMIN, is_active=True
        ).order_by("full_name")


@admin.register(PeerLead)
class PeerLeadAdmin(admin.ModelAdmin):
    """Who is told when a peer specialist's 1:1 message waits past the promise."""

    form = PeerLeadForm
    list_display = ["peer", "lead"]


@admin.register(ModerationAction)
class ModerationActionAdmin(admin.ModelAdmin):
    """Every moderation decision, read-only. Members appear by id only; the product's moderation
    log shows group names, and looking up who a member is happens there, audited."""

    list_display = ["created_at", "action", "group", "actor", "member_id", "post_id"]
    list_filter = ["action", "group"]
    date_hierarchy = "created_at"
    ordering = ["-created_at", "-id"]
    show_full_result_count = False
    list_select_related = ["group", "actor"]
    fields = ["created_at", "action", "group", "actor", "member_id", "post_id", "reason", "detail"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
