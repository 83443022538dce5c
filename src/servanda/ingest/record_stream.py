"""Record files read as a stream: batches of records, in bounded memory, whatever the file's size.

:func:`stream_records` reads a CSV or JSON Lines file line by line and yields its records in
batches of at most ``batch`` records; a consumer storing each batch as it comes holds one batch
at a time. The file stays all or nothing: after the first problem no batch is yielded, the rest
of the file is still read for its problems (up to ``max_problems``), and the stream ends by
raising :class:`~servanda.core.problems.InvalidInput` with every problem, located
``file:line``. A consumer that stores the batches in one transaction therefore rolls all of them
back (see :func:`servanda.services.measurements.ingest_measurement_stream`).

A JSON document (``*.json``) has no lines to stream: it is read whole, then yielded in batches.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from itertools import islice
from pathlib import Path as FsPath
from typing import IO, TypeVar

from servanda.core.problems import InvalidInput, Location, Problem
from servanda.ingest.record_files import (
    MAX_PROBLEMS,
    SUFFIX_FORMATS,
    RecordFormat,
    RecordReader,
    csv_records,
    format_for,
    json_line_records,
    read_records,
)

T = TypeVar("T")

BATCH_ROWS = 50_000
"""Records per batch: large enough for fast inserts, small enough to hold a few of."""

Progress = Callable[[int], None]
"""Told the bytes of the file read so far, after each batch."""


def file_size(path: str | FsPath) -> int | None:
    """The size of ``path`` in bytes (what :data:`Progress` counts towards), None if unknown."""
    try:
        return FsPath(path).stat().st_size
    except OSError:
        return None


def stream_records(
    path: str | FsPath,
    reader: RecordReader[T],
    *,
    fmt: RecordFormat | None = None,
    batch: int = BATCH_ROWS,
    max_problems: int = MAX_PROBLEMS,
    progress: Progress | None = None,
) -> Iterator[list[T]]:
    """The records of a file in batches (see the module); raises ``InvalidInput`` at the end
    when the file has problems."""
    name = str(path)
    chosen = format_for(path, fmt)
    if chosen is None:
        endings = ", ".join(SUFFIX_FORMATS)
        message = f"cannot tell the format from the file name; name it {endings} or give it"
        raise InvalidInput([Problem(message, Location(name))])
    if chosen == "json":
        records, wrong = read_records(path, reader, fmt=chosen, max_problems=max_problems)
        if wrong:
            raise InvalidInput(wrong)
        for start in range(0, len(records), batch):
            yield records[start : start + batch]
        if progress is not None:
            progress(file_size(path) or 0)
        return
    problems: list[Problem] = []
    newline = "" if chosen == "csv" else "\n"  # CSV cells may hold line breaks
    try:
        with open(path, encoding="utf-8-sig", newline=newline) as text:
            read = csv_records if chosen == "csv" else json_line_records
            records_of = read(text, reader, name, max_problems, problems)
            while chunk := list(islice(records_of, batch)):
                if progress is not None:
                    progress(_position(text))
                if not problems:
                    yield chunk
            if progress is not None:
                progress(_position(text))
    except UnicodeDecodeError as exc:
        problems.append(Problem(f"not UTF-8 text: {exc.reason}", Location(name)))
    except OSError as exc:
        problems.append(Problem(f"cannot read: {exc.strerror}", Location(name)))
    if problems:
        raise InvalidInput(problems)


def _position(text: IO[str]) -> int:
    """How far into its file ``text`` has read, in bytes (its buffer's position)."""
    buffer = getattr(text, "buffer", None)
    try:
        return int(buffer.tell()) if buffer is not None else 0
    except (OSError, ValueError):
        return 0
