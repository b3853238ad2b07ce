"""What each role may do in the peer groups. Said once here; views, the API and services ask.

| role      | may                                                                             |
| --------- | ------------------------------------------------------------------------------- |
| patient   | choose a pseudonym, accept the guidelines, join and leave open groups           |
| peer      | moderate the groups they are named on                                           |
| clinician | nothing in the groups themselves; sees flags raised from them                   |
| admin     | set up groups and their moderators                                              |
"""

from __future__ import annotations

from accounts.models import User
from peersupport.models import PeerGroup


def can_take_part(user: User) -> bool:
    """Patients take part in groups; staff moderate or stay out."""
    return user.is_authenticated and user.is_active and user.is_patient


def can_moderate(user: User, group: PeerGroup) -> bool:
    return (
        user.is_authenticated
        and user.is_active
        and user.is_peer
        and group.moderators.filter(pk=user.pk).exists()
    )
