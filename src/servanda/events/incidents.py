"""Incident records: what the correlator decides and the lifecycle moves forward.

An :class:`Incident` is one fault: a root node (or, for an alert no mapping rule matched, no
node) with the alerts of that node, the alerts of the nodes down because of it (its
:class:`Symptom` list, each with the reason), the nodes it takes down (:class:`ImpactedNode`
intervals, full or partial), the nodes that lost redundancy but stay up (:class:`Degraded`), and
its audit trail (:class:`Transition`). An :class:`Alert` is the de-duplicated state of one
fingerprint. All are frozen records: the correlator and the lifecycle functions return new ones.

Ids are deterministic: :func:`incident_id` hashes the root's key (node, or fingerprint when
unmapped, prefixed for an incident of alerts below the down severity) and the start of the
incident's earliest root alert, so replaying the same events, in one batch or many, yields
the same incidents.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field

from servanda.core.records import record
from servanda.events.model import Severity, Status

SYSTEM = "servanda"
"""The actor of automatic transitions (opened, reopened, merged, resolved)."""


class IncidentState(StrEnum):
    """Where an incident stands in the lifecycle."""

    DETECTED = "detected"
    ACKNOWLEDGED = "acknowledged"
    CORRECTED = "corrected"
    VALIDATED = "validated"
    CLOSED = "closed"


@record
class Transition:
    """One step of the audit trail: who moved the incident, when, and why.

    ``from_state == to_state`` records an event that changes no state (a merge taken over, the
    root recovering). ``from_state`` is None for the opening entry.
    """

    from_state: IncidentState | None
    """The state before (None when the incident opened)."""
    to_state: IncidentState
    """The state after."""
    at: datetime
    """When."""
    by: str
    """Who: ``servanda`` for automatic steps, else the principal (e.g. ``operator:tok-7``)."""
    note: str = ""
    """Why, in words."""
    on_behalf_of: str | None = None
    """The party an administrator acted for (e.g. validating for a customer)."""
    recorded_at: datetime | None = None
    """When a person's step was recorded, which is later than ``at`` for a step recorded
    after the fact (``incidents ack --at``, an imported ticketing export)."""
    validated_for: tuple[str, ...] = ()
    """A validation step: the impacted customers it validated the correction for."""


@record
class Symptom:
    """An alert explained by the incident's root: its node would be down without it."""

    fingerprint: str
    """The alert."""
    node: str
    """Its node."""
    reason: str
    """Why it is a symptom, e.g. ``depends on core-router-2, which is down since …``."""
    since: datetime
    """When the alert started."""
    until: datetime | None = None
    """When it resolved; None while it fires."""


@record
class ImpactedNode:
    """One interval during which a node was down (or partly down) because of the incident."""

    node: str
    """The service or component."""
    kind: Literal["service", "component", "node"]
    """``service`` or ``component`` as the catalog says; ``node`` when not in the catalog."""
    fraction: Annotated[float, Field(gt=0, le=1)]
    """1 when down, less when partly down (unmet partial requirements)."""
    since: datetime
    """Start of the interval."""
    until: datetime | None = None
    """End of the interval; None while it lasts."""
    reason: str = ""
    """Why it is down."""


@record
class Degraded:
    """A node still up that lost redundancy because of the incident."""

    node: str
    """The node running without its spare."""
    lost: tuple[str, ...]
    """Its members that are down."""
    reason: str
    """E.g. ``needs any of uplink-a, uplink-b; uplink-a is down, 1 of 1 needed remain``."""


@record
class Incident:
    """One fault, its symptoms and impact, and its lifecycle.

    Timestamps: ``detected_at`` is the start of the earliest alert of the incident;
    ``resolved_at`` when the root recovered (None while it is down). ``acknowledged_at`` is the
    first acknowledgement (for MTTA); ``corrected_at``, ``validated_at`` and ``closed_at`` are
    the latest and are cleared when the incident reopens (the trail keeps every one).
    """

    id: str
    """Deterministic id, see :func:`incident_id`."""
    root: str | None
    """The failing node; None for an unmapped alert."""
    root_fingerprints: tuple[str, ...]
    """The alerts on the root node (or the one unmapped alert)."""
    state: IncidentState
    """Lifecycle state."""
    severity: Severity
    """The most severe of its alerts."""
    detected_at: datetime
    """Start of its earliest alert."""
    planned: bool = False
    """Every root alert started inside a maintenance window of the root node."""
    acknowledged_at: datetime | None = None
    """First acknowledgement."""
    corrected_at: datetime | None = None
    """Latest correction."""
    validated_at: datetime | None = None
    """Latest validation."""
    closed_at: datetime | None = None
    """Latest closing."""
    resolved_at: datetime | None = None
    """When the root recovered; None while it is down."""
    symptoms: tuple[Symptom, ...] = ()
    """Alerts of dependent nodes, explained by the root."""
    impacted: tuple[ImpactedNode, ...] = ()
    """Intervals during which nodes (the root included) were down because of it."""
    degraded: tuple[Degraded, ...] = ()
    """Nodes still up that lost redundancy (current while unresolved)."""
    transitions: tuple[Transition, ...] = ()
    """Audit trail, oldest first."""
    reopen_count: int = Field(default=0, ge=0)
    """How often it reopened."""
    merged_from: tuple[str, ...] = ()
    """Provisional incidents this one took over (their root turned out to be a symptom)."""
    merged_into: str | None = None
    """Set on an incident taken over by another; it is then closed."""
    below_down_severity: bool = False
    """Its root alerts are all below the correlator's ``down_severity`` (warnings, info): it
    records and tracks them, but takes nothing down (``impacted`` stays empty, no outage)."""
    summary: str = ""
    """One paragraph for people."""

    @property
    def is_resolved(self) -> bool:
        """Whether the root has recovered (or the incident was merged away)."""
        return self.resolved_at is not None or self.merged_into is not None

    @property
    def mtta(self) -> timedelta | None:
        """Time to acknowledge: first acknowledgement − detection."""
        return None if self.acknowledged_at is None else self.acknowledged_at - self.detected_at

    @property
    def mtrs(self) -> timedelta | None:
        """Time to restore service: resolution − detection."""
        return None if self.resolved_at is None else self.resolved_at - self.detected_at

    @property
    def impacted_services(self) -> tuple[str, ...]:
        """Services among the impacted nodes, sorted."""
        return tuple(sorted({i.node for i in self.impacted if i.kind == "service"}))


@record
class Alert:
    """The de-duplicated state of one alert (one fingerprint), as the correlator keeps it.

    ``starts`` and ``ends`` hold the recent distinct start and end times seen (within the
    flapping window and at least the latest of each): they make replays idempotent and let
    flapping be counted whatever order the events arrived in.
    """

    fingerprint: str
    """Identity."""
    source: str
    """Where it came from."""
    node: str | None
    """Its catalog node; None when unmapped."""
    alertname: str
    """The ``alertname`` label, else the summary, else the fingerprint."""
    severity: Severity
    """Latest severity."""
    status: Status
    """Latest status by event time."""
    starts_at: datetime
    """Start of the current (or latest) episode."""
    first_seen: datetime
    """Event time of the first observation."""
    last_seen: datetime
    """Latest event time observed."""
    ends_at: datetime | None = None
    """End of the latest episode, when resolved."""
    count: int = Field(default=1, ge=1)
    """Distinct start and end times observed: every repeat that tells something new adds to
    it, exact duplicates do not, so it does not depend on arrival order or re-sends."""
    starts: tuple[datetime, ...] = ()
    """Recent distinct start times."""
    ends: tuple[datetime, ...] = ()
    """Recent distinct end times."""
    flapping: bool = False
    """Changing state too often: held firing, attached to its incident, until quiet."""
    flapping_since: datetime | None = None
    """When it was marked flapping."""
    planned: bool = False
    """The current episode started inside a maintenance window of its node."""
    incident_id: str | None = None
    """The incident it belongs to."""
    grace_until: datetime | None = None
    """Its root recovered but it still fires: becomes its own incident after this time."""
    summary: str = ""
    """One line for people."""

    @property
    def firing(self) -> bool:
        """Whether it counts as firing (latest status firing, or held so while flapping)."""
        return self.status is Status.FIRING or self.flapping


def incident_id(root_key: str, root_since: datetime) -> str:
    """``inc-`` and 16 hex digits of SHA-256 over the root key and the root time (UTC): the
    start of the incident's earliest root alert, so the id does not depend on the order the
    alerts arrived in (the correlator re-identifies an incident when an earlier one comes)."""
    stamp = root_since.astimezone(UTC).isoformat()
    digest = hashlib.sha256(f"{root_key}\x1f{stamp}".encode()).hexdigest()
    return f"inc-{digest[:16]}"
