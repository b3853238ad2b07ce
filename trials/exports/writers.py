"""Writers of the exports: CSV and JSON streams of a dataset, and a ZIP of several files, all as
iterators of bytes (for StreamingHttpResponse and for files), so memory stays flat whatever the
number of rows.

CSV: UTF-8, a header row of the variable names, "\\n" line ends, empty cell for missing, 1/0 for
booleans, ISO dates, text that a spreadsheet would take for a formula prefixed with a single
quote. JSON: one array of objects, typed values, null for missing, text as it is.
"""

from __future__ import annotations

import csv
import io
import json
import time
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from trials.exports import copy
from trials.exports.cells import csv_cell, json_value
from trials.exports.datasets import Dataset
from trials.models import Trial

ROWS_PER_CHUNK = 1000


@dataclass
class RowCounter:
    """Counts the rows a stream wrote (for the README and the command's report)."""

    rows: int = 0


def csv_stream(
    dataset: Dataset,
    trial: Trial,
    *,
    counter: RowCounter | None = None,
    use_copy: bool | None = None,
) -> Iterator[bytes]:
    """The dataset as CSV. On PostgreSQL a dataset with a COPY form streams from the server."""
    counter = counter if counter is not None else RowCounter()
    if use_copy is None:
        use_copy = copy.copy_available()
    if use_copy and dataset.copy_select is not None:
        lines = 0
        for chunk in copy.copy_csv(dataset.copy_select(trial)):
            # Every cell is a code, a number or a date: no line break inside a cell.
            lines += chunk.count(b"\n")
            yield chunk
        counter.rows = max(lines - 1, 0)
        return
    kinds = [column.kind for column in dataset.columns]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(dataset.names)
    pending = 0
    for row in dataset.rows(trial):
        writer.writerow([csv_cell(kind, value) for kind, value in zip(kinds, row, strict=True)])
        counter.rows += 1
        pending += 1
        if pending >= ROWS_PER_CHUNK:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    yield buffer.getvalue().encode()


def json_stream(
    dataset: Dataset, trial: Trial, *, counter: RowCounter | None = None
) -> Iterator[bytes]:
    """The dataset as one JSON array of objects, written as it is read."""
    counter = counter if counter is not None else RowCounter()
    names = dataset.names
    kinds = [column.kind for column in dataset.columns]
    parts = ["["]
    for row in dataset.rows(trial):
        record = {
            name: json_value(kind, value)
            for name, kind, value in zip(names, kinds, row, strict=True)
        }
        parts.append(
            ("\n" if counter.rows == 0 else ",\n") + json.dumps(record, ensure_ascii=False)
        )
        counter.rows += 1
        if len(parts) >= ROWS_PER_CHUNK:
            yield "".join(parts).encode()
            parts = []
    parts.append("\n]\n" if counter.rows else "]\n")
    yield "".join(parts).encode()


class _Sink(io.RawIOBase):
    """A write-only, unseekable file whose bytes are taken as they come (zipfile then writes
    data descriptors, as a streamed ZIP needs)."""

    def __init__(self) -> None:
        self._chunks: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self._chunks.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        data = b"".join(self._chunks)
        self._chunks = []
        return data


def zip_stream(members: Iterable[tuple[str, Iterable[bytes]]]) -> Iterator[bytes]:
    """A ZIP of (name, chunks) members, each compressed as its chunks arrive. A member's
    chunks may be a generator made lazily (e.g. the README, written last with the counts)."""
    sink = _Sink()
    with zipfile.ZipFile(sink, mode="w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, chunks in members:
            info = zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.date_time = time.localtime()[:6]
            with archive.open(info, mode="w", force_zip64=True) as member:
                for chunk in chunks:
                    member.write(chunk)
                    data = sink.take()
                    if data:
                        yield data
            data = sink.take()
            if data:
                yield data
    yield sink.take()
