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

import atexit
import itertools
import logging
import os
import pickle
import socket
import threading
import weakref
import zlib
from collections import deque
from collections.abc import Collection, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal, cast

from sqlalchemy import Engine, Table, bindparam, case, func, or_, select, update
from sqlalchemy.orm import Session

from servanda.core.access import LOCAL_ADMIN, Action, Principal, Role
from servanda.core.limits import NAME_CHARS, TEXT_CHARS
from servanda.core.problems import Forbidden, InvalidInput, NotFound, Problem, ServandaError
from servanda.core.records import trusted
from servanda.declared.bundle import Bundle
from servanda.events import lifecycle, snapshot
from servanda.events.correlate import Changes, CorrelationSettings, Correlator, CorrelatorState
from servanda.events.incidents import Alert, Incident, Symptom, Transition
from servanda.events.lifecycle import InvalidTransition
from servanda.events.mapping import NodeMapper
from servanda.events.model import Event
from servanda.events.outages import StoredOutage, outages
from servanda.events.watermark import Resequencer, clamp_future
from servanda.services import notices, telemetry
from servanda.services.agreements import effective_for
from servanda.services.event_settings import correlation_settings
from servanda.services.journal import (
    BATCH,
    SETTLE,
    STEP,
    TICK,
    JournalSettings,
    apply_entries,
    journal_settings,
    step_payload,
)
from servanda.storage.database import transaction
from servanda.storage.repositories import BundleRepository
from servanda.storage.repositories.events import EventRepository, event_key, upsert
from servanda.storage.repositories.incidents import IncidentRepository
from servanda.storage.repositories.journal import JournalRepository, OrderState, Snapshot
from servanda.storage.tables import EventEngineRow, LoadRunRow

ENGINE_STATE: Table = EventEngineRow.__table__  # type: ignore[assignment]
_ROW = 1
_PRUNE_AT = 10_000
GROUP_EVENTS = 5_000
"""At most this many events (whole batches; at least one batch) share one transaction."""
RECENT_KEYS = 100_000
"""How many recently stored idempotency keys an engine remembers (about 15 MB)."""

_TAKES = or_(
    ENGINE_STATE.c.holder.is_(None),
    ENGINE_STATE.c.holder == bindparam("me"),
    ENGINE_STATE.c.lease_until.is_(None),
    ENGINE_STATE.c.lease_until < bindparam("wall"),
)
_CLAIM = (
    update(ENGINE_STATE)
    .where(ENGINE_STATE.c.id == _ROW)
    .values(
        version=ENGINE_STATE.c.version + 1,
        updated_at=bindparam("wall"),
        holder=case((_TAKES, bindparam("me")), else_=ENGINE_STATE.c.holder),
        lease_until=case((_TAKES, bindparam("until")), else_=ENGINE_STATE.c.lease_until),
    )
    .returning(
        ENGINE_STATE.c.holder,
        ENGINE_STATE.c.applied_seq,
        select(func.max(LoadRunRow.id)).scalar_subquery(),
    )
)
"""One statement claims the stored state (the row lock orders every writer), takes or renews
the correlator lease when it is free, ours or run out, and reads who holds it, how far the
journal is applied and the latest load run. (What others appended is read by a statement of
its own after it: on PostgreSQL a subquery here would see the snapshot taken before the row
lock was granted, and miss the entries of the transaction it waited for.)"""

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
    late: int = 0
    """New events that came after the watermark had passed their time (more than the
    lateness after the latest event): correlated at once by the rules for late events."""
    held: int = 0
    """New events held back until the watermark passes them: correlated in event-time order
    once no earlier event can still come on time (within the lateness)."""
    skewed: int = 0
    """New events dated ahead of their receiving time (their source's clock runs ahead):
    kept with their times no later than the receiving time."""
    skew_seconds: float = 0.0
    """How far ahead the most skewed of them was."""
    queued_for: str | None = None
    """When another process holds the correlator lease: that process, which correlates the
    batch (stored and journaled here) within its next tick; the incident fields are then
    empty."""

    def as_dict(self) -> dict[str, Any]:
        """JSON-compatible data."""
        return {
            "queued_for": self.queued_for,
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
            "late": self.late,
            "held": self.held,
            "skewed": self.skewed,
            "skew_seconds": self.skew_seconds,
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
class _Config:
    """The loaded configuration the engine maps and correlates with."""

    bundle: Bundle
    mapper: NodeMapper
    load_run: int | None


@dataclass(slots=True)
class _Memory:
    """The correlator this process holds (behind its event-time order), and what it knows of
    the stored state."""

    order: Resequencer
    load_run: int | None
    applied: int
    """The last journal entry applied (its effects are stored once committed)."""
    snapshot_seq: int
    """The journal entry the stored snapshot follows."""
    snapshot_at: datetime
    last_tick: int | None = None
    """The journal entry of this process's latest tick, while nothing came after it."""
    stored: dict[str, Incident] = field(default_factory=dict)
    """The incident records as stored (written, or read back when restoring), so that saving
    one writes only what changed."""
    prune_at: int = _PRUNE_AT
    """When ``stored`` holds more than this, forget incidents the correlator let go of."""
    outages: dict[str, int] = field(default_factory=dict)
    """Hash of the outages stored per incident."""
    outage_inputs: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    """What the outages stored per incident were computed from (see :func:`_outage_inputs`)."""

    @property
    def correlator(self) -> Correlator:
        """The correlator."""
        return self.order.correlator


@dataclass(slots=True)
class _Claim:
    """A claimed transaction: the configuration, and the correlator when this process holds
    the lease (None when another process does: then batches are only appended)."""

    session: Session
    config: _Config
    memory: _Memory | None
    holder: str | None
    changes: list[Changes] = field(default_factory=list)
    """What applying the entries other processes appended changed (to persist)."""
    keys: list[str] = field(default_factory=list)
    """Idempotency keys stored in this transaction (remembered once it commits)."""


class _Recent:
    """Idempotency keys this process stored recently (at most :data:`RECENT_KEYS`, oldest
    first): events with these keys are dropped without asking the database."""

    def __init__(self) -> None:
        self.keys: dict[str, None] = {}

    def __contains__(self, key: str) -> bool:
        return key in self.keys

    def remember(self, keys: Iterable[str]) -> None:
        """Add stored keys, forgetting the oldest beyond the bound."""
        recent = self.keys
        recent.update(dict.fromkeys(keys))
        excess = len(recent) - RECENT_KEYS
        if excess > 0:
            for key in list(itertools.islice(recent, excess)):
                del recent[key]


class EventEngine:
    """Ingests events and moves incidents for one database; one per process (thread-safe).

    Every batch, tick and lifecycle step is a journal entry (:mod:`servanda.services.journal`).
    The process holding the correlator lease correlates; any other one only appends, and its
    answers say the batch is queued for the holder.
    """

    def __init__(
        self,
        engine: Engine,
        settings: CorrelationSettings | None = None,
        journal: JournalSettings | None = None,
    ) -> None:
        self.engine = engine
        self.settings = settings or correlation_settings()
        self.journal = journal or journal_settings()
        self.holder = f"{socket.gethostname()}:{os.getpid()}"
        """Who this process is in the lease (engines of one process share the lease and
        notice each other's writes through ``applied_seq``)."""
        self._lock = threading.Lock()
        self._memory: _Memory | None = None
        self._config: _Config | None = None
        self._recent = _Recent()
        self._queue_lock = threading.Lock()
        self._queue: deque[_Ticket] = deque()
        atexit.register(_close_at_exit, weakref.ref(self))

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
        with telemetry.timing(telemetry.INGEST_SECONDS, "alerts"):
            with self._queue_lock:
                self._queue.append(ticket)
            with self._lock:
                while not ticket.done:
                    self._ingest_group(self._take())
        if ticket.error is not None:
            raise ticket.error
        assert ticket.result is not None
        telemetry.INGESTED.labels("alerts").inc(len(events))
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

    @telemetry.timed(telemetry.CORRELATION_SECONDS, "batch")
    def _ingest_group(self, group: list[_Ticket]) -> None:
        """Ingest ``group`` in one transaction; on failure, each of its batches alone."""
        try:
            with self._writing() as claim:
                results = [self._ingest_batch(claim, ticket) for ticket in group]
                self._persist(claim, group[-1].now)
            self._recent.remember(claim.keys)
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

    def _ingest_batch(self, claim: _Claim, ticket: _Ticket) -> IngestResult:
        """De-duplicate, store, journal and (holding the lease) correlate one batch."""
        events, now = ticket.events, ticket.now
        recent = self._recent
        keyed: dict[str, Event] = {}
        for ev in events:  # the key leaves out the node: map only what is not known
            key = event_key(ev)
            if key not in recent and key not in keyed:
                keyed[key] = ev
        keyed = dict(zip(keyed, claim.config.mapper.map_all(keyed.values()), strict=True))
        skews: dict[str, timedelta] = {}
        for key, ev in keyed.items():  # the clock-skew rule (see clamp_future)
            kept = clamp_future(ev, now)
            keyed[key] = kept.event
            if kept.skew is not None:
                skews[key] = kept.skew
        new: list[tuple[str, Event]] = []
        if keyed:
            journal = JournalRepository(claim.session)
            seq = journal.append(BATCH, now)
            stored = EventRepository(claim.session).add_new_events(list(keyed.items()), now, seq)
            new = [(k, ev) for k, ev in keyed.items() if k in stored]
            if not new:
                journal.discard(seq)
        claim.keys.extend(keyed)
        memory = claim.memory
        late = held = 0
        if memory is not None and new:
            offered = memory.order.offer([ev for _, ev in new], now, seq)
            changes, late, held = offered.changes, offered.late, offered.waiting
            memory.applied, memory.last_tick = seq, None
            claim.changes.append(changes)
        else:
            changes = Changes()
        found = [skews[k] for k, _ in new if k in skews]
        skew = max(found, default=timedelta(0))
        if found:
            logging.getLogger(__name__).warning(
                "%d event(s) dated up to %.0f s ahead of their receiving time: kept no later "
                "than it (a source's clock runs ahead)",
                len(found),
                skew.total_seconds(),
            )
        return IngestResult(
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
            late=late,
            held=held,
            skewed=len(found),
            skew_seconds=skew.total_seconds(),
            queued_for=claim.holder if memory is None and new else None,
        )

    @telemetry.timed(telemetry.CORRELATION_SECONDS, "tick")
    def tick(self, now: datetime) -> IngestResult:
        """Take the time-based decisions due at ``now`` (symptom grace, flapping quiet) and
        persist them, after applying what other processes appended; the server's clock runs
        it every few seconds (:class:`EventClock`), ``servanda events tick`` from cron."""
        with self._lock, self._writing() as claim:
            memory = claim.memory
            if memory is None:
                return IngestResult(0, 0, 0, 0, queued_for=claim.holder)
            journal = JournalRepository(claim.session)
            if memory.last_tick is not None and memory.last_tick > memory.snapshot_seq:
                journal.move_tick(memory.last_tick, now)  # two ticks in a row are one
                seq = memory.last_tick
            else:
                seq = journal.append(TICK, now)
            self._moved_on(claim, memory, memory.order.tick(now), seq, now, tick=True)
        return _moved(claim.changes)

    def settle(self, now: datetime, principal: Principal = LOCAL_ADMIN) -> IngestResult:
        """Say the events ingested so far are complete up to ``now`` (a file import that holds
        a whole history): everything waiting for the watermark is correlated and the
        time-based decisions due at ``now`` are taken. Journaled like a tick; another
        process holding the lease applies it."""
        principal.require(Action.INGEST_EVENTS)
        with self._lock, self._writing() as claim:
            seq = JournalRepository(claim.session).append(SETTLE, now)
            memory = claim.memory
            if memory is None:
                return IngestResult(0, 0, 0, 0, queued_for=claim.holder)
            self._moved_on(claim, memory, memory.order.settle(now), seq, now, tick=False)
        return _moved(claim.changes)

    def _moved_on(
        self,
        claim: _Claim,
        memory: _Memory,
        changes: Changes,
        seq: int,
        now: datetime,
        *,
        tick: bool,
    ) -> None:
        """Persist what a tick or a settle (journal entry ``seq``) changed."""
        memory.applied, memory.last_tick = seq, seq if tick else None
        claim.changes.append(changes)
        self._persist(claim, now)
        self._maybe_snapshot(claim, memory)

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
        too_long = [
            Problem(f"too long: at most {limit:,} characters, not {len(text):,}", path=(name,))
            for name, text, limit in (
                ("note", note, TEXT_CHARS), ("by", by or "", NAME_CHARS),
                ("on_behalf_of", on_behalf_of or "", NAME_CHARS),
            )
            if len(text) > limit
        ]  # fmt: skip
        if too_long:
            raise InvalidInput(too_long)
        if on_behalf_of is not None and principal.role is not Role.ADMIN:
            raise Forbidden("only an administrator validates on behalf of a party")
        actor: lifecycle.Actor = by if by is not None else principal
        with self._lock, self._writing() as claim:
            memory = claim.memory
            incidents = IncidentRepository(claim.session)
            held = memory.correlator.incident(incident_id) if memory is not None else None
            current = held or incidents.get(incident_id)
            if current is None or (
                principal.scope is not None
                and not incidents.outages(incident_id=incident_id, customer=principal.scope)
            ):
                raise NotFound(f"no incident {incident_id!r}")
            rules = _validation_rules(
                claim.config.bundle, incidents.outages(incident_id=incident_id)
            )
            moved = _recorded(
                _move(current, action, now, actor, note, rules, on_behalf_of),
                len(current.transitions),
                datetime.now(UTC),
            )
            self._persist(claim, now)  # what other processes appended comes first
            seq = JournalRepository(claim.session).append(STEP, now, step_payload(moved))
            before = current if memory is None else memory.stored.get(incident_id, current)
            notices.queue_incident_steps(
                claim.session, claim.config.bundle, [moved], {incident_id: before}, now
            )
            incidents.save([moved], now, {incident_id: before})
            if memory is not None:
                memory.correlator.apply_lifecycle(moved)
                memory.stored[incident_id] = moved
                memory.applied, memory.last_tick = seq, None
                JournalRepository(claim.session).set_applied(seq, _order_state(memory.order))
        return moved

    def reload(self) -> None:
        """Forget the in-memory state: the next call rebuilds it from storage (after a new
        configuration was loaded in this process; other processes' loads are noticed)."""
        with self._lock:
            self._memory = None
            self._config = None

    def close(self) -> None:
        """Save a snapshot when anything was applied since the last one, and give the lease
        up, so the next process takes over at once (a process that dies without closing is
        replaced when its lease runs out)."""
        with self._lock:
            memory = self._memory
            try:
                with transaction(self.engine) as session:
                    journal = JournalRepository(session)
                    holder, _, applied = journal.lease()
                    if holder != self.holder:
                        return
                    if (
                        memory is not None
                        and memory.applied == applied
                        and applied > memory.snapshot_seq
                    ):
                        self._save_snapshot(session, memory)
                    journal.release(self.holder)
            finally:
                self._memory = None

    def status(self, principal: Principal = LOCAL_ADMIN) -> LeaseStatus:
        """Who holds the correlator lease and how far the journal is applied (staff only)."""
        principal.require(Action.MANAGE_INCIDENTS)
        with transaction(self.engine) as session:
            journal = JournalRepository(session)
            holder, until, applied = journal.lease()
            last = journal.last_seq()
            snap = journal.snapshot()
            order = journal.order()
        return LeaseStatus(
            holder=holder,
            lease_until=until,
            applied_seq=applied,
            last_seq=last,
            snapshot_seq=snap.seq if snap is not None else None,
            snapshot_at=snap.taken_at if snap is not None else None,
            this_process=self.holder,
            lateness=self.journal.lateness,
            watermark=order.watermark if order is not None else None,
            held=order.held if order is not None else 0,
            late=order.late if order is not None else 0,
        )

    # -- claiming and restoring ------------------------------------------------------------

    def _writing(self) -> _Writing:
        return _Writing(self)

    def _claim(self, session: Session) -> _Claim:
        connection = session.connection()
        wall = datetime.now(UTC)
        values = {"me": self.holder, "wall": wall, "until": wall + self.journal.lease}
        found = connection.execute(_CLAIM, values).one_or_none()
        if found is None:
            upsert(session, ENGINE_STATE, [{"id": _ROW, "version": 0, "updated_at": wall,
                                            "applied_seq": 0}], ["id"], None)  # fmt: skip
            found = connection.execute(_CLAIM, values).one()
        holder, applied, load_run = found
        applied = int(applied or 0)
        config = self._config
        if config is None or config.load_run != load_run:
            bundle = BundleRepository(session).load()
            nodes = [*(s.id for s in bundle.services), *(c.id for c in bundle.components)]
            config = self._config = _Config(bundle, NodeMapper(bundle.mappings, nodes), load_run)
        if holder != self.holder:
            self._memory = None  # another process correlates: what we knew goes stale
            return _Claim(session, config, None, holder)
        memory = self._memory
        if memory is None or memory.load_run != load_run or memory.applied > applied:
            memory = self._restore(session, config, applied)
        claim = _Claim(session, config, memory, holder)
        if memory.applied < applied:  # another engine applied entries: catch up silently
            journal = JournalRepository(session)
            _, stepped, _ = apply_entries(
                memory.order, journal, journal.entries(memory.applied, applied)
            )
            memory.applied, memory.last_tick = applied, None
            memory.stored.clear()
            memory.outages.clear()
            memory.outage_inputs.clear()
        journal = JournalRepository(session)
        changes, stepped, last = apply_entries(
            memory.order, journal, journal.entries(memory.applied)
        )
        if last:
            memory.applied, memory.last_tick = last, None
            claim.changes.extend(changes)
            for incident_id in stepped:  # stored by the process that took the step
                memory.stored.pop(incident_id, None)
        self._memory = memory
        return claim

    def _restore(self, session: Session, config: _Config, applied: int) -> _Memory:
        """The correlator after the journal entries up to ``applied``: the snapshot and the
        entries after it, or, without a snapshot of this code and configuration, rebuilt from
        the stored alert states and incidents (then a snapshot is saved at once)."""
        bundle = config.bundle
        journal = JournalRepository(session)
        snap = journal.snapshot()
        wall = datetime.now(UTC)
        lateness = self.journal.lateness
        if (
            snap is not None
            and snap.code == snapshot.CODE
            and snap.load_run == config.load_run
            and snap.seq <= applied
        ):
            order = _load_snapshot(snap.state, bundle, self.settings, lateness)
            apply_entries(order, journal, journal.entries(snap.seq, applied))
            return _Memory(order, config.load_run, applied, snap.seq, snap.taken_at)
        now = max(wall, journal.last_at() or wall)
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
        seen = max((a.last_seen for a in alerts), default=None)
        order = Resequencer(correlator, lateness, clock=seen, since=journal.last_at())
        stood = journal.order()
        waiting = stood.waiting_from if stood is not None else None
        if waiting is not None:  # offered again: those already applied are exact duplicates
            batches = [e for e in journal.entries(waiting - 1, applied) if e.kind == BATCH]
            if batches:
                found = journal.batch_events(batches[0].seq, batches[-1].seq)
                for entry in batches:
                    order.offer(found.get(entry.seq, []), entry.at, entry.seq)
        memory = _Memory(
            order,
            config.load_run,
            applied,
            applied,
            wall,
            stored={i.id: i for i in incidents},
        )
        self._save_snapshot(session, memory)
        return memory

    def _maybe_snapshot(self, claim: _Claim, memory: _Memory) -> None:
        due = memory.applied - memory.snapshot_seq >= self.journal.snapshot_entries or (
            memory.applied > memory.snapshot_seq
            and datetime.now(UTC) - memory.snapshot_at >= self.journal.snapshot_age
        )
        if due:
            self._save_snapshot(claim.session, memory)

    def _save_snapshot(self, session: Session, memory: _Memory) -> None:
        taken = datetime.now(UTC)
        JournalRepository(session).save_snapshot(
            Snapshot(
                seq=memory.applied,
                load_run=memory.load_run,
                code=snapshot.CODE,
                taken_at=taken,
                state=_dump_snapshot(memory.order),
            )
        )
        memory.snapshot_seq, memory.snapshot_at = memory.applied, taken

    # -- persisting ------------------------------------------------------------------------

    def _persist(self, claim: _Claim, now: datetime) -> None:
        """Write what the claim's changes changed, and how far the journal is applied."""
        memory = claim.memory
        if memory is None or not claim.changes:
            return
        merged = claim.changes
        alerts: dict[str, Alert] = {}
        incidents: dict[str, Incident] = {}
        hints: dict[str, dict[str, Symptom | None]] = {}
        for changes in merged:
            alerts.update((a.fingerprint, a) for a in changes.alerts)
            incidents.update((i.id, i) for i in changes.incidents)
            for incident_id, found in changes.symptom_changes:
                hints.setdefault(incident_id, {}).update(found)
        claim.changes = []
        # before the pipeline, which reads nothing back: the steps since what was stored
        notices.queue_incident_steps(
            claim.session, claim.config.bundle, incidents.values(), memory.stored, now
        )
        with _pipeline(claim.session):
            self._write(claim.session, claim.config, memory, alerts.values(), incidents.values(),
                        now, hints)  # fmt: skip
            JournalRepository(claim.session).set_applied(memory.applied, _order_state(memory.order))
        claim.changes = [_merge_changes(merged)]

    def _write(
        self,
        session: Session,
        config: _Config,
        memory: _Memory,
        alerts: Collection[Alert],
        changed: Collection[Incident],
        now: datetime,
        hints: Mapping[str, Mapping[str, Symptom | None]],
    ) -> None:
        EventRepository(session).save_alerts(alerts)
        if not changed:
            return
        incidents = IncidentRepository(session)
        incidents.save(list(changed), now, memory.stored, hints)
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
            found = [_stored(o) for o in outages(inc, config.bundle)]
            digest = hash(tuple(found))
            if memory.outages.get(inc.id) != digest:
                memory.outages[inc.id] = digest
                rewrite.append(inc.id)
                rows.extend(found)
        incidents.replace_outages(rewrite, rows)


@dataclass(frozen=True, slots=True)
class LeaseStatus:
    """Who correlates, and how far."""

    holder: str | None
    """The process holding the correlator lease (``host:pid``)."""
    lease_until: datetime | None
    applied_seq: int
    """The last journal entry whose effects are stored."""
    last_seq: int
    """The last journal entry (entries after ``applied_seq`` wait for the holder)."""
    snapshot_seq: int | None
    snapshot_at: datetime | None
    this_process: str
    lateness: timedelta = timedelta(0)
    """Events arriving at most this long after the latest one are correlated in order."""
    watermark: datetime | None = None
    """Events up to this time are correlated (as the holder last stored it)."""
    held: int = 0
    """Events held back until the watermark passes them."""
    late: int = 0
    """Events that came after the watermark had passed their time, in all."""


def _order_state(order: Resequencer) -> OrderState:
    return OrderState(order.first_waiting_tag(), order.watermark, order.waiting, order.late)


_ORDER_FIELDS = ("pending", "tags", "tag_order", "clock", "watermark", "last_arrival", "late",
                 "arrivals")  # fmt: skip


def _dump_snapshot(order: Resequencer) -> bytes:
    """The correlator's snapshot (:func:`servanda.events.snapshot.dump`) with what waits for
    the watermark."""
    waiting = {name: getattr(order, name) for name in _ORDER_FIELDS}
    return pickle.dumps(
        (snapshot.dump(order.correlator), zlib.compress(pickle.dumps(waiting, 5), 1)), 5
    )


def _load_snapshot(
    data: bytes, bundle: Bundle, settings: CorrelationSettings, lateness: timedelta
) -> Resequencer:
    """The correlator and its event-time order back from :func:`_dump_snapshot` (the data
    comes from this database's own snapshot table: it is unpickled)."""
    state, waiting = pickle.loads(data)
    correlator = snapshot.load(
        state,
        bundle.graph,
        nodes=(*bundle.services, *bundle.components),
        calendars=bundle.calendars,
        settings=settings,
    )
    order = Resequencer(correlator, lateness)
    for name, value in pickle.loads(zlib.decompress(waiting)).items():
        setattr(order, name, value)
    return order


def _close_at_exit(ref: weakref.ReferenceType[EventEngine]) -> None:
    """Give the lease up when a process ends (a command, a test run) without closing."""
    engine = ref()
    if engine is not None:
        try:
            engine.close()
        except Exception:  # the database may be gone; the lease then runs out by itself
            logging.getLogger(__name__).debug("could not give the lease up", exc_info=True)


def _moved(found: Sequence[Changes]) -> IngestResult:
    """What a tick or a settle did (no batch of its own)."""
    merged = _merge_changes(found)
    return IngestResult(
        received=0,
        new=0,
        duplicates=0,
        unmapped=0,
        opened=merged.opened,
        updated=merged.updated,
        resolved=merged.resolved,
        reopened=merged.reopened,
        merged=merged.merged,
        flapping=merged.flapping,
    )


def _merge_changes(found: Sequence[Changes]) -> Changes:
    """One :class:`Changes` for several in a row (the latest record of each incident)."""
    if len(found) == 1:
        return found[0]
    incidents: dict[str, Incident] = {}
    alerts: dict[str, Alert] = {}
    out: dict[str, list[Any]] = {k: [] for k in (
        "opened", "updated", "merged", "resolved", "reopened", "new_alerts", "repeats",
        "flapping", "stable", "unmapped")}  # fmt: skip
    duplicates = 0
    for c in found:
        for name, values in out.items():
            values.extend(getattr(c, name))
        incidents.update((i.id, i) for i in c.incidents)
        alerts.update((a.fingerprint, a) for a in c.alerts)
        duplicates += c.duplicates
    return Changes(
        **{k: tuple(dict.fromkeys(v)) for k, v in out.items()},
        incidents=tuple(incidents.values()),
        alerts=tuple(alerts.values()),
        duplicates=duplicates,
    )


class _Writing:
    """``with engine._writing() as claim``: a claimed transaction; on error the engine forgets
    its in-memory state (it may be ahead of what was committed)."""

    def __init__(self, owner: EventEngine) -> None:
        self.owner = owner
        self._tx: Any = None

    def __enter__(self) -> _Claim:
        self._tx = transaction(self.owner.engine)
        session: Session = self._tx.__enter__()
        try:
            return self.owner._claim(session)
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


def _recorded(incident: Incident, since: int, at: datetime) -> Incident:
    """``incident`` with its trail entries from position ``since`` on marked recorded ``at``."""
    trail = list(incident.transitions)
    for i in range(since, len(trail)):
        t = trail[i]
        trail[i] = trusted(Transition, **{f: getattr(t, f) for f in _TRANSITION_FIELDS},
                           recorded_at=at)  # fmt: skip
    return trusted(Incident, **{f: getattr(incident, f) for f in _INCIDENT_FIELDS},
                   transitions=tuple(trail))  # fmt: skip


_TRANSITION_FIELDS = tuple(f.name for f in fields(Transition) if f.name != "recorded_at")
_INCIDENT_FIELDS = tuple(f.name for f in fields(Incident) if f.name != "transitions")


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
    return lifecycle.validate(incident, at, actor, note, rules=rules, on_behalf_of=on_behalf_of)
