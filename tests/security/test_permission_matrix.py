"""The permission matrix: every URL pattern and API operation, every method, every kind of user.

The URL patterns come from the resolver and the API operations from the OpenAPI schema; each one
must have a row in MATRIX below (a new page that nobody added here fails the run). The world is
the demo (`seed_demo`) plus the people the demo lacks, and every URL is filled in with ids of
objects that belong to patient A (Beatrice Hughes): her flag, post, membership, conversation,
follow-up, her group, her clinician's invitation. Each URL is then called with GET, POST, PUT,
PATCH and DELETE as each role, and the outcome compared with the table.

Besides the status, every response is checked for what the role must not see (A's real name and
email outside her own pages, her clinicians' and the admins'), every request a role is refused
must write nothing (no INSERT, UPDATE or DELETE reaches the database but the session and the
audit log), and every staff page that shows a patient's record must write an audit row when staff
read it. Each request runs in a savepoint that is rolled back, so the world stays the same for
the next one. Failures are gathered and shown as one table.
"""

from __future__ import annotations

import copy
import os
import re
import time
from dataclasses import dataclass
from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.throttling import SimpleRateThrottle

from accounts import services as account_services
from accounts.models import PatientProfile, User
from cessation.models import CheckIn, OutreachTask
from cessation.services.quitting import medication_add
from core.models import Notification
from onboarding.models import ContentVersion
from peersupport.models import Membership, PeerGroup, Post
from peersupport.services.groups import report_create
from peersupport.services.messages import message_send
from safety.models import Flag
from tests import factories
from trials.models import AdverseEvent, FollowUp, Participant, Trial

pytestmark = pytest.mark.django_db

ROLES = (
    "anon",
    "patient_a",
    "patient_b",
    "peer_a",
    "peer_other",
    "clinician_a",
    "clinician_other",
    "admin",
    "admin_nomfa",
)
METHODS = ("get", "post", "put", "patch", "delete")
A_NAME = "Beatrice Hughes"  # the demo's Bea: in the trial, both groups, flags, check-ins
A_EMAIL = "bea@exhale.demo"


# --- The world --------------------------------------------------------------------------------


@dataclass
class World:
    users: dict[str, User | None]
    kwargs: dict[str, object]  # URL keyword → a value belonging to patient A
    overrides: dict[str, dict[str, object]]  # URL name → its own values


def _build_world() -> World:
    call_command("seed_demo", force=True, stdout=StringIO())
    demo = {u.email.split("@")[0]: u for u in User.objects.filter(email__endswith="@exhale.demo")}
    bea, alex, jo, okafor = demo["bea"], demo["alex"], demo["peer"], demo["clinician"]
    PatientProfile.objects.filter(user=bea).update(peer_specialist=jo)

    peer_other = factories.PeerFactory(password=None, full_name="Robin Ashworth")
    clinician_other = factories.ClinicianFactory(password=None, full_name="Imogen Farrell")
    patient_c = factories.PatientFactory(
        password=None, full_name="Cecil Brampton", profile=clinician_other
    )
    other_group = PeerGroup.objects.create(
        name="Evenings", slug="evenings", kind=PeerGroup.Kind.TOPIC, description="Evenings."
    )
    other_group.moderators.add(peer_other)
    Membership.objects.create(group=other_group, member=patient_c)
    admin_nomfa = factories.AdminFactory(password=None, mfa=False, full_name="Pat Quinlan")

    message_send(sender=bea, body="Could we talk tomorrow about the patches?")
    medication = medication_add(patient=bea, by=okafor, name="Sertraline")
    task = OutreachTask.objects.create(patient=bea, peer=jo, reason="Missed check-ins")
    post = (
        Post.objects.filter(
            author=bea, parent=None, status=Post.Status.PUBLISHED, group__slug=TOPIC_SLUG
        ).first()
        or Post.objects.filter(author=bea, parent=None, status=Post.Status.PUBLISHED).first()
    )
    report = report_create(reporter=alex, post=post, reason="other", note="")
    invitation = factories.InvitationFactory(invited_by=okafor, full_name="Ivy Newcombe")
    token, _key = account_services.api_token_create(user=okafor, name="analysis laptop")
    trial = Trial.objects.get(slug="exhale-ft")
    participant = Participant.objects.get(trial=trial, patient=bea)
    content = (
        ContentVersion.objects.filter(published_at__isnull=False).order_by("key", "version").first()
    )
    kwargs = {
        "patient_id": bea.pk,
        "user_id": bea.pk,
        "flag_id": Flag.objects.filter(patient=bea).earliest("pk").pk,
        "invitation_id": invitation.pk,
        "token": invitation.raw_token,
        "token_id": token.pk,
        "notification_id": Notification.objects.filter(recipient=bea).earliest("pk").pk,
        "day": CheckIn.objects.filter(patient=bea).latest("day").day,
        "medication_id": medication.pk,
        "task_id": task.pk,
        "slug": post.group.slug,
        "thread_id": post.pk,
        "post_id": post.pk,
        "report_id": report.pk,
        "membership_id": Membership.objects.get(group=post.group, member=bea).pk,
        "conversation_id": bea.peer_conversations.get().pk,
        "stop": "checkin",
        "step": "tour",
        "key": content.key,
        "version": content.version,
        "kind": "programme",
        "arm_id": trial.arms.earliest("pk").pk,
        "point_id": trial.points.earliest("pk").pk,
        "participant_id": participant.pk,
        "followup_id": FollowUp.objects.filter(participant=participant).earliest("pk").pk,
        "event_id": AdverseEvent.objects.get(participant=participant).pk,
    }
    trial_slug = {"slug": trial.slug}
    overrides = {name: trial_slug for name in _names() if name.startswith("trials:")}
    overrides["api:peer_reaction_delete"] = {"kind": "heart"}
    overrides["account_confirm_email"] = {"key": "not-a-key"}
    overrides["account_reset_password_from_key"] = {"uidb36": "zz", "key": "not-a-key"}
    users = {
        "anon": None,
        "patient_a": bea,
        "patient_b": alex,
        "peer_a": jo,
        "peer_other": peer_other,
        "clinician_a": okafor,
        "clinician_other": clinician_other,
        "admin": demo["admin"],
        "admin_nomfa": admin_nomfa,
    }
    return World(users=users, kwargs=kwargs, overrides=overrides)


TOPIC_SLUG = "first-weeks-after-discharge"


# --- The URL patterns -------------------------------------------------------------------------


def _walk(patterns, prefix="", namespace=None):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = namespace
            if entry.namespace:
                inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name
            yield name, prefix + str(entry.pattern), entry


def _patterns() -> list[tuple[str | None, str, URLPattern]]:
    return list(_walk(get_resolver().url_patterns))


def _names() -> list[str]:
    return [name for name, _route, _entry in _patterns() if name]


def _route_keywords(route: str) -> set[str]:
    return set(re.findall(r"<(?:\w+:)?(\w+)>", route)) | set(re.findall(r"\(\?P<(\w+)>", route))


def _admin_values(world: World, name: str) -> dict[str, object]:
    """The Django admin's pages of one model show patient A's row where she has one."""
    from django.apps import apps
    from django.contrib.contenttypes.models import ContentType

    match = re.match(r"admin:(\w+?)_(\w+)_(change|delete|history)$", name)
    values: dict[str, object] = {"app_label": "accounts"}
    values["content_type_id"] = ContentType.objects.get_for_model(User).pk
    values["object_id"] = world.users["patient_a"].pk
    if match:
        for label in (match.group(1), match.group(1).split("_")[0]):
            try:
                model = apps.get_model(label, match.group(2))
            except LookupError:
                continue
            obj = model._default_manager.order_by("pk").first()
            values["object_id"] = obj.pk if obj is not None else 1
            break
    return values


def _url(world: World, name: str, route: str) -> str:
    wanted = _route_keywords(route)
    values = {**world.kwargs, **world.overrides.get(name, {})}
    if _is_admin_site(name):
        values.update(_admin_values(world, name))
    return reverse(name, kwargs={key: values[key] for key in wanted})


# --- Outcomes ---------------------------------------------------------------------------------


def _outcome(response) -> str:
    status = response.status_code
    if status >= 500:
        return f"ERROR {status}"
    if status in (301, 302, 303, 307, 308):
        location = response["Location"]
        if location.startswith(("/accounts/login/", "/admin/login/")):
            return "login"
        if location.startswith("/accounts/2fa/totp/activate/"):
            return "mfa"
        return "ok"
    if status == 401:
        return "login"
    if status == 403:
        code = ""
        if response.get("Content-Type", "").startswith("application/json"):
            code = response.json().get("code", "")
        if code == "not_authenticated":
            return "login"
        if code == "mfa_required":
            return "mfa"
        return "forbidden"
    if status == 404:
        return "hidden"
    if status == 405:
        return "method"
    if status == 400:
        return "invalid"
    if 200 <= status < 300:
        return "ok"
    return str(status)


@pytest.fixture
def world(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return _build_world()


@pytest.fixture
def no_throttle(monkeypatch):
    """The API's rate limits are tested elsewhere; here they would only stop the walk."""
    monkeypatch.setattr(SimpleRateThrottle, "allow_request", lambda self, request, view: True)


def _clients(world: World) -> dict[str, Client]:
    clients = {}
    for role, user in world.users.items():
        client = Client(raise_request_exception=False)
        if user is not None:
            client.force_login(user)
        clients[role] = client
    return clients


class _Statements(list):
    """Every SQL statement a request sends (a database execute wrapper: unlike the debug query
    log, it is not emptied when a request starts)."""

    def __call__(self, execute, sql, params, many, context):
        self.append(sql)
        return execute(sql, params, many, context)


def _call(client: Client, method: str, url: str):
    """One request in a savepoint that is rolled back; the client keeps its session cookie
    (a logout is undone with the rest)."""
    cookies = copy.deepcopy(client.cookies)
    statements = _Statements()
    with transaction.atomic():
        with connection.execute_wrapper(statements):
            response = getattr(client, method)(url)
        transaction.set_rollback(True)
    client.cookies = cookies
    return response, statements


# --- The expectations -------------------------------------------------------------------------
#
# A row says who may use a URL ("ok"); A's own data seen by someone of the right role who is not
# on her care team or in her group is "hidden" (404). Everybody else is refused the way their
# kind of user is: anonymous → the login page (401/403 not_authenticated on the API), staff
# without a second factor → TOTP set-up (403 mfa_required on the API), anybody else → 403.
# `get=False` marks a page that only takes POST (GET answers 405 to those allowed).

PATIENTS = frozenset({"patient_a", "patient_b"})
PEERS = frozenset({"peer_a", "peer_other"})
CLINICIANS = frozenset({"clinician_a", "clinician_other"})
STAFF = PEERS | CLINICIANS | {"admin"}
SIGNED_IN = PATIENTS | STAFF | {"admin_nomfa"}
EVERYONE = SIGNED_IN | {"anon"}
CARE_TEAM_A = frozenset({"peer_a", "clinician_a"})
OTHER_CARE_TEAM = frozenset({"peer_other", "clinician_other"})
ADMIN = frozenset({"admin"})
TRIAL_TEAM = ADMIN  # the trial's manager, or every active admin (trials/permissions.py)


@dataclass(frozen=True)
class Row:
    ok: frozenset
    hidden: frozenset = frozenset()
    get: bool = True  # False: POST only, GET answers 405
    public: bool = False  # anonymous allowed; staff without MFA let through (MFA middleware)
    audit: bool = False  # a staff GET that shows a patient's record writes an AuditEvent
    special: tuple = ()  # (role, outcome) pairs that differ from the rule
    leaks_ok: frozenset = frozenset()  # roles that may see A's real name on this page
    logs_out: bool = False  # a POST by those allowed ends the session (→ the login page)


def row(ok, hidden=(), **kwargs) -> Row:
    return Row(ok=frozenset(ok), hidden=frozenset(hidden), **kwargs)


def own(**kwargs) -> Row:
    """A patient's own page: each patient sees their own (B sees B's), staff are refused."""
    return row(PATIENTS, **kwargs)


def care_team(*, clinician_only=False, **kwargs) -> Row:
    """Staff pages about patient A: her care team; staff of the same role elsewhere get 404."""
    if clinician_only:
        return row({"clinician_a"}, {"clinician_other"}, audit=True, **kwargs)
    return row(CARE_TEAM_A, OTHER_CARE_TEAM, audit=True, **kwargs)


def moderator(*, also=(), audit=False, **kwargs) -> Row:
    """A peer group's moderation: its moderators (peer A); another group's moderator gets 404."""
    return row({"peer_a", *also}, {"peer_other"}, audit=audit, **kwargs)


NO_MFA = (("admin_nomfa", "mfa"),)
PUBLIC = row(EVERYONE, public=True)
ACCOUNT = row(SIGNED_IN, public=True)  # allauth's pages for anyone logged in
ACCOUNT_STAFF_MFA = row(
    PEERS | CLINICIANS | ADMIN,
    public=True,
    special=(("patient_a", "hidden"), ("patient_b", "hidden"), ("admin_nomfa", "hidden")),
)

MATRIX: dict[str, Row] = {
    # Public
    "home": row(EVERYONE - {"admin_nomfa"}, public=True, special=NO_MFA),
    "health": PUBLIC,
    "safety:crisis": PUBLIC,
    "onboarding:privacy": PUBLIC,
    "onboarding:privacy_full": PUBLIC,
    "onboarding:content_version": PUBLIC,
    "accounts:invitation_accept": PUBLIC,
    "api:crisis_resource_list": PUBLIC,
    # Public, but outside the paths the MFA middleware lets staff without a factor reach.
    "api:onboarding_text": row(EVERYONE - {"admin_nomfa"}, public=True, special=NO_MFA),
    "api-schema": row(EVERYONE - {"admin_nomfa"}, public=True, special=NO_MFA),
    "api-docs": row(EVERYONE - {"admin_nomfa"}, public=True, special=NO_MFA),
    # allauth
    "account_login": PUBLIC,
    "account_logout": row(SIGNED_IN, public=True, logs_out=True),
    "account_inactive": PUBLIC,
    "account_signup": PUBLIC,
    "account_reauthenticate": row(
        SIGNED_IN - {"admin_nomfa"}, public=True, special=(("admin_nomfa", "forbidden"),)
    ),
    "account_email": ACCOUNT,
    "account_email_verification_sent": PUBLIC,
    "account_change_password": ACCOUNT,
    "account_set_password": ACCOUNT,
    "account_reset_password": PUBLIC,
    "account_confirm_login_code": ACCOUNT,
    "account_confirm_email": PUBLIC,
    "account_reset_password_from_key_done": PUBLIC,
    "account_reset_password_from_key": PUBLIC,
    "account_reset_password_done": PUBLIC,
    "account_request_login_code": PUBLIC,
    "mfa_index": ACCOUNT,
    "mfa_authenticate": ACCOUNT,
    "mfa_reauthenticate": row(
        SIGNED_IN - {"admin_nomfa"}, public=True, special=(("admin_nomfa", "forbidden"),)
    ),
    "mfa_activate_totp": ACCOUNT,
    "mfa_deactivate_totp": ACCOUNT_STAFF_MFA,
    "mfa_generate_recovery_codes": ACCOUNT,
    # Recovery codes exist only for the demo's staff (peer A, clinician A, the admin).
    "mfa_view_recovery_codes": row(
        {"peer_a", "clinician_a", "admin"},
        {"patient_a", "patient_b", "peer_other", "clinician_other", "admin_nomfa"},
        public=True,
    ),
    "mfa_download_recovery_codes": row(
        {"peer_a", "clinician_a", "admin"},
        {"patient_a", "patient_b", "peer_other", "clinician_other", "admin_nomfa"},
        public=True,
    ),
    # Accounts
    "accounts:patient_home": own(),
    "accounts:clinician_home": row(CLINICIANS),
    "accounts:peer_home": row(PEERS),
    "accounts:admin_home": row(ADMIN),
    "accounts:patient_detail": care_team(),
    "accounts:invitation_list": row(CLINICIANS | ADMIN),
    "accounts:invitation_create_patient": row(CLINICIANS | ADMIN),
    "accounts:invitation_create_staff": row(ADMIN),
    # Clinician A's invitation: the other clinician gets 404 (tested by POST: GET is 405).
    "accounts:invitation_revoke": row({"clinician_a", "admin"}, {"clinician_other"}, get=False),
    "accounts:invitation_resend": row({"clinician_a", "admin"}, {"clinician_other"}, get=False),
    "accounts:account": row(SIGNED_IN - {"admin_nomfa"}),
    # Clinician A's API token: nobody else can revoke it (404).
    "accounts:api_token_revoke": row(
        {"clinician_a"}, SIGNED_IN - {"clinician_a", "admin_nomfa"}, get=False
    ),
    # Notifications: A's notice; everyone else's own list.
    "core:notification_list": row(SIGNED_IN - {"admin_nomfa"}),
    "core:notification_read": row(
        {"patient_a"}, SIGNED_IN - {"patient_a", "admin_nomfa"}, get=False
    ),
    "core:notification_read_all": row(SIGNED_IN - {"admin_nomfa"}, get=False),
    # Safety
    "safety:crisis_support": row(
        PATIENTS,
        special=(("admin_nomfa", "forbidden"),),  # under /help/: no MFA redirect
    ),
    "safety:safety_plan": own(),
    "safety:patient_safety_plan": care_team(),
    "safety:concern_create": care_team(),
    "safety:flag_queue": row(CLINICIANS),
    "safety:on_call": row(CLINICIANS, get=False),
    "safety:flag_detail": care_team(clinician_only=True),
    "safety:flag_acknowledge": care_team(clinician_only=True, get=False),
    "safety:flag_note": care_team(clinician_only=True, get=False),
    "safety:flag_resolve": care_team(clinician_only=True, get=False),
    "safety:flag_hand_over": care_team(clinician_only=True, get=False),
    "safety:overview": row(ADMIN),
    # Cessation
    "cessation:quit_plan": own(),
    "cessation:checkin": own(),
    "cessation:schedule": own(),
    "cessation:checkin_day": own(),
    "cessation:progress": own(),
    "cessation:craving": own(),
    "cessation:co_readings": own(),
    "cessation:medications": own(),
    "cessation:medication_stop": row({"patient_a"}, {"patient_b"}, get=False),
    "cessation_staff:co_reading_create": care_team(clinician_only=True),
    "cessation_staff:medication_create": care_team(clinician_only=True),
    "cessation_staff:medication_stop": care_team(clinician_only=True, get=False),
    "cessation_staff:quit_plan": care_team(clinician_only=True),
    "cessation_staff:schedule": care_team(clinician_only=True),
    "cessation_staff:health_content": row(CLINICIANS),
    "cessation_staff:outreach_queue": row(PEERS),
    "cessation_staff:outreach_close": row({"peer_a"}, {"peer_other"}, get=False),
    # Peer groups (members): B is in A's group, so she sees A's thread under a pseudonym.
    "peersupport:groups": own(),
    "peersupport:pseudonym": own(),
    "peersupport:guidelines": own(),
    "peersupport:my_posts": own(),
    "peersupport:post_check": own(special=(("patient_a", "invalid"), ("patient_b", "invalid"))),
    "peersupport:group": own(),
    "peersupport:group_join": own(get=False),
    "peersupport:group_leave": own(get=False),
    "peersupport:post_create": own(),
    "peersupport:thread": own(),
    "peersupport:reply_create": own(get=False),
    "peersupport:react": own(get=False),
    "peersupport:report": own(),
    "peersupport:messages": own(),
    # Moderation
    "peersupport:moderation": row(PEERS),
    "peersupport:moderation_log": row(PEERS | ADMIN),
    "peersupport:moderation_post": moderator(),
    "peersupport:moderation_approve": moderator(get=False),
    "peersupport:moderation_reject": moderator(get=False),
    "peersupport:moderation_edit": moderator(),
    "peersupport:moderation_remove": moderator(get=False),
    "peersupport:moderation_lock": moderator(get=False),
    "peersupport:moderation_pin": moderator(get=False),
    "peersupport:moderation_post_worried": moderator(),
    "peersupport:moderation_report_close": moderator(get=False),
    "peersupport:moderation_group": moderator(),
    "peersupport:moderation_staff_post": moderator(),
    "peersupport:moderation_member": moderator(),
    "peersupport:moderation_mute": moderator(get=False),
    "peersupport:moderation_unmute": moderator(get=False),
    "peersupport:moderation_member_remove": moderator(get=False),
    # Revealing who is behind a pseudonym: the group's moderator and admins, audited.
    # (GET asks for the reason; the name is shown, and audited, only after it is given.)
    "peersupport:moderation_reveal": moderator(also=("admin",)),
    "peersupport:moderation_member_worried": moderator(),
    "peersupport:inbox": row(PEERS),
    "peersupport:inbox_conversation": moderator(audit=True),
    "peersupport:overdue_messages": row(ADMIN),
    # Onboarding (A and B have finished theirs; each sees their own)
    **{
        f"onboarding:{name}": own()
        for name in [
            "start",
            "welcome",
            "privacy_step",
            "consent",
            "about_you",
            "safety_plan",
            "quit_plan",
            "tour",
            "tour_watch",
            "tour_stop",
            "tour_try",
            "groups",
            "groups_name",
            "groups_join",
            "consents",
            "consent_withdraw",
            "consent_again",
        ]
    },
    "onboarding:skip": own(get=False),
    "onboarding:staff_overview": care_team(),
    "onboarding:staff_reminder": care_team(get=False),
    "onboarding:assist_start": care_team(get=False),
    "onboarding:assist_end": care_team(get=False),
    "onboarding:assist_step": care_team(),
    # Trials
    "trials:trial_list": row(TRIAL_TEAM),
    "trials:trial_create": row(TRIAL_TEAM),
    "trials:trial_detail": row(TRIAL_TEAM),
    "trials:trial_edit": row(TRIAL_TEAM),
    "trials:arm_create": row(TRIAL_TEAM),
    "trials:arm_edit": row(TRIAL_TEAM),
    "trials:arm_delete": row(TRIAL_TEAM, get=False),
    "trials:point_create": row(TRIAL_TEAM),
    "trials:point_edit": row(TRIAL_TEAM),
    "trials:point_delete": row(TRIAL_TEAM, get=False),
    "trials:recruitment_open": row(TRIAL_TEAM),
    "trials:recruitment_close": row(TRIAL_TEAM),
    "trials:trial_close": row(TRIAL_TEAM),
    "trials:study": own(),
    "trials:consent": own(),
    "trials:screening": row(CLINICIANS | ADMIN),
    "trials:enrol": care_team(clinician_only=True),
    "trials:participation_list": row(TRIAL_TEAM),
    # The withdrawal form names the participant by study ID only: no record is read until saved.
    "trials:participant_withdraw": row(TRIAL_TEAM),
    "trials:allocation_note": row(TRIAL_TEAM, audit=True),
    "trials:followup_answer": row({"patient_a"}, {"patient_b"}),
    "trials:followup_thanks": row({"patient_a"}, {"patient_b"}),
    "trials:followup_record": row({"clinician_a", "admin"}, {"clinician_other"}, audit=True),
    "trials:adverse_event_record": care_team(clinician_only=True),
    "trials:adverse_event_list": row(TRIAL_TEAM),
    "trials:adverse_event_detail": row(TRIAL_TEAM, audit=True),
    "trials:dashboard": row(TRIAL_TEAM),
    "trials:consort_svg": row(TRIAL_TEAM),
    "trials:exports": row(TRIAL_TEAM),
    # Records (subject-access export): admins only; to anyone else the page does not exist.
    # Anybody asks for a copy of their own data (POST only, from their account page).
    "records:subject_access_ask": row(SIGNED_IN - {"admin_nomfa"}, get=False),
    "records:subject_access": row(
        ADMIN, PATIENTS | PEERS | CLINICIANS, audit=True, leaks_ok=frozenset()
    ),
    # API
    "api:me": row(SIGNED_IN - {"admin_nomfa"}),
    "api:patient_list": row(CARE_TEAM_A | OTHER_CARE_TEAM),
    "api:patient_detail": care_team(),
    "api:invitation_list": row(CLINICIANS | ADMIN),
    "api:invitation_revoke": row({"clinician_a", "admin"}, {"clinician_other"}, get=False),
    "api:notification_list": row(SIGNED_IN - {"admin_nomfa"}),
    "api:notification_read": row(
        {"patient_a"}, SIGNED_IN - {"patient_a", "admin_nomfa"}, get=False
    ),
    "api:flag_list": row(CLINICIANS),
    "api:flag_detail": care_team(clinician_only=True),
    "api:flag_acknowledge": care_team(clinician_only=True, get=False),
    "api:flag_note": care_team(clinician_only=True, get=False),
    "api:flag_resolve": care_team(clinician_only=True, get=False),
    "api:flag_hand_over": care_team(clinician_only=True, get=False),
    "api:safety_plan": own(),
    "api:quit_plan": own(),
    "api:checkin_list": own(),
    "api:craving_list": own(),
    "api:progress": own(),
    "api:patient_checkin_list": care_team(clinician_only=True),
    "api:patient_progress": care_team(clinician_only=True),
    "api:patient_co_reading_list": care_team(clinician_only=True),
    "api:onboarding": own(),
    "api:onboarding_consents": own(),
    "api:onboarding_consent_withdraw": own(get=False),
    "api:patient_onboarding": care_team(),
    "api:peer_member": own(),
    "api:peer_guidelines_accept": own(get=False),
    "api:peer_group_list": own(),
    "api:peer_group": own(),
    "api:peer_group_join": own(get=False),
    "api:peer_group_leave": own(get=False),
    "api:peer_thread_list": own(),
    "api:peer_thread_detail": own(),
    "api:peer_reply_create": own(get=False),
    "api:peer_reaction_create": own(get=False),
    "api:peer_reaction_delete": own(get=False),
    "api:peer_report_create": own(get=False),
    "api:peer_my_posts": own(),
    "api:peer_messages": own(),
    "api:moderation_queue": row(PEERS),
    "api:moderation_post": moderator(),
    **{
        f"api:moderation_{name}": moderator(get=False)
        for name in [
            "post_approve",
            "post_reject",
            "post_edit",
            "post_remove",
            "post_lock",
            "post_pin",
            "post_worried",
            "member_mute",
            "member_unmute",
            "member_remove",
            "member_worried",
            "report_close",
            "conversation_reply",
        ]
    },
    "api:moderation_group_members": moderator(),
    "api:moderation_log": row(PEERS | ADMIN),
    "api:moderation_message_templates": row(PEERS),
    "api:moderation_conversation_list": row(PEERS),
    "api:moderation_conversation_detail": moderator(audit=True),
    "api:study": own(),
    "api:study_enrol": care_team(clinician_only=True, get=False),
    "api:study_followup_list": own(),
    "api:study_followup_answer": row({"patient_a"}, {"patient_b"}, get=False),
    "api:patient_fhir_bundle": care_team(clinician_only=True),
}

# Keywords in a route that point at one patient's record: a staff GET of such a page must be
# audited (or its row must say why not, with audit=False and a reason in the exemptions below).
RECORD_KEYWORDS = {"patient_id", "user_id", "flag_id", "participant_id", "event_id"}
NOT_A_RECORD_READ = {
    # The withdrawal form names the participant by study ID only; recording it is audited.
    "trials:participant_withdraw",
}


def _refusal(role: str, entry: Row, api: bool) -> str:
    special = dict(entry.special)
    if role in special and special[role] != "ok":
        return special[role]
    if role in entry.hidden:
        return "hidden"
    if role == "anon":
        return "login"
    if role == "admin_nomfa" and not entry.public:
        return "mfa"
    return "forbidden"


def _expected_get(role: str, entry: Row, api: bool) -> str:
    special = dict(entry.special)
    if role in special:
        return special[role]
    if role in entry.ok:
        return "ok" if entry.get else "method"
    return _refusal(role, entry, api)


# The Django admin: admins with a second factor only. Everyone else is sent to the admin's login
# page (staff without MFA to TOTP set-up first); for the admin, read-only models answer 403 to
# add and delete, and an object that does not exist redirects to the index.
ADMIN_SITE_OK = {"ok", "forbidden", "hidden", "method"}
# Its own login and logout pages: open to anyone (a logged-in non-admin is told they lack access).
# (The admin's login hands anonymous visitors to allauth's, which asks for the second factor.)
ADMIN_SITE_OPEN = {"admin:login": {"ok", "login", "forbidden"}, "admin:logout": {"ok", "method"}}


def _is_admin_site(name: str) -> bool:
    return name == "admin" or name.startswith("admin:")


def _expected_admin_site(role: str, name: str) -> set[str]:
    if role == "admin_nomfa":
        return {"mfa"}
    if name == "admin:login":
        return {"anon": {"login"}, "admin": {"ok"}}.get(role, {"forbidden"})
    if name in ADMIN_SITE_OPEN:
        return ADMIN_SITE_OPEN[name]
    if role == "admin":
        return ADMIN_SITE_OK
    if role == "admin_nomfa":
        return {"mfa"}
    return {"login"}


# --- Coverage: every pattern and every API operation is in the table ---------------------------


def _schema_operations() -> list[tuple[str, str]]:
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    return [
        (path, method)
        for path, item in schema["paths"].items()
        for method in item
        if method in METHODS
    ]


def _schema_name(path: str) -> str:
    from django.urls import resolve

    sample = re.sub(
        r"\{(\w+)\}", lambda m: "abc" if m.group(1) in {"slug", "kind", "key"} else "1", path
    )
    return resolve(sample).view_name


def test_every_url_pattern_is_in_the_matrix():
    missing = [
        f"{name or '(unnamed)'}  {route}"
        for name, route, _entry in _patterns()
        if not route.startswith("admin/") and (not name or name not in MATRIX)
    ]
    assert not missing, "Add these URL patterns to MATRIX:\n" + "\n".join(missing)
    stale = sorted(set(MATRIX) - set(_names()))
    assert not stale, f"MATRIX rows for URL patterns that no longer exist: {stale}"


def test_every_url_pattern_is_reachable():
    """Each pattern, reversed with the world's kind of values, resolves back to itself: no
    earlier pattern shadows it (welcome/tour/<stop>/ once swallowed the tour's "later")."""
    from django.urls import resolve

    values = {
        "patient_id": 1,
        "user_id": 1,
        "day": date(2026, 1, 2),
        "version": 1,
        "key": "k",
        "uidb36": "zz",
        "stop": "checkin",
        "step": "tour",
    }
    shadowed = []
    for name, route, _entry in _patterns():
        if not name or _is_admin_site(name):
            continue
        wanted = _route_keywords(route)
        kwargs = {key: values.get(key, 1 if key.endswith("_id") else "abc") for key in wanted}
        url = reverse(name, kwargs=kwargs)
        if resolve(url).view_name != name:
            shadowed.append(f"{name}: {url} → {resolve(url).view_name}")
    assert not shadowed, "\n".join(shadowed)


def test_every_staff_page_of_a_record_is_audited_in_the_matrix():
    """A staff page (GET) whose route names a patient, flag, participant or adverse event must
    have audit=True, so the matrix checks that reading it writes an audit row; or be listed in
    NOT_A_RECORD_READ with the reason it shows no record."""
    unaudited = [
        name
        for name, route, _entry in _patterns()
        if name in MATRIX
        and MATRIX[name].get
        and MATRIX[name].ok & STAFF
        and _route_keywords(route) & RECORD_KEYWORDS
        and not MATRIX[name].audit
        and name not in NOT_A_RECORD_READ
    ]
    assert not unaudited, f"Say audit=True (or why not) for: {unaudited}"


def test_every_api_operation_is_in_the_matrix():
    missing = []
    for path, method in _schema_operations():
        name = _schema_name(path)
        if name not in MATRIX:
            missing.append(f"{method.upper()} {path} ({name})")
    assert not missing, "Add these API operations to MATRIX:\n" + "\n".join(missing)


# --- The matrix ---------------------------------------------------------------------------------

WRITE = re.compile(r'^\s*(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)"?', re.IGNORECASE)
MAY_WRITE_WHEN_REFUSED = {"django_session", "core_auditevent"}
# Who must never see patient A's real name or email in any response (peers see first names and
# pseudonyms; another clinician, B, anonymous visitors and staff without MFA see nothing of her).
MUST_NOT_SEE_A = {"anon", "patient_b", "peer_a", "peer_other", "clinician_other", "admin_nomfa"}


def _writes(queries) -> set[str]:
    tables = set()
    for sql in queries:
        match = WRITE.match(sql)
        if match:
            tables.add(match.group(2))
    return tables


def _audited(queries) -> bool:
    return "core_auditevent" in _writes(queries)


def _admin_site_methods(name: str, role: str) -> tuple[str, ...]:
    """The admin sees every admin page. The admin site refuses everybody else in one place
    (AdminSite.admin_view), so they are sent to its index, each model's list (GET) and each
    model's change page (GET and POST): one of each kind of page, and every model."""
    if role == "admin":
        return ("get",)
    if name.endswith("_change"):
        return ("get", "post")
    if name == "admin:index" or name.endswith("_changelist") or name in ADMIN_SITE_OPEN:
        return ("get",)
    return ()


def _methods(name, entry: Row, role: str, api: bool, api_methods) -> tuple[str, ...]:
    """GET and POST for everybody everywhere. On the API also PUT, PATCH and DELETE: for every
    role where the schema documents them, else for those allowed (who must get 405: nothing
    undocumented answers) and anonymous visitors (refused before the method is looked at)."""
    if not api:
        return ("get", "post")
    documented = api_methods.get(name, set())
    if role in entry.ok or role == "anon":
        return METHODS
    return tuple(m for m in METHODS if m in ("get", "post") or m in documented)


def test_permission_matrix(world, no_throttle):
    clients = _clients(world)
    api_methods: dict[str, set[str]] = {}
    for path, method in _schema_operations():
        api_methods.setdefault(_schema_name(path), set()).add(method)
    problems: list[tuple[str, str, str, str, str]] = []
    requests = 0
    seen_by = set()  # who saw A's real name: the check below must be able to fail
    started = (time.process_time(), time.perf_counter())

    def problem(url, method, role, expected, got):
        problems.append((url, method.upper(), role, expected, got))

    for name, route, _entry in _patterns():
        if not name:
            continue
        url = _url(world, name, route)
        if _is_admin_site(name):
            for role in ROLES:
                for method in _admin_site_methods(name, role):
                    response, queries = _call(clients[role], method, url)
                    requests += 1
                    got = _outcome(response)
                    expected = _expected_admin_site(role, name)
                    if got not in expected:
                        problem(url, method, role, "/".join(sorted(expected)), got)
                    if role != "admin" and _writes(queries) - MAY_WRITE_WHEN_REFUSED:
                        problem(url, method, role, "no write", str(_writes(queries)))
            continue
        entry = MATRIX[name]
        api = route.startswith("api/v1/")
        for role in ROLES:
            for method in _methods(name, entry, role, api, api_methods):
                response, queries = _call(clients[role], method, url)
                requests += 1
                got = _outcome(response)
                if got.startswith("ERROR"):
                    problem(url, method, role, "no 5xx", got)
                    continue
                permitted = role in entry.ok
                if method == "get":
                    expected = _expected_get(role, entry, api)
                    if got != expected and not (
                        not entry.get and not permitted and got == "method"
                    ):
                        problem(url, method, role, expected, got)
                    if (
                        permitted
                        and got == "ok"
                        and role in STAFF
                        and entry.audit
                        and not _audited(queries)
                    ):
                        problem(url, method, role, "audit row", "none")
                elif permitted:
                    if got in ("login", "mfa") and not entry.logs_out:
                        problem(url, method, role, "allowed", got)
                    if api and method not in api_methods.get(name, ()) and got != "method":
                        problem(url, method, role, "405 (not in the schema)", got)
                else:
                    refused = {_refusal(role, entry, api), "method"}
                    if got not in refused:
                        problem(url, method, role, "/".join(sorted(refused)), got)
                    written = _writes(queries) - MAY_WRITE_WHEN_REFUSED
                    if written:
                        problem(url, method, role, "no write", ",".join(sorted(written)))
                body = response.content.decode(errors="replace")
                if A_NAME in body:
                    seen_by.add(role)
                if role in MUST_NOT_SEE_A and role not in entry.leaks_ok:
                    for secret in (A_NAME, A_EMAIL):
                        if secret in body:
                            problem(url, method, role, "no A's name/email", f"shows {secret!r}")
    cpu, wall = time.process_time() - started[0], time.perf_counter() - started[1]
    print(f"permission matrix: {requests} requests, {cpu:.0f} s CPU, {wall:.0f} s wall")
    # Her own pages, her clinician's and the admin's show her name: the leak check has teeth.
    assert {"patient_a", "clinician_a", "admin"} <= seen_by
    if os.environ.get("MATRIX_DUMP"):
        with open(os.environ["MATRIX_DUMP"], "w") as out:
            out.write("\n".join("\t".join(p) for p in problems))
    table = "\n".join(
        f"{url:60} {method:6} {role:16} expected {expected:22} got {got}"
        for url, method, role, expected, got in problems
    )
    assert not problems, f"{len(problems)} unexpected outcomes of {requests}:\n{table}"
