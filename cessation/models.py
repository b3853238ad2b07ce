"""Quit tracking: the quit plan and its history, daily check-ins, cravings, CO readings,
medications that matter when someone stops smoking, and the approved health-benefit content."""

from __future__ import annotations

import re

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from core.fields import EncryptedTextField
from core.models import TimeStampedModel


class Product(models.TextChoices):
    CIGARETTES = "cigarettes", "Cigarettes"
    ROLLUPS = "rollups", "Roll-ups"
    TOBACCO_GRAMS = "grams", "Loose tobacco (grams)"


class Support(models.TextChoices):
    PATCH = "patch", "Nicotine patch"
    GUM = "gum", "Nicotine gum"
    LOZENGE = "lozenge", "Lozenge"
    INHALATOR = "inhalator", "Inhalator"
    SPRAY = "spray", "Mouth or nasal spray"
    VARENICLINE = "varenicline", "Varenicline"
    CYTISINE = "cytisine", "Cytisine"
    ECIGARETTE = "ecigarette", "E-cigarette (vape)"
    NONE = "none", "Nothing"


class Trigger(models.TextChoices):
    WAKING = "waking", "When I wake up"
    COFFEE = "coffee", "With tea or coffee"
    MEALS = "meals", "After meals"
    STRESS = "stress", "When stressed or upset"
    BOREDOM = "boredom", "When bored"
    ALCOHOL = "alcohol", "When drinking alcohol"
    OTHERS_SMOKING = "others", "When others smoke"
    BREAKS = "breaks", "On breaks"
    SYMPTOMS = "symptoms", "When my symptoms are bad"
    NIGHT = "night", "In the evening or at night"


class TimeToFirst(models.TextChoices):
    """Heaviness of Smoking Index item: how soon after waking the first cigarette is smoked."""

    WITHIN_5 = "5", "Within 5 minutes"
    WITHIN_30 = "30", "6 to 30 minutes"
    WITHIN_60 = "60", "31 to 60 minutes"
    AFTER_60 = "61", "After 60 minutes"


class QuitPlan(TimeStampedModel):
    """A patient's quit plan. One per patient; a changed quit date is kept in QuitDateChange."""

    class MedicationReviewState(models.TextChoices):
        """Which medication-review flag was last raised, so each change is flagged once."""

        NONE = "none", "No review raised"
        DATE_SET = "date_set", "Raised: quit date set"
        STOPPED = "stopped", "Raised: stopped or cut right down"
        SMOKING_AGAIN = "smoking_again", "Raised: smoking again"

    patient = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="quit_plan",
        primary_key=True,
    )
    quit_date = models.DateField()
    product = models.CharField(max_length=16, choices=Product.choices, default=Product.CIGARETTES)
    per_day = models.DecimalField(
        max_digits=5,
        decimal_places=1,
        validators=[MinValueValidator(0), MaxValueValidator(120)],
        help_text="Cigarettes or roll-ups a day, or grams of tobacco a day, before quitting.",
    )
    pack_price = models.DecimalField(
        max_digits=6,
        decimal_places=2,
        validators=[MinValueValidator(0), MaxValueValidator(500)],
        help_text="Price of a pack or pouch, in pounds.",
    )
    pack_size = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(500)],
        help_text="Cigarettes in a pack, or grams in a pouch.",
    )
    time_to_first = models.CharField(
        max_length=4, choices=TimeToFirst.choices, blank=True, default=""
    )
    # [{"kind": "patch", "dose": "21 mg"}, ...]
    supports = models.JSONField(default=list, blank=True)
    triggers = models.JSONField(default=list, blank=True)
    triggers_other = EncryptedTextField(blank=True, default="")
    reasons = EncryptedTextField(blank=True, default="")
    medication_review_state = models.CharField(
        max_length=16,
        choices=MedicationReviewState.choices,
        default=MedicationReviewState.NONE,
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(per_day__gte=0, per_day__lte=120), name="plan_per_day_range"
            ),
            models.CheckConstraint(
                condition=models.Q(pack_size__gte=1), name="plan_pack_size_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"Quit plan of user #{self.patient_id}"


class QuitDateChange(models.Model):
    """Every change of quit date, so the history of attempts survives an edit."""

    plan = models.ForeignKey(QuitPlan, on_delete=models.CASCADE, related_name="date_changes")
    old_date = models.DateField(null=True, blank=True)
    new_date = models.DateField()
    changed_at = models.DateTimeField(default=timezone.now)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["changed_at", "id"]

    def __str__(self) -> str:
        return f"{self.old_date} → {self.new_date}"


class CheckIn(TimeStampedModel):
    """One day's check-in. One per patient and day (the patient's own calendar day)."""

    class Sleep(models.TextChoices):
        WELL = "well", "Well"
        OK = "ok", "OK"
        POORLY = "poorly", "Poorly"
        HARDLY = "hardly", "Hardly at all"

    class SafetyAnswer(models.TextChoices):
        NO = "no", "No"
        YES = "yes", "Yes"
        NOT_SAY = "not_say", "I'd rather not say"

    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="checkins"
    )
    day = models.DateField(help_text="The patient's local date this check-in is for.")
    cigarettes = models.PositiveSmallIntegerField(
        validators=[MaxValueValidator(200)], help_text="Smoked since the last check-in."
    )
    craving = models.PositiveSmallIntegerField(validators=[MaxValueValidator(10)])
    mood = models.PositiveSmallIntegerField(validators=[MaxValueValidator(10)])
    sleep = models.CharField(max_length=8, choices=Sleep.choices)
    supports_used = models.JSONField(default=list, blank=True)
    harm_thoughts = models.CharField(max_length=8, choices=SafetyAnswer.choices)
    note = EncryptedTextField(blank=True, default="")

    class Meta:
        ordering = ["-day"]
        constraints = [
            models.UniqueConstraint(fields=["patient", "day"], name="checkin_one_per_day"),
            models.CheckConstraint(
                condition=models.Q(craving__lte=10, mood__lte=10), name="checkin_scales"
            ),
        ]
        indexes = [
            # With the cigarettes, so the progress sums (every day since the quit date) read
            # only this index, not a page of the table for each day of a long history.
            models.Index(fields=["patient", "-day", "cigarettes"], name="checkin_patient_day_cigs")
        ]

    def __str__(self) -> str:
        return f"Check-in of user #{self.patient_id} for {self.day}"


class Craving(models.Model):
    """A craving logged in the moment, with its context."""

    class Where(models.TextChoices):
        HOME = "home", "At home"
        OUT = "out", "Out and about"
        WORK = "work", "At work or college"
        WARD = "ward", "At a clinic or ward"
        TRANSPORT = "transport", "Travelling"
        OTHER = "other", "Somewhere else"

    class WithWhom(models.TextChoices):
        ALONE = "alone", "On my own"
        FAMILY = "family", "With family"
        FRIENDS = "friends", "With friends"
        SMOKERS = "smokers", "With people who smoke"
        OTHER = "other", "With other people"

    class Doing(models.TextChoices):
        RELAXING = "relaxing", "Relaxing"
        EATING = "eating", "Eating or drinking"
        WORKING = "working", "Working or busy"
        BORED = "bored", "Nothing much, bored"
        STRESSED = "stressed", "Something stressful"
        SOCIAL = "social", "Socialising"
        OTHER = "other", "Something else"

    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="cravings"
    )
    at = models.DateTimeField(default=timezone.now)
    intensity = models.PositiveSmallIntegerField(validators=[MaxValueValidator(10)])
    where = models.CharField(max_length=16, choices=Where.choices, blank=True)
    with_whom = models.CharField(max_length=16, choices=WithWhom.choices, blank=True)
    doing = models.CharField(max_length=16, choices=Doing.choices, blank=True)
    mood = models.PositiveSmallIntegerField(
        validators=[MaxValueValidator(10)], null=True, blank=True
    )
    smoked = models.BooleanField(default=False, help_text="Whether they smoked after all.")

    class Meta:
        ordering = ["-at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(intensity__lte=10), name="craving_intensity_scale"
            ),
        ]
        indexes = [models.Index(fields=["patient", "-at"], name="craving_patient_at")]

    def __str__(self) -> str:
        return f"Craving of user #{self.patient_id} at {self.at:%Y-%m-%d %H:%M}"


class COReading(models.Model):
    """Expired carbon monoxide in ppm. Under 10 ppm supports abstinence (Russell Standard)."""

    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="co_readings"
    )
    taken_on = models.DateField()
    ppm = models.PositiveSmallIntegerField(validators=[MaxValueValidator(100)])
    self_reported = models.BooleanField(default=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-taken_on", "-id"]
        indexes = [models.Index(fields=["patient", "-taken_on"], name="co_patient_taken")]

    def __str__(self) -> str:
        return f"CO {self.ppm} ppm for user #{self.patient_id} on {self.taken_on}"


# UK brand names of the medications whose levels change with smoking, so that "Clozaril 100mg"
# or "zyprexa" is recognised as well as the generic name.
REVIEW_MEDICATION_BRANDS = {
    "clozapine": ("clozaril", "denzapine", "zaponex"),
    "olanzapine": ("zyprexa", "zalasta", "arkolamyl", "olazax"),
}


def needs_review_on_quitting(name: str) -> bool:
    """Whether a medication, as written by a patient or clinician (generic or brand, any case,
    with or without its dose), is one whose blood levels change when smoking stops or starts."""
    words = set(re.findall(r"[a-z]+", name.lower()))
    for generic in settings.CESSATION_REVIEW_MEDICATIONS:
        generic = generic.strip().lower()
        if generic in words or words & set(REVIEW_MEDICATION_BRANDS.get(generic, ())):
            return True
    return False


class Medication(TimeStampedModel):
    """A medication that matters when someone stops smoking (CYP1A2: clozapine, olanzapine…)."""

    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="medications"
    )
    name = models.CharField(max_length=60)
    dose = models.CharField(max_length=60, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    stopped_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["patient", "stopped_on"], name="medication_patient")]

    def __str__(self) -> str:
        return f"{self.name} for user #{self.patient_id}"

    @property
    def is_current(self) -> bool:
        return self.stopped_on is None

    @property
    def needs_review_on_quitting(self) -> bool:
        return needs_review_on_quitting(self.name)


class HealthBenefit(models.Model):
    """One step of the health-improvement timeline, with its source. Shown to patients only
    with the name of the clinician who approved the current text and when."""

    after_minutes = models.PositiveIntegerField(help_text="Time after the last cigarette.")
    when_label = models.CharField(max_length=40, help_text="e.g. '20 minutes', '2 to 12 weeks'.")
    text = models.CharField(max_length=300)
    source = models.CharField(max_length=200)
    source_url = models.URLField(blank=True)
    order = models.PositiveSmallIntegerField(default=0)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    approved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["after_minutes", "order", "id"]

    def __str__(self) -> str:
        return self.when_label


class CheckInSchedule(TimeStampedModel):
    """When a patient is reminded to check in, in their own time zone.

    `next_due_at` (UTC) is the next reminder; the beat tick finds due schedules with one indexed
    query and claims them (`claimed_until`) so that several workers, or two beats, never remind
    twice for one slot. `next_missed_check_at` is when the previous slot's check-in is looked
    for and, if missing, recorded as missed.
    """

    class Frequency(models.TextChoices):
        DAILY = "daily", "Every day"
        WEEKLY = "weekly", "Once a week"

    patient = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="checkin_schedule",
        primary_key=True,
    )
    frequency = models.CharField(max_length=8, choices=Frequency.choices, default=Frequency.DAILY)
    # Local times "HH:MM", at least one. In the first weeks after discharge `early_times` (when
    # set) are used instead: more prompts while support matters most.
    times = models.JSONField(default=list)
    early_times = models.JSONField(default=list, blank=True)
    weekday = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="For weekly schedules: 0 is Monday."
    )
    quiet_start = models.TimeField()
    quiet_end = models.TimeField()
    is_active = models.BooleanField(default=True)
    # Set when an app above pauses the programme's reminders for this patient (the trial's
    # usual-care arm: "trial"); while set, no reminder, missed check-in, outreach or
    # non-response flag, whatever else changes. Cleared only by the same app.
    paused_for = models.CharField(max_length=32, blank=True, default="")
    next_due_at = models.DateTimeField(null=True, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    next_missed_check_at = models.DateTimeField(null=True, blank=True)
    missed_in_row = models.PositiveSmallIntegerField(default=0)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        indexes = [
            # Who is due, in order, resumable from the last one claimed (the tick's keyset).
            models.Index(
                fields=["next_due_at", "patient"],
                condition=models.Q(is_active=True),
                name="schedule_due_patient",
            ),
            models.Index(
                fields=["next_missed_check_at"],
                condition=models.Q(is_active=True),
                name="schedule_missed_check",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(weekday__isnull=True) | models.Q(weekday__lte=6),
                name="schedule_weekday_range",
            ),
        ]

    def __str__(self) -> str:
        return f"Check-in schedule of user #{self.patient_id}"


class CheckInReminder(models.Model):
    """One reminder sent for one slot. Unique per slot and kind: a reminder goes once."""

    class Kind(models.TextChoices):
        REMINDER = "reminder", "Reminder"
        SECOND = "second", "Gentle second reminder"

    # The unique constraint below leads with the patient: it serves "this patient's reminders,
    # latest first", so no other index (each one is a write in the fan-out's hot path).
    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="checkin_reminders",
        db_index=False,
    )
    slot_at = models.DateTimeField()
    day = models.DateField(help_text="The patient's local date the reminder is about.")
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.REMINDER)
    created_at = models.DateTimeField(default=timezone.now)
    notification = models.ForeignKey(
        "core.Notification", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "slot_at", "kind"], name="reminder_once_per_slot"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for user #{self.patient_id} at {self.slot_at:%Y-%m-%d %H:%M}"


class MissedCheckIn(models.Model):
    """A scheduled day with no check-in, and how many in a row it made."""

    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="missed_checkins"
    )
    day = models.DateField()
    in_row = models.PositiveSmallIntegerField()
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-day"]
        constraints = [
            models.UniqueConstraint(fields=["patient", "day"], name="missed_once_per_day"),
        ]

    def __str__(self) -> str:
        return f"Missed check-in of user #{self.patient_id} on {self.day}"


class OutreachTask(models.Model):
    """A peer specialist is asked to reach out to someone who has stopped checking in."""

    class Status(models.TextChoices):
        OPEN = "open", "To do"
        DONE = "done", "Done"
        PATIENT_RETURNED = "returned", "Closed: they checked in again"

    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="outreach_tasks"
    )
    peer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="outreach_queue"
    )
    reason = models.CharField(max_length=200)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    note = EncryptedTextField(blank=True, default="")

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient"],
                condition=models.Q(status="open"),
                name="outreach_one_open_per_patient",
            ),
        ]
        indexes = [models.Index(fields=["peer", "status"], name="outreach_peer_status")]

    def __str__(self) -> str:
        return f"Outreach to user #{self.patient_id} ({self.status})"


class FollowUpNotice(models.Model):
    """A one-off notice tied to a date (the 4-week CO window opening), sent once."""

    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=32)
    due_on = models.DateField()
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["patient", "kind", "due_on"], name="followup_once"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for user #{self.patient_id} on {self.due_on}"
