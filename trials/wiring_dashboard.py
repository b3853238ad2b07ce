"""What the trial adds to the apps below it (dashboard), connected from TrialsConfig.ready()."""

from __future__ import annotations


def connect() -> None:
    """Register this part's hooks, steps and page sections: the trials' headline on the
    admin's home page; and the receivers that make the kept dashboard figures stale when the
    records they count change (trials/dashboard_cache.py)."""
    from django.db.models.signals import post_delete, post_save

    from accounts import sections
    from onboarding.models import StepRecord
    from trials import dashboard_cache, models
    from trials.views.dashboard import admin_home_section

    sections.admin_home.register(admin_home_section)
    counted = (
        models.Trial,
        models.Arm,
        models.FollowUpPoint,
        models.ScreeningEntry,
        models.Participant,
        models.Withdrawal,
        models.Allocation,
        models.FollowUp,
        models.AdverseEvent,
        StepRecord,
    )
    for model in counted:
        for signal in (post_save, post_delete):
            signal.connect(
                dashboard_cache.forget,
                sender=model,
                dispatch_uid=f"trials.dashboard.{model._meta.label}.{signal is post_save}",
            )
