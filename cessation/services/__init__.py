"""Writes of quit tracking. `quitting`: plans, check-ins, cravings, CO, medications;
`schedules`: check-in schedules and reminders; `monitoring`: missed check-ins, deterioration
and follow-up notices; `clock`: the patient's own date."""

from cessation.services.clock import patient_today, patient_zone
from cessation.services.monitoring import (
    checkin_received,
    co_window_notices_send,
    deterioration_check,
    missed_checkins_process,
    outreach_close,
)
from cessation.services.quitting import (
    MAX_NOTE_LENGTH,
    MAX_REASONS_LENGTH,
    CheckInResult,
    checkin_allowed_days,
    checkin_submit,
    co_reading_record,
    craving_log,
    health_benefits_approve,
    medication_add,
    medication_stop,
    quit_plan_save,
    review_medications,
)
from cessation.services.schedules import (
    reminders_claim_due,
    reminders_send_batch,
    reminders_tick,
    schedule_for,
    schedule_pause,
    schedule_resume,
    schedule_update,
    schedules_ensure,
)

__all__ = [
    "MAX_NOTE_LENGTH",
    "MAX_REASONS_LENGTH",
    "CheckInResult",
    "checkin_allowed_days",
    "checkin_received",
    "checkin_submit",
    "co_reading_record",
    "co_window_notices_send",
    "craving_log",
    "deterioration_check",
    "health_benefits_approve",
    "medication_add",
    "medication_stop",
    "missed_checkins_process",
    "outreach_close",
    "patient_today",
    "patient_zone",
    "quit_plan_save",
    "reminders_claim_due",
    "reminders_send_batch",
    "reminders_tick",
    "review_medications",
    "schedule_for",
    "schedule_pause",
    "schedule_resume",
    "schedule_update",
    "schedules_ensure",
]
