"""Encryption at rest, proved with canaries (issue 9).

A canary (a made-up word no real text contains) is written through every encrypted field of every
model by the product's own services. The fields are found from the models (core.fields
.encrypted_fields), so a new encrypted field fails `test_every_encrypted_field_has_a_canary_writer`
until `write_canaries` below writes one through it. Then:

- no table holds a canary in any column, read through a raw cursor;
- no log record, at DEBUG on every logger, carries a canary;
- no message the services put on the broker (Redis, or the file-system broker without it)
  carries a canary: tasks carry ids;
- `rotate_encryption_keys` with a new key moves every encrypted value of every model to it, the
  old key can then be removed, and a wrong key fails loudly (DecryptionError), never as an empty
  or ciphertext value.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from http import HTTPStatus
from io import StringIO
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from accounts.services import invitation_create
from cessation.models import OutreachTask
from cessation.services.clock import patient_today
from cessation.services.monitoring import outreach_close
from cessation.services.quitting import checkin_submit, quit_plan_save
from config.celery import app as celery_app
from core import crypto
from core.fields import encrypted_fields
from core.services import notification_send
from peersupport import services as peer_services
from peersupport.models import Conversation, Membership, Post, Report
from peersupport.services import moderation
from safety.models import Flag
from safety.models import SafetyPlan as SafetyPlanModel
from safety.services.flags import flag_note_add
from safety.services.plans import safety_plan_update
from tests.factories import AdminFactory, ClinicianFactory, PatientFactory, PeerFactory
from tests.peersupport.helpers import a_group, member_of
from tests.trials.helpers import a_recruiting_trial
from tests.trials.participation_helpers import a_randomised_patient
from trials.services.adverse_events import adverse_event_record
from trials.services.participation import allocation_annotate

pytestmark = pytest.mark.django_db

# Every canary starts with this; no real word, token or base64 run of a Fernet token holds it
# (seven given characters: about one chance in 4e12 per position).
PREFIX = "zq7cnry"

# Fields whose value is made by the product, not typed by anybody: there is no canary to write,
# so the value itself is the secret (a key, a token) or, for the sealed arm, the fact of which arm
# a slot holds (arm codes themselves are public). For these the test checks the column holds a
# token that decrypts to the value, and that the key/token appears in no other column.
GENERATED = {
    "accounts.Invitation.token": "the invitation link's secret",
    "trials.Trial.pseudonym_key": "the HMAC key behind trial ids",
    "trials.SequenceSlot.arm_sealed": "the concealed allocation (arm codes are public)",
}


def _label(model, field) -> str:
    return f"{model._meta.label}.{field.name}"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


class Canaries:
    """One canary per encrypted field (some fields share one: a post's email canary is also the
    screening's excerpt and the flag's evidence)."""

    def __init__(self) -> None:
        self.by_field: dict[str, str] = {}
        self._count = 0
        self.patient = None
        self.group = None

    def new(self, *labels: str) -> str:
        self._count += 1
        canary = f"{PREFIX}{self._count:02d}"
        for label in labels:
            self.by_field[label] = canary
        return canary

    def all(self) -> set[str]:
        return set(self.by_field.values())


def write_canaries() -> Canaries:
    """Write a canary through each encrypted field, through the services that write it in the
    product. Add a writer here for a new encrypted field."""
    canaries = Canaries()
    clinician = ClinicianFactory(password=None, mfa=False)
    peer = PeerFactory(password=None, mfa=False)
    admin = AdminFactory(password=None, mfa=False)
    patient = PatientFactory(
        password=None,
        profile=clinician,
        profile__peer_specialist=peer,
        full_name="Robin Example",
    )

    canaries.patient = patient

    # core: an in-app notice.
    notification_send(
        recipient=patient,
        kind="test",
        title="A notice",
        body=canaries.new("core.Notification.body"),
    )

    # accounts: an invitation (its token is generated).
    invitation_create(
        invited_by=clinician,
        email="new.person@example.org",
        full_name="New Person",
        role=Role.PATIENT,
        clinician=clinician,
    )

    # peersupport: posts, a crisis post (screening evidence, then the flag's evidence), a held
    # post rejected with a message, a report, a mute and messages both ways.
    group = canaries.group = a_group(moderators=[peer])
    member_of(group, patient=patient, pseudonym="Walker 7")
    peer_services.post_create(
        author=patient,
        group=group,
        body=f"Walking helps me, {canaries.new('peersupport.Post.body')}",
    )
    evidence = canaries.new("peersupport.Post.screening_evidence", "safety.FlagSignal.evidence")
    peer_services.post_create(
        author=patient,
        group=group,
        body=f"email me at {evidence}@example.org, I want to end it all tonight",
    )
    newcomer = member_of(group, settled=False, pseudonym="Walker 8")
    held = peer_services.post_create(author=newcomer, group=group, body="Hello all").post
    assert held.status == Post.Status.HELD
    moderation.post_reject(
        post=held, by=peer, message=f"Sorry, {canaries.new('peersupport.Post.moderator_message')}"
    )
    published = Post.objects.filter(author=patient, status=Post.Status.PUBLISHED).first()
    peer_services.report_create(
        reporter=newcomer,
        post=published,
        reason=Report.Reason.OTHER,
        note=canaries.new("peersupport.Report.note"),
    )
    moderation.member_mute(
        membership=Membership.objects.get(group=group, member=newcomer),
        by=peer,
        days=moderation.MUTE_DAYS[0],
        reason=canaries.new("peersupport.ModerationAction.reason"),
    )
    message_canary = canaries.new("peersupport.PeerMessage.body")
    peer_services.message_send(sender=patient, body=f"Hi, {message_canary}")
    peer_services.message_reply(
        conversation=Conversation.objects.get(patient=patient),
        by=peer,
        body=f"Hello, {canaries.new('peersupport.PeerMessage.body')}",
    )
    canaries.by_field["peersupport.PeerMessage.body"] = message_canary

    # safety: a clinician's note on the flag the crisis post raised, and the safety plan.
    flag = Flag.objects.get(patient=patient)
    flag_note_add(flag=flag, by=clinician, note=canaries.new("safety.FlagEvent.note"))
    sections = [f.name for f in SafetyPlanModel._meta.concrete_fields if _is_encrypted(f)]
    safety_plan_update(
        patient=patient,
        by=patient,
        sections={name: canaries.new(f"safety.SafetyPlan.{name}") for name in sections},
    )

    # cessation: the quit plan's reasons and triggers, a check-in note, an outreach note.
    quit_plan_save(
        patient=patient,
        by=patient,
        quit_date=patient_today(patient) + timedelta(days=7),
        product="cigarettes",
        per_day=Decimal("20"),
        pack_price=Decimal("15.00"),
        pack_size=20,
        triggers_other=canaries.new("cessation.QuitPlan.triggers_other"),
        reasons=canaries.new("cessation.QuitPlan.reasons"),
    )
    checkin_submit(
        patient=patient,
        day=patient_today(patient),
        cigarettes=3,
        craving=4,
        mood=6,
        sleep="ok",
        harm_thoughts="no",
        note=canaries.new("cessation.CheckIn.note"),
    )
    task = OutreachTask.objects.create(patient=patient, peer=peer, reason="No check-in for 3 days")
    outreach_close(task=task, by=peer, note=canaries.new("cessation.OutreachTask.note"))

    # trials: a recruiting trial (pseudonym key, sealed sequence), a randomised participant, a
    # note on their allocation and an adverse event.
    trial = a_recruiting_trial(manager=admin)
    participant_patient, participant = a_randomised_patient(trial, clinician=clinician)
    allocation_annotate(
        allocation=participant.allocation,
        by=admin,
        text=canaries.new("trials.AllocationNote.text"),
    )
    adverse_event_record(
        patient=participant_patient,
        by=clinician,
        source="readmission",
        occurred_on=timezone.localdate(),
        description=canaries.new("trials.AdverseEvent.description"),
    )
    return canaries


def _is_encrypted(field) -> bool:
    from core.fields import EncryptedTextField

    return isinstance(field, EncryptedTextField)


# --- reading what is really stored ---------------------------------------------------------------


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, memoryview):
        value = value.tobytes()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)


def raw_rows() -> Iterator[tuple[str, str, str]]:
    """(table, column, value as text) for every column of every row of every table, through a
    cursor: what a copy of the database (a backup, a stolen disk) would show."""
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            quoted = connection.ops.quote_name(table)
            cursor.execute(f"SELECT * FROM {quoted}")  # noqa: S608 - names from introspection
            columns = [column[0] for column in cursor.description]
            for row in cursor.fetchall():
                for column, value in zip(columns, row, strict=True):
                    yield table, column, _text(value)


def raw_encrypted_values(model, field) -> dict:
    table = connection.ops.quote_name(model._meta.db_table)
    column = connection.ops.quote_name(field.column)
    pk = connection.ops.quote_name(model._meta.pk.column)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {pk}, {column} FROM {table} WHERE {column} IS NOT NULL"  # noqa: S608
        )
        return dict(cursor.fetchall())


def decrypted_values(model, field) -> dict:
    return dict(
        model._default_manager.filter(**{f"{field.name}__isnull": False}).values_list(
            "pk", field.name
        )
    )


def leaks(texts: Iterator[tuple[str, str]], canaries: set[str]) -> list[str]:
    found = []
    for where, text in texts:
        lowered = text.lower()
        if PREFIX in lowered:
            hits = sorted(c for c in canaries if c in lowered) or [PREFIX]
            found.append(f"{where}: {', '.join(hits)}")
    return found


# --- the canaries are written, and nowhere in clear -----------------------------------------------


def test_every_encrypted_field_has_a_canary_writer():
    """Each encrypted field of each model holds its canary (or, for a generated value, a value),
    read back through the ORM: proof the writer above really went through that field."""
    canaries = write_canaries()
    missing = []
    for model, field in encrypted_fields():
        label = _label(model, field)
        values = decrypted_values(model, field).values()
        if label in GENERATED:
            if not any(values):
                missing.append(f"{label} (generated: nothing was written)")
            continue
        canary = canaries.by_field.get(label)
        if canary is None or not any(canary in (value or "") for value in values):
            missing.append(label)
    assert not missing, (
        "encrypted fields with no canary written through them (add a writer to write_canaries): "
        + ", ".join(missing)
    )
    # and the registry names no field that is not (or no longer) encrypted
    fields = {_label(model, field) for model, field in encrypted_fields()}
    assert set(canaries.by_field) | set(GENERATED) <= fields


def test_no_canary_or_generated_secret_in_any_raw_row_of_any_table():
    canaries = write_canaries()
    secrets = set()
    for model, field in encrypted_fields():
        label = _label(model, field)
        raw = raw_encrypted_values(model, field)
        plain = decrypted_values(model, field)
        assert raw, f"{label}: no rows (the canary writer wrote none)"
        for pk, token in raw.items():
            # a token under the configured key, that decrypts to what the ORM reads
            assert crypto.decrypt(token) == plain[pk]
            assert not plain[pk] or plain[pk] not in token, f"{label} row {pk}"
            if label in GENERATED and label != "trials.SequenceSlot.arm_sealed":
                secrets.add(plain[pk])
    assert secrets

    rows = list(raw_rows())
    found = leaks(((f"{table}.{column}", value) for table, column, value in rows), canaries.all())
    found += [
        f"{table}.{column}: a generated secret"
        for table, column, value in rows
        for secret in secrets
        if secret in value
    ]
    assert not found, "stored in clear: " + "; ".join(found)


def test_the_raw_scan_finds_a_canary_stored_in_clear():
    """The control: the scan above can fail. A canary put in a plain column is found."""
    patient = PatientFactory(password=None, full_name=f"Robin {PREFIX}99")

    found = leaks(
        ((f"{table}.{column}", value) for table, column, value in raw_rows()), {f"{PREFIX}99"}
    )

    assert found == [f"accounts_user.full_name: {PREFIX}99"], found
    assert patient.pk


# --- logs ---------------------------------------------------------------------------------------


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.texts: list[tuple[str, str]] = []
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        text = self.format(record)
        extra = {k: v for k, v in record.__dict__.items() if k not in _STANDARD_ATTRS}
        self.texts.append((record.name, f"{text} {record.args!r} {extra!r}"))


_STANDARD_ATTRS = set(vars(logging.LogRecord("n", 0, "p", 0, "m", None, None))) | {"message"}


@pytest.fixture
def every_log_record(caplog):
    """Every record any logger emits, at DEBUG: the root logger and every named logger is
    lowered to DEBUG for the test and a handler collects from each that does not propagate."""
    handler = _Collect()
    root = logging.getLogger()
    loggers = [root] + [
        logger
        for logger in logging.root.manager.loggerDict.values()
        if isinstance(logger, logging.Logger)
    ]
    saved = [(logger, logger.level, logger.disabled) for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
        logger.disabled = False
        if logger is root or not logger.propagate:
            logger.addHandler(handler)
    caplog.set_level(logging.DEBUG)
    try:
        yield handler
    finally:
        for logger, level, disabled in saved:
            logger.setLevel(level)
            logger.disabled = disabled
            logger.removeHandler(handler)


def test_no_canary_in_any_log_record(
    every_log_record, caplog, client, django_capture_on_commit_callbacks
):
    """Over the writes, a key rotation, and the patient reading their pages back."""
    logging.getLogger("exhale.security.control").debug("control %s", f"{PREFIX}00")
    with django_capture_on_commit_callbacks(execute=True):
        canaries = write_canaries()
        call_command("rotate_encryption_keys", stdout=StringIO())
    client.force_login(canaries.patient)
    shown = canaries.by_field
    for url, canary in (
        (reverse("safety:safety_plan"), shown["safety.SafetyPlan.reasons_to_live"]),
        (reverse("peersupport:messages"), shown["peersupport.PeerMessage.body"]),
        (reverse("peersupport:group", args=[canaries.group.slug]), shown["peersupport.Post.body"]),
        (reverse("cessation:quit_plan"), shown["cessation.QuitPlan.reasons"]),
    ):
        page = client.get(url)
        assert page.status_code == HTTPStatus.OK, url
        assert canary in page.content.decode(), url  # the page decrypted and showed it

    texts = every_log_record.texts
    # the control record proves the collector sees DEBUG records; it is the only hit allowed
    assert leaks(texts, {f"{PREFIX}00"}) == [f"exhale.security.control: {PREFIX}00"]
    texts = [(name, text) for name, text in texts if name != "exhale.security.control"]
    texts += [
        (f"caplog {r.name}", r.getMessage()) for r in caplog.records if "control" not in r.name
    ]
    assert len(texts) > 0
    found = leaks(iter(texts), canaries.all())
    assert not found, "canaries in the logs: " + "; ".join(found)


# --- broker -------------------------------------------------------------------------------------


def _broker_messages() -> list[str]:
    """The raw messages waiting on the broker: every Redis list, or every file of the
    file-system broker's queue folder."""
    if settings.REDIS_URL:
        import redis

        client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
        messages = []
        for key in client.scan_iter():
            if client.type(key) == b"list":
                messages += [m.decode() for m in client.lrange(key, 0, -1)]
        return messages
    folder = Path(settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"])
    return [path.read_text() for path in sorted(folder.glob("*")) if path.is_file()]


def _decoded(message: str) -> tuple[str, list]:
    """The message and its body decoded (kombu base64-encodes the JSON body); the task's args."""
    envelope = json.loads(message)
    body = envelope.get("body", "")
    if envelope.get("properties", {}).get("body_encoding") == "base64":
        body = base64.b64decode(body).decode()
    args = json.loads(body)[0] if body.startswith("[") else []
    task = envelope.get("headers", {}).get("task", "?")
    return f"{message} {body}", [task, *args]


def _scalar_ids(value) -> bool:
    if isinstance(value, list):
        return all(_scalar_ids(item) for item in value)
    return (
        value is None
        or isinstance(value, int | bool)
        or (isinstance(value, str) and len(value) <= 40 and PREFIX not in value)
    )


@pytest.fixture
def empty_broker():
    celery_app.control.purge()
    if not settings.REDIS_URL:
        folder = Path(settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"])
        for path in folder.glob("*"):
            path.unlink(missing_ok=True)
    assert _broker_messages() == []
    yield
    celery_app.control.purge()


def test_no_canary_in_any_broker_message(empty_broker, django_capture_on_commit_callbacks):
    """The services' tasks are queued on commit and left on the broker (no worker runs): each
    message carries ids, never the text."""
    with django_capture_on_commit_callbacks(execute=True):
        canaries = write_canaries()

    messages = [_decoded(message) for message in _broker_messages()]

    assert len(messages) >= 5, "the writes above queue notices, flags and invitation emails"
    found = leaks(((args[0], text) for text, args in messages), canaries.all())
    assert not found, "canaries on the broker: " + "; ".join(found)
    wordy = [args for _, args in messages if not _scalar_ids(args[1:])]
    assert not wordy, f"task arguments that are not ids: {wordy}"


def test_the_broker_scan_finds_a_canary_in_a_message(empty_broker):
    """The control: the broker reader sees what a publisher put there."""
    celery_app.send_task(
        "security.canary_control", args=[f"{PREFIX}98"], queue="security-canary-control"
    )

    messages = [_decoded(message) for message in _broker_messages()]
    assert leaks(((args[0], text) for text, args in messages), {f"{PREFIX}98"})
    assert not all(_scalar_ids(args[1:]) for _, args in messages)
    if settings.REDIS_URL:
        import redis

        redis.Redis.from_url(settings.CELERY_BROKER_URL).delete("security-canary-control")


# --- key rotation across every encrypted field -----------------------------------------------


def _every_encrypted_value() -> dict[tuple[str, object], str]:
    return {
        (_label(model, field), pk): value
        for model, field in encrypted_fields()
        for pk, value in decrypted_values(model, field).items()
    }


def test_rotation_moves_every_encrypted_field_to_the_new_key_and_the_old_key_can_go():
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    with override_settings(FIELD_ENCRYPTION_KEYS=[old]):
        write_canaries()
        before = _every_encrypted_value()
    assert {label for label, _ in before} == {_label(m, f) for m, f in encrypted_fields()}

    with override_settings(FIELD_ENCRYPTION_KEYS=[new, old]):
        out = StringIO()
        call_command("rotate_encryption_keys", "--batch-size", "7", stdout=out)

    assert f"Done: {len(before)} values re-encrypted." in out.getvalue()
    with override_settings(FIELD_ENCRYPTION_KEYS=[new]):  # the old key removed
        assert _every_encrypted_value() == before
        for model, field in encrypted_fields():
            for pk, token in raw_encrypted_values(model, field).items():
                assert crypto.is_current(token), f"{_label(model, field)} row {pk}"


def test_a_wrong_key_fails_loudly_on_every_encrypted_field():
    write_canaries()
    wrong = Fernet.generate_key().decode()

    with override_settings(FIELD_ENCRYPTION_KEYS=[wrong]):
        for model, field in encrypted_fields():
            with pytest.raises(crypto.DecryptionError):
                decrypted_values(model, field)
            with pytest.raises(crypto.DecryptionError):
                list(model._default_manager.filter(**{f"{field.name}__isnull": False}))


def test_rotation_stops_at_a_row_under_an_unknown_key_in_any_model():
    """Not only notices: a value under a lost key in the last encrypted field fails the command,
    naming the row, and no key can be dropped until it is dealt with."""
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    with override_settings(FIELD_ENCRYPTION_KEYS=[old]):
        write_canaries()
    model, field = encrypted_fields()[-1]
    pk = next(iter(raw_encrypted_values(model, field)))
    lost = Fernet(Fernet.generate_key()).encrypt(b"under a lost key").decode()
    table = connection.ops.quote_name(model._meta.db_table)
    column = connection.ops.quote_name(field.column)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {column} = %s WHERE {connection.ops.quote_name(model._meta.pk.column)} = %s",  # noqa: S608,E501
            [lost, pk],
        )

    with (
        override_settings(FIELD_ENCRYPTION_KEYS=[new, old]),
        pytest.raises(
            Exception, match=f"{model._meta.label}.{field.name} row {pk} cannot be decrypted"
        ),
    ):
        call_command("rotate_encryption_keys", stdout=StringIO())


# --- a real worker ------------------------------------------------------------------------------


@pytest.mark.worker
@pytest.mark.skipif(not settings.REDIS_URL, reason="a real worker on Redis (CI's PostgreSQL run)")
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_the_queued_tasks_and_logs_no_canary(worker):
    """The writes committed, their tasks go through the broker to a real worker process (Redis
    when REDIS_URL is set), which delivers every notice; its log holds no canary."""
    from core.models import NotificationDelivery
    from tests.worker import wait_for

    canaries = write_canaries()
    deliveries = NotificationDelivery.objects.all()
    assert deliveries.exists()

    wait_for(lambda: not deliveries.exclude(status="sent").exists(), 90, [worker])

    log = worker.read_text(errors="replace")
    assert "notification_deliver_task" in log  # the worker logged the tasks it ran
    found = leaks(iter([("worker log", log)]), canaries.all())
    assert not found, "canaries in the worker's log: " + "; ".join(found)
