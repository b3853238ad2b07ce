"""Every PostgreSQL connection is told, as it opens, that server-side cursors are read to the end
(core/connections.py)."""

from __future__ import annotations

import pytest
from django.db import connection, connections

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL planner setting"),
]


def _setting() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW cursor_tuple_fraction")
        return cursor.fetchone()[0]


def test_a_new_connection_plans_cursors_for_every_row():
    connections.close_all()  # the next query opens a new connection

    assert _setting() == "1"
