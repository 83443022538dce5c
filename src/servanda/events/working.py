"""The correlator's working state: mutable, slotted objects kept per alert and per incident.

The correlator updates these in place on its hot path (a frozen record per change would cost
more than the whole decision) and turns them into the frozen records of
:mod:`servanda.events.incidents` only for what a batch changed, caching each record until the
object changes again. Nothing here is public API.
"""

from __future__ import annotations

from bisect import bisect_left
from datetime import UTC, datetime
from enum import Enum
from typing import Literal

from servanda.catalog.graph import Impact
from servanda.core.records import trusted
from servanda.events.flapping import FlapRule
from servanda.events.incidents import (
    Alert,
    Degraded,
    ImpactedNode,
    Incident,
    IncidentState,
    Symptom,
    Transition,
)
from servanda.events.model import Severity, Status

UNMAPPED = "\x00unmapped\x00"
"""Prefix of the internal node key of an unmapped alert (one key per fingerprint)."""

SEVERITIES = tuple(Severity)


class Lane(Enum):
    """Where a firing alert stands: a plain enum, so that no bool or int passes for one."""

    QUIET = "quiet"
    """Not firing."""
    DOWN = "down"
    """Firing at or above the down severity: it takes its node down."""
    BELOW = "below"
    """Firing below the down severity: recorded and correlated, takes nothing down."""


def when(t: datetime) -> str:
    """A time as people read it in reasons: ``2024-04-02 10:02 UTC``."""
    return f"{t.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


class AlertState:
    """One fingerprint: its recent start and end times, counters and attachment."""

    __slots__ = (
        "alertname",
        "count",
        "ends",
        "first_seen",
        "flapping",
        "flapping_since",
        "fp",
        "grace_until",
        "incident",
        "key",
        "last_seen",
        "node",
        "planned",
        "rec",
        "severity",
        "source",
        "starts",
        "summary",
    )

    def __init__(
        self, fp: str, source: str, node: str | None, alertname: str, seen: datetime
    ) -> None:
        self.fp = fp
        self.source = source
        self.node = node
        self.key = node if node is not None else UNMAPPED + fp
        self.alertname = alertname
        self.severity = Severity.WARNING
        self.summary = ""
        self.starts: list[datetime] = []
        self.ends: list[datetime] = []
        self.first_seen = seen
        self.last_seen = seen
        self.count = 0
        self.flapping = False
        self.flapping_since: datetime | None = None
        self.planned = False
        self.incident: str | None = None
        self.grace_until: datetime | None = None
        self.rec: Alert | None = None

    @property
    def raw_firing(self) -> bool:
        """Latest status by event time is firing."""
        return bool(self.starts) and (not self.ends or self.starts[-1] > self.ends[-1])

    @property
    def firing(self) -> bool:
        """Counts as firing: latest status firing, or held so while flapping."""
        return self.flapping or self.raw_firing

    def add(self, start: datetime, end: datetime | None) -> int:
        """Record an observation's times; how many were new (0: an exact duplicate)."""
        new = 0
        i = bisect_left(self.starts, start)
        if i == len(self.starts) or self.starts[i] != start:
            self.starts.insert(i, start)
            new += 1
        if end is not None:
            j = bisect_left(self.ends, end)
            if j == len(self.ends) or self.ends[j] != end:
                self.ends.insert(j, end)
                new += 1
        return new

    @property
    def latest(self) -> datetime:
        """The latest change time seen."""
        if self.ends and self.ends[-1] > self.starts[-1]:
            return self.ends[-1]
        return self.starts[-1]

    def episode_start(self) -> datetime:
        """Start of the current episode (firing) or of the latest one (resolved)."""
        if not self.ends:
            return self.starts[0]
        if self.raw_firing:
            after = self.ends[-1]
            return self.starts[bisect_left(self.starts, after)]
        before = self.ends[-2] if len(self.ends) > 1 else None
        i = 0 if before is None else bisect_left(self.starts, before)
        return self.starts[min(i, len(self.starts) - 1)]

    def prune(self, rule: FlapRule) -> None:
        """Forget times older than the flapping window, keeping one start before it."""
        horizon = self.latest - rule.window
        i = bisect_left(self.starts, horizon)
        if i > 1:
            del self.starts[: i - 1]
        j = bisect_left(self.ends, horizon)
        if j > 0 and len(self.ends) > 1:
            del self.ends[: min(j, len(self.ends) - 1)]

    def to_record(self) -> Alert:
        """The frozen record (cached until the state changes)."""
        if self.rec is None:
            self.rec = trusted(
                Alert,
                fingerprint=self.fp,
                source=self.source,
                node=self.node,
                alertname=self.alertname,
                severity=self.severity,
                status=Status.FIRING if self.raw_firing else Status.RESOLVED,
                starts_at=self.episode_start(),
                ends_at=None if self.raw_firing else self.ends[-1],
                first_seen=self.first_seen,
                last_seen=self.last_seen,
                count=self.count,
                starts=tuple(self.starts),
                ends=tuple(self.ends),
                flapping=self.flapping,
                flapping_since=self.flapping_since,
                planned=self.planned,
                incident_id=self.incident,
                grace_until=self.grace_until,
                summary=self.summary,
            )
        return self.rec

    @classmethod
    def from_record(cls, rec: Alert) -> AlertState:
        """Working state from a stored record."""
        a = cls(rec.fingerprint, rec.source, rec.node, rec.alertname, rec.first_seen)
        a.severity = rec.severity
        a.summary = rec.summary
        a.starts = sorted(set(rec.starts) | {rec.starts_at})
        ends = set(rec.ends) | ({rec.ends_at} if rec.ends_at is not None else set())
        a.ends = sorted(ends)
        a.first_seen, a.last_seen, a.count = rec.first_seen, rec.last_seen, rec.count
        a.flapping, a.flapping_since = rec.flapping, rec.flapping_since
        a.planned, a.incident, a.grace_until = rec.planned, rec.incident_id, rec.grace_until
        return a


class SymptomInfo:
    """A symptom alert inside an incident; its reason is written when first needed."""

    __slots__ = (
        "fp",
        "given",
        "impact",
        "node",
        "reason",
        "rec",
        "root",
        "root_since",
        "since",
        "until",
    )

    def __init__(
        self,
        fp: str,
        node: str,
        since: datetime,
        impact: Impact | None,
        root: str,
        root_since: datetime,
        reason: str | None = None,
    ) -> None:
        self.fp, self.node, self.since = fp, node, since
        self.impact, self.root, self.root_since = impact, root, root_since
        self.reason = reason
        self.given = reason is not None
        """The reason was given (a node that lost its spare, a co-cause), not derived from the
        impact."""
        self.until: datetime | None = None
        self.rec: Symptom | None = None

    def to_record(self) -> Symptom:
        """The frozen record (cached)."""
        if self.rec is None:
            if self.reason is None:
                self.reason = symptom_reason(self.impact, self.root, self.root_since)
            self.rec = trusted(
                Symptom,
                fingerprint=self.fp,
                node=self.node,
                reason=self.reason,
                since=self.since,
                until=self.until,
            )
        return self.rec


_REASONS: dict[tuple[int, str, datetime], tuple[Impact | None, str]] = {}
"""Reasons by impact (its identity: the alerts of one node share their node's impact), root
and root start; the impact is kept with its reason, so an identity is never reused."""


def symptom_reason(impact: Impact | None, root: str, root_since: datetime) -> str:
    """``depends on core-router-2, which is down since 2024-04-02 10:02 UTC`` and the like."""
    key = (id(impact), root, root_since)
    found = _REASONS.get(key)
    if found is not None and found[0] is impact:
        return found[1]
    if len(_REASONS) >= 4096:
        _REASONS.clear()
    text = _reason(impact, root, root_since)
    _REASONS[key] = (impact, text)
    return text


def _reason(impact: Impact | None, root: str, root_since: datetime) -> str:
    if impact is None:
        return f"root cause {root}, down since {when(root_since)}"
    text = impact.explain()
    req = impact.requirement
    if req is not None and req.mode == "all_of" and impact.down_members == (root,):
        return f"{text} since {when(root_since)}"
    return f"{text}; root cause {root}, down since {when(root_since)}"


class Interval:
    """A node down (or partly down) because of an incident, from ``since`` to ``until``."""

    __slots__ = ("fraction", "kind", "node", "reason", "rec", "since", "until")

    def __init__(
        self,
        node: str,
        kind: Literal["service", "component", "node"],
        since: datetime,
        fraction: float,
        reason: str,
        until: datetime | None = None,
    ) -> None:
        self.node, self.kind, self.since, self.fraction = node, kind, since, fraction
        self.reason, self.until = reason, until
        self.rec: ImpactedNode | None = None

    def to_record(self) -> ImpactedNode:
        """The frozen record (cached)."""
        if self.rec is None:
            self.rec = trusted(
                ImpactedNode,
                node=self.node,
                kind=self.kind,
                fraction=self.fraction,
                since=self.since,
                until=self.until,
                reason=self.reason,
            )
        return self.rec


class Reopening:
    """The fields of an incident as they were before it reopened, to put back if the reopen
    is withdrawn (its root's alerts turned out to be symptoms of a new root)."""

    __slots__ = (
        "closed_at",
        "corrected_at",
        "degraded",
        "floor",
        "resolved_at",
        "root_since",
        "state",
        "validated_at",
    )

    def __init__(self, w: IncidentWork) -> None:
        assert w.resolved_at is not None
        self.resolved_at: datetime = w.resolved_at
        self.degraded = w.degraded
        self.corrected_at, self.validated_at = w.corrected_at, w.validated_at
        self.closed_at, self.state = w.closed_at, w.state
        self.floor, self.root_since = w.floor, w.root_since


class IncidentWork:
    """One incident while the correlator holds it."""

    __slots__ = (
        "acknowledged_at",
        "below",
        "closed_at",
        "corrected_at",
        "degraded",
        "detected_at",
        "floor",
        "id",
        "imp_cache",
        "impacts",
        "merged_from",
        "merged_into",
        "rec",
        "reopen_count",
        "reopened_from",
        "resolved_at",
        "root",
        "root_fps",
        "root_since",
        "severity",
        "state",
        "sym_cache",
        "sym_changed",
        "sym_nodes",
        "sym_order",
        "sym_recs",
        "symptoms",
        "transitions",
        "unplanned",
        "validated_at",
    )

    def __init__(self, id: str, root: str, detected_at: datetime) -> None:
        self.id = id
        self.root = root
        """Internal node key of the root (``UNMAPPED + fingerprint`` when unmapped)."""
        self.detected_at = detected_at
        self.root_since = detected_at
        self.floor = detected_at
        """Nothing in the incident starts before this (it stays at the detection time of an
        incident split off a recovered root; it follows earlier alerts otherwise)."""
        self.state = IncidentState.DETECTED
        self.severity = len(SEVERITIES) - 1
        self.root_fps: set[str] = set()
        self.symptoms: dict[str, SymptomInfo] = {}
        self.sym_order: list[tuple[datetime, str, str]] = []
        """The symptoms' sort keys, in the order records list them."""
        self.sym_recs: list[Symptom] = []
        """The symptoms' records, in the same order: kept up to date one symptom at a time, so
        the record of an incident with 60,000 symptoms costs a list copy, not 60,000 look-ups."""
        self.sym_cache: tuple[Symptom, ...] | None = None
        self.sym_nodes: dict[str, int] = {}
        """How many symptoms each node has here."""
        self.sym_changed: dict[str, None] = {}
        """Fingerprints whose symptom was added, changed or dropped since the correlator last
        told its changes (see :attr:`~servanda.events.correlate.Changes.symptom_changes`)."""
        self.impacts: dict[str, list[Interval]] = {}
        self.imp_cache: tuple[ImpactedNode, ...] | None = None
        self.transitions: list[Transition] = []
        self.acknowledged_at: datetime | None = None
        self.corrected_at: datetime | None = None
        self.validated_at: datetime | None = None
        self.closed_at: datetime | None = None
        self.resolved_at: datetime | None = None
        self.reopen_count = 0
        self.reopened_from: Reopening | None = None
        """What the incident was before its latest reopen, while that reopen may still be
        withdrawn (see ``Correlator._withdraw_reopen``); None otherwise."""
        self.merged_from: list[str] = []
        self.merged_into: str | None = None
        self.unplanned = False
        self.below = False
        """Its root alerts are below the down severity: it takes nothing down."""
        self.degraded: tuple[Degraded, ...] = ()
        self.rec: Incident | None = None

    @property
    def node(self) -> str | None:
        """The root as a catalog node, None when unmapped."""
        return None if self.root.startswith(UNMAPPED) else self.root

    @property
    def live(self) -> bool:
        """Not resolved and not merged away."""
        return self.resolved_at is None and self.merged_into is None

    def note(self, at: datetime, text: str, to: IncidentState | None = None) -> None:
        """Add an automatic entry to the trail."""
        new = self.state if to is None else to
        self.transitions.append(Transition(self.state, new, at, "servanda", text))
        self.state = new

    def put_symptom(self, info: SymptomInfo) -> None:
        """Add (or replace) a symptom, keeping the order records are listed in."""
        self.drop_symptom(info.fp)
        self.symptoms[info.fp] = info
        self.sym_nodes[info.node] = self.sym_nodes.get(info.node, 0) + 1
        self.sym_changed[info.fp] = None
        key = _symptom_order(info)
        i = bisect_left(self.sym_order, key)
        self.sym_order.insert(i, key)
        self.sym_recs.insert(i, info.to_record())
        self.sym_cache = self.rec = None

    def drop_symptom(self, fp: str) -> None:
        """Remove a symptom (it moved to another live incident)."""
        old = self.symptoms.pop(fp, None)
        if old is not None:
            self.sym_changed[fp] = None
            left = self.sym_nodes[old.node] - 1
            if left:
                self.sym_nodes[old.node] = left
            else:
                del self.sym_nodes[old.node]
            key = _symptom_order(old)
            i = bisect_left(self.sym_order, key)
            if i < len(self.sym_order) and self.sym_order[i] == key:
                del self.sym_order[i]
                del self.sym_recs[i]
            self.sym_cache = self.rec = None

    def symptom_ended(self, info: SymptomInfo, until: datetime) -> None:
        """A symptom resolved (or stopped being one) at ``until``."""
        info.until, info.rec = until, None
        self.sym_changed[info.fp] = None
        key = _symptom_order(info)
        i = bisect_left(self.sym_order, key)
        if i < len(self.sym_order) and self.sym_order[i] == key:
            self.sym_recs[i] = info.to_record()
        self.sym_cache = self.rec = None

    def intervals_changed(self) -> None:
        """An impact interval opened, closed or moved."""
        self.imp_cache = self.rec = None

    def open_nodes(self) -> list[str]:
        """Nodes with an interval still open in this incident."""
        return [n for n, ivs in self.impacts.items() if ivs and ivs[-1].until is None]

    def to_record(self, planned: bool, summary: str) -> Incident:
        """The frozen record (cached until the incident changes)."""
        if self.rec is None:
            self.rec = trusted(
                Incident,
                id=self.id,
                root=self.node,
                root_fingerprints=tuple(sorted(self.root_fps)),
                state=self.state,
                severity=SEVERITIES[self.severity],
                detected_at=self.detected_at,
                planned=planned,
                acknowledged_at=self.acknowledged_at,
                corrected_at=self.corrected_at,
                validated_at=self.validated_at,
                closed_at=self.closed_at,
                resolved_at=self.resolved_at,
                symptoms=self._symptom_records(),
                impacted=self._impact_records(),
                degraded=self.degraded,
                transitions=tuple(self.transitions),
                reopen_count=self.reopen_count,
                merged_from=tuple(self.merged_from),
                merged_into=self.merged_into,
                below_down_severity=self.below,
                summary=summary,
            )
        return self.rec

    def _symptom_records(self) -> tuple[Symptom, ...]:
        if self.sym_cache is None:
            self.sym_cache = tuple(self.sym_recs)
        return self.sym_cache

    def _impact_records(self) -> tuple[ImpactedNode, ...]:
        if self.imp_cache is None:
            self.imp_cache = tuple(
                iv.to_record() for node in sorted(self.impacts) for iv in self.impacts[node]
            )
        return self.imp_cache

    @classmethod
    def from_record(cls, rec: Incident) -> IncidentWork:
        """Working state from a stored record."""
        if rec.root is not None:
            root = rec.root
        else:  # unmapped; the closed record an id change left behind names no alert
            root = UNMAPPED + (rec.root_fingerprints[0] if rec.root_fingerprints else rec.id)
        w = cls(rec.id, root, rec.detected_at)
        w.state = rec.state
        w.severity = SEVERITIES.index(rec.severity)
        w.root_fps = set(rec.root_fingerprints)
        for s in rec.symptoms:
            info = SymptomInfo(s.fingerprint, s.node, s.since, None, "", s.since, s.reason)
            info.until, info.given = s.until, False
            w.put_symptom(info)
        for iv in rec.impacted:
            w.impacts.setdefault(iv.node, []).append(
                Interval(iv.node, iv.kind, iv.since, iv.fraction, iv.reason, iv.until)
            )
        own = w.impacts.get(root)
        w.root_since = own[-1].since if own else rec.detected_at
        w.transitions = list(rec.transitions)
        w.acknowledged_at, w.corrected_at = rec.acknowledged_at, rec.corrected_at
        w.validated_at, w.closed_at = rec.validated_at, rec.closed_at
        w.resolved_at, w.reopen_count = rec.resolved_at, rec.reopen_count
        w.merged_from, w.merged_into = list(rec.merged_from), rec.merged_into
        w.unplanned = not rec.planned
        w.below = rec.below_down_severity
        w.degraded = rec.degraded
        w.rec = rec
        return w


def _symptom_order(s: SymptomInfo) -> tuple[datetime, str, str]:
    """Symptoms are listed by start, node, fingerprint (whatever order they arrived in)."""
    return (s.since, s.node, s.fp)
