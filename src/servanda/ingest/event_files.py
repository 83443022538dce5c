"""Event files: Alertmanager payloads or generic events in JSON or JSON Lines.

``servanda events ingest FILE --format alertmanager|generic`` reads files through
:func:`read_event_file`:

* JSON (``*.json`` and anything else): one Alertmanager payload, or one generic batch
  (``{"events": [...]}`` or a bare list);
* JSON Lines (``*.jsonl``, ``*.ndjson``): one Alertmanager payload, or one generic event, per
  line; blank lines are skipped.

A file is all or nothing, as a batch is: when any line is bad, no event is returned and every
problem of every line is, each located ``file:line:column`` at the field it concerns (syntax
errors at the character where the JSON stops making sense, nesting too deep where it goes too
deep). An Alertmanager payload that says it left alerts out (``truncatedAlerts``) adds the
notice of :mod:`servanda.ingest.notices` to its events.
"""

from __future__ import annotations

import bisect
import dataclasses
import json
import re
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path as FsPath
from typing import Any, Literal

from pydantic import ValidationError

from servanda.core.problems import Location, Problem
from servanda.events.model import Event
from servanda.ingest.alertmanager import AlertmanagerFormat, AlertmanagerPayload
from servanda.ingest.generic import GenericFormat, Path, check_received_at
from servanda.ingest.json_input import decode_json
from servanda.ingest.notices import truncation_notice

EventFormat = Literal["alertmanager", "generic"]
FORMATS: tuple[EventFormat, ...] = ("alertmanager", "generic")
LINES_SUFFIXES = (".jsonl", ".ndjson")
"""File name endings read as JSON Lines."""

Parser = Callable[[Any, str, datetime, tuple[str, ...]], tuple[list[Event], list[Problem]]]


def _alertmanager(
    data: Any, file: str, received_at: datetime, _labels: tuple[str, ...]
) -> tuple[list[Event], list[Problem]]:
    try:
        payload = AlertmanagerPayload.model_validate(data)
    except ValidationError:  # read again to word and locate every problem
        return AlertmanagerFormat.parse(data, received_at=received_at, file=file)
    events, problems = AlertmanagerFormat.from_payload(payload, received_at=received_at, file=file)
    notice = truncation_notice(payload)
    return ([*events, notice] if notice and not problems else events), problems


def _generic_batch(
    data: Any, file: str, received_at: datetime, labels: tuple[str, ...]
) -> tuple[list[Event], list[Problem]]:
    return GenericFormat.parse(data, received_at=received_at, fingerprint_labels=labels, file=file)


def _generic_event(
    data: Any, file: str, received_at: datetime, labels: tuple[str, ...]
) -> tuple[list[Event], list[Problem]]:
    event, problems = GenericFormat.parse_one(data, fingerprint_labels=labels, file=file)
    return ([event] if event is not None else []), problems


DOCUMENT_PARSERS: dict[str, Parser] = {"alertmanager": _alertmanager, "generic": _generic_batch}
"""How a whole JSON document of each format is read."""
LINE_PARSERS: dict[str, Parser] = {"alertmanager": _alertmanager, "generic": _generic_event}
"""How one JSON Lines line of each format is read."""


def read_event_file(
    path: str | FsPath,
    fmt: EventFormat,
    *,
    received_at: datetime,
    fingerprint_labels: tuple[str, ...] = (),
    lines: bool | None = None,
) -> tuple[list[Event], list[Problem]]:
    """The events of a file, or no events and every problem (located ``file:line:column``).

    ``lines`` forces JSON Lines (True) or one JSON document (False); by default the file name
    decides (``.jsonl`` and ``.ndjson`` are JSON Lines).
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown event format {fmt!r}; formats are {', '.join(FORMATS)}")
    check_received_at(received_at)
    name = str(path)
    try:
        text = FsPath(path).read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return [], [Problem(f"not UTF-8 text: {exc.reason}", Location(name))]
    except OSError as exc:
        return [], [Problem(f"cannot read: {exc.strerror}", Location(name))]
    if lines is None:
        lines = FsPath(path).suffix.lower() in LINES_SUFFIXES
    if lines:
        return read_json_lines(text, fmt, received_at, fingerprint_labels, name)
    return read_json(text, fmt, received_at, fingerprint_labels, name)


def read_json(
    text: str,
    fmt: EventFormat,
    received_at: datetime,
    fingerprint_labels: tuple[str, ...] = (),
    file: str = "<input>",
) -> tuple[list[Event], list[Problem]]:
    """One JSON document of ``fmt`` (see :func:`read_event_file`)."""
    data, bad = decode_json(text, file)
    if bad:
        return [], bad
    events, problems = DOCUMENT_PARSERS[fmt](data, file, received_at, fingerprint_labels)
    if problems:
        return [], _locate(problems, text, file, 1)
    return events, []


def read_json_lines(
    text: str,
    fmt: EventFormat,
    received_at: datetime,
    fingerprint_labels: tuple[str, ...] = (),
    file: str = "<input>",
) -> tuple[list[Event], list[Problem]]:
    """JSON Lines of ``fmt``: every line read, all or nothing (see :func:`read_event_file`)."""
    parse = LINE_PARSERS[fmt]
    events: list[Event] = []
    problems: list[Problem] = []
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.removesuffix("\r")
        if not line.strip():
            continue
        data, bad = decode_json(line, file)
        if bad:  # a line holds no line break: the problem is on this line
            where = bad[0].location
            located = Location(file, number, where.column)
            problems += [dataclasses.replace(p, location=located) for p in bad]
            continue
        found, line_problems = parse(data, file, received_at, fingerprint_labels)
        if line_problems:
            problems.extend(_locate(line_problems, line, file, number))
        else:
            events.extend(found)
    return ([], problems) if problems else (events, [])


def _locate(problems: Sequence[Problem], text: str, file: str, first_line: int) -> list[Problem]:
    """``problems`` located at the line and column of their path in ``text``, whose first line
    is line ``first_line`` of ``file``."""
    try:
        marks = json_marks(text)
    except RecursionError:
        marks = {}
    breaks = [m.end() for m in re.finditer("\n", text)]
    out = []
    for p in problems:
        offset = 0
        for end in range(len(p.path), -1, -1):
            found = marks.get(p.path[:end])
            if found is not None:
                offset = found
                break
        row = bisect.bisect_right(breaks, offset)
        column = offset - (breaks[row - 1] if row else 0) + 1
        out.append(dataclasses.replace(p, location=Location(file, first_line + row, column)))
    return out


_WHITESPACE = re.compile(r"[ \t\n\r]*")
_SCALAR = re.compile(r"[^,\]}\s]*")
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)


def json_marks(text: str) -> dict[Path, int]:
    """Where each value of a well-formed JSON document starts: path -> offset in ``text``.

    Used only to locate problems, so it trusts ``text`` to be JSON (``json.loads`` read it).
    """
    marks: dict[Path, int] = {}

    def skip(i: int) -> int:
        m = _WHITESPACE.match(text, i)
        return m.end() if m else i

    def value(i: int, path: Path) -> int:
        i = skip(i)
        marks[path] = i
        char = text[i : i + 1]
        if char == "{":
            i = skip(i + 1)
            while text[i : i + 1] == '"':
                m = _STRING.match(text, i)
                assert m is not None  # the text is JSON
                key, i = json.loads(m.group()), m.end()
                i = skip(i) + 1  # the colon
                i = skip(value(i, (*path, key)))
                if text[i : i + 1] == ",":
                    i = skip(i + 1)
            return i + 1
        if char == "[":
            i = skip(i + 1)
            index = 0
            while i < len(text) and text[i] != "]":
                i = skip(value(i, (*path, index)))
                index += 1
                if text[i : i + 1] == ",":
                    i += 1
            return i + 1
        if char == '"':
            m = _STRING.match(text, i)
            return m.end() if m else i + 1
        m = _SCALAR.match(text, i)
        return m.end() if m else i + 1

    value(0, ())
    return marks
