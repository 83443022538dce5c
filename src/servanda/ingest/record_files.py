"""Record files: the machinery every kind of record file shares (measurements, feedback,
attestations, outages).

A kind of record (:class:`RecordSpec`) is read from **CSV** with a header row, **JSON Lines**
(one object per line) or one **JSON** document (``{"<key>": [...]}`` or a bare array), by a
:class:`RecordReader` that builds each record from a :class:`Row` of fields and records every
problem at the row's line and the path of its field. Converters (:func:`to_timestamp`,
:func:`to_decimal`, :func:`to_count` …) read cells and JSON values alike. A file is all or
nothing, and reading stops after :data:`MAX_PROBLEMS` problems.
"""

from __future__ import annotations

import bisect
import csv
import dataclasses
import io
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from pathlib import Path as FsPath
from typing import Any, Generic, Literal, TypeVar

from servanda.core.limits import NAME_CHARS, TEXT_CHARS
from servanda.core.problems import Location, Problem
from servanda.core.records import WHITESPACE, strip
from servanda.ingest.event_files import json_marks
from servanda.ingest.generic import parse_timestamp

T = TypeVar("T")
V = TypeVar("V")
E = TypeVar("E", bound=StrEnum)
Path = tuple[str | int, ...]

MAX_PROBLEMS = 1000
"""Reading stops after this many problems (the default of every reader)."""


RecordFormat = Literal["csv", "jsonl", "json"]
"""How a record file is written: CSV with a header, JSON Lines, or one JSON document."""
RECORD_FORMATS: tuple[RecordFormat, ...] = ("csv", "jsonl", "json")
SUFFIX_FORMATS: dict[str, RecordFormat] = {
    ".csv": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "json",
}
"""File name endings and the format they mean."""


@dataclass(frozen=True)
class RecordSpec:
    """What a kind of record file holds."""

    key: str
    """The key of the JSON document's array, e.g. ``measurements``."""
    columns: tuple[str, ...]
    """Every field (CSV column, JSON key) a record may have."""
    required: tuple[str, ...]
    """The columns a CSV header must name."""


class Row:
    """One record as written (a CSV row, a JSON object) and the problems found in it, each
    located at the row's line and the path of its field."""

    __slots__ = ("fields", "file", "line", "prefix", "problems")

    def __init__(
        self,
        fields: Mapping[str, Any],
        file: str,
        line: int | None,
        prefix: Path,
        problems: list[Problem],
    ) -> None:
        self.fields = fields
        """Field name -> value as written (text in CSV, JSON values in JSON)."""
        self.file = file
        self.line = line
        """The row's line, when known (CSV, JSON Lines)."""
        self.prefix = prefix
        """The path of the row in its document (``("measurements", 3)`` in JSON)."""
        self.problems = problems
        """Where problems go (shared by every row of a file)."""

    def problem(self, field: str | None, message: str) -> None:
        """Record a problem at ``field`` of this row (the row itself when None)."""
        path = self.prefix if field is None else (*self.prefix, field)
        self.problems.append(Problem(message, Location(self.file, self.line), path))

    def get(self, name: str, convert: Callable[[Any], V], *, required: bool = False) -> V | None:
        """The field ``name`` through ``convert``; None when absent (an empty cell, a JSON
        null) or wrong, with a problem recorded when it is wrong or required."""
        raw = self.fields.get(name)
        if raw is None or (isinstance(raw, str) and not raw.strip(WHITESPACE)):
            if required:
                self.problem(name, "this field is required")
            return None
        try:
            return convert(raw)
        except ValueError as exc:
            self.problem(name, str(exc))
            return None


# Converters: a cell's text or a JSON value to a Python value, or ValueError saying why not.

_RFC3339_PLAIN = re.compile(
    r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)"
)
_is_plain = _RFC3339_PLAIN.fullmatch
_from_iso = datetime.fromisoformat


def to_timestamp(raw: Any) -> datetime:
    """An RFC 3339 timestamp with its timezone, as UTC (see
    :func:`~servanda.ingest.generic.parse_timestamp`; the common form is read by the standard
    library's C parser, which gives the same instant faster)."""
    if isinstance(raw, str) and _is_plain(raw):
        try:
            moment = _from_iso(raw)
        except ValueError:
            pass  # e.g. 30 February: parse_timestamp says so
        else:
            return moment if moment.tzinfo is UTC else moment.astimezone(UTC)
    return parse_timestamp(raw)


def to_text(raw: Any) -> str:
    """Text, stripped as records strip it."""
    if not isinstance(raw, str):
        raise ValueError("expected text")
    return strip(raw)


def to_name(raw: Any) -> str:
    """A short name: text of at most :data:`~servanda.core.limits.NAME_CHARS` characters."""
    return _bounded(to_text(raw), NAME_CHARS)


def to_note(raw: Any) -> str:
    """Free text of at most :data:`~servanda.core.limits.TEXT_CHARS` characters."""
    return _bounded(to_text(raw), TEXT_CHARS)


def _bounded(text: str, limit: int) -> str:
    if len(text) > limit:
        raise ValueError(f"too long: at most {limit:,} characters, not {len(text):,}")
    return text


def to_decimal(raw: Any) -> Decimal:
    """An exact decimal number (a JSON number, or text such as ``12.5``)."""
    if isinstance(raw, bool):
        raise ValueError(f"expected a number, not {str(raw).lower()}")
    if isinstance(raw, Decimal):
        number = raw
    elif isinstance(raw, int):
        number = Decimal(raw)
    elif isinstance(raw, float):
        number = Decimal(repr(raw))  # the shortest text that reads back as this float
    elif isinstance(raw, str):
        try:
            number = Decimal(raw)
        except InvalidOperation:
            raise ValueError(f"{raw.strip()!r} is not a number") from None
    else:
        raise ValueError("expected a number")
    if not number.is_finite():
        raise ValueError(f"{raw!r} is not a number")
    return number


def to_measured_value(raw: Any) -> Decimal:
    """A measured value: a decimal number that is not negative."""
    number = to_decimal(raw)
    if number < 0:
        raise ValueError(f"a measured value cannot be negative ({number})")
    return number


_INTEGER = re.compile(r"\s*[+-]?\d+\s*")


def to_integer(raw: Any) -> int:
    """A whole number (a JSON integer, or text of digits)."""
    if isinstance(raw, bool):
        raise ValueError(f"expected a whole number, not {str(raw).lower()}")
    if isinstance(raw, int):
        return raw
    if isinstance(raw, str) and _INTEGER.fullmatch(raw):
        return int(raw)
    if isinstance(raw, Decimal | float):
        number = to_decimal(raw)
        if number == number.to_integral_value():
            return int(number)
    raise ValueError(f"{raw!r} is not a whole number")


def to_count(raw: Any) -> int:
    """A count: a whole number that is not negative."""
    number = to_integer(raw)
    if number < 0:
        raise ValueError(f"a count cannot be negative ({number})")
    return number


_TRUE = frozenset({"true", "yes", "y", "1"})
_FALSE = frozenset({"false", "no", "n", "0"})


def to_bool(raw: Any) -> bool:
    """true or false (also yes/no, y/n, 1/0, any case)."""
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, int) and raw in (0, 1):
        return bool(raw)
    if isinstance(raw, str):
        word = raw.strip().lower()
        if word in _TRUE:
            return True
        if word in _FALSE:
            return False
    raise ValueError(f"{raw!r} is neither true nor false")


def to_choice(enum: type[E]) -> Callable[[Any], E]:
    """A converter to a member of ``enum`` by its value (any case)."""

    def convert(raw: Any) -> E:
        if isinstance(raw, str):
            try:
                return enum(raw.strip().lower())
            except ValueError:
                pass
        words = ", ".join(m.value for m in enum)
        raise ValueError(f"{raw!r} is not one of {words}")

    return convert


# Readers.

Build = Callable[[Row], T | None]
"""Builds a record from a row, or records the row's problems in it and returns None."""


@dataclass(frozen=True)
class RecordReader(Generic[T]):
    """How one kind of record is read from its files."""

    spec: RecordSpec
    """The fields."""
    build: Build[T]
    """The careful way: a record from a row, or None with every problem recorded."""
    fast_csv: Callable[[tuple[str, ...]], Callable[[list[str]], T | None]] | None = None
    """Optional: for a CSV header, a function making a record from a row's cells when nothing
    is wrong with it, else None (the row is then read the careful way)."""
    fast_object: Callable[[dict[str, Any]], T | None] | None = None
    """Optional: the same for a JSON object."""


def format_for(path: str | FsPath, fmt: RecordFormat | None = None) -> RecordFormat | None:
    """``fmt``, or the format the file name's ending says; None when it says none."""
    if fmt is not None:
        if fmt not in RECORD_FORMATS:
            raise ValueError(f"unknown format {fmt!r}; formats are {', '.join(RECORD_FORMATS)}")
        return fmt
    return SUFFIX_FORMATS.get(FsPath(path).suffix.lower())


def read_records(
    path: str | FsPath,
    reader: RecordReader[T],
    *,
    fmt: RecordFormat | None = None,
    max_problems: int = MAX_PROBLEMS,
) -> tuple[list[T], list[Problem]]:
    """The records of a file, or none and every problem; ``fmt`` defaults to what the file
    name says (``.csv``, ``.jsonl``/``.ndjson``, ``.json``)."""
    name = str(path)
    chosen = format_for(path, fmt)
    if chosen is None:
        endings = ", ".join(SUFFIX_FORMATS)
        message = f"cannot tell the format from the file name; name it {endings} or give it"
        return [], [Problem(message, Location(name))]
    try:
        text = FsPath(path).read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return [], [Problem(f"not UTF-8 text: {exc.reason}", Location(name))]
    except OSError as exc:
        return [], [Problem(f"cannot read: {exc.strerror}", Location(name))]
    return parse_records(text, chosen, reader, file=name, max_problems=max_problems)


def parse_records(
    text: str,
    fmt: RecordFormat,
    reader: RecordReader[T],
    *,
    file: str = "<input>",
    max_problems: int = MAX_PROBLEMS,
) -> tuple[list[T], list[Problem]]:
    """The records of ``text`` written in ``fmt``: all of them, or none and every problem."""
    if fmt == "csv":
        return _read_csv(text, reader, file, max_problems)
    if fmt == "jsonl":
        return _read_json_lines(text, reader, file, max_problems)
    if fmt == "json":
        try:
            data = json.loads(text, parse_float=Decimal)
        except json.JSONDecodeError as exc:
            return [], [Problem(f"invalid JSON: {exc.msg}", Location(file, exc.lineno, exc.colno))]
        except RecursionError:
            return [], [Problem("invalid JSON: nested too deeply", Location(file))]
        records, problems = parse_record_data(data, reader, file=file, max_problems=max_problems)
        return records, locate_in_json(problems, text, file)
    raise ValueError(f"unknown format {fmt!r}; formats are {', '.join(RECORD_FORMATS)}")


def _stopped(problems: list[Problem], limit: int, file: str) -> bool:
    """Whether ``limit`` problems were found (then saying so, once, as the last problem)."""
    if len(problems) < limit:
        return False
    message = f"stopped after {limit} problems; fix these and read the file again"
    problems.append(Problem(message, Location(file)))
    return True


def parse_record_data(
    data: Any,
    reader: RecordReader[T],
    *,
    file: str = "<request>",
    max_problems: int = MAX_PROBLEMS,
) -> tuple[list[T], list[Problem]]:
    """The records of a parsed JSON document ``{"<key>": [...]}`` (or a bare array): all of
    them, or none and every problem at the path of its field."""
    key = reader.spec.key
    prefix: Path = ()
    problems: list[Problem] = []
    if isinstance(data, dict):
        problems += [
            Problem(f"unknown field {k!r}; expected {key!r}", Location(file), (k,))
            for k in data
            if k != key
        ]
        if key not in data:
            problems.append(Problem("this field is required", Location(file), (key,)))
            return [], problems
        items, prefix = data[key], (key,)
        if not isinstance(items, list):
            problems.append(Problem("expected a JSON array", Location(file), prefix))
            return [], problems
    elif isinstance(data, list):
        items = data
    else:
        shape = f'{{"{key}": [...]}}'
        return [], [Problem(f"expected a JSON object {shape} or a JSON array", Location(file))]
    records: list[T] = []
    fast = reader.fast_object
    for i, item in enumerate(items):
        if fast is not None and type(item) is dict:
            made = fast(item)
            if made is not None:
                records.append(made)
                continue
        if _stopped(problems, max_problems, file):
            break
        made = _from_object(item, reader, file, None, (*prefix, i), problems)
        if made is not None:
            records.append(made)
    return ([], problems) if problems else (records, [])


def _from_object(
    item: Any,
    reader: RecordReader[T],
    file: str,
    line: int | None,
    prefix: Path,
    problems: list[Problem],
) -> T | None:
    """The careful way for one JSON object."""
    if not isinstance(item, dict):
        problems.append(Problem("expected a JSON object", Location(file, line), prefix))
        return None
    columns = reader.spec.columns
    unknown = [k for k in item if k not in columns]
    for k in unknown:
        message = f"unknown field {k!r}; fields are {', '.join(columns)}"
        problems.append(Problem(message, Location(file, line), (*prefix, k)))
    before = len(problems)
    made = reader.build(Row(item, file, line, prefix, problems))
    return None if unknown or len(problems) > before else made


def parse_objects(
    items: Iterable[dict[str, Any]],
    reader: RecordReader[T],
    *,
    file: str,
    max_problems: int = MAX_PROBLEMS,
) -> tuple[list[T], list[Problem]]:
    """The records of objects read from a file that has no lines (a Parquet file's rows):
    all of them, or none and every problem, located at ``row N``."""
    records: list[T] = []
    problems: list[Problem] = []
    for number, item in enumerate(items, start=1):
        if _stopped(problems, max_problems, file):
            break
        made = _from_object(item, reader, file, None, ("row", number), problems)
        if made is not None:
            records.append(made)
    return (records, []) if not problems else ([], problems)


def _read_json_lines(
    text: str, reader: RecordReader[T], file: str, max_problems: int
) -> tuple[list[T], list[Problem]]:
    problems: list[Problem] = []
    records = list(json_line_records(text.split("\n"), reader, file, max_problems, problems))
    return ([], problems) if problems else (records, [])


def json_line_records(
    lines: Iterable[str],
    reader: RecordReader[T],
    file: str,
    max_problems: int,
    problems: list[Problem],
) -> Iterator[T]:
    """The records of JSON Lines ``lines`` (each with or without its line break), as they are
    read; every problem is appended to ``problems`` (a record is still yielded after one: the
    caller decides, as a file is all or nothing)."""
    loads, fast = json.loads, reader.fast_object
    for number, raw in enumerate(lines, start=1):
        line = raw.removesuffix("\n").removesuffix("\r")
        if not line or line.isspace():
            continue
        try:
            data = loads(line, parse_float=Decimal)
        except json.JSONDecodeError as exc:
            if _stopped(problems, max_problems, file):
                break
            problems.append(Problem(f"invalid JSON: {exc.msg}", Location(file, number, exc.colno)))
            continue
        except RecursionError:
            problems.append(Problem("invalid JSON: nested too deeply", Location(file, number)))
            continue
        if fast is not None and type(data) is dict:
            made = fast(data)
            if made is not None:
                yield made
                continue
        if _stopped(problems, max_problems, file):
            break
        found: list[Problem] = []
        made = _from_object(data, reader, file, number, (), found)
        if found:
            problems.extend(locate_in_json(found, line, file, number))
        elif made is not None:
            yield made


def _read_csv(
    text: str, reader: RecordReader[T], file: str, max_problems: int
) -> tuple[list[T], list[Problem]]:
    problems: list[Problem] = []
    lines = io.StringIO(text, newline="")
    records = list(csv_records(lines, reader, file, max_problems, problems))
    return ([], problems) if problems else (records, [])


def csv_records(
    lines: Iterable[str],
    reader: RecordReader[T],
    file: str,
    max_problems: int,
    problems: list[Problem],
) -> Iterator[T]:
    """The records of CSV ``lines`` (a text file opened with ``newline=""``) under their header
    row, as they are read; every problem is appended to ``problems`` (see
    :func:`json_line_records`)."""
    rows = csv.reader(lines, strict=True)
    spec = reader.spec
    last = header_line = 0
    header: tuple[str, ...] | None = None
    try:
        for cells in rows:
            header_line, last = last + 1, rows.line_num
            if any(c.strip() for c in cells):
                header = tuple(c.strip().lower() for c in cells)
                break
        if header is None:
            wanted = ", ".join(spec.columns)
            problems.append(Problem(f"no header row; columns are {wanted}", Location(file)))
            return
        wrong = _header_problems(header, spec, file, header_line)
        if wrong:
            problems.extend(wrong)
            return
        width = len(header)
        fast = reader.fast_csv(header) if reader.fast_csv is not None else None
        for cells in rows:
            line, last = last + 1, rows.line_num
            if fast is not None and len(cells) == width:
                made = fast(cells)
                if made is not None:
                    yield made
                    continue
                del cells[width:]  # what the fast way added
            if not any(c.strip() for c in cells):
                continue  # a blank line, or a row of empty cells
            if _stopped(problems, max_problems, file):
                break
            if len(cells) != width:
                problems.append(
                    Problem(
                        f"expected {width} cells, as the header on line {header_line} names, "
                        f"found {len(cells)}",
                        Location(file, line),
                    )
                )
                continue
            fields = {h: c for h, c in zip(header, cells, strict=True) if c}
            before = len(problems)
            made = reader.build(Row(fields, file, line, (), problems))
            if made is not None and len(problems) == before:
                yield made
    except csv.Error as exc:
        why = str(exc)
        if "end of data" in why:
            why += " (a quoted cell that starts in this row is never closed)"
        problems.append(Problem(f"CSV syntax error: {why}", Location(file, last + 1)))


def _header_problems(
    header: tuple[str, ...], spec: RecordSpec, file: str, line: int
) -> list[Problem]:
    out = []
    seen: set[str] = set()
    for name in header:
        if name not in spec.columns:
            known = ", ".join(spec.columns)
            out.append(
                Problem(
                    f"unknown column {name!r}; columns are {known}", Location(file, line), (name,)
                )
            )
        elif name in seen:
            out.append(Problem(f"column {name!r} appears twice", Location(file, line), (name,)))
        seen.add(name)
    for name in spec.required:
        if name not in seen:
            wanted = ", ".join(spec.required)
            out.append(
                Problem(
                    f"missing column {name!r} (required: {wanted})", Location(file, line), (name,)
                )
            )
    return out


def locate_in_json(
    problems: Iterable[Problem], text: str, file: str, first_line: int = 1
) -> list[Problem]:
    """``problems`` (located by path only) at the line and column of their path in ``text``,
    a JSON document whose first line is line ``first_line`` of ``file``."""
    problems = list(problems)
    if not problems:
        return problems
    try:
        marks = json_marks(text)
    except RecursionError:
        marks = {}
    breaks = [m.end() for m in re.finditer("\n", text)]
    out = []
    for p in problems:
        offset = None
        for end in range(len(p.path), -1, -1):
            offset = marks.get(p.path[:end])
            if offset is not None:
                break
        if offset is None:
            out.append(dataclasses.replace(p, location=Location(file, first_line)))
            continue
        row = bisect.bisect_right(breaks, offset)
        column = offset - (breaks[row - 1] if row else 0) + 1
        out.append(dataclasses.replace(p, location=Location(file, first_line + row, column)))
    return out
