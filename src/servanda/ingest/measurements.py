"""Measurement files: CSV, JSON Lines and JSON read into :class:`Measurement` records.

``servanda measure ingest FILE`` (as a stream, :func:`stream_measurement_file`) and the
measurements API read them here:

* **CSV** (``*.csv``): a header row naming columns among ``series, at, start, value, good,
  total, sent_at, received_at, sequence`` in any order; only ``series`` and ``at`` are
  required; an empty cell is an absent value::

      series,at,start,value,good,total
      bertin-vpn-latency,2024-04-02T10:00:00Z,,12.4,,
      bertin-vpn-loss,2024-04-02T10:05:00Z,2024-04-02T10:00:00Z,,29991,30000

* **JSON Lines** (``*.jsonl``, ``*.ndjson``): one object per line with the same field names;
  blank lines are skipped;
* **JSON** (``*.json``): ``{"measurements": [...]}`` — the API's body — or a bare array.

``value`` is an exact decimal (milliseconds or bit/s), ``good``, ``total`` and ``sequence``
whole numbers, timestamps RFC 3339 with their timezone (read as UTC). Each measurement is
checked as :class:`~servanda.measure.inputs.Measurement` checks it (no negative or non-numeric
value, no stop before its start, good and total together and good ≤ total, sent_at and
received_at together) and, given the declared series, against its series: an unknown series is
refused, and so is a measurement that does not carry what its series' kind needs
(:meth:`Measurement.fits`).

A file is all or nothing: when any line is bad, no measurement is returned and every problem
is, located ``file:line`` with the column or field it concerns (``file:line:column`` in JSON).
Reading stops after :data:`MAX_PROBLEMS` problems: a file wrong on every line says so a
thousand times, not a million.

The machinery shared by every record file (formats, rows, converters, readers) is in
:mod:`servanda.ingest.record_files`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from enum import Enum
from operator import itemgetter
from pathlib import Path as FsPath
from typing import Any

from servanda.core.problems import Problem
from servanda.core.records import WHITESPACE, strip
from servanda.ingest.record_files import (
    MAX_PROBLEMS,
    RecordFormat,
    RecordReader,
    RecordSpec,
    Row,
    parse_record_data,
    parse_records,
    read_records,
    to_count,
    to_integer,
    to_measured_value,
    to_text,
    to_timestamp,
)
from servanda.ingest.record_stream import BATCH_ROWS, Progress, stream_records
from servanda.measure.inputs import COUNT_KINDS, VALUE_KINDS, Measurement, Series, SeriesKind

# -- measurements ----------------------------------------------------------------------------

MEASUREMENT_COLUMNS = (
    "series",
    "at",
    "start",
    "value",
    "good",
    "total",
    "sent_at",
    "received_at",
    "sequence",
)
"""The fields of a measurement, in the order of the CSV header the docs show."""


def measurement_key(m: Measurement) -> str:
    """The identity of a measurement, for idempotent ingestion: SHA-256 (hex) of its series,
    ``at``, ``start``, ``sent_at`` and ``sequence`` (instants in UTC to the microsecond).

    The same line sent twice has the same key; a line resent with a corrected value keeps its
    key, so it replaces the first.
    """
    parts = (m.series, _instant(m.at), _instant(m.start), _instant(m.sent_at))
    sequence = "" if m.sequence is None else str(m.sequence)
    return hashlib.sha256("\x1f".join((*parts, sequence)).encode()).hexdigest()


def _instant(moment: datetime | None) -> str:
    return "" if moment is None else moment.astimezone(UTC).isoformat(timespec="microseconds")


def measurement_reader(
    series_by_id: Mapping[str, Series] | None = None,
) -> RecordReader[Measurement]:
    """How measurements are read, checked against ``series_by_id`` when given."""
    builder = _MeasurementBuilder(series_by_id)
    return RecordReader(MEASUREMENTS, builder.build, builder.fast_csv, builder.fast_object)


def read_measurement_file(
    path: str | FsPath,
    *,
    series_by_id: Mapping[str, Series] | None = None,
    fmt: RecordFormat | None = None,
    max_problems: int = MAX_PROBLEMS,
) -> tuple[list[Measurement], list[Problem]]:
    """The measurements of a file, or none and every problem (see the module).

    ``fmt`` is ``csv``, ``jsonl`` or ``json``; by default the file name's ending decides.
    ``series_by_id`` (a bundle's :attr:`~servanda.declared.bundle.Bundle.series_by_id`) turns on
    the checks against the declared series.
    """
    reader = measurement_reader(series_by_id)
    return read_records(path, reader, fmt=fmt, max_problems=max_problems)


def stream_measurement_file(
    path: str | FsPath,
    *,
    series_by_id: Mapping[str, Series] | None = None,
    fmt: RecordFormat | None = None,
    batch: int = BATCH_ROWS,
    progress: Progress | None = None,
) -> Iterator[list[Measurement]]:
    """The measurements of a file in batches of at most ``batch``, read as they are asked for
    (:func:`~servanda.ingest.record_stream.stream_records`): the way of files too large to
    hold. The checks are those of :func:`read_measurement_file`; the stream raises
    :class:`~servanda.core.problems.InvalidInput` at its end when the file has problems."""
    reader = measurement_reader(series_by_id)
    return stream_records(path, reader, fmt=fmt, batch=batch, progress=progress)


def parse_measurements(
    text: str,
    fmt: RecordFormat,
    *,
    series_by_id: Mapping[str, Series] | None = None,
    file: str = "<input>",
    max_problems: int = MAX_PROBLEMS,
) -> tuple[list[Measurement], list[Problem]]:
    """The measurements of ``text`` written in ``fmt`` (see :func:`read_measurement_file`)."""
    reader = measurement_reader(series_by_id)
    return parse_records(text, fmt, reader, file=file, max_problems=max_problems)


def parse_measurements_json(
    data: Any,
    *,
    series_by_id: Mapping[str, Series] | None = None,
    file: str = "<request>",
    max_problems: int = MAX_PROBLEMS,
) -> tuple[list[Measurement], list[Problem]]:
    """The measurements of a JSON document already parsed (the API's body,
    ``{"measurements": [...]}``); problems carry the path of their field, such as
    ``("measurements", 3, "value")``. Numbers may be ``int``, ``float`` (read through their
    shortest text, ``0.1`` is 0.1) or ``Decimal``."""
    reader = measurement_reader(series_by_id)
    return parse_record_data(data, reader, file=file, max_problems=max_problems)


_TIMESTAMPS_CACHED = 4096
"""Timestamps remembered while reading one file (series share instants; an interval's start
is often the previous one's end)."""


class _MeasurementBuilder:
    """Measurements from rows, checked against the declared series when given.

    :meth:`build` is the careful way: every field converted and every problem recorded.
    :meth:`fast_csv` and :meth:`fast_object` are the way of the millions of good rows: the same
    conversions and checks without the bookkeeping, giving up (None) at the first doubt, when
    the row is read again the careful way. A property test holds them to the same answers.
    """

    def __init__(self, series_by_id: Mapping[str, Series] | None) -> None:
        self.kinds = None if series_by_id is None else {k: s.kind for k, s in series_by_id.items()}
        self.needs = None if self.kinds is None else {k: _NEEDS[v] for k, v in self.kinds.items()}
        self.declared = "" if series_by_id is None else _listing(sorted(series_by_id))
        self.cache: dict[str, datetime] = {}

    def build(self, row: Row) -> Measurement | None:
        """A measurement from ``row``, or None with its problems recorded in ``row``."""
        before = len(row.problems)
        series = row.get("series", to_text, required=True)
        at = row.get("at", to_timestamp, required=True)
        start = row.get("start", to_timestamp)
        value = row.get("value", to_measured_value)
        good = row.get("good", to_count)
        total = row.get("total", to_count)
        sent_at = row.get("sent_at", to_timestamp)
        received_at = row.get("received_at", to_timestamp)
        sequence = row.get("sequence", to_integer)
        if len(row.problems) > before or series is None or at is None:
            return None
        wrong = _inconsistencies(at, start, value, good, total, sent_at, received_at)
        for field, message in wrong or ():
            row.problem(field, message)
        if wrong:
            return None
        m = _measurement(series, at, start, value, good, total, sent_at, received_at, sequence)
        if self.kinds is not None:
            kind = self.kinds.get(series)
            if kind is None:
                row.problem("series", f"unknown series {series!r}; {self.declared}")
                return None
            why = m.fits(kind)
            if why is not None:
                row.problem(_FITS_FIELD[kind], f"series {series!r} is {kind.value}: {why}")
                return None
        return m

    def _timestamp(self, text: Any) -> datetime:
        found = self.cache.get(text) if type(text) is str else None
        if found is None:
            found = to_timestamp(text)
            if len(self.cache) >= _TIMESTAMPS_CACHED:
                self.cache.clear()
            self.cache[text] = found
        return found

    def _checked(
        self,
        series: str,
        at: datetime,
        start: datetime | None,
        value: Decimal | None,
        good: int | None,
        total: int | None,
        sent_at: datetime | None,
        received_at: datetime | None,
        sequence: int | None,
    ) -> Measurement | None:
        """The measurement of converted fields when nothing is wrong with it, else None."""
        if start is not None and start > at:
            return None
        if good is None:
            if total is not None:
                return None
        elif total is None or good > total:
            return None
        if (sent_at is None) != (received_at is None):
            return None
        if value is None and good is None and sent_at is None:
            return None
        needs = self.needs
        if needs is not None:
            need = needs.get(series)
            if need is None:
                return None
            if need is _Need.VALUE:
                if value is None:
                    return None
            elif need is _Need.COUNTS:
                if good is None:
                    return None
            elif need is _Need.PACKET:
                if sent_at is None:
                    return None
            elif value is None and sent_at is None:
                return None
        return _measurement(series, at, start, value, good, total, sent_at, received_at, sequence)

    def fast_csv(self, header: tuple[str, ...]) -> Callable[[list[str]], Measurement | None]:
        """The fast way for CSV rows under ``header`` (see the class)."""
        where = {name: i for i, name in enumerate(header)}
        pick = itemgetter(*(where.get(name, len(header)) for name in MEASUREMENT_COLUMNS))
        timestamp, checked, cached = self._timestamp, self._checked, self.cache.get

        def one(cells: list[str]) -> Measurement | None:
            cells.append("")  # what an absent column reads
            series, at, start, value, good, total, sent_at, received_at, sequence = pick(cells)
            try:
                series = strip(series)
                at_ = cached(at) or timestamp(at)
                value_ = None
                if value:
                    value_ = Decimal(value)
                    if not value_.is_finite() or value_ < 0:
                        return None
                for count in (good, total, sequence):
                    if count and not count.isdecimal():
                        return None  # a sign, spaces, not a number: the careful way
                return (
                    checked(
                        series,
                        at_,
                        timestamp(start) if start else None,
                        value_,
                        int(good) if good else None,
                        int(total) if total else None,
                        timestamp(sent_at) if sent_at else None,
                        timestamp(received_at) if received_at else None,
                        int(sequence) if sequence else None,
                    )
                    if series
                    else None
                )
            except (ValueError, ArithmeticError):
                return None

        return one

    def fast_object(self, item: dict[str, Any]) -> Measurement | None:
        """The fast way for a JSON object (see the class)."""
        if not _COLUMN_SET.issuperset(item):
            return None
        get = item.get
        series, value, good, total, sequence = (
            get("series"),
            get("value"),
            get("good"),
            get("total"),
            get("sequence"),
        )
        if type(series) is not str:
            return None
        series = strip(series)
        if not series:
            return None
        if type(value) is int:
            value = Decimal(value)
        if value is not None and (type(value) is not Decimal or not value.is_finite() or value < 0):
            return None
        for count in (good, total):
            if count is not None and (type(count) is not int or count < 0):
                return None
        if sequence is not None and type(sequence) is not int:
            return None
        stamps: list[datetime | None] = []
        for name in ("at", "start", "sent_at", "received_at"):
            text = get(name)
            if text is None:
                stamps.append(None)
            elif type(text) is not str or not text.strip(WHITESPACE):
                return None
            else:
                try:
                    stamps.append(self._timestamp(text))
                except ValueError:
                    return None
        at, start, sent_at, received_at = stamps
        if at is None:
            return None
        return self._checked(series, at, start, value, good, total, sent_at, received_at, sequence)


_COLUMN_SET = frozenset(MEASUREMENT_COLUMNS)


class _Need(Enum):
    """What a measurement must carry to fit its series' kind (:meth:`Measurement.fits`)."""

    VALUE = 1
    VALUE_OR_PACKET = 2
    COUNTS = 3
    PACKET = 4


_NEEDS = {
    SeriesKind.LATENCY: _Need.VALUE,
    SeriesKind.JITTER: _Need.VALUE,
    SeriesKind.THROUGHPUT: _Need.VALUE,
    SeriesKind.ONE_WAY_DELAY: _Need.VALUE_OR_PACKET,
    SeriesKind.LOSS: _Need.COUNTS,
    SeriesKind.GOOD_TOTAL: _Need.COUNTS,
    SeriesKind.PACKETS: _Need.PACKET,
}
_FITS_FIELD = {
    **dict.fromkeys(VALUE_KINDS, "value"),
    **dict.fromkeys(COUNT_KINDS, "good"),
    SeriesKind.PACKETS: "sent_at",
}
"""The field a measurement that does not fit its series' kind lacks."""

_new = object.__new__
_set = object.__setattr__


def _measurement(
    series: str,
    at: datetime,
    start: datetime | None,
    value: Decimal | None,
    good: int | None,
    total: int | None,
    sent_at: datetime | None,
    received_at: datetime | None,
    sequence: int | None,
) -> Measurement:
    """A measurement of fields converted and checked as its validation would do it (the to_*
    converters, then :func:`_inconsistencies`), built without running that validation again —
    :func:`~servanda.core.records.trusted` for this one record, spelt out because it is built
    millions of times. A test holds the fields here to the record's."""
    m = _new(Measurement)
    _set(m, "series", series)
    _set(m, "at", at)
    _set(m, "start", start)
    _set(m, "value", value)
    _set(m, "good", good)
    _set(m, "total", total)
    _set(m, "sent_at", sent_at)
    _set(m, "received_at", received_at)
    _set(m, "sequence", sequence)
    return m


def _inconsistencies(
    at: datetime,
    start: datetime | None,
    value: Decimal | None,
    good: int | None,
    total: int | None,
    sent_at: datetime | None,
    received_at: datetime | None,
) -> list[tuple[str | None, str]] | None:
    """What is wrong between the fields of a measurement (as (field, message) pairs), or None;
    the checks of :class:`Measurement` itself."""
    found: list[tuple[str | None, str]] = []
    if start is not None and start > at:
        found.append(
            ("at", f"the interval stops ({at.isoformat()}) before it starts ({start.isoformat()})")
        )
    if (good is None) != (total is None):
        found.append(("total" if total is None else "good", "good and total go together"))
    elif good is not None and total is not None and good > total:
        found.append(("good", f"good ({good}) is more than total ({total})"))
    if (sent_at is None) != (received_at is None):
        missing = "received_at" if received_at is None else "sent_at"
        found.append((missing, "sent_at and received_at go together"))
    if value is None and good is None and total is None and sent_at is None and received_at is None:
        found.append(
            (None, "a measurement needs a value, good and total, or sent_at and received_at")
        )
    return found or None


def _listing(ids: Sequence[str]) -> str:
    if not ids:
        return "no series is declared"
    shown = ", ".join(ids[:10]) + (f" and {len(ids) - 10} more" if len(ids) > 10 else "")
    return f"declared: {shown}"


MEASUREMENTS = RecordSpec("measurements", MEASUREMENT_COLUMNS, ("series", "at"))
"""Measurement files."""
