"""cessation's entries on the patient timeline of a flag page (safety.timeline): check-ins and
logged cravings since a time, in the words a clinician triaging a flag needs.

Entries link nowhere: the flag page is also seen by clinicians on call who are not in the
patient's care team, and the patient page would be a 404 for them.
"""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from accounts.models import PatientProfile
from cessation.models import CheckIn, Craving
from safety.timeline import TimelineEntry

MAX_ENTRIES = 30  # safety shows 30 entries in all; more from one provider would not be shown


def _zone(patient) -> ZoneInfo:
    zone = PatientProfile.objects.filter(user=patient).values_list("time_zone", flat=True).first()
    return ZoneInfo(zone or settings.TIME_ZONE)


def _lower(label: str) -> str:
    return label if label.isupper() else label.lower()  # "OK" stays "OK"


def _checkin_text(checkin: CheckIn, *, late: bool) -> str:
    smoked = checkin.cigarettes
    parts = [
        f"{smoked} cigarette{'s' if smoked != 1 else ''}",
        f"craving {checkin.craving}/10",
        f"mood {checkin.mood}/10",
        f"slept {_lower(checkin.get_sleep_display())}",
    ]
    if checkin.harm_thoughts == CheckIn.SafetyAnswer.YES:
        parts.append("said YES to thoughts of harming themselves")
    elif checkin.harm_thoughts == CheckIn.SafetyAnswer.NOT_SAY:
        parts.append("preferred not to say about thoughts of self-harm")
    if checkin.note:
        parts.append("left a note")
    text = ", ".join(parts)
    return f"{text} (for {checkin.day:%a %-d %b}, filled in later)" if late else text


def _craving_text(craving: Craving) -> str:
    parts = [f"strength {craving.intensity}/10"]
    parts += [
        _lower(label)
        for label in (
            craving.get_where_display() if craving.where else "",
            craving.get_with_whom_display() if craving.with_whom else "",
        )
        if label
    ]
    if craving.doing:
        parts.append(f"doing: {_lower(craving.get_doing_display())}")
    if craving.mood is not None:
        parts.append(f"mood {craving.mood}/10")
    parts.append("smoked afterwards" if craving.smoked else "did not smoke")
    return ", ".join(parts)


def quit_tracking_timeline(patient, since: datetime) -> list[TimelineEntry]:
    """Check-ins for days since `since` (in the patient's own time zone) and cravings logged since
    then, newest first. Three queries: the time zone, check-ins, cravings."""
    zone = _zone(patient)
    since_day = timezone.localtime(since, zone).date()
    checkins = CheckIn.objects.filter(patient=patient, day__gte=since_day).order_by("-day")[
        :MAX_ENTRIES
    ]
    cravings = Craving.objects.filter(patient=patient, at__gte=since).order_by("-at")[:MAX_ENTRIES]
    entries = []
    for checkin in checkins:
        # A check-in is about its day: placed when it was sent, or at the end of its day if it
        # was filled in later, so that a late entry does not look like news.
        end_of_day = datetime.combine(checkin.day, time(23, 59), tzinfo=zone)
        late = checkin.created_at > end_of_day
        entries.append(
            TimelineEntry(
                at=end_of_day if late else checkin.created_at,
                kind="Check-in",
                text=_checkin_text(checkin, late=late),
            )
        )
    entries += [
        TimelineEntry(at=craving.at, kind="Craving logged", text=_craving_text(craving))
        for craving in cravings
    ]
    return entries
