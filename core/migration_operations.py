"""Index operations for migrations on tables that hold a deployment's history.

`CREATE INDEX` locks a table against writes until the index is built: on the check-ins of a
national deployment (millions of rows) that is every patient's check-in, crisis answer included,
waiting through the build during a release. PostgreSQL builds an index CONCURRENTLY while writes
go on (Django's `AddIndexConcurrently`), but that operation exists only for PostgreSQL, and
Exhale also runs on SQLite (the first-run default). These build concurrently on PostgreSQL and
as usual elsewhere. A migration using them sets `atomic = False` (PostgreSQL refuses a
concurrent build inside a transaction); `tests/test_migrations.py` checks that every index
added to an existing table since is built this way.
"""

from __future__ import annotations

from django.contrib.postgres import operations as postgres
from django.db.migrations.operations import AddIndex, RemoveIndex


class _ConcurrentOnPostgreSQL:
    """Django's concurrent operation (next in the MRO) on PostgreSQL; `plain`, the ordinary
    operation's own methods, elsewhere."""

    plain: type[AddIndex] | type[RemoveIndex]

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        return self.plain.database_forwards(self, app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            return super().database_backwards(app_label, schema_editor, from_state, to_state)
        return self.plain.database_backwards(self, app_label, schema_editor, from_state, to_state)


class AddIndexConcurrently(_ConcurrentOnPostgreSQL, postgres.AddIndexConcurrently):
    plain = AddIndex


class RemoveIndexConcurrently(_ConcurrentOnPostgreSQL, postgres.RemoveIndexConcurrently):
    plain = RemoveIndex
