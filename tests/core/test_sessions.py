"""A session that cannot be saved because the database is unreachable is a server error, not
Django's 'session deleted' (400); a session that was deleted still is (core/sessions.py)."""

from __future__ import annotations

from unittest import mock

import pytest
from django.contrib.sessions.backends.base import UpdateError
from django.contrib.sessions.models import Session
from django.db import OperationalError

from core.sessions import SessionStore

pytestmark = pytest.mark.django_db


def test_the_session_engine_is_ours(settings):
    assert settings.SESSION_ENGINE == "core.sessions"


def test_an_unreachable_database_is_a_server_error():
    session = SessionStore()
    session["seen"] = 1
    session.create()
    session["seen"] = 2
    with (
        mock.patch.object(Session, "save", side_effect=OperationalError("server closed")),
        pytest.raises(OperationalError),
    ):
        session.save()


def test_a_deleted_session_still_ends_the_request_as_django_ends_it():
    session = SessionStore()
    session["seen"] = 1
    session.create()
    Session.objects.filter(session_key=session.session_key).delete()
    session["seen"] = 2
    with pytest.raises(UpdateError):
        session.save()
    session.save(must_create=True)  # and a new one can still be made
    assert Session.objects.filter(session_key=session.session_key).exists()
