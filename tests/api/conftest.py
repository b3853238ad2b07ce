"""Fixtures for the API tests."""

from __future__ import annotations

import pytest

from accounts import services


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Factories hash a password per user; a fast hasher keeps the tests quick."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def api_token(db):
    """A personal API token for a user, made by the service the account page uses: (row, key)."""

    def make(user, name: str = "analysis laptop"):
        return services.api_token_create(user=user, name=name)

    return make
