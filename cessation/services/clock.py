"""The patient's own clock: their calendar date in their time zone."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from accounts.models import PatientProfile, User


def patient_zone(patient: User) -> ZoneInfo:
    zone = PatientProfile.objects.filter(user=patient).values_list("time_zone", flat=True).first()
    return ZoneInfo(zone or settings.TIME_ZONE)


def patient_today(patient: User, *, now=None) -> date:
    """The patient's own calendar date, in their time zone (Europe/London unless set)."""
    return timezone.localtime(now or timezone.now(), patient_zone(patient)).date()
