"""Onboarding: the versioned texts a patient reads, the consents they give, their journey
through the steps (each step's first visit, completion or "do this later", with time), the
baseline answers, and the sessions in which a clinician or peer specialist assists them.

The steps themselves are not rows: they are the ordered registry in onboarding/registry.py, to
which the apps above contribute (the trial's consent and randomisation).
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ContentVersion(models.Model):
    """One version of one text patients read during onboarding (and after: the privacy
    explainer is one click away from every page). A published version is never edited: a change
    is a new version, so a consent always points at the exact words the person agreed to."""

    class Key(models.TextChoices):
        WELCOME = "welcome", _("Welcome: what Exhale is and is not")
        PRIVACY_EASY = "privacy_easy", _("Your data, easy read")
        PRIVACY_FULL = "privacy_full", _("Your data, full privacy notice")
        CONSENT_PROGRAMME = "consent_programme", _("Consent to the programme")
        CONSENT_TRIAL = "consent_trial", _("Consent to the study")

    key = models.CharField(max_length=32, choices=Key.choices)
    version = models.PositiveIntegerField()
    title = models.CharField(max_length=120)
    body = models.TextField(
        help_text=_(
            "One idea per line. '# [icon] Heading' starts a section, '- ' a list item, "
            "'> ' an important line."
        )
    )
    change_note = models.CharField(
        max_length=200, blank=True, help_text=_("What changed from the previous version.")
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The clinician or governance lead who approved these words."),
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(
        null=True, blank=True, help_text=_("From when patients see this version.")
    )

    class Meta:
        ordering = ["key", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["key", "version"], name="content_key_version_unique"),
            models.CheckConstraint(
                condition=models.Q(published_at__isnull=True)
                | models.Q(approved_at__isnull=True, approved_by__isnull=True)
                | models.Q(approved_at__isnull=False, approved_by__isnull=False),
                name="content_approval_complete",
            ),
        ]
        indexes = [models.Index(fields=["key", "-published_at"], name="content_key_published")]

    def __str__(self) -> str:
        return f"{self.get_key_display()} v{self.version}"

    def get_absolute_url(self) -> str:
        return reverse("onboarding:content_version", args=[self.key, self.version])

    @property
    def is_published(self) -> bool:
        return self.published_at is not None

    @property
    def is_approved(self) -> bool:
        return self.approved_at is not None and self.approved_by_id is not None


class Consent(models.Model):
    """A consent given by the patient themselves to one version of a consent text. Withdrawing
    keeps the row (when and why); giving consent again is a new row."""

    class Kind(models.TextChoices):
        PROGRAMME = "programme", _("Taking part in the Exhale programme")
        TRIAL = "trial", _("Taking part in the study")

    class WithdrawalReason(models.TextChoices):
        NOT_HELPFUL = "not_helpful", _("It is not helping me")
        TOO_MUCH = "too_much", _("It is too much right now")
        PRIVACY = "privacy", _("I am worried about my data")
        OTHER = "other", _("Another reason, or I would rather not say")
        SUPERSEDED = "superseded", _("Agreed again to a newer version of the text")

    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="consents"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    text = models.ForeignKey(ContentVersion, on_delete=models.PROTECT, related_name="consents")
    given_at = models.DateTimeField(default=timezone.now)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawal_reason = models.CharField(
        max_length=16, choices=WithdrawalReason.choices, blank=True
    )

    class Meta:
        ordering = ["-given_at", "-id"]
        constraints = [
            # One consent in force per kind: a second submission of the form finds this one.
            models.UniqueConstraint(
                fields=["patient", "kind"],
                condition=models.Q(withdrawn_at__isnull=True),
                name="consent_one_active_per_kind",
            ),
        ]
        indexes = [models.Index(fields=["kind", "given_at"], name="consent_kind_given")]

    def __str__(self) -> str:
        return f"Consent #{self.pk} ({self.kind}) of user #{self.patient_id}"

    @property
    def is_active(self) -> bool:
        return self.withdrawn_at is None


class Journey(models.Model):
    """A patient's way through onboarding: begun when they accept their invitation (or when a
    clinician starts it with them), finished when every step is done or left for later."""

    patient = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="onboarding_journey",
    )
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    current_step = models.CharField(
        max_length=32, blank=True, help_text=_("The first step not yet done or left for later.")
    )
    last_activity_at = models.DateTimeField(default=timezone.now)
    reminder_sent_at = models.DateTimeField(null=True, blank=True)
    reminders_sent = models.PositiveSmallIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["finished_at", "last_activity_at"], name="journey_open")]

    def __str__(self) -> str:
        return f"Onboarding of user #{self.patient_id}"

    @property
    def is_finished(self) -> bool:
        return self.finished_at is not None


class StepRecord(models.Model):
    """One step of one journey: when it was first shown, and when it was done or left for later
    (so uptake and drop-off can be counted per step). Who completed it, and whether a member of
    staff was assisting, is kept too."""

    journey = models.ForeignKey(Journey, on_delete=models.CASCADE, related_name="steps")
    step = models.CharField(max_length=32)
    first_seen_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    assist = models.ForeignKey(
        "AssistSession",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="steps_completed",
    )
    skipped_at = models.DateTimeField(
        null=True, blank=True, help_text=_("When the patient chose 'do this later'.")
    )
    times_completed = models.PositiveSmallIntegerField(default=0)
    # Non-identifying facts about the step (quiz answers right first time, tour stops tried).
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["journey_id", "first_seen_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["journey", "step"], name="steprecord_one_per_step"),
        ]
        indexes = [models.Index(fields=["step", "completed_at"], name="steprecord_step_done")]

    def __str__(self) -> str:
        return f"{self.step} of journey #{self.journey_id}"

    @property
    def is_done(self) -> bool:
        return self.completed_at is not None

    @property
    def is_settled(self) -> bool:
        """Done, or left for later: the journey may go past it."""
        return self.completed_at is not None or self.skipped_at is not None


class Baseline(models.Model):
    """ "About you": the patient's smoking history, dependence (Heaviness of Smoking Index),
    medicines that matter when stopping, the support they want and their mood on the day."""

    class QuitAttempts(models.TextChoices):
        NONE = "0", _("None")
        ONE = "1", _("Once")
        SOME = "2-4", _("2 to 4 times")
        MANY = "5+", _("5 times or more")

    class Motivation(models.TextChoices):
        NOT_NOW = "not_now", _("I do not want to stop right now")
        SOMEDAY = "someday", _("I want to stop one day")
        SOON = "soon", _("I want to stop soon")
        NOW = "now", _("I want to stop now")

    patient = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="onboarding_baseline",
    )
    age_started = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(5), MaxValueValidator(90)]
    )
    per_day = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(0), MaxValueValidator(120)],
        help_text=_("Cigarettes (or roll-ups) a day on a usual day."),
    )
    time_to_first = models.CharField(max_length=4)  # cessation.models.TimeToFirst values
    hsi_score = models.PositiveSmallIntegerField(
        validators=[MaxValueValidator(6)], help_text=_("Heaviness of Smoking Index, 0 to 6.")
    )
    quit_attempts = models.CharField(max_length=4, choices=QuitAttempts.choices)
    motivation = models.CharField(max_length=8, choices=Motivation.choices)
    vapes = models.BooleanField(default=False)
    medicines = models.JSONField(default=list, blank=True)  # keys of baseline.MEDICINES
    support_wanted = models.JSONField(default=list, blank=True)  # keys of baseline.SUPPORT
    # The check-in's scale (0 very low to 10 very good), so later check-ins compare with it.
    mood = models.PositiveSmallIntegerField(validators=[MaxValueValidator(10)])
    recorded_at = models.DateTimeField(default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(hsi_score__lte=6), name="baseline_hsi_range"),
            models.CheckConstraint(condition=models.Q(mood__lte=10), name="baseline_mood_range"),
        ]

    def __str__(self) -> str:
        return f"Baseline of user #{self.patient_id}"


class AssistSession(models.Model):
    """A clinician or peer specialist going through a patient's onboarding with them, on the
    staff member's screen, with the patient present. Opened and closed explicitly, audited, and
    lapses on its own after a while (ASSIST_SESSION_MINUTES)."""

    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="assist_sessions"
    )
    started_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["staff", "patient", "-started_at"], name="assist_open")]

    def __str__(self) -> str:
        return f"Assisted onboarding #{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.ended_at is None and self.expires_at > timezone.now()
