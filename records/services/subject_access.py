"""Subject access (UK GDPR Article 15): one person's data from every app, as a ZIP of JSON files
with a plain-language README.

Each section names the model, the lookups that make a row *about* the person (their check-ins,
posts, consents...) and the fields left out (secrets: password hashes, token hashes, MFA
secrets, keys). Encrypted fields are decrypted. A reference to another account is shown as:

- "you" for the person themself;
- a staff member's name and role (they acted on the record, and the person may know who);
- another patient's group name ("a group member called ..."), never their real name; or
  "another person" if they have none.

Rows where the person is only the actor on someone else's record (a clinician's notes on other
patients, a peer specialist's messages to their patients) belong to that record: they stay out,
apart from the audit rows of what they did, with whoever it was done to shown as above, and
rows that are staff's own (their groups, on-call times); a staff member's notices keep their
titles but not their bodies, which name patients.

`COVERED` and `EXCLUDED` say, for every model with a link to an account, where it is exported or
why it is not; a test fails when a new model is in neither, so a new kind of personal data
cannot be forgotten here.

The export is written to the audit log (`subject_access_record`) before the first byte is
built. It is built row by row into a temporary file that stays in memory up to a bound and
spills to disk beyond it, so a person with years of check-ins costs flat memory.
"""

from __future__ import annotations

import json
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any

from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Exists, OuterRef, Q
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Role, User
from core.models import AuditEvent
from core.services import audit_record, notification_send
from records import permissions

EXPORTED = "records.subject_access_exported"
REQUESTED = "records.subject_access_requested"
SPOOL_BYTES = 8 * 1024 * 1024  # beyond this the ZIP being built moves from memory to disk
CHUNK = 500

PURPOSES = (
    ("subject_request", _("The person asked for a copy of their data (right of access)")),
    ("dpo_request", _("The data protection officer asked for it")),
    ("legal_duty", _("A court order or another legal duty")),
)
PURPOSE_CODES = frozenset(code for code, _label in PURPOSES)
VIAS = ("page", "command")


@dataclass(frozen=True)
class Section:
    name: str  # the file in the ZIP, without ".json"
    model: str  # app_label.ModelName
    about: tuple[str, ...]  # lookups, each equal to the person, that make a row theirs
    description: str  # for the README, in plain words
    omit: frozenset[str] = field(default_factory=frozenset)
    related: tuple[str, ...] = ()  # select_related for `add`
    add: Callable[[Any], dict[str, Any]] | None = None  # more keys for a row
    # Left out when the person is staff: text about the patients they look after.
    staff_omit: frozenset[str] = frozenset()


def _consent_words(consent) -> dict[str, Any]:
    text = consent.text
    return {
        "words_agreed_to": {
            "text": text.key,
            "version": text.version,
            "title": text.title,
            "body": text.body,
        }
    }


def _s(name, model, about, description, omit=(), **kwargs) -> Section:
    return Section(name, model, tuple(about), description, frozenset(omit), **kwargs)


def _omitted(section: Section, person: User) -> frozenset[str]:
    return section.omit | (section.staff_omit if person.role != Role.PATIENT else frozenset())


SECTIONS: tuple[Section, ...] = (
    _s("account", "accounts.User", ["pk"], "Your account: name, email, role, dates.", ["password"]),
    _s("email_addresses", "account.EmailAddress", ["user"], "Email addresses on your account."),
    _s(
        "second_factors",
        "mfa.Authenticator",
        ["user"],
        "Second steps for logging in (the kind and when used; never the secret).",
        ["data"],
    ),
    _s(
        "api_tokens",
        "accounts.ApiToken",
        ["user"],
        "Keys for apps that use your account (names and dates; never the key).",
        ["key_hash"],
    ),
    _s(
        "invitation",
        "accounts.Invitation",
        ["accepted_user"],
        "The invitation you accepted to join Exhale.",
        ["token", "token_hash"],
    ),
    _s(
        "profile",
        "accounts.PatientProfile",
        ["user"],
        "Your care team, your discharge date and whether you take part in the programme.",
    ),
    _s(
        "consents",
        "onboarding.Consent",
        ["patient"],
        "What you agreed to, the exact words, when, and any withdrawal.",
        related=("text",),
        add=_consent_words,
    ),
    _s("onboarding_journey", "onboarding.Journey", ["patient"], "Your first steps in Exhale."),
    _s(
        "onboarding_steps",
        "onboarding.StepRecord",
        ["journey__patient"],
        "Each step of your first steps, when it was seen and done.",
    ),
    _s("about_you", "onboarding.Baseline", ["patient"], "Your answers in 'About you'."),
    _s(
        "assisted_sessions",
        "onboarding.AssistSession",
        ["patient", "staff"],
        "Times a member of staff went through Exhale with you.",
    ),
    _s(
        "texts_written",
        "onboarding.ContentVersion",
        ["created_by", "approved_by"],
        "Onboarding texts you wrote or approved (staff only).",
    ),
    _s("quit_plan", "cessation.QuitPlan", ["patient"], "Your quit plan and reasons to quit."),
    _s(
        "quit_date_changes",
        "cessation.QuitDateChange",
        ["plan__patient"],
        "Each change of your quit date.",
    ),
    _s("check_ins", "cessation.CheckIn", ["patient"], "Your daily check-ins, with your notes."),
    _s("cravings", "cessation.Craving", ["patient"], "Cravings you recorded."),
    _s("co_readings", "cessation.COReading", ["patient"], "Breath carbon monoxide readings."),
    _s("medications", "cessation.Medication", ["patient"], "Medicines recorded for you."),
    _s(
        "check_in_schedule",
        "cessation.CheckInSchedule",
        ["patient"],
        "When Exhale reminds you to check in.",
    ),
    _s("reminders", "cessation.CheckInReminder", ["patient"], "Check-in reminders sent to you."),
    _s("missed_check_ins", "cessation.MissedCheckIn", ["patient"], "Days without a check-in."),
    _s(
        "outreach",
        "cessation.OutreachTask",
        ["patient"],
        "Times a peer support specialist was asked to get in touch with you.",
    ),
    _s(
        "follow_up_notices",
        "cessation.FollowUpNotice",
        ["patient"],
        "Notices about follow-up breath tests.",
    ),
    _s(
        "health_benefits_approved",
        "cessation.HealthBenefit",
        ["approved_by"],
        "Health facts you approved (staff only).",
    ),
    _s("safety_plan", "safety.SafetyPlan", ["patient"], "Your safety plan."),
    _s(
        "flags",
        "safety.Flag",
        ["patient"],
        "Safety alerts (flags) about you, and what your care team did.",
    ),
    _s(
        "flag_signals",
        "safety.FlagSignal",
        ["flag__patient"],
        "What raised each flag, with the words that made Exhale worry.",
    ),
    _s(
        "flag_notes",
        "safety.FlagEvent",
        ["flag__patient"],
        "What happened to each flag, with your care team's notes.",
    ),
    _s(
        "flag_recipients",
        "safety.FlagRecipient",
        ["flag__patient", "user"],
        "Who was told about each flag, and when.",
    ),
    _s("on_call", "safety.OnCall", ["user"], "When you were on call (staff only)."),
    _s(
        "group_name",
        "peersupport.PeerMember",
        ["user"],
        "Your group name and when you accepted the group guidelines.",
        ["canonical_pseudonym"],
    ),
    _s("groups", "peersupport.Membership", ["member"], "The groups you joined and left."),
    _s(
        "groups_moderated",
        "peersupport.PeerGroup",
        ["moderators"],
        "Groups you moderate (staff only).",
    ),
    _s(
        "posts",
        "peersupport.Post",
        ["author"],
        "Your posts and replies, and what moderators did with them.",
    ),
    _s("reactions", "peersupport.Reaction", ["member"], "Your reactions to posts."),
    _s("reports", "peersupport.Report", ["reporter"], "Posts you reported, and your notes."),
    _s(
        "moderation",
        "peersupport.ModerationAction",
        ["member"],
        "What moderators did about you or your posts, and why.",
    ),
    _s(
        "peer_leads",
        "peersupport.PeerLead",
        ["peer", "lead"],
        "Who leads which peer support specialist (staff only).",
    ),
    _s(
        "conversations",
        "peersupport.Conversation",
        ["patient", "peer"],
        "Your conversations with a peer support specialist.",
    ),
    _s(
        "messages",
        "peersupport.PeerMessage",
        ["conversation__patient"],
        "Messages between you and your peer support specialist.",
    ),
    _s(
        "notifications",
        "core.Notification",
        ["recipient"],
        "Notices Exhale showed or sent you.",
        staff_omit=frozenset({"body"}),
    ),
    _s(
        "notification_deliveries",
        "core.NotificationDelivery",
        ["notification__recipient"],
        "Emails and other deliveries of those notices.",
    ),
    _s(
        "study_screening",
        "trials.ScreeningEntry",
        ["patient"],
        "When you were asked about the study.",
    ),
    _s(
        "study_participation",
        "trials.Participant",
        ["patient"],
        "Your place in the study: your study code number, status and dates.",
    ),
    _s(
        "study_group",
        "trials.Allocation",
        ["participant__patient"],
        "Which study group you were put in by chance, and when.",
        ["slot"],
    ),
    _s(
        "study_group_notes",
        "trials.AllocationNote",
        ["allocation__participant__patient"],
        "Notes by the study team about your study group.",
    ),
    _s(
        "study_withdrawals",
        "trials.Withdrawal",
        ["participant__patient"],
        "If you stopped taking part in the study, and how.",
    ),
    _s(
        "study_follow_ups",
        "trials.FollowUp",
        ["participant__patient"],
        "Your study questions and breath tests.",
    ),
    _s(
        "study_adverse_events",
        "trials.AdverseEvent",
        ["participant__patient"],
        "Health events the study team recorded, as the study rules require.",
    ),
    _s(
        "trials_managed",
        "trials.Trial",
        ["manager"],
        "Studies you manage (staff only).",
        ["pseudonym_key", "seed_digest"],
    ),
    _s(
        "audit_about_you",
        "core.AuditEvent",
        ["subject"],
        "Each time someone opened or changed your record, who, and when.",
        ["ip_address"],
    ),
    _s(
        "audit_by_you",
        "core.AuditEvent",
        ["actor"],
        "Things you did in Exhale that were written to the audit log.",
    ),
)

# Every model with a link to an account is exported (COVERED, from SECTIONS) or left out for a
# reason (EXCLUDED). tests/records/test_subject_access.py checks the two cover every model.
COVERED: dict[str, list[str]] = {}
for _section in SECTIONS:
    COVERED.setdefault(_section.model, []).append(_section.name)

EXCLUDED: dict[str, str] = {
    "admin.LogEntry": (
        "The Django admin's own change list of staff edits: its object names can name other "
        "people; the same actions are in the audit log, which is exported."
    ),
}


def purpose_label(code: str) -> str:
    return str(dict(PURPOSES).get(code, code))


# --- Recording ----------------------------------------------------------------------------------


@transaction.atomic
def subject_access_record(
    *,
    person: User,
    by: User,
    purpose: str,
    via: str = "page",
    request: HttpRequest | None = None,
) -> AuditEvent:
    """Write to the audit log that `by` exports `person`'s data, and why. Admins only."""
    if not permissions.can_export_subject_access(by):
        raise PermissionDenied("Only admins produce a subject-access export.")
    if purpose not in PURPOSE_CODES:
        raise ValidationError({"purpose": _("Choose why you are producing the export.")})
    if via not in VIAS:
        raise ValidationError({"via": "Unknown route."})
    return audit_record(
        actor=by,
        action=EXPORTED,
        subject=person,
        target=person,
        detail={"purpose": purpose, "via": via},
        request=request,
    )


# --- Asking --------------------------------------------------------------------------------------


def subject_access_requests_open():
    """Requests (audit rows) not yet answered by an export of the same person's data."""
    answered = AuditEvent.objects.filter(
        action=EXPORTED, subject_id=OuterRef("subject_id"), at__gte=OuterRef("at")
    )
    return (
        AuditEvent.objects.filter(action=REQUESTED).exclude(Exists(answered)).order_by("at", "id")
    )


def subject_access_request_open_for(person: User) -> AuditEvent | None:
    return subject_access_requests_open().filter(subject_id=person.pk).first()


@transaction.atomic
def subject_access_request(*, person: User, request: HttpRequest | None = None) -> AuditEvent:
    """The person asks for a copy of their data (their account page). Written to the audit log;
    every active admin is told (a title and a link, no name). Asking again while a request is
    open changes nothing. The answer is due within one month (UK GDPR Article 12(3))."""
    User.objects.select_for_update().filter(pk=person.pk).first()  # one request at a time
    existing = subject_access_request_open_for(person)
    if existing is not None:
        return existing
    row = audit_record(
        actor=person, action=REQUESTED, subject=person, target=person, request=request
    )
    url = reverse("records:subject_access", args=[person.pk])
    for admin in User.objects.filter(role=Role.ADMIN, is_active=True):
        notification_send(
            recipient=admin,
            kind=REQUESTED,
            title="Someone asked for a copy of their data",
            body=(
                f"Account {person.pk} asked for a copy of their data (right of access). Answer "
                "within one month: open the link, choose the reason and download the copy."
            ),
            url=url,
        )
    return row


# --- Building -----------------------------------------------------------------------------------


class _People:
    """How a reference to an account is shown: see the module docstring."""

    def __init__(self, person: User):
        self.person = person
        self.cache: dict[int, str] = {}

    def __call__(self, user_id: int | None) -> str | None:
        if user_id is None:
            return None
        if user_id == self.person.pk:
            return "you"
        if user_id not in self.cache:
            self.cache[user_id] = self._describe(user_id)
        return self.cache[user_id]

    @staticmethod
    def _describe(user_id: int) -> str:
        PeerMember = apps.get_model("peersupport", "PeerMember")
        user = User.objects.filter(pk=user_id).only("full_name", "role").first()
        if user is None:
            return "a former account"
        if user.role != Role.PATIENT:
            return f"{user.full_name} ({Role(user.role).label})"
        pseudonym = (
            PeerMember.objects.filter(user_id=user_id).values_list("pseudonym", flat=True).first()
        )
        return f"a group member called {pseudonym}" if pseudonym else "another person"


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return None
    return value


def _rows(section: Section, person: User, people: _People) -> Iterator[dict[str, Any]]:
    model = apps.get_model(section.model)
    about = Q()
    for lookup in section.about:
        about |= Q(**{lookup: person.pk})
    # A subquery, not DISTINCT: some lookups cross a many-to-many relation.
    rows = model._default_manager.filter(pk__in=model._default_manager.filter(about).values("pk"))
    if section.related:
        rows = rows.select_related(*section.related)
    omit = _omitted(section, person)
    for obj in rows.order_by("pk").iterator(chunk_size=CHUNK):
        yield _row(obj, section, people, omit)


def _row(
    obj: models.Model, section: Section, people: _People, omit: frozenset[str]
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for model_field in obj._meta.concrete_fields:
        if model_field.name in omit:
            continue
        if model_field.is_relation:
            related_id = getattr(obj, model_field.attname)
            if model_field.related_model is User:
                out[model_field.name] = people(related_id)
            else:
                out[model_field.attname] = _plain(related_id)
            continue
        value = model_field.value_from_object(obj)
        out[model_field.name] = _plain(value)
        if model_field.choices and value not in (None, ""):
            out[f"{model_field.name}_meaning"] = str(
                dict(model_field.flatchoices).get(value, value)
            )
    if section.add is not None:
        out.update(section.add(obj))
    return out


def _write_json(handle: IO[bytes], rows: Iterator[dict[str, Any]]) -> int:
    count = 0
    handle.write(b"[")
    for row in rows:
        handle.write(b",\n" if count else b"\n")
        handle.write(json.dumps(row, ensure_ascii=False, default=str).encode("utf-8"))
        count += 1
    handle.write(b"\n]\n" if count else b"]\n")
    return count


def readme_text(*, counts: dict[str, int], generated_at: datetime) -> str:
    lines = [
        "YOUR DATA IN EXHALE",
        "",
        f"This is a copy of the information Exhale holds about you, made on "
        f"{generated_at:%d %B %Y at %H:%M} (UTC).",
        "You have a right to it under the UK General Data Protection Regulation (Article 15).",
        "",
        "HOW TO READ IT",
        'Each file holds one kind of information. "you" means you.',
        "Staff are named, because they looked after your record.",
        "Other people in your groups are shown by their group name, never their real name.",
        "Dates and times are in UTC. Words ending in _meaning explain a code.",
        "",
        "WHAT IS IN EACH FILE (number of entries)",
    ]
    for section in SECTIONS:
        lines.append(
            f"- {section.name}.json ({counts.get(section.name, 0)}): {section.description}"
        )
    lines += [
        "",
        "WHAT IS NOT HERE",
        "Secrets that keep your account safe: your password, login codes and keys.",
        "What other people wrote, except messages to you from your peer support specialist.",
        "",
        "HOW LONG WE KEEP IT",
        "Your health record is kept for 20 years after your last contact with the service,",
        "as the NHS Records Management Code of Practice says for mental health records.",
        "Study data is kept for as long as the study's protocol and consent form say.",
        "",
        "IF SOMETHING IS WRONG",
        "Tell your care team, or ask for the trust's Data Protection Officer.",
        "You can also complain to the Information Commissioner's Office:",
        "ico.org.uk or 0303 123 1113.",
        "",
    ]
    return "\n".join(lines)


def subject_access_write(*, person: User, out: IO[bytes]) -> dict[str, int]:
    """Write the ZIP of `person`'s data to `out`; return the number of rows per file. Call
    `subject_access_record` first."""
    people = _People(person)
    counts: dict[str, int] = {}
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for section in SECTIONS:
            with archive.open(f"{section.name}.json", "w") as handle:
                counts[section.name] = _write_json(handle, _rows(section, person, people))
        archive.writestr("README.txt", readme_text(counts=counts, generated_at=timezone.now()))
    return counts


def subject_access_build(*, person: User) -> tempfile.SpooledTemporaryFile:
    """The ZIP in a temporary file (in memory up to SPOOL_BYTES, then on disk), rewound."""
    # The caller's response closes it (FileResponse), so no context manager here.
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115
    subject_access_write(person=person, out=spool)
    spool.seek(0)
    return spool
