"""The audit log: appended, never changed; read newest first."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict
from datetime import datetime

from sqlalchemy import Table, and_, insert, not_, or_, select
from sqlalchemy.orm import Session

from servanda.core.audit import AuditEntry
from servanda.core.records import trusted
from servanda.storage.tables import AuditRow

AUDIT: Table = AuditRow.__table__  # type: ignore[assignment]


class AuditRepository:
    """Entries of the audit log in the caller's session."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def append(self, entries: Iterable[AuditEntry]) -> None:
        """Add ``entries`` to the log."""
        rows = [asdict(e) for e in entries]
        if rows:
            self.session.execute(insert(AUDIT), rows)

    def entries(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        actor: str | None = None,
        failed: bool | None = None,
        limit: int = 100,
    ) -> list[tuple[int, AuditEntry]]:
        """``(id, entry)`` pairs, newest first: asked at or after ``since`` and before
        ``until``, by ``actor``, only failed (or only done) writes, at most ``limit``."""
        query = select(AUDIT).order_by(AUDIT.c.id.desc()).limit(limit)
        if since is not None:
            query = query.where(AUDIT.c.at >= since)
        if until is not None:
            query = query.where(AUDIT.c.at < until)
        if actor is not None:
            query = query.where(AUDIT.c.actor == actor)
        if failed is not None:
            done = or_(
                and_(AUDIT.c.interface == "api", AUDIT.c.status.between(200, 299)),
                and_(AUDIT.c.interface == "cli", AUDIT.c.status == 0),
            )
            query = query.where(not_(done) if failed else done)
        found = []
        for row in self.session.connection().execute(query).mappings():
            data = dict(row)
            ident = data.pop("id")
            found.append((ident, trusted(AuditEntry, **data)))
        return found
