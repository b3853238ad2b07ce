"""Safety models: crisis resources, flags with their signals, events and recipients, who is on
call, and each patient's safety plan.

`safety` knows no other domain app: a flag points at what raised it by a plain reference
(`source_ref`, e.g. "peersupport.post:42"), never by a foreign key into a higher app.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from core.fields import EncryptedTextField
from core.models import TimeStampedModel


class CrisisResource(TimeStampedModel):
    """One way to get help now, shown on every crisis page. Edited per deployment by admins."""

    name = models.CharField(max_length=80)
    how = models.CharField(max_length=120, help_text="What to do, e.g. 'Call 116 123 (free)'.")
    href = models.CharField(
        max_length=120, blank=True, help_text="A tel:, sms: or https: link, if there is one."
    )
    when = models.CharField(max_length=200, help_text="When to use it, in plain words.")
    order = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.name

    def as_dict(self) -> dict:
        return {"name": self.name, "how": self.how, "href": self.href, "when": self.when}


class Severity(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    CRITICAL = "critical", "Critical"


SEVERITY_RANK = {Severity.LOW: 1, Severity.MEDIUM: 2, Severity.HIGH: 3, Severity.CRITICAL: 4}


class Flag(TimeStampedModel):
    """A safety concern about one patient that a clinician must acknowledge by a deadline.

    One open flag per patient and category: a repeat signal is added to it (FlagSignal) rather
    than raising another. Unacknowledged past its deadline it re-escalates: named clinician →
    backup clinician → every clinician on call (`escalation_level` 0, 1, 2).
    """

    class Source(models.TextChoices):
        POST = "post", "Group post"
        REPLY = "reply", "Group reply"
        CHECKIN = "checkin", "Daily check-in"
        MESSAGE = "message", "Message to a peer specialist"
        MISSED_CHECKIN = "missed_checkin", "Missed check-ins"
        MEDICATION_REVIEW = "medication_review", "Medication review"
        DETERIORATION = "deterioration", "Deterioration"
        CONCERN = "concern", "Concern raised by staff"
        ONBOARDING = "onboarding", "Onboarding (About you)"

    class Category(models.TextChoices):
        CRISIS = "crisis", "Possible crisis (suicide or self-harm)"
        ABUSE = "abuse", "Abuse or bullying"
        HARMFUL_ADVICE = "harmful_advice", "Harmful advice"
        PERSONAL_INFO = "personal_info", "Personal information shared"
        LOW_MOOD = "low_mood", "Very low mood"
        DETERIORATION = "deterioration", "Deterioration"
        NONRESPONSE = "nonresponse", "Not responding"
        MEDICATION_REVIEW = "medication_review", "Medication review needed"
        CONCERN = "concern", "Concern raised by staff"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        RESOLVED = "resolved", "Resolved"

    class Outcome(models.TextChoices):
        CONTACTED_SAFE = "contacted_safe", "Contacted: safe for now, plan agreed"
        CARE_PLAN_CHANGED = "care_plan_changed", "Care plan or medication changed"
        CRISIS_TEAM = "crisis_team", "Referred to the crisis or home treatment team"
        EMERGENCY = "emergency", "Emergency services involved"
        NOT_A_CONCERN = "not_a_concern", "Not a concern on review (false alarm)"
        OTHER = "other", "Other (see note)"

    ACTIVE_STATUSES = (Status.OPEN, Status.ACKNOWLEDGED)

    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="safety_flags"
    )
    source = models.CharField(max_length=32, choices=Source.choices)
    source_ref = models.CharField(max_length=80, blank=True)
    category = models.CharField(max_length=32, choices=Category.choices)
    severity = models.CharField(max_length=16, choices=Severity.choices)
    severity_rank = models.PositiveSmallIntegerField(db_index=True)
    summary = models.CharField(
        max_length=200, help_text="Plain words for the clinician; never the patient's own text."
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    ack_deadline = models.DateTimeField()
    escalation_level = models.PositiveSmallIntegerField(default=0)
    escalated_at = models.DateTimeField(null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="handled_flags",
        help_text="The clinician responsible now (the named clinician unless handed over).",
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    outcome = models.CharField(max_length=32, choices=Outcome.choices, blank=True)
    signal_count = models.PositiveIntegerField(default=1)
    last_signal_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-severity_rank", "created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "category"],
                condition=models.Q(status__in=["open", "acknowledged"]),
                name="flag_one_active_per_patient_category",
            ),
            models.CheckConstraint(
                condition=models.Q(severity__in=Severity.values), name="flag_severity_valid"
            ),
            models.CheckConstraint(
                condition=~models.Q(status="resolved") | models.Q(resolved_at__isnull=False),
                name="flag_resolved_has_time",
            ),
        ]
        indexes = [
            # The escalation sweep: open flags past their deadline.
            models.Index(
                fields=["ack_deadline"],
                condition=models.Q(status="open"),
                name="flag_open_deadline",
            ),
            models.Index(fields=["handled_by", "status"], name="flag_handler_status"),
            models.Index(fields=["patient", "-created_at"], name="flag_patient_created"),
            models.Index(fields=["status", "-severity_rank", "created_at"], name="flag_queue"),
            # The flag queue's "resolved in the last two weeks": the newest of one clinician's
            # resolved flags, as handler or resolver, without reading the years before.
            models.Index(
                fields=["handled_by", "-resolved_at"],
                condition=models.Q(status="resolved"),
                name="flag_handler_resolved",
            ),
            models.Index(
                fields=["resolved_by", "-resolved_at"],
                condition=models.Q(status="resolved"),
                name="flag_resolver_resolved",
            ),
        ]

    def __str__(self) -> str:
        return f"Flag #{self.pk} ({self.category}, {self.severity})"

    def get_absolute_url(self) -> str:
        return reverse("safety:flag_detail", args=[self.pk])

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE_STATUSES

    @property
    def is_overdue(self) -> bool:
        return self.status == self.Status.OPEN and self.ack_deadline <= timezone.now()


class FlagSignal(models.Model):
    """One thing that raised or added to a flag, with the screening evidence (encrypted)."""

    flag = models.ForeignKey(Flag, on_delete=models.CASCADE, related_name="signals")
    at = models.DateTimeField(default=timezone.now)
    source = models.CharField(max_length=32, choices=Flag.Source.choices)
    source_ref = models.CharField(max_length=80, blank=True)
    severity = models.CharField(max_length=16, choices=Severity.choices)
    summary = models.CharField(max_length=200)
    # JSON list of {category, rule_id, excerpt, reason}: excerpts are the patient's words.
    evidence = EncryptedTextField(blank=True, default="[]")
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Staff who raised it by hand; empty when raised by the system.",
    )

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["flag", "at"], name="signal_flag_at")]

    def __str__(self) -> str:
        return f"Signal on flag #{self.flag_id}"


class FlagEvent(models.Model):
    """The flag's own history: raised, escalated, acknowledged, notes, hand-over, resolved."""

    class Kind(models.TextChoices):
        RAISED = "raised", "Raised"
        SIGNAL_ADDED = "signal_added", "New signal added"
        SEVERITY_RAISED = "severity_raised", "Severity raised"
        NOTIFIED = "notified", "Clinician notified"
        ESCALATED = "escalated", "Escalated"
        NO_ONE_ON_CALL = "no_one_on_call", "Nobody on call: admins told"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        NOTE = "note", "Note"
        CONTACT_MADE = "contact_made", "Contact made"
        HANDED_OVER = "handed_over", "Handed over"
        RESOLVED = "resolved", "Resolved"

    flag = models.ForeignKey(Flag, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    kind = models.CharField(max_length=32, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    note = EncryptedTextField(blank=True, default="")
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["flag", "at"], name="flagevent_flag_at")]

    def __str__(self) -> str:
        return f"{self.kind} on flag #{self.flag_id}"


class FlagRecipient(models.Model):
    """A clinician a flag was sent to. Being one gives access to the flag (and its patient's
    safety information) even outside one's caseload: that is what escalation is for."""

    flag = models.ForeignKey(Flag, on_delete=models.CASCADE, related_name="recipients")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="flag_receipts"
    )
    level = models.PositiveSmallIntegerField()
    notified_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["flag", "user"], name="flag_recipient_unique"),
        ]
        indexes = [models.Index(fields=["user", "flag"], name="recipient_user_flag")]

    def __str__(self) -> str:
        return f"Flag #{self.flag_id} → user #{self.user_id}"


class OnCall(models.Model):
    """A clinician currently on call: receives flags that nobody else acknowledged in time."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="on_call",
        limit_choices_to={"role": "clinician", "is_active": True},
    )
    since = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"On call: user #{self.user_id}"


class SafetyPlan(models.Model):
    """A patient's own safety plan in the Stanley–Brown structure. Every field is encrypted."""

    SECTIONS = [
        (
            "warning_signs",
            "My warning signs",
            "Thoughts, feelings or situations that tell me a crisis may be starting.",
        ),
        (
            "coping_strategies",
            "Things I can do on my own",
            "To take my mind off things: a walk, music, a shower, breathing.",
        ),
        (
            "distractions",
            "People and places that help",
            "People I can be with and places I can go to feel better.",
        ),
        (
            "people_to_ask",
            "People I can ask for help",
            "Family or friends I can tell how I feel, and their numbers.",
        ),
        (
            "professionals",
            "Professionals I can contact",
            "My care coordinator, GP, crisis team, with their numbers.",
        ),
        (
            "safe_environment",
            "Making my surroundings safe",
            "What I can do to keep myself safe, like giving medicines to someone to look after.",
        ),
        (
            "reasons_to_live",
            "What matters most to me",
            "The people and things worth staying safe for.",
        ),
    ]

    patient = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="safety_plan",
        primary_key=True,
    )
    warning_signs = EncryptedTextField(blank=True, default="")
    coping_strategies = EncryptedTextField(blank=True, default="")
    distractions = EncryptedTextField(blank=True, default="")
    people_to_ask = EncryptedTextField(blank=True, default="")
    professionals = EncryptedTextField(blank=True, default="")
    safe_environment = EncryptedTextField(blank=True, default="")
    reasons_to_live = EncryptedTextField(blank=True, default="")
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    def __str__(self) -> str:
        return f"Safety plan of user #{self.patient_id}"

    def sections(self) -> list[dict]:
        return [
            {"name": name, "title": title, "hint": hint, "text": getattr(self, name)}
            for name, title, hint in self.SECTIONS
        ]

    @property
    def is_empty(self) -> bool:
        return not any(getattr(self, name).strip() for name, _, _ in self.SECTIONS)
