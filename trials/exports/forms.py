"""The export page's form: why (a reason from a fixed list) and which file (the button pressed)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from trials.exports.datasets import DATASETS
from trials.exports.services import PURPOSES

# The files the page offers: each dataset as CSV, JSON or its dictionary; the whole
# dictionary; the README; everything as one ZIP.
FILE_CHOICES = (
    *((f"{key}.csv", f"{key}.csv") for key in DATASETS),
    *((f"{key}.json", f"{key}.json") for key in DATASETS),
    *((f"{key}.dictionary", f"{key} dictionary") for key in DATASETS),
    ("dictionary", "data_dictionary.csv"),
    ("readme", "README.md"),
    ("all.zip", _("Everything, as one ZIP file")),
)


class ExportForm(forms.Form):
    purpose = forms.ChoiceField(
        label=_("Why are you exporting the data?"),
        choices=PURPOSES,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose why you are exporting the data.")},
        help_text=_("This goes into the audit log with your name and the file."),
    )
    file = forms.ChoiceField(
        choices=FILE_CHOICES,
        widget=forms.HiddenInput,
        error_messages={
            "required": _("Choose a file to download."),
            "invalid_choice": _("Choose a file to download."),
        },
    )

    def what_and_format(self) -> tuple[str, str]:
        """(dataset key, "dictionary", "readme" or "all"; csv, json, dictionary, md or zip)."""
        file = self.cleaned_data["file"]
        if file == "all.zip":
            return "all", "zip"
        if file == "dictionary":
            return "dictionary", "csv"
        if file == "readme":
            return "readme", "md"
        key, kind = file.rsplit(".", 1)
        if kind == "dictionary":
            return key, "dictionary"
        return key, kind
