"""The files of a whole export, their names, and writing them: to a folder (the command) or as
members of a streamed ZIP (the page). Data files first, then the dictionary, then the README
with the row counts just written."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from trials.exports.datasets import DATASETS
from trials.exports.dictionary import dictionary_csv
from trials.exports.readme import readme_text
from trials.exports.writers import RowCounter, csv_stream, json_stream
from trials.models import Trial

DICTIONARY_NAME = "data_dictionary.csv"
README_NAME = "README.md"


def formats_of(fmt: str) -> tuple[str, ...]:
    return ("csv", "json") if fmt in ("both", "zip") else (fmt,)


def data_file_name(key: str, fmt: str) -> str:
    return f"{key}.{fmt}"


def data_stream(key: str, fmt: str, trial: Trial, counter: RowCounter | None = None):
    dataset = DATASETS[key]
    if fmt == "csv":
        return csv_stream(dataset, trial, counter=counter)
    return json_stream(dataset, trial, counter=counter)


def export_members(
    trial: Trial, *, formats: Iterable[str], purpose_label: str, counts: dict[str, int]
) -> Iterator[tuple[str, Iterable[bytes]]]:
    """(file name, chunks) of every file; `counts` fills in as the data files are written."""
    for key in DATASETS:
        for fmt in formats:
            counter = RowCounter()
            name = data_file_name(key, fmt)
            yield name, _counted(data_stream(key, fmt, trial, counter), counter, name, counts)
    yield DICTIONARY_NAME, dictionary_csv(trial)
    yield README_NAME, _readme(trial, counts, purpose_label)


def _counted(chunks, counter: RowCounter, name: str, counts: dict[str, int]) -> Iterator[bytes]:
    yield from chunks
    counts[name] = counter.rows


def _readme(trial: Trial, counts: dict[str, int], purpose_label: str) -> Iterator[bytes]:
    # A generator, so the text is made only once every data file has been written.
    yield readme_text(trial=trial, counts=counts, purpose_label=purpose_label).encode()


def export_to_dir(
    trial: Trial, out: Path, *, formats: Iterable[str], purpose_label: str
) -> dict[str, int]:
    """Write every file into `out` (made if needed). Returns the rows of each data file."""
    out.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    for name, chunks in export_members(
        trial, formats=tuple(formats), purpose_label=purpose_label, counts=counts
    ):
        with (out / name).open("wb") as handle:
            for chunk in chunks:
                handle.write(chunk)
    return counts


def readme_counts(trial: Trial, formats: Iterable[str]) -> dict[str, int]:
    """The rows of each data file, counted without keeping them (for a README downloaded on
    its own)."""
    counts = {}
    for key, dataset in DATASETS.items():
        rows = dataset.row_count(trial)
        for fmt in formats:
            counts[data_file_name(key, fmt)] = rows
    return counts
