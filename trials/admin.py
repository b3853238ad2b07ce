"""Admin of the trial: read-only records, by trial ids. Trials are set up, opened and closed on
the trial pages (/trials/), through the services, so that each change is checked and audited.

The allocation sequence (SequenceSlot) is deliberately not registered: nobody can read it here.
Allocations are shown (they are never changed: no add, change or delete), and so are screening
entries, participants (trial id, status, never the patient's name), withdrawals, follow-ups and
adverse events (without the clinician's description, which is read on the trial's adverse-event
pages).
"""

from __future__ import annotations

from django.contrib import admin

from core.admin import ReadOnlyAdmin
from trials.models import (
    AdverseEvent,
    Allocation,
    FollowUp,
    Participant,
    ScreeningEntry,
    Trial,
    Withdrawal,
)


@admin.register(Trial)
class TrialAdmin(ReadOnlyAdmin):
    list_display = ["name", "slug", "status", "recruitment_target", "recruitment_opened_at"]
    list_filter = ["status"]
    fields = [
        "name",
        "slug",
        "registration",
        "status",
        "recruitment_target",
        "strata_factors",
        "block_multiples",
        "recruitment_opened_at",
        "recruitment_closed_at",
        "closed_at",
        "sequence_generated_at",
    ]
    readonly_fields = fields


@admin.register(ScreeningEntry)
class ScreeningEntryAdmin(ReadOnlyAdmin):
    list_display = ["id", "trial", "screened_on", "outcome", "reason"]
    list_filter = ["trial", "outcome", "reason"]
    fields = ["id", "trial", "screened_on", "outcome", "reason", "recorded_at"]
    readonly_fields = fields


@admin.register(Participant)
class ParticipantAdmin(ReadOnlyAdmin):
    list_display = ["study_id", "trial", "status", "diagnosis_group", "enrolled_at"]
    list_filter = ["trial", "status", "diagnosis_group"]
    search_fields = ["study_id"]
    fields = [
        "study_id",
        "trial",
        "status",
        "diagnosis_group",
        "enrolled_at",
        "declined_at",
        "consented_at",
        "withdrawn_at",
        "completed_at",
    ]
    readonly_fields = fields


@admin.register(Allocation)
class AllocationAdmin(ReadOnlyAdmin):
    """Every allocation, never changed; notes are added on the trial's participant pages."""

    list_display = ["study_id", "arm", "stratum", "allocated_at"]
    list_filter = ["arm__trial", "arm"]
    list_select_related = ["participant", "arm"]
    fields = ["study_id", "arm", "stratum", "allocated_at"]
    readonly_fields = fields

    @admin.display(description="Trial id", ordering="participant__study_id")
    def study_id(self, obj: Allocation) -> str:
        return obj.participant.study_id


@admin.register(Withdrawal)
class WithdrawalAdmin(ReadOnlyAdmin):
    list_display = ["study_id", "level", "source", "at", "reason"]
    list_filter = ["level", "source"]
    list_select_related = ["participant"]
    fields = ["study_id", "level", "source", "at", "reason"]
    readonly_fields = fields

    @admin.display(description="Trial id")
    def study_id(self, obj: Withdrawal) -> str:
        return obj.participant.study_id


@admin.register(FollowUp)
class FollowUpAdmin(ReadOnlyAdmin):
    list_display = ["study_id", "point", "status", "due_on", "window_opens_on", "window_closes_on"]
    list_filter = ["status", "point__trial", "point"]
    list_select_related = ["participant", "point"]
    fields = [
        "study_id",
        "point",
        "status",
        "anchor_date",
        "due_on",
        "window_opens_on",
        "window_closes_on",
        "reminders_sent",
        "answered_at",
        "source",
        "smoked_since",
        "smoked_last_7_days",
        "cigarettes_per_day",
        "co_ppm",
        "co_taken_on",
    ]
    readonly_fields = fields

    @admin.display(description="Trial id")
    def study_id(self, obj: FollowUp) -> str:
        return obj.participant.study_id


@admin.register(AdverseEvent)
class AdverseEventAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "study_id",
        "source",
        "category",
        "occurred_on",
        "seriousness",
        "relatedness",
        "expectedness",
    ]
    list_filter = ["source", "seriousness", "relatedness", "expectedness"]
    list_select_related = ["participant"]
    fields = [
        "id",
        "study_id",
        "source",
        "category",
        "occurred_on",
        "seriousness",
        "relatedness",
        "expectedness",
        "assessed_at",
        "sae_notified_at",
    ]
    readonly_fields = fields

    @admin.display(description="Trial id")
    def study_id(self, obj: AdverseEvent) -> str:
        return obj.participant.study_id
