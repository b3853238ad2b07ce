"""Field encryption with MultiFernet: the newest key encrypts, every listed key decrypts.

Keys come from settings.FIELD_ENCRYPTION_KEYS (the FIELD_ENCRYPTION_KEYS variable, newest
first). A value that no key can decrypt raises DecryptionError: ciphertext is never shown as
text, and a wrong key fails loudly instead of quietly returning garbage.
"""

from __future__ import annotations

from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver


class DecryptionError(Exception):
    """Stored ciphertext could not be decrypted with any configured key."""


@cache
def _fernets() -> tuple[MultiFernet, Fernet]:
    keys = list(getattr(settings, "FIELD_ENCRYPTION_KEYS", []) or [])
    if not keys:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS is empty: no key to encrypt with.")
    try:
        fernets = [Fernet(key.encode() if isinstance(key, str) else key) for key in keys]
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEYS holds a value that is not a Fernet key "
            "(32 url-safe base64-encoded bytes)."
        ) from exc
    return MultiFernet(fernets), fernets[0]


@receiver(setting_changed)
def _reset_keys(*, setting: str, **kwargs) -> None:
    if setting == "FIELD_ENCRYPTION_KEYS":
        _fernets.cache_clear()


def encrypt(plaintext: str) -> str:
    """Encrypt text under the newest key; returns a Fernet token as text."""
    return _fernets()[0].encrypt(plaintext.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    """Decrypt a token with any configured key, or raise DecryptionError."""
    try:
        return _fernets()[0].decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeError, ValueError) as exc:
        raise DecryptionError(
            "An encrypted value could not be decrypted with any key in FIELD_ENCRYPTION_KEYS."
        ) from exc


def is_current(token: str) -> bool:
    """True when the token is already encrypted under the newest key."""
    try:
        _fernets()[1].decrypt(token.encode("ascii"))
    except (InvalidToken, ValueError):
        return False
    return True


def rotate(token: str) -> str:
    """Re-encrypt a token under the newest key, or raise DecryptionError."""
    try:
        return _fernets()[0].rotate(token.encode("ascii")).decode("ascii")
    except (InvalidToken, ValueError) as exc:
        raise DecryptionError(
            "An encrypted value could not be decrypted with any key in FIELD_ENCRYPTION_KEYS."
        ) from exc
