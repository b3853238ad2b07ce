"""The data dictionary of an export, in the columns of a REDCap data dictionary (so a data
manager can read it as one, and REDCap users know where to look): one row per variable, the
dataset as the form. The derivation of a derived variable (how it is computed: the Russell
Standard, the engagement definitions, ...) is in "Field Annotation"."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

from trials.exports.cells import BOOLEAN, CHOICE, DATE, INTEGER, NUMBER, formula_escape
from trials.exports.datasets import DATASETS, Column, Dataset
from trials.models import Trial

HEADER = (
    "Variable / Field Name",
    "Form Name",
    "Section Header",
    "Field Type",
    "Field Label",
    "Choices, Calculations, OR Slider Labels",
    "Field Note",
    "Text Validation Type OR Show Slider Number",
    "Text Validation Min",
    "Text Validation Max",
    "Identifier?",
    "Branching Logic (Show field only if...)",
    "Required Field?",
    "Custom Alignment",
    "Question Number (surveys only)",
    "Matrix Group Name",
    "Matrix Ranking?",
    "Field Annotation",
)
VALIDATION = {INTEGER: "integer", NUMBER: "number", DATE: "date_ymd"}
# REDCap separates choices with "|" and a code from its label with ",".
_CHOICE_UNSAFE = ("|", ",")


def _choices(column: Column, trial: Trial) -> tuple[str, str]:
    """(the Choices cell, a note) for a column's allowed values."""
    choices = column.choices_for(trial)
    if not choices:
        return "", ""
    if any(mark in code for code, _label in choices for mark in _CHOICE_UNSAFE):
        return "", "Allowed values: " + "; ".join(code for code, _label in choices)
    cell = " | ".join(f"{code}, {label.replace('|', '/')}" for code, label in choices)
    return cell, ""


def _field_type(column: Column, choices_cell: str) -> str:
    if column.kind == BOOLEAN:
        return "yesno"
    if column.kind == CHOICE and choices_cell:
        return "dropdown"
    return "text"


def dictionary_rows(trial: Trial, datasets: Iterable[Dataset]) -> Iterator[tuple[str, ...]]:
    for dataset in datasets:
        for number, column in enumerate(dataset.columns):
            choices_cell, choices_note = _choices(column, trial)
            note = "; ".join(part for part in (column.units, choices_note) if part)
            if column.kind == BOOLEAN:
                note = "; ".join(part for part in (note, "1 yes, 0 no; empty when missing") if part)
            yield (
                column.name,
                dataset.key,
                dataset.label if number == 0 else "",
                _field_type(column, choices_cell),
                column.label,
                choices_cell,
                note,
                VALIDATION.get(column.kind, ""),
                "",
                "",
                "",  # no variable identifies anyone: the trial id is a pseudonym
                "",
                "y" if column.name == "study_id" else "",
                "",
                "",
                "",
                "",
                column.derivation,
            )


def dictionary_csv(trial: Trial, keys: Iterable[str] | None = None) -> Iterator[bytes]:
    """The dictionary of the named datasets (all of them by default) as CSV."""
    datasets = [DATASETS[key] for key in keys] if keys is not None else list(DATASETS.values())
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(HEADER)
    for row in dictionary_rows(trial, datasets):
        writer.writerow([formula_escape(cell) for cell in row])
    yield buffer.getvalue().encode()
