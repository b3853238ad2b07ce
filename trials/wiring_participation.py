"""What the trial adds to the apps below it (participation), connected from TrialsConfig.ready():
the study's onboarding step, the hooks that enrol, randomise and withdraw, the narrower journey
of the arm without the programme, and the sections on the care team's and the patient's pages."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

# Steps of the programme that an arm without it does not get (its safety plan stays).
PROGRAMME_ONLY_STEPS = ("quit_plan", "tour", "groups")


def study_step_restriction(step, patient) -> bool:
    """onboarding.registry.steps.restrict: drop the programme's steps for a study-only patient."""
    from trials.gate import study_only

    return step.key not in PROGRAMME_ONLY_STEPS or not study_only(patient)


def connect() -> None:
    """Register this part's hooks, steps and page sections."""
    from accounts import sections
    from onboarding import hooks
    from onboarding.registry import Step, steps
    from onboarding.steps import TRIAL_CONSENT
    from trials.gate import consent_step_applies
    from trials.services import participation
    from trials.views import participation as views

    steps.register(
        Step(
            key=TRIAL_CONSENT,
            title=_("The study"),
            order=35,
            url_name="trials:consent",
            summary=_("Whether you want to take part in the study"),
            applies=consent_step_applies,
        )
    )
    steps.restrict(study_step_restriction)
    hooks.consent_given.register(participation.on_consent_given)
    hooks.consent_withdrawn.register(participation.on_consent_withdrawn)
    hooks.step_completed.register(participation.on_step_completed)
    sections.staff_patient_page.register(views.staff_patient_section)
    sections.patient_home.register(views.patient_home_section)
