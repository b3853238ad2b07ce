"""System checks: the encryption keys are usable (runs with `manage.py check`, at start-up)."""

from __future__ import annotations

from django.core import checks
from django.core.exceptions import ImproperlyConfigured


@checks.register(checks.Tags.security)
def encryption_keys_check(app_configs, **kwargs):
    from core import crypto

    try:
        crypto.decrypt(crypto.encrypt("check"))
    except (ImproperlyConfigured, crypto.DecryptionError) as exc:
        return [checks.Error(str(exc), id="core.E001", hint="See FIELD_ENCRYPTION_KEYS.")]
    return []
