"""Encryption at rest: core/crypto.py and the EncryptedTextField that uses it."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import FieldError, ImproperlyConfigured
from django.db import transaction
from django.test import override_settings

from accounts.models import Invitation
from core import crypto
from core.checks import encryption_keys_check
from core.models import Notification
from tests.factories import InvitationFactory, PatientFactory

pytestmark = pytest.mark.django_db

CANARY = "CANARY-7f3a clozapine 300mg, heard voices last night"


def test_crypto_round_trip_and_randomised_ciphertext():
    first = crypto.encrypt(CANARY)
    second = crypto.encrypt(CANARY)

    assert CANARY not in first
    assert first != second  # the same text never gives the same ciphertext
    assert crypto.decrypt(first) == CANARY
    assert crypto.decrypt(second) == CANARY


def test_crypto_round_trips_non_ascii_text():
    text = "Ich fühle mich besser 😊 — día 3"
    assert crypto.decrypt(crypto.encrypt(text)) == text


def test_tampered_ciphertext_raises_decryption_error():
    token = crypto.encrypt(CANARY)
    tampered = token[:-6] + ("A" if token[-6] != "A" else "B") + token[-5:]

    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(tampered)


def test_text_that_is_not_a_token_raises_decryption_error():
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt("plain text that was never encrypted")


def test_encrypted_field_round_trips_through_the_database(patient):
    notification = Notification.objects.create(
        recipient=patient, kind="test", title="A notice", body=CANARY
    )

    assert Notification.objects.get(pk=notification.pk).body == CANARY
    assert Notification.objects.filter(pk=notification.pk).values_list("body", flat=True).get() == (
        CANARY
    )


def test_encrypted_column_never_holds_the_plaintext(patient, raw_column):
    notification = Notification.objects.create(
        recipient=patient, kind="test", title="A notice", body=CANARY
    )

    stored = raw_column(Notification, "body", notification.pk)
    assert "CANARY" not in stored
    assert "clozapine" not in stored
    assert crypto.decrypt(stored) == CANARY  # it is a token under the configured key


def test_queryset_update_encrypts_too(patient, raw_column):
    notification = Notification.objects.create(recipient=patient, kind="test", title="A notice")

    Notification.objects.filter(pk=notification.pk).update(body=CANARY)

    assert "CANARY" not in raw_column(Notification, "body", notification.pk)
    assert Notification.objects.get(pk=notification.pk).body == CANARY


def test_bulk_create_encrypts_too(patient, raw_column):
    Notification.objects.bulk_create(
        [Notification(recipient=patient, kind="test", title=f"n{i}", body=CANARY) for i in range(3)]
    )

    notifications = list(Notification.objects.filter(recipient=patient))
    assert len(notifications) == 3
    for notification in notifications:
        assert notification.body == CANARY
        assert "CANARY" not in raw_column(Notification, "body", notification.pk)


def test_invitation_token_is_encrypted_at_rest(raw_column):
    invitation = InvitationFactory()

    stored = raw_column(Invitation, "token", invitation.pk)
    assert invitation.raw_token not in stored
    assert Invitation.objects.get(pk=invitation.pk).token == invitation.raw_token


def test_empty_text_is_encrypted_not_stored_as_empty(patient, raw_column):
    notification = Notification.objects.create(recipient=patient, kind="test", title="t", body="")

    stored = raw_column(Notification, "body", notification.pk)
    assert stored != ""
    assert Notification.objects.get(pk=notification.pk).body == ""


def test_wrong_key_raises_on_read_and_never_returns_ciphertext(patient, raw_column):
    notification = Notification.objects.create(
        recipient=patient, kind="test", title="A notice", body=CANARY
    )

    with (
        override_settings(FIELD_ENCRYPTION_KEYS=[Fernet.generate_key().decode()]),
        pytest.raises(crypto.DecryptionError),
    ):
        Notification.objects.get(pk=notification.pk)

    # Back under the right key, the same row reads again: the failure changed nothing.
    assert Notification.objects.get(pk=notification.pk).body == CANARY


@pytest.mark.parametrize("stored", ["legacy plaintext note", "nicht verschlüsselt", ""])
def test_a_column_holding_plaintext_raises_instead_of_returning_it(
    patient, write_raw_column, stored
):
    notification = Notification.objects.create(recipient=patient, kind="t", title="t")
    write_raw_column(Notification, "body", notification.pk, stored)

    with pytest.raises(crypto.DecryptionError):
        Notification.objects.get(pk=notification.pk)


def test_wrong_key_raises_on_values_list_too(patient):
    notification = Notification.objects.create(
        recipient=patient, kind="test", title="A notice", body=CANARY
    )

    with (
        override_settings(FIELD_ENCRYPTION_KEYS=[Fernet.generate_key().decode()]),
        pytest.raises(crypto.DecryptionError),
    ):
        list(Notification.objects.filter(pk=notification.pk).values_list("body", flat=True))


def test_newest_key_encrypts_and_older_keys_still_decrypt(patient, key_a, key_b, raw_column):
    with override_settings(FIELD_ENCRYPTION_KEYS=[key_a]):
        old = Notification.objects.create(recipient=patient, kind="t", title="t", body="old text")

    with override_settings(FIELD_ENCRYPTION_KEYS=[key_b, key_a]):
        new = Notification.objects.create(recipient=patient, kind="t", title="t", body="new text")
        assert Notification.objects.get(pk=old.pk).body == "old text"
        assert Notification.objects.get(pk=new.pk).body == "new text"
        assert not crypto.is_current(raw_column(Notification, "body", old.pk))
        assert crypto.is_current(raw_column(Notification, "body", new.pk))

    with override_settings(FIELD_ENCRYPTION_KEYS=[key_b]):
        assert Notification.objects.get(pk=new.pk).body == "new text"
        with pytest.raises(crypto.DecryptionError):
            Notification.objects.get(pk=old.pk)


@pytest.mark.parametrize(
    "lookup",
    ["body", "body__exact", "body__iexact", "body__contains", "body__icontains", "body__in"],
)
def test_lookups_on_an_encrypted_field_raise_field_error(lookup):
    value = ["x"] if lookup.endswith("__in") else "x"
    with pytest.raises(FieldError, match="encrypted"):
        Notification.objects.filter(**{lookup: value})


def test_transforms_on_an_encrypted_field_raise_field_error():
    with pytest.raises(FieldError, match="encrypted"):
        Notification.objects.filter(body__lower="x")


def test_exclude_on_an_encrypted_field_raises_field_error():
    with pytest.raises(FieldError, match="encrypted"):
        Notification.objects.exclude(body="")


def test_isnull_is_the_one_allowed_lookup():
    patient = PatientFactory()
    notification = Notification.objects.create(recipient=patient, kind="t", title="t", body="b")

    assert list(Notification.objects.filter(body__isnull=False, recipient=patient)) == [
        notification
    ]
    assert not Notification.objects.filter(body__isnull=True, recipient=patient).exists()


@pytest.mark.parametrize("keys", [[], None, ""])
def test_no_key_is_improperly_configured(keys):
    with override_settings(FIELD_ENCRYPTION_KEYS=keys), pytest.raises(ImproperlyConfigured):
        crypto.encrypt("anything")


@pytest.mark.parametrize(
    "keys",
    [
        ["not-a-fernet-key"],
        ["c2hvcnQ="],  # valid base64, too short
        [Fernet.generate_key().decode(), "not-a-fernet-key"],  # one bad key among good ones
    ],
)
def test_malformed_key_is_improperly_configured(keys):
    with override_settings(FIELD_ENCRYPTION_KEYS=keys), pytest.raises(ImproperlyConfigured):
        crypto.encrypt("anything")


def test_saving_with_no_key_fails_and_writes_nothing(patient):
    with (
        override_settings(FIELD_ENCRYPTION_KEYS=[]),
        pytest.raises(ImproperlyConfigured),
        transaction.atomic(),
    ):
        Notification.objects.create(recipient=patient, kind="t", title="t", body=CANARY)

    assert not Notification.objects.filter(recipient=patient).exists()


def test_system_check_reports_unusable_keys():
    assert encryption_keys_check(None) == []

    with override_settings(FIELD_ENCRYPTION_KEYS=["not-a-fernet-key"]):
        errors = encryption_keys_check(None)
    assert [error.id for error in errors] == ["core.E001"]

    with override_settings(FIELD_ENCRYPTION_KEYS=[]):
        errors = encryption_keys_check(None)
    assert [error.id for error in errors] == ["core.E001"]


def test_changing_keys_takes_effect_without_a_restart(key_a, key_b):
    """The key cache is reset when the setting changes, so a token under A fails under B."""
    with override_settings(FIELD_ENCRYPTION_KEYS=[key_a]):
        token = crypto.encrypt(CANARY)
    with override_settings(FIELD_ENCRYPTION_KEYS=[key_b]), pytest.raises(crypto.DecryptionError):
        crypto.decrypt(token)
    with override_settings(FIELD_ENCRYPTION_KEYS=[key_a]):
        assert crypto.decrypt(token) == CANARY
