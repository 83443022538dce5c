"""Event ingestion: map, de-duplicate, correlate and persist, in one transaction per batch.

:class:`EventEngine` is the one writer of correlation state in a process. It holds the loaded
bundle, a :class:`~servanda.events.mapping.NodeMapper` and the in-memory
:class:`~servanda.events.correlate.Correlator` (restored from the stored alert states and
incidents when it starts), and serialises every batch and every lifecycle step with a lock:

1. open a transaction and *claim* the stored state: bump the one-row ``event_engine``
   version (this takes the database's write lock: a row lock on PostgreSQL, the database lock
   on SQLite, so writers in other processes wait for this transaction);
2. when the version found is not the one this engine wrote last (another process wrote, or an
   earlier transaction failed), or the configuration was loaded again (a new ``load_runs``
   row), rebuild the correlator from storage before going on;
3. map events to nodes; drop those whose idempotency key this engine stored recently (a
   bounded in-memory set), insert the rest with ``ON CONFLICT DO NOTHING RETURNING key`` (the
   primary key is the final guard: what it returns is new), correlate the new events, then
   write the alert states that changed, the incident rows that changed (only the symptoms,
   intervals and transitions that changed) and the outages that changed — bulk statements
   only;
4. commit. If anything fails the transaction rolls back and the engine forgets its in-memory
   state, so the next call rebuilds it from what was committed.

So one process per database does the correlation; a second one (the command line while the
server runs, a second server) stays correct, at the cost of a rebuild each time the writer
changes. Scale-out path: partition the dependency graph into independent components (no
dependency edge between partitions), run one engine per partition with its own ``event_engine``
row, and route each event to its partition by node (unmapped events to any). The domain is
already batch-at-a-time with time as an argument, so nothing else changes.
"""

from __future__ import annotations

import itertools
import threading
from collections import deque
from collections.abc import Collection, Iterable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal, cast

from sqlalchemy import Engine, Table, bindparam, func, select, update
from sqlalchemy.orm import Session

from servanda.config.bundle import Bundle
from servanda.core.access import Action, Principal, Role
from servanda.core.problems import Forbidden, InvalidInput, NotFound, Problem, ServandaError
from servanda.events import lifecycle
from servanda.events.correlate import Changes, CorrelationSettings, Correlator, CorrelatorState
from servanda.events.incidents import Alert, Incident
from servanda.events.lifecycle import InvalidTransition
from servanda.events.mapping import NodeMapper
from servanda.events.model import Event
from servanda.events.outages import outages
from servanda.services.agreements import effective_for
from servanda.services.event_settings import correlation_settings
from servanda.storage.database import transaction
from servanda.storage.repositories import BundleRepository
from servanda.storage.repositories.events import EventRepository, event_key, upsert
from servanda.storage.repositories.incidents import IncidentRepository, StoredOutage
from servanda.storage.tables import EventEngineRow, LoadRunRow

ENGINE_STATE: Table = EventEngineRow.__table__  # type: ignore[assignment]
_ROW = 1
_PRUNE_AT = 10_000
GROUP_EVENTS = 5_000
"""At most this many events (whole batches; at least one batch) share one transaction."""
RECENT_KEYS = 100_000
"""How many recently stored idempotency keys an engine remembers (about 15 MB)."""

_BUMP = (
    update(ENGINE_STATE)
    .where(ENGINE_STATE.c.id == _ROW)
    .values(version=ENGINE_STATE.c.version + 1, updated_at=bindparam("now"))
    .returning(ENGINE_STATE.c.version, select(func.max(LoadRunRow.id)).scalar_subquery())
)
"""One statement claims the stored state: bump the version, read the latest load run."""

LifecycleAction = Literal["acknowledge", "correct", "validate", "close", "reopen"]
"""The moves a person can make on an incident."""


@dataclass(frozen=True, slots=True)
class IngestResult:
    """What one batch did."""

    received: int
    """Events in the batch."""
    new: int
    """Events stored (their idempotency key was not stored yet)."""
    duplicates: int
    """Events already stored, or repeated within the batch: ignored."""
    unmapped: int
    """New events no rule mapped to a node (stored, listed as unmapped)."""
    opened: tuple[str, ...] = ()
    """Incidents opened."""
    updated: tuple[str, ...] = ()
    """Incidents changed (opened ones included)."""
    resolved: tuple[str, ...] = ()
    """Incidents whose root recovered."""
    reopened: tuple[str, ...] = ()
    """Incidents reopened because their fault returned."""
    merged: tuple[tuple[str, str], ...] = ()
    """(taken over, into) pairs."""
    flapping: tuple[str, ...] = ()
    """Alerts that started flapping."""

    def as_dict(self) -> dict[str, Any]:
        """JSON-compatible data."""
        return {
            "received": self.received,
            "new": self.new,
            "duplicates": self.duplicates,
            "unmapped": self.unmapped,
            "incidents_opened": len(self.opened),
            "incidents_updated": len(self.updated),
            "opened": list(self.opened),
            "updated": list(self.updated),
            "resolved": list(self.resolved),
            "reopened": list(self.reopened),
            "merged": [list(m) for m in self.merged],
            "flapping": list(self.flapping),
        }


@dataclass(slots=True)
class _Ticket:
    """A batch waiting to be ingested, and what became of it."""

    events: Sequence[Event]
    now: datetime
    result: IngestResult | None = None
    error: Exception | None = None

    @property
    def done(self) -> bool:
        """Whether the batch was ingested or failed."""
        return self.result is not None or self.error is not None


@dataclass(slots=True)
class _Memory:
    """What the engine knows of the stored state it last wrote."""

    bundle: Bundle
    mapper: NodeMapper
    correlator: Correlator
    version: int
    load_run: int | None
    stored: dict[str, Incident] = field(default_factory=dict)
    """The incident records as stored (written, or read back when restoring), so that saving
    one writes only what changed."""
    prune_at: int = _PRUNE_AT
    """When ``stored`` holds more than this, forget incidents the correlator let go of."""
    outages: dict[str, int] = field(default_factory=dict)
    """Hash of the outages stored per incident."""
    recent: dict[str, None] = field(default_factory=dict)
    """Idempotency keys stored recently (at most :data:`RECENT_KEYS`, oldest first): events
    with these keys are dropped without asking the database."""
    outage_inputs: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    """What the outages stored per incident were computed from (see :func:`_outage_inputs`)."""

    def remember(self, keys: Iterable[str]) -> None:
        """Add stored keys to :attr:`recent`, forgetting the oldest beyond the bound."""
        recent = self.recent
        recent.update(dict.fromkeys(keys))
        excess = len(recent) - RECENT_KEYS
        if excess > 0:
            for key in list(itertools.islice(recent, excess)):
                del recent[key]


class EventEngine:
    """Ingests events and moves incidents for one database; one per process (thread-safe)."""

    def __init__(self, engine: Engine, settings: CorrelationSettings | None = None) -> None:
        self.engine = engine
        self.settings = settings or correlation_settings()
        self._lock = threading.Lock()
        self._memory: _Memory | None = None
        self._queue_lock = threading.Lock()
        self._queue: deque[_Ticket] = deque()

    # -- public ----------------------------------------------------------------------------

    def ingest(self, principal: Principal, events: Sequence[Event], now: datetime) -> IngestResult:
        """Store and correlate one batch of parsed events (all of it, or nothing on error).

        ``now`` is the receiving time (stored as ``received_at``) and the correlator's clock.
        Sending the same batch again stores nothing and changes nothing.

        Batches that arrive while another is being written wait for it, then go together in
        one transaction (group commit): each is de-duplicated and correlated in turn, exactly
        as one after the other, and its own result reports what it did; the claim, the writes
        and the commit are shared. Should that transaction fail, each batch of the group is
        tried again alone, so a failure is only the failing batch's.
        """
        principal.require(Action.INGEST_EVENTS)
        ticket = _Ticket(events, now)
        with self._queue_lock:
            self._queue.append(ticket)
        with self._lock:
            while not ticket.done:
                self._ingest_group(self._take())
        if ticket.error is not None:
            raise ticket.error
        assert ticket.result is not None
        return ticket.result

    def _take(self) -> list[_Ticket]:
        """The waiting batches, oldest first, up to :data:`GROUP_EVENTS` events (at least one)."""
        with self._queue_lock:
            queue = self._queue
            taken = [queue.popleft()]
            size = len(taken[0].events)
            while queue and size + len(queue[0].events) <= GROUP_EVENTS:
                size += len(queue[0].events)
                taken.append(queue.popleft())
        return taken

    def _ingest_group(self, group: list[_Ticket]) -> None:
        """Ingest ``group`` in one transaction; on failure, each of its batches alone."""
        try:
            with self._writing(max(t.now for t in group)) as (session, memory):
                alerts: dict[str, Alert] = {}
                incidents: dict[str, Incident] = {}
                results = []
                for ticket in group:
                    result, changes = self._ingest_batch(session, memory, ticket)
                    results.append(result)
                    alerts.update((a.fingerprint, a) for a in changes.alerts)
                    incidents.update((i.id, i) for i in changes.incidents)
                self._persist(session, memory, alerts.values(), incidents.values(), group[-1].now)
        except Exception as error:
            if len(group) == 1:
                group[0].error = error
                return
            for ticket in group:
                self._ingest_group([ticket])
            return
        except BaseException:  # interrupted: the others of the group must not wait forever
            for ticket in group:
                ticket.error = RuntimeError("ingestion was interrupted; send the batch again")
            raise
        for ticket, result in zip(group, results, strict=True):
            ticket.result = result

    def _ingest_batch(
        self, session: Session, memory: _Memory, ticket: _Ticket
    ) -> tuple[IngestResult, Changes]:
        """De-duplicate, store and correlate one batch in the claimed transaction."""
        events, now = ticket.events, ticket.now
        recent = memory.recent
        keyed: dict[str, Event] = {}
        for ev in events:  # the key leaves out the node: map only what is not known
            key = event_key(ev)
            if key not in recent and key not in keyed:
                keyed[key] = ev
        keyed = dict(zip(keyed, memory.mapper.map_all(keyed.values()), strict=True))
        stored = EventRepository(session).add_new_events(list(keyed.items()), now)
        new = [(k, ev) for k, ev in keyed.items() if k in stored]
        changes = memory.correlator.process([ev for _, ev in new], now)
        memory.remember(keyed)
        result = IngestResult(
            received=len(events),
            new=len(new),
            duplicates=len(events) - len(new),
            unmapped=sum(1 for _, ev in new if ev.node is None),
            opened=changes.opened,
            updated=changes.updated,
            resolved=changes.resolved,
            reopened=changes.reopened,
            merged=changes.merged,
            flapping=changes.flapping,
        )
        return result, changes

    def tick(self, now: datetime) -> IngestResult:
        """Take the time-based decisions due at ``now`` (symptom grace, flapping quiet) and
        persist them; run it every minute or so when events are sparse."""
        with self._lock, self._writing(now) as (session, memory):
            changes = memory.correlator.tick(now)
            self._persist(session, memory, changes.alerts, changes.incidents, now)
        return IngestResult(
            received=0,
            new=0,
            duplicates=0,
            unmapped=0,
            opened=changes.opened,
            updated=changes.updated,
            resolved=changes.resolved,
            reopened=changes.reopened,
            merged=changes.merged,
            flapping=changes.flapping,
        )

    def act(
        self,
        principal: Principal,
        incident_id: str,
        action: LifecycleAction,
        now: datetime,
        note: str = "",
        *,
        by: str | None = None,
        on_behalf_of: str | None = None,
    ) -> Incident:
        """Move an incident one lifecycle step and persist it with its audit entry.

        ``by`` names the person (only an administrator principal may name someone; the command
        line does). Validation follows the ``validates_correction`` responsibility of the
        agreements of the customers the incident impacts; closing needs a validated correction
        when any of them names who validates. Raises :class:`NotFound`, :class:`Forbidden`, or
        :class:`InvalidTransition` for a move the state does not allow.
        """
        if action == "validate" and principal.role is Role.CUSTOMER:
            principal.require(Action.READ)
        else:
            principal.require(Action.MANAGE_INCIDENTS)
        if by is not None and principal.role is not Role.ADMIN:
            raise Forbidden("only an administrator may act in someone else's name")
        if on_behalf_of is not None and action != "validate":
            raise InvalidInput([Problem("on behalf of applies to validation only")])
        actor: lifecycle.Actor = by if by is not None else principal
        with self._lock, self._writing(now) as (session, memory):
            incidents = IncidentRepository(session)
            current = memory.correlator.incident(incident_id) or incidents.get(incident_id)
            if current is None or (
                principal.scope is not None
                and not incidents.outages(incident_id=incident_id, customer=principal.scope)
            ):
                raise NotFound(f"no incident {incident_id!r}")
            rules = _validation_rules(memory.bundle, incidents.outages(incident_id=incident_id))
            moved = _move(current, action, now, actor, note, rules, on_behalf_of)
            memory.correlator.apply_lifecycle(moved)
            before = memory.stored.get(incident_id, current)
            incidents.save([moved], now, {incident_id: before})
            memory.stored[incident_id] = moved
        return moved

    def reload(self) -> None:
        """Forget the in-memory state: the next call rebuilds it from storage (after a new
        configuration was loaded in this process; other processes' loads are noticed)."""
        with self._lock:
            self._memory = None

    # -- claiming and restoring ------------------------------------------------------------

    def _writing(self, now: datetime) -> _Writing:
        return _Writing(self, now)

    def _claim(self, session: Session, now: datetime) -> _Memory:
        connection = session.connection()
        found = connection.execute(_BUMP, {"now": now}).one_or_none()
        if found is None:
            upsert(session, ENGINE_STATE, [{"id": _ROW, "version": 0, "updated_at": now}],
                   ["id"], None)  # fmt: skip
            found = connection.execute(_BUMP, {"now": now}).one()
        version, load_run = found
        memory = self._memory
        if memory is None or memory.version + 1 != version or memory.load_run != load_run:
            memory = self._restore(session, now, version, load_run)
        memory.version = version
        self._memory = memory
        return memory

    def _restore(
        self, session: Session, now: datetime, version: int, load_run: int | None
    ) -> _Memory:
        bundle = BundleRepository(session).load()
        nodes = [*(s.id for s in bundle.services), *(c.id for c in bundle.components)]
        alerts = EventRepository(session).live_alerts(now - self.settings.retention)
        held = {a.incident_id for a in alerts if a.incident_id is not None}
        incidents = IncidentRepository(session).live(now - self.settings.reopen_window, held)
        state = CorrelatorState(
            alerts=tuple(alerts),
            incidents=tuple(sorted(incidents, key=lambda i: (i.detected_at, i.id))),
        )
        correlator = Correlator.restore(
            state,
            bundle.graph,
            nodes=(*bundle.services, *bundle.components),
            calendars=bundle.calendars,
            settings=self.settings,
        )
        return _Memory(
            bundle=bundle,
            mapper=NodeMapper(bundle.mappings, nodes),
            correlator=correlator,
            version=version,
            load_run=load_run,
            stored={i.id: i for i in incidents},
        )

    # -- persisting ------------------------------------------------------------------------

    def _persist(
        self,
        session: Session,
        memory: _Memory,
        alerts: Collection[Alert],
        incidents: Collection[Incident],
        now: datetime,
    ) -> None:
        with _pipeline(session):
            self._write(session, memory, alerts, incidents, now)

    def _write(
        self,
        session: Session,
        memory: _Memory,
        alerts: Collection[Alert],
        changed: Collection[Incident],
        now: datetime,
    ) -> None:
        EventRepository(session).save_alerts(alerts)
        if not changed:
            return
        incidents = IncidentRepository(session)
        incidents.save(list(changed), now, memory.stored)
        memory.stored.update((inc.id, inc) for inc in changed)
        if len(memory.stored) > memory.prune_at:
            _prune(memory)
        rewrite: list[str] = []
        rows: list[StoredOutage] = []
        for inc in changed:
            inputs = _outage_inputs(inc)
            if memory.outage_inputs.get(inc.id) == inputs:
                continue  # e.g. a new symptom of a node already down: same outages
            memory.outage_inputs[inc.id] = inputs
            found = [_stored(o) for o in outages(inc, memory.bundle)]
            digest = hash(tuple(found))
            if memory.outages.get(inc.id) != digest:
                memory.outages[inc.id] = digest
                rewrite.append(inc.id)
                rows.extend(found)
        incidents.replace_outages(rewrite, rows)


class _Writing:
    """``with engine._writing(now) as (session, memory)``: a claimed transaction; on error the
    engine forgets its in-memory state (it may be ahead of what was committed)."""

    def __init__(self, owner: EventEngine, now: datetime) -> None:
        self.owner, self.now = owner, now
        self._tx: Any = None

    def __enter__(self) -> tuple[Session, _Memory]:
        self._tx = transaction(self.owner.engine)
        session: Session = self._tx.__enter__()
        try:
            return session, self.owner._claim(session, self.now)
        except BaseException as exc:
            self.owner._memory = None
            self._tx.__exit__(type(exc), exc, exc.__traceback__)
            raise

    def __exit__(self, kind: Any, exc: Any, tb: Any) -> None:
        try:
            self._tx.__exit__(kind, exc, tb)
        except BaseException:
            self.owner._memory = None
            raise
        if kind is not None:
            self.owner._memory = None


def _pipeline(session: Session) -> AbstractContextManager[Any]:
    """On PostgreSQL, psycopg's pipeline mode: the persisting statements (none of which reads
    anything back) go to the server without waiting for each other's answer; elsewhere nothing.
    An error surfaces at the latest when the block ends, and the transaction rolls back."""
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        return nullcontext()
    driver: Any = connection.connection.driver_connection
    return cast(AbstractContextManager[Any], driver.pipeline())


def _prune(memory: _Memory) -> None:
    """Forget what is known of incidents the correlator no longer holds (they are read back
    from storage when they change again)."""
    held = {i for i in memory.stored if memory.correlator.incident(i) is not None}
    for known in (memory.stored, memory.outages, memory.outage_inputs):
        for i in [i for i in known if i not in held]:
            del known[i]
    memory.prune_at = max(_PRUNE_AT, 2 * len(memory.stored))


def _outage_inputs(inc: Incident) -> tuple[Any, ...]:
    """What :func:`~servanda.events.outages.outages` reads of an incident (the rest comes from
    the bundle, fixed for the engine's memory)."""
    return (inc.merged_into, inc.planned, inc.impacted)


def _stored(o: Any) -> StoredOutage:
    return StoredOutage(
        incident_id=o.incident_id,
        service=o.service,
        customer=o.customer,
        start=o.start,
        end=o.end,
        fraction=Decimal(str(o.fraction)),
        planned=o.planned,
    )


def _validation_rules(bundle: Bundle, found: Sequence[StoredOutage]) -> dict[str, str | None]:
    """``{customer: validates_correction}`` of the agreements of the customers an incident
    impacts (on each outage's first day)."""
    rules: dict[str, str | None] = {}
    for o in found:
        if o.customer is None or (o.customer in rules and rules[o.customer] is not None):
            continue
        try:
            eff = effective_for(bundle, o.customer, o.service, o.start.date())
        except ServandaError:  # no agreement applies (or two compete): the provider validates
            rules.setdefault(o.customer, None)
            continue
        term = eff.validates_correction
        rules[o.customer] = term.value if term is not None else None
    return rules


def _move(
    incident: Incident,
    action: LifecycleAction,
    at: datetime,
    actor: lifecycle.Actor,
    note: str,
    rules: dict[str, str | None],
    on_behalf_of: str | None,
) -> Incident:
    required = any(r not in (None, "") for r in rules.values())
    if action == "acknowledge":
        return lifecycle.acknowledge(incident, at, actor, note)
    if action == "correct":
        return lifecycle.correct(incident, at, actor, note)
    if action == "close":
        return lifecycle.close(incident, at, actor, note, validation_required=required)
    if action == "reopen":
        return lifecycle.reopen(incident, at, actor, note)
    if action != "validate":
        raise InvalidTransition(f"unknown lifecycle action {action!r}")
    party = on_behalf_of
    if isinstance(actor, Principal) and actor.role is Role.CUSTOMER:
        party = actor.party
    if party is not None:
        rule = rules.get(party)
        customers = [party] if party in rules else []
    else:
        # Staff validate when every impacted customer's agreement lets the provider do so.
        strict = [r for r in rules.values() if r not in (None, "", "provider", "both")]
        rule = strict[0] if strict else None
        customers = sorted(rules)
    return lifecycle.validate(
        incident, at, actor, note,
        validates_correction=rule, customers=customers, on_behalf_of=on_behalf_of,
    )  # fmt: skip
