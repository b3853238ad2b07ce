"""Forms of follow-ups (the participant's questions, the research team's recording) and of
adverse events (recording by the care team, assessment by the trial team)."""

from __future__ import annotations

from datetime import date

from django import forms
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from trials.models import AdverseEvent, FollowUp, Trial
from trials.services.followups import Answers

YES_NO = [("yes", _("Yes")), ("no", _("No"))]


def _date_input() -> forms.DateInput:
    return forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


def _yes_no(value: str) -> bool:
    return value == "yes"


class FollowUpAnswerForm(forms.Form):
    """The Russell Standard questions, in plain words."""

    smoked_since = forms.ChoiceField(
        label=_("Since the date above, have you smoked?"),
        choices=FollowUp.SmokedSince.choices,
        widget=forms.RadioSelect,
    )
    smoked_last_7_days = forms.TypedChoiceField(
        label=_("In the last 7 days, have you smoked at all, even a puff?"),
        choices=YES_NO,
        coerce=_yes_no,
        widget=forms.RadioSelect,
    )
    cigarettes_per_day = forms.IntegerField(
        label=_("If you smoke now: how many a day?"),
        help_text=_("Cigarettes or roll-ups on a usual day. Leave it empty if you do not smoke."),
        min_value=0,
        max_value=200,
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )

    def __init__(self, *args, since: date | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if since is not None:
            self.fields["smoked_since"].label = _("Since %(date)s, have you smoked?") % {
                "date": date_format(since, "l j F Y")
            }

    def answers(self) -> Answers:
        data = self.cleaned_data
        return Answers(
            smoked_since=data["smoked_since"],
            smoked_last_7_days=data["smoked_last_7_days"],
            cigarettes_per_day=data.get("cigarettes_per_day"),
        )


class StaffFollowUpForm(FollowUpAnswerForm):
    """The research team records a follow-up: the answers (asked by phone), a CO reading, or
    both, at a time point they choose."""

    field_order = [
        "point",
        "smoked_since",
        "smoked_last_7_days",
        "cigarettes_per_day",
        "co_ppm",
        "co_taken_on",
    ]
    point = forms.ChoiceField(label=_("Time point"))
    co_ppm = forms.IntegerField(
        label=_("CO reading (ppm)"),
        help_text=_("Breath carbon monoxide, 0 to 100. Under 10 verifies not smoking."),
        min_value=0,
        max_value=100,
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    co_taken_on = forms.DateField(
        label=_("Date the reading was taken"),
        required=False,
        widget=_date_input(),
    )

    def __init__(self, *args, trial: Trial, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.trial = trial
        self.fields["point"].choices = [
            (point.code, point.label) for point in trial.points.order_by("order", "due_day")
        ]
        self.fields["smoked_since"].label = _(
            "Since two weeks after the quit date, have they smoked?"
        )
        self.fields["smoked_since"].required = False
        self.fields["smoked_since"].choices = [
            ("", _("Not asked now")),
            *FollowUp.SmokedSince.choices,
        ]
        self.fields["smoked_last_7_days"].label = _(
            "In the last 7 days, have they smoked at all, even a puff?"
        )
        self.fields["smoked_last_7_days"].required = False
        self.fields["smoked_last_7_days"].choices = [("", _("Not asked now")), *YES_NO]
        self.fields["smoked_last_7_days"].empty_value = None
        self.fields["cigarettes_per_day"].label = _("If they smoke now: how many a day?")
        self.fields["cigarettes_per_day"].help_text = ""

    def clean(self):
        data = super().clean()
        asked = data.get("smoked_since") or data.get("smoked_last_7_days") is not None
        if asked:
            for field in ("smoked_since", "smoked_last_7_days"):
                if data.get(field) in ("", None) and field not in self.errors:
                    self.add_error(field, _("Answer both questions, or neither."))
        has_co = data.get("co_ppm") is not None or data.get("co_taken_on") is not None
        if not asked and not has_co and not self.errors:
            raise forms.ValidationError(_("Give the answers, a CO reading, or both."))
        return data

    def point_obj(self):
        return self.trial.points.get(code=self.cleaned_data["point"])

    def staff_answers(self) -> Answers | None:
        if not self.cleaned_data.get("smoked_since"):
            return None
        return self.answers()


class AdverseEventRecordForm(forms.Form):
    source = forms.ChoiceField(
        label=_("What happened"),
        choices=[
            (AdverseEvent.Source.READMISSION, _("Admitted to hospital again")),
            (AdverseEvent.Source.DEATH, _("Died")),
        ],
        widget=forms.RadioSelect,
    )
    occurred_on = forms.DateField(label=_("Date"), widget=_date_input())
    description = forms.CharField(
        label=_("Note for the trial team (optional)"),
        help_text=_("What is known, in a few words. Kept encrypted; not included in exports."),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


def _assessed(choices) -> list[tuple[str, str]]:
    return [("", _("Choose…"))] + [c for c in choices.choices if c[0] != choices.NOT_ASSESSED]


class AdverseEventAssessForm(forms.Form):
    seriousness = forms.ChoiceField(
        label=_("Seriousness"), choices=_assessed(AdverseEvent.Seriousness)
    )
    relatedness = forms.ChoiceField(
        label=_("Related to taking part in the study?"),
        choices=_assessed(AdverseEvent.Relatedness),
    )
    expectedness = forms.ChoiceField(
        label=_("Expectedness"), choices=_assessed(AdverseEvent.Expectedness)
    )


class AdverseEventFilterForm(forms.Form):
    unassessed = forms.BooleanField(label=_("Not yet assessed only"), required=False)
    serious = forms.BooleanField(label=_("Serious only"), required=False)
