"""What the event and incident endpoints answer: ingestion counts, unmapped events, saturation
figures, and incidents (a summary for lists, the whole record with its outages for one).

Same conventions as :mod:`servanda.api.schemas`: impact fractions of outages are exact decimals
serialised as strings (``"0.5"``), timestamps are RFC 3339 in UTC.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from servanda.api.schemas import PublicModel
from servanda.core.limits import Name, Text
from servanda.events.incidents import Incident, IncidentState
from servanda.events.model import Severity, Status, StoredEvent
from servanda.events.outages import StoredOutage
from servanda.events.saturation import Saturation
from servanda.services.events import IngestResult, LeaseStatus
from servanda.services.incidents import IncidentDetail
from servanda.services.lifecycle_steps import StepImport

# --- Ingestion -------------------------------------------------------------------------------


class IngestResultPublic(PublicModel):
    """What one batch did. Sending the same batch again gives ``new: 0`` and changes nothing."""

    received: int = Field(description="Events in the batch.")
    new: int = Field(description="Events stored (not seen before).")
    duplicates: int = Field(description="Events already stored, or repeated in the batch.")
    unmapped: int = Field(description="New events no mapping rule tied to a node (kept).")
    incidents_opened: int
    incidents_updated: int
    opened: list[str] = Field(description="Ids of the incidents opened.")
    updated: list[str] = Field(description="Ids of the incidents changed (opened included).")
    resolved: list[str] = Field(description="Incidents whose root recovered.")
    reopened: list[str] = Field(description="Incidents reopened because the fault returned.")
    merged: list[Annotated[list[str], Field(min_length=2, max_length=2)]] = Field(
        description="[taken over, into] pairs: a provisional incident whose root turned out "
        "to be a symptom of another."
    )
    flapping: list[str] = Field(description="Alerts (fingerprints) that started flapping.")
    late: int = Field(
        default=0,
        description="New events that came after the watermark had passed their time (more "
        "than the lateness after the latest event): correlated at once by the rules for late "
        "events.",
    )
    held: int = Field(
        default=0,
        description="New events held back until the watermark passes them (correlated in "
        "event-time order once nothing earlier can still come within the lateness).",
    )
    skewed: int = Field(
        default=0,
        description="New events dated more than a minute ahead of their receiving time (the "
        "source's clock runs ahead): kept with their times no later than the receiving time.",
    )
    skew_seconds: float = Field(default=0.0, description="How far ahead the most skewed was.")
    queued_for: str | None = Field(
        default=None,
        description="When another process holds the correlator lease: that process. The batch "
        "is stored and journaled; it is correlated there within a tick, so the incident "
        "fields are empty.",
    )

    @classmethod
    def of_result(cls, result: IngestResult) -> IngestResultPublic:
        """The public view of an ingestion result."""
        return cls(
            received=result.received,
            new=result.new,
            duplicates=result.duplicates,
            unmapped=result.unmapped,
            incidents_opened=len(result.opened),
            incidents_updated=len(result.updated),
            opened=list(result.opened),
            updated=list(result.updated),
            resolved=list(result.resolved),
            reopened=list(result.reopened),
            merged=[(a, b) for a, b in result.merged],
            flapping=list(result.flapping),
            late=result.late,
            held=result.held,
            skewed=result.skewed,
            skew_seconds=result.skew_seconds,
            queued_for=result.queued_for,
        )


class UnmappedEventPublic(PublicModel):
    """An event no mapping rule tied to a catalog node: kept, and listed until a rule is added."""

    key: str = Field(description="Idempotency key of the observation.")
    received_at: datetime
    source: str
    fingerprint: str
    status: Status
    severity: Severity
    starts_at: datetime
    ends_at: datetime | None = None
    labels: dict[str, str]
    summary: str = ""
    generator_url: str | None = None

    @classmethod
    def of_stored(cls, stored: StoredEvent) -> UnmappedEventPublic:
        """The public view of a stored event."""
        ev = stored.event
        return cls(
            key=stored.key,
            received_at=stored.received_at,
            source=ev.source,
            fingerprint=ev.fingerprint,
            status=ev.status,
            severity=ev.severity,
            starts_at=ev.starts_at,
            ends_at=ev.ends_at,
            labels=dict(ev.labels),
            summary=ev.summary,
            generator_url=ev.generator_url,
        )


class UnmappedPagePublic(PublicModel):
    """A page of unmapped events, newest received first, and how many there are in all."""

    total: int
    events: list[UnmappedEventPublic]


class RankedPublic(PublicModel):
    """A name and how many alerts it sent."""

    name: str
    count: int


class SaturationPublic(PublicModel):
    """Event saturation over ``[since, until)``: how much noise correlation removed."""

    since: datetime
    until: datetime
    alerts_in: int = Field(description="Distinct observations received (re-sends count once).")
    incidents_out: int = Field(description="Incidents detected (merged ones excluded).")
    reduction: float = Field(description="1 − incidents / alerts (0 without alerts).")
    unmapped: int = Field(description="Observations that named no node.")
    sources: list[RankedPublic] = Field(description="Noisiest sources.")
    nodes: list[RankedPublic] = Field(description="Noisiest nodes (`unmapped` for none).")
    alertnames: list[RankedPublic] = Field(description="Noisiest alert names.")
    flapping: list[str] = Field(description="Alerts (fingerprints) that started flapping.")

    @classmethod
    def of_saturation(cls, s: Saturation) -> SaturationPublic:
        """The public view of saturation figures."""
        return cls(
            since=s.start,
            until=s.end,
            alerts_in=s.alerts_in,
            incidents_out=s.incidents_out,
            reduction=s.reduction,
            unmapped=s.unmapped,
            sources=[RankedPublic(name=r.name, count=r.count) for r in s.sources],
            nodes=[RankedPublic(name=r.name, count=r.count) for r in s.nodes],
            alertnames=[RankedPublic(name=r.name, count=r.count) for r in s.alertnames],
            flapping=list(s.flapping),
        )


# --- Incidents -------------------------------------------------------------------------------


class SymptomPublic(PublicModel):
    """An alert explained by the incident's root, with the reason."""

    fingerprint: str
    node: str
    reason: str = Field(description="Why it is a symptom, e.g. `depends on core-router-2, …`.")
    since: datetime
    until: datetime | None = None


class ImpactedNodePublic(PublicModel):
    """An interval during which a node was down (fraction 1) or partly down because of it."""

    node: str
    kind: Literal["service", "component", "node"]
    fraction: float = Field(gt=0, le=1)
    since: datetime
    until: datetime | None = None
    reason: str = ""


class DegradedPublic(PublicModel):
    """A node still up that lost redundancy because of the incident."""

    node: str
    lost: list[str]
    reason: str


class TransitionPublic(PublicModel):
    """One entry of the audit trail: who moved the incident, when, and why."""

    from_state: IncidentState | None
    to_state: IncidentState
    at: datetime
    by: str = Field(description="`servanda` for automatic steps, else e.g. `operator:<token>`.")
    note: str = ""
    on_behalf_of: str | None = None
    recorded_at: datetime | None = Field(
        default=None,
        description="When a person's step was recorded (later than `at` for a step recorded "
        "after the fact).",
    )
    validated_for: list[str] = Field(
        default_factory=list,
        description="A validation step: the impacted customers it validated the correction "
        "for (the incident is validated once every one is).",
    )


class OutagePublic(PublicModel):
    """An outage the incident caused: ``service`` down for ``customer`` (None: everyone taking
    it), fully (``fraction`` 1) or partly."""

    service: str
    customer: str | None = None
    start: datetime
    end: datetime | None = Field(description="None while ongoing.")
    fraction: Decimal = Field(description="Impacted fraction, 1 for a full outage.")
    full: bool
    planned: bool

    @classmethod
    def of_stored(cls, o: StoredOutage) -> OutagePublic:
        """The public view of a stored outage."""
        return cls(
            service=o.service,
            customer=o.customer,
            start=o.start,
            end=o.end,
            fraction=_exact(o.fraction),
            full=o.fraction >= 1,
            planned=o.planned,
        )


class ImpactedCustomerPublic(PublicModel):
    """A customer the incident impacts, the services concerned and the largest fraction."""

    customer: str
    services: list[str]
    fraction: Decimal
    full: bool


def _durations(incident: Incident) -> dict[str, float | None]:
    mtta, mtrs = incident.mtta, incident.mtrs
    return {
        "mtta_seconds": None if mtta is None else mtta.total_seconds(),
        "mtrs_seconds": None if mtrs is None else mtrs.total_seconds(),
    }


class IncidentSummaryPublic(PublicModel):
    """An incident in a list: its state, root and size, without the details."""

    id: str
    root: str | None = Field(description="The failing node; None for an unmapped alert.")
    state: IncidentState
    severity: Severity
    planned: bool = Field(description="Started inside a maintenance window of the root.")
    detected_at: datetime
    acknowledged_at: datetime | None = None
    corrected_at: datetime | None = None
    validated_at: datetime | None = None
    closed_at: datetime | None = None
    resolved_at: datetime | None = Field(default=None, description="When the root recovered.")
    symptom_count: int
    impacted_services: list[str]
    reopen_count: int = 0
    merged_into: str | None = None
    summary: str = ""
    mtta_seconds: float | None = Field(default=None, description="Time to acknowledge.")
    mtrs_seconds: float | None = Field(default=None, description="Time to restore service.")

    @classmethod
    def of_incident(cls, incident: Incident) -> IncidentSummaryPublic:
        """The summary of an incident."""
        return cls(
            id=incident.id,
            root=incident.root,
            state=incident.state,
            severity=incident.severity,
            planned=incident.planned,
            detected_at=incident.detected_at,
            acknowledged_at=incident.acknowledged_at,
            corrected_at=incident.corrected_at,
            validated_at=incident.validated_at,
            closed_at=incident.closed_at,
            resolved_at=incident.resolved_at,
            symptom_count=len(incident.symptoms),
            impacted_services=list(incident.impacted_services),
            reopen_count=incident.reopen_count,
            merged_into=incident.merged_into,
            summary=incident.summary,
            **_durations(incident),
        )


class IncidentPublic(IncidentSummaryPublic):
    """One incident in full: root alerts, symptoms each with its reason, impacted nodes, degraded
    redundancy, outages per service and customer, and the audit trail.

    A customer token sees only what concerns its party: its outages and the services it takes,
    not the symptoms or the provider's internal nodes.
    """

    root_fingerprints: list[str]
    symptoms: list[SymptomPublic]
    impacted: list[ImpactedNodePublic]
    degraded: list[DegradedPublic] = Field(description="Nodes still up that lost redundancy.")
    outages: list[OutagePublic]
    impacted_customers: list[ImpactedCustomerPublic]
    merged_from: list[str] = Field(default_factory=list)
    transitions: list[TransitionPublic] = Field(description="Audit trail, oldest first.")

    @classmethod
    def of_detail(cls, detail: IncidentDetail) -> IncidentPublic:
        """The public view of an incident and its outages."""
        inc = detail.incident
        summary = IncidentSummaryPublic.of_incident(inc).model_dump()
        return cls(
            **summary,
            root_fingerprints=list(inc.root_fingerprints),
            symptoms=[SymptomPublic.of(s) for s in inc.symptoms],
            impacted=[ImpactedNodePublic.of(i) for i in inc.impacted],
            degraded=[DegradedPublic.of(d) for d in inc.degraded],
            outages=[OutagePublic.of_stored(o) for o in detail.outages],
            impacted_customers=_customers(detail.outages),
            merged_from=list(inc.merged_from),
            transitions=[TransitionPublic.of(t) for t in inc.transitions],
        )


def _exact(fraction: Decimal) -> Decimal:
    """``1.0`` as ``1``, ``0.50`` as ``0.5``."""
    return fraction.normalize() if fraction else Decimal(0)


def _customers(outages: Sequence[StoredOutage]) -> list[ImpactedCustomerPublic]:
    found: dict[str, tuple[set[str], Decimal]] = {}
    for o in outages:
        if o.customer is None:
            continue
        services, fraction = found.get(o.customer, (set(), Decimal(0)))
        services.add(o.service)
        found[o.customer] = (services, max(fraction, o.fraction))
    return [
        ImpactedCustomerPublic(customer=c, services=sorted(s), fraction=f, full=f >= 1)
        for c, (s, f) in sorted(found.items())
    ]


class LifecycleNote(BaseModel):
    """Why, for the audit trail, and when the step was made when it is recorded later."""

    model_config = ConfigDict(extra="forbid")

    note: Text = Field(default="", description="Why, in words.")
    at: AwareDatetime | None = Field(
        default=None,
        description="When the step was made, RFC 3339 with its offset (now when absent): not "
        "in the future, not before detection nor before the incident's latest step.",
    )


class ValidationNote(LifecycleNote):
    """Why, and for which customer an administrator validates (when the agreement says the
    customer validates)."""

    on_behalf_of: Name | None = Field(
        default=None, description="Administrators only: the customer party validated for."
    )


class StepIn(BaseModel):
    """One lifecycle step of a ticketing export: the incident (by id, or by one of its alerts'
    fingerprint), the move, when it was made, who made it and why."""

    model_config = ConfigDict(extra="forbid")

    incident: str | None = Field(default=None, description="The incident's id.")
    alert: str | None = Field(
        default=None, description="Or the fingerprint of one of its alerts (not both)."
    )
    step: Literal["ack", "acknowledge", "correct", "validate", "close", "reopen"]
    time: AwareDatetime = Field(description="When the step was made, with its offset.")
    by: Name | None = Field(
        default=None, description="Who acted (administrators only; else the token acts)."
    )
    note: Text = ""
    on_behalf_of: Name | None = Field(
        default=None, description="Validation: the customer an administrator validated for."
    )


class StepBatch(BaseModel):
    """Lifecycle steps to record: all or nothing, oldest first, each once."""

    model_config = ConfigDict(extra="forbid")

    steps: list[StepIn]


class StepImportPublic(PublicModel):
    """What an import of lifecycle steps did: `received = applied + already`."""

    received: int = Field(description="Steps in the batch.")
    applied: int = Field(description="Steps recorded.")
    already: int = Field(description="Steps the trail already held at that time: skipped.")
    incidents: list[str] = Field(description="The incidents moved.")

    @classmethod
    def of_import(cls, done: StepImport) -> StepImportPublic:
        """The public view of an import's counts."""
        return cls(
            received=done.received,
            applied=done.applied,
            already=done.already,
            incidents=list(done.incidents),
        )


def inline_schema(model: type[BaseModel]) -> dict[str, Any]:
    """``model``'s JSON schema with its ``$defs`` inlined, to document a request body the route
    reads itself (``openapi_extra``)."""
    schema = model.model_json_schema()
    defs = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return resolve(defs[ref.removeprefix("#/$defs/")])
            return {k: resolve(v) for k, v in node.items()}
        if isinstance(node, list):
            return [resolve(v) for v in node]
        return node

    resolved: dict[str, Any] = resolve(schema)
    return resolved


class EventLogPublic(PublicModel):
    """The event log: who correlates and how far."""

    holder: str | None = Field(description="The process holding the correlator lease.")
    lease_until: datetime | None = Field(description="Its lease ends then unless renewed.")
    applied_seq: int = Field(description="The last journal entry whose effects are stored.")
    last_seq: int = Field(description="The last journal entry.")
    waiting: int = Field(description="Entries appended and not yet applied by the holder.")
    snapshot_seq: int | None = Field(description="The entry the latest snapshot follows.")
    snapshot_at: datetime | None = Field(description="When the latest snapshot was saved.")
    lateness_seconds: float = Field(
        description="Events arriving at most this long after the latest one are correlated "
        "in event-time order."
    )
    watermark: datetime | None = Field(description="Events up to this time are correlated.")
    held_events: int = Field(description="Events held back until the watermark passes them.")
    late_events: int = Field(
        description="Events that came after the watermark had passed their time (correlated "
        "at once by the rules for late events), in all."
    )

    @classmethod
    def of_status(cls, status: LeaseStatus) -> EventLogPublic:
        """The public view of the lease status."""
        return cls(
            holder=status.holder,
            lease_until=status.lease_until,
            applied_seq=status.applied_seq,
            last_seq=status.last_seq,
            waiting=status.last_seq - status.applied_seq,
            snapshot_seq=status.snapshot_seq,
            snapshot_at=status.snapshot_at,
            lateness_seconds=status.lateness.total_seconds(),
            watermark=status.watermark,
            held_events=status.held,
            late_events=status.late,
        )
