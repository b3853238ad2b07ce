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
from django.db.models import Lookup
from django.utils import timezone

_UNHASHABLE = object()


def _prepared_column(field: models.Field, values: list[Any]) -> tuple[list[Any], bool]:
    """The column's values prepared for the database, and whether they are all one value."""
    if isinstance(field, models.IntegerField | models.ForeignKey) and all(
        type(value) is int for value in values
    ):  # ids and counts need no preparation (and ids are all different: nothing to reuse)
        return values, len(set(values)) == 1
    prepared: dict[Any, Any] = {}
    out = []
    hashable = True
    for value in values:
        try:
            key = (type(value), value)
            hit = prepared.get(key, _UNHASHABLE)
        except TypeError:  # a list or dict value: prepare it every time
            key, hit, hashable = None, _UNHASHABLE, False
        if hit is _UNHASHABLE:
            hit = field.get_db_prep_save(value, connection)
            if key is not None:
                prepared[key] = hit
        out.append(hit)
    return out, hashable and len(prepared) == 1


def _default(field: models.Field) -> Any:
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return timezone.now()
    return field.get_default()


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
    A field left out takes its model default, as with `bulk_create`.
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
    # Fields left out are filled as bulk_create fills them: their default (a blank string for
    # a text field without one), the current time for auto_now fields; worked out per row.
    omitted = [
        f
        for f in meta.concrete_fields
        if f.name not in fields and f.attname not in fields and not f.primary_key
    ]
    columns += omitted
    if omitted:
        rows = [(*row, *(_default(f) for f in omitted)) for row in rows]
    quote = connection.ops.quote_name
    prepared = [_prepared_column(f, [row[i] for row in rows]) for i, f in enumerate(columns)]
    if all(constant for _, constant in prepared):
        prepared[0] = (prepared[0][0], False)  # unnest one column, for the number of rows
    # A column with one value for every row is one parameter, not an array of copies.
    selected, constants, arrays, unnested = [], [], [], []
    for i, (field, (values, constant)) in enumerate(zip(columns, prepared, strict=True)):
        db_type = field.db_type(connection)
        if constant:
            selected.append(f"%s::{db_type}")
            constants.append(values[0])
        else:
            selected.append(f"u.c{i}")
            unnested.append((f"c{i}", f"%s::{db_type}[]"))
            arrays.append(values)
    table, names = quote(meta.db_table), ", ".join(quote(f.column) for f in columns)
    arrays_sql, aliases = ", ".join(a for _, a in unnested), ", ".join(c for c, _ in unnested)
    source = f"unnest({arrays_sql}) AS u({aliases})"
    # Built from the model's own metadata (quoted names, field types), never from input.
    sql = f"INSERT INTO {table} ({names}) SELECT {', '.join(selected)} FROM {source}"  # noqa: S608
    if ignore_conflicts:
        sql += " ON CONFLICT DO NOTHING"
    else:
        sql += f" RETURNING {quote(meta.pk.column)}"
    with connection.cursor() as cursor:
        cursor.execute(sql, [*constants, *arrays])
        return [] if ignore_conflicts else [row[0] for row in cursor.fetchall()]


def ids_condition(
    column: str, ids: Sequence[int], *, db_type: str = "bigint", vendor: str | None = None
) -> tuple[str, list]:
    """SQL and parameters for "`column` is one of `ids`": one array parameter on PostgreSQL
    (the statement text is the same for any number of ids, and nothing is spliced per id),
    `IN (…)` elsewhere. `column` must be a quoted name from a model's metadata."""
    if (vendor or connection.vendor) == "postgresql":
        return f"{column} = ANY(%s::{db_type}[])", [list(ids)]
    if not ids:
        return "1 = 0", []
    return f"{column} IN ({', '.join(['%s'] * len(ids))})", list(ids)


@models.Field.register_lookup
class AnyOf(Lookup):
    """`field__any_of=ids`: `field__in` for long lists of ids on the hot paths, as one array
    parameter on PostgreSQL (Django's `__in` makes a placeholder, and a Python step, per id)."""

    lookup_name = "any_of"
    prepare_rhs = False  # a list of ids, not one value of the field

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        sql, params = ids_condition(
            lhs,
            [int(pk) for pk in self.rhs],
            db_type=self.lhs.output_field.db_type(connection),
            vendor=connection.vendor,
        )
        return sql, [*lhs_params, *params]


# Relations keep a registry of their own: ids given for a foreign key (`patient_id__any_of`).
models.ForeignObject.register_lookup(AnyOf)
