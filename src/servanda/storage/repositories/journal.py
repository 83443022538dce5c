"""The event journal, the correlator's snapshot and its lease row (see
:mod:`servanda.services.journal` for what they mean together).

Everything here runs inside the caller's claimed transaction (the ``event_engine`` row lock
serialises every writer), so journal sequence numbers follow commit order on every backend.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, delete, func, insert, select, update
from sqlalchemy.orm import Session

from servanda.events.model import Event
from servanda.storage.repositories.events import EVENTS, stored_event
from servanda.storage.tables import CorrelatorSnapshotRow, EventEngineRow, EventJournalRow

JOURNAL: Table = EventJournalRow.__table__  # type: ignore[assignment]
SNAPSHOTS: Table = CorrelatorSnapshotRow.__table__  # type: ignore[assignment]
ENGINE_STATE: Table = EventEngineRow.__table__  # type: ignore[assignment]

READ_CHUNK = 20_000
"""Journal entries read per query when replaying."""


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """One input of the correlator, in the order it took them."""

    seq: int
    kind: str
    """``batch``, ``tick``, ``settle`` or ``step``."""
    at: datetime
    """The correlator's ``now`` for this input."""
    payload: dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The correlator's state after the journal entries up to ``seq``."""

    seq: int
    load_run: int | None
    code: str
    taken_at: datetime
    state: bytes


@dataclass(frozen=True, slots=True)
class OrderState:
    """Where the event-time order of the correlator's input stands."""

    waiting_from: int | None
    """The first journal entry with events held back (None: none are)."""
    watermark: datetime | None
    """Events up to this time are correlated."""
    held: int
    """Events held back until the watermark passes them."""
    late: int
    """Events that came after the watermark had passed their time, in all."""


class JournalRepository:
    """Appends to and reads the journal; saves and loads the snapshot."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def append(self, kind: str, at: datetime, payload: dict[str, Any] | None = None) -> int:
        """Add an entry; its sequence number."""
        found = self.session.connection().execute(
            insert(JOURNAL).values(kind=kind, at=at, payload=payload).returning(JOURNAL.c.seq)
        )
        return int(found.scalar_one())

    def discard(self, seq: int) -> None:
        """Remove an entry that brought nothing (a batch whose events were all stored)."""
        self.session.connection().execute(delete(JOURNAL).where(JOURNAL.c.seq == seq))

    def last_at(self) -> datetime | None:
        """The latest ``at`` of the journal."""
        found = self.session.connection().execute(select(func.max(JOURNAL.c.at)))
        value: datetime | None = found.scalar_one()
        return value

    def move_tick(self, seq: int, at: datetime) -> None:
        """Move the tick ``seq`` to ``at`` (two ticks in a row are one tick at the later time)."""
        self.session.connection().execute(
            update(JOURNAL).where(JOURNAL.c.seq == seq, JOURNAL.c.kind == "tick").values(at=at)
        )

    def last(self) -> JournalEntry | None:
        """The latest entry."""
        row = (
            self.session.connection()
            .execute(select(JOURNAL).order_by(JOURNAL.c.seq.desc()).limit(1))
            .mappings()
            .one_or_none()
        )
        return None if row is None else _entry(row)

    def last_seq(self) -> int:
        """The latest sequence number (0 when empty)."""
        found = self.session.connection().execute(select(func.max(JOURNAL.c.seq)))
        return int(found.scalar_one() or 0)

    def entries(self, after: int, upto: int | None = None) -> Iterator[JournalEntry]:
        """Entries after ``after`` (up to ``upto``), oldest first, read in chunks."""
        connection = self.session.connection()
        while True:
            query = select(JOURNAL).where(JOURNAL.c.seq > after)
            if upto is not None:
                query = query.where(JOURNAL.c.seq <= upto)
            rows = connection.execute(query.order_by(JOURNAL.c.seq).limit(READ_CHUNK)).mappings()
            found = [_entry(r) for r in rows]
            yield from found
            if len(found) < READ_CHUNK:
                return
            after = found[-1].seq

    def batch_events(self, first: int, last: int) -> dict[int, list[Event]]:
        """The events of the batch entries ``first..last``, by entry."""
        rows = (
            self.session.connection()
            .execute(
                select(EVENTS)
                .where(EVENTS.c.journal_seq >= first, EVENTS.c.journal_seq <= last)
                .order_by(EVENTS.c.journal_seq, EVENTS.c.key)
            )
            .mappings()
        )
        found: dict[int, list[Event]] = {}
        for row in rows:
            found.setdefault(int(row["journal_seq"]), []).append(stored_event(row).event)
        return found

    def count_events(self) -> int:
        """Observations in the log."""
        return int(
            self.session.connection().execute(select(func.count()).select_from(EVENTS)).scalar_one()
        )

    # -- snapshot ----------------------------------------------------------------------------

    def snapshot(self, partition: int = 1) -> Snapshot | None:
        """The stored snapshot, if any."""
        row = (
            self.session.connection()
            .execute(select(SNAPSHOTS).where(SNAPSHOTS.c.id == partition))
            .mappings()
            .one_or_none()
        )
        if row is None:
            return None
        return Snapshot(
            seq=int(row["seq"]),
            load_run=row["load_run"],
            code=row["code"],
            taken_at=row["taken_at"],
            state=bytes(row["state"]),
        )

    def save_snapshot(self, snapshot: Snapshot, partition: int = 1) -> None:
        """Replace the stored snapshot."""
        connection = self.session.connection()
        connection.execute(delete(SNAPSHOTS).where(SNAPSHOTS.c.id == partition))
        connection.execute(
            insert(SNAPSHOTS).values(
                id=partition,
                seq=snapshot.seq,
                load_run=snapshot.load_run,
                code=snapshot.code,
                taken_at=snapshot.taken_at,
                state=snapshot.state,
            )
        )

    # -- lease -------------------------------------------------------------------------------

    def set_applied(self, seq: int, order: OrderState | None = None, row: int = 1) -> None:
        """Record that the effects of the entries up to ``seq`` are stored, and where the
        event-time order stands."""
        values: dict[str, Any] = {"applied_seq": seq}
        if order is not None:
            values.update(
                waiting_seq=order.waiting_from,
                watermark=order.watermark,
                held_events=order.held,
                late_events=order.late,
            )
        self.session.connection().execute(
            update(ENGINE_STATE).where(ENGINE_STATE.c.id == row).values(**values)
        )

    def order(self, row: int = 1) -> OrderState | None:
        """Where the event-time order stood when last stored."""
        found = (
            self.session.connection()
            .execute(
                select(
                    ENGINE_STATE.c.waiting_seq,
                    ENGINE_STATE.c.watermark,
                    ENGINE_STATE.c.held_events,
                    ENGINE_STATE.c.late_events,
                ).where(ENGINE_STATE.c.id == row)
            )
            .one_or_none()
        )
        if found is None:
            return None
        waiting, watermark, held, late = found
        return OrderState(
            None if waiting is None else int(waiting), watermark, int(held or 0), int(late or 0)
        )

    def release(self, holder: str, row: int = 1) -> None:
        """Give the lease up, if ``holder`` has it."""
        self.session.connection().execute(
            update(ENGINE_STATE)
            .where(ENGINE_STATE.c.id == row, ENGINE_STATE.c.holder == holder)
            .values(holder=None, lease_until=None)
        )

    def lease(self, row: int = 1) -> tuple[str | None, datetime | None, int]:
        """Who holds the lease, until when, and the last applied entry."""
        found = (
            self.session.connection()
            .execute(
                select(
                    ENGINE_STATE.c.holder, ENGINE_STATE.c.lease_until, ENGINE_STATE.c.applied_seq
                ).where(ENGINE_STATE.c.id == row)
            )
            .one_or_none()
        )
        if found is None:
            return None, None, 0
        return found[0], found[1], int(found[2] or 0)


def _entry(row: Any) -> JournalEntry:
    return JournalEntry(seq=int(row["seq"]), kind=row["kind"], at=row["at"], payload=row["payload"])
