"""Who may do what with a person's whole record.

| role  | may                                                                              |
| ----- | -------------------------------------------------------------------------------- |
| admin | produce a subject-access export of one person's data (with MFA, for a purpose)   |
| other | nothing here: the pages answer 404, as if the person did not exist               |
"""

from __future__ import annotations

from accounts.models import User


def can_export_subject_access(user: User) -> bool:
    return bool(user.is_authenticated and user.is_active and user.is_admin)
