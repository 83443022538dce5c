"""The correlator: the public face of the layers of this package.

:class:`Correlator` is one class made of layers, each in its own module and each calling
only the layers below it (the two calls that go up, re-evaluating nodes and finding the root
a node lost a spare to, are declared in :mod:`.core`):

====================  ===========================================================
layer                 concern
====================  ===========================================================
:mod:`.core`          configuration and state; helpers every layer uses
:mod:`.intervals`     which incident has which node down, from when to when
:mod:`.merge`         the work of one incident moving to another
:mod:`.roots`         opening, reopening and identifying incidents; their records
:mod:`.symptoms`      placing alerts as root alerts or symptoms; the symptom grace
:mod:`.below`         alerts below the down severity
:mod:`.status`        how each node stands, and what follows when that changes
:mod:`.alerts`        applying observations
:mod:`.clock`         deadlines, and forgetting what is past keeping
this module           the public methods: process, tick, records, state, restore
====================  ===========================================================
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from itertools import groupby

from servanda.calendars.model import Calendar
from servanda.catalog.graph import DependencyGraph
from servanda.catalog.model import Component, Service
from servanda.events.correlate.clock import _FORGET_EVERY, _Clock
from servanda.events.correlate.core import _BELOW, _DOWN, _EPOCH, _Batch
from servanda.events.correlate.settings import Changes, CorrelationSettings, CorrelatorState
from servanda.events.declarations import EventDeclarations
from servanda.events.incidents import Alert, Incident
from servanda.events.model import Event, Status
from servanda.events.working import AlertState, IncidentWork


def _event_time(ev: Event) -> datetime:
    if ev.status is Status.RESOLVED and ev.ends_at is not None:
        return ev.ends_at
    return ev.starts_at


def _event_order(ev: Event) -> tuple[datetime, bool, str, datetime]:
    return (_event_time(ev), ev.status is Status.FIRING, ev.fingerprint, ev.starts_at)


class Correlator(_Clock):
    """Incremental correlation of events into incidents. Not thread-safe: one per process.

    Made from a dependency graph, with the catalog's nodes and calendars and the settings
    (see :class:`~servanda.events.correlate.core._Core`), or from a bundle (:meth:`of`).
    """

    @classmethod
    def of(
        cls, bundle: EventDeclarations, settings: CorrelationSettings | None = None
    ) -> Correlator:
        """A correlator over a bundle's graph, nodes and calendars."""
        return cls(
            bundle.graph,
            nodes=(*bundle.services, *bundle.components),
            calendars=bundle.calendars,
            settings=settings,
        )

    def process(self, events: Sequence[Event], now: datetime) -> Changes:
        """Apply a batch of events, then the time-based decisions due at ``now``."""
        self._batch = batch = _Batch()
        ordered = sorted(events, key=_event_order)
        for instant, group in groupby(ordered, key=_event_time):
            if instant > self._seen:
                self._seen = min(instant, now)
            self._advance(min(instant, now))
            for ev in group:
                self._apply(ev, now)
            self._reconcile()
        self._advance(now)
        changes = self._changes(batch)
        if self._seen >= self._forget_at:  # after the changes are told: nothing is lost
            self._forget(self._seen)
            self._forget_at = self._seen + _FORGET_EVERY
        return changes

    def tick(self, now: datetime) -> Changes:
        """Take the time-based decisions due at ``now``.

        Forgetting what is past keeping is not a tick's business: :meth:`process` does it as
        the event clock (the latest event time seen, never past ``now``) moves on, every
        :data:`_FORGET_EVERY`, so a replayed month forgets what live processing forgot,
        whenever the ticks came."""
        self._batch = batch = _Batch()
        self._advance(now)
        return self._changes(batch)

    def incident(self, incident_id: str) -> Incident | None:
        """The current record of an incident the correlator holds."""
        w = self._incidents.get(incident_id)
        return None if w is None else self._record(w)

    def incidents(self, *, open_only: bool = False) -> list[Incident]:
        """Incidents held, by detection time (``open_only``: not resolved, not merged)."""
        found = [w for w in self._incidents.values() if w.live or not open_only]
        return [self._record(w) for w in sorted(found, key=lambda w: (w.detected_at, w.id))]

    def alert(self, fingerprint: str) -> Alert | None:
        """The current record of an alert."""
        a = self._alerts.get(fingerprint)
        return None if a is None else a.to_record()

    def apply_lifecycle(self, incident: Incident) -> bool:
        """Take over the lifecycle fields of an incident changed by :mod:`lifecycle`.

        Returns False when the correlator no longer holds that incident.
        """
        w = self._incidents.get(incident.id)
        if w is None:
            return False
        w.state = incident.state
        w.acknowledged_at, w.corrected_at = incident.acknowledged_at, incident.corrected_at
        w.validated_at, w.closed_at = incident.validated_at, incident.closed_at
        w.transitions = list(incident.transitions)
        w.reopen_count = incident.reopen_count
        w.rec = None
        return True

    def state(self) -> CorrelatorState:
        """A snapshot to persist; :meth:`restore` rebuilds an equivalent correlator."""
        return CorrelatorState(
            alerts=tuple(a.to_record() for a in sorted(self._alerts.values(), key=_by_fp)),
            incidents=tuple(self.incidents()),
        )

    @classmethod
    def restore(
        cls,
        state: CorrelatorState,
        graph: DependencyGraph,
        *,
        nodes: Iterable[Service | Component] = (),
        calendars: Iterable[Calendar] = (),
        settings: CorrelationSettings | None = None,
    ) -> Correlator:
        """A correlator carrying on from a snapshot taken by :meth:`state`."""
        self = cls(graph, nodes=nodes, calendars=calendars, settings=settings)
        self._restoring = True
        for rec in state.incidents:
            w = IncidentWork.from_record(rec)
            self._incidents[w.id] = w
            if w.live:
                (self._below if w.below else self._roots)[w.root] = w.id
            by_root = self._last_below if w.below else self._last_by_root
            last = by_root.get(w.root)
            if last is None or self._incidents[last].detected_at <= w.detected_at:
                by_root[w.root] = w.id
        for arec in state.alerts:
            a = AlertState.from_record(arec)
            a.rec = arec
            self._alerts[a.fp] = a
            lane = self._lane(a)
            if lane == _DOWN:
                self._firing.setdefault(a.key, set()).add(a.fp)
            elif lane == _BELOW:
                self._soft.setdefault(a.key, set()).add(a.fp)
            if lane != _DOWN and a.ends and a.ends[-1] > self._ended.get(a.key, _EPOCH):
                self._ended[a.key] = a.ends[-1]
            if a.flapping:
                self._schedule(a.latest + self._rule.quiet, "f", a.fp)
            if a.grace_until is not None and a.firing:
                self._pending[a.key] = a.grace_until - self.settings.symptom_grace
                self._schedule(a.grace_until, "g", a.key)
        self._refresh(list(self._firing), _EPOCH)
        # Co-causes: a node firing on its own, held open by another root's live incident.
        for w in self._incidents.values():
            if not w.live or w.below:
                continue
            for node in w.open_nodes():
                st = self._status.get(node)
                if node != w.root and node in self._firing and st is not None and st.owner is None:
                    why = next(
                        (s.reason for s in w.symptoms.values() if s.node == node and s.reason),
                        f"{node} failed too",
                    )
                    self._co[node] = (w.root, why)
        if self._co:
            self._refresh(list(self._co), _EPOCH)
        for w in self._incidents.values():
            for node in w.open_nodes():
                st = self._status.get(node)
                if st is not None:
                    st.incident = w.id
        self._orphans.clear()
        self._restoring = False
        self._seen = max((a.last_seen for a in state.alerts), default=_EPOCH)
        return self

    def _changes(self, batch: _Batch) -> Changes:
        touched = [self._incidents[i] for i in batch.touched if i in self._incidents]
        symptom_changes = []
        for w in touched:
            if w.sym_changed:
                found = w.symptoms
                symptom_changes.append((w.id, tuple(
                    (fp, found[fp].to_record() if fp in found else None) for fp in w.sym_changed
                )))  # fmt: skip
                w.sym_changed = {}
        return Changes(
            symptom_changes=tuple(symptom_changes),
            opened=tuple(batch.opened),
            updated=tuple(w.id for w in touched),
            merged=tuple(batch.merged),
            resolved=tuple(batch.resolved),
            reopened=tuple(batch.reopened),
            incidents=tuple(self._record(w) for w in touched),
            new_alerts=tuple(batch.new),
            repeats=tuple(dict.fromkeys(batch.repeats)),
            duplicates=batch.duplicates,
            flapping=tuple(batch.flapping),
            stable=tuple(batch.stable),
            unmapped=tuple(dict.fromkeys(batch.unmapped)),
            alerts=tuple(self._alerts[fp].to_record() for fp in batch.alerts if fp in self._alerts),
        )


def _by_fp(a: AlertState) -> str:
    return a.fp
