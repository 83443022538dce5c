"""Incidents as people see them: lists with filters, one incident in full, lifecycle steps,
unmapped events and saturation figures, with the principal's scope enforced.

A customer sees only incidents that have outages for it, and of each only what concerns it:
its own outages, the impacted services it takes, and the trail; not the symptoms, degraded
nodes or other impacted nodes (the provider's internal wiring, see
:mod:`servanda.storage.repositories.visibility`).

Lifecycle steps go through the :class:`~servanda.services.events.EventEngine`, the one writer
of correlation state, so the correlator in memory and the stored incident never disagree.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from servanda.core.access import Action, Principal
from servanda.core.problems import InvalidInput, NotFound, Problem
from servanda.events.incidents import SYSTEM, Incident, IncidentState, Transition
from servanda.events.model import Event, StoredEvent
from servanda.events.outages import StoredOutage
from servanda.events.saturation import Saturation, saturation
from servanda.services.event_settings import correlation_settings
from servanda.services.events import EventEngine
from servanda.storage.database import transaction
from servanda.storage.repositories.events import (
    EVENTS,
    EventRepository,
    stored_event,
)
from servanda.storage.repositories.incidents import (
    IncidentFilter,
    IncidentRepository,
)


@dataclass(frozen=True, slots=True)
class IncidentDetail:
    """One incident with its outages (as the principal may see them)."""

    incident: Incident
    outages: tuple[StoredOutage, ...]


def list_incidents(
    engine: Engine,
    principal: Principal,
    *,
    states: tuple[IncidentState, ...] = (),
    service: str | None = None,
    customer: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    root: str | None = None,
    planned: bool | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[Incident]:
    """Incidents matching every filter given, latest detected first.

    ``since``/``until`` keep incidents overlapping ``[since, until)``; ``service`` and
    ``customer`` those with an outage of that service or for that customer. Merged incidents
    (taken over by another) are left out.
    """
    with transaction(engine) as session:
        principal.require(Action.READ)
        if customer is not None:
            principal.require_party(customer)
        if limit < 1 or offset < 0:
            raise InvalidInput([Problem("limit must be at least 1 and offset at least 0")])
        where = IncidentFilter(
            states=states,
            service=service,
            customer=customer,
            since=since,
            until=until,
            root=root,
            planned=planned,
            party=principal.scope,
            limit=limit,
            offset=offset,
        )
        if principal.scope is None:
            return IncidentRepository(session).find(where)
        # A customer's root filter names one of its services (a component is not theirs to see).
        found = IncidentRepository(session).find(replace(where, root=None) if root else where)
        shown = [_for_customer(session, i, principal.scope)[0] for i in found]
        return [i for i in shown if root is None or i.root == root]


def get_incident(engine: Engine, principal: Principal, incident_id: str) -> IncidentDetail:
    """One incident with its outages; :class:`NotFound` when missing or not visible."""
    with transaction(engine) as session:
        principal.require(Action.READ)
        repo = IncidentRepository(session)
        found = repo.get(incident_id, party=principal.scope)
        if found is None:
            raise NotFound(f"no incident {incident_id!r}")
        if principal.scope is not None:
            incident, mine = _for_customer(session, found, principal.scope)
            return IncidentDetail(incident, mine)
        return IncidentDetail(found, tuple(repo.outages(incident_id=incident_id)))


def _for_customer(
    session: Session, incident: Incident, party: str
) -> tuple[Incident, tuple[StoredOutage, ...]]:
    """What a customer sees of ``incident``: its own outages and the services it takes that
    were down, in customer-facing words. The provider's internal wiring stays inside: no
    component (the root is the first of its services that went down), no symptom, no
    degraded node, no alert fingerprint, and the correlator's own notes (which name
    components) reduced to what happened; the steps people took keep their notes, but another
    customer's validation is not shown."""
    mine = tuple(IncidentRepository(session).outages(incident_id=incident.id, customer=party))
    services = sorted({o.service for o in mine})
    impacted = tuple(
        replace(i, kind="service", reason=f"{i.node} was unavailable")
        for i in incident.impacted
        if i.node in services
    )
    first = min(mine, key=lambda o: (o.start, o.service)).service if mine else None
    shown = replace(
        incident,
        root=first,
        root_fingerprints=(),
        symptoms=(),
        degraded=(),
        impacted=impacted,
        transitions=tuple(
            shown for t in incident.transitions if (shown := _public_step(t, party)) is not None
        ),
        summary=_customer_summary(services, mine),
    )
    return shown, mine


def _public_step(step: Transition, party: str) -> Transition | None:
    """A step as ``party`` sees it: another customer's validation is not shown, and a
    validation names no customer but ``party``."""
    if step.validated_for or step.on_behalf_of is not None:
        if party not in step.validated_for and step.on_behalf_of != party:
            return None
        return replace(step, validated_for=(party,) if party in step.validated_for else ())
    if step.by != SYSTEM:
        return step
    if step.from_state is None:
        note = "Incident detected."
    elif step.from_state == step.to_state:
        note = "The incident's progress was updated."
    else:
        note = ""
    return replace(step, note=note)


def _customer_summary(services: list[str], mine: tuple[StoredOutage, ...]) -> str:
    if not mine:
        return ""
    start = min(o.start for o in mine)
    ends = [o.end for o in mine]
    when = f"from {start:%Y-%m-%d %H:%M} UTC"
    if all(e is not None for e in ends):
        when += f" to {max(e for e in ends if e is not None):%Y-%m-%d %H:%M} UTC"
    else:
        when += ", and still"
    return f"{', '.join(services)} unavailable {when}."


def acknowledge(engine: EventEngine, principal: Principal, incident_id: str, now: datetime,
                note: str = "", *, by: str | None = None) -> Incident:  # fmt: skip
    """detected → acknowledged."""
    return engine.act(principal, incident_id, "acknowledge", now, note, by=by)


def correct(engine: EventEngine, principal: Principal, incident_id: str, now: datetime,
            note: str = "", *, by: str | None = None) -> Incident:  # fmt: skip
    """acknowledged → corrected."""
    return engine.act(principal, incident_id, "correct", now, note, by=by)


def validate(engine: EventEngine, principal: Principal, incident_id: str, now: datetime,
             note: str = "", *, by: str | None = None,
             on_behalf_of: str | None = None) -> Incident:  # fmt: skip
    """corrected → validated, by whoever the customers' agreements name."""
    return engine.act(
        principal, incident_id, "validate", now, note, by=by, on_behalf_of=on_behalf_of
    )


def close(engine: EventEngine, principal: Principal, incident_id: str, now: datetime,
          note: str = "", *, by: str | None = None) -> Incident:  # fmt: skip
    """validated → closed (corrected → closed when no agreement asks for validation)."""
    return engine.act(principal, incident_id, "close", now, note, by=by)


def reopen(engine: EventEngine, principal: Principal, incident_id: str, now: datetime,
           note: str = "", *, by: str | None = None) -> Incident:  # fmt: skip
    """corrected, validated or closed → detected."""
    return engine.act(principal, incident_id, "reopen", now, note, by=by)


def unmapped_events(
    engine: Engine,
    principal: Principal,
    *,
    since: datetime | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[StoredEvent], int]:
    """Events no mapping rule matched (newest first) and how many there are in all.

    Staff only: customers do not see raw monitoring events.
    """
    with transaction(engine) as session:
        principal.require(Action.READ)
        if principal.scope is not None:
            raise NotFound("unmapped events are not visible to customers")
        repo = EventRepository(session)
        return repo.unmapped(since=since, limit=limit, offset=offset), repo.count_unmapped()


def saturation_figures(
    engine: Engine, principal: Principal, since: datetime, until: datetime, *, top: int = 5
) -> Saturation:
    """Alerts in, incidents out, reduction, noisiest sources, nodes and alert names, and the
    alerts that flapped in ``[since, until)`` under the configured flapping rule (staff only)."""
    with transaction(engine) as session:
        principal.require(Action.READ)
        if principal.scope is not None:
            raise NotFound("saturation figures are not visible to customers")
        if until <= since:
            raise InvalidInput([Problem(f"the period ends ({until}) before it starts ({since})")])
        incidents = IncidentRepository(session).find(
            IncidentFilter(since=since, until=until, include_merged=True, limit=1_000_000)
        )
        flapping = EventRepository(session).alerts(flapping=True)
        return saturation(
            since,
            until,
            _events_between(session, since, until),
            incidents,
            flapping,
            top=top,
            rule=correlation_settings().flapping,
        )


def _events_between(session: Session, since: datetime, until: datetime) -> Iterator[Event]:
    """Events whose event time may fall in the period, streamed (the domain filters exactly:
    firing events by start, resolved ones by end)."""
    query = select(EVENTS).where(
        EVENTS.c.starts_at < until,
        (EVENTS.c.starts_at >= since) | (EVENTS.c.ends_at >= since),
    )
    result = session.connection().execution_options(yield_per=2000).execute(query)
    for row in result.mappings():
        yield stored_event(row).event
