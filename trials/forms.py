"""Forms of the trial's participation pages. They turn what was typed or tapped into values; the
rules are the services' (trials/services/participation.py), whose ValidationErrors are shown
next to the field with nothing saved."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from onboarding.models import Consent
from trials.models import Participant, ScreeningEntry, Withdrawal


class ScreeningForm(forms.Form):
    """One person approached who does not take part: no name, nothing that identifies them."""

    outcome = forms.ChoiceField(
        label=_("What happened?"),
        choices=[
            choice
            for choice in ScreeningEntry.Outcome.choices
            if choice[0] != ScreeningEntry.Outcome.ENROLLED
        ],
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose what happened.")},
    )
    reason = forms.ChoiceField(
        label=_("Main reason"),
        choices=[("", _("No reason (could not be reached)")), *ScreeningEntry.Reason.choices],
        required=False,
        help_text=_("Needed for 'Not eligible' and 'Declined'. Do not write any names."),
    )
    screened_on = forms.DateField(
        label=_("Date approached"),
        # ISO format: a date input shows nothing for "25/06/2025", so today's date is lost.
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
        error_messages={"required": _("Enter the date."), "invalid": _("Enter a real date.")},
    )


class EnrolForm(forms.Form):
    diagnosis_group = forms.ChoiceField(
        label=_("Diagnosis group (used to keep the groups balanced)"),
        choices=Participant.DiagnosisGroup.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose the diagnosis group.")},
    )


class StudyAnswerForm(forms.Form):
    """ "I agree to take part in the study" or "No thanks", with the version of the words read."""

    AGREE, DECLINE = "agree", "decline"

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, required=False)
    answer = forms.ChoiceField(
        choices=[(AGREE, _("I agree")), (DECLINE, _("No thanks"))],
        widget=forms.HiddenInput,
        error_messages={"required": _("Choose one of the two buttons.")},
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("answer") == self.AGREE and not cleaned.get("version"):
            raise forms.ValidationError(_("The page was out of date. Please read it again."))
        return cleaned


class WithdrawalForm(forms.Form):
    level = forms.ChoiceField(
        label=_("What does the participant stop?"),
        choices=Withdrawal.Level.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose what the participant stops.")},
    )
    reason = forms.ChoiceField(
        label=_("Reason, if given"),
        choices=[
            ("", _("Not recorded")),
            *(
                choice
                for choice in Consent.WithdrawalReason.choices
                if choice[0] != Consent.WithdrawalReason.SUPERSEDED
            ),
        ],
        required=False,
    )


class AllocationNoteForm(forms.Form):
    text = forms.CharField(
        label=_("Note"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=2000,
        help_text=_("The allocation itself never changes. No names."),
        error_messages={"required": _("Write the note.")},
    )
