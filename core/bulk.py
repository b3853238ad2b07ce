"""Set-based inserts for the hot paths (the reminder fan-out), cheaper than `bulk_create`.

On PostgreSQL a batch is one `INSERT … SELECT FROM unnest(…)` with one typed array per column,
so the statement and its parameters stay the same size whatever the number of rows, and no model
instance is built. Each column's values go through the field's own preparation
(`get_db_prep_save`: an encrypted field encrypts), prepared once per distinct value, so a
column that is the same on every row costs one preparation (so equal values of an encrypted
column share one ciphertext within a batch: use it for templated text, never to hide which
rows are equal). Foreign keys take ids. Elsewhere (SQLite in development and
tests) it is the ORM's `bulk_create`, with the same result.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection, models

_UNHASHABLE = object()


def _prepared_column(field: models.Field, values: list[Any]) -> list[Any]:
    prepared: dict[Any, Any] = {}
    out = []
    for value in values:
        try:
            key = (type(value), value)
            hit = prepared.get(key, _UNHASHABLE)
        except TypeError:  # a list or dict value: prepare it every time
            key, hit = None, _UNHASHABLE
        if hit is _UNHASHABLE:
            hit = field.get_db_prep_save(value, connection)
            if key is not None:
                prepared[key] = hit
        out.append(hit)
    return out


def insert_rows(
    model: type[models.Model],
    fields: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    ignore_conflicts: bool = False,
) -> list[int]:
    """Insert `rows` (one value per name in `fields`) into `model`'s table.

    Returns the new primary keys in the order of `rows`; with `ignore_conflicts`, rows that
    conflict with a unique constraint are skipped and the result is empty (as `bulk_create`).
    Model defaults are not applied: name every column that has no database default.
    """
    if not rows:
        return []
    meta = model._meta
    columns = [meta.get_field(name) for name in fields]
    if connection.vendor != "postgresql":
        created = model.objects.bulk_create(
            [model(**{f.attname: v for f, v in zip(columns, row, strict=True)}) for row in rows],
            ignore_conflicts=ignore_conflicts,
        )
        return [] if ignore_conflicts else [obj.pk for obj in created]
    quote = connection.ops.quote_name
    arrays = [_prepared_column(field, [row[i] for row in rows]) for i, field in enumerate(columns)]
    unnest = ", ".join(f"%s::{field.db_type(connection)}[]" for field in columns)
    table, names = quote(meta.db_table), ", ".join(quote(f.column) for f in columns)
    # Built from the model's own metadata (quoted names, field types), never from input.
    sql = f"INSERT INTO {table} ({names}) SELECT * FROM unnest({unnest})"  # noqa: S608
    if ignore_conflicts:
        sql += " ON CONFLICT DO NOTHING"
    else:
        sql += f" RETURNING {quote(meta.pk.column)}"
    with connection.cursor() as cursor:
        cursor.execute(sql, arrays)
        return [] if ignore_conflicts else [row[0] for row in cursor.fetchall()]
