"""RADIUS accounting stored: the sink of :class:`~servanda.ingest.radius.server.AccountingServer`
that mediates each event on the session's stored state and stores the new state and the usage
records it charges in one transaction, rated like any usage (:mod:`servanda.services.usage`).

The server answers the NAS only after the sink returned, so an answered request is committed;
a request stored but not answered comes again and is a duplicate of the stored state, charging
nothing. NAS-Port-Type, which RADIUS gives as the session's "service", is no catalog service:
it is kept as the attribute ``nas_port_type`` and the records take the service the server was
started for (``--service``).

An interim update is charged as it comes, so a credit-limited postpaid account (one with a
money bucket: its credit limit, see :mod:`servanda.services.charging`) is debited in the same
transaction, under the account's turn like an online session: concurrent sessions of the
account never spend its limit twice. A session going beyond the limit is still charged (the
NAS, not the accounting server, ends sessions): what the balance could not pay is owed, logged
as a warning (the first time for an account, then at debug level), counted in
:attr:`StoredSink.shortfalls`, and billed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from servanda.accounting.sessions import (
    AccountingEvent,
    Mediation,
    NasEvent,
    SessionState,
    close_nas,
    close_stale,
    key_text,
    mediate,
)
from servanda.accounting.usage import UsageRecord
from servanda.core.access import Action, Principal
from servanda.core.records import from_jsonable, to_jsonable
from servanda.services.charging import Shortfall, debit_usage, take_turns
from servanda.services.usage import UsageSummary, store_in
from servanda.storage.database import transaction
from servanda.storage.tables import AccountingSessionRow

log = logging.getLogger(__name__)


class StoredSink:
    """Mediates RADIUS events on the stored session states (see the module)."""

    def __init__(
        self,
        engine: Engine,
        principal: Principal,
        *,
        service: str | None = None,
        clock: Callable[[], datetime],
    ) -> None:
        principal.require(Action.INGEST_USAGE)
        self.engine = engine
        self.service = service
        self.clock = clock
        self.summary = UsageSummary()
        self.shortfalls: list[Shortfall] = []
        """Usage charged beyond the credit limit of its account, since the start."""

    def __call__(self, event: AccountingEvent) -> None:
        with transaction(self.engine) as session:
            if isinstance(event, NasEvent):
                rows = session.scalars(
                    select(AccountingSessionRow).where(AccountingSessionRow.open.is_(True))
                ).all()
                states = [from_jsonable(SessionState, r.state) for r in rows]
                mediations = close_nas([s for s in states if s.source == event.source], event)
            else:
                row = session.get(AccountingSessionRow, _key(event.source, *event.key))
                state = from_jsonable(SessionState, row.state) if row is not None else None
                mediations = (mediate(state, event),)
            self._keep(session, mediations, event.at)

    def close_stale(self, now: datetime, timeout: timedelta) -> int:
        """Close the sessions with no news for longer than ``timeout``; how many."""
        with transaction(self.engine) as session:
            rows = session.scalars(
                select(AccountingSessionRow).where(
                    AccountingSessionRow.open.is_(True),
                    AccountingSessionRow.last_at < now - timeout,
                )
            ).all()
            states = [from_jsonable(SessionState, r.state) for r in rows]
            mediations = close_stale(states, now, timeout)
            self._keep(session, mediations, now)
            return len(mediations)

    def _keep(self, session: Session, mediations: Sequence[Mediation], at: datetime) -> None:
        """Store the mediations' states and usage, and debit what the usage costs from the
        balances as they were ``at`` the event (a replayed file's time, not today's)."""
        now = self.clock()
        records: list[UsageRecord] = []
        for m in mediations:
            if m.ignored:
                continue
            key = _key(m.state.source, *m.state.key)
            row = session.get(AccountingSessionRow, key)
            if row is None:
                row = AccountingSessionRow(key=key)
                session.add(row)
            row.state = to_jsonable(m.state)
            row.open = m.state.open
            row.last_at = m.state.last_at
            row.updated_at = now
            records += [self._catalogued(u) for u in m.usage]
        if records:
            take_turns(session, [r.account for r in records])
            done = store_in(session, records, [f"radius:{r.source}" for r in records], now)
            self.summary.stored += done.stored
            self.summary.rated += done.rated
            for short in debit_usage(session, done.charges, at):
                first = all(s.account != short.account for s in self.shortfalls)
                log.log(
                    logging.WARNING if first else logging.DEBUG,
                    "account %s has spent its credit limit: %s %s owed for usage %s",
                    short.account, short.owed, short.currency, short.usage_id,
                )  # fmt: skip
                self.shortfalls.append(short)

    def _catalogued(self, record: UsageRecord) -> UsageRecord:
        attributes = record.attributes
        if record.service is not None:
            attributes = (*attributes, ("nas_port_type", record.service))
        return replace(record, service=self.service, attributes=attributes)


@dataclass(frozen=True, slots=True)
class Replayed:
    """What replaying accounting requests did."""

    requests: int
    stored: int
    rated: int
    shortfalls: tuple[Shortfall, ...]

    def as_dict(self) -> dict[str, Any]:
        """JSON-compatible data."""
        return {
            "requests": self.requests, "stored": self.stored, "rated": self.rated,
            "owed_beyond_credit_limits": [
                {"account": s.account, "usage_id": s.usage_id, "owed": str(s.owed),
                 "currency": s.currency}
                for s in self.shortfalls
            ],
        }  # fmt: skip


def replay(
    engine: Engine,
    principal: Principal,
    events: Sequence[AccountingEvent | None],
    *,
    service: str | None,
    now: datetime,
) -> Replayed:
    """Mediate and store accounting events read from files (:mod:`servanda.ingest.radius.files`)
    in order, one transaction each, exactly as the server does; replaying them again stores
    nothing new."""
    sink = StoredSink(engine, principal, service=service, clock=lambda: now)
    for event in events:
        if event is not None:
            sink(event)
    summary = sink.summary
    return Replayed(len(events), summary.stored, summary.rated, tuple(sink.shortfalls))


def _key(source: str, nas: str, session_id: str) -> str:
    return f"{source}\x1f{key_text(nas, session_id)}"
