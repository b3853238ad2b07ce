"""Key rotation: `manage.py rotate_encryption_keys` re-encrypts every encrypted column."""

from __future__ import annotations

from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command
from django.test import override_settings

from accounts.models import Invitation
from core import crypto
from core.models import AuditEvent, Notification
from tests.factories import InvitationFactory, PatientFactory

pytestmark = pytest.mark.django_db


def _rotate(*args: str) -> str:
    out = StringIO()
    call_command("rotate_encryption_keys", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def rows_under_key_a(key_a):
    """Notices and an invitation written while key A was the only key."""
    with override_settings(FIELD_ENCRYPTION_KEYS=[key_a]):
        patient = PatientFactory()
        notices = [
            Notification.objects.create(
                recipient=patient, kind="test", title=f"n{i}", body=f"private note {i}"
            )
            for i in range(5)
        ]
        invitation = InvitationFactory()
    return {"notices": notices, "invitation": invitation}


def test_rotation_moves_every_row_to_the_new_key(key_a, key_b, rows_under_key_a, raw_column):
    notices = rows_under_key_a["notices"]
    invitation = rows_under_key_a["invitation"]

    with override_settings(FIELD_ENCRYPTION_KEYS=[key_b, key_a]):
        before = {n.pk: raw_column(Notification, "body", n.pk) for n in notices}
        output = _rotate()
        for notice in notices:
            stored = raw_column(Notification, "body", notice.pk)
            assert stored != before[notice.pk]
            assert crypto.is_current(stored)
        assert crypto.is_current(raw_column(Invitation, "token", invitation.pk))

    assert "core.Notification.body: 5 re-encrypted" in output
    assert "accounts.Invitation.token: 1 re-encrypted" in output

    # Key A can now be removed: every row still reads with key B alone.
    with override_settings(FIELD_ENCRYPTION_KEYS=[key_b]):
        for i, notice in enumerate(notices):
            assert Notification.objects.get(pk=notice.pk).body == f"private note {i}"
        assert Invitation.objects.get(pk=invitation.pk).token == invitation.raw_token


def test_rows_not_rotated_are_unreadable_without_the_old_key(key_a, key_b, rows_under_key_a):
    """The control for the test above: without the command, dropping key A loses the rows."""
    notice = rows_under_key_a["notices"][0]

    with override_settings(FIELD_ENCRYPTION_KEYS=[key_b]), pytest.raises(crypto.DecryptionError):
        Notification.objects.get(pk=notice.pk)


def test_second_run_re_encrypts_nothing(key_a, key_b, rows_under_key_a, raw_column):
    notices = rows_under_key_a["notices"]

    with override_settings(FIELD_ENCRYPTION_KEYS=[key_b, key_a]):
        _rotate()
        after_first = {n.pk: raw_column(Notification, "body", n.pk) for n in notices}
        output = _rotate()
        after_second = {n.pk: raw_column(Notification, "body", n.pk) for n in notices}

    assert "core.Notification.body: 0 re-encrypted" in output
    assert "Done: 0 values re-encrypted." in output
    assert after_second == after_first  # rows already under the newest key are left alone


def test_an_interrupted_run_resumes_with_the_rows_left(key_a, key_b, rows_under_key_a):
    notices = rows_under_key_a["notices"]

    with override_settings(FIELD_ENCRYPTION_KEYS=[key_b, key_a]):
        # Two of the five were already re-encrypted (written again under B) before a crash.
        for notice in notices[:2]:
            Notification.objects.filter(pk=notice.pk).update(body=f"rewritten {notice.pk}")
        output = _rotate("--batch-size", "2")

    assert "core.Notification.body: 3 re-encrypted" in output
    with override_settings(FIELD_ENCRYPTION_KEYS=[key_b]):
        bodies = [Notification.objects.get(pk=n.pk).body for n in notices]
    assert bodies[:2] == [f"rewritten {n.pk}" for n in notices[:2]]
    assert bodies[2:] == ["private note 2", "private note 3", "private note 4"]


def test_small_batches_cover_every_row(key_a, key_b, rows_under_key_a):
    with override_settings(FIELD_ENCRYPTION_KEYS=[key_b, key_a]):
        output = _rotate("--batch-size", "1")

    assert "core.Notification.body: 5 re-encrypted" in output
    with override_settings(FIELD_ENCRYPTION_KEYS=[key_b]):
        bodies = sorted(n.body for n in Notification.objects.all())
    assert bodies == [f"private note {i}" for i in range(5)]


def test_batch_size_below_one_is_refused(key_a, key_b, rows_under_key_a):
    with override_settings(FIELD_ENCRYPTION_KEYS=[key_b, key_a]), pytest.raises(CommandError):
        _rotate("--batch-size", "0")


def test_a_row_no_key_can_decrypt_fails_the_command(
    key_a, key_b, rows_under_key_a, raw_column, write_raw_column
):
    notices = rows_under_key_a["notices"]
    lost_key = Fernet.generate_key()
    orphan = notices[-1]
    write_raw_column(
        Notification, "body", orphan.pk, Fernet(lost_key).encrypt(b"under a lost key").decode()
    )

    with override_settings(FIELD_ENCRYPTION_KEYS=[key_b, key_a]):
        with pytest.raises(CommandError, match=f"row {orphan.pk} cannot be decrypted"):
            _rotate()
        # Nothing in the failing batch was changed: the readable rows are still under key A.
        for notice in notices[:-1]:
            assert not crypto.is_current(raw_column(Notification, "body", notice.pk))

    assert not AuditEvent.objects.filter(action="encryption.keys_rotated").exists()


def test_a_row_holding_plaintext_fails_the_command(
    key_a, key_b, rows_under_key_a, write_raw_column
):
    orphan = rows_under_key_a["notices"][0]
    write_raw_column(Notification, "body", orphan.pk, "written before encryption, é")

    with (
        override_settings(FIELD_ENCRYPTION_KEYS=[key_b, key_a]),
        pytest.raises(CommandError, match=f"row {orphan.pk} cannot be decrypted"),
    ):
        _rotate()


def test_rotation_writes_an_audit_row(key_a, key_b, rows_under_key_a):
    with override_settings(FIELD_ENCRYPTION_KEYS=[key_b, key_a]):
        _rotate()

    event = AuditEvent.objects.get(action="encryption.keys_rotated")
    assert event.actor_id is None
    assert event.actor_role == "system"
    assert event.detail == {"rows": 6}  # five notices and one invitation token


def test_rotation_with_a_single_key_changes_nothing(rows_under_key_a, key_a, raw_column):
    notice = rows_under_key_a["notices"][0]

    with override_settings(FIELD_ENCRYPTION_KEYS=[key_a]):
        before = raw_column(Notification, "body", notice.pk)
        output = _rotate()
        assert raw_column(Notification, "body", notice.pk) == before

    assert "Done: 0 values re-encrypted." in output
