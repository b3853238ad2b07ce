"""EncryptedTextField: identifying free text, encrypted at rest (see core/crypto.py).

The column holds a Fernet token; Python code sees plain text. Ciphertext is randomised, so the
database cannot compare or search these values: only `isnull` lookups are allowed, and trying
anything else is an error rather than a query that silently matches nothing.
"""

from __future__ import annotations

from django.core.exceptions import FieldError
from django.db import models

from core import crypto


class EncryptedTextField(models.TextField):
    description = "Text encrypted at rest with MultiFernet"

    def from_db_value(self, value, expression, connection):
        if value is None:
            return None
        return crypto.decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None:
            return None
        return crypto.encrypt(str(value))

    def get_lookup(self, lookup_name):
        if lookup_name != "isnull":
            raise FieldError(
                f"{self.model.__name__}.{self.name} is encrypted: it cannot be filtered with "
                f"'{lookup_name}'."
            )
        return super().get_lookup(lookup_name)

    def get_transform(self, name):
        raise FieldError(f"{self.model.__name__}.{self.name} is encrypted: no transforms.")


def encrypted_fields() -> list[tuple[type[models.Model], EncryptedTextField]]:
    """Every (model, field) pair in the project that is encrypted, for key rotation and checks."""
    from django.apps import apps

    return [
        (model, field)
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if isinstance(field, EncryptedTextField)
    ]
