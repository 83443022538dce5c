"""Correlation on the dependency map: alerts in, incidents out, incrementally and in memory.

:class:`Correlator` keeps, per catalog node, whether it fires (has an alert that counts as
firing), whether it is down or partly down because of its requirements, and which root owns it.
It reacts to changes only: a repeat or a symptom of a known root is a few dictionary look-ups;
a node that starts or stops failing re-evaluates the nodes below it, in dependency order, and
stops where nothing changes. The whole graph is never recomputed per event.

Rules (defaults in :class:`CorrelationSettings`):

* **De-duplication.** An alert is its fingerprint. An observation adds its start time (and, when
  resolved, its end time) to the alert; one that adds no new time is an exact duplicate and
  changes nothing (the same batch sent twice is a no-op). Otherwise ``count`` and ``last_seen``
  move. The latest time decides the status, whatever order observations arrive in.
* **Severity.** Only an alert at or above ``down_severity`` (default ``minor``: critical,
  major and minor) makes its node fail. One below it (``warning``, ``info``: disk 80 %, a
  certificate expiring) is recorded and de-duplicated like any other, and correlated: on a
  node down (or partly down) because of a root, the root's node included, it is a symptom of
  that root's incident; otherwise the alerts below the threshold on a node make that node's
  own incident (``below_down_severity``, state ``detected``, the severity of its alerts), which
  takes nothing down (``impacted`` stays empty, so no outage) and resolves at the latest end of
  its alerts. Such an incident is taken over like a provisional root when its node goes down
  within the hold-down, and an alert of it still firing when its root recovers waits the
  symptom grace, as symptoms do. Unmapped alerts count as failing whatever their severity.
  Alerts from :data:`OBSERVING_SOURCES` (burn-rate warnings) count as below the threshold,
  whatever their severity.
* **Order.** A batch is applied in event-time order (firing: ``starts_at``; resolved:
  ``ends_at``), one instant at a time; within an instant nodes that stop failing are handled
  first, then nodes that start, upstream before downstream. Time-based decisions (flapping
  quiet, symptom grace) are taken when the event clock or ``now`` passes their deadline, so
  replaying a history gives what live processing gave.
* **Batches.** How the same events are cut into batches does not change the outcome, nor
  does the order across batches of the ends (or starts) of one node's alerts within the
  hold-down: a node stops failing at the latest end among its alerts, whichever came last;
  an alert that started before its node's recovery, come late, continues the incident instead
  of reopening it; an alert first seen resolved is correlated as the episode it reports; a
  late symptom of a root that has recovered since joins that root's incident; a late root
  takes over incidents (resolved ones too) of nodes it had down. Decisions already taken when
  ``now`` passed a deadline are not revisited, and an alert whose start falls between other
  nodes' events already applied is judged against the state they left.
* **Ids.** An incident's id follows its root and the earliest start of its root alerts (see
  :func:`~servanda.events.incidents.incident_id`), whatever order they came in: when an
  earlier root alert arrives after the id was announced, the incident takes the new id and
  the old one stays as a closed record ``merged_into`` it. A reopened incident keeps its id.
* **Roots and symptoms.** A node that starts firing while it would be down anyway because of
  its requirements (fully, or partly through a requirement with a ``share``) is a *symptom*: its
  alerts join the incident of the root that takes it down (when several roots do, the one that
  failed first, then by node id). Otherwise it is a *root* and opens an incident.
* **Hold-down.** When a root starts failing, incidents of nodes below it that nobody has acted
  on (state ``detected``) and that were detected at most ``hold_down`` before the root failed
  are merged into the root's incident: their alerts become its symptoms; the taken-over
  incident is closed with ``merged_into`` set, and both trails say so. Older or acknowledged
  incidents stay on their own.
* **Redundancy.** Requirements decide: one of two ``any_of`` uplinks down takes nothing down, so
  the incident impacts only the uplink and lists the nodes that lost their spare (``degraded``).
  An alert (of any severity: "RedundancyLost" and the like) on a node that lost its spare to
  a live root, and is still up, is a symptom of that root's incident ("dns-resolver-1 lost its
  redundancy because core-router-1 is down: …") and takes nothing down (no interval, no
  outage); the node's own incident opened within the hold-down before the root failed is
  taken over (merged), down on its own until the root failed. Still firing when the root
  recovers, such an alert waits the symptom grace, as symptoms do.
* **Joint failures.** When roots fail together, so that a node is down only because all of
  them are (the last members of a redundant requirement: both routers of a pair), the fault
  is one incident: its root is the root that failed first (then by node id), and the
  incident of each other one (nobody having acted on it, as for the hold-down) is merged
  into it; their alerts are symptoms, *co-causes* ("core-router-2 failed too: with
  core-router-1 down, any of core-router-1, core-router-2 is unmet"), their nodes stay down
  in it. One node is never down in two incidents at once, so no service and customer is
  counted twice. Recovery: when a co-cause recovers first, the incident goes on (its root
  still fails); when the root recovers, the incident resolves (the dependents are back),
  and the co-causes' alerts still firing wait the symptom grace: resolved within it they
  stay co-causes, otherwise their node becomes the root of its own incident from the root's
  recovery (one router down: it takes nothing down, it lists the nodes without a spare).
* **Recovery.** When the root's alerts all resolve, the incident is resolved at the latest end
  among them.
  Symptom alerts that still fire are held for ``symptom_grace``; if they still fire then, their
  node becomes a root of its own incident, detected at the root's recovery time. The symptom
  alerts of a node that stops being down because of a root that still fails (a node it was
  down through recovered) are held the same way from that time: resolved within the grace
  (even in a later batch, at that very instant), they stay symptoms; otherwise their node
  becomes a root of its own incident from that time, and they were symptoms until then.
* **Flapping.** See :mod:`servanda.events.flapping`: a flapping alert is held firing and stays
  with its incident until quiet.
* **Reopen.** A root that fails again within ``reopen_window`` of its incident's resolution (or
  closing, whichever is later) reopens that incident instead of opening a new one. Only its
  own root's alerts reopen an incident: symptoms of another root never reopen or take over a
  resolved incident of another fault. When a node's alert reopened its incident and, within
  the hold-down, a root it depends on (or lost its spare to) fails, nobody having acted on
  the reopened incident, the reopen is withdrawn: what came with it (intervals and alerts
  since the reopen) moves to the new root's incident, as if the alert had come after the
  root, and the old incident is put back as it was, resolved, its history left alone (both
  trails say so). A correlator restored from :class:`CorrelatorState` (not from a pickled
  instance) no longer knows what a reopened incident was before, and keeps the reopen.
* **Maintenance.** See :mod:`servanda.events.planned`.
* **Unmapped.** An alert with no node is kept and correlated with nothing: each such
  fingerprint is its own incident with ``root = None`` (so it is seen and runs the lifecycle),
  and is listed in :attr:`Changes.unmapped`.
* **Cycles.** Evaluation goes in a dependency order that tolerates cycles (nodes on a cycle are
  ordered by id), and no node is re-evaluated more than a few times per change, so a cyclic
  graph cannot loop.
"""

from __future__ import annotations

import heapq
from bisect import bisect_left, insort
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import groupby
from typing import Literal

from servanda.calendars.model import Calendar
from servanda.catalog.graph import DependencyGraph, Impact
from servanda.catalog.model import Component, RequirementMode, Service
from servanda.config.bundle import Bundle
from servanda.core.records import record
from servanda.events.flapping import FlapRule
from servanda.events.incidents import (
    Alert,
    Degraded,
    Incident,
    IncidentState,
    Symptom,
    Transition,
    incident_id,
)
from servanda.events.model import Event, Severity, Status
from servanda.events.planned import MaintenanceLookup
from servanda.events.working import (
    SEVERITIES,
    UNMAPPED,
    AlertState,
    IncidentWork,
    Interval,
    Lane,
    Reopening,
    SymptomInfo,
    when,
)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_FOREVER = datetime(9999, 12, 31, tzinfo=UTC)

_RANK = {s: i for i, s in enumerate(SEVERITIES)}

_FORGET_EVERY = timedelta(minutes=15)
"""How far the event clock moves between two clean-ups of what is past keeping."""

_MAX_VISITS = 4
"""How often one node may be re-evaluated per change (guards against cycles)."""

_QUIET, _DOWN, _BELOW = Lane.QUIET, Lane.DOWN, Lane.BELOW


@record
class CorrelationSettings:
    """The time windows of correlation."""

    hold_down: timedelta = timedelta(minutes=2)
    """A root failing this long after a symptom's incident was detected still takes it over."""
    symptom_grace: timedelta = timedelta(minutes=5)
    """A symptom still firing this long after its root recovered becomes its own incident."""
    reopen_window: timedelta = timedelta(hours=1)
    """A root failing again within this of its incident's end reopens it."""
    retention: timedelta = timedelta(hours=24)
    """Resolved alerts not seen for this long are forgotten (see :meth:`Correlator.tick`)."""
    flapping: FlapRule = FlapRule()
    """When an alert is flapping."""
    down_severity: Severity = Severity.MINOR
    """Alerts at or above this severity take their node down; those below it (by default
    ``warning`` and ``info``) are recorded, de-duplicated and correlated, but take nothing down."""


OBSERVING_SOURCES = frozenset({"servanda-slo"})
"""Sources whose alerts never take a node down, whatever their severity: Servanda's own
burn-rate warnings (:mod:`servanda.services.burn`) warn about downtime already counted, so
they must not add to it. They are correlated like alerts below ``down_severity``."""


@dataclass(frozen=True, slots=True)
class Changes:
    """What one call to :meth:`Correlator.process` or :meth:`Correlator.tick` changed."""

    opened: tuple[str, ...] = ()
    """Incidents opened (including provisional ones merged in the same call)."""
    updated: tuple[str, ...] = ()
    """Incidents changed in any way (opened, merged, resolved and reopened ones included)."""
    merged: tuple[tuple[str, str], ...] = ()
    """(taken over, into) pairs."""
    resolved: tuple[str, ...] = ()
    """Incidents whose root recovered."""
    reopened: tuple[str, ...] = ()
    """Incidents reopened because their fault returned."""
    incidents: tuple[Incident, ...] = ()
    """The current record of every incident in ``updated``."""
    new_alerts: tuple[str, ...] = ()
    """Fingerprints seen for the first time."""
    repeats: tuple[str, ...] = ()
    """Fingerprints seen before that brought a new observation."""
    duplicates: int = 0
    """Events that told nothing new and were ignored."""
    flapping: tuple[str, ...] = ()
    """Alerts that started flapping."""
    stable: tuple[str, ...] = ()
    """Alerts that stopped flapping."""
    unmapped: tuple[str, ...] = ()
    """Fingerprints of events in this batch that name no node."""
    alerts: tuple[Alert, ...] = ()
    """The current record of every alert that changed."""
    symptom_changes: tuple[tuple[str, tuple[tuple[str, Symptom | None], ...]], ...] = ()
    """Per changed incident, its symptoms added or changed (their record) or dropped (None)
    since the previous changes told, so storage writes those alone."""

    def incident(self, incident_id: str) -> Incident | None:
        """The record of one changed incident."""
        for inc in self.incidents:
            if inc.id == incident_id:
                return inc
        return None


@record
class CorrelatorState:
    """Everything a correlator needs to carry on after a restart."""

    alerts: tuple[Alert, ...] = ()
    """Alerts it remembers (firing ones, and resolved ones within the retention)."""
    incidents: tuple[Incident, ...] = ()
    """Incidents it holds (open ones, and resolved ones within the reopen window)."""


class _Status:
    """How a node stands: down (fully) or partly, who owns it, which incident holds it."""

    __slots__ = ("down", "fraction", "impact", "incident", "owner", "reason")

    def __init__(
        self,
        down: bool,
        fraction: float,
        owner: str | None,
        impact: Impact | None,
        reason: str | None = None,
    ) -> None:
        self.down, self.fraction, self.owner, self.impact = down, fraction, owner, impact
        self.reason = reason
        """Why the node's alerts belong to its owner when no impact says it: it lost its
        redundancy, or it is a co-cause (see :meth:`Correlator._joint`)."""
        self.incident: str | None = None


class _Batch:
    __slots__ = (
        "alerts",
        "attach",
        "duplicates",
        "flapping",
        "merged",
        "new",
        "nodes",
        "opened",
        "reopened",
        "repeats",
        "resolved",
        "soft",
        "stable",
        "touched",
        "unmapped",
    )

    def __init__(self) -> None:
        self.alerts: dict[str, None] = {}
        self.touched: dict[str, None] = {}
        self.nodes: dict[str, datetime] = {}
        self.soft: dict[str, datetime] = {}
        self.attach: list[AlertState] = []
        self.new: list[str] = []
        self.repeats: list[str] = []
        self.duplicates = 0
        self.flapping: list[str] = []
        self.stable: list[str] = []
        self.unmapped: list[str] = []
        self.opened: list[str] = []
        self.merged: list[tuple[str, str]] = []
        self.resolved: list[str] = []
        self.reopened: list[str] = []


def _event_time(ev: Event) -> datetime:
    if ev.status is Status.RESOLVED and ev.ends_at is not None:
        return ev.ends_at
    return ev.starts_at


def _event_order(ev: Event) -> tuple[datetime, bool, str, datetime]:
    return (_event_time(ev), ev.status is Status.FIRING, ev.fingerprint, ev.starts_at)


class Correlator:
    """Incremental correlation of events into incidents. Not thread-safe: one per process."""

    def __init__(
        self,
        graph: DependencyGraph,
        *,
        nodes: Iterable[Service | Component] = (),
        calendars: Iterable[Calendar] = (),
        settings: CorrelationSettings | None = None,
    ) -> None:
        nodes = tuple(nodes)
        self.settings = settings or CorrelationSettings()
        self._graph = graph
        self._rule = self.settings.flapping
        self._maintenance = MaintenanceLookup(nodes, calendars)
        self._kind: dict[str, Literal["service", "component", "node"]] = {
            n.id: "service" if isinstance(n, Service) else "component" for n in nodes
        }
        self._order = _dependency_order(graph)
        self._dependents = {n: tuple(sorted(graph.dependents(n))) for n in graph.nodes}
        self._needs = {n: tuple(sorted(graph.needs(n))) for n in graph.nodes}
        self._has_requirements = frozenset(n for n in graph.nodes if graph.requirements(n))
        self._alerts: dict[str, AlertState] = {}
        self._firing: dict[str, set[str]] = {}
        self._status: dict[str, _Status] = {}
        self._down: set[str] = set()
        self._down_rank = _RANK[self.settings.down_severity]
        self._downing = frozenset(s for s in SEVERITIES if _RANK[s] <= self._down_rank)
        self._ended: dict[str, datetime] = {}
        self._covered: dict[str, list[str]] = {}
        self._soft: dict[str, set[str]] = {}
        self._below: dict[str, str] = {}
        self._last_below: dict[str, str] = {}
        self._roots: dict[str, str] = {}
        self._co: dict[str, tuple[str, str]] = {}
        """Co-causes: a root node whose incident joined another root's -> (that root, why)."""
        self._joints: list[tuple[str, str, str]] = []
        """Joint failures found while evaluating: (another root, the first root, why)."""
        self._incidents: dict[str, IncidentWork] = {}
        self._last_by_root: dict[str, str] = {}
        self._pending: dict[str, datetime] = {}
        self._deadlines: list[tuple[datetime, int, str]] = []
        self._orphans: list[str] = []
        self._batch = _Batch()
        self._restoring = False
        self._seen = _EPOCH
        """The event clock: the latest event time applied (never past the ``now`` given)."""
        self._forget_at = _EPOCH
        """When the event clock reaches this, what is past keeping is forgotten."""

    @classmethod
    def of(cls, bundle: Bundle, settings: CorrelationSettings | None = None) -> Correlator:
        """A correlator over a bundle's graph, nodes and calendars."""
        return cls(
            bundle.graph,
            nodes=(*bundle.services, *bundle.components),
            calendars=bundle.calendars,
            settings=settings,
        )

    # -- public ---------------------------------------------------------------------------------

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

    # -- events ---------------------------------------------------------------------------------

    def _apply(self, ev: Event, now: datetime) -> None:
        batch = self._batch
        end = None
        if ev.status is Status.RESOLVED:
            end = ev.ends_at if ev.ends_at is not None else now
        a = self._alerts.get(ev.fingerprint)
        if ev.node is None:
            batch.unmapped.append(ev.fingerprint)
        if a is None:
            name = ev.label("alertname") or ev.summary or ev.fingerprint
            a = AlertState(ev.fingerprint, ev.source, ev.node, name, ev.starts_at)
            self._alerts[ev.fingerprint] = a
            a.count = a.add(ev.starts_at, end)
            a.planned = self._maintenance.is_planned(a.node, a.episode_start())
            batch.new.append(a.fp)
            before, is_new = _QUIET, True
            episode = a.episode_start()
        else:
            before, is_new = self._lane(a), False
            episode = a.episode_start()
            added = a.add(ev.starts_at, end)
            if not added:
                batch.duplicates += 1
                return
            a.count += added
            batch.repeats.append(a.fp)
            if a.episode_start() != episode:
                a.planned = self._maintenance.is_planned(a.node, a.episode_start())
        latest = a.latest
        a.first_seen = min(a.first_seen, ev.starts_at)
        # The observation with the latest time decides severity and summary, whatever order
        # they arrive in; at one instant, the most severe wins.
        told = ev.starts_at if end is None else end
        if (
            is_new
            or told > a.last_seen
            or (told == a.last_seen and _RANK[ev.severity] < _RANK[a.severity])
        ):
            a.severity, a.summary = ev.severity, ev.summary or a.summary
        if latest > a.last_seen:
            a.last_seen = latest
        if a.incident is not None and (w := self._incidents.get(a.incident)) is not None:
            rank = _RANK[a.severity]
            if rank < w.severity:
                w.severity = rank
                self._touch(w)
        if (
            not a.flapping
            and len(a.starts) + len(a.ends) > self._rule.changes
            and self._rule.is_flapping(a.starts, a.ends)
        ):
            a.flapping, a.flapping_since = True, latest
            batch.flapping.append(a.fp)
        if a.flapping:
            self._schedule(latest + self._rule.quiet, "f", a.fp)
        a.prune(self._rule)
        a.rec = None
        batch.alerts[a.fp] = None
        if before == _QUIET and a.incident is None and not a.firing and end is not None:
            before = self._transient(a, end)
        self._firing_changed(a, before)
        if (
            before is not Lane.QUIET
            and a.firing
            and a.incident is not None
            and a.episode_start() != episode
        ):
            self._episode_moved(a)

    def _transient(self, a: AlertState, end: datetime) -> Lane:
        """An alert never seen firing arrives resolved: it fired from its start to ``end``.

        It is correlated as if its firing had come first, so that its outcome does not depend
        on whether the firing observation arrived before, after, or never. Returns the lane
        it fired in (the caller then resolves it).
        """
        if end <= a.starts[-1]:
            return _QUIET
        a.ends.remove(end)
        try:
            lane = self._lane(a)
            self._firing_changed(a, _QUIET)
            self._reconcile()
        finally:
            insort(a.ends, end)
        return lane

    def _episode_moved(self, a: AlertState) -> None:
        """A late observation moved the start of a firing alert's episode."""
        w = self._incidents.get(a.incident or "")
        if w is None:
            return
        if a.fp in w.root_fps:
            self._earlier_root(w, a.episode_start())
        elif (s := w.symptoms.get(a.fp)) is not None and s.until is None:
            w.put_symptom(
                SymptomInfo(
                    a.fp, s.node, a.episode_start(), s.impact, s.root, s.root_since, s.reason
                )
            )
        self._touch(w)

    def _lane(self, a: AlertState) -> Lane:
        """Whether an alert fires, and if so whether it takes its node down."""
        if not a.firing:
            return _QUIET
        if a.node is None:
            return _DOWN
        if a.source in OBSERVING_SOURCES:
            return _BELOW
        return _DOWN if a.severity in self._downing else _BELOW

    def _firing_changed(self, a: AlertState, before: Lane) -> None:
        after = self._lane(a)
        batch = self._batch
        if after == before:
            if after == _DOWN:
                if a.incident is None and a.key not in batch.nodes:
                    batch.attach.append(a)
            elif after == _BELOW and a.key not in batch.soft:
                batch.soft[a.key] = a.episode_start()
            return
        end = a.ends[-1] if after == _QUIET and a.ends else a.latest
        if after == _QUIET:
            self._resolve_alert(a, end)
        if before == _BELOW:
            soft = self._soft[a.key]
            soft.discard(a.fp)
            if not soft:
                del self._soft[a.key]
            batch.soft.setdefault(a.key, end)
        elif before == _DOWN:
            self._stopped(a, end)
        if after == _BELOW:
            self._soft.setdefault(a.key, set()).add(a.fp)
            batch.soft.setdefault(a.key, a.episode_start())
        elif after == _DOWN:
            fps = self._firing.get(a.key)
            if fps is None:
                self._firing[a.key] = {a.fp}
                start = a.episode_start()
                ended = self._ended.get(a.key)
                if ended is not None and start > ended:
                    del self._ended[a.key]  # a new episode, not a late part of the last one
                batch.nodes.setdefault(a.key, start)
            else:
                fps.add(a.fp)
                batch.attach.append(a)

    def _stopped(self, a: AlertState, end: datetime) -> None:
        """An alert stopped taking its node down at ``end``.

        The node stops failing when its last such alert does, at the latest end among them
        (``_ended`` remembers the ends of the others), whatever order the ends arrived in.
        """
        key = a.key
        ended = self._ended.get(key)
        if ended is None or end > ended:
            self._ended[key] = ended = end
        fps = self._firing.get(key)
        if fps is not None:
            fps.discard(a.fp)
            if not fps:
                del self._firing[key]
                batch = self._batch
                prior = batch.nodes.get(key)
                batch.nodes[key] = ended if prior is None else max(prior, ended)
            elif key not in self._batch.nodes:
                again = min(self._alerts[fp].episode_start() for fp in fps)
                if again > ended:
                    # A late alert shows the node recovered at ``ended`` and failed again when
                    # the alerts still firing started: as if the events had come in order.
                    del self._firing[key]
                    self._node_left(key, ended)
                    self._firing[key] = fps
                    del self._ended[key]
                    self._node_joined(key, again)

    def _resolve_alert(self, a: AlertState, end: datetime) -> None:
        a.grace_until = None
        w = self._incidents.get(a.incident) if a.incident else None
        if w is not None:
            s = w.symptoms.get(a.fp)
            if s is not None and s.until is None:
                w.symptom_ended(s, end)
                self._touch(w)

    # -- decisions ------------------------------------------------------------------------------

    def _reconcile(self) -> None:
        batch = self._batch
        if batch.nodes:
            changed, batch.nodes = batch.nodes, {}
            order = self._order
            if len(changed) == 1:
                (n,) = changed
                left, joined = ([], [n]) if n in self._firing else ([n], [])
            else:
                left = sorted((n for n in changed if n not in self._firing), key=order.get_key)
                joined = sorted((n for n in changed if n in self._firing), key=order.get_key)
            for n in left:
                self._node_left(n, changed[n])
            for n in joined:
                self._node_joined(n, changed[n])
        if batch.attach:
            todo, batch.attach = batch.attach, []
            for a in todo:
                st = self._status.get(a.key)
                if a.firing and st is not None and st.owner is not None:
                    self._attach(a, a.episode_start())
                elif a.firing and a.incident is None and a.key in self._pending:
                    self._late_symptom(a.key, [a.fp])
        if batch.soft:
            soft, batch.soft = batch.soft, {}
            for node in sorted(soft):
                self._soft_follow(node, soft[node])

    def _firing_since(self, node: str) -> datetime:
        """Earliest start of the node's firing alerts (far future when none fire)."""
        fps = self._firing.get(node)
        if not fps:
            return _FOREVER
        return min(self._alerts[fp].episode_start() for fp in fps)

    def _pull_back(self, w: IncidentWork, node: str, old: datetime, new: datetime) -> None:
        """A node of ``w`` turns out to be down since ``new``, before ``old``: so are the nodes
        below it that went down with it."""
        todo = [node]
        seen = {node}
        while todo:
            n = todo.pop()
            ivs = w.impacts.get(n)
            if not ivs or ivs[-1].until is not None or ivs[-1].since != old:
                continue
            ivs[-1].since, ivs[-1].rec = new, None
            # Earlier intervals of the node (partly down before) give way to this one.
            for iv in ivs[:-1]:
                if iv.until is not None and iv.until > new:
                    iv.until, iv.rec = max(new, iv.since), None
            ivs[:-1] = [iv for iv in ivs[:-1] if iv.until is None or iv.until > iv.since]
            for d in self._dependents.get(n, ()):
                if d not in seen and (d in self._down or self._partly(d)):
                    seen.add(d)
                    todo.append(d)
        w.intervals_changed()
        self._touch(w)

    def _partly(self, node: str) -> bool:
        st = self._status.get(node)
        return st is not None and st.fraction > 0

    def _node_joined(self, node: str, at: datetime) -> None:
        self._refresh([node], at)
        st = self._status.get(node)
        if st is not None and st.incident is not None:
            ivs = self._incidents[st.incident].impacts.get(node)
            since = max(self._firing_since(node), self._earliest(self._incidents[st.incident]))
            if ivs and ivs[-1].until is None and ivs[-1].since > since:
                self._pull_back(self._incidents[st.incident], node, ivs[-1].since, since)
        if st is not None and st.owner is not None and node in self._firing:
            for fp in sorted(self._firing[node]):
                self._attach(self._alerts[fp], at)

    def _node_left(self, node: str, at: datetime) -> None:
        if node not in self._soft:  # alerts below the down severity may still wait
            self._pending.pop(node, None)
        self._co.pop(node, None)
        co = [n for n, (root, _) in self._co.items() if root == node] if self._co else []
        for n in co:
            del self._co[n]  # co-causes still firing wait the grace, as symptoms do
        inc_id = self._roots.pop(node, None)
        if inc_id is not None:
            w = self._incidents[inc_id]
            w.resolved_at = at
            w.note(at, f"{_name(w)} recovered")
            self._batch.resolved.append(w.id)
            self._touch(w)
            grace = self._detach_after(w, at)
            for s in w.symptoms.values():
                held = self._alerts.get(s.fp)
                if held is not None and held.firing and held.incident == w.id:
                    self._pending[held.key] = at
                    held.grace_until, held.rec = at + grace, None
                    self._batch.alerts[held.fp] = None
                    self._schedule(at + grace, "g", held.key)
        self._refresh([node, *co], at)

    def _detach_after(self, w: IncidentWork, at: datetime) -> timedelta:
        """Symptom alerts that started after their root recovered at ``at`` (they arrived
        before the news of the recovery) were never its symptoms: they leave it. Returns the
        symptom grace."""
        late = [s for s in w.symptoms.values() if s.since > at and s.until is None]
        for s in late:
            a = self._alerts.get(s.fp)
            if a is not None and a.incident == w.id:
                w.drop_symptom(s.fp)
                a.incident, a.grace_until, a.rec = None, None, None
                self._batch.alerts[a.fp] = None
                if a.key in self._firing:
                    self._batch.attach.append(a)
        return self.settings.symptom_grace

    def _advance(self, now: datetime) -> None:
        """Take decisions whose deadline is at or before ``now``."""
        heap = self._deadlines
        while heap and heap[0][0] <= now:
            due, kind, key = heapq.heappop(heap)
            if kind == 0:
                self._quiet(key, due, now)
            else:
                self._reconcile()
                self._grace_over(key, due)
        self._reconcile()

    def _schedule(self, due: datetime, kind: Literal["f", "g"], key: str) -> None:
        heapq.heappush(self._deadlines, (due, 0 if kind == "f" else 1, key))

    def _quiet(self, fp: str, due: datetime, now: datetime) -> None:
        a = self._alerts.get(fp)
        if a is None or not a.flapping or a.latest + self._rule.quiet > due:
            return
        before = self._lane(a)  # held firing while flapping
        a.flapping, a.flapping_since, a.rec = False, None, None
        self._batch.stable.append(fp)
        self._batch.alerts[fp] = None
        self._firing_changed(a, before)

    def _grace_over(self, key: str, due: datetime) -> None:
        since = self._pending.get(key)
        if since is None or since + self.settings.symptom_grace > due:
            return
        del self._pending[key]
        st = self._status.get(key)
        if key in self._firing and (st is None or st.owner is None) and key not in self._roots:
            self._make_root(key, since, split=True)
        if key in self._soft:
            self._soft_follow(key, since, split=True)

    def _make_root(self, node: str, at: datetime, split: bool = False) -> None:
        self._pending.pop(node, None)
        self._co.pop(node, None)
        w = self._reopenable(node, at)
        if w is not None and w.resolved_at is not None and at <= w.resolved_at:
            # An alert that started before the recovery arrived late: the root never recovered.
            self._unresolve(w, at)
        elif w is not None:
            w.reopened_from = Reopening(w)
            w.resolved_at = None
            w.corrected_at = w.validated_at = w.closed_at = None
            w.reopen_count += 1
            w.note(at, f"{_name(w)} failed again at {when(at)}", IncidentState.DETECTED)
            w.root_since = at
            self._batch.reopened.append(w.id)
            w.floor = at
        else:
            w = IncidentWork("", node, at)
            w.id = new_id = self._new_id(w)
            self._incidents[new_id] = w
            w.transitions.append(_opening(w, at))
            self._batch.opened.append(new_id)
            w.floor = at if split else _EPOCH
        self._roots[node] = w.id
        self._last_by_root[node] = w.id
        self._touch(w)
        self._refresh([node], at)

    def _unresolve(self, w: IncidentWork, at: datetime) -> None:
        """The incident's root turns out to have been failing without a break: undo its
        recovery (its intervals carry on, see :meth:`_open_interval`)."""
        w.note(at, f"{_name(w)} did not recover: an alert that started at {when(at)} came late")
        w.resolved_at = None
        batch = self._batch
        if w.id in batch.resolved:
            batch.resolved.remove(w.id)

    def _reopenable(self, node: str, at: datetime) -> IncidentWork | None:
        last = self._last_by_root.get(node)
        w = self._incidents.get(last) if last else None
        if w is None or w.resolved_at is None or w.merged_into is not None:
            return None
        ref = max(w.resolved_at, w.closed_at or w.resolved_at)
        return w if at - ref <= self.settings.reopen_window else None

    # -- propagation ----------------------------------------------------------------------------

    def _refresh(self, start: Iterable[str], at: datetime) -> None:
        """Re-evaluate ``start`` and, where something changed, the nodes below, in order."""
        order = self._order
        heap = [(order.get_key(n), n) for n in set(start)]
        heapq.heapify(heap)
        queued = {n for _, n in heap}
        visits: dict[str, int] = {}
        while heap:
            _, node = heapq.heappop(heap)
            queued.discard(node)
            v = visits[node] = visits.get(node, 0) + 1
            if v > _MAX_VISITS:
                continue
            old = self._status.get(node)
            new = self._evaluate(node, at)
            if new is None:
                if old is None:
                    continue
                del self._status[node]
                self._down.discard(node)
            else:
                if (
                    old is not None
                    and old.down == new.down
                    and old.owner == new.owner
                    and old.fraction == new.fraction
                ):
                    old.reason = new.reason
                    self._reexplain(node, old, new.impact)
                    continue
                self._status[node] = new
                if new.down:
                    self._down.add(node)
                else:
                    self._down.discard(node)
            if not self._restoring:
                self._follow(node, old, new, at)
            if (
                old is None
                or new is None
                or old.down != new.down
                or old.owner != new.owner
                or old.fraction != new.fraction
            ):
                for d in self._dependents.get(node, ()):
                    if d not in queued:
                        queued.add(d)
                        heapq.heappush(heap, (order.get_key(d), d))
        if self._joints and not self._restoring:
            joints, self._joints = self._joints, []
            for other, owner, why in joints:
                if not why:  # a co-cause whose root's incident was merged: it follows
                    self._refresh([other], at)
                elif (
                    other in self._roots
                    and owner in self._roots
                    and other not in self._co
                    and self._mergeable(other, owner)
                ):
                    self._merge(other, owner, at, None, why)
                    self._co[other] = (owner, why)
                    self._refresh([other], at)
        if self._orphans and not self._restoring:
            orphans, self._orphans = self._orphans, []
            for node in sorted(set(orphans), key=order.get_key):
                st = self._status.get(node)
                if (
                    node in self._firing
                    and node not in self._roots
                    and not self._held(node)
                    and (st is None or st.owner is None)
                    and not self._late_symptom(node, sorted(self._firing[node]))
                ):
                    self._make_root(node, max(at, self._firing_since(node)))

    def _reexplain(self, node: str, st: _Status, impact: Impact | None) -> None:
        """Keep the reason of a node's open interval true when its causes change."""
        before = st.impact
        st.impact = impact
        if st.incident is None or node in self._roots or impact is None:
            return
        if before is not None and before.causes == impact.causes:
            return
        w = self._incidents[st.incident]
        ivs = w.impacts.get(node)
        if ivs and ivs[-1].until is None:
            ivs[-1].reason, ivs[-1].rec = impact.explain(), None
            w.intervals_changed()
            self._touch(w)

    def _evaluate(self, node: str, at: datetime) -> _Status | None:
        firing = node in self._firing
        imp = self._graph.assess(node, self._down) if node in self._has_requirements else None
        frac = imp.fraction if imp is not None else 0.0
        owner: str | None
        if node in self._roots:
            owner = node
            if imp is not None and not self._restoring:
                y = self._best_owner(imp, node)
                if y is not None and self._mergeable(node, y):
                    self._merge(node, y, at, imp)
                    owner = y
            elif node in self._has_requirements and not self._restoring:
                spare = self._spare_lost(node)
                if spare is not None and self._mergeable(node, spare[0]):
                    self._merge(node, spare[0], at, None, spare[1])
                    return _Status(False, 0.0, spare[0], None, spare[1])
        elif imp is not None:
            owner = self._best_owner(imp, node)
            if owner is not None and not self._restoring:
                self._joint(node, imp, owner)
        elif firing or node in self._soft:
            co = self._co.get(node)
            if co is not None and co[0] in self._roots:
                return _Status(True, 1.0, co[0], None, co[1])
            spare = self._spare_lost(node) if node in self._has_requirements else None
            if spare is not None:
                return _Status(False, 0.0, spare[0], None, spare[1])
            if not firing:
                return None
            owner = None
        else:
            return None
        return _Status(firing or frac >= 1.0, 1.0 if firing else frac, owner, imp)

    def _spare_lost(self, node: str) -> tuple[str, str] | None:
        """The live root (the one that failed first, then by node id) whose failure took a
        spare of ``node``, which is still up, and why; None when it lost no spare so."""
        best: tuple[datetime, str, str] | None = None
        for req in self._graph.requirements(node):
            met, lost = req.is_met(self._down)
            if not met or not lost:
                continue
            for m in lost:
                st = self._status.get(m)
                if st is None or st.owner is None or st.owner == node:
                    continue
                inc = self._roots.get(st.owner)
                if inc is None:
                    continue
                up = len(req.nodes) - len(lost)
                why = (
                    f"{node} lost its redundancy because {st.owner} is down: needs "
                    f"{req.describe()}; {', '.join(lost)} down, {up} up of {req.needed()} needed"
                )
                key = (self._incidents[inc].root_since, st.owner, why)
                if best is None or key < best:
                    best = key
        return None if best is None else (best[1], best[2])

    def _joint(self, node: str, imp: Impact, owner: str) -> None:
        """``node`` is down because roots failed together: the members of its redundant
        requirement that are down belong to several live roots, and no one of them alone
        would leave the requirement unmet. The roots other than ``owner`` (the one that
        failed first) are remembered, to join its incident as co-causes once the
        evaluation is over (see :meth:`_refresh`)."""
        req = imp.requirement
        if req is None or req.share is not None or req.mode is RequirementMode.ALL_OF:
            return
        groups: dict[str, list[str]] = {}
        for m in imp.down_members:
            st = self._status.get(m)
            if st is None or st.owner is None or st.owner not in self._roots:
                return
            groups.setdefault(st.owner, []).append(m)
        if len(groups) < 2 or owner not in groups:
            return
        if any(not req.is_met(members)[0] for members in groups.values()):
            return  # one root alone takes it down: independent faults, the first owns it
        first = ", ".join(groups[owner])
        for other in sorted(groups):
            if other != owner:
                why = f"{other} failed too: with {first} down, {req.describe()} is unmet"
                self._joints.append((other, owner, why))

    def _best_owner(self, imp: Impact, exclude: str) -> str | None:
        best: tuple[datetime, str] | None = None
        for m in imp.causes:
            st = self._status.get(m)
            if st is None or st.owner is None or st.owner == exclude:
                continue
            inc = self._roots.get(st.owner)
            if inc is None:
                continue
            key = (self._incidents[inc].root_since, st.owner)
            if best is None or key < best:
                best = key
        return None if best is None else best[1]

    def _mergeable(self, node: str, into: str) -> bool:
        """Nobody acted on the incident of root ``node``, and it was detected (or reopened,
        when that reopen can be withdrawn) at most the hold-down before ``into`` failed."""
        w = self._incidents[self._roots[node]]
        target = self._incidents[self._roots[into]]
        if w.state is not IncidentState.DETECTED:
            return False
        since = target.root_since - self.settings.hold_down
        if w.reopen_count:
            return w.reopened_from is not None and w.floor >= since
        return w.detected_at >= since

    def _merge(
        self,
        node: str,
        into: str,
        at: datetime,
        impact: Impact | None,
        why: str | None = None,
    ) -> None:
        """The incident of root ``node`` joins that of root ``into``: its alerts become
        symptoms there and it is closed ``merged_into`` it (both trails say why). This is
        the one way incidents of two live roots become one: the hold-down (``node`` is down
        because of ``into``: ``impact``), a node that lost its redundancy because of
        ``into``, and a co-cause of a joint failure (``why`` says which). An incident that
        reopened for this fault is not taken over: its reopen is withdrawn (see
        :meth:`_withdraw_reopen`)."""
        src = self._incidents[self._roots.pop(node)]
        dst = self._incidents[self._roots[into]]
        for n, (root, because) in list(self._co.items()):
            if root == node:  # its co-causes follow it (re-evaluated after this evaluation)
                self._co[n] = (into, because)
                self._joints.append((n, into, ""))
        if src.reopen_count and src.reopened_from is not None:
            self._withdraw_reopen(node, src, dst, at, impact, why)
            return
        src.merged_into = dst.id
        src.note(
            at,
            f"merged into {dst.id}: "
            + (why or f"{node} depends on {into}, down since {when(dst.root_since)}"),
            IncidentState.CLOSED,
        )
        dst.merged_from.append(src.id)
        dst.note(at, f"took over {src.id}: " + (why or f"{node} is a symptom of {into}"))
        dst.detected_at = min(dst.detected_at, src.detected_at)
        dst.severity = min(dst.severity, src.severity)
        dst.unplanned = dst.unplanned or src.unplanned
        for n, ivs in src.impacts.items():
            # What it had down before (intervals already closed, as when a node's own alert
            # came in an earlier batch and ended its partial interval) goes with it: the
            # merged record yields nothing (see :mod:`~servanda.events.outages`).
            for iv in ivs:
                if iv.until is not None and iv.until > iv.since:
                    _fold(dst.impacts.setdefault(n, []), iv)
                    self._cover(n, dst.id)
            if ivs and ivs[-1].until is None:
                st = self._status.get(n)
                if st is not None and st.incident == src.id:
                    st.incident = dst.id
                moving = ivs[-1]
                if n == node and impact is not None:
                    moving.reason, moving.rec = impact.explain(), None
                dst.impacts.setdefault(n, []).append(moving)
                self._cover(n, dst.id)
                ivs[-1] = Interval(n, moving.kind, moving.since, moving.fraction, moving.reason)
                ivs[-1].until = max(at, moving.since)
        # The node is down because of the root since the root took it down, if that is
        # earlier than its own failure (as when the events come in order).
        mine = dst.impacts.get(node)
        since = max(at, self._earliest(dst))
        if impact is not None and mine and mine[-1].until is None and since < mine[-1].since:
            own = mine[-1]
            if impact.fraction >= own.fraction:
                self._pull_back(dst, node, own.since, since)
            else:
                mine.insert(
                    len(mine) - 1,
                    Interval(node, own.kind, since, impact.fraction, own.reason, own.since),
                )
        src.intervals_changed()
        dst.intervals_changed()
        self._adopt_ended(src, dst, impact, why=why)
        self._batch.merged.append((src.id, dst.id))
        self._touch(src)
        self._touch(dst)

    def _withdraw_reopen(
        self,
        node: str,
        src: IncidentWork,
        dst: IncidentWork,
        at: datetime,
        impact: Impact | None,
        why: str | None,
    ) -> None:
        """``node``'s alerts reopened its resolved incident ``src`` at most the hold-down
        before the root of ``dst`` failed, nobody acting on it since: they are symptoms of
        that new root, which never reopen an incident of another fault. What came with the
        reopen (intervals, alerts since then) moves to ``dst``; ``src`` is put back as it was
        before, resolved, its earlier history left where it is."""
        prior = src.reopened_from
        assert prior is not None
        floor = src.floor
        for n in list(src.impacts):
            ivs = src.impacts[n]
            moving = [iv for iv in ivs if iv.since >= floor]
            if not moving:
                continue
            for iv in moving:
                if iv.until is not None and iv.until > iv.since:
                    _fold(dst.impacts.setdefault(n, []), iv)
            for iv in moving:
                if iv.until is None:
                    st = self._status.get(n)
                    if st is not None and st.incident == src.id:
                        st.incident = dst.id
                    if n == node and impact is not None:
                        iv.reason = impact.explain()
                    iv.rec = None
                    dst.impacts.setdefault(n, []).append(iv)
            self._cover(n, dst.id)
            kept = [iv for iv in ivs if iv.since < floor]
            if kept:
                src.impacts[n] = kept
            else:
                del src.impacts[n]
        self._adopt_ended(src, dst, impact, floor, why)
        batch = self._batch
        for fp in sorted({*src.root_fps, *src.symptoms}):
            a = self._alerts.get(fp)
            if a is None or a.incident != src.id or a.episode_start() < floor:
                continue
            # Still firing since the reopen: re-attached to ``dst`` as their nodes are
            # re-evaluated; an alert first seen with the reopen was never ``src``'s.
            src.drop_symptom(fp)
            if a.first_seen >= floor:
                src.root_fps.discard(fp)
            a.incident, a.grace_until, a.rec = None, None, None
            batch.alerts[fp] = None
        src.reopened_from = None
        src.resolved_at = prior.resolved_at
        src.corrected_at, src.validated_at = prior.corrected_at, prior.validated_at
        src.closed_at, src.floor, src.root_since = prior.closed_at, prior.floor, prior.root_since
        src.reopen_count -= 1
        reason = why or f"{node} depends on {dst.root}, down since {when(dst.root_since)}"
        src.note(at, f"reopen withdrawn, its alerts since {when(floor)} went to {dst.id}: {reason}")
        src.state = prior.state
        dst.note(at, f"took over what reopened {src.id} since {when(floor)}: {reason}")
        dst.detected_at = min(dst.detected_at, max(floor, self._earliest(dst)))
        if src.id in batch.reopened:
            batch.reopened.remove(src.id)
        else:
            batch.resolved.append(src.id)
        src.intervals_changed()
        dst.intervals_changed()
        self._touch(src)
        self._touch(dst)

    def _held(self, node: str) -> bool:
        """The node's alerts wait for the grace after their root recovered (an alert that
        started before that recovery, come late, does not wait: it belongs to that time)."""
        since = self._pending.get(node)
        if since is None:
            return False
        return not any(
            (a := self._alerts[fp]).incident is None and a.episode_start() <= since
            for fp in self._firing.get(node, ())
        )

    def _adopt_ended(
        self,
        src: IncidentWork,
        dst: IncidentWork,
        impact: Impact | None,
        since: datetime = _EPOCH,
        why: str | None = None,
    ) -> None:
        """Alerts of ``src`` that no longer fire (and started at ``since`` or later) become
        ended symptoms of ``dst``, which took it over (those still firing are re-attached as
        their nodes are re-evaluated)."""
        moved = [
            SymptomInfo(fp, a.key, a.episode_start(), impact, dst.root, dst.root_since, why)
            for fp in sorted(src.root_fps)
            if (a := self._alerts.get(fp)) is not None
            and a.incident == src.id
            and not a.firing
            and a.episode_start() >= since
        ]
        moved += [
            SymptomInfo(s.fp, s.node, s.since, s.impact, dst.root, dst.root_since)
            for s in src.symptoms.values()
            if (a := self._alerts.get(s.fp)) is not None
            and a.incident == src.id
            and not a.firing
            and s.since >= since
        ]
        if since > _EPOCH:
            for info in moved:
                src.drop_symptom(info.fp)
                a = self._alerts[info.fp]
                if a.first_seen >= since:
                    src.root_fps.discard(info.fp)
        for info in moved:
            a = self._alerts[info.fp]
            if a.ends:
                info.until = a.ends[-1]
            dst.put_symptom(info)
            dst.severity = min(dst.severity, _RANK[a.severity])
            a.incident, a.rec = dst.id, None
            self._batch.alerts[a.fp] = None

    def _cover(self, node: str, inc_id: str) -> None:
        """Remember that incident ``inc_id`` had ``node`` down (see :meth:`_late_symptom`)."""
        covered = self._covered.get(node)
        if covered is None:
            self._covered[node] = [inc_id]
        elif covered[-1] != inc_id and inc_id not in covered:
            covered.append(inc_id)

    def _late_symptom(self, node: str, fps: Sequence[str], below: bool = False) -> bool:
        """A node starts firing, late, at a time a root that has recovered since had it down
        (or shortly before, within the hold-down, while nobody acted on the root's incident):
        its alerts are symptoms of that root's incident, held for the grace from the root's
        recovery, as if they had come in order. Alerts ``below`` the down severity are late
        symptoms of the node's own recovered incident too."""
        covered = self._covered.get(node)
        if not covered:
            return False
        start = min(self._alerts[fp].episode_start() for fp in fps)
        hold_down = self.settings.hold_down
        for inc_id in reversed(covered):
            w = self._incidents.get(inc_id)
            if w is None or w.resolved_at is None or w.merged_into is not None:
                continue
            if w.root == node and not below:
                continue
            early = w.root_since - hold_down if w.state is IncidentState.DETECTED else None
            iv = next(
                (
                    iv
                    for iv in w.impacts.get(node, ())
                    if iv.until is not None
                    and start <= iv.until
                    and (iv.since <= start or (early is not None and start >= early))
                ),
                None,
            )
            if iv is None or iv.until is None:
                continue
            end = iv.until
            if start < iv.since and not below:  # it failed on its own first: down since then
                iv.since, iv.rec = max(start, self._earliest(w)), None
                w.intervals_changed()
            if iv.fraction < 1.0 and not below and start < end:
                # Its own alerts make it fully down from their start.
                if start <= iv.since:
                    iv.fraction, iv.rec = 1.0, None
                else:
                    ivs = w.impacts[node]
                    whole = Interval(node, iv.kind, start, 1.0, iv.reason, end)
                    iv.until, iv.rec = start, None
                    ivs.insert(ivs.index(iv) + 1, whole)
                w.intervals_changed()
            grace = end + self.settings.symptom_grace
            for fp in fps:
                a = self._alerts[fp]
                a.rec = None
                a.incident, a.grace_until = w.id, grace
                w.severity = min(w.severity, _RANK[a.severity])
                w.put_symptom(SymptomInfo(fp, node, a.episode_start(), None, w.root, w.root_since))
                self._batch.alerts[fp] = None
            self._pending[node] = end
            self._schedule(grace, "g", node)
            self._touch(w)
            return True
        return False

    def _take_over_resolved(self, node: str, inc_id: str, at: datetime) -> None:
        """A root now owns ``node``: an incident of the node that resolved after the root
        failed, and was detected within the hold-down before, is taken over as if the root's
        alerts had come first (its alerts become symptoms)."""
        dst = self._incidents[inc_id]
        for by_root in (self._last_by_root, self._last_below):
            src_id = by_root.get(node)
            src = self._incidents.get(src_id) if src_id else None
            if (
                src is None
                or src is dst
                or src.resolved_at is None
                or src.merged_into is not None
                or src.reopen_count
                or src.state is not IncidentState.DETECTED
                or src.resolved_at <= dst.root_since
                or src.detected_at < dst.root_since - self.settings.hold_down
            ):
                continue
            src.merged_into = dst.id
            src.note(
                at,
                f"merged into {dst.id}: {node} depends on {dst.root}, "
                f"down since {when(dst.root_since)}",
                IncidentState.CLOSED,
            )
            dst.merged_from.append(src.id)
            dst.note(at, f"took over {src.id}: {node} is a symptom of {dst.root}")
            dst.severity = min(dst.severity, src.severity)
            st = self._status.get(node)
            self._adopt_ended(src, dst, st.impact if st is not None and node != dst.root else None)
            for n, ivs in src.impacts.items():
                for iv in ivs:
                    _fold(dst.impacts.setdefault(n, []), iv)
                self._cover(n, dst.id)
            dst.intervals_changed()
            self._batch.merged.append((src.id, dst.id))
            self._touch(src)
            self._touch(dst)

    def _follow(self, node: str, old: _Status | None, new: _Status | None, at: datetime) -> None:
        """Move intervals and alerts after ``node``'s status changed."""
        old_inc = old.incident if old is not None else None
        new_inc = self._roots.get(new.owner) if new is not None and new.owner else None
        if (old is not None and old.down) != (new is not None and new.down):
            # What counts as degraded changed for the incidents above this node and for
            # those of the other members its dependents need.
            self._touch_above(node)
            for d in self._dependents.get(node, ()):
                self._touch_above(d)
        if new is not None:
            # A node that only lost its spare has no interval: no incident holds it.
            new.incident = new_inc if new.fraction > 0 else None
            if new_inc is not None and new_inc != old_inc:
                self._take_over_resolved(node, new_inc, at)
        same_interval = old is not None and new is not None and old.fraction == new.fraction
        if old_inc != new_inc or not same_interval:
            if old_inc is not None:
                self._close_interval(old_inc, node, at)
            if new_inc is not None and new is not None and new.fraction > 0:
                self._open_interval(new_inc, node, new, at)
        if (
            (new is None or new.owner is None)
            and old is not None
            and old.owner not in (None, node)
            and old_inc is not None
            and (was := self._incidents.get(old_inc)) is not None
            and was.live
            and node not in self._pending
        ):
            self._hold(node, old_inc, at)
        if new is not None and node in self._firing:
            if new.owner is None:
                if not self._held(node):
                    self._orphans.append(node)
            else:
                self._pending.pop(node, None)
                for fp in sorted(self._firing[node]):
                    self._attach(self._alerts[fp], at)
        if node in self._soft:
            self._soft_follow(node, at)

    def _hold(self, node: str, inc_id: str, at: datetime) -> None:
        """The node stopped being down because of its root at ``at``, the root still failing
        (a node it was down through recovered): its alerts that are symptoms of the root's
        incident wait the symptom grace there, as when the root recovers."""
        held = [
            a
            for fp in sorted((*self._firing.get(node, ()), *self._soft.get(node, ())))
            if (a := self._alerts[fp]).incident == inc_id
            or (
                a.incident is not None
                and (was := self._incidents.get(a.incident)) is not None
                and was.merged_into == inc_id
            )
        ]
        if not held:
            return
        grace = self.settings.symptom_grace
        self._pending[node] = at
        for a in held:
            a.grace_until, a.rec = at + grace, None
            self._batch.alerts[a.fp] = None
        self._schedule(at + grace, "g", node)

    def _touch_above(self, node: str) -> None:
        for m in self._needs.get(node, ()):
            above = self._status.get(m)
            if above is not None and above.incident is not None:
                self._touch(self._incidents[above.incident])

    def _close_interval(self, inc_id: str, node: str, at: datetime) -> None:
        w = self._incidents.get(inc_id)
        if w is None:
            return
        ivs = w.impacts.get(node)
        if ivs and ivs[-1].until is None:
            iv = ivs[-1]
            if at <= iv.since:
                ivs.pop()  # opened and closed at one instant: it never lasted
                prev = ivs[-1] if ivs else None
                if prev is not None and prev.until is not None and prev.until > at:
                    # Late news: it was no longer down because of this incident from ``at``.
                    prev.until, prev.rec = max(at, prev.since), None
                if not ivs:
                    del w.impacts[node]
            else:
                iv.until, iv.rec = at, None
            w.intervals_changed()
            self._touch(w)

    def _open_interval(self, inc_id: str, node: str, st: _Status, at: datetime) -> None:
        if node.startswith(UNMAPPED):
            return
        w = self._incidents[inc_id]
        ivs = w.impacts.setdefault(node, [])
        if ivs and ivs[-1].until is None:
            return
        own = node in self._roots or st.impact is None
        reason = f"{node} failed" if own else _explain(st.impact, node)
        kind = self._kind.get(node, "node")
        since = max(min(at, self._firing_since(node)), self._earliest(w))
        last = ivs[-1] if ivs else None
        if last is not None and last.until is not None and last.until >= since:
            # It went down again before (or when) the last interval ended, as late events
            # show: one interval carries on, whatever order the events arrived in.
            if last.fraction == st.fraction:
                if since < last.since:
                    before = ivs[-2].until if len(ivs) > 1 else None
                    last.since = since if before is None else max(since, min(before, last.since))
                last.until, last.rec = None, None
                w.intervals_changed()
                self._touch(w)
                return
            since = last.until
        ivs.append(Interval(node, kind, since, st.fraction, reason))
        self._cover(node, w.id)
        w.intervals_changed()
        self._touch(w)

    def _attach(self, a: AlertState, at: datetime) -> None:
        st = self._status[a.key]
        assert st.owner is not None
        self._join(a, self._roots[st.owner], at, st.owner == a.key, st.impact, st.owner, st.reason)

    def _join(
        self,
        a: AlertState,
        inc_id: str,
        at: datetime,
        as_root: bool,
        impact: Impact | None,
        owner: str,
        reason: str | None = None,
    ) -> None:
        """Make ``a`` a root alert or a symptom of incident ``inc_id`` (``reason``: why, when
        no impact says it)."""
        if a.incident == inc_id:
            same = self._incidents[inc_id]
            again = same.symptoms.get(a.fp)
            if (
                again is not None
                and again.until is None
                and not as_root
                and (reason is not None or again.given)
                and again.reason != reason
            ):
                # Why it is a symptom changed (it lost its spare, then went down): say so.
                renewed = SymptomInfo(
                    a.fp, a.key, again.since, impact, owner, again.root_since, reason
                )
                same.put_symptom(renewed)
                self._touch(same)
            elif again is not None and again.until is not None:
                renewed = SymptomInfo(
                    a.fp, a.key, a.episode_start(), again.impact, again.root, again.root_since
                )
                same.put_symptom(renewed)
                self._touch(same)
            if a.grace_until is not None:
                a.grace_until, a.rec = None, None
                self._batch.alerts[a.fp] = None
            return
        old = self._incidents.get(a.incident) if a.incident else None
        if old is not None and old.merged_into is None:
            s = old.symptoms.get(a.fp)
            if old.resolved_at is not None or a.grace_until is not None:
                # Its root recovered, or it waited the grace there (see :meth:`_hold`): it
                # was a symptom until then.
                if s is not None and s.until is None:
                    old.symptom_ended(s, at)
            else:
                old.drop_symptom(a.fp)
                old.root_fps.discard(a.fp)
            self._touch(old)
        w = self._incidents[inc_id]
        if as_root:
            w.root_fps.add(a.fp)
            w.unplanned = w.unplanned or not a.planned
            self._earlier_root(w, a.episode_start())
        else:
            start = a.episode_start()
            w.put_symptom(SymptomInfo(a.fp, a.key, start, impact, owner, w.root_since, reason))
            w.detected_at = min(w.detected_at, max(start, self._earliest(w)))
            ivs = w.impacts.get(a.key)
            if ivs and start < ivs[-1].since and ivs[-1].until is None:
                # Its node failed on its own before the root took it down: down since then.
                since = max(start, self._earliest(w))
                if since < ivs[-1].since and self._lane(a) == _DOWN:
                    self._pull_back(w, a.key, ivs[-1].since, since)
        w.severity = min(w.severity, _RANK[a.severity])
        a.incident, a.grace_until, a.rec = w.id, None, None
        self._batch.alerts[a.fp] = None
        self._touch(w)

    # -- alerts below the down severity --------------------------------------------------------

    def _soft_follow(self, node: str, at: datetime, split: bool = False) -> None:
        """Place the alerts below the down severity that fire on ``node``.

        On a node down (or partly down) because of a root they are symptoms of that root's
        incident (on the root's own node too). Otherwise they make the node's own incident,
        which takes nothing down; it is taken over like a provisional root when the node goes
        down within the hold-down, and resolves when its last alert does. While the node's
        root has recovered and the grace runs, they stay where they are.
        """
        fps = sorted(self._soft.get(node, ()))
        st = self._status.get(node)
        if node in self._has_requirements and node not in self._firing and not self._restoring:
            # Whether it lost a spare to a live root depends on whether it has alerts: its
            # status says so, and following it places them (see :meth:`_evaluate`).
            lost = st is not None and st.fraction == 0 and st.owner is not None
            if (fps and st is None and self._spare_lost(node) is not None) or (lost and not fps):
                self._refresh([node], at)
                return
        target = self._roots.get(st.owner) if st is not None and st.owner is not None else None
        own_id = self._below.get(node)
        if own_id is not None:
            own = self._incidents[own_id]
            if target is not None and self._below_mergeable(own, target):
                self._merge_below(node, own, target, at)
            elif fps:
                target = own_id
            else:
                self._resolve_below(node, own, at)
        if not fps:
            return
        reason: str | None = None
        if target is None:
            if node in self._pending:
                late = [fp for fp in fps if self._alerts[fp].incident is None]
                if late:
                    self._late_symptom(node, late, below=True)
                return
            if own_id is None and not split and self._late_symptom(node, fps, below=True):
                return
            target = self._open_below(node, fps, at if split else None)
            as_root, owner, impact = True, node, None
        elif target == own_id:
            as_root, owner, impact = True, node, None
        else:
            assert st is not None
            assert st.owner is not None
            as_root, owner = False, st.owner
            impact = None if st.owner == node else st.impact
            reason = st.reason
            if node not in self._firing:
                self._pending.pop(node, None)
        for fp in fps:
            a = self._alerts[fp]
            self._join(a, target, at, as_root, impact, owner, reason)
            target = a.incident or target  # the id follows the earliest root alert

    def _below_mergeable(self, w: IncidentWork, into: str) -> bool:
        target = self._incidents[into]
        return (
            w.state is IncidentState.DETECTED
            and w.detected_at >= target.root_since - self.settings.hold_down
        )

    def _open_below(self, node: str, fps: Sequence[str], floor: datetime | None) -> str:
        """The node's incident for alerts below the down severity (new, reopened or carried
        on), with its root time at the earliest start among ``fps``."""
        at = min(self._alerts[fp].episode_start() for fp in fps)
        if floor is not None:
            at = max(at, floor)
        last = self._last_below.get(node)
        w = self._incidents.get(last) if last else None
        if w is not None and (w.resolved_at is None or w.merged_into is not None):
            w = None
        if w is not None and w.resolved_at is not None:
            ref = max(w.resolved_at, w.closed_at or w.resolved_at)
            if at - ref > self.settings.reopen_window:
                w = None
        if w is not None and w.resolved_at is not None and at <= w.resolved_at:
            self._unresolve(w, at)
        elif w is not None:
            w.resolved_at = None
            w.corrected_at = w.validated_at = w.closed_at = None
            w.reopen_count += 1
            w.note(at, f"{node}: alert(s) below the down severity again", IncidentState.DETECTED)
            w.root_since = w.floor = at
            self._batch.reopened.append(w.id)
        else:
            w = IncidentWork("", node, at)
            w.below = True
            w.id = new_id = self._new_id(w)
            w.floor = at if floor is not None else _EPOCH
            self._incidents[new_id] = w
            w.transitions.append(_opening(w, at))
            self._batch.opened.append(new_id)
        self._below[node] = self._last_below[node] = w.id
        self._touch(w)
        return w.id

    def _resolve_below(self, node: str, w: IncidentWork, at: datetime) -> None:
        """No alert of the node's low-severity incident fires any more: it resolves at the
        latest end among them."""
        ends = [
            a.ends[-1]
            for fp in w.root_fps
            if (a := self._alerts.get(fp)) is not None and a.ends and not a.firing
        ]
        w.resolved_at = max(ends, default=at)
        w.note(w.resolved_at, f"{node}: alert(s) below the down severity resolved")
        del self._below[node]
        self._batch.resolved.append(w.id)
        self._touch(w)

    def _merge_below(self, node: str, src: IncidentWork, into: str, at: datetime) -> None:
        """The node went down within the hold-down: its low-severity incident is taken over."""
        dst = self._incidents[into]
        del self._below[node]
        src.merged_into = dst.id
        src.note(
            at,
            f"merged into {dst.id}: {node} is down because of {dst.root}, "
            f"since {when(dst.root_since)}",
            IncidentState.CLOSED,
        )
        dst.merged_from.append(src.id)
        dst.note(at, f"took over {src.id}: its alerts on {node} are symptoms of {dst.root}")
        dst.severity = min(dst.severity, src.severity)
        st = self._status.get(node)
        self._adopt_ended(src, dst, st.impact if st is not None and node != dst.root else None)
        self._batch.merged.append((src.id, dst.id))
        self._touch(src)
        self._touch(dst)

    def _earliest(self, w: IncidentWork) -> datetime:
        """How far back an alert of the incident may move its start (see the hold-down)."""
        return max(w.floor, w.root_since - self.settings.hold_down)

    def _earlier_root(self, w: IncidentWork, start: datetime) -> None:
        """A root alert that started before the incident's root time moves it back, and with
        it the id (see :meth:`_reidentify`) unless the incident reopened since."""
        start = max(start, w.floor)
        if start >= w.root_since:
            return
        old = w.root_since
        w.root_since = start
        w.detected_at = min(w.detected_at, start)
        for ivs in w.impacts.values():
            iv = ivs[-1] if ivs else None
            if iv is not None and iv.until is None and iv.since == old:
                iv.since, iv.rec = start, None
        w.intervals_changed()
        self._left_earlier(w, old, start)
        if w.reopen_count == 0 and w.merged_into is None:
            self._reidentify(w, old)
        if w.live and not w.below:
            # Incidents of nodes it holds that ended after its new root time are its own.
            for n in sorted(w.open_nodes()):
                if n != w.root:
                    self._take_over_resolved(n, w.id, start)
        if self._roots.get(w.root) == w.id:
            # The root now counts as failing earlier: nodes below may change owner.
            self._refresh(self._dependents.get(w.root, ()), start)

    def _left_earlier(self, w: IncidentWork, old: datetime, start: datetime) -> None:
        """The root of ``w`` failed at ``start``, not ``old``: its symptoms that left another
        incident when it failed (alerts held for the grace after their root recovered, say)
        left it at ``start``, as if the events had come in order (not before that incident
        stopped holding their node)."""
        for s in w.symptoms.values():
            if s.until is not None:
                continue
            for other in self._covered.get(s.node, ()):
                o = self._incidents.get(other)
                prev = o.symptoms.get(s.fp) if o is not None and o is not w else None
                if o is None or prev is None or prev.until != old:
                    continue
                held = (iv.until for iv in o.impacts.get(s.node, ()) if iv.until is not None)
                until = max(start, prev.since, *(t for t in held if t <= old))
                if until < old:
                    o.symptom_ended(prev, until)
                    self._touch(o)

    def _new_id(self, w: IncidentWork) -> str:
        """The id of ``w`` from its root's key and root time (suffixed if already taken)."""
        if w.below:
            key = "below:" + w.root
        elif w.root.startswith(UNMAPPED):
            key = "unmapped:" + w.root[len(UNMAPPED) :]
        else:
            key = w.root
        base = new_id = incident_id(key, w.root_since)
        n = 2
        while new_id in self._incidents and self._incidents[new_id] is not w:
            new_id, n = f"{base}-{n}", n + 1
        return new_id

    def _reidentify(self, w: IncidentWork, was: datetime) -> None:
        """Keep the id a function of the earliest root alert, whatever order alerts came in.

        An id not yet announced (opened in this batch) just changes. An announced one stays
        as a closed record taken over by the new id, as a merged incident is.
        """
        new_id = self._new_id(w)
        old_id = w.id
        if new_id == old_id:
            return
        batch = self._batch
        announced = old_id not in batch.opened
        del self._incidents[old_id]
        w.id, w.rec = new_id, None
        self._incidents[new_id] = w
        for by_root in (self._roots, self._below, self._last_by_root, self._last_below):
            if by_root.get(w.root) == old_id:
                by_root[w.root] = new_id
        for n in (w.root, *w.impacts):  # an unmapped root has a status but no interval
            st = self._status.get(n)
            if st is not None and st.incident == old_id:
                st.incident = new_id
        for fp in (*w.root_fps, *w.symptoms):
            a = self._alerts.get(fp)
            if a is not None and a.incident == old_id:
                a.incident, a.rec = new_id, None
                batch.alerts[fp] = None
        for src_id in w.merged_from:
            src = self._incidents.get(src_id)
            if src is not None and src.merged_into == old_id:
                src.merged_into = new_id
                self._touch(src)
        for ids in (batch.opened, batch.resolved, batch.reopened):
            ids[:] = [new_id if i == old_id else i for i in ids]
        batch.merged = [
            (new_id if a == old_id else a, new_id if b == old_id else b) for a, b in batch.merged
        ]
        batch.touched.pop(old_id, None)
        if announced:
            gone = IncidentWork(old_id, w.root, w.detected_at)
            gone.below, gone.root_since, gone.floor = w.below, was, w.floor
            gone.transitions, gone.state = list(w.transitions), w.state
            gone.merged_into = new_id
            gone.note(
                was,
                f"re-identified as {new_id}: an alert of {_name(w)} that started earlier, "
                f"at {when(w.root_since)}, came late",
                IncidentState.CLOSED,
            )
            self._incidents[old_id] = gone
            w.merged_from.append(old_id)
            w.note(was, f"was {old_id} until an earlier alert of its root came")
            batch.merged.append((old_id, new_id))
            self._touch(gone)
        self._touch(w)

    # -- records --------------------------------------------------------------------------------

    def _touch(self, w: IncidentWork) -> None:
        w.rec = None
        self._batch.touched[w.id] = None

    def _record(self, w: IncidentWork) -> Incident:
        if w.rec is None:
            if w.reopen_count == 0 and w.merged_into is None:
                # Detection: the root's start, or a symptom that started within the hold-down
                # before it (symptoms that moved to another incident no longer count).
                earliest = self._earliest(w)
                first = bisect_left(w.sym_order, (earliest,))  # keys sort by start first
                since = w.sym_order[first][0] if first < len(w.sym_order) else w.root_since
                w.detected_at = min(since, w.root_since)
            w.degraded = self._degraded(w) if w.live else w.degraded
            planned = not w.unplanned and bool(w.root_fps) and w.node is not None
            w.to_record(planned, _summary(w, planned, self._kind))
        assert w.rec is not None
        return w.rec

    def _degraded(self, w: IncidentWork) -> tuple[Degraded, ...]:
        down = [n for n in w.open_nodes() if n in self._down]
        found: dict[str, Degraded] = {}
        for n in sorted(down):
            for d in self._dependents.get(n, ()):
                if d in self._down or d in found:
                    continue
                st = self._status.get(d)
                if st is not None and st.fraction > 0:
                    continue
                for req in self._graph.requirements(d):
                    met, lost = req.is_met(self._down)
                    if met and lost:
                        up = len(req.nodes) - len(lost)
                        reason = (
                            f"needs {req.describe()}; {', '.join(lost)} down, "
                            f"{up} up of {req.needed()} needed"
                        )
                        found[d] = Degraded(node=d, lost=lost, reason=reason)
                        break
        return tuple(found[k] for k in sorted(found))

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

    def _forget(self, now: datetime) -> None:
        keep_incident = self.settings.reopen_window
        gone: set[str] = set()
        for w in list(self._incidents.values()):
            if w.live:
                continue
            merged_at = w.transitions[-1].at if w.merged_into and w.transitions else None
            ref = w.resolved_at or merged_at or now
            ref = max(ref, w.closed_at or ref)
            if now - ref <= keep_incident:
                continue
            if any(self._holds(w, fp) for fp in (*w.root_fps, *w.symptoms)):
                continue
            gone.add(w.id)
            del self._incidents[w.id]
            by_root = self._last_below if w.below else self._last_by_root
            if by_root.get(w.root) == w.id:
                del by_root[w.root]
        if gone:
            for node in list(self._covered):
                kept = [i for i in self._covered[node] if i not in gone]
                if kept:
                    self._covered[node] = kept
                else:
                    del self._covered[node]
        retention = self.settings.retention
        for fp in [fp for fp, a in self._alerts.items() if not a.firing]:
            a = self._alerts[fp]
            if now - a.last_seen > retention and (
                a.incident is None or a.incident in gone or a.incident not in self._incidents
            ):
                del self._alerts[fp]

    def _holds(self, w: IncidentWork, fp: str) -> bool:
        a = self._alerts.get(fp)
        return a is not None and a.firing and a.incident == w.id


class _Order:
    """Dependency order (upstream first) that tolerates cycles."""

    __slots__ = ("_index",)

    def __init__(self, index: dict[str, int]) -> None:
        self._index = index

    def get_key(self, node: str) -> tuple[int, str]:
        return (self._index.get(node, -1), node)


def _dependency_order(graph: DependencyGraph) -> _Order:
    """Kahn's algorithm; nodes left on cycles follow, by id."""
    nodes = sorted(graph.nodes)
    remaining = {n: len(graph.needs(n)) for n in nodes}
    ready = [n for n in nodes if remaining[n] == 0]
    heapq.heapify(ready)
    index: dict[str, int] = {}
    while ready:
        n = heapq.heappop(ready)
        index[n] = len(index)
        for d in graph.dependents(n):
            remaining[d] -= 1
            if remaining[d] == 0:
                heapq.heappush(ready, d)
    for n in nodes:
        if n not in index:
            index[n] = len(index)
    return _Order(index)


def _fold(ivs: list[Interval], iv: Interval) -> None:
    """Add a copy of ``iv`` to a node's intervals, joined with one it overlaps (same
    fraction), keeping them in order."""
    for d in ivs:
        if (
            d.fraction == iv.fraction
            and (d.until is None or iv.since <= d.until)
            and (iv.until is None or d.since <= iv.until)
        ):
            d.since = min(d.since, iv.since)
            d.until = None if d.until is None or iv.until is None else max(d.until, iv.until)
            d.rec = None
            return
    ivs.append(Interval(iv.node, iv.kind, iv.since, iv.fraction, iv.reason, iv.until))
    ivs.sort(key=lambda x: (x.until is None, x.since))


def _by_fp(a: AlertState) -> str:
    return a.fp


def _name(w: IncidentWork) -> str:
    return w.node if w.node is not None else "unmapped alert " + ",".join(sorted(w.root_fps))


def _explain(impact: Impact | None, node: str) -> str:
    return impact.explain() if impact is not None else f"{node} failed"


def _opening(w: IncidentWork, at: datetime) -> Transition:
    if w.below:
        what = f"{w.node}: an alert below the down severity fired"
    elif w.node is not None:
        what = f"{w.node} failed"
    else:
        what = "an alert no mapping rule matched fired"
    return Transition(None, IncidentState.DETECTED, at, "servanda", what)


def _summary(w: IncidentWork, planned: bool, kinds: Mapping[str, str]) -> str:
    if w.below:
        text = (
            f"{len(w.root_fps)} alert(s) on {w.node} below the down severity since "
            f"{when(w.root_since)}: recorded, nothing is taken down."
        )
    elif w.node is None:
        fps = ", ".join(sorted(w.root_fps))
        text = f"Unmapped alert {fps}: no mapping rule matched its labels, so it is not correlated."
    else:
        text = f"{w.node} failed at {when(w.root_since)}."
    if w.merged_into is not None:
        return text + f" Taken over by {w.merged_into}."
    firing_symptoms = len(w.symptoms)
    if firing_symptoms:
        nodes = len(w.sym_nodes)
        text += f" {firing_symptoms} symptom alert(s) on {nodes} node(s) attached."
    services = sorted({n for n in w.impacts if kinds.get(n) == "service"})
    others = sorted({n for n in w.impacts if kinds.get(n) != "service" and n != w.root})
    if services:
        shown = ", ".join(services[:5]) + (" …" if len(services) > 5 else "")
        text += f" Impacts {len(services)} service(s): {shown}."
    elif w.node is not None and not w.below:
        text += " No service is impacted."
    if others:
        text += f" {len(others)} other node(s) down."
    if w.degraded:
        lost = "; ".join(f"{d.node} ({', '.join(d.lost)} down)" for d in w.degraded[:5])
        text += f" Lost redundancy but still up: {lost}."
    if planned:
        text += " Planned: inside a maintenance window."
    if w.resolved_at is not None:
        text += f" Recovered at {when(w.resolved_at)}."
    return text
