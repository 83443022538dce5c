"""The audit log of writes: kept by the API and the command line, read by administrators.

:func:`record` appends one entry in a transaction of its own, after the write it describes
has been answered (so an entry says how the write ended). It never raises: a log that cannot be
written is reported by the caller's logger and the write's own outcome stands.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from servanda.core.access import Action, Principal
from servanda.core.audit import AuditEntry
from servanda.storage.database import transaction
from servanda.storage.repositories.audit import AuditRepository

log = logging.getLogger("servanda.audit")

MAX_TARGET = 2000
"""Characters of a target kept (a longer one is cut, with ``…``)."""
MAX_FIELD = 200
"""Characters of an actor or origin kept."""
MAX_ENTRIES = 10_000
"""Most entries one read returns."""


def _cut(text: str, limit: int) -> str:
    clean = text.replace("\x00", "\\x00").encode("utf-8", "backslashreplace").decode("utf-8")
    return clean if len(clean) <= limit else clean[: limit - 1] + "…"


def bounded(entry: AuditEntry) -> AuditEntry:
    """``entry`` with its texts cut to what the log keeps, storable on every backend."""
    return replace(
        entry,
        actor=_cut(entry.actor, MAX_FIELD),
        origin=_cut(entry.origin, MAX_FIELD),
        action=_cut(entry.action, MAX_FIELD),
        target=_cut(entry.target, MAX_TARGET),
    )


def record(engine: Engine, entry: AuditEntry, *, report: bool = True) -> bool:
    """Append ``entry`` to the log in its own transaction; False when it could not be written
    (logged, unless ``report`` is False: the caller says it its own way)."""
    try:
        with transaction(engine) as session:
            AuditRepository(session).append([bounded(entry)])
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        if report:
            log.warning(
                "audit log not written (%s): %s", reason[0] if reason else exc, entry.action
            )
        return False
    return True


def entries(
    engine: Engine,
    principal: Principal,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    actor: str | None = None,
    failed: bool | None = None,
    limit: int = 100,
) -> list[tuple[int, AuditEntry]]:
    """The log's entries, newest first (administrators only; see
    :meth:`~servanda.storage.repositories.audit.AuditRepository.entries`)."""
    with transaction(engine) as session:
        principal.require(Action.READ_AUDIT)
        return AuditRepository(session).entries(
            since=since, until=until, actor=actor, failed=failed, limit=min(limit, MAX_ENTRIES)
        )
