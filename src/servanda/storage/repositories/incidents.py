"""Incidents, their audit trail and their outages.

An incident row keeps the whole :class:`~servanda.events.incidents.Incident` as JSON (the
source of truth when reading back) beside the columns its queries filter on. Its transitions
are also stored one row each (``incident_transitions``), appended only, so the audit trail can
be queried on its own. Outages (``outages``) are what SLA measurement reads; they are rewritten
per incident when they change. Writes are Core bulk statements (see
:mod:`servanda.storage.repositories.events`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Table, delete, exists, func, insert, or_, select
from sqlalchemy.orm import Session

from servanda.core.records import to_jsonable
from servanda.events.incidents import Incident, IncidentState, Transition
from servanda.storage.repositories.events import upsert
from servanda.storage.repositories.mapping import read
from servanda.storage.tables import IncidentRow, IncidentTransitionRow, OutageRow

INCIDENTS: Table = IncidentRow.__table__  # type: ignore[assignment]
TRANSITIONS: Table = IncidentTransitionRow.__table__  # type: ignore[assignment]
OUTAGES: Table = OutageRow.__table__  # type: ignore[assignment]

_INCIDENT_UPDATE = (
    "record", "state", "root", "severity", "planned", "detected_at", "resolved_at",
    "closed_at", "merged_into", "updated_at",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class StoredOutage:
    """An outage as stored: an incident took ``service`` down (``fraction`` of it) for
    ``customer`` (None: for everyone taking it) from ``start`` to ``end`` (None: ongoing)."""

    incident_id: str
    service: str
    customer: str | None
    start: datetime
    end: datetime | None
    fraction: Decimal
    planned: bool


@dataclass(frozen=True, slots=True)
class IncidentFilter:
    """Which incidents to list. Every condition given must hold.

    ``since``/``until`` keep incidents whose time overlaps ``[since, until)``: detected before
    ``until`` and not resolved before ``since``. ``party`` keeps only incidents with an outage
    for that customer (a customer principal's scope).
    """

    states: tuple[IncidentState, ...] = ()
    service: str | None = None
    customer: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    root: str | None = None
    planned: bool | None = None
    include_merged: bool = False
    party: str | None = None
    limit: int = 100
    offset: int = 0


class IncidentRepository:
    """Incidents, transitions and outages in the caller's session and transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session

    # -- writing ---------------------------------------------------------------------------

    def save(self, incidents: Sequence[Incident], now: datetime) -> None:
        """Upsert incidents by id (the record and its query columns)."""
        rows = [
            {
                "id": inc.id,
                "record": to_jsonable(inc),
                "state": inc.state.value,
                "root": inc.root,
                "severity": inc.severity.value,
                "planned": inc.planned,
                "detected_at": inc.detected_at,
                "resolved_at": inc.resolved_at,
                "closed_at": inc.closed_at,
                "merged_into": inc.merged_into,
                "updated_at": now,
            }
            for inc in incidents
        ]
        upsert(self.session, INCIDENTS, rows, ["id"], _INCIDENT_UPDATE)

    def add_transitions(self, trail: Iterable[tuple[str, int, Transition]]) -> None:
        """Append ``(incident id, position in its trail, transition)``; positions already
        stored are left as they are."""
        rows = [
            {
                "incident_id": incident_id,
                "seq": seq,
                "from_state": t.from_state.value if t.from_state is not None else None,
                "to_state": t.to_state.value,
                "at": t.at,
                "by": t.by,
                "note": t.note,
                "on_behalf_of": t.on_behalf_of,
            }
            for incident_id, seq, t in trail
        ]
        upsert(self.session, TRANSITIONS, rows, ["incident_id", "seq"], None)

    def replace_outages(self, incident_ids: Sequence[str], outages: Sequence[StoredOutage]) -> None:
        """The outages of ``incident_ids`` become ``outages`` (all of theirs, old ones go)."""
        if not incident_ids:
            return
        connection = self.session.connection()
        connection.execute(delete(OUTAGES).where(OUTAGES.c.incident_id.in_(list(incident_ids))))
        if outages:
            connection.execute(
                insert(OUTAGES),
                [
                    {
                        "incident_id": o.incident_id,
                        "service": o.service,
                        "customer": o.customer,
                        "starts_at": o.start,
                        "ends_at": o.end,
                        "fraction": o.fraction,
                        "planned": o.planned,
                    }
                    for o in outages
                ],
            )

    # -- reading ---------------------------------------------------------------------------

    def get(self, incident_id: str, *, party: str | None = None) -> Incident | None:
        """One incident (None when missing, or not visible to ``party``)."""
        query = select(INCIDENTS.c.record).where(INCIDENTS.c.id == incident_id)
        if party is not None:
            query = query.where(_has_outage(customer=party))
        found = self.session.connection().execute(query).scalar_one_or_none()
        return None if found is None else read(Incident, found)

    def many(self, incident_ids: Iterable[str]) -> list[Incident]:
        """The incidents of those ids that exist, by id."""
        query = (
            select(INCIDENTS.c.record)
            .where(INCIDENTS.c.id.in_(list(incident_ids)))
            .order_by(INCIDENTS.c.id)
        )
        return [read(Incident, r) for r in self.session.connection().execute(query).scalars()]

    def find(self, where: IncidentFilter | None = None) -> list[Incident]:
        """Incidents matching ``where``, latest detected first."""
        f = where or IncidentFilter()
        query = select(INCIDENTS.c.record).where(*_conditions(f))
        query = query.order_by(INCIDENTS.c.detected_at.desc(), INCIDENTS.c.id)
        query = query.limit(f.limit).offset(f.offset)
        return [read(Incident, r) for r in self.session.connection().execute(query).scalars()]

    def count(self, where: IncidentFilter | None = None) -> int:
        """How many incidents match ``where`` (ignoring its limit and offset)."""
        f = where or IncidentFilter()
        query = select(func.count()).select_from(INCIDENTS).where(*_conditions(f))
        return int(self.session.connection().execute(query).scalar_one())

    def live(self, resolved_since: datetime, also: Iterable[str] = ()) -> list[Incident]:
        """Incidents a correlator must hold to carry on: unresolved ones, those resolved or
        closed at or after ``resolved_since``, and the ids in ``also``."""
        query = select(INCIDENTS.c.record).where(
            or_(
                INCIDENTS.c.resolved_at.is_(None) & INCIDENTS.c.merged_into.is_(None),
                INCIDENTS.c.resolved_at >= resolved_since,
                INCIDENTS.c.closed_at >= resolved_since,
                INCIDENTS.c.id.in_(list(also)),
            )
        )
        return [read(Incident, r) for r in self.session.connection().execute(query).scalars()]

    def transitions(self, incident_id: str) -> list[Transition]:
        """The stored audit trail of one incident, oldest first."""
        query = (
            select(TRANSITIONS)
            .where(TRANSITIONS.c.incident_id == incident_id)
            .order_by(TRANSITIONS.c.seq)
        )
        return [
            Transition(
                from_state=IncidentState(r["from_state"]) if r["from_state"] else None,
                to_state=IncidentState(r["to_state"]),
                at=r["at"],
                by=r["by"],
                note=r["note"],
                on_behalf_of=r["on_behalf_of"],
            )
            for r in self.session.connection().execute(query).mappings()
        ]

    def outages(
        self,
        *,
        incident_id: str | None = None,
        service: str | None = None,
        customer: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[StoredOutage]:
        """Outages, filtered; ``since``/``until`` keep those overlapping ``[since, until)``."""
        conditions: list[ColumnElement[bool]] = []
        if incident_id is not None:
            conditions.append(OUTAGES.c.incident_id == incident_id)
        if service is not None:
            conditions.append(OUTAGES.c.service == service)
        if customer is not None:
            conditions.append(OUTAGES.c.customer == customer)
        if until is not None:
            conditions.append(OUTAGES.c.starts_at < until)
        if since is not None:
            conditions.append(or_(OUTAGES.c.ends_at.is_(None), OUTAGES.c.ends_at > since))
        query = select(OUTAGES).where(*conditions)
        query = query.order_by(
            OUTAGES.c.starts_at, OUTAGES.c.service, OUTAGES.c.customer, OUTAGES.c.id
        )
        return [_outage(r) for r in self.session.connection().execute(query).mappings()]

    def count_detected(self, since: datetime, until: datetime) -> int:
        """Incidents detected in ``[since, until)``, not counting those merged into another."""
        query = select(func.count()).where(
            INCIDENTS.c.detected_at >= since,
            INCIDENTS.c.detected_at < until,
            INCIDENTS.c.merged_into.is_(None),
        )
        return int(self.session.connection().execute(query).scalar_one())


def _has_outage(*, customer: str | None = None, service: str | None = None) -> ColumnElement[bool]:
    query = select(OUTAGES.c.id).where(OUTAGES.c.incident_id == INCIDENTS.c.id)
    if customer is not None:
        query = query.where(OUTAGES.c.customer == customer)
    if service is not None:
        query = query.where(OUTAGES.c.service == service)
    return exists(query)


def _conditions(f: IncidentFilter) -> list[ColumnElement[bool]]:
    found: list[ColumnElement[bool]] = []
    if f.states:
        found.append(INCIDENTS.c.state.in_([s.value for s in f.states]))
    if not f.include_merged:
        found.append(INCIDENTS.c.merged_into.is_(None))
    if f.service is not None:
        found.append(_has_outage(service=f.service))
    if f.customer is not None:
        found.append(_has_outage(customer=f.customer))
    if f.party is not None:
        found.append(_has_outage(customer=f.party))
    if f.until is not None:
        found.append(INCIDENTS.c.detected_at < f.until)
    if f.since is not None:
        found.append(or_(INCIDENTS.c.resolved_at.is_(None), INCIDENTS.c.resolved_at >= f.since))
    if f.root is not None:
        found.append(INCIDENTS.c.root == f.root)
    if f.planned is not None:
        found.append(INCIDENTS.c.planned.is_(f.planned))
    return found


def _outage(row: Any) -> StoredOutage:
    return StoredOutage(
        incident_id=row["incident_id"],
        service=row["service"],
        customer=row["customer"],
        start=row["starts_at"],
        end=row["ends_at"],
        fraction=row["fraction"],
        planned=row["planned"],
    )
