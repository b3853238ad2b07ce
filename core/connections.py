"""What every PostgreSQL connection is told when it opens (`connection_created`).

`cursor_tuple_fraction = 1`: Django reads a queryset's `.iterator()` through a server-side
cursor, and Exhale streams with it only to read every row (the trial's figures and exports, a
subject access request's records). By default PostgreSQL plans a cursor for its first tenth of
rows: a plan that starts fast and ends slowly, without a parallel scan. The trial dashboard's
read of its participants' check-ins (243,000 rows on bench/generate.py's data) took 11 s that
way and 1.5 s planned for every row (docs/performance.md). It is a planning hint only: behind a
pooler in transaction mode, where a session's settings may not follow it, reads stay correct.
"""

from __future__ import annotations

from django.db.backends.signals import connection_created


def _on_connection_created(sender, connection, **kwargs) -> None:
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SET cursor_tuple_fraction = 1")


def connect_signals() -> None:
    connection_created.connect(_on_connection_created, dispatch_uid="core.connections")
