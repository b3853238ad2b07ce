"""Forms of trial set-up (trial managers)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from trials import strata
from trials.models import FollowUpPoint

BLOCK_MULTIPLE_CHOICES = [(1, "1"), (2, "2"), (3, "3"), (4, "4")]


class TrialForm(forms.Form):
    name = forms.CharField(label=_("Name of the trial"), max_length=120)
    slug = forms.SlugField(
        label=_("Short name"),
        max_length=40,
        help_text=_("Letters, numbers and hyphens, used in addresses and exports, e.g. exhale-ft."),
    )
    registration = forms.CharField(
        label=_("Registration number"),
        max_length=40,
        required=False,
        help_text=_("For example ISRCTN12345678. Optional until you have it."),
    )
    recruitment_target = forms.IntegerField(
        label=_("Recruitment target"),
        min_value=1,
        max_value=100000,
        help_text=_("How many participants are to be randomised."),
    )
    strata_factors = forms.MultipleChoiceField(
        label=_("Stratify randomisation by"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=[(key, factor.label) for key, factor in strata.FACTORS.items()],
        help_text=_("Allocation is balanced within each combination of these."),
    )
    block_multiples = forms.TypedMultipleChoiceField(
        label=_("Block sizes (multiples of the allocation ratio)"),
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        choices=BLOCK_MULTIPLE_CHOICES,
        help_text=_(
            "Blocks of varying size keep the next allocation unpredictable. With 1:1, "
            "multiples 1, 2 and 3 give blocks of 2, 4 and 6."
        ),
    )

    def __init__(self, *args, editing: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            self.fields["slug"].disabled = True
            self.fields["slug"].help_text = _("The short name cannot change.")


class ArmForm(forms.Form):
    code = forms.SlugField(
        label=_("Code"), max_length=24, help_text=_("Used in exports, e.g. usual_care.")
    )
    label = forms.CharField(label=_("Name"), max_length=80)
    description = forms.CharField(
        label=_("What participants in this arm get"), max_length=300, required=False
    )
    ratio = forms.IntegerField(
        label=_("Allocation ratio"),
        min_value=1,
        max_value=9,
        initial=1,
        help_text=_("For 2:1, give this arm 2 and the other 1."),
    )
    gets_programme = forms.BooleanField(
        label=_("Gets the Exhale programme"),
        required=False,
        help_text=_(
            "Leave unticked for usual care: follow-up questionnaires and crisis support only."
        ),
    )


class PointForm(forms.Form):
    code = forms.SlugField(label=_("Code"), max_length=16, help_text=_("Used in exports, e.g. 4w."))
    label = forms.CharField(label=_("Name"), max_length=60)
    anchor = forms.ChoiceField(
        label=_("Days are counted from"),
        choices=FollowUpPoint.Anchor.choices,
        widget=forms.RadioSelect,
    )
    due_day = forms.IntegerField(label=_("Due on day"), min_value=0, max_value=1000)
    window_start_day = forms.IntegerField(
        label=_("Window opens on day"), min_value=0, max_value=1000
    )
    window_end_day = forms.IntegerField(
        label=_("Window closes on day"), min_value=0, max_value=1000
    )
    co_verified = forms.BooleanField(
        label=_("Verify abstinence with a CO breath test (under 10 ppm)"), required=False
    )
    is_primary = forms.BooleanField(label=_("Primary outcome point"), required=False)

    def clean(self):
        data = super().clean()
        start, due, end = (data.get(k) for k in ("window_start_day", "due_day", "window_end_day"))
        if None not in (start, due, end) and not start <= due <= end:
            raise forms.ValidationError(
                _("The window must open on or before the due day and close on or after it.")
            )
        return data


class OpenRecruitmentForm(forms.Form):
    seed = forms.CharField(
        label=_("Seed from the trial statistician (optional)"),
        max_length=128,
        required=False,
        help_text=_(
            "At least 16 hexadecimal characters. Leave empty and Exhale makes a random one. "
            "Either way it is shown once, and only its fingerprint is kept."
        ),
    )
    confirm = forms.BooleanField(
        label=_(
            "I understand that arms, strata and follow-up points cannot change once recruitment "
            "opens, and that I must keep the seed safe."
        ),
    )


class ConfirmForm(forms.Form):
    confirm = forms.BooleanField(label=_("Yes, I am sure"))
