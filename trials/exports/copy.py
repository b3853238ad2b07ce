"""PostgreSQL's COPY: a dataset's CSV straight from the server, `COPY (SELECT …) TO STDOUT WITH
(FORMAT csv, HEADER)`, read in the chunks psycopg 3 receives them, so memory stays flat
whatever the number of rows. The SELECT is composed with psycopg.sql (identifiers and literals
quoted by the driver), since COPY takes no bind parameters."""

from __future__ import annotations

from collections.abc import Iterator

from django.db import connection
from psycopg import sql

BLOCK_BYTES = 64 * 1024


def copy_available() -> bool:
    return connection.vendor == "postgresql"


def copy_statement(select: sql.Composable) -> sql.Composed:
    return sql.SQL("COPY ({select}) TO STDOUT WITH (FORMAT csv, HEADER)").format(select=select)


def copy_csv(select: sql.Composable) -> Iterator[bytes]:
    """The CSV of `select`, header first, as it comes from the server (on Django's own
    connection, so inside a transaction it sees what that transaction sees)."""
    connection.ensure_connection()
    raw = connection.connection
    # libpq hands COPY data over a row at a time: gathered into blocks, so whoever consumes
    # the stream (a socket, a file) writes a few large pieces instead of a million small ones.
    block = bytearray()
    with raw.cursor() as cursor, cursor.copy(copy_statement(select)) as copy:
        for row in copy:
            block += row
            if len(block) >= BLOCK_BYTES:
                yield bytes(block)
                block.clear()
    if block:
        yield bytes(block)
