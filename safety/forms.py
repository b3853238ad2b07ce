"""Forms of safety: triage actions on a flag, a concern, the safety plan."""

from __future__ import annotations

from django import forms

from accounts.models import User
from safety.models import Flag, SafetyPlan, Severity
from safety.services.flags import MAX_NOTE_LENGTH
from safety.services.plans import MAX_SECTION_LENGTH


class FlagNoteForm(forms.Form):
    note = forms.CharField(
        label="Note",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=MAX_NOTE_LENGTH,
        # Optional here: recording contact needs no words; the service asks for a note otherwise.
        required=False,
        help_text="Stored encrypted. Visible to the clinicians who handle this flag.",
    )
    contact_made = forms.BooleanField(
        label="I have been in contact with the patient", required=False
    )


class FlagResolveForm(forms.Form):
    outcome = forms.ChoiceField(
        label="What happened?", choices=Flag.Outcome.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(
        label="Note (needed for 'Other')",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=MAX_NOTE_LENGTH,
        required=False,
    )


class _ClinicianChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return obj.full_name


class FlagHandOverForm(forms.Form):
    to = _ClinicianChoice(label="Hand over to", queryset=User.objects.none())
    note = forms.CharField(
        label="Note for them (optional)",
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=MAX_NOTE_LENGTH,
        required=False,
    )

    def __init__(self, *args, clinicians, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to"].queryset = clinicians


class ConcernForm(forms.Form):
    severity = forms.ChoiceField(
        label="How urgent is it?",
        choices=[
            (Severity.CRITICAL, "Critical: I think they are at risk now"),
            (Severity.HIGH, "High: needs a response within hours"),
            (Severity.MEDIUM, "Medium: within a day"),
            (Severity.LOW, "Low: for their clinician to know"),
        ],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label="What worries you?",
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=MAX_NOTE_LENGTH,
        help_text="Stored encrypted and shown only to the clinicians who handle it.",
    )


class SafetyPlanForm(forms.Form):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name, title, hint in SafetyPlan.SECTIONS:
            self.fields[name] = forms.CharField(
                label=title,
                help_text=hint,
                required=False,
                max_length=MAX_SECTION_LENGTH,
                widget=forms.Textarea(attrs={"rows": 3}),
            )


class OnCallForm(forms.Form):
    on_call = forms.BooleanField(required=False)
