"""What the trial adds to the apps below it (followups), connected from TrialsConfig.ready()."""

from __future__ import annotations


def connect() -> None:
    """Register this part's hooks, steps and page sections: the study section of the care
    team's page about a patient (follow-ups, CO readings, readmissions and deaths).

    Safety has no hook for a new flag (and must not import trials), so adverse events from
    flags are made by the sweep every minute (trials.tasks.adverse_events_from_flags_task)."""
    from accounts import sections
    from trials import followups_ui

    sections.staff_patient_page.register(followups_ui.staff_patient_section)
    sections.admin_home.register(followups_ui.admin_home_section)
