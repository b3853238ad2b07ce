"""Safety models. Crisis resources today; screening verdicts, flags and safety plans follow."""

from __future__ import annotations

from django.db import models

from core.models import TimeStampedModel


class CrisisResource(TimeStampedModel):
    """One way to get help now, shown on every crisis page. Edited per deployment by admins."""

    name = models.CharField(max_length=80)
    how = models.CharField(max_length=120, help_text="What to do, e.g. 'Call 116 123 (free)'.")
    href = models.CharField(
        max_length=120, blank=True, help_text="A tel:, sms: or https: link, if there is one."
    )
    when = models.CharField(max_length=200, help_text="When to use it, in plain words.")
    order = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.name

    def as_dict(self) -> dict:
        return {"name": self.name, "how": self.how, "href": self.href, "when": self.when}
