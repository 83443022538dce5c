"""Measurements of declared series and attestations of policy controls.

Measurements arrive in bulk and are stored once: each comes with its idempotency key (64
lowercase hex characters, e.g. a SHA-256, computed by the sender or by the adapter that read
it), and :meth:`MeasurementRepository.add` inserts a batch in one fixed-text statement with
``ON CONFLICT (key) DO NOTHING`` (see :mod:`servanda.storage.repositories.events`), returning
how many were new. A batch that fails (a key that is no hash, an undeclared series) fails whole: the
caller's transaction rolls back and nothing of it stays.

Measurement reads them back as columns (:class:`MeasurementColumns`: NumPy arrays, instants as
int64 microseconds since the Unix epoch) for the vectorised computations, or as records for the
slow paths (a list in a report, an export).

Attestations are few and keyed the same way, by the caller.

Whether a record sent again under a stored key is dropped (the default: the first one stays) or
overwrites the stored one (``replace=True``: a corrected value sent under the same key) is the
caller's choice; storage makes either idempotent.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

import numpy as np
from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Dialect,
    String,
    Table,
    TextClause,
    bindparam,
    func,
    select,
    text,
)
from sqlalchemy.orm import Session

from servanda.core.intervals import F64, I64
from servanda.measure.inputs import Attestation, Measurement
from servanda.storage.repositories.events import _pg_upsert_statement, _sqlite_upsert_statement
from servanda.storage.tables import AttestationRow, MeasurementRow
from servanda.storage.types import UTCDateTime

MEASUREMENTS: Table = MeasurementRow.__table__  # type: ignore[assignment]
ATTESTATIONS: Table = AttestationRow.__table__  # type: ignore[assignment]

MISSING: Final = int(np.iinfo(np.int64).min)
"""What an int64 column of :class:`MeasurementColumns` holds where the measurement has no
value (NumPy's ``NaT`` as an integer)."""

_KEY = re.compile(r"[0-9a-f]{64}")


def insert_keyed(
    session: Session,
    table: Table,
    columns: Mapping[str, Sequence[Any]],
    keys: Sequence[str],
    *,
    replace: bool = False,
) -> int:
    """Insert rows given as ``{column: values}`` (lists of one length) into ``table``, whose
    rows are identified by the ``keys`` columns.

    A row whose key is stored already, or repeats an earlier row of the batch, is skipped by
    the database (``ON CONFLICT … DO NOTHING``: the first one stays) — or, with ``replace``,
    overwrites it (``DO UPDATE`` of every other column: the last one stays). Returns how many
    rows were inserted (with ``replace``: distinct keys inserted or overwritten).

    One statement of fixed text: on PostgreSQL ``INSERT … SELECT … FROM unnest(arrays)``, on
    SQLite the driver's executemany (the statements of
    :func:`~servanda.storage.repositories.events.upsert`).
    """
    names = tuple(columns)
    if not names or not len(columns[names[0]]):
        return 0
    connection = session.connection()
    dialect = connection.dialect
    update = None
    if replace:
        update = tuple(n for n in names if n not in keys)
        columns = _last_of_each_key(columns, keys)
    if dialect.name == "postgresql":
        sql, processors = _pg_upsert_statement(dialect, table, names, tuple(keys), update)
        params = {
            f"p{n}": _converted(columns[name], process)
            for n, (name, process) in enumerate(zip(names, processors, strict=True))
        }
        return int(connection.exec_driver_sql(sql, params).rowcount)
    if dialect.name != "sqlite":  # pragma: no cover - SQLite and PostgreSQL only
        raise NotImplementedError(f"no bulk insert for {dialect.name}")
    sql, processors = _sqlite_upsert_statement(dialect, table, names, tuple(keys), update)
    converted = [
        _converted(columns[name], process) for name, process in zip(names, processors, strict=True)
    ]
    return int(connection.exec_driver_sql(sql, list(zip(*converted, strict=True))).rowcount)


def _last_of_each_key(
    columns: Mapping[str, Sequence[Any]], keys: Sequence[str]
) -> Mapping[str, Sequence[Any]]:
    """``columns`` without the rows a later row of the same key overwrites: PostgreSQL refuses
    to update one row twice in one statement, and SQLite would count both writes."""
    identities = list(zip(*(columns[k] for k in keys), strict=True))
    last = {identity: n for n, identity in enumerate(identities)}
    if len(last) == len(identities):
        return columns
    kept = sorted(last.values())
    return {name: [values[n] for n in kept] for name, values in columns.items()}


def _converted(values: Sequence[Any], process: Any) -> list[Any]:
    """``values`` as the driver takes them (NULL stays NULL: no call per missing value)."""
    if process is None:
        return list(values)
    return [None if v is None else process(v) for v in values]


def check_keys(keys: Iterable[str]) -> None:
    """Raise :class:`ValueError` naming the first key that is not 64 lowercase hex characters."""
    for n, key in enumerate(keys):
        if not isinstance(key, str) or _KEY.fullmatch(key) is None:
            raise ValueError(
                f"item {n}: the key {key!r} is not 64 lowercase hex characters (a SHA-256)"
            )


# -- measurements ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StoredMeasurement:
    """A measurement as stored: its key, the measurement, and when the server stored it."""

    key: str
    measurement: Measurement
    stored_at: datetime


@dataclass(frozen=True, slots=True)
class MeasurementColumns:
    """The measurements of one series as columns, one element per measurement, ordered by
    ``at`` (then key). Arrays are read-only.

    Instants are int64 microseconds since the Unix epoch (UTC); an int64 column holds
    :data:`MISSING` where the measurement has no value, and ``value`` holds NaN.
    """

    series: str
    at_us: I64
    start_us: I64
    value: F64
    """The value as a binary float (for arithmetic; ``value_text`` keeps it exactly)."""
    good: I64
    total: I64
    sent_us: I64
    received_us: I64
    sequence: I64
    value_text: tuple[str | None, ...] | None = None
    """The exact decimal text of each value (``Decimal(text)`` is the value as received), None
    where there is none; only when asked for (``exact=True``)."""

    def __len__(self) -> int:
        return len(self.at_us)


class MeasurementRepository:
    """Measurements, in the caller's session and transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(
        self,
        measurements: Sequence[tuple[str, Measurement]],
        stored_at: datetime,
        *,
        replace: bool = False,
    ) -> int:
        """Store ``(key, measurement)`` pairs; returns how many were new.

        Keys already stored, and keys repeated in the batch, are skipped (the first of a batch
        is kept); with ``replace`` they overwrite what is stored (the last of a batch is kept)
        and the count is of measurements new or overwritten. Raises :class:`ValueError` for a
        key that is no 64-character lowercase hex hash, before writing anything; the database
        refuses a measurement of an undeclared series (``IntegrityError``), and the caller's
        transaction then rolls back the batch.
        """
        if not measurements:
            return 0
        check_keys(key for key, _ in measurements)
        ms = [m for _, m in measurements]
        columns: dict[str, list[Any]] = {
            "key": [key for key, _ in measurements],
            "series": [m.series for m in ms],
            "at": [m.at for m in ms],
            "start": [m.start for m in ms],
            "value": [m.value for m in ms],
            "good": [m.good for m in ms],
            "total": [m.total for m in ms],
            "sent_at": [m.sent_at for m in ms],
            "received_at": [m.received_at for m in ms],
            "sequence": [m.sequence for m in ms],
            "stored_at": [stored_at] * len(ms),
        }
        return insert_keyed(self.session, MEASUREMENTS, columns, ["key"], replace=replace)

    def measurements(
        self, series: str, since: datetime, until: datetime, *, exact: bool = False
    ) -> MeasurementColumns:
        """The measurements of ``series`` taken in ``[since, until)`` (by ``at``), as columns;
        ``exact=True`` adds the decimal text of every value."""
        connection = self.session.connection()
        statement = _columns_statement(connection.dialect, exact)
        rows = connection.execute(
            statement, {"series": series, "since": since, "until": until, "missing": MISSING}
        ).all()
        cols: list[Sequence[Any]] = list(zip(*rows, strict=True)) if rows else [()] * (8 + exact)
        if connection.dialect.name == "postgresql":
            at, start, sent, received = (_ints(cols[i]) for i in (0, 1, 6, 7))
            value = _frozen(np.array(cols[2], dtype=np.float64))
        else:
            at, start, sent, received = (_instants(cols[i]) for i in (0, 1, 6, 7))
            value = _frozen(np.array(cols[2], dtype=np.str_).astype(np.float64))
        return MeasurementColumns(
            series=series,
            at_us=at,
            start_us=start,
            value=value,
            good=_ints(cols[3]),
            total=_ints(cols[4]),
            sent_us=sent,
            received_us=received,
            sequence=_ints(cols[5]),
            value_text=tuple(cols[8]) if exact else None,
        )

    def records(self, series: str, since: datetime, until: datetime) -> list[StoredMeasurement]:
        """The measurements of ``series`` taken in ``[since, until)``, as records, by ``at``
        (then key)."""
        return self.records_of([series], since, until)

    def records_of(
        self, series: Sequence[str], since: datetime, until: datetime
    ) -> list[StoredMeasurement]:
        """The measurements of every one of ``series`` taken in ``[since, until)``, in one
        query, by ``at`` (then key)."""
        if not series:
            return []
        m = MEASUREMENTS.c
        query = (
            select(MEASUREMENTS)
            .where(m.series.in_(list(series)), m.at >= since, m.at < until)
            .order_by(m.at, m.key)
        )
        return [
            StoredMeasurement(
                key=r["key"],
                measurement=Measurement(
                    series=r["series"],
                    at=r["at"],
                    start=r["start"],
                    value=r["value"],
                    good=r["good"],
                    total=r["total"],
                    sent_at=r["sent_at"],
                    received_at=r["received_at"],
                    sequence=r["sequence"],
                ),
                stored_at=r["stored_at"],
            )
            for r in self.session.connection().execute(query).mappings()
        ]

    def count(
        self,
        series: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> int:
        """How many measurements are stored (of ``series``, taken in ``[since, until)``)."""
        m = MEASUREMENTS.c
        conditions: list[ColumnElement[bool]] = []
        if series is not None:
            conditions.append(m.series == series)
        if since is not None:
            conditions.append(m.at >= since)
        if until is not None:
            conditions.append(m.at < until)
        query = select(func.count()).select_from(MEASUREMENTS).where(*conditions)
        return int(self.session.connection().execute(query).scalar_one())

    def existing_keys(self, keys: Iterable[str]) -> set[str]:
        """Those of ``keys`` already stored."""
        wanted = list(dict.fromkeys(keys))
        found: set[str] = set()
        for i in range(0, len(wanted), 500):
            query = select(MEASUREMENTS.c.key).where(MEASUREMENTS.c.key.in_(wanted[i : i + 500]))
            found.update(self.session.connection().execute(query).scalars())
        return found


# Columns of the statements below: at, start, value, good, total, sequence, sent_at,
# received_at, then the exact value text when asked for.
_PG_COLUMNS = """
SELECT (extract(epoch FROM at) * 1000000)::bigint,
       COALESCE((extract(epoch FROM start) * 1000000)::bigint, :missing),
       COALESCE(value::float8, 'NaN'::float8),
       COALESCE(good, :missing), COALESCE(total, :missing), COALESCE(sequence, :missing),
       COALESCE((extract(epoch FROM sent_at) * 1000000)::bigint, :missing),
       COALESCE((extract(epoch FROM received_at) * 1000000)::bigint, :missing){exact}
FROM measurements
WHERE series = :series AND at >= :since AND at < :until
ORDER BY at, key
"""
# SQLite keeps timestamps as text (``YYYY-MM-DD HH:MM:SS.ffffff``, UTC) and decimals as their
# text: NumPy parses both, in bulk ('NaT' and 'nan' where there is none).
_SQLITE_COLUMNS = """
SELECT at, COALESCE(start, 'NaT'), COALESCE(value, 'nan'),
       COALESCE(good, :missing), COALESCE(total, :missing), COALESCE(sequence, :missing),
       COALESCE(sent_at, 'NaT'), COALESCE(received_at, 'NaT'){exact}
FROM measurements
WHERE series = :series AND at >= :since AND at < :until
ORDER BY at, key
"""


@functools.cache
def _columns_statement(dialect: Dialect, exact: bool) -> TextClause:
    """The fixed text of :meth:`MeasurementRepository.measurements` for ``dialect``."""
    if dialect.name == "postgresql":
        sql = _PG_COLUMNS.format(exact=", value::text" if exact else "")
    else:
        sql = _SQLITE_COLUMNS.format(exact=", value" if exact else "")
    return text(sql).bindparams(
        bindparam("series", type_=String()),
        bindparam("since", type_=UTCDateTime()),
        bindparam("until", type_=UTCDateTime()),
        bindparam("missing", type_=BigInteger()),
    )


def _frozen(array: Any) -> Any:
    array.setflags(write=False)
    return array


def _ints(values: Sequence[Any]) -> I64:
    result: I64 = _frozen(np.array(values, dtype=np.int64))
    return result


def _instants(texts: Sequence[Any]) -> I64:
    """Microseconds since the epoch of SQLite's UTC timestamp texts ('NaT': :data:`MISSING`)."""
    result: I64 = _frozen(np.array(texts, dtype="datetime64[us]").astype(np.int64))
    return result


# -- attestations ----------------------------------------------------------------------------


class AttestationRepository:
    """Attestations of policy controls, in the caller's session and transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, items: Sequence[tuple[str, Attestation]], *, replace: bool = False) -> int:
        """Store ``(key, attestation)`` pairs; returns how many were new. A key already stored
        or repeated is skipped, or with ``replace`` overwrites (see
        :meth:`MeasurementRepository.add`); a key that is no 64-character lowercase hex hash
        raises :class:`ValueError` before anything is written."""
        check_keys(key for key, _ in items)
        attestations = [a for _, a in items]
        columns: dict[str, list[Any]] = {
            "key": [key for key, _ in items],
            "policy": [a.policy for a in attestations],
            "control": [a.control for a in attestations],
            "period_start": [a.period_start for a in attestations],
            "period_end": [a.period_end for a in attestations],
            "met": [a.met for a in attestations],
            "attested_by": [a.attested_by for a in attestations],
            "attested_at": [a.attested_at for a in attestations],
            "evidence": [a.evidence for a in attestations],
            "note": [a.note for a in attestations],
        }
        return insert_keyed(self.session, ATTESTATIONS, columns, ["key"], replace=replace)

    def attestations(
        self,
        policy: str | None = None,
        control: str | None = None,
        overlapping: tuple[datetime, datetime] | None = None,
    ) -> list[Attestation]:
        """Attestations (of ``policy``, of ``control``, whose period overlaps the half-open
        ``overlapping`` period), by policy, control, period start and when attested."""
        a = ATTESTATIONS.c
        conditions: list[ColumnElement[bool]] = []
        if policy is not None:
            conditions.append(a.policy == policy)
        if control is not None:
            conditions.append(a.control == control)
        if overlapping is not None:
            start, end = overlapping
            conditions.extend([a.period_start < end, a.period_end > start])
        query = (
            select(ATTESTATIONS)
            .where(*conditions)
            .order_by(a.policy, a.control, a.period_start, a.attested_at, a.key)
        )
        return [
            Attestation(
                control=r["control"],
                policy=r["policy"],
                period_start=r["period_start"],
                period_end=r["period_end"],
                met=r["met"],
                attested_by=r["attested_by"],
                attested_at=r["attested_at"],
                evidence=r["evidence"],
                note=r["note"],
            )
            for r in self.session.connection().execute(query).mappings()
        ]
