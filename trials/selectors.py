"""Reads of the trial shared by its pages, services and tasks."""

from __future__ import annotations

from django.db.models import QuerySet

from trials.models import Participant, Trial


def trial_managers(trial: Trial) -> list:
    """Who is told of what needs the trial team (a serious adverse event, a withdrawal, a used-up
    sequence): the trial manager, or every active admin if the trial has none (or theirs is no
    longer an active admin)."""
    from accounts.models import Role, User

    manager = trial.manager
    if manager is not None and manager.is_active and manager.role == Role.ADMIN:
        return [manager]
    return list(User.objects.filter(role=Role.ADMIN, is_active=True).order_by("pk"))


def trial_recruiting() -> Trial | None:
    """The trial recruiting now, if any (at most one recruits at a time)."""
    return Trial.objects.filter(status=Trial.Status.RECRUITING).first()


def trials_all() -> QuerySet[Trial]:
    return Trial.objects.select_related("manager").prefetch_related("arms", "points")


def trial_get(*, slug: str, with_design: bool = True) -> Trial:
    """The trial, 404 if none; with its arms and follow-up points unless `with_design` is False
    (the dashboard reads its own, and only when its kept page is out of date: two queries
    fewer per view)."""
    from django.shortcuts import get_object_or_404

    trials = trials_all() if with_design else Trial.objects.select_related("manager")
    return get_object_or_404(trials, slug=slug)


def participant_current(*, patient) -> Participant | None:
    """The patient's participation in a trial that has not closed, with its allocation."""
    return (
        Participant.objects.select_related("trial", "allocation__arm")
        .exclude(trial__status=Trial.Status.CLOSED)
        .filter(patient=patient)
        .order_by("-enrolled_at")
        .first()
    )
