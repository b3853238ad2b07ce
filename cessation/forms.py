"""Forms of the patient's quit-tracking pages. They turn what was typed on a phone into values;
the rules (ranges, allowed dates, one check-in a day) are the services' and come back as
ValidationErrors shown next to the field."""

from __future__ import annotations

import re
from datetime import date, time
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError

from cessation.models import (
    CheckIn,
    CheckInSchedule,
    Craving,
    Product,
    Support,
    TimeToFirst,
    Trigger,
)
from cessation.schedule import MAX_TIMES, in_quiet_hours, parse_time
from cessation.selectors import WEEKDAY_NAMES
from cessation.services import MAX_NOTE_LENGTH, MAX_REASONS_LENGTH

SCALE = [(n, str(n)) for n in range(11)]
# "3,000" and "1,250.50" group thousands; "14,50" and "12,5" use a comma for the decimal point.
THOUSANDS = re.compile(r"-?\d{1,3}(,\d{3})+(\.\d+)?")
DECIMAL_COMMA = re.compile(r"-?\d+,\d{1,2}")


def normalise_number(value: str, *, comma_message: str) -> str:
    """A number as people type it on a phone: "£14.50", "14,50", " 20 ", "3,000"."""
    text = value.strip().replace("£", "").replace(" ", "")
    if "," not in text:
        return text
    if THOUSANDS.fullmatch(text):
        return text.replace(",", "")
    if DECIMAL_COMMA.fullmatch(text):
        return text.replace(",", ".")
    raise ValidationError(comma_message, code="invalid")


class TypedDecimalField(forms.DecimalField):
    """A decimal in a plain text box with a decimal keypad: a number box would silently drop
    "14,50" in some phone browsers, and the server would then say it was left empty."""

    def __init__(self, *, comma_message: str, **kwargs) -> None:
        self.comma_message = comma_message
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal"}))
        super().__init__(**kwargs)

    def widget_attrs(self, widget):
        # No min/max/step: those belong to number boxes, and the service gives the ranges.
        return {}

    def to_python(self, value):
        if isinstance(value, str) and value.strip():
            value = normalise_number(value, comma_message=self.comma_message)
        return super().to_python(value)


class TypedIntegerField(forms.IntegerField):
    """A whole number in a text box with a number keypad; "3,000" is three thousand."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "numeric"}))
        kwargs.setdefault("error_messages", {})
        kwargs["error_messages"].setdefault("invalid", "Enter a whole number, like 20.")
        super().__init__(**kwargs)

    def widget_attrs(self, widget):
        return {}

    def to_python(self, value):
        if isinstance(value, str) and value.strip():
            value = normalise_number(value, comma_message=self.error_messages["invalid"])
        return super().to_python(value)


def _date_input() -> forms.DateInput:
    return forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


def _scale(label: str, help_text: str, *, required: bool = True) -> forms.TypedChoiceField:
    """A 0 to 10 scale as eleven large radio buttons: works without JavaScript, easy to tap."""
    return forms.TypedChoiceField(
        label=label,
        help_text=help_text,
        choices=SCALE,
        coerce=int,
        empty_value=None,
        required=required,
        widget=forms.RadioSelect(attrs={"class": "scale"}),
        error_messages={"required": "Choose a number from 0 to 10."},
    )


# --- Quit plan -----------------------------------------------------------------------------------

SUPPORTS_WITH_DOSE = [kind for kind in Support.values if kind != Support.NONE]


class QuitPlanForm(forms.Form):
    quit_date = forms.DateField(
        label="Your quit date",
        help_text="Today, or a day in the next 6 weeks.",
        widget=_date_input(),
        error_messages={
            "required": "Choose your quit date.",
            "invalid": "Enter a date, for example 14/06/2025.",
        },
    )
    product = forms.ChoiceField(
        label="What do you smoke?",
        choices=Product.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose what you smoke."},
    )
    per_day = TypedDecimalField(
        label="How many a day, before quitting?",
        help_text="Cigarettes or roll-ups a day. For loose tobacco, grams a day.",
        decimal_places=1,
        comma_message="Write the number without a comma, like 20 or 12.5.",
        error_messages={
            "required": "Enter how many you smoke a day.",
            "invalid": "Enter a number, like 20 or 12.5.",
            "max_decimal_places": "Use a whole number, or one decimal place, like 12.5.",
        },
    )
    pack_price = TypedDecimalField(
        label="Price of a pack or pouch, in pounds",
        help_text="For example 14.50.",
        decimal_places=2,
        comma_message="Write the price like 14.50.",
        error_messages={
            "required": "Enter the price of a pack or pouch.",
            "invalid": "Enter the price in pounds, like 14.50.",
            "max_decimal_places": "Enter pounds and pence, like 14.50.",
        },
    )
    pack_size = TypedIntegerField(
        label="How many in a pack, or grams in a pouch?",
        help_text="Cigarettes: how many in a pack. Roll-ups or loose tobacco: grams in a pouch.",
        error_messages={"required": "Enter how many are in a pack or pouch."},
    )
    time_to_first = forms.ChoiceField(
        label="How soon after waking do you usually have your first cigarette?",
        choices=TimeToFirst.choices,
        widget=forms.RadioSelect,
        required=False,
    )
    supports = forms.MultipleChoiceField(
        label="What will help you quit?",
        help_text="Tick all you use. Add the dose if you know it.",
        choices=Support.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    triggers = forms.MultipleChoiceField(
        label="When do you most want to smoke?",
        help_text="Tick any that fit.",
        choices=Trigger.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    triggers_other = forms.CharField(
        label="Any other times? (optional)",
        max_length=200,
        required=False,
    )
    reasons = forms.CharField(
        label="Your reasons to quit, in your own words (optional)",
        help_text="We show these to you when a craving hits. Stored encrypted.",
        max_length=MAX_REASONS_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        labels = dict(Support.choices)
        for kind in SUPPORTS_WITH_DOSE:
            self.fields[f"dose_{kind}"] = forms.CharField(
                label=f"Dose of {labels[kind].lower()} (optional)",
                max_length=60,
                required=False,
            )

    @classmethod
    def initial_from(cls, plan) -> dict:
        if plan is None:
            return {}
        initial = {
            name: getattr(plan, name)
            for name in (
                "quit_date",
                "product",
                "per_day",
                "pack_price",
                "pack_size",
                "time_to_first",
                "triggers",
                "triggers_other",
                "reasons",
            )
        }
        initial["per_day"] = _plain(plan.per_day)
        initial["supports"] = [item.get("kind") for item in plan.supports]
        for item in plan.supports:
            initial[f"dose_{item.get('kind')}"] = item.get("dose", "")
        return initial

    def support_rows(self) -> list[tuple]:
        """Each support's checkbox with its dose box, to render side by side."""
        boxes = list(self["supports"])
        return [
            (box, self[f"dose_{box.data['value']}"] if box.data["value"] != Support.NONE else None)
            for box in boxes
        ]

    def clean(self) -> dict:
        data = super().clean()
        kinds = data.get("supports") or []
        if Support.NONE in kinds and len(kinds) > 1:
            self.add_error("supports", "You ticked 'Nothing' and something else: untick one.")
        return data

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "quit_date": data["quit_date"],
            "product": data["product"],
            "per_day": data["per_day"],
            "pack_price": data["pack_price"],
            "pack_size": data["pack_size"],
            "time_to_first": data.get("time_to_first") or "",
            # A dose typed for a support that was then unticked is dropped with it.
            "supports": [
                {"kind": kind, "dose": (data.get(f"dose_{kind}") or "").strip()}
                for kind in data.get("supports") or []
            ],
            "triggers": data.get("triggers") or [],
            "triggers_other": data.get("triggers_other") or "",
            "reasons": data.get("reasons") or "",
        }


def _plain(value: Decimal) -> str:
    """20.0 → "20", 12.5 → "12.5": what the person typed, not the database's padding."""
    return format(value.normalize(), "f") if value is not None else ""


# --- Daily check-in ------------------------------------------------------------------------------


class CheckInForm(forms.Form):
    cigarettes = TypedIntegerField(
        label="How many cigarettes or roll-ups have you smoked since your last check-in?",
        help_text="0 is the goal. If you slipped, say so: slips happen, and they are recorded "
        "without blame.",
        error_messages={"required": "Enter how many you smoked. Enter 0 if none."},
    )
    craving = _scale(
        "How strong was your strongest craving?", "0 means no craving, 10 the strongest ever."
    )
    supports_used = forms.MultipleChoiceField(
        label="Did you use any of these?",
        help_text="Tick all you used today.",
        choices=[(k, v) for k, v in Support.choices if k != Support.NONE],
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    mood = _scale("How is your mood?", "0 means very low, 10 means very good.")
    sleep = forms.ChoiceField(
        label="How did you sleep last night?",
        choices=CheckIn.Sleep.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose how you slept."},
    )
    harm_thoughts = forms.ChoiceField(
        label="Have you had thoughts of harming yourself?",
        help_text="If you answer yes, we will show you where to get help straight away and let "
        "your care team know, so they can support you. You will not be in trouble.",
        choices=[
            (CheckIn.SafetyAnswer.NO, "No"),
            (CheckIn.SafetyAnswer.YES, "Yes"),
            (CheckIn.SafetyAnswer.NOT_SAY, "I'd rather not say"),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": "Please answer this question."},
    )
    note = forms.CharField(
        label="Anything else you want your care team to know? (optional)",
        help_text="Your care team reads this, but not straight away. If you need help now, use "
        "Get help now at the top of the page.",
        max_length=MAX_NOTE_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    @classmethod
    def initial_from(cls, checkin) -> dict:
        if checkin is None:
            return {}
        return {
            "cigarettes": checkin.cigarettes,
            "craving": checkin.craving,
            "supports_used": checkin.supports_used,
            "mood": checkin.mood,
            "sleep": checkin.sleep,
            "harm_thoughts": checkin.harm_thoughts,
            "note": checkin.note,
        }


# --- Craving now ---------------------------------------------------------------------------------


def _optional_radio(label: str, choices) -> forms.ChoiceField:
    return forms.ChoiceField(label=label, choices=choices, required=False, widget=forms.RadioSelect)


class CravingForm(forms.Form):
    intensity = _scale(
        "How strong is the craving?", "0 means hardly at all, 10 the strongest ever."
    )
    where = _optional_radio("Where are you?", Craving.Where.choices)
    with_whom = _optional_radio("Who are you with?", Craving.WithWhom.choices)
    doing = _optional_radio("What were you doing?", Craving.Doing.choices)
    mood = _scale("How is your mood?", "0 means very low, 10 means very good.", required=False)
    smoked = forms.TypedChoiceField(
        label="Did you smoke?",
        choices=[("no", "No"), ("yes", "Yes, I smoked")],
        coerce=lambda value: value == "yes",
        empty_value=False,
        required=False,
        widget=forms.RadioSelect,
    )


# --- CO readings and medications -----------------------------------------------------------------


class COReadingForm(forms.Form):
    taken_on = forms.DateField(
        label="Date of the reading",
        widget=_date_input(),
        error_messages={
            "required": "Enter the date of the reading.",
            "invalid": "Enter a date, for example 14/06/2025.",
        },
    )
    ppm = TypedIntegerField(
        label="Reading in ppm (parts per million)",
        help_text="The number the CO monitor showed. Under 10 means you are most likely not "
        "smoking.",
        error_messages={"required": "Enter the reading."},
    )

    def __init__(self, *args, today: date | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if today is not None:
            self.fields["taken_on"].initial = today


class MedicationForm(forms.Form):
    name = forms.CharField(
        label="Medicine name",
        help_text="Start typing to pick from common ones, or type any name.",
        max_length=60,
        widget=forms.TextInput(attrs={"list": "medication-names", "autocomplete": "off"}),
        error_messages={"required": "Enter the medicine's name."},
    )
    dose = forms.CharField(
        label="Dose (optional)",
        help_text="For example 300 mg a day.",
        max_length=60,
        required=False,
    )


# --- Check-in reminders --------------------------------------------------------------------------

# "19:00", "19.00", "1900", "7pm", "7:30 pm", "19h00": what people type where a phone's browser
# shows a plain text box instead of a time picker.
TIME_TYPED = re.compile(r"(\d{1,2})(?:\s*[:.h]\s*(\d{2})|(\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)?", re.I)
TIME_SLOTS = range(1, MAX_TIMES + 1)
WEEKDAYS = list(enumerate(WEEKDAY_NAMES))
ORDINALS = ("First", "Second", "Third", "Fourth")


def parse_typed_time(value: str) -> str:
    """A time of day as typed → "HH:MM" (24-hour clock); a ValidationError if it is none."""
    text = value.strip()
    match = TIME_TYPED.fullmatch(text)
    if match:
        hours, minutes = int(match[1]), int(match[2] or match[3] or 0)
        meridiem = (match[4] or "").lower().replace(".", "")
        if meridiem and 1 <= hours <= 12:
            hours = hours % 12 + (12 if meridiem == "pm" else 0)
        elif meridiem:
            hours = 99
        if hours <= 23 and minutes <= 59:
            return f"{hours:02d}:{minutes:02d}"
    raise ValidationError(
        f"“{text}” is not a time of day. Enter a time on the 24-hour clock, like 19:00.",
        code="invalid",
    )


class ReminderTimeField(forms.CharField):
    """A time of day in a time box (a picker on most phones; a text box on the oldest). The value
    is "HH:MM", or "" when left empty."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 12)
        kwargs.setdefault("widget", forms.TimeInput(attrs={"type": "time"}))
        super().__init__(**kwargs)

    def widget_attrs(self, widget):
        return {}  # no maxlength: it means nothing on a time box

    def to_python(self, value) -> str:
        text = super().to_python(value)
        return parse_typed_time(text) if text else ""


class ScheduleForm(forms.Form):
    """When a patient is reminded to check in: every day or one day a week, at 1 to 4 times,
    more often in the first weeks after discharge, never in quiet hours.

    The patient's page and their clinician's use it; only the clinician's has the quiet hours
    (`quiet_editable`), and the early times appear only while the first weeks after discharge
    last (`early`). Times in quiet hours are caught here so that each message sits next to the
    time it is about; the service checks the same rules again and has the last word.
    """

    frequency = forms.ChoiceField(
        choices=CheckInSchedule.Frequency.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose every day or once a week."},
    )
    weekday = forms.TypedChoiceField(
        choices=WEEKDAYS,
        coerce=int,
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
    )

    def __init__(
        self,
        *args,
        schedule: CheckInSchedule,
        for_patient: bool = True,
        early: bool = False,
        quiet_editable: bool = False,
        **kwargs,
    ) -> None:
        kwargs.setdefault("initial", self.initial_from(schedule))
        super().__init__(*args, **kwargs)
        self.schedule = schedule
        self.early = early
        self.quiet_editable = quiet_editable
        self.fields["frequency"].label = (
            "How often do you want a reminder?" if for_patient else "How often are they reminded?"
        )
        self.fields["weekday"].label = "Which day of the week?"
        self.fields["weekday"].help_text = "Only for reminders once a week."
        for n in TIME_SLOTS:
            self.fields[f"time_{n}"] = ReminderTimeField(
                label=f"{ORDINALS[n - 1]} time" + ("" if n == 1 else " (optional)")
            )
        if early:
            for n in TIME_SLOTS:
                self.fields[f"early_{n}"] = ReminderTimeField(
                    label=f"{ORDINALS[n - 1]} time in the first weeks (optional)"
                )
        if quiet_editable:
            self.fields["quiet_start"] = ReminderTimeField(
                label="Quiet hours start",
                required=True,
                error_messages={"required": "Enter when quiet hours start, like 22:00."},
            )
            self.fields["quiet_end"] = ReminderTimeField(
                label="Quiet hours end",
                required=True,
                error_messages={"required": "Enter when quiet hours end, like 08:00."},
            )

    @staticmethod
    def initial_from(schedule: CheckInSchedule) -> dict:
        initial = {"frequency": schedule.frequency, "weekday": schedule.weekday}
        for prefix, values in (("time", schedule.times), ("early", schedule.early_times)):
            for n, value in zip(TIME_SLOTS, values or [], strict=False):
                initial[f"{prefix}_{n}"] = value
        initial["quiet_start"] = f"{schedule.quiet_start:%H:%M}"
        initial["quiet_end"] = f"{schedule.quiet_end:%H:%M}"
        return initial

    # Groups of fields, for templates that lay them out in fieldsets.
    def time_fields(self) -> list:
        return [self[f"time_{n}"] for n in TIME_SLOTS]

    def early_fields(self) -> list:
        return [self[f"early_{n}"] for n in TIME_SLOTS] if self.early else []

    def quiet_fields(self) -> list:
        return [self["quiet_start"], self["quiet_end"]] if self.quiet_editable else []

    def _quiet_hours(self) -> tuple[time, time] | None:
        if not self.quiet_editable:
            return self.schedule.quiet_start, self.schedule.quiet_end
        start, end = self.cleaned_data.get("quiet_start"), self.cleaned_data.get("quiet_end")
        if not start or not end:
            return None  # already an error of its own
        return parse_time(start), parse_time(end)

    def clean(self) -> dict:
        data = super().clean()
        if (
            data.get("frequency") == CheckInSchedule.Frequency.WEEKLY
            and data.get("weekday") is None
            and "weekday" not in self.errors
        ):
            self.add_error("weekday", "Choose the day of the week for your reminder.")
        quiet = self._quiet_hours()
        prefixes = ["time"] + (["early"] if self.early else [])
        for prefix in prefixes:
            filled = [n for n in TIME_SLOTS if data.get(f"{prefix}_{n}")]
            bad = {n for n in TIME_SLOTS if f"{prefix}_{n}" in self.errors}
            if prefix == "time" and not filled and not bad:
                self.add_error("time_1", "Choose at least one time, like 19:00.")
            if quiet is None:
                continue
            for n in filled:
                moment = parse_time(data[f"{prefix}_{n}"])
                if in_quiet_hours(moment, *quiet):
                    self.add_error(
                        f"{prefix}_{n}",
                        f"{moment:%H:%M} is in quiet hours ({quiet[0]:%H:%M} to "
                        f"{quiet[1]:%H:%M}), when we send no reminders. Choose another time.",
                    )
        return data

    def service_kwargs(self) -> dict:
        """The arguments of services.schedule_update."""
        data = self.cleaned_data
        kwargs = {
            "frequency": data["frequency"],
            "times": [data[f"time_{n}"] for n in TIME_SLOTS if data.get(f"time_{n}")],
            # Early times not on the form (the first weeks are over) are kept as they are, but
            # for any that new quiet hours now cover (the service drops those).
            "early_times": (
                [data[f"early_{n}"] for n in TIME_SLOTS if data.get(f"early_{n}")]
                if self.early
                else None
            ),
            "weekday": data.get("weekday")
            if data["frequency"] == CheckInSchedule.Frequency.WEEKLY
            else None,
        }
        if self.quiet_editable:
            kwargs["quiet_start"] = data["quiet_start"]
            kwargs["quiet_end"] = data["quiet_end"]
        return kwargs

    def apply_service_errors(self, exc: ValidationError) -> None:
        """A service's refusal next to the field it is about: its "times" and "early_times"
        errors go to the first box of each group."""
        if not hasattr(exc, "error_dict"):
            self.add_error(None, exc)
            return
        for field, errors in exc.error_dict.items():
            target = {"times": "time_1", "early_times": "early_1"}.get(field, field)
            self.add_error(target if target in self.fields else None, errors)
