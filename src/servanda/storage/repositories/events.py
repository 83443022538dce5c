"""Events as received and the de-duplicated alert states, written in bulk.

This is the ingestion hot path: everything here is SQLAlchemy Core on the mapped tables —
one ``SELECT … IN`` per batch to find keys already stored, executemany inserts with
``ON CONFLICT DO NOTHING`` (events) or ``DO UPDATE`` (alert states), and never an ORM object
or a SELECT per row. Only SQLite and PostgreSQL are supported (both have ``ON CONFLICT``).
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    ColumnElement,
    Connection,
    Dialect,
    String,
    Table,
    any_,
    bindparam,
    func,
    or_,
    select,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from servanda.core.records import adapter
from servanda.events.incidents import Alert
from servanda.events.model import Event, Severity, Status, StoredEvent
from servanda.storage.database import JSONText, json_dumps
from servanda.storage.repositories.mapping import read
from servanda.storage.tables import AlertRow, EventRow

_SQLITE_CHUNK = 500
"""Keys per ``IN`` list on SQLite (well under its limit on bound parameters)."""
EVENTS: Table = EventRow.__table__  # type: ignore[assignment]
ALERTS: Table = AlertRow.__table__  # type: ignore[assignment]


def event_key(event: Event) -> str:
    """SHA-256 (hex) of the event's idempotency key, times in UTC (``Event.key``)."""
    fp, status, starts, ends = event.key
    end = ends.astimezone(UTC).isoformat() if ends is not None else ""
    text = f"{fp}\x1f{status}\x1f{starts.astimezone(UTC).isoformat()}\x1f{end}"
    return hashlib.sha256(text.encode()).hexdigest()


def upsert(
    session: Session,
    table: Table,
    rows: Sequence[dict[str, Any]],
    keys: Sequence[str],
    update: Sequence[str] | None,
) -> None:
    """Insert ``rows`` (executemany); on a conflict on ``keys`` update the ``update`` columns,
    or do nothing when ``update`` is None."""
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect.name
    if dialect == "postgresql":
        _pg_upsert(connection, table, rows, keys, update)
    elif dialect == "sqlite":
        _sqlite_upsert(connection, table, rows, keys, update)
    else:  # pragma: no cover - the project supports SQLite and PostgreSQL only
        raise NotImplementedError(f"no upsert for {dialect}")


def insert_rows(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert ``rows`` (all with the same columns): on PostgreSQL one statement on arrays (see
    :func:`_pg_upsert`), elsewhere an executemany."""
    if not rows:
        return
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        _pg_upsert(connection, table, rows, (), None)
    else:
        _sqlite_upsert(connection, table, rows, (), None)


def _sqlite_upsert(
    connection: Connection,
    table: Table,
    rows: Sequence[dict[str, Any]],
    keys: Sequence[str],
    update: Sequence[str] | None,
) -> None:
    """:func:`upsert` on SQLite: one statement of fixed text, compiled once per table and
    columns, run as the driver's executemany on values converted column by column (the
    per-row parameter handling of a compiled SQLAlchemy statement costs more than SQLite's
    insert itself)."""
    columns = tuple(rows[0])
    sql, processors = _sqlite_upsert_statement(
        connection.dialect, table, columns, tuple(keys), None if update is None else tuple(update)
    )
    converted: list[list[Any]] = []
    for name, process in zip(columns, processors, strict=True):
        values = [r[name] for r in rows]
        converted.append(values if process is None else [process(v) for v in values])
    connection.exec_driver_sql(sql, list(zip(*converted, strict=True)))


@functools.cache
def _sqlite_upsert_statement(
    dialect: Dialect,
    table: Table,
    columns: tuple[str, ...],
    keys: tuple[str, ...],
    update: tuple[str, ...] | None,
) -> tuple[str, list[Callable[[Any], Any] | None]]:
    """The text of :func:`_sqlite_upsert`'s statement and each column's value converter."""
    quote = dialect.identifier_preparer.quote
    processors: list[Callable[[Any], Any] | None] = []
    for column in columns:
        kind = table.c[column].type
        if isinstance(kind, JSON):
            processors.append(_json_value)
        else:
            processors.append(kind.dialect_impl(dialect).bind_processor(dialect))
    target = ", ".join(quote(k) for k in keys)
    if not keys:
        conflict = ""
    elif update is None:
        conflict = f" ON CONFLICT ({target}) DO NOTHING"
    else:
        sets = ", ".join(f"{quote(c)} = excluded.{quote(c)}" for c in update)
        conflict = f" ON CONFLICT ({target}) DO UPDATE SET {sets}"
    names = ", ".join(quote(c) for c in columns)
    marks = ", ".join("?" for _ in columns)
    return f"INSERT INTO {quote(table.name)} ({names}) VALUES ({marks}){conflict}", processors


def _json_value(value: Any) -> str | None:
    """A JSON column's stored text (SQL NULL for None, as on PostgreSQL)."""
    return None if value is None else json_dumps(value)


def _pg_upsert(
    connection: Connection,
    table: Table,
    rows: Sequence[dict[str, Any]],
    keys: Sequence[str],
    update: Sequence[str] | None,
) -> None:
    """:func:`upsert` on PostgreSQL: one statement of fixed text whatever the number of rows
    (``INSERT … SELECT … FROM unnest(arrays)``, one array per column), so the server plans it
    once and runs it once instead of once per row. The arrays go in binary (``%b``): no
    array-literal quoting of each value (JSON text is full of quotes). Rows repeating a key: the
    last one wins, as it would row by row."""
    columns = list(rows[0])
    sql, processors = _pg_upsert_statement(
        connection.dialect,
        table,
        tuple(columns),
        tuple(keys),
        None if update is None else tuple(update),
    )
    if update is not None:
        last = {tuple(r[k] for k in keys): r for r in rows}
        if len(last) != len(rows):
            rows = list(last.values())
    params: dict[str, Any] = {}
    for n, (name, process) in enumerate(zip(columns, processors, strict=True)):
        values = [r[name] for r in rows]
        params[f"p{n}"] = values if process is None else [process(v) for v in values]
    connection.exec_driver_sql(sql, params)


@functools.cache
def _pg_upsert_statement(
    dialect: Dialect,
    table: Table,
    columns: tuple[str, ...],
    keys: tuple[str, ...],
    update: tuple[str, ...] | None,
) -> tuple[str, list[Callable[[Any], Any] | None]]:
    """The text of :func:`_pg_upsert`'s statement and how to turn each column's values into
    what its array parameter takes."""
    quote = dialect.identifier_preparer.quote
    names = [quote(c) for c in columns]
    arrays: list[str] = []
    selected: list[str] = []
    processors: list[Callable[[Any], Any] | None] = []
    for n, (column, name) in enumerate(zip(columns, names, strict=True)):
        kind = table.c[column].type
        if isinstance(kind, JSON):
            arrays.append(f"%(p{n})b::text[]")
            selected.append(f"{name}::{kind.compile(dialect=dialect)}")
            processors.append(_json_value)
        else:
            arrays.append(f"%(p{n})b::{kind.compile(dialect=dialect)}[]")
            selected.append(name)
            processors.append(kind.dialect_impl(dialect).bind_processor(dialect))
    target = ", ".join(quote(k) for k in keys)
    if not keys:
        conflict = ""
    elif update is None:
        conflict = f"ON CONFLICT ({target}) DO NOTHING"
    else:
        sets = ", ".join(f"{quote(c)} = excluded.{quote(c)}" for c in update)
        conflict = f"ON CONFLICT ({target}) DO UPDATE SET {sets}"
    sql = (
        f"INSERT INTO {quote(table.name)} ({', '.join(names)}) "
        f"SELECT {', '.join(selected)} FROM unnest({', '.join(arrays)}) AS v({', '.join(names)}) "
        f"{conflict}"
    ).rstrip()
    return sql, processors


@dataclass(frozen=True, slots=True)
class SourceCount:
    """How many events one source (or node) sent in a period."""

    name: str | None
    events: int
    alerts: int
    """Distinct fingerprints."""


class EventRepository:
    """Received events and alert states, in the caller's session and transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session

    # -- events ----------------------------------------------------------------------------

    def existing_keys(self, keys: Iterable[str]) -> set[str]:
        """Those of ``keys`` already stored (one query)."""
        wanted = list(keys)
        if not wanted:
            return set()
        connection = self.session.connection()
        if connection.dialect.name == "postgresql":
            # One array parameter: a stable statement the server plans once.
            keys_param = bindparam("keys", wanted, type_=postgresql.ARRAY(String))
            query = select(EVENTS.c.key).where(EVENTS.c.key == any_(keys_param))
            return set(connection.execute(query).scalars())
        found: set[str] = set()
        for i in range(0, len(wanted), _SQLITE_CHUNK):
            chunk = wanted[i : i + _SQLITE_CHUNK]
            marks = ", ".join("?" * len(chunk))
            rows = connection.exec_driver_sql(f"SELECT key FROM events WHERE key IN ({marks})",
                                              tuple(chunk))  # fmt: skip
            found.update(row[0] for row in rows)
        return found

    def add_events(self, events: Sequence[tuple[str, Event]], received_at: datetime) -> None:
        """Store ``(key, event)`` pairs; keys already stored are skipped by the database."""
        upsert(self.session, EVENTS, _event_rows(events, received_at, None), ["key"], None)

    def add_new_events(
        self,
        events: Sequence[tuple[str, Event]],
        received_at: datetime,
        journal_seq: int | None = None,
    ) -> set[str]:
        """Store ``(key, event)`` pairs whose key is not stored yet; returns the keys stored.

        ``journal_seq`` is the journal entry that brings the stored ones to the correlator.

        On PostgreSQL one statement (``INSERT … ON CONFLICT DO NOTHING RETURNING key``) both
        de-duplicates against what is stored and stores the rest; on SQLite a look-up of the
        keys, then one executemany. The caller holds the write lock (the engine's claim).
        """
        if not events:
            return set()
        connection = self.session.connection()
        if connection.dialect.name == "postgresql":
            # One statement of fixed text whatever the batch size (arrays, one per column):
            # the server plans it once, and psycopg does not parse a long VALUES list.
            columns = _event_columns(events, received_at, journal_seq)
            found = connection.exec_driver_sql(_PG_INSERT_NEW, columns)
            return {row[0] for row in found}
        # SQLite's executemany returns nothing: find the stored keys first (the caller holds
        # the write lock, so nothing comes between), then insert the rest in one executemany.
        stored = self.existing_keys(key for key, _ in events)
        fresh = [(key, ev) for key, ev in events if key not in stored]
        if fresh:
            rows = _event_rows(fresh, received_at, journal_seq)
            _sqlite_upsert(connection, EVENTS, rows, ["key"], None)
        return {key for key, _ in fresh}

    def unmapped(
        self, *, since: datetime | None = None, limit: int = 100, offset: int = 0
    ) -> list[StoredEvent]:
        """Events no rule mapped to a node, newest received first."""
        query = select(EVENTS).where(EVENTS.c.node.is_(None))
        if since is not None:
            query = query.where(EVENTS.c.received_at >= since)
        query = query.order_by(EVENTS.c.received_at.desc(), EVENTS.c.key).limit(limit)
        rows = self.session.connection().execute(query.offset(offset)).mappings()
        return [stored_event(r) for r in rows]

    def count_unmapped(self) -> int:
        """How many stored events are unmapped."""
        found = self.session.connection().execute(
            select(func.count()).select_from(EVENTS).where(EVENTS.c.node.is_(None))
        )
        return int(found.scalar_one())

    def count_events(self, since: datetime, until: datetime) -> tuple[int, int]:
        """Events whose start is in ``[since, until)``, and their distinct fingerprints."""
        found = self.session.connection().execute(
            select(func.count(), func.count(EVENTS.c.fingerprint.distinct())).where(
                EVENTS.c.starts_at >= since, EVENTS.c.starts_at < until
            )
        )
        events, alerts = found.one()
        return int(events), int(alerts)

    def noisiest(
        self, since: datetime, until: datetime, by: str = "source", limit: int = 10
    ) -> list[SourceCount]:
        """Sources (``by="source"``) or nodes (``by="node"``) by events in ``[since, until)``."""
        column = EVENTS.c[by]
        n = func.count().label("n")
        query = (
            select(column, n, func.count(EVENTS.c.fingerprint.distinct()))
            .where(EVENTS.c.starts_at >= since, EVENTS.c.starts_at < until)
            .group_by(column)
            .order_by(n.desc(), column)
            .limit(limit)
        )
        return [
            SourceCount(name, int(events), int(alerts))
            for name, events, alerts in self.session.connection().execute(query)
        ]

    # -- alert states ----------------------------------------------------------------------

    def save_alerts(self, alerts: Iterable[Alert]) -> int:
        """Upsert alert states by fingerprint; returns how many were written."""
        dump = adapter(Alert).dump_json
        rows = [
            {
                "fingerprint": a.fingerprint,
                "record": JSONText(dump(a).decode()),
                "node": a.node,
                "status": a.status.value,
                "last_seen": a.last_seen,
                "count": a.count,
                "flapping": a.flapping,
                "planned": a.planned,
                "incident_id": a.incident_id,
            }
            for a in alerts
        ]
        upsert(self.session, ALERTS, rows, ["fingerprint"], _ALERT_UPDATE)
        return len(rows)

    def live_alerts(self, seen_since: datetime) -> list[Alert]:
        """Alerts firing or flapping, and any seen at or after ``seen_since``."""
        query = select(ALERTS.c.record).where(
            or_(
                ALERTS.c.status == Status.FIRING.value,
                ALERTS.c.flapping.is_(True),
                ALERTS.c.last_seen >= seen_since,
            )
        )
        return [read(Alert, r) for r in self.session.connection().execute(query).scalars()]

    def alerts(
        self,
        *,
        fingerprints: Iterable[str] | None = None,
        incident_id: str | None = None,
        flapping: bool | None = None,
        seen_since: datetime | None = None,
        seen_until: datetime | None = None,
    ) -> list[Alert]:
        """Alert states, by fingerprint, filtered."""
        conditions: list[ColumnElement[bool]] = []
        if fingerprints is not None:
            conditions.append(ALERTS.c.fingerprint.in_(list(fingerprints)))
        if incident_id is not None:
            conditions.append(ALERTS.c.incident_id == incident_id)
        if flapping is not None:
            conditions.append(ALERTS.c.flapping.is_(flapping))
        if seen_since is not None:
            conditions.append(ALERTS.c.last_seen >= seen_since)
        if seen_until is not None:
            conditions.append(ALERTS.c.last_seen < seen_until)
        query = select(ALERTS.c.record).where(*conditions).order_by(ALERTS.c.fingerprint)
        return [read(Alert, r) for r in self.session.connection().execute(query).scalars()]


_ALERT_UPDATE = (
    "record", "node", "status", "last_seen", "count", "flapping", "planned", "incident_id",
)  # fmt: skip


_PG_INSERT_NEW = """
INSERT INTO events (key, fingerprint, source, labels, status, severity, starts_at, ends_at,
                    summary, node, generator_url, received_at, journal_seq)
SELECT k, f, so, l::jsonb, st, se, sa, ea, su, n, g, %(received_at)s, %(journal_seq)s::bigint
FROM unnest(%(key)b::text[], %(fingerprint)b::text[], %(source)b::text[], %(labels)b::text[],
            %(status)b::text[], %(severity)b::text[], %(starts_at)b::timestamptz[],
            %(ends_at)b::timestamptz[], %(summary)b::text[], %(node)b::text[],
            %(generator_url)b::text[])
     AS e(k, f, so, l, st, se, sa, ea, su, n, g)
ON CONFLICT (key) DO NOTHING
RETURNING key
"""


def _event_columns(
    events: Sequence[tuple[str, Event]], received_at: datetime, journal_seq: int | None
) -> dict[str, Any]:
    """The values of :data:`_PG_INSERT_NEW`: one list per column."""
    return {
        "key": [key for key, _ in events],
        "fingerprint": [ev.fingerprint for _, ev in events],
        "source": [ev.source for _, ev in events],
        "labels": [json_dumps(dict(ev.labels)) for _, ev in events],
        "status": [ev.status.value for _, ev in events],
        "severity": [ev.severity.value for _, ev in events],
        "starts_at": [ev.starts_at for _, ev in events],
        "ends_at": [ev.ends_at for _, ev in events],
        "summary": [ev.summary for _, ev in events],
        "node": [ev.node for _, ev in events],
        "generator_url": [ev.generator_url for _, ev in events],
        "received_at": received_at,
        "journal_seq": journal_seq,
    }


def _event_rows(
    events: Sequence[tuple[str, Event]], received_at: datetime, journal_seq: int | None
) -> list[dict[str, Any]]:
    return [
        {
            "key": key,
            "fingerprint": ev.fingerprint,
            "source": ev.source,
            "labels": dict(ev.labels),
            "status": ev.status.value,
            "severity": ev.severity.value,
            "starts_at": ev.starts_at,
            "ends_at": ev.ends_at,
            "summary": ev.summary,
            "node": ev.node,
            "generator_url": ev.generator_url,
            "received_at": received_at,
            "journal_seq": journal_seq,
        }
        for key, ev in events
    ]


def stored_event(row: Any) -> StoredEvent:
    """An event back from an ``events`` row (a mapping of its columns)."""
    event = Event(
        source=row["source"],
        fingerprint=row["fingerprint"],
        labels=tuple(sorted((str(k), str(v)) for k, v in row["labels"].items())),
        status=Status(row["status"]),
        starts_at=row["starts_at"],
        severity=Severity(row["severity"]),
        ends_at=row["ends_at"],
        summary=row["summary"],
        node=row["node"],
        generator_url=row["generator_url"],
    )
    return StoredEvent(row["key"], event, row["received_at"])
