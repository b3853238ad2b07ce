"""Models of the feasibility trial.

A Trial has arms, stratification factors (keys of trials.strata.FACTORS) and follow-up points.
People approached are counted in the screening log; a patient who agrees to the study is a
Participant, randomised once (Allocation, never changed, only annotated by AllocationNote) from a
concealed sequence (SequenceSlot: generated from a seed admins keep, the arm stored encrypted and
never shown). Follow-ups are scheduled at each point; adverse events come from safety flags and
from readmissions and deaths clinicians record.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.fields import EncryptedTextField
from core.models import TimeStampedModel


class Trial(TimeStampedModel):
    class Status(models.TextChoices):
        SETUP = "setup", _("Being set up")
        RECRUITING = "recruiting", _("Recruiting")
        FOLLOW_UP = "follow_up", _("Recruitment closed, follow-up continues")
        CLOSED = "closed", _("Closed")

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=40, unique=True)
    registration = models.CharField(
        max_length=40, blank=True, help_text=_("Registry number, e.g. ISRCTN12345678.")
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.SETUP)
    recruitment_target = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    recruitment_opened_at = models.DateTimeField(null=True, blank=True)
    recruitment_closed_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # Keys of trials.strata.FACTORS, in the order the stratum key is built.
    strata_factors = models.JSONField(default=list, blank=True)
    # Block multiples: a block holds k x (sum of the arms' ratios) allocations, k drawn from these.
    block_multiples = models.JSONField(default=list, blank=True)
    # SHA-256 of the sequence seed: the seed itself is shown once and kept by admins.
    seed_digest = models.CharField(max_length=64, blank=True, editable=False)
    sequence_generated_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Key of the HMAC that turns a patient into a trial id (encrypted at rest; never exported).
    pseudonym_key = EncryptedTextField(editable=False)
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The trial manager: told at once of a serious adverse event."),
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # At most one trial recruits at a time: a patient is offered one study.
            models.UniqueConstraint(
                fields=["status"],
                condition=models.Q(status="recruiting"),
                name="trial_one_recruiting",
            )
        ]

    def __str__(self) -> str:
        return self.name


class Arm(models.Model):
    trial = models.ForeignKey(Trial, on_delete=models.CASCADE, related_name="arms")
    code = models.SlugField(max_length=24, help_text=_("Short code used in exports."))
    label = models.CharField(max_length=80)
    description = models.CharField(max_length=300, blank=True)
    ratio = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(9)]
    )
    # The programme arm gets all of Exhale; any other sees follow-up and crisis support only.
    gets_programme = models.BooleanField(default=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["trial", "code"], name="arm_code_unique"),
        ]

    def __str__(self) -> str:
        return self.label


class FollowUpPoint(models.Model):
    class Anchor(models.TextChoices):
        QUIT_DATE = "quit_date", _("the quit date")
        RANDOMISATION = "randomisation", _("randomisation")

    trial = models.ForeignKey(Trial, on_delete=models.CASCADE, related_name="points")
    code = models.SlugField(max_length=16, help_text=_("Short code used in exports, e.g. 4w."))
    label = models.CharField(max_length=60)
    anchor = models.CharField(max_length=16, choices=Anchor.choices, default=Anchor.QUIT_DATE)
    due_day = models.PositiveSmallIntegerField(help_text=_("Days after the anchor it falls due."))
    window_start_day = models.PositiveSmallIntegerField()
    window_end_day = models.PositiveSmallIntegerField()
    co_verified = models.BooleanField(
        default=False, help_text=_("Whether abstinence is verified by a CO reading (< 10 ppm).")
    )
    is_primary = models.BooleanField(default=False)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "due_day", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["trial", "code"], name="followup_point_code_unique"),
            models.CheckConstraint(
                condition=models.Q(window_start_day__lte=models.F("due_day"))
                & models.Q(due_day__lte=models.F("window_end_day")),
                name="followup_point_window",
            ),
        ]

    def __str__(self) -> str:
        return self.label


class ScreeningEntry(models.Model):
    """One person approached about the study. Those who do not take part are counted with a
    reason, and nothing that identifies them."""

    class Outcome(models.TextChoices):
        INELIGIBLE = "ineligible", _("Not eligible")
        DECLINED = "declined", _("Declined")
        NOT_REACHED = "not_reached", _("Could not be reached")
        ENROLLED = "enrolled", _("Agreed to hear more (enrolled)")

    class Reason(models.TextChoices):
        NOT_SMOKER = "not_smoker", _("Does not smoke daily")
        NO_PHONE = "no_phone", _("No phone or internet access")
        TOO_UNWELL = "too_unwell", _("Too unwell to take part now")
        CAPACITY = "capacity", _("Lacks capacity to consent")
        NO_ENGLISH = "no_english", _("Needs an interpreter we cannot provide")
        OTHER_STUDY = "other_study", _("In another smoking study")
        NOT_INTERESTED = "not_interested", _("Not interested")
        NOT_READY = "not_ready", _("Not ready to quit")
        TOO_BUSY = "too_busy", _("Too much going on")
        DATA_WORRY = "data_worry", _("Worried about their data")
        NO_REASON = "no_reason", _("No reason given")
        OTHER = "other", _("Other")

    trial = models.ForeignKey(Trial, on_delete=models.CASCADE, related_name="screening")
    screened_on = models.DateField(default=timezone.localdate)
    outcome = models.CharField(max_length=12, choices=Outcome.choices)
    reason = models.CharField(max_length=16, choices=Reason.choices, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)
    # Only for those who go on: the patient enrolled from this entry (once per trial; the same
    # patient may be approached again by a later trial).
    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-screened_on", "-pk"]
        verbose_name_plural = "screening entries"
        indexes = [models.Index(fields=["trial", "screened_on"], name="screening_trial_day")]
        constraints = [
            models.UniqueConstraint(
                fields=["trial", "patient"],
                condition=models.Q(patient__isnull=False),
                name="screening_patient_once_per_trial",
            )
        ]

    def __str__(self) -> str:
        return f"Screening #{self.pk} ({self.outcome})"


class Participant(models.Model):
    class Status(models.TextChoices):
        ENROLLED = "enrolled", _("Enrolled, not yet agreed")
        DECLINED = "declined", _("Declined the study when asked")
        CONSENTED = "consented", _("Agreed, waiting for randomisation")
        RANDOMISED = "randomised", _("Randomised")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    class DiagnosisGroup(models.TextChoices):
        PSYCHOSIS = "psychosis", _("Schizophrenia or other psychosis")
        BIPOLAR = "bipolar", _("Bipolar disorder")
        DEPRESSION = "depression", _("Depression or anxiety")
        OTHER = "other", _("Other")

    trial = models.ForeignKey(Trial, on_delete=models.PROTECT, related_name="participants")
    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="trial_participations"
    )
    # The trial id: an HMAC of the patient with the trial's key, the only id in exports.
    study_id = models.CharField(max_length=16, editable=False)
    diagnosis_group = models.CharField(max_length=12, choices=DiagnosisGroup.choices)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.ENROLLED)
    enrolled_at = models.DateTimeField(default=timezone.now)
    enrolled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    declined_at = models.DateTimeField(null=True, blank=True)
    consented_at = models.DateTimeField(null=True, blank=True)
    # The exact consent (and so the exact words) agreed to: onboarding.Consent.
    consent = models.ForeignKey(
        "onboarding.Consent", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    # Every follow-up over (answered, missed or stopped): set by the follow-up clock.
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["enrolled_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["trial", "patient"], name="participant_once_per_trial"),
            models.UniqueConstraint(
                fields=["trial", "study_id"], name="participant_study_id_unique"
            ),
        ]
        indexes = [models.Index(fields=["trial", "status"], name="participant_trial_status")]

    def __str__(self) -> str:
        return f"Participant {self.study_id}"


class Withdrawal(models.Model):
    """A participant leaving the study, and what happens to their data: as the study consent
    says, what was collected before is kept and used; nothing is collected after."""

    class Level(models.TextChoices):
        INTERVENTION = "intervention", _("Stops the programme, follow-up continues")
        FOLLOW_UP = "follow_up", _("No more follow-up; data so far kept")
        ALL = "all", _("Withdrew consent to the study; data so far kept, none collected after")

    class Source(models.TextChoices):
        PATIENT = "patient", _("The participant withdrew their consent")
        STAFF = "staff", _("Recorded by the trial team")

    participant = models.ForeignKey(
        Participant, on_delete=models.PROTECT, related_name="withdrawals"
    )
    level = models.CharField(max_length=16, choices=Level.choices)
    source = models.CharField(max_length=8, choices=Source.choices)
    at = models.DateTimeField(default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(max_length=32, blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"Withdrawal of {self.participant_id} ({self.level})"


class SequenceSlot(models.Model):
    """One position of the concealed allocation sequence of one stratum. The arm is encrypted
    at rest and read only by the randomisation service; no page, API or admin shows it."""

    trial = models.ForeignKey(Trial, on_delete=models.PROTECT, related_name="+")
    stratum = models.CharField(max_length=120)
    position = models.PositiveIntegerField()
    block = models.PositiveIntegerField()
    block_size = models.PositiveSmallIntegerField()
    arm_sealed = EncryptedTextField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["trial", "stratum", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["trial", "stratum", "position"], name="sequence_slot_unique"
            ),
        ]
        indexes = [
            models.Index(
                fields=["trial", "stratum", "position"],
                condition=models.Q(used_at__isnull=True),
                name="sequence_slot_unused",
            )
        ]

    def __str__(self) -> str:
        return f"Slot {self.position} of {self.stratum}"


class ImmutableError(Exception):
    """An allocation is never changed or deleted; annotate it instead."""


class Allocation(models.Model):
    participant = models.OneToOneField(
        Participant, on_delete=models.PROTECT, related_name="allocation"
    )
    arm = models.ForeignKey(Arm, on_delete=models.PROTECT, related_name="allocations")
    stratum = models.CharField(max_length=120)
    slot = models.OneToOneField(SequenceSlot, on_delete=models.PROTECT, related_name="+")
    allocated_at = models.DateTimeField(default=timezone.now)
    allocated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["allocated_at", "pk"]

    def __str__(self) -> str:
        return f"Allocation of {self.participant_id}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None and not kwargs.get("force_insert"):
            raise ImmutableError("An allocation can never be changed, only annotated.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableError("An allocation can never be deleted, only annotated.")


class AllocationNote(models.Model):
    allocation = models.ForeignKey(Allocation, on_delete=models.PROTECT, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = EncryptedTextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"Note on allocation {self.allocation_id}"


class FollowUp(models.Model):
    """One participant's follow-up at one point: when it is due, its questionnaire answers and
    the CO reading that verifies them."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Not open yet")
        OPEN = "open", _("Open")
        COMPLETED = "completed", _("Completed")
        MISSED = "missed", _("Missed (window closed)")
        STOPPED = "stopped", _("Stopped")

    class SmokedSince(models.TextChoices):
        NONE = "none", _("Not even a puff")
        UP_TO_FIVE = "up_to_5", _("1 to 5 cigarettes")
        MORE = "more", _("More than 5 cigarettes")

    class Source(models.TextChoices):
        PATIENT = "patient", _("Answered by the participant")
        STAFF = "staff", _("Recorded by the research team")

    participant = models.ForeignKey(Participant, on_delete=models.PROTECT, related_name="followups")
    point = models.ForeignKey(FollowUpPoint, on_delete=models.PROTECT, related_name="followups")
    anchor_date = models.DateField()
    due_on = models.DateField()
    window_opens_on = models.DateField()
    window_closes_on = models.DateField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.SCHEDULED)
    reminders_sent = models.PositiveSmallIntegerField(default=0)
    last_reminder_at = models.DateTimeField(null=True, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    # Answers (Russell Standard): smoking since two weeks after the quit date.
    smoked_since = models.CharField(max_length=8, choices=SmokedSince.choices, blank=True)
    smoked_last_7_days = models.BooleanField(null=True, blank=True)
    cigarettes_per_day = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(200)]
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    source = models.CharField(max_length=8, choices=Source.choices, blank=True)
    co_ppm = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(100)]
    )
    co_taken_on = models.DateField(null=True, blank=True)
    co_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["due_on", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["participant", "point"], name="followup_once_per_point"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "window_opens_on"], name="followup_status_opens"),
        ]

    def __str__(self) -> str:
        return f"Follow-up {self.point_id} of participant {self.participant_id}"


class AdverseEvent(TimeStampedModel):
    class Source(models.TextChoices):
        FLAG = "flag", _("Safety flag (high or critical)")
        READMISSION = "readmission", _("Hospital readmission")
        DEATH = "death", _("Death")
        OTHER = "other", _("Other, reported by the care team")

    class Seriousness(models.TextChoices):
        NOT_ASSESSED = "not_assessed", _("Not yet assessed")
        NOT_SERIOUS = "not_serious", _("Not serious")
        DEATH = "death", _("Serious: resulted in death")
        LIFE_THREATENING = "life_threatening", _("Serious: life-threatening")
        HOSPITALISATION = "hospitalisation", _("Serious: hospitalisation or longer stay")
        DISABILITY = "disability", _("Serious: persistent disability")
        OTHER_IMPORTANT = "other_important", _("Serious: other important medical event")

    class Relatedness(models.TextChoices):
        NOT_ASSESSED = "not_assessed", _("Not yet assessed")
        NOT_RELATED = "not_related", _("Not related")
        UNLIKELY = "unlikely", _("Unlikely to be related")
        POSSIBLE = "possible", _("Possibly related")
        PROBABLE = "probable", _("Probably related")
        DEFINITE = "definite", _("Definitely related")

    class Expectedness(models.TextChoices):
        NOT_ASSESSED = "not_assessed", _("Not yet assessed")
        EXPECTED = "expected", _("Expected")
        UNEXPECTED = "unexpected", _("Unexpected")

    SERIOUS = (
        Seriousness.DEATH,
        Seriousness.LIFE_THREATENING,
        Seriousness.HOSPITALISATION,
        Seriousness.DISABILITY,
        Seriousness.OTHER_IMPORTANT,
    )

    participant = models.ForeignKey(
        Participant, on_delete=models.PROTECT, related_name="adverse_events"
    )
    source = models.CharField(max_length=12, choices=Source.choices)
    flag = models.OneToOneField(
        "safety.Flag", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The flag's category or the kind of event: a code, never free text.
    category = models.CharField(max_length=32)
    occurred_on = models.DateField()
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    description = EncryptedTextField(blank=True, default="")
    seriousness = models.CharField(
        max_length=16, choices=Seriousness.choices, default=Seriousness.NOT_ASSESSED
    )
    relatedness = models.CharField(
        max_length=16, choices=Relatedness.choices, default=Relatedness.NOT_ASSESSED
    )
    expectedness = models.CharField(
        max_length=16, choices=Expectedness.choices, default=Expectedness.NOT_ASSESSED
    )
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    assessed_at = models.DateTimeField(null=True, blank=True)
    sae_notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-occurred_on", "-pk"]
        indexes = [models.Index(fields=["participant", "occurred_on"], name="ae_participant_day")]

    def __str__(self) -> str:
        return f"Adverse event #{self.pk} ({self.source})"

    @property
    def is_serious(self) -> bool:
        return self.seriousness in self.SERIOUS

    def clean(self) -> None:
        if self.source == self.Source.FLAG and self.flag_id is None:
            raise ValidationError({"flag": _("An event from a safety flag names the flag.")})
