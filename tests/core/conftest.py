"""Fixtures for the shared mechanisms: encryption keys and raw column reads."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from django.db import connection


@pytest.fixture
def key_a() -> str:
    return Fernet.generate_key().decode()


@pytest.fixture
def key_b() -> str:
    return Fernet.generate_key().decode()


@pytest.fixture
def raw_column():
    """Read what the database really holds in one column of one row, bypassing the ORM."""

    def read(model, field_name: str, pk) -> str | None:
        field = model._meta.get_field(field_name)
        table = connection.ops.quote_name(model._meta.db_table)
        column = connection.ops.quote_name(field.column)
        pk_column = connection.ops.quote_name(model._meta.pk.column)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {column} FROM {table} WHERE {pk_column} = %s",  # noqa: S608
                [pk],
            )
            row = cursor.fetchone()
        assert row is not None, f"no {model._meta.label} row with pk {pk}"
        return row[0]

    return read


@pytest.fixture
def write_raw_column():
    """Overwrite one column of one row in the database, bypassing the ORM (and its encryption)."""

    def write(model, field_name: str, pk, value: str) -> None:
        field = model._meta.get_field(field_name)
        table = connection.ops.quote_name(model._meta.db_table)
        column = connection.ops.quote_name(field.column)
        pk_column = connection.ops.quote_name(model._meta.pk.column)
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET {column} = %s WHERE {pk_column} = %s",  # noqa: S608
                [value, pk],
            )

    return write
