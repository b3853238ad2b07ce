"""The built-in steps of onboarding, in order. The trial's steps come from trials/apps.py."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from onboarding.registry import Step, steps

WELCOME = "welcome"
PRIVACY = "privacy"
CONSENT = "consent"
ABOUT_YOU = "about_you"
SAFETY_PLAN = "safety_plan"
QUIT_PLAN = "quit_plan"
TOUR = "tour"
GROUPS = "groups"
# The key of the step a running trial contributes for consent to the study (trials/apps.py):
# consent to the study is offered, and accepted, only to a patient that step applies to.
TRIAL_CONSENT = "trial_consent"

BUILT_IN = (
    Step(
        WELCOME,
        _("Welcome"),
        10,
        "onboarding:welcome",
        summary=_("What Exhale is, and is not"),
    ),
    Step(
        PRIVACY,
        _("Your data"),
        20,
        "onboarding:privacy_step",
        summary=_("Who can see what, in plain words"),
    ),
    Step(
        CONSENT,
        _("Your agreement"),
        30,
        "onboarding:consent",
        gate=True,
        summary=_("Agreeing to take part"),
    ),
    Step(
        ABOUT_YOU,
        _("About you"),
        40,
        "onboarding:about_you",
        summary=_("Your smoking, medicines, mood today"),
    ),
    Step(
        SAFETY_PLAN,
        _("Safety plan"),
        50,
        "onboarding:safety_plan",
        skippable=True,
        summary=_("Your own plan for hard moments"),
    ),
    Step(
        QUIT_PLAN,
        _("Quit plan"),
        60,
        "onboarding:quit_plan",
        skippable=True,
        summary=_("Your quit date and what will help"),
    ),
    Step(
        TOUR,
        _("A tour of Exhale"),
        70,
        "onboarding:tour",
        skippable=True,
        summary=_("Try each part with your own information"),
    ),
    Step(
        GROUPS,
        _("Peer groups"),
        80,
        "onboarding:groups",
        skippable=True,
        summary=_("Group guidelines, your group name, joining a group"),
    ),
)


def register_built_in() -> None:
    for step in BUILT_IN:
        steps.register(step)
