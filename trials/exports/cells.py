"""Cell values of the exports: their types, how each is written in CSV and in JSON, and the
escaping of text a spreadsheet would take for a formula."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

# Types of a column (the data dictionary names them in REDCap's words).
TEXT = "text"  # a code or an id; a spreadsheet could take it for a formula, so it is escaped
CHOICE = "choice"  # one of the column's allowed codes
INTEGER = "integer"
NUMBER = "number"
DATE = "date"  # ISO 8601, YYYY-MM-DD, the deployment's local date
BOOLEAN = "boolean"  # 1 yes, 0 no in CSV; true/false in JSON

# A text cell beginning with one of these is prefixed with a single quote in CSV (OWASP's advice
# against CSV injection): = + - @ start a formula, and a tab or carriage return can hide one.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# The same test in PostgreSQL's regular expressions, for the COPY path.
FORMULA_START_SQL_PATTERN = "^[-=+@\t\r]"


def formula_escape(value: str) -> str:
    if value[:1] in FORMULA_START:
        return "'" + value
    return value


def csv_cell(kind: str, value: Any) -> Any:
    """A value as the CSV writer should write it: empty for missing, 1/0 for booleans, ISO
    dates, numbers as numbers (a negative number is not a formula), text escaped."""
    if value is None or value == "":
        return ""
    if kind == BOOLEAN:
        return 1 if value else 0
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return formula_escape(value)
    return value


def json_value(kind: str, value: Any) -> Any:
    """A value as JSON holds it: null for missing, typed otherwise. JSON is not opened by
    spreadsheets, so text is given as it is."""
    if value is None or value == "":
        return None
    if kind == BOOLEAN:
        return bool(value)
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def csv_parse(kind: str, text: str) -> Any:
    """A CSV cell read back as its JSON value (for checks and for statisticians' scripts)."""
    if text == "":
        return None
    if kind in (INTEGER,):
        return int(text)
    if kind == NUMBER:
        return float(text)
    if kind == BOOLEAN:
        return text == "1"
    if text.startswith("'") and text[1:2] in FORMULA_START:
        return text[1:]
    return text
