"""Usage files: metered use of networks and services, read into
:class:`~servanda.accounting.usage.UsageRecord` records.

* **CSV** (``*.csv``): a header row naming columns among :data:`USAGE_COLUMNS`;
  ``source``, ``record_id``, ``account``, ``category`` and ``start`` are required; an empty cell
  is an absent value::

      source,record_id,account,category,start,service,subject,destination,duration,volume_up,volume_down
      sbc-1,cdr-000017,acme,call,2024-04-02T10:00:00+02:00,voice,+33142000001,+33612345678,95,,

* **JSON Lines** (``*.jsonl``): one object per line with the same field names, plus
  ``attributes`` (an object of text values);
* **JSON**: ``{"usage": [...]}`` — the API's body — or a bare array;
* **Parquet** (``*.parquet``): the same columns; problems are located at ``row N``.

``duration`` is seconds (a number) or a duration (``1m35s``); volumes are octets and ``units``
a count, never negative; ``category`` is one of
:class:`~servanda.accounting.usage.Category`. A record repeating the ``(source, record_id)`` of
an earlier one in the same file is a problem at its line (a file holds each use once; sending
the file again is what idempotency is for). A file is all or nothing, every problem located
``file:line`` at its field.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path as FsPath
from typing import Any

from pydantic import ValidationError

from servanda.accounting.usage import Category, UsageRecord
from servanda.core.durations import parse_duration
from servanda.core.problems import Location, Problem
from servanda.ingest.record_files import (
    RecordReader,
    RecordSpec,
    Row,
    parse_objects,
    read_records,
    to_choice,
    to_count,
    to_decimal,
    to_name,
    to_text,
    to_timestamp,
)

USAGE_COLUMNS = (
    "source", "record_id", "account", "category", "start", "service", "subject",
    "destination", "duration", "volume_up", "volume_down", "units", "session_id",
    "multi_session_id", "corrects", "attributes",
)  # fmt: skip
"""The fields of a usage record, in the order of the CSV header the docs show."""
USAGE = RecordSpec("usage", USAGE_COLUMNS, ("source", "record_id", "account", "category", "start"))
"""Usage files."""


_SECONDS = re.compile(r"[+-]?\d+(?:\.\d+)?")


def to_duration(raw: Any) -> timedelta:
    """Seconds (a number, or text of one) or a duration such as ``1m35s``; not negative."""
    if isinstance(raw, str) and not _SECONDS.fullmatch(raw.strip()):
        value = parse_duration(raw.strip())
    else:
        seconds = to_decimal(raw)
        value = timedelta(microseconds=int(seconds * 1_000_000))
    if value < timedelta(0):
        raise ValueError("a duration cannot be negative")
    return value


def _attributes(raw: Any) -> tuple[tuple[str, str], ...]:
    if not isinstance(raw, Mapping):
        raise ValueError("attributes are an object of text values")
    out = []
    for name, value in raw.items():
        if not isinstance(value, str | int | Decimal) or isinstance(value, bool):
            raise ValueError(f"attribute {name!r}: a text or a number")
        out.append((str(name), str(value)))
    return tuple(sorted(out))


def usage_reader() -> RecordReader[UsageRecord]:
    """How usage files are read; a record repeating an earlier one's key is a problem."""
    seen: dict[tuple[str, str], int | None] = {}

    def build(row: Row) -> UsageRecord | None:
        before = len(row.problems)
        source = row.get("source", to_text, required=True)
        record_id = row.get("record_id", to_name, required=True)
        account = row.get("account", to_text, required=True)
        category = row.get("category", to_choice(Category), required=True)
        start = row.get("start", to_timestamp, required=True)
        duration = row.get("duration", to_duration) or timedelta(0)
        fields = {
            name: row.get(name, to_count) or 0 for name in ("volume_up", "volume_down", "units")
        }
        texts = {
            name: row.get(name, to_name)
            for name in ("service", "subject", "destination", "session_id",
                         "multi_session_id", "corrects")
        }  # fmt: skip
        attributes = row.get("attributes", _attributes) or ()
        if source is not None and record_id is not None:
            key = (source, record_id)
            if key in seen:
                first = seen[key]
                where = f"line {first}" if first is not None else "an earlier record"
                row.problem("record_id", f"repeats the record of {where} ({source}, {record_id})")
            else:
                seen[key] = row.line
        if len(row.problems) > before:
            return None
        values: dict[str, Any] = {
            "source": source, "record_id": record_id, "account": account,
            "category": category, "start": start, "duration": duration,
            "attributes": attributes, **fields, **texts,
        }  # fmt: skip
        try:
            return UsageRecord(**values)
        except ValidationError as exc:
            for err in exc.errors(include_url=False):
                field = str(err["loc"][0]) if err["loc"] else None
                row.problem(field, str(err["msg"]).removeprefix("Value error, "))
            return None

    return RecordReader(USAGE, build)


def read_usage_file(path: str | FsPath) -> tuple[list[UsageRecord], list[Problem]]:
    """The usage records of a file (CSV, JSON Lines, JSON or Parquet by its name), or none
    and every problem, located."""
    if str(path).lower().endswith(".parquet"):
        return _read_parquet(FsPath(path))
    return read_records(path, usage_reader())


def _read_parquet(path: FsPath) -> tuple[list[UsageRecord], list[Problem]]:
    """A Parquet file's rows as usage records (instants written as text with their offset,
    the other values as they are)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path, pre_buffer=False)
    except (OSError, pa.ArrowInvalid) as exc:
        return [], [Problem(f"cannot read Parquet: {exc}", Location(str(path)))]

    def rows() -> Iterator[dict[str, Any]]:
        for batch in parquet.iter_batches(batch_size=65_536):
            for item in batch.to_pylist():
                yield {
                    k: v.isoformat() if isinstance(v, datetime) else v
                    for k, v in item.items()
                    if v is not None
                }

    return parse_objects(rows(), usage_reader(), file=str(path))
