"""What the trial adds to the apps below it (dashboard), connected from TrialsConfig.ready()."""

from __future__ import annotations


def connect() -> None:
    """Register this part's hooks, steps and page sections: the trials' headline on the
    admin's home page."""
    from accounts import sections
    from trials.views.dashboard import admin_home_section

    sections.admin_home.register(admin_home_section)
