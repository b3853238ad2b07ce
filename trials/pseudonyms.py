"""Trial ids: an HMAC of the patient's database id with the trial's own key, so that the same
person has unrelated ids in two trials and nobody without the key can go back from an id."""

from __future__ import annotations

import hashlib
import hmac
import secrets

TRIAL_ID_LENGTH = 12


def key_new() -> str:
    return secrets.token_hex(32)


def trial_id_for(*, key: str, patient_id: int) -> str:
    digest = hmac.new(bytes.fromhex(key), str(patient_id).encode(), hashlib.sha256).hexdigest()
    return "T" + digest[: TRIAL_ID_LENGTH - 1].upper()
