"""Re-encrypt every encrypted column under the newest key, in batches, resumably.

Add a new key at the front of FIELD_ENCRYPTION_KEYS (keep the old ones after it), deploy, run
this command, then remove the old keys. Each batch commits on its own; rows already under the
newest key are skipped, so an interrupted run is simply started again.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.models import TextField
from django.db.models.functions import Cast

from core import crypto
from core.fields import encrypted_fields
from core.services import audit_record


class Command(BaseCommand):
    help = "Re-encrypt every encrypted column under the newest key in FIELD_ENCRYPTION_KEYS."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args, batch_size: int, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        total_rotated = 0
        for model, field in encrypted_fields():
            rotated = self._rotate_column(model, field, batch_size)
            total_rotated += rotated
            self.stdout.write(f"{model._meta.label}.{field.name}: {rotated} re-encrypted")
        audit_record(actor=None, action="encryption.keys_rotated", detail={"rows": total_rotated})
        self.stdout.write(self.style.SUCCESS(f"Done: {total_rotated} values re-encrypted."))

    def _rotate_column(self, model, field, batch_size: int) -> int:
        table = connection.ops.quote_name(model._meta.db_table)
        column = connection.ops.quote_name(field.column)
        pk_column = connection.ops.quote_name(model._meta.pk.column)
        # Cast to a plain text field so the ORM hands back the stored token, not the plaintext.
        rows = model._default_manager.annotate(_token=Cast(field.name, TextField())).filter(
            **{f"{field.name}__isnull": False}
        )
        last_pk = None
        rotated = 0
        while True:
            batch_rows = rows.order_by("pk")
            if last_pk is not None:
                batch_rows = batch_rows.filter(pk__gt=last_pk)
            batch = list(batch_rows.values_list("pk", "_token")[:batch_size])
            if not batch:
                return rotated
            last_pk = batch[-1][0]
            updates = []
            for pk, token in batch:
                if crypto.is_current(token):
                    continue
                try:
                    updates.append((crypto.rotate(token), pk))
                except crypto.DecryptionError as exc:
                    raise CommandError(
                        f"{model._meta.label}.{field.name} row {pk} cannot be decrypted with "
                        "any configured key; nothing in this batch was changed."
                    ) from exc
            if updates:
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.executemany(
                        # Identifiers come from model metadata, quoted; values are parameters.
                        f"UPDATE {table} SET {column} = %s WHERE {pk_column} = %s",  # noqa: S608
                        updates,
                    )
                rotated += len(updates)
