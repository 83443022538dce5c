"""The notification outbox: deliveries queued once (by their deterministic id), claimed by a
dispatcher, marked sent or failed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from servanda.core.records import adapter
from servanda.notify.notices import Delivery
from servanda.notify.outbox import DeliveryState, Queued
from servanda.notify.rules import Channel, NotificationRule
from servanda.storage.repositories import mapping
from servanda.storage.tables import (
    DeclaredDocumentRow,
    IncidentTransitionRow,
    NotificationRow,
)

_PENDING = DeliveryState.PENDING.value
_CHUNK = 500
"""Rows per statement (15 parameters each: well within SQLite's limit of parameters)."""


def _queued(row: NotificationRow) -> Queued:
    return Queued(
        id=row.id,
        rule=row.rule,
        event=row.event,
        notice_key=row.notice_key,
        channel=adapter(Channel).validate_python(row.spec),
        target=row.target,
        payload=row.payload,
        state=DeliveryState(row.state),
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        last_error=row.last_error,
        created_at=row.created_at,
        sent_at=row.sent_at,
    )


class NotificationRepository:
    """Reads and writes the outbox in the caller's session and transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def rules(self) -> list[NotificationRule]:
        """The declared notification rules (one query; none when none is declared)."""
        return [
            mapping.read(NotificationRule, r)
            for r in self.session.scalars(
                select(DeclaredDocumentRow.record)
                .where(DeclaredDocumentRow.kind == "notification_rules")
                .order_by(DeclaredDocumentRow.key)
            )
        ]

    def stored_steps(self, incidents: Sequence[str]) -> dict[str, int]:
        """How many steps of each incident's trail are stored (absent: none)."""
        if not incidents:
            return {}
        return {
            i: int(n)
            for i, n in self.session.execute(
                select(IncidentTransitionRow.incident_id, func.count())
                .where(IncidentTransitionRow.incident_id.in_(list(incidents)))
                .group_by(IncidentTransitionRow.incident_id)
            )
        }

    def enqueue(self, deliveries: Sequence[Delivery], now: datetime) -> int:
        """Queue ``deliveries``; one queued before (same id) is left as it is. How many were
        new."""
        if not deliveries:
            return 0
        dump = adapter(Channel).dump_python
        rows = [
            {
                "id": d.id,
                "rule": d.rule,
                "event": d.event.value,
                "notice_key": d.notice_key,
                "channel": d.channel.kind.value,
                "target": d.channel.target,
                "spec": dump(d.channel, mode="json", exclude_none=True),
                "payload": dict(d.payload),
                "state": _PENDING,
                "attempts": 0,
                "next_attempt_at": now,
                "last_error": None,
                "created_at": now,
                "updated_at": now,
                "sent_at": None,
            }
            for d in {d.id: d for d in deliveries}.values()
        ]
        dialect = self.session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        new = 0
        for at in range(0, len(rows), _CHUNK):
            statement = (
                insert(NotificationRow)
                .values(rows[at : at + _CHUNK])
                .on_conflict_do_nothing(index_elements=["id"])
                .returning(NotificationRow.id)
            )
            new += len(self.session.scalars(statement).all())
        return new

    def claim(self, now: datetime, limit: int, lease: timedelta) -> list[Queued]:
        """Up to ``limit`` pending deliveries due at ``now``, oldest first, pushed ``lease``
        into the future so that no other dispatcher takes them meanwhile (on PostgreSQL rows
        another transaction holds are skipped)."""
        query = (
            select(NotificationRow)
            .where(NotificationRow.state == _PENDING, NotificationRow.next_attempt_at <= now)
            .order_by(NotificationRow.next_attempt_at, NotificationRow.created_at)
            .limit(limit)
        )
        if self.session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        rows = list(self.session.scalars(query))
        for row in rows:
            row.next_attempt_at = now + lease
        self.session.flush()
        return [_queued(r) for r in rows]

    def sent(self, delivery: str, now: datetime) -> None:
        """Mark one delivery sent."""
        self.session.execute(
            update(NotificationRow)
            .where(NotificationRow.id == delivery)
            .values(
                state=DeliveryState.SENT.value,
                attempts=NotificationRow.attempts + 1,
                next_attempt_at=None,
                last_error=None,
                sent_at=now,
                updated_at=now,
            )
        )

    def failed(self, delivery: str, now: datetime, error: str, retry_at: datetime | None) -> None:
        """Record a failed attempt: tried again at ``retry_at``, or failed for good (None)."""
        self.session.execute(
            update(NotificationRow)
            .where(NotificationRow.id == delivery)
            .values(
                state=_PENDING if retry_at is not None else DeliveryState.FAILED.value,
                attempts=NotificationRow.attempts + 1,
                next_attempt_at=retry_at,
                last_error=error[:2000],
                updated_at=now,
            )
        )

    def retry_failed(self, now: datetime) -> int:
        """Queue every failed delivery again, at once; how many."""
        result = self.session.execute(
            update(NotificationRow)
            .where(NotificationRow.state == DeliveryState.FAILED.value)
            .values(state=_PENDING, attempts=0, next_attempt_at=now, updated_at=now)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    def listed(self, state: DeliveryState | None = None, limit: int = 100) -> list[Queued]:
        """The latest deliveries (of one state), newest first."""
        query = select(NotificationRow).order_by(
            NotificationRow.created_at.desc(), NotificationRow.id
        )
        if state is not None:
            query = query.where(NotificationRow.state == state.value)
        return [_queued(r) for r in self.session.scalars(query.limit(limit))]

    def counts(self) -> dict[str, int]:
        """Deliveries per state."""
        return {
            state: int(n)
            for state, n in self.session.execute(
                select(NotificationRow.state, func.count()).group_by(NotificationRow.state)
            )
        }
