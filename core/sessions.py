"""Sessions in the database, as Django's, with one difference: a database that cannot be reached
while a session is saved is a server error (500, "try again"), not Django's "session deleted"
(400 Bad Request), which told a patient whose check-in had just been saved that their request
was bad. A session that really was deleted still ends as Django's does."""

from __future__ import annotations

from django.contrib.sessions.backends.base import UpdateError
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.db import InterfaceError, OperationalError


class SessionStore(DatabaseSessionStore):
    def save(self, must_create: bool = False) -> None:
        try:
            super().save(must_create)
        except UpdateError as error:
            cause = error.__context__
            if isinstance(cause, OperationalError | InterfaceError):
                raise cause from None
            raise
