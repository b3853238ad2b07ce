"""Forms of onboarding. They turn what was typed or tapped into values; the rules are the
services' (and the owning apps'), and their ValidationErrors are shown next to the field with
nothing saved."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from cessation.forms import TypedIntegerField
from cessation.models import TimeToFirst
from onboarding import baseline as rules
from onboarding import quiz
from onboarding.models import Baseline, Consent

SCALE = [(n, str(n)) for n in range(11)]


class ConsentForm(forms.Form):
    """ "I agree", with the version of the words the person read."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    agree = forms.BooleanField(
        label=_("I have read this and I agree to take part"),
        error_messages={
            "required": _("Tick the box to say you agree. Not ready? You can come back later.")
        },
    )


class WithdrawForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("Why are you stopping? (this helps us improve)"),
        choices=[
            choice
            for choice in Consent.WithdrawalReason.choices
            if choice[0] != Consent.WithdrawalReason.SUPERSEDED
        ],
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose a reason, or 'rather not say'.")},
    )


class BaselineForm(forms.Form):
    age_started = TypedIntegerField(
        label=_("How old were you when you started smoking?"),
        help_text=_("A rough guess is fine."),
        error_messages={"required": _("Enter an age, for example 16.")},
    )
    per_day = TypedIntegerField(
        label=_("How many cigarettes or roll-ups do you smoke on a usual day?"),
        error_messages={"required": _("Enter a number, for example 20.")},
    )
    time_to_first = forms.ChoiceField(
        label=_("How soon after waking do you have your first cigarette?"),
        choices=TimeToFirst.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose one of the answers.")},
    )
    quit_attempts = forms.ChoiceField(
        label=_("How many times have you tried to stop in the last year?"),
        choices=Baseline.QuitAttempts.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose one of the answers.")},
    )
    motivation = forms.ChoiceField(
        label=_("How do you feel about stopping?"),
        help_text=_("There is no wrong answer. You can take part whatever you choose."),
        choices=Baseline.Motivation.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose one of the answers.")},
    )
    vapes = forms.TypedChoiceField(
        label=_("Do you use an e-cigarette (vape) now?"),
        choices=[("no", _("No")), ("yes", _("Yes"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose yes or no.")},
    )
    medicines = forms.MultipleChoiceField(
        label=_("Do you take any of these medicines?"),
        help_text=_(
            "Stopping smoking can change how much of some medicines is in your blood. Your care "
            "team will check them around your quit date."
        ),
        choices=rules.MEDICINE_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Tick at least one answer, even 'None of these'.")},
    )
    support_wanted = forms.MultipleChoiceField(
        label=_("What support would you like?"),
        help_text=_("Tick any that you want. You can change your mind later."),
        choices=rules.SUPPORT_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    mood = forms.TypedChoiceField(
        label=_("How is your mood today?"),
        help_text=_("0 means very low, 10 means very good."),
        choices=SCALE,
        coerce=int,
        empty_value=None,
        widget=forms.RadioSelect(attrs={"class": "scale"}),
        error_messages={"required": _("Choose a number from 0 to 10.")},
    )

    @classmethod
    def initial_from(cls, baseline: Baseline | None) -> dict:
        if baseline is None:
            return {}
        return {
            "age_started": baseline.age_started,
            "per_day": baseline.per_day,
            "time_to_first": baseline.time_to_first,
            "quit_attempts": baseline.quit_attempts,
            "motivation": baseline.motivation,
            "vapes": "yes" if baseline.vapes else "no",
            "medicines": baseline.medicines,
            "support_wanted": baseline.support_wanted,
            "mood": baseline.mood,
        }


class QuizForm(forms.Form):
    """The three questions on the guidelines; every question must be answered, any answer is
    accepted (a wrong one is explained)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for question in quiz.QUESTIONS:
            self.fields[question.key] = forms.ChoiceField(
                label=question.text,
                choices=question.choices,
                widget=forms.RadioSelect,
                error_messages={"required": _("Choose an answer.")},
            )


class MarkDoneForm(forms.Form):
    """Staff, assisting: the explanation was gone through together with the patient."""

    together = forms.BooleanField(
        label=_("We went through this together"),
        error_messages={"required": _("Tick the box once you have gone through it together.")},
    )


class AssistStartForm(forms.Form):
    present = forms.BooleanField(
        label=_("The patient is with me now and has agreed that I help them"),
        error_messages={
            "required": _("Assist only with the patient present and agreeing: tick the box.")
        },
    )
