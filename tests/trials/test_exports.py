"""Trial exports: pseudonymised (no canary name, email, id or free text in any file), formula
cells escaped, CSV and JSON the same, withdrawn participants' later data left out, outcomes for
everyone randomised (ITT), the data dictionary and README, and the COPY path on PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import datetime, time, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from trials import outcomes
from trials.exports import EXPORT_VERSION, files
from trials.exports.cells import csv_parse
from trials.exports.datasets import DATASETS
from trials.exports.dictionary import HEADER, dictionary_csv
from trials.exports.readme import readme_text
from trials.exports.writers import RowCounter, csv_stream, json_stream

from .export_helpers import (
    CANARIES,
    CANARY_IDS,
    FORMULA_ARM,
    FORMULA_CATEGORY,
    FORMULA_SLEEP,
    FORMULA_STRATUM,
    a_world,
)

pytestmark = pytest.mark.django_db

on_postgres = pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY is PostgreSQL's")


@pytest.fixture
def world():
    return a_world()


def _csv(key, trial, **kwargs) -> list[dict]:
    text = b"".join(csv_stream(DATASETS[key], trial, **kwargs)).decode()
    return list(csv.DictReader(io.StringIO(text)))


def _json(key, trial) -> list[dict]:
    return json.loads(b"".join(json_stream(DATASETS[key], trial)))


def _by_id(rows, world, key):
    study_id = world.participants[key].study_id
    return [row for row in rows if row["study_id"] == study_id]


def test_no_name_email_id_or_free_text_in_any_file(world, tmp_path):
    counts = files.export_to_dir(
        world.trial, tmp_path, formats=("csv", "json"), purpose_label="Final analysis"
    )

    names = sorted(path.name for path in tmp_path.iterdir())
    assert names == sorted(
        [
            *(f"{key}.{fmt}" for key in DATASETS for fmt in ("csv", "json")),
            files.DICTIONARY_NAME,
            files.README_NAME,
        ]
    )
    everything = "\n".join(path.read_text() for path in tmp_path.iterdir())
    for canary in CANARIES:
        assert canary.lower() not in everything.lower(), canary
    for user_id in CANARY_IDS:
        assert str(user_id) not in everything
    for patient in world.patients.values():
        assert patient.email not in everything
    assert "@example.org" not in everything
    assert "participant_id" not in everything
    # The trial ids are what identifies people.
    assert world.participants["A"].study_id in (tmp_path / "participants.csv").read_text()
    assert counts["participants.csv"] == 5
    assert counts["checkins.csv"] == counts["checkins.json"] == 5


def test_text_a_spreadsheet_would_take_for_a_formula_is_escaped(world):
    allocations = _csv("allocations", world.trial)
    b = _by_id(allocations, world, "B")[0]
    assert b["arm"] == "'" + FORMULA_ARM
    assert b["stratum"] == "'" + FORMULA_STRATUM
    events = _csv("adverse_events", world.trial)
    assert _by_id(events, world, "A")[0]["category"] == "'" + FORMULA_CATEGORY
    checkins = _by_id(_csv("checkins", world.trial), world, "A")
    assert [row["sleep"] for row in checkins][-1] == "'" + FORMULA_SLEEP
    # Numbers stay numbers, negative ones too; JSON keeps the text as it is.
    outcomes_rows = _csv("outcomes", world.trial)
    assert _by_id(outcomes_rows, world, "B")[0]["arm"] == "'" + FORMULA_ARM
    assert _by_id(_json("allocations", world.trial), world, "B")[0]["arm"] == FORMULA_ARM
    raw = b"".join(csv_stream(DATASETS["allocations"], world.trial)).decode()
    for line in raw.splitlines():
        for cell in next(csv.reader([line])):
            assert not re.match(r"^[=+@\t\r]", cell), cell


def test_a_negative_number_is_written_as_a_number(world):
    world.participants["A"].allocation.__class__.objects.filter(
        participant=world.participants["A"]
    ).update(
        # Noon on a local date: `now - 58 days` late in the evening crossed midnight when the
        # clocks differed then (British Summer Time) and made it -3.
        allocated_at=timezone.make_aware(
            datetime.combine(timezone.localdate(world.now) - timedelta(days=58), time(12))
        )
    )
    rows = _by_id(_csv("checkins", world.trial), world, "A")
    assert rows[0]["day_since_randomisation"] == "-2"


@pytest.mark.parametrize("key", list(DATASETS))
def test_csv_and_json_hold_the_same_values(world, key):
    dataset = DATASETS[key]
    kinds = {column.name: column.kind for column in dataset.columns}
    from_csv = [
        {name: csv_parse(kinds[name], text) for name, text in row.items()}
        for row in _csv(key, world.trial)
    ]
    from_json = _json(key, world.trial)

    assert from_csv == from_json
    assert all(list(row) == list(dataset.names) for row in from_json)


def test_participants_and_allocations(world):
    rows = {row["study_id"]: row for row in _csv("participants", world.trial)}
    a, c, e = (rows[world.participants[k].study_id] for k in "ACE")
    assert a["status"] == "randomised"
    assert a["consent_version"] == "3"
    assert a["trial"] == world.trial.slug
    assert c["status"] == "withdrawn"
    assert c["withdrawal_level"] == "all"
    assert c["withdrawn_on"]
    assert e["status"] == "declined"
    assert e["declined_on"]
    assert e["consented_on"] == ""
    allocations = _csv("allocations", world.trial)
    assert len(allocations) == 3  # D agreed but is not randomised; E declined
    assert _by_id(allocations, world, "A")[0]["gets_programme"] == "1"


def test_check_ins_after_withdrawal_or_before_consent_are_left_out(world):
    rows = _csv("checkins", world.trial)
    assert len(_by_id(rows, world, "A")) == 3  # the one before consent is not there
    c = _by_id(rows, world, "C")
    assert [row["cigarettes"] for row in c] == ["4"]  # not the 30 after withdrawing
    d = _by_id(rows, world, "D")
    assert d[0]["day_since_randomisation"] == ""  # agreed, not randomised
    a = _by_id(rows, world, "A")
    assert a[0]["supports_used"] == "2"
    assert a[-1]["supports_used"] == "0"
    assert "note" not in rows[0]


def test_follow_up_answers_after_withdrawal_are_empty_and_outcomes_cover_everyone(world):
    followups = _csv("followups", world.trial)
    c = _by_id(followups, world, "C")[0]
    assert c["smoked_since"] == ""
    assert c["answered_on"] == ""
    assert c["source"] == ""
    rows = _csv("outcomes", world.trial)
    # Every randomised participant at every point: 3 x 3, answered or not.
    assert len(rows) == 9
    by = {(row["study_id"], row["point"]): row for row in rows}
    a4 = by[(world.participants["A"].study_id, "4w")]
    assert (a4["self_reported_abstinent"], a4["co_verified_abstinent"]) == ("1", "1")
    assert (a4["itt_abstinent_verified"], a4["missing_self_report"], a4["missing_co"]) == (
        "1",
        "0",
        "0",
    )
    b4 = by[(world.participants["B"].study_id, "4w")]
    assert (b4["self_reported_abstinent"], b4["co_verified_abstinent"]) == ("1", "0")
    assert b4["itt_abstinent_self"] == "1"
    assert b4["itt_abstinent_verified"] == "0"
    c4 = by[(world.participants["C"].study_id, "4w")]
    assert c4["self_reported_abstinent"] == ""
    assert c4["missing_self_report"] == "1"
    assert c4["itt_abstinent_self"] == "0"
    a12 = by[(world.participants["A"].study_id, "12w")]
    assert (a12["missing_self_report"], a12["missing_co"], a12["itt_abstinent_self"]) == (
        "1",
        "1",
        "0",
    )


def test_adverse_events_without_description_and_not_after_withdrawal(world):
    rows = _csv("adverse_events", world.trial)
    assert len(rows) == 1
    assert rows[0]["serious"] == "1"
    assert rows[0]["seriousness"] == "hospitalisation"
    assert rows[0]["assessed"] == "0"
    assert "description" not in rows[0]


def test_baseline_codes_are_joined(world):
    rows = _csv("baseline", world.trial)
    assert len(rows) == 3
    a = _by_id(rows, world, "A")[0]
    assert a["medicines"] == "clozapine;antidepressant"
    assert a["vapes"] == "1"
    assert a["hsi_score"] == "4"


def test_the_data_dictionary_describes_every_variable_like_redcap(world):
    text = b"".join(dictionary_csv(world.trial)).decode()
    rows = list(csv.reader(io.StringIO(text)))
    assert tuple(rows[0]) == HEADER
    described = {(row[1], row[0]) for row in rows[1:]}
    for key, dataset in DATASETS.items():
        for name in dataset.names:
            assert (key, name) in described
    by = {(row[1], row[0]): dict(zip(HEADER, row, strict=True)) for row in rows[1:]}
    smoked = by[("followups", "smoked_since")]
    assert smoked["Field Type"] == "dropdown"
    assert "none, Not even a puff" in smoked["Choices, Calculations, OR Slider Labels"]
    assert "up_to_5, 1 to 5 cigarettes" in smoked["Choices, Calculations, OR Slider Labels"]
    assert by[("outcomes", "self_reported_abstinent")]["Field Type"] == "yesno"
    assert "Russell Standard" in by[("outcomes", "self_reported_abstinent")]["Field Annotation"]
    assert by[("checkins", "day")]["Text Validation Type OR Show Slider Number"] == "date_ymd"
    assert by[("followups", "co_ppm")]["Field Note"].startswith("ppm")
    from trials import engagement

    assert (
        by[("engagement", "active_days")]["Field Annotation"]
        == engagement.DEFINITIONS["active_days"]
    )
    # The arm codes of this trial (a cell is escaped only when it starts like a formula).
    arm_choices = by[("allocations", "arm")]["Choices, Calculations, OR Slider Labels"]
    assert arm_choices == f"programme, Exhale programme | {FORMULA_ARM}, Usual care"
    # Strata hold "|", REDCap's separator: listed in the note instead.
    assert "psychosis|0-10" in by[("allocations", "stratum")]["Field Note"]


def test_the_readme_says_what_the_export_is(world):
    text = readme_text(
        trial=world.trial, counts={"checkins.csv": 5}, purpose_label="Final analysis"
    )
    assert f"Export format version: {EXPORT_VERSION}" in text
    assert world.trial.name in text
    assert "| `checkins.csv` | 5 |" in text
    assert "HMAC" in text
    assert "intention to treat" in text
    assert "single quote" in text
    assert "sequence_generate(" in text
    assert " ".join(outcomes.DEFINITIONS["itt"].split()) in text


def test_row_counts_follow_what_was_written(world):
    counter = RowCounter()
    b"".join(csv_stream(DATASETS["checkins"], world.trial, counter=counter))
    assert counter.rows == 5 == DATASETS["checkins"].row_count(world.trial)


@on_postgres
def test_on_postgres_the_check_ins_csv_comes_from_copy_and_matches_the_python_path(
    world, django_assert_max_num_queries
):
    with django_assert_max_num_queries(0):
        # COPY runs on the raw connection: Django sees no query at all.
        from_copy = b"".join(csv_stream(DATASETS["checkins"], world.trial, use_copy=True))
    from_python = b"".join(csv_stream(DATASETS["checkins"], world.trial, use_copy=False))

    assert from_copy == from_python
    assert b"'@cmd" in from_copy
