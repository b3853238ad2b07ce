"""Query budgets (issue 10, "Fast on any phone"): one table of the pages and API lists people
open, each with the role that opens it and the most queries it may run, measured at two sizes of
data. A page must cost the same number of queries at both sizes (it does not grow with history)
and stay within its budget; a list operation in the OpenAPI schema without a row here fails the
run, so a new list cannot ship unbudgeted.

The world is the demo (`seed_demo`: every app has something on every page) plus one unit of
history made in bulk (`_grow`), measured; then four more units, measured again. A unit adds what
could make a count grow: patients in the clinician's and the peer specialist's caseload (with
check-ins, flags open and resolved, onboarding journeys, group names, trial participation,
waiting 1:1 messages and outreach tasks), the patient's check-ins, cravings, CO readings,
medications and notices, groups with members, threads with replies and reactions, held posts and
reports, moderation actions, invitations, trial participants (randomised with follow-ups,
enrolled, declined), screening entries and adverse events, and signals and notes on a flag.
The small world has 8 patients in each caseload, 14 of Bea's check-ins, 8 replies on the
measured thread, 5 trial participants; the large one 24, 42, 40 and 21.

Each URL is requested twice in a row by the same logged-in client, and the second request is
counted: the first does a session's bookkeeping (the last-activity mark, the programme and study
gates remembered in the cache) and what a page records on a first visit. The dashboard is
measured both from its kept figures (a page view) and computed (`trials:dashboard computed`).

The apps' own budget tests stay where they are (tests/cessation/test_query_budgets.py,
tests/onboarding/test_query_budgets.py, tests/safety/test_query_counts.py, the peer-group and
trial tests); this file is the one table for the issue's list. It takes about 20 s on SQLite.
"""

from __future__ import annotations

import functools
import json
import re
import time
from dataclasses import dataclass
from datetime import timedelta
from http import HTTPStatus
from io import StringIO

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import URLResolver, get_resolver, resolve, reverse
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer

from accounts.middleware import activity_mark
from accounts.models import Invitation, PatientProfile, Role, User, hash_token
from cessation.models import CheckIn, COReading, Craving, Medication, OutreachTask
from core.models import Notification
from onboarding.models import Journey, StepRecord
from peersupport.models import (
    Conversation,
    Membership,
    ModerationAction,
    PeerGroup,
    PeerMember,
    PeerMessage,
    Post,
    Reaction,
    Report,
)
from peersupport.pseudonyms import canonical
from peersupport.services.groups import GUIDELINES_VERSION
from safety import services as safety_services
from safety.models import Flag, Severity
from safety.screening import screen_text
from tests.onboarding.helpers import STEPS
from trials import pseudonyms
from trials.models import (
    AdverseEvent,
    Allocation,
    FollowUp,
    Participant,
    ScreeningEntry,
    SequenceSlot,
    Trial,
)
from trials.services.adverse_events import adverse_events_from_flags

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Row:
    name: str  # the URL name
    role: str  # who opens it: patient (Bea), clinician (Dr Okafor), peer (Jo), admin (Morgan)
    budget: int  # the most queries it may run, at either size
    shows: str  # text the answer holds at both sizes ({…}: World.values), so it is not empty
    label: str = ""  # what differs from another row of the same URL name

    @property
    def key(self) -> str:
        return f"{self.name} {self.label}".strip()


# Measured on the pages as built, the same on SQLite and PostgreSQL; lowering one is welcome,
# raising one needs a reason. Every page starts with the session and the user (staff: and their
# second factor) and ends with the unread-notices badge of the header ("+ badge"); a staff API
# request reads the second factor once (the MFA middleware's answer is kept for the request and
# DRF's permission takes it: core/request_memo.py). A page
# about a patient writes its audit row ("audit"). The badge is counted once per request however
# many sections a page renders (core/context_processors.py). Repeats left (fixed, not growing):
# the clinician's page about a patient reads the patient's profile more than once.
BUDGETS: list[Row] = [
    # --- The patient (Bea: in the trial's programme arm, in both groups, a safety plan) ---
    # Profile; onboarding card (journey, steps); today card (plan; the sums since the quit date
    # with today's check-in, in one read; the time zone from the profile); badge; groups card
    # (memberships with group names, conversation); the study card (participation; the journey
    # only while the study is still to answer).
    Row("accounts:patient_home", "patient", 11, "Blue Kettle"),
    # Time zone, the check-ins of the days that can still be filled in (the day's among them);
    # badge.
    Row("cessation:checkin", "patient", 5, "check"),
    Row("cessation:checkin_day", "patient", 5, "check"),
    # The quit-tracking card's eight, as on the home page; badge.
    Row("cessation:progress", "patient", 11, "progress"),
    Row("cessation:quit_plan", "patient", 4, "quit"),  # plan; badge
    Row("cessation:craving", "patient", 4, "craving"),  # plan; badge
    Row("cessation:co_readings", "patient", 6, "ppm"),  # time zone, page of readings + count
    Row("cessation:medications", "patient", 4, "Budget medicine"),  # medications; badge
    Row("cessation:schedule", "patient", 5, "remind"),  # time zone, schedule; badge
    Row("peersupport:groups", "patient", 5, "Budget group"),  # group name, groups with members
    # Membership, a page of threads + count, their reply counts; badge.
    Row("peersupport:group", "patient", 7, "Budget thread"),
    # Membership, thread, a page of replies (each saying whether the reader reported it) +
    # count, reactions; badge.
    Row("peersupport:thread", "patient", 8, "Budget reply"),
    Row("peersupport:my_posts", "patient", 6, "Budget post by Bea"),  # page + count, groups
    # Profile, conversation, its latest messages, marked read (UPDATE); badge.
    Row("peersupport:messages", "patient", 7, "Budget message"),
    Row("core:notification_list", "patient", 5, "Budget notice"),  # page + count; badge
    Row("safety:safety_plan", "patient", 5, "safety plan"),  # plan, who last changed it
    Row("safety:crisis", "patient", 4, "116 123"),  # the safety plan; badge
    Row("trials:study", "patient", 6, "study"),  # participation, follow-ups, consent; badge
    Row("onboarding:consents", "patient", 6, "agree"),  # consents, texts in force; badge
    Row("accounts:account", "patient", 6, "bea@exhale.demo"),  # factors, consents, audit
    # --- The clinician (Dr Okafor: every demo patient and each unit's new ones) ---
    # A page of the caseload + count, open invitations, onboarding's column (journeys, steps).
    Row("accounts:clinician_home", "clinician", 9, "Budget Patient"),
    # Profile, audit; flags card; quit-tracking card (as the patient's progress, plus recent
    # check-ins, medications, schedule, missed days, outreach, quit-date changes); groups card
    # (group name, posts, memberships, moderation); onboarding card (journey, steps); trial card
    # (participation, trial, follow-ups, adverse events, points); badge.
    Row("accounts:patient_detail", "clinician", 32, "Beatrice"),
    # A page of the queue + count, on call, recently resolved; badge.
    Row("safety:flag_queue", "clinician", 8, "Budget Patient"),
    # Flag, audit, signals, events, earlier flags, recent check-ins and cravings, colleagues.
    Row("safety:flag_detail", "clinician", 14, "Budget note"),
    Row("safety:patient_safety_plan", "clinician", 10, "Beatrice"),  # access, audit, plan
    Row("accounts:invitation_list", "clinician", 6, "Budget Invitee"),  # page + count; badge
    Row("cessation_staff:quit_plan", "clinician", 8, "Bea"),  # access, audit, plan
    Row("cessation_staff:schedule", "clinician", 9, "Bea"),  # access, audit, schedule
    # Access, audit, journey, steps, baseline, consents, assisted session, safety plan.
    Row("onboarding:staff_overview", "clinician", 13, "Bea"),
    Row("cessation_staff:co_reading_create", "clinician", 8, "ppm"),  # access, audit
    Row("cessation_staff:medication_create", "clinician", 7, "Add a medication"),  # the same
    Row("trials:followup_record", "clinician", 9, "{bea_study_id}"),  # audit, points, answers
    Row("core:notification_list", "clinician", 6, "Budget notice", label="clinician"),
    # --- The peer specialist (Jo: moderates the demo's groups and each unit's new one) ---
    # Caseload page + count, the groups they moderate and what waits there, onboarding's
    # column; badge, and the moderation and outreach counts of the peer's menu.
    Row("accounts:peer_home", "peer", 13, "Budget"),
    Row("accounts:patient_detail", "peer", 14, "Bea", label="peer"),  # groups, onboarding
    # Groups, held posts, open reports, unanswered posts, waiting conversations; menu.
    Row("peersupport:moderation", "peer", 11, "Budget held"),
    # Post, audit, membership, reports, thread, history, templates, author's post counts.
    Row("peersupport:moderation_post", "peer", 14, "Budget held"),
    # Group, a page of members + count, posts, actions, their post counts; menu.
    Row("peersupport:moderation_group", "peer", 11, "Budget Walker"),
    Row("peersupport:moderation_member", "peer", 12, "Blue Kettle"),  # audit, posts, actions
    Row("peersupport:moderation_log", "peer", 11, "Budget"),  # page + count, filters; menu
    Row("peersupport:inbox", "peer", 8, "Budget"),  # page + count; menu
    # Conversation, marked read (UPDATE), audit, messages; menu.
    Row("peersupport:inbox_conversation", "peer", 10, "Budget message"),
    Row("cessation_staff:outreach_queue", "peer", 9, "Budget"),  # open, done; menu
    # --- The admin and trial manager (Morgan) ---
    # Staff page + count, moderation, waiting messages, onboarding, texts, the trials'
    # headlines, recent staff access; badge.
    Row("accounts:admin_home", "admin", 13, "Exhale feasibility trial"),
    # The trial; the figures kept by trials/dashboard_cache.py (its arms and points are in them).
    Row("trials:dashboard", "admin", 5, "Exhale feasibility trial"),
    # The figures computed (none kept): 33 set-based queries over the whole trial.
    Row("trials:dashboard", "admin", 38, "Exhale feasibility trial", label="computed"),
    Row("trials:trial_list", "admin", 7, "Exhale feasibility trial"),  # trials with counts
    Row("trials:trial_detail", "admin", 8, "Exhale feasibility trial"),  # counts by status
    Row("trials:participation_list", "admin", 10, "{study_id}"),  # page + count, withdrawals
    Row("trials:adverse_event_list", "admin", 9, "{study_id}"),  # page + count
    Row("trials:adverse_event_detail", "admin", 10, "{study_id}"),  # event, reporter, audit
    Row("trials:exports", "admin", 7, "Exhale feasibility trial"),
    Row("peersupport:overdue_messages", "admin", 6, "Jo Reynolds"),  # page + count
    Row("peersupport:moderation_log", "admin", 9, "Budget", label="admin"),
    Row("accounts:invitation_list", "admin", 6, "Budget Invitee", label="admin"),
    Row("safety:overview", "admin", 10, "flag"),  # flag counts and the oldest, on call
    # --- The API: every list operation of the schema, and the key reads beside them ---
    Row("api:me", "patient", 2, "bea@exhale.demo"),
    Row("api:notification_list", "patient", 4, "Budget notice"),  # page + count
    Row("api:crisis_resource_list", "patient", 2, "116 123"),
    Row("api:checkin_list", "patient", 4, "harm_thoughts"),  # page + count
    Row("api:craving_list", "patient", 4, "intensity"),  # page + count
    Row("api:progress", "patient", 10, "quit"),  # the progress page's eight
    Row("api:onboarding_consents", "patient", 3, "programme"),
    Row("api:peer_group_list", "patient", 4, "Budget group"),  # page + count
    Row("api:peer_thread_list", "patient", 7, "Budget thread"),  # as the group page
    Row("api:peer_thread_detail", "patient", 7, "Budget reply"),  # as the thread page
    Row("api:peer_my_posts", "patient", 4, "Budget post by Bea"),  # page + count
    Row("api:peer_messages", "patient", 6, "Budget message"),  # as the messages page
    # Follow-ups: one per follow-up point of the protocol (configuration, not data).
    Row("api:study_followup_list", "patient", 3, "due_on"),
    Row("api:study", "patient", 4, "{bea_study_id}"),
    Row("api:peer_group", "patient", 4, "First weeks"),
    Row("api:patient_list", "clinician", 5, "Budget Patient"),  # page + count
    Row("api:invitation_list", "clinician", 5, "Budget Invitee"),  # page + count
    Row("api:flag_list", "clinician", 5, "severity"),  # page + count
    Row("api:flag_detail", "clinician", 6, "Budget note"),  # flag, audit, events
    Row("api:patient_checkin_list", "clinician", 8, "harm_thoughts"),  # access, audit, page
    Row("api:patient_co_reading_list", "clinician", 8, "ppm"),  # access, audit, page
    Row("api:patient_detail", "clinician", 5, "Beatrice"),  # access, audit
    Row("api:patient_progress", "clinician", 14, "quit"),  # access, audit, the eight
    Row("api:patient_onboarding", "clinician", 7, "steps"),  # access, audit, journey, steps
    Row("api:patient_fhir_bundle", "clinician", 7, "72166-2"),  # audit, check-ins, follow-ups
    Row("api:moderation_queue", "peer", 8, "Budget held"),  # as the moderation page
    Row("api:moderation_group_members", "peer", 6, "Blue Kettle"),  # page + count, posts
    Row("api:moderation_log", "peer", 5, "approve"),  # page + count
    Row("api:moderation_message_templates", "peer", 4, "title"),
    Row("api:moderation_conversation_list", "peer", 5, "Budget"),  # page + count
    Row("api:moderation_conversation_detail", "peer", 7, "Budget message"),  # audit, read
    Row("api:moderation_post", "peer", 11, "Budget held"),  # as the moderation post page
]

ROLES = {"patient": "bea", "clinician": "clinician", "peer": "peer", "admin": "admin"}
UNITS_SMALL, UNITS_LARGE = 1, 5
PATIENTS_PER_UNIT = 4


# --- The world --------------------------------------------------------------------------------


@dataclass
class World:
    users: dict[str, User]
    values: dict[str, object]  # URL keywords, and what rows' `shows` name: Bea's world
    units: int = 0


def _build_world() -> World:
    call_command("seed_demo", force=True, stdout=StringIO())
    demo = {u.email.split("@")[0]: u for u in User.objects.filter(email__endswith="@exhale.demo")}
    bea, jo = demo["bea"], demo["peer"]
    # Jo is on Bea's care team too, so the peer's page about her opens (as in the matrix).
    PatientProfile.objects.filter(user=bea).update(peer_specialist=jo)
    trial = Trial.objects.get(slug="exhale-ft")
    bea_participant = Participant.objects.get(trial=trial, patient=bea)
    topic = PeerGroup.objects.get(slug="first-weeks-after-discharge")
    bea_flag = safety_services.flag_raise(
        patient=bea,
        source=Flag.Source.CONCERN,
        category=Flag.Category.CONCERN,
        severity=Severity.HIGH,
        summary="Budget concern",
        raised_by=demo["clinician"],
    )
    thread = Post.objects.create(
        group=topic,
        author=bea,
        body="Budget thread that grows",
        status=Post.Status.PUBLISHED,
        published_at=timezone.now(),
    )
    values = {
        "patient_id": bea.pk,
        "slug": topic.slug,
        "trial_slug": trial.slug,
        "flag_id": bea_flag.pk,
        "thread_id": thread.pk,
        "membership_id": Membership.objects.get(group=topic, member=bea, left_at=None).pk,
        "conversation_id": None,  # the first unit's first waiting conversation (see _unit)
        "post_id": None,  # the first unit's first held post, reported (see _unit)
        "day": CheckIn.objects.filter(patient=bea).latest("day").day,
        "participant_id": bea_participant.pk,
        "bea_study_id": bea_participant.study_id,
        "event_id": None,  # the first unit's first adverse event (see _unit)
        "study_id": None,  # the first unit's first participant (see _unit)
    }
    return World(users={role: demo[local] for role, local in ROLES.items()}, values=values)


def _grow(world: World, units: int) -> None:
    """`units` more of everything that could make a page's count grow, made in bulk."""
    for _ in range(units):
        world.units += 1
        _unit(world, world.units)


def _unit(world: World, n: int) -> None:
    now = timezone.now()
    bea, clinician, peer, admin = (
        world.users[r] for r in ("patient", "clinician", "peer", "admin")
    )
    backup = PatientProfile.objects.get(user=bea).backup_clinician
    trial = Trial.objects.get(slug=world.values["trial_slug"])
    topic = PeerGroup.objects.get(slug=world.values["slug"])
    thread = Post.objects.get(pk=world.values["thread_id"])

    # Patients in the caseload of the clinician and of the peer specialist.
    patients = User.objects.bulk_create(
        User(
            email=f"budget-{n}-{i}@example.org",
            full_name=f"Budget Patient {n}-{i}",
            role=Role.PATIENT,
            password="!",  # unusable: nobody logs in as them
        )
        for i in range(PATIENTS_PER_UNIT)
    )
    PatientProfile.objects.bulk_create(
        PatientProfile(
            user=p,
            clinician=clinician,
            backup_clinician=backup,
            peer_specialist=peer,
            discharged_on=timezone.localdate() - timedelta(days=10 + i),
        )
        for i, p in enumerate(patients)
    )
    today = timezone.localdate()
    CheckIn.objects.bulk_create(
        CheckIn(
            patient=p,
            day=today - timedelta(days=d),
            cigarettes=d % 4,
            craving=5,
            mood=5,
            sleep=CheckIn.Sleep.OK,
            harm_thoughts=CheckIn.SafetyAnswer.NO,
        )
        for p in patients
        for d in range(1, 6)
    )
    # Half mid-onboarding (the caseload's onboarding column), half finished.
    journeys = Journey.objects.bulk_create(
        Journey(patient=p, current_step=STEPS[i + 2], finished_at=None if i % 2 else now)
        for i, p in enumerate(patients)
    )
    StepRecord.objects.bulk_create(
        StepRecord(journey=j, step=step, completed_at=now) for j in journeys for step in STEPS[:3]
    )
    # Group names, membership of the topic group and the unit's own group.
    PeerMember.objects.bulk_create(
        PeerMember(
            user=p,
            pseudonym=f"Budget Walker {n}x{i}",
            canonical_pseudonym=canonical(f"Budget Walker {n}x{i}"),
            guidelines_version=GUIDELINES_VERSION,
            guidelines_accepted_at=now,
        )
        for i, p in enumerate(patients)
    )
    group = PeerGroup.objects.create(
        name=f"Budget group {n}",
        slug=f"budget-group-{n}",
        kind=PeerGroup.Kind.TOPIC,
        description="Budget group: evenings and weekends.",
    )
    group.moderators.add(peer)
    Membership.objects.bulk_create(
        [Membership(group=topic, member=p) for p in patients]
        + [Membership(group=group, member=p) for p in patients]
        + [Membership(group=group, member=bea)]
    )
    # Threads with replies and reactions; the measured thread gets replies too; held posts and
    # reports for the moderation queue; a few of Bea's own posts.
    threads = Post.objects.bulk_create(
        Post(
            group=g,
            author=p,
            body=f"Budget thread {n}-{i}",
            status=Post.Status.PUBLISHED,
            published_at=now,
            first_reply_at=now,
        )
        for g in (topic, group)
        for i, p in enumerate(patients)
    )
    replies = Post.objects.bulk_create(
        Post(
            group=t.group,
            author=p,
            parent=t,
            body=f"Budget reply {n}-{i}",
            status=Post.Status.PUBLISHED,
            published_at=now,
        )
        for t in [*threads, thread, thread]
        for i, p in enumerate(patients)
    )
    Reaction.objects.bulk_create(
        Reaction(post=post, member=p, kind=kind)
        for post in [thread, *threads[:2], *replies[-PATIENTS_PER_UNIT:]]
        for p in patients
        for kind in (Reaction.Kind.HEART, Reaction.Kind.STRONG)
    )
    # Held as the service holds them: the screening's own verdict (a phone number).
    body = "Budget held post: call me on 07700 900123"
    verdict = screen_text(body)
    assert verdict.hold
    held = Post.objects.bulk_create(
        Post(
            group=topic,
            author=p,
            body=f"{body} ({n}-{i})",
            status=Post.Status.HELD,
            held_reason=verdict.summary[:200],
            screening_action=verdict.action,
            screening_categories=list(verdict.categories),
            screening_evidence=json.dumps([e.as_dict() for e in verdict.evidence]),
        )
        for i, p in enumerate(patients[:2])
    )
    world.values["post_id"] = world.values["post_id"] or held[0].pk
    Report.objects.bulk_create(
        Report(post=post, reporter=p, reason=Report.Reason.UNKIND, note=f"Budget report {n}")
        for post in threads[:2]
        for p in [bea, *patients[2:]]
    )
    Report.objects.bulk_create(
        Report(post=held[0], reporter=p, reason=Report.Reason.PERSONAL_INFO, note="Budget")
        for p in (bea, *patients[1:])
    )
    Post.objects.bulk_create(
        Post(
            group=g,
            author=bea,
            body=f"Budget post by Bea {n}-{g.pk}",
            status=Post.Status.PUBLISHED,
            published_at=now,
        )
        for g in (topic, group)
    )
    ModerationAction.objects.bulk_create(
        ModerationAction(
            group=topic,
            post=t,
            member=t.author,
            actor=peer,
            action=ModerationAction.Action.APPROVE,
            reason=f"Budget approval {n}",
        )
        for t in threads[:PATIENTS_PER_UNIT]
    )
    # 1:1 messages waiting for Jo, and Bea's own conversation with him.
    conversations = Conversation.objects.bulk_create(
        Conversation(
            patient=p,
            peer=peer,
            last_message_at=now,
            waiting_since=now - timedelta(hours=30),
            reply_due_at=now - timedelta(hours=6),
        )
        for p in patients
    )
    bea_conversation, _ = Conversation.objects.get_or_create(patient=bea, peer=peer)
    world.values["conversation_id"] = world.values["conversation_id"] or conversations[0].pk
    PeerMessage.objects.bulk_create(
        PeerMessage(conversation=c, sender=sender, body=f"Budget message {n}-{i}")
        for c in [*conversations, bea_conversation]
        for i, sender in enumerate((c.patient, peer, c.patient))
    )
    Conversation.objects.filter(pk=world.values["conversation_id"]).update(last_message_at=now)
    PeerMessage.objects.bulk_create(
        PeerMessage(
            conversation_id=world.values["conversation_id"], sender=s, body=f"Budget message {n}"
        )
        for s in (patients[0], peer, patients[0])
    )
    OutreachTask.objects.bulk_create(
        OutreachTask(patient=p, peer=peer, reason=f"Budget: missed check-ins ({n})")
        for p in patients
    )
    # Bea's history.
    oldest = CheckIn.objects.filter(patient=bea).earliest("day").day
    CheckIn.objects.bulk_create(
        CheckIn(
            patient=bea,
            day=oldest - timedelta(days=d),
            cigarettes=10,
            craving=6,
            mood=4,
            sleep=CheckIn.Sleep.POORLY,
            harm_thoughts=CheckIn.SafetyAnswer.NO,
            note=f"Budget check-in note {n}-{d}",
        )
        for d in range(1, 8)
    )
    Craving.objects.bulk_create(
        Craving(patient=bea, at=now - timedelta(hours=5 * n + h), intensity=6) for h in range(4)
    )
    COReading.objects.bulk_create(
        COReading(
            patient=bea, taken_on=today - timedelta(days=7 * n + w), ppm=12, recorded_by=clinician
        )
        for w in range(2)
    )
    Medication.objects.create(
        patient=bea, name=f"Budget medicine {n}", dose="10 mg", recorded_by=clinician
    )
    Notification.objects.bulk_create(
        Notification(
            recipient=user,
            kind="budget",
            title=f"Budget notice {n}-{i}",
            body="Something to read.",
            url="/",
            read_at=None if i % 2 else now,
        )
        for user in (bea, clinician, peer, admin)
        for i in range(4)
    )
    Invitation.objects.bulk_create(
        Invitation(
            email=f"budget-invitee-{n}-{i}@example.org",
            full_name=f"Budget Invitee {n}-{i}",
            role=Role.PATIENT,
            invited_by=clinician,
            clinician=clinician,
            token_hash=hash_token(f"budget-{n}-{i}"),
            expires_at=now + timedelta(days=14),
        )
        for i in range(3)
    )
    # Flags: one open and one resolved for each new patient (through the service, as every
    # caller raises them: signals, events, recipients, notices), and more on Bea's flag.
    for p in patients:
        safety_services.flag_raise(
            patient=p,
            source=Flag.Source.CHECKIN,
            category=Flag.Category.LOW_MOOD,
            severity=Severity.HIGH,
            summary="Budget low mood",
        )
        earlier = safety_services.flag_raise(
            patient=p,
            source=Flag.Source.POST,
            category=Flag.Category.ABUSE,
            severity=Severity.MEDIUM,
            summary="Budget earlier flag",
        )
        safety_services.flag_resolve(
            flag=earlier, by=clinician, outcome=Flag.Outcome.NOT_A_CONCERN, note="Budget"
        )
    flag = Flag.objects.get(pk=world.values["flag_id"])
    for severity in (Severity.MEDIUM, Severity.HIGH):
        safety_services.flag_raise(
            patient=bea,
            source=Flag.Source.CONCERN,
            category=Flag.Category.CONCERN,
            severity=severity,
            summary=f"Budget signal {n}",
            raised_by=clinician,
        )
    for i in range(2):
        safety_services.flag_note_add(flag=flag, by=clinician, note=f"Budget note {n}-{i}")
    # The trial: half the new patients randomised (with their follow-ups), one enrolled, one
    # declined; their screening entries, a few entries of people who did not take part, and
    # adverse events from the new patients' flags.
    statuses = [
        Participant.Status.RANDOMISED,
        Participant.Status.RANDOMISED,
        Participant.Status.ENROLLED,
        Participant.Status.DECLINED,
    ]
    before = now - timedelta(days=3)
    participants = Participant.objects.bulk_create(
        Participant(
            trial=trial,
            patient=p,
            study_id=pseudonyms.trial_id_for(key=trial.pseudonym_key, patient_id=p.pk),
            diagnosis_group=Participant.DiagnosisGroup.PSYCHOSIS,
            status=status,
            enrolled_at=before,
            enrolled_by=clinician,
            consented_at=before if status == Participant.Status.RANDOMISED else None,
            declined_at=before if status == Participant.Status.DECLINED else None,
        )
        for p, status in zip(patients, statuses, strict=True)
    )
    ScreeningEntry.objects.bulk_create(
        [
            ScreeningEntry(
                trial=trial,
                outcome=ScreeningEntry.Outcome.ENROLLED,
                recorded_by=clinician,
                patient=p,
            )
            for p in patients
        ]
        + [
            ScreeningEntry(
                trial=trial,
                outcome=ScreeningEntry.Outcome.DECLINED,
                reason=ScreeningEntry.Reason.NOT_READY,
                recorded_by=clinician,
            )
            for _ in range(3)
        ]
    )
    arms = list(trial.arms.order_by("order", "pk"))
    world.values["study_id"] = world.values["study_id"] or participants[0].study_id
    randomised = [p for p in participants if p.status == Participant.Status.RANDOMISED]
    slots = SequenceSlot.objects.bulk_create(
        SequenceSlot(
            trial=trial,
            stratum="budget",
            position=100 * n + i,
            block=n,
            block_size=2,
            arm_sealed=arms[i % len(arms)].code,
            used_at=before,
        )
        for i in range(len(randomised))
    )
    Allocation.objects.bulk_create(
        Allocation(
            participant=p,
            arm=arms[i % len(arms)],
            stratum="budget",
            slot=slot,
            allocated_at=before,
            allocated_by=clinician,
        )
        for i, (p, slot) in enumerate(zip(randomised, slots, strict=True))
    )
    FollowUp.objects.bulk_create(
        FollowUp(
            participant=p,
            point=point,
            anchor_date=today,
            due_on=today + timedelta(days=point.due_day),
            window_opens_on=today + timedelta(days=point.window_start_day),
            window_closes_on=today + timedelta(days=point.window_end_day),
        )
        for p in randomised
        for point in trial.points.all()
    )
    for p in randomised:
        safety_services.flag_raise(
            patient=p.patient,
            source=Flag.Source.CHECKIN,
            category=Flag.Category.CRISIS,
            severity=Severity.HIGH,
            summary="Budget crisis words in a check-in",
        )
    adverse_events_from_flags()
    world.values["event_id"] = (
        world.values["event_id"]
        or AdverseEvent.objects.filter(participant=participants[0]).earliest("pk").pk
    )


# --- Measuring --------------------------------------------------------------------------------


@dataclass
class Measure:
    status: int
    queries: int
    shows: bool
    sql: list[str]


def _keywords(patterns, namespace: str = "", outer: frozenset = frozenset()) -> dict[str, set]:
    """Each URL name's keywords, from the resolver."""
    found: dict[str, set] = {}
    for entry in patterns:
        keywords = outer | set(entry.pattern.converters)
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            for name, more in _keywords(entry.url_patterns, inner, keywords).items():
                found.setdefault(name, set()).update(more)
        elif entry.name:
            found.setdefault(f"{namespace}{entry.name}", set()).update(keywords)
    return found


@functools.cache
def _route_keywords() -> dict[str, set]:
    return _keywords(get_resolver().url_patterns)


def _url(row: Row, world: World) -> str:
    """The row's URL, filled in with Bea's world: her flag, her group, the measured thread; the
    trial's pages with the trial."""
    values = (
        {**world.values, "slug": world.values["trial_slug"]}
        if row.name.startswith("trials:")
        else world.values
    )
    keywords = _route_keywords()[row.name]
    return reverse(row.name, kwargs={k: values[k] for k in keywords})


def _measure(row: Row, world: World, clients: dict[str, Client]) -> Measure:
    client = clients[row.role]
    url = _url(row, world)
    client.get(url)  # the session's bookkeeping and a first visit's records
    # The session's last activity is written back once a minute (accounts/middleware.py): marked
    # now, the counted request cannot be the one that crosses the minute on a slow machine.
    session = client.session
    activity_mark(session)
    session.save()
    if row.label == "computed":
        cache.clear()  # no kept figures: the dashboard computes them in this request
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    text = response.content.decode()
    return Measure(
        status=response.status_code,
        queries=len(queries),
        shows=row.shows.format(**world.values).casefold() in text.casefold(),
        sql=[q["sql"] for q in queries.captured_queries],
    )


def _clients(world: World) -> dict[str, Client]:
    clients = {}
    for role, user in world.users.items():
        clients[role] = Client()
        clients[role].force_login(user)
    return clients


def test_every_page_and_api_list_costs_the_same_queries_at_two_sizes_within_its_budget():
    keys = [row.key for row in BUDGETS]
    assert len(set(keys)) == len(keys), "two rows measure the same page: give one a label"
    started = time.perf_counter()
    world = _build_world()
    _grow(world, UNITS_SMALL)
    clients = _clients(world)
    small = {row.key: _measure(row, world, clients) for row in BUDGETS}
    _grow(world, UNITS_LARGE - UNITS_SMALL)
    cache.clear()  # what was remembered of the small world (the gates, the dashboard's figures)
    clients = _clients(world)
    large = {row.key: _measure(row, world, clients) for row in BUDGETS}

    lines, failures = [], []
    for row in BUDGETS:
        s, g = small[row.key], large[row.key]
        problems = []
        if s.status != HTTPStatus.OK or g.status != HTTPStatus.OK:
            problems.append(f"status {s.status}/{g.status}")
        if not (s.shows and g.shows):
            problems.append(f"does not show {row.shows!r}")
        if g.queries != s.queries:
            problems.append("changes with the data")
        if max(s.queries, g.queries) > row.budget:
            problems.append(f"over budget {row.budget}")
        lines.append(
            f"{row.key:<45} {row.role:<10} {s.queries:>4} {g.queries:>4} {row.budget:>6}  "
            + ("; ".join(problems) or "ok")
        )
        if problems:
            failures.append(row.key)
    table = "\n".join(
        [f"{'page':<45} {'role':<10} {'small':>4} {'large':>4} {'budget':>6}", *lines]
    )
    print(f"\n{table}\n({time.perf_counter() - started:.1f} s)")
    assert not failures, f"\n{table}\n" + "\n".join(
        f"--- {key}, {size}:\n" + "\n".join(measures[key].sql)
        for key in failures[:2]
        for size, measures in (("small", small), ("large", large))
    )


# --- Every list operation of the API has a row ------------------------------------------------


def _schema() -> dict:
    document = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(document))


def _resolve_ref(schema: dict, document: dict) -> dict:
    while "$ref" in schema:
        node = document
        for part in schema["$ref"].removeprefix("#/").split("/"):
            node = node[part]
        schema = node
    return schema


def _is_list(operation: dict, document: dict) -> bool:
    """Whether a GET answers a list: an array, or a page of `results`."""
    content = operation.get("responses", {}).get("200", {}).get("content", {})
    for media in content.values():
        schema = _resolve_ref(media.get("schema", {}), document)
        if schema.get("type") == "array":
            return True
        results = schema.get("properties", {}).get("results")
        if results is not None and _resolve_ref(results, document).get("type") == "array":
            return True
    return False


def _url_name(path: str) -> str:
    sample = re.sub(
        r"\{(\w+)\}", lambda m: "x" if m.group(1) in ("slug", "key", "kind") else "1", path
    )
    return resolve(sample).view_name


def test_every_api_list_operation_has_a_budget():
    document = _schema()
    lists = {
        _url_name(path): f"GET {path}"
        for path, operations in document["paths"].items()
        if "get" in operations and _is_list(operations["get"], document)
    }
    budgeted = {row.name for row in BUDGETS}

    assert lists, "no list operation found in the schema"
    missing = sorted(
        f"{operation} ({name})" for name, operation in lists.items() if name not in budgeted
    )
    assert not missing, "API lists without a query budget in BUDGETS:\n" + "\n".join(missing)
