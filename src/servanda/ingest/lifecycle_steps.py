"""Lifecycle step files: acknowledgements, corrections, validations, closings and reopenings
exported from a ticketing tool, read into :class:`StepRow` records to record after the fact.

* **CSV** (``*.csv``): a header row naming columns among ``incident, alert, step, time, by,
  note, on_behalf_of``; ``step`` and ``time`` are required; an empty cell is an absent value::

      incident,alert,step,time,by,note
      inc-3f2a9c0d1e4b5a6f,,ack,2024-04-11T12:05:00+02:00,nadia.roux,NOC-4471 opened

* **JSON Lines** (``*.jsonl``): one object per line with the same field names;
* **JSON**: ``{"steps": [...]}`` — the API's body — or a bare array.

Each row names its incident by id (``incident``) or by the fingerprint of one of its alerts
(``alert``), exactly one of them. ``step`` is ``ack`` (or ``acknowledge``), ``correct``,
``validate``, ``close`` or ``reopen``, in any case; ``time`` an RFC 3339 timestamp with its
offset. ``by`` names who acted, ``on_behalf_of`` the customer an administrator validated for.

A file is all or nothing. Every problem is located ``file:line:column`` (in CSV, the column
where the cell starts) with the field it concerns; :meth:`StepsText.locate` locates the
problems found later, when the rows are checked against the incidents, the same way.
"""

from __future__ import annotations

import bisect
import csv
import dataclasses
import io
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path as FsPath
from typing import Any

from servanda.core.problems import Location, Problem
from servanda.events.lifecycle import TARGETS, Move
from servanda.ingest.record_files import (
    MAX_PROBLEMS,
    RecordFormat,
    RecordReader,
    RecordSpec,
    Row,
    format_for,
    locate_in_json,
    parse_record_data,
    parse_records,
    to_name,
    to_note,
    to_text,
    to_timestamp,
)

STEP_COLUMNS = ("incident", "alert", "step", "time", "by", "note", "on_behalf_of")
"""The fields of a step, in the order of the CSV header the docs show."""
STEPS = RecordSpec("steps", STEP_COLUMNS, ("step", "time"))
"""Lifecycle step files."""

ALIASES: dict[str, Move] = {"ack": "acknowledge"}
"""Short names of moves."""


@dataclass(frozen=True, slots=True)
class StepRow:
    """One lifecycle step as a ticketing export writes it, and where it is written."""

    step: Move
    """The move."""
    at: datetime
    """When it was made (UTC)."""
    incident: str | None = None
    """The incident's id; None when an alert names it."""
    alert: str | None = None
    """The fingerprint of one of the incident's alerts; None when the id is given."""
    by: str | None = None
    """Who acted; None for whoever imports."""
    note: str = ""
    """Why, for the audit trail."""
    on_behalf_of: str | None = None
    """The customer an administrator validated for."""
    location: Location = field(default_factory=Location)
    """The file and line of the row."""
    path: tuple[str | int, ...] = ()
    """The row in its document (``("steps", 3)`` in JSON, empty in CSV)."""

    def problem(self, name: str | None, message: str) -> Problem:
        """A problem at the field ``name`` of this row (the row itself when None)."""
        path = self.path if name is None else (*self.path, name)
        return Problem(message, self.location, path)


def to_move(raw: Any) -> Move:
    """A move by its name or alias, in any case."""
    if isinstance(raw, str):
        word = raw.strip().lower()
        if word in ALIASES:
            return ALIASES[word]
        for move in TARGETS:
            if move == word:
                return move
    names = ", ".join(["ack", *TARGETS])
    raise ValueError(f"{raw!r} is not a step; steps are {names}")


def _build(row: Row) -> StepRow | None:
    before = len(row.problems)
    step = row.get("step", to_move, required=True)
    at = row.get("time", to_timestamp, required=True)
    incident = row.get("incident", to_text)
    alert = row.get("alert", to_text)
    by = row.get("by", to_name)
    note = row.get("note", to_note) or ""
    on_behalf_of = row.get("on_behalf_of", to_name)
    if incident is not None and alert is not None:
        row.problem("alert", "name the incident or one of its alerts, not both")
    elif incident is None and alert is None and len(row.problems) == before:
        row.problem("incident", "name the incident (its id) or one of its alerts (alert)")
    if step is None or at is None or len(row.problems) > before:
        return None
    location = Location(row.file, row.line)
    return StepRow(step, at, incident, alert, by, note, on_behalf_of, location, row.prefix)


STEP_READER = RecordReader(STEPS, _build)
"""How lifecycle steps are read."""


@dataclass(frozen=True, slots=True)
class StepsText:
    """The text of a step file, to locate problems in it."""

    file: str
    """Its name."""
    text: str
    """Its content."""
    fmt: RecordFormat
    """How it is written."""

    def locate(self, problems: list[Problem]) -> list[Problem]:
        """``problems`` at the line and column of their field in the text."""
        if self.fmt == "csv":
            return locate_in_csv(problems, self.text)
        if self.fmt == "json":
            return locate_in_json(problems, self.text, self.file)
        lines = self.text.split("\n")
        out = []
        for p in problems:
            line = p.location.line
            if line is None or p.location.column is not None or not 0 < line <= len(lines):
                out.append(p)
            else:
                out += locate_in_json([p], lines[line - 1].removesuffix("\r"), self.file, line)
        return out


def parse_steps(
    text: str, fmt: RecordFormat, *, file: str = "<input>", max_problems: int = MAX_PROBLEMS
) -> tuple[list[StepRow], list[Problem]]:
    """The steps of ``text`` written in ``fmt``: all of them, or none and every problem."""
    rows, problems = parse_records(text, fmt, STEP_READER, file=file, max_problems=max_problems)
    return rows, StepsText(file, text, fmt).locate(problems)


def read_steps_file(
    path: str | FsPath, *, fmt: RecordFormat | None = None, max_problems: int = MAX_PROBLEMS
) -> tuple[list[StepRow], list[Problem], StepsText | None]:
    """The steps of a file, or none and every problem; and its text, to locate the problems
    found later (None when it could not be read). ``fmt`` (``csv``, ``jsonl``, ``json``)
    defaults to what the file name says."""
    name = str(path)
    chosen = format_for(path, fmt)
    if chosen is None:
        message = "cannot tell the format from the file name; name it .csv, .jsonl or .json"
        return [], [Problem(message, Location(name))], None
    try:
        text = FsPath(path).read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return [], [Problem(f"not UTF-8 text: {exc.reason}", Location(name))], None
    except OSError as exc:
        return [], [Problem(f"cannot read: {exc.strerror}", Location(name))], None
    rows, problems = parse_steps(text, chosen, file=name, max_problems=max_problems)
    return rows, problems, StepsText(name, text, chosen)


def parse_steps_json(
    data: Any, *, file: str = "<request>", max_problems: int = MAX_PROBLEMS
) -> tuple[list[StepRow], list[Problem]]:
    """The steps of a parsed JSON document (the API's body, ``{"steps": [...]}``); problems
    carry the path of their field, such as ``("steps", 2, "time")``."""
    return parse_record_data(data, STEP_READER, file=file, max_problems=max_problems)


# -- CSV columns -------------------------------------------------------------------------------


def locate_in_csv(problems: list[Problem], text: str) -> list[Problem]:
    """``problems`` located at a CSV line and naming a column (the last part of their path)
    at the line and column where that cell starts; the others as they are."""
    header = _header(text)
    if header is None:
        return problems
    starts = [0, *(i + 1 for i, c in enumerate(text) if c == "\n")]
    out = []
    for p in problems:
        name = p.path[-1] if p.path else None
        line = p.location.line
        if (
            line is None
            or p.location.column is not None
            or not isinstance(name, str)
            or name not in header[1]
            or not 0 < line <= len(starts)
        ):
            out.append(p)
            continue
        index = header[1].index(name)
        offset = _cell_offset(text, starts[line - 1], index)
        if offset is None:
            out.append(p)
            continue
        row = bisect.bisect_right(starts, offset)
        where = Location(p.location.file, row, offset - starts[row - 1] + 1)
        out.append(dataclasses.replace(p, location=where))
    return out


def _header(text: str) -> tuple[int, list[str]] | None:
    """The line of the header row and its column names (as the reader reads them)."""
    rows = csv.reader(io.StringIO(text, newline=""))
    last = 0
    try:
        for cells in rows:
            line, last = last + 1, rows.line_num
            if any(c.strip() for c in cells):
                return line, [c.strip().lower() for c in cells]
    except csv.Error:
        return None
    return None


def _cell_offset(text: str, start: int, index: int) -> int | None:
    """The offset of cell ``index`` of the CSV record starting at ``start``; None when the
    record has fewer cells."""
    if index == 0:
        return start
    cell, quoted, i, n = 0, False, start, len(text)
    while i < n:
        c = text[i]
        if quoted:
            if c == '"':
                if i + 1 < n and text[i + 1] == '"':
                    i += 1
                else:
                    quoted = False
        elif c == '"':
            quoted = True
        elif c == ",":
            cell += 1
            if cell == index:
                return i + 1
        elif c in "\r\n":
            return None
        i += 1
    return None
