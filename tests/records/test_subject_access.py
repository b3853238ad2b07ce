"""Subject access (UK GDPR Article 15): an admin with a second factor produces one person's data
from every app, audited before the first byte; nobody else can; other people stay unnamed."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import CommandError, call_command
from django.urls import reverse

from accounts.selectors import patient_get_for_staff
from core.models import AuditEvent
from core.services import notification_send
from peersupport import services as peer_services
from peersupport.models import Post, Reaction
from records.services.subject_access import (
    COVERED,
    EXCLUDED,
    EXPORTED,
    SECTIONS,
    subject_access_build,
    subject_access_record,
)
from records.views import OPENED
from safety.models import FlagEvent, SafetyPlan
from tests.cessation.factories import CheckInFactory
from tests.factories import AdminFactory, ClinicianFactory, PeerFactory
from tests.peersupport.helpers import a_group, a_patient, member_of
from tests.safety.factories import raise_flag
from tests.trials.helpers import a_recruiting_trial
from tests.trials.participation_helpers import a_randomised_patient

pytestmark = pytest.mark.django_db

OTHER_NAME = "Bertram Zebedee"
OTHER_EMAIL = "bertram.zebedee@example.org"


def _models_linked_to_accounts() -> set[str]:
    user = apps.get_model(settings.AUTH_USER_MODEL)
    found = set()
    for model in apps.get_models():
        fields = [*model._meta.concrete_fields, *model._meta.local_many_to_many]
        if model is user or any(f.is_relation and f.related_model is user for f in fields):
            found.add(model._meta.label)
    return found


def test_every_model_linked_to_an_account_is_exported_or_excluded_with_a_reason():
    linked = _models_linked_to_accounts()
    forgotten = linked - set(COVERED) - set(EXCLUDED)
    assert not forgotten, f"add these to records/services/subject_access.py: {sorted(forgotten)}"
    assert not set(COVERED) & set(EXCLUDED)
    assert all(reason.strip() for reason in EXCLUDED.values())
    stale = (set(COVERED) | set(EXCLUDED)) - {m._meta.label for m in apps.get_models()}
    assert not stale


def _unzip(data: bytes) -> dict[str, str]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name).decode() for name in archive.namelist()}


@pytest.fixture
def world():
    """Alice: in the study (programme arm or not), checks in, has a safety plan, a flag with a
    clinician's note, posts in a group with Bertram, messages her peer specialist. Bertram is
    another patient whose name, email and words must not reach Alice's copy."""
    trial = a_recruiting_trial()
    clinician = ClinicianFactory(password=None, mfa=False, full_name="Dr Clara Carer")
    peer = PeerFactory(password=None, mfa=False, full_name="Pat Peerson")
    alice, participant = a_randomised_patient(
        trial, clinician=clinician, full_name="Alice Example", peer=peer
    )
    bertram = a_patient(full_name=OTHER_NAME, email=OTHER_EMAIL)
    group = a_group(moderators=[peer])
    member_of(group, patient=alice, pseudonym="Heron Seven")
    member_of(group, patient=bertram, pseudonym="Otter Nine")
    theirs = peer_services.post_create(author=bertram, group=group, body="BERTRAM-SECRET-POST").post
    mine = peer_services.post_create(
        author=alice, group=group, body="ALICE-CANARY-REPLY", parent=theirs
    ).post
    Reaction.objects.create(post=mine, member=bertram, kind="heart")
    peer_services.report_create(
        reporter=bertram, post=mine, reason="other", note="BERTRAM-REPORT-NOTE"
    )
    CheckInFactory(patient=alice, note="ALICE-CANARY-NOTE")
    SafetyPlan.objects.create(patient=alice, warning_signs="ALICE-CANARY-PLAN", updated_by=alice)
    flag = raise_flag(alice, summary="Possible crisis language in a check-in")
    FlagEvent.objects.create(
        flag=flag, kind=FlagEvent.Kind.NOTE, actor=clinician, note="CLINICIAN-CANARY-NOTE"
    )
    peer_services.message_send(sender=alice, body="ALICE-CANARY-MESSAGE")
    notification_send(recipient=alice, kind="test", title="Hello", body="ALICE-CANARY-NOTICE")
    patient_get_for_staff(user=clinician, patient_id=alice.pk, purpose="record")
    admin = AdminFactory(password=None, full_name="Ada Admin")
    return {
        "alice": alice,
        "bertram": bertram,
        "clinician": clinician,
        "admin": admin,
        "participant": participant,
    }


def test_the_copy_holds_every_section_decrypted_and_nothing_of_anyone_else(world):
    alice, admin = world["alice"], world["admin"]
    subject_access_record(person=alice, by=admin, purpose="subject_request")
    files = _unzip(subject_access_build(person=alice).read())

    assert set(files) == {f"{s.name}.json" for s in SECTIONS} | {"README.txt"}
    data = {name[:-5]: json.loads(text) for name, text in files.items() if name.endswith(".json")}
    everything = "\n".join(files.values())

    # Her own words, decrypted, where they belong.
    assert data["account"][0]["email"] == alice.email
    assert "password" not in data["account"][0]
    assert data["check_ins"][0]["note"] == "ALICE-CANARY-NOTE"
    assert data["safety_plan"][0]["warning_signs"] == "ALICE-CANARY-PLAN"
    assert [p["body"] for p in data["posts"] if p["parent_id"]] == ["ALICE-CANARY-REPLY"]
    assert any(m["body"] == "ALICE-CANARY-MESSAGE" for m in data["messages"])
    assert any(n["body"] == "ALICE-CANARY-NOTICE" for n in data["notifications"])
    assert any(e["note"] == "CLINICIAN-CANARY-NOTE" for e in data["flag_notes"])
    assert data["flags"][0]["patient"] == "you"
    assert data["group_name"][0]["pseudonym"] == "Heron Seven"
    assert {c["kind"] for c in data["consents"]} == {"programme", "trial"}
    assert all(c["words_agreed_to"]["body"] for c in data["consents"])
    assert data["study_participation"][0]["study_id"] == world["participant"].study_id
    assert len(data["study_group"]) == 1
    assert data["about_you"][0]["per_day"] == 25
    # The secrets that keep accounts safe are not in it.
    assert all("data" not in row for row in data["second_factors"])
    assert alice.password not in everything

    # Who opened her record, by name (staff), and this export itself, written before it.
    about = data["audit_about_you"]
    assert {"action": "patient.viewed", "actor": "Dr Clara Carer (Clinician)"}.items() <= next(
        row for row in about if row["action"] == "patient.viewed"
    ).items()
    assert any(
        row["action"] == EXPORTED and row["actor"] == "Ada Admin (Admin (trial manager))"
        for row in about
    )
    assert all("ip_address" not in row for row in about)

    # Bertram: his group name where he acted on her things, never his name, email or words.
    assert data["reactions"] == []  # his reaction is his, not hers
    for secret in (OTHER_NAME, OTHER_EMAIL, "BERTRAM-SECRET-POST", "BERTRAM-REPORT-NOTE"):
        assert secret not in everything
    assert str(world["bertram"].pk) not in {str(r.get("patient")) for r in data["flags"]}

    readme = files["README.txt"]
    assert "Article 15" in readme
    assert "20 years" in readme
    assert "check_ins.json (1)" in readme


def test_another_patients_copy_holds_none_of_alices_words(world):
    bertram = world["bertram"]
    subject_access_record(person=bertram, by=world["admin"], purpose="subject_request")
    everything = "\n".join(_unzip(subject_access_build(person=bertram).read()).values())
    assert "BERTRAM-SECRET-POST" in everything
    assert "BERTRAM-REPORT-NOTE" in everything
    for secret in ("Alice Example", world["alice"].email, "ALICE-CANARY"):
        assert secret not in everything


def test_only_an_admin_records_an_export_and_only_for_a_listed_purpose(world):
    from django.core.exceptions import PermissionDenied, ValidationError

    with pytest.raises(PermissionDenied):
        subject_access_record(person=world["alice"], by=world["clinician"], purpose="legal_duty")
    with pytest.raises(ValidationError):
        subject_access_record(person=world["alice"], by=world["admin"], purpose="curiosity")
    assert not AuditEvent.objects.filter(action=EXPORTED).exists()


# --- The page -----------------------------------------------------------------------------------


@pytest.fixture
def people(db):
    alice = a_patient(full_name="Alice Example")
    CheckInFactory(patient=alice, note="ALICE-CANARY-NOTE")
    return {"alice": alice, "url": reverse("records:subject_access", args=[alice.pk])}


def _login_admin(client, *, mfa: bool = True):
    admin = AdminFactory(password=None, mfa=mfa)
    client.force_login(admin)
    return admin


@pytest.mark.parametrize("role", ["patient_self", "other_patient", "clinician", "peer"])
def test_anyone_but_an_admin_gets_404_and_nothing_is_audited(client, people, role):
    alice = people["alice"]
    user = {
        "patient_self": lambda: alice,
        "other_patient": lambda: a_patient(),
        "clinician": lambda: ClinicianFactory(password=None),  # with a second factor
        "peer": lambda: PeerFactory(password=None),
    }[role]()
    client.force_login(user)
    assert client.get(people["url"]).status_code == HTTPStatus.NOT_FOUND
    response = client.post(people["url"], {"purpose": "subject_request"})
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert not AuditEvent.objects.filter(action__in=[EXPORTED, OPENED]).exists()


def test_anonymous_is_sent_to_log_in(client, people):
    response = client.get(people["url"])
    assert response.status_code == HTTPStatus.FOUND
    assert reverse("account_login") in response["Location"]


def test_an_admin_without_a_second_factor_reaches_nothing(client, people):
    _login_admin(client, mfa=False)
    response = client.post(people["url"], {"purpose": "subject_request"})
    assert response.status_code != HTTPStatus.OK
    assert not AuditEvent.objects.filter(action=EXPORTED).exists()


def test_an_admin_downloads_the_copy_audited_before_the_first_byte(client, people):
    admin = _login_admin(client)
    alice = people["alice"]
    page = client.get(people["url"])
    assert page.status_code == HTTPStatus.OK
    assert "no-store" in page["Cache-Control"]
    assert AuditEvent.objects.filter(action=OPENED, actor=admin, subject=alice).count() == 1

    missing = client.post(people["url"], {})
    assert missing.status_code == HTTPStatus.BAD_REQUEST
    assert not AuditEvent.objects.filter(action=EXPORTED).exists()
    # The summary links to the first choice; the message stands by the choices too.
    html = missing.content.decode()
    assert html.count("Choose why you are producing the copy.") == 2
    assert 'href="#id_purpose_0"' in html
    assert 'aria-describedby="id_purpose_helptext id_purpose_error"' in html

    response = client.post(people["url"], {"purpose": "subject_request"})
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"] == "application/zip"
    assert "no-store" in response["Cache-Control"]
    row = AuditEvent.objects.get(action=EXPORTED)
    assert (row.actor_id, row.subject_id, row.detail) == (
        admin.pk,
        alice.pk,
        {"purpose": "subject_request", "via": "page"},
    )
    files = _unzip(b"".join(response.streaming_content))
    assert "ALICE-CANARY-NOTE" in files["check_ins.json"]
    exported = json.loads(files["audit_about_you.json"])
    assert any(r["action"] == EXPORTED and r["id"] == row.pk for r in exported)


def test_a_missing_person_is_404_for_an_admin(client, people):
    _login_admin(client)
    url = reverse("records:subject_access", args=[people["alice"].pk + 1000])
    assert client.get(url).status_code == HTTPStatus.NOT_FOUND


# --- The command --------------------------------------------------------------------------------


def test_the_command_writes_the_zip_audited_as_the_named_admin(tmp_path, people):
    admin = AdminFactory(password=None, mfa=False)
    out = tmp_path / "sar.zip"
    stdout = io.StringIO()
    call_command(
        "subject_access_export",
        "--user",
        str(people["alice"].pk),
        "--out",
        str(out),
        "--by",
        admin.email,
        stdout=stdout,
    )
    assert "ALICE-CANARY-NOTE" in _unzip(out.read_bytes())["check_ins.json"]
    assert oct(out.stat().st_mode & 0o777) == "0o600"
    assert "Alice" not in stdout.getvalue()
    assert AuditEvent.objects.get(action=EXPORTED).detail == {
        "purpose": "subject_request",
        "via": "command",
    }


def test_the_command_refuses_anyone_but_an_admin_and_writes_nothing(tmp_path, people):
    clinician = people["alice"].patient_profile.clinician
    out = tmp_path / "sar.zip"
    with pytest.raises(CommandError):
        call_command(
            "subject_access_export",
            "--user",
            str(people["alice"].pk),
            "--out",
            str(out),
            "--by",
            clinician.email,
        )
    assert not out.exists()
    assert not AuditEvent.objects.filter(action=EXPORTED).exists()


def test_a_reply_to_her_post_is_not_hers(world):
    """Replies by others to her posts stay out: they are the other member's words."""
    alice = world["alice"]
    group = Post.objects.filter(author=alice).first().group
    mine = peer_services.post_create(author=alice, group=group, body="Alice's thread").post
    peer_services.post_create(
        author=world["bertram"], group=group, body="BERTRAM-REPLY-TO-ALICE", parent=mine
    )
    everything = "\n".join(_unzip(subject_access_build(person=alice).read()).values())
    assert "BERTRAM-REPLY-TO-ALICE" not in everything


def test_a_staff_members_copy_names_no_patient_and_holds_none_of_their_words(world):
    clinician = world["clinician"]
    subject_access_record(person=clinician, by=world["admin"], purpose="subject_request")
    files = _unzip(subject_access_build(person=clinician).read())
    everything = "\n".join(files.values())
    for secret in ("Alice Example", world["alice"].email, "ALICE-CANARY", OTHER_NAME):
        assert secret not in everything
    data = json.loads(files["audit_by_you.json"])
    viewed = next(row for row in data if row["action"] == "patient.viewed")
    assert viewed["subject"] == "a group member called Heron Seven"
    notices = json.loads(files["notifications.json"])
    assert notices  # the flag's notice reached them
    assert all("body" not in notice for notice in notices)
    assert json.loads(files["flag_notes.json"]) == []  # notes belong to the patient's record


def test_a_large_copy_moves_from_memory_to_disk(people, monkeypatch):
    """Bounded memory: past SPOOL_BYTES the ZIP being built is a file on disk."""
    import secrets

    from cessation.models import CheckIn
    from records.services import subject_access

    alice = people["alice"]
    day = CheckIn.objects.get(patient=alice).day
    CheckIn.objects.bulk_create(
        CheckInFactory.build(
            patient=alice, day=day - timedelta(days=n + 1), note=secrets.token_hex(100)
        )
        for n in range(300)
    )
    monkeypatch.setattr(subject_access, "SPOOL_BYTES", 16 * 1024)
    spool = subject_access_build(person=alice)
    assert spool._rolled
    with zipfile.ZipFile(spool) as archive:
        assert len(json.loads(archive.read("check_ins.json"))) == 301


# --- Asking for a copy --------------------------------------------------------------------------


def test_a_patient_asks_once_from_their_account_page_and_the_admins_answer(client, people):
    from core.models import Notification
    from records.services.subject_access import REQUESTED

    alice = people["alice"]
    admin = AdminFactory(password=None)
    client.force_login(alice)
    page = client.get(reverse("accounts:account"))
    assert "Ask for a copy of my data" in page.content.decode()

    ask = reverse("records:subject_access_ask")
    assert client.get(ask).status_code == HTTPStatus.METHOD_NOT_ALLOWED
    response = client.post(ask)
    assert response.status_code == HTTPStatus.FOUND
    assert client.post(ask).status_code == HTTPStatus.FOUND  # asking again changes nothing
    row = AuditEvent.objects.get(action=REQUESTED)
    assert (row.actor_id, row.subject_id) == (alice.pk, alice.pk)
    notice = Notification.objects.get(kind=REQUESTED)
    assert notice.recipient == admin
    assert notice.url == people["url"]
    assert "Alice" not in notice.title + notice.body
    assert "You asked for a copy on" in client.get(reverse("accounts:account")).content.decode()

    client.force_login(admin)
    home = client.get(reverse("accounts:admin_home")).content.decode()
    assert people["url"] in home
    client.post(people["url"], {"purpose": "subject_request"})
    home = client.get(reverse("accounts:admin_home")).content.decode()
    assert people["url"] not in home
    assert "No requests are waiting." in home


def test_asking_needs_a_login(client):
    response = client.post(reverse("records:subject_access_ask"))
    assert response.status_code == HTTPStatus.FOUND
    assert reverse("account_login") in response["Location"]


def test_the_user_admin_links_to_the_copy(client, people):
    _login_admin(client)
    alice = people["alice"]
    page = client.get(reverse("admin:accounts_user_change", args=[alice.pk]))
    assert page.status_code == HTTPStatus.OK
    assert people["url"] in page.content.decode()
