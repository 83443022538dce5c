"""The correlator's state, and what every part of it uses.

:class:`_Core` holds what the configuration gives (the graph and what is derived from it, the
settings, the maintenance windows) and every map that events build, each documented where it
is made, grouped by the module that mainly works on it. The other modules of this package
add one concern each, as layers on top of it, each calling only the layers below it (see
:mod:`servanda.events.correlate.correlator` for their order). The two things of the status
layer that layers below it need, re-evaluating nodes and finding the root a node lost a spare
to, are declared here and done by :mod:`~servanda.events.correlate.status`.

Also here: the types the state is made of (a node's status, the changes a call gathers, the
dependency order) and the few helpers that most layers use.
"""

from __future__ import annotations

import heapq
from bisect import bisect_left
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Literal

from servanda.calendars.model import Calendar
from servanda.catalog.graph import DependencyGraph, Impact
from servanda.catalog.model import Component, Service
from servanda.events.correlate.settings import OBSERVING_SOURCES, CorrelationSettings
from servanda.events.incidents import Degraded
from servanda.events.planned import MaintenanceLookup
from servanda.events.working import SEVERITIES, AlertState, IncidentWork, Lane

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_FOREVER = datetime(9999, 12, 31, tzinfo=UTC)

_RANK = {s: i for i, s in enumerate(SEVERITIES)}

_QUIET, _DOWN, _BELOW = Lane.QUIET, Lane.DOWN, Lane.BELOW


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


class _Core:
    """Configuration and state of a correlator, and the helpers every layer uses."""

    def __init__(
        self,
        graph: DependencyGraph,
        *,
        nodes: Iterable[Service | Component] = (),
        calendars: Iterable[Calendar] = (),
        settings: CorrelationSettings | None = None,
    ) -> None:
        nodes = tuple(nodes)
        # What the configuration gives (a snapshot leaves it out: see events/snapshot.py).
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
        self._down_rank = _RANK[self.settings.down_severity]
        self._downing = frozenset(s for s in SEVERITIES if _RANK[s] <= self._down_rank)

        # Alerts (observations are applied in alerts.py).
        self._alerts: dict[str, AlertState] = {}
        """Every alert remembered, by fingerprint."""
        self._firing: dict[str, set[str]] = {}
        """Per node, its firing alerts that take it down."""
        self._soft: dict[str, set[str]] = {}
        """Per node, its firing alerts below the down severity."""
        self._ended: dict[str, datetime] = {}
        """Per node, the latest end among its alerts that stopped taking it down."""

        # How nodes stand (evaluated in status.py).
        self._status: dict[str, _Status] = {}
        """Nodes that fire, are down or partly down, or lost a spare to a live root."""
        self._down: set[str] = set()
        """Nodes fully down."""
        self._co: dict[str, tuple[str, str]] = {}
        """Co-causes: a root node whose incident joined another root's -> (that root, why)."""
        self._joints: list[tuple[str, str, str]] = []
        """Joint failures found while evaluating: (another root, the first root, why)."""
        self._orphans: list[str] = []
        """Nodes found firing with no owner while evaluating: roots once it is over."""

        # Incidents (opened in roots.py and below.py, taken over in merge.py).
        self._incidents: dict[str, IncidentWork] = {}
        """Every incident held, by id."""
        self._roots: dict[str, str] = {}
        """Per failing root node, its live incident."""
        self._below: dict[str, str] = {}
        """Per node, its live incident of alerts below the down severity."""
        self._last_by_root: dict[str, str] = {}
        """Per root node, its latest incident (which it may reopen)."""
        self._last_below: dict[str, str] = {}
        """Per node, its latest incident of alerts below the down severity."""
        self._covered: dict[str, list[str]] = {}
        """Per node, the incidents that had it down (see intervals.py)."""

        # Time (deadlines are taken in clock.py).
        self._pending: dict[str, datetime] = {}
        """Per node, since when its alerts wait the symptom grace."""
        self._deadlines: list[tuple[datetime, int, str]] = []
        """A heap of decisions to take when time passes them (see :meth:`_schedule`)."""
        self._seen = _EPOCH
        """The event clock: the latest event time applied (never past the ``now`` given)."""
        self._forget_at = _EPOCH
        """When the event clock reaches this, what is past keeping is forgotten."""

        # The call under way.
        self._batch = _Batch()
        """What the current call changed, to be told as its changes."""
        self._restoring = False
        """Rebuilding the status of a restored correlator: no decision is taken."""

    # -- done by the status layer (status.py) ---------------------------------------------------

    def _refresh(self, start: Iterable[str], at: datetime) -> None:
        """Re-evaluate ``start`` and, where something changed, the nodes below, in order."""
        raise NotImplementedError

    def _spare_lost(self, node: str) -> tuple[str, str] | None:
        """The live root whose failure took a spare of ``node``, and why (see status.py)."""
        raise NotImplementedError

    # -- used everywhere ------------------------------------------------------------------------

    def _touch(self, w: IncidentWork) -> None:
        """The incident changed: its record is made again, and the call's changes list it."""
        w.rec = None
        self._batch.touched[w.id] = None

    def _degraded(self, w: IncidentWork) -> tuple[Degraded, ...]:
        """The nodes that lost their redundancy because of the incident's nodes down."""
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

    def _schedule(self, due: datetime, kind: Literal["f", "g"], key: str) -> None:
        """Look again when time passes ``due`` (see clock.py): whether the flapping alert
        ``key`` has been quiet (``f``), whether the symptom grace of node ``key`` is over
        (``g``)."""
        heapq.heappush(self._deadlines, (due, 0 if kind == "f" else 1, key))

    def _lane(self, a: AlertState) -> Lane:
        """Whether an alert fires, and if so whether it takes its node down."""
        if not a.firing:
            return _QUIET
        if a.node is None:
            return _DOWN
        if a.source in OBSERVING_SOURCES:
            return _BELOW
        return _DOWN if a.severity in self._downing else _BELOW

    def _detect(self, w: IncidentWork) -> None:
        """Detection, while the incident has not reopened or been taken over: the root's
        start, or a symptom that started within the hold-down before it (symptoms that moved
        to another incident no longer count). Taken again whenever the record is made, and
        when the incident reopens or is taken over, so that it stays what it was then,
        however the observations were cut into batches."""
        if w.reopen_count == 0 and w.merged_into is None:
            earliest = self._earliest(w)
            first = bisect_left(w.sym_order, (earliest,))  # keys sort by start first
            since = w.sym_order[first][0] if first < len(w.sym_order) else w.root_since
            w.detected_at = min(since, w.root_since)

    def _earliest(self, w: IncidentWork) -> datetime:
        """How far back an alert of the incident may move its start (see the hold-down)."""
        return max(w.floor, w.root_since - self.settings.hold_down)
