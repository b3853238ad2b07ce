"""Fixtures for the accounts tests."""

from __future__ import annotations

import pytest

from tests.accounts.helpers import ROLE_FACTORIES


@pytest.fixture
def make_user(db):
    """A user of the given role (staff with TOTP enrolled unless mfa=False)."""

    def make(role: str, **kwargs):
        return ROLE_FACTORIES[role](**kwargs)

    return make


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Real logins hash passwords many times here; a fast hasher keeps the tests quick. What is
    tested (which password is accepted) does not depend on the hasher."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
