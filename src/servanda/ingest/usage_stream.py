"""Usage files as a stream of Arrow batches, in and out: CSV, JSON Lines and Parquet.

Reading never holds a whole file: CSV is read block by block, JSON Lines a fixed number of
lines at a time, Parquet one row group batch at a time. Columns are read with the types rating
expects (:data:`USAGE_SCHEMA`): ids and destinations as text even when they look like numbers
(``0800123456`` keeps its zero), ``start`` as an instant with its offset, ``duration`` in
seconds. Writing follows the input's format from the output's suffix; CSV and JSON Lines
write the parts of each rated record as JSON, Parquet as a nested column.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import Any, Final

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.json as pajson
import pyarrow.parquet as pq

from servanda.accounting.rating.rater import INPUT_PROBLEM
from servanda.core.problems import InvalidInput, Location, Problem

USAGE_SCHEMA: Final = pa.schema(
    [
        ("source", pa.string()),
        ("record_id", pa.string()),
        ("account", pa.string()),
        ("category", pa.string()),
        ("service", pa.string()),
        ("subject", pa.string()),
        ("destination", pa.string()),
        ("start", pa.timestamp("us", tz="UTC")),
        ("duration", pa.decimal128(18, 3)),
        ("volume_up", pa.int64()),
        ("volume_down", pa.int64()),
        ("units", pa.int64()),
        ("session_id", pa.string()),
    ]
)
"""The columns of a usage file and their types; only ``source``, ``record_id``,
``account``, ``category`` and ``start`` are required."""

REQUIRED: Final = ("source", "record_id", "account", "category", "start")
FORMATS: Final = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet"}
BATCH_ROWS: Final = 131_072


def format_of(path: Path) -> str:
    """The format a file's suffix names (``csv``, ``jsonl``, ``parquet``)."""
    found = FORMATS.get(path.suffix.lower())
    if found is None:
        known = ", ".join(sorted(FORMATS))
        raise InvalidInput(
            [Problem(f"unknown usage file type {path.suffix!r}; use {known}", Location(str(path)))]
        )
    return found


PROBLEM: Final = INPUT_PROBLEM
"""A column the reader adds when a value of a row cannot be read: the located reason, which
rating reports as why the row is not rated (null on good rows)."""


def _cast(column: pa.Array, to: pa.DataType, name: str, where: list[str]) -> pa.Array:
    """``column`` cast to ``to``; values that do not cast become null, with their place and
    reason in ``where`` (one per row, empty when fine)."""
    try:
        return column.cast(to)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    values: list[Any] = []
    for i, value in enumerate(column.to_pylist()):
        try:
            values.append(pa.array([value]).cast(to)[0].as_py())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
            values.append(None)
            hint = " (an instant with its offset, e.g. 2024-04-02T10:00:00+02:00)"
            expected = hint if pa.types.is_timestamp(to) else ""
            where[i] = where[i] or f"{name}: cannot read {value!r}{expected}"
    return pa.array(values, to)


def _conform(batch: pa.RecordBatch, path: Path, first: int, kind: str) -> pa.RecordBatch:
    """The batch with the usage columns it has cast to their types, missing optional ones
    as nulls, any other columns kept as they are, and :data:`PROBLEM` where a value could not
    be read (``first``: the batch's first row in the file)."""
    names = batch.schema.names
    missing = [c for c in REQUIRED if c not in names]
    if missing:
        raise InvalidInput(
            [Problem(f"missing column(s) {', '.join(missing)}", Location(str(path), line=1))]
        )
    arrays: list[pa.Array] = []
    fields: list[pa.Field] = []
    where = [""] * batch.num_rows
    for f in USAGE_SCHEMA:
        if f.name in names:
            column = batch.column(f.name)
            if (f.name == "start" and not pa.types.is_timestamp(column.type)) or (
                f.name == "duration" and pa.types.is_floating(column.type)
            ):
                column = column.cast(pa.string())  # floats: the shortest exact text
            if f.name == "duration" and pa.types.is_integer(column.type):
                arrays.append(column.cast(pa.int64()))  # whole seconds, exact as they are
                fields.append(pa.field("duration", pa.int64()))
                continue
            arrays.append(_cast(column, f.type, f.name, where))
        else:
            arrays.append(pa.nulls(batch.num_rows, f.type))
        fields.append(f)
    for name in names:
        if name not in USAGE_SCHEMA.names and name != PROBLEM:
            arrays.append(batch.column(name))
            fields.append(batch.schema.field(name))
    for f, array in zip(fields, arrays, strict=True):
        if f.name not in REQUIRED:
            continue
        empty = array.is_null()
        if pa.types.is_string(f.type):
            empty = pc.or_(empty, pc.fill_null(pc.equal(pc.utf8_trim_whitespace(array), ""), False))
        for i in np.flatnonzero(np.asarray(empty)).tolist():
            where[i] = where[i] or f"{f.name}: missing"
    duration = arrays[[f.name for f in fields].index("duration")]
    negative = np.asarray(pc.fill_null(pc.less(duration, 0), False))
    for i in np.flatnonzero(negative).tolist():
        where[i] = where[i] or "duration: cannot be negative"
    for i, text in enumerate(where):
        if text:
            row = first + i
            place = {
                "csv": f"{path}:{row + 2}: ",
                "jsonl": f"{path}:{row + 1}: ",
            }.get(kind, f"{path}: row {row + 1}: ")
            where[i] = place + text
    arrays.append(pa.array([w or None for w in where], pa.string()))
    fields.append(pa.field(PROBLEM, pa.string()))
    return pa.RecordBatch.from_arrays(arrays, schema=pa.schema(fields))


def read_batches(path: Path, rows: int = BATCH_ROWS) -> Iterator[pa.RecordBatch]:
    """The usage of a file, batch by batch (see the module)."""
    kind = format_of(path)
    first = 0
    try:
        if kind == "parquet":
            # Without pre-buffering: it would keep what was read, and memory would grow with
            # the file.
            parquet = pq.ParquetFile(path, pre_buffer=False, buffer_size=1 << 22)
            for batch in parquet.iter_batches(batch_size=rows):
                yield _conform(batch, path, first, kind)
                first += batch.num_rows
        elif kind == "csv":
            text_columns = {f.name: pa.string() for f in USAGE_SCHEMA if pa.types.is_string(f.type)}
            reader = pacsv.open_csv(
                path,
                read_options=pacsv.ReadOptions(block_size=1 << 23),
                convert_options=pacsv.ConvertOptions(
                    column_types={**text_columns, "start": pa.string()}
                ),
            )
            for batch in reader:
                yield _conform(batch, path, first, kind)
                first += batch.num_rows
        else:
            yield from _jsonl(path, rows)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OSError, ValueError) as exc:
        if isinstance(exc, InvalidInput):
            raise
        raise InvalidInput([Problem(_arrow_message(exc), Location(str(path)))]) from exc


def _arrow_message(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return f"cannot read usage: {text}"


def _jsonl(path: Path, rows: int) -> Iterator[pa.RecordBatch]:
    text_fields = [f for f in USAGE_SCHEMA if f.name not in ("start", "duration")]
    schema = pa.schema([*text_fields, ("start", pa.string()), ("duration", pa.string())])
    options = pajson.ParseOptions(explicit_schema=schema, unexpected_field_behavior="ignore")
    first = 0
    with path.open("rb") as handle:
        while True:
            chunk = b"".join(line for _, line in zip(range(rows), handle, strict=False))
            if not chunk:
                return
            table = pajson.read_json(io.BytesIO(chunk), parse_options=options)
            for batch in table.to_batches():
                yield _conform(batch, path, first, "jsonl")
                first += batch.num_rows


class RatedWriter:
    """Writes rated batches to a file in the format its suffix names."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.kind = format_of(path)
        self._parquet: pq.ParquetWriter | None = None
        self._handle: io.BufferedWriter | None = None
        self._csv: pacsv.CSVWriter | None = None

    def __enter__(self) -> RatedWriter:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def write(self, batch: pa.RecordBatch) -> None:
        """Append one rated batch."""
        if self.kind == "parquet":
            if self._parquet is None:
                self._parquet = pq.ParquetWriter(
                    self.path,
                    batch.schema,
                    compression="lz4",
                    # Dictionaries and statistics only where they pay: the columns of few
                    # values, and those a reader filters on.
                    use_dictionary=[f.name for f in batch.schema if pa.types.is_dictionary(f.type)]
                    + ["source", "category", "currency", "service", "parts.list.element.band"],
                    write_statistics=["source", "record_id", "account", "start", "cost"],
                    store_decimal_as_integer=True,
                )
            self._parquet.write_batch(batch)
            return
        if self.kind == "csv":
            flat = _flat(batch)
            if self._csv is None:
                self._csv = pacsv.CSVWriter(self.path, flat.schema)
            self._csv.write_batch(flat)
            return
        if self._handle is None:
            self._handle = self.path.open("wb")
        for row in batch.to_pylist():
            self._handle.write(orjson.dumps(row, default=_json_default) + b"\n")

    def close(self) -> None:
        """Finish the file."""
        if self._parquet is not None:
            self._parquet.close()
        if self._csv is not None:
            self._csv.close()
        if self._handle is not None:
            self._handle.close()


def _json_default(value: Any) -> Any:
    return str(value)


def _decimal_text(values: pa.Array) -> pa.Array:
    """Decimals as plain text with all their places (Arrow writes a zero as ``0E-7``)."""
    scale = values.type.scale
    zero = "0." + "0" * scale if scale else "0"
    return pc.if_else(pc.equal(values, pa.scalar(0, values.type)), zero, values.cast(pa.string()))


def _json_lists(column: pa.Array) -> pa.Array:
    """A list of flat structs (the parts of rated records) as JSON text, built column-wise:
    ``[{"band":"peak","slot":0,…},…]``. Text fields are ids (no character to escape); numbers
    and decimals are written as JSON numbers and strings as the record's JSON does."""
    structs = column.flatten()
    pieces: list[pa.Array | str] = []
    for i, field in enumerate(structs.type):
        values = structs.field(i)
        if pa.types.is_dictionary(field.type):
            values = values.cast(field.type.value_type)
        text = values.cast(pa.string())
        if (
            pa.types.is_string(field.type)
            or pa.types.is_dictionary(field.type)
            or pa.types.is_decimal(field.type)
        ):
            text = pc.binary_join_element_wise('"', text, '"', "")
        text = pc.fill_null(text, "null")
        pieces += [("{" if i == 0 else ",") + f'"{field.name}":', text]
    pieces.append("}")
    objects = pc.binary_join_element_wise(*pieces, "")
    offsets = column.offsets
    lists = pa.ListArray.from_arrays(offsets, objects, mask=column.is_null())
    joined = pc.binary_join(lists, ",")
    return pc.binary_join_element_wise("[", joined, "]", "")


def _flat(batch: pa.RecordBatch) -> pa.RecordBatch:
    """A batch CSV can hold: dictionary text decoded, the parts as JSON text."""
    arrays: list[pa.Array] = []
    fields: list[pa.Field] = []
    for f, column in zip(batch.schema, batch.columns, strict=True):
        if pa.types.is_dictionary(f.type):
            column = column.cast(f.type.value_type)
        elif pa.types.is_decimal(f.type):
            column = _decimal_text(column)
        elif pa.types.is_list(f.type) and pa.types.is_struct(f.type.value_type):
            column = _json_lists(column)
        elif pa.types.is_list(f.type) or pa.types.is_struct(f.type):
            column = pa.array(
                [
                    None if v is None else orjson.dumps(v, default=_json_default).decode()
                    for v in column.to_pylist()
                ],
                pa.string(),
            )
        arrays.append(column)
        fields.append(pa.field(f.name, column.type))
    return pa.RecordBatch.from_arrays(arrays, schema=pa.schema(fields))
