"""The database schema, as SQLAlchemy typed declarative tables.

Rows stay inside :mod:`servanda.storage`: repositories take and return domain records. Each
declared record keeps its full JSON (``record``) next to the columns queries need, plus a content
hash so that saving the same declaration twice writes nothing.

Observations and what is computed from them (events, measurements, feedback, SLA results,
credits) are rows of columns, without a JSON ``record``: they are written in bulk and read as
columns.

Names of constraints and indexes follow :data:`NAMING_CONVENTION`, so migrations can refer to
them on every backend (SQLite batch migrations need the names).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    Double,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from servanda.storage.types import ExactDecimal, JSONDocument, UTCDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ID = String(200)
"""Ids of declared records (see :data:`servanda.catalog.model.Id`)."""
HASH = String(64)
"""A SHA-256 in hex."""


class Base(DeclarativeBase):
    """Declarative base of every table."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        date: Date(),
        Decimal: ExactDecimal(),
        dict[str, Any]: JSONDocument,
        list[Any]: JSONDocument,
    }


class Declared:
    """Columns shared by the tables of declared records."""

    content_hash: Mapped[str] = mapped_column(HASH)
    """SHA-256 of the canonical JSON of the record."""
    record: Mapped[dict[str, Any]]
    """The record as JSON (``to_jsonable``); the source of truth when reading back."""
    updated_at: Mapped[datetime]
    """When the stored content last changed (the ``now`` of that load)."""


class PartyRow(Declared, Base):
    """An organisation: provider, customer, content provider or carrier."""

    __tablename__ = "parties"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    contact: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)

    roles: Mapped[list[PartyRoleRow]] = relationship(
        cascade="all, delete-orphan", order_by="PartyRoleRow.position", lazy="selectin"
    )


class PartyRoleRow(Base):
    """One role of one party."""

    __tablename__ = "party_roles"

    party_id: Mapped[str] = mapped_column(
        ForeignKey("parties.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(32), primary_key=True, index=True)
    position: Mapped[int] = mapped_column(Integer)
    """Order of the role in the record."""


class CalendarRow(Declared, Base):
    """A calendar of service hours, holidays and windows, in its IANA timezone."""

    __tablename__ = "calendars"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    timezone: Mapped[str] = mapped_column(String(64))


class NodeRow(Declared, Base):
    """A node of the dependency graph: a service or a component."""

    __tablename__ = "nodes"
    __table_args__ = (
        CheckConstraint("kind IN ('service', 'component')", name="kind"),
        CheckConstraint("kind = 'component' OR provider IS NOT NULL", name="service_provider"),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), index=True)
    """``service`` or ``component``."""
    name: Mapped[str | None] = mapped_column(Text)
    label: Mapped[str] = mapped_column(Text)
    """Display name: the name, or the id."""
    component_type: Mapped[str | None] = mapped_column(String(64))
    """What a component is (switch, router, dns …)."""
    provider: Mapped[str | None] = mapped_column(ForeignKey("parties.id"), index=True)
    """The provider party, for services."""
    owner: Mapped[str | None] = mapped_column(ForeignKey("parties.id"))
    """The operating party, for components operated by someone else."""
    calendar: Mapped[str | None] = mapped_column(ForeignKey("calendars.id"))
    site: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)

    requirements: Mapped[list[RequirementRow]] = relationship(
        cascade="all, delete-orphan", order_by="RequirementRow.position"
    )


class RequirementRow(Base):
    """One group of dependencies of a node (all_of, any_of or k_of_n)."""

    __tablename__ = "node_requirements"
    __table_args__ = (UniqueConstraint("node_id", "position"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    node_id: Mapped[str] = mapped_column(ForeignKey("nodes.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    mode: Mapped[str] = mapped_column(String(16))
    k: Mapped[int | None] = mapped_column(Integer)

    members: Mapped[list[RequirementMemberRow]] = relationship(
        cascade="all, delete-orphan", order_by="RequirementMemberRow.position"
    )


class RequirementMemberRow(Base):
    """A node named by a requirement: an edge of the dependency graph."""

    __tablename__ = "requirement_members"

    requirement_id: Mapped[int] = mapped_column(
        ForeignKey("node_requirements.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    node_id: Mapped[str] = mapped_column(ForeignKey("nodes.id"), index=True)
    """The node depended upon."""


class SubscriptionRow(Declared, Base):
    """A customer takes a service.

    Subscriptions have no id of their own; ``key`` hashes what identifies one (customer,
    service, start, reference), so changing the end, the charge or the currency updates it.
    """

    __tablename__ = "subscriptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(HASH, unique=True)
    customer: Mapped[str] = mapped_column(ForeignKey("parties.id"), index=True)
    service: Mapped[str] = mapped_column(ForeignKey("nodes.id"), index=True)
    start_date: Mapped[date | None]
    end_date: Mapped[date | None]
    """Day after the last day, when ended."""
    monthly_charge: Mapped[Decimal | None]
    currency: Mapped[str] = mapped_column(String(3))
    reference: Mapped[str | None] = mapped_column(Text)


class AgreementRow(Base):
    """An agreement: its level and scope, shared by all its versions."""

    __tablename__ = "agreements"
    __table_args__ = (
        CheckConstraint(
            "(level = 'corporate' AND customer IS NULL AND service IS NULL)"
            " OR (level = 'customer' AND customer IS NOT NULL AND service IS NULL)"
            " OR (level = 'service' AND customer IS NOT NULL AND service IS NOT NULL)",
            name="scope",
        ),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    level: Mapped[str] = mapped_column(String(16))
    provider: Mapped[str] = mapped_column(ForeignKey("parties.id"), index=True)
    customer: Mapped[str | None] = mapped_column(ForeignKey("parties.id"), index=True)
    service: Mapped[str | None] = mapped_column(ForeignKey("nodes.id"), index=True)

    versions: Mapped[list[AgreementVersionRow]] = relationship(
        cascade="all, delete-orphan", order_by="AgreementVersionRow.effective_from"
    )


class AgreementVersionRow(Base):
    """One version of an agreement, from ``effective_from``; every version is kept."""

    __tablename__ = "agreement_versions"

    agreement_id: Mapped[str] = mapped_column(
        ForeignKey("agreements.id", ondelete="CASCADE"), primary_key=True
    )
    effective_from: Mapped[date] = mapped_column(primary_key=True)
    effective_to: Mapped[date | None]
    """Day after the last day, when the version says the agreement ends."""
    title: Mapped[str | None] = mapped_column(Text)
    calendar: Mapped[str | None] = mapped_column(ForeignKey("calendars.id"))
    content_hash: Mapped[str] = mapped_column(HASH)
    record: Mapped[dict[str, Any]]
    recorded_at: Mapped[datetime]
    """When this content of the version was stored (the ``now`` of that load)."""

    objectives: Mapped[list[ObjectiveRow]] = relationship(
        cascade="all, delete-orphan", order_by="ObjectiveRow.position"
    )


class ObjectiveRow(Base):
    """An objective of one agreement version, normalised for measurement queries."""

    __tablename__ = "agreement_objectives"
    __table_args__ = (
        ForeignKeyConstraint(
            ["agreement_id", "effective_from"],
            ["agreement_versions.agreement_id", "agreement_versions.effective_from"],
            ondelete="CASCADE",
        ),
    )

    agreement_id: Mapped[str] = mapped_column(ID, primary_key=True)
    effective_from: Mapped[date] = mapped_column(primary_key=True)
    objective_id: Mapped[str] = mapped_column(ID, primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    """Order of the objective in the version."""
    metric: Mapped[str] = mapped_column(String(32), index=True)
    comparator: Mapped[str] = mapped_column(String(2))
    target: Mapped[Decimal]
    """In the metric's canonical unit."""
    period_kind: Mapped[str] = mapped_column(String(16))
    period_seconds: Mapped[Decimal | None]
    """Length of a rolling period, in seconds."""
    budgeting: Mapped[str] = mapped_column(String(16))
    percentile: Mapped[Decimal | None]
    severity: Mapped[str | None] = mapped_column(String(64))
    calendar: Mapped[str | None] = mapped_column(ForeignKey("calendars.id"))
    """A calendar for this objective alone."""
    series: Mapped[str | None] = mapped_column(Text)


class ApiTokenRow(Base):
    """A bearer token of the API; only the SHA-256 of its secret is kept."""

    __tablename__ = "api_tokens"
    __table_args__ = (
        CheckConstraint(
            "role IN ('admin', 'operator', 'billing', 'customer', 'ingest')", name="role"
        ),
        CheckConstraint(
            "(role = 'customer' AND party_id IS NOT NULL)"
            " OR (role <> 'customer' AND party_id IS NULL)",
            name="customer_party",
        ),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(16))
    party_id: Mapped[str | None] = mapped_column(ForeignKey("parties.id"), index=True)
    secret_hash: Mapped[str] = mapped_column(HASH)
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
    """After this the token authenticates nothing (NULL: it does not expire)."""


class LoadRunRow(Base):
    """Audit of one load that changed something: when, from which files, what changed."""

    __tablename__ = "load_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    loaded_at: Mapped[datetime] = mapped_column(index=True)
    sources: Mapped[list[Any]]
    """The files (or other sources) the bundle was read from."""
    counts: Mapped[dict[str, Any]]
    """``{kind: {"created": n, "updated": n, "unchanged": n}}``."""


class AuditRow(Base):
    """One write asked of Servanda (API request or command), whatever its outcome."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    at: Mapped[datetime] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(Text, index=True)
    """Who: ``admin:tok-1``, ``customer:acme``, ``cli:alice``, ``anonymous``."""
    role: Mapped[str | None] = mapped_column(String(16))
    interface: Mapped[str] = mapped_column(String(8))
    """``api`` or ``cli``."""
    origin: Mapped[str] = mapped_column(Text)
    """From where: the client's address (API) or the user and host (command line)."""
    action: Mapped[str] = mapped_column(Text)
    """What: ``POST /api/v1/sla/close`` (the route) or ``servanda sla close``."""
    target: Mapped[str] = mapped_column(Text)
    """On what: the path asked, or the command's arguments."""
    status: Mapped[int] = mapped_column(Integer)
    """The HTTP status answered, or the command's exit code."""


class NodeMappingRow(Base):
    """A rule mapping event labels to a node; rules are tried in ``position`` order."""

    __tablename__ = "node_mappings"

    position: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    match: Mapped[list[Any]]
    """``[[label, value], ...]``; a value starting with ``~`` is a regular expression."""
    node: Mapped[str] = mapped_column(Text)
    """The node id, or a template of it."""
    source: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(HASH)
    updated_at: Mapped[datetime]


class EventRow(Base):
    """Every observation received, once: ``key`` hashes its idempotency key."""

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_node_received_at", "node", "received_at"),
        Index("ix_events_starts_at", "starts_at"),
    )

    key: Mapped[str] = mapped_column(HASH, primary_key=True)
    """SHA-256 of fingerprint, status, start and end (see ``Event.key``)."""
    fingerprint: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(Text)
    labels: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(16))
    severity: Mapped[str] = mapped_column(String(16))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime | None]
    summary: Mapped[str] = mapped_column(Text)
    node: Mapped[str | None] = mapped_column(ID)
    """The node it mapped to when received; NULL when unmapped."""
    generator_url: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime]
    journal_seq: Mapped[int | None] = mapped_column(BigInteger, index=True)
    """The journal entry (a batch) that brought it to the correlator; NULL for events stored
    before the journal existed."""


SEQ = BigInteger().with_variant(Integer(), "sqlite")
"""An ever-growing sequence number: BIGINT, and SQLite's INTEGER so that it is the rowid."""


class EventJournalRow(Base):
    """The correlator's inputs in the order it took them (see :mod:`servanda.services.journal`):
    a batch of new events (``batch``: the events whose ``journal_seq`` is this ``seq``), a tick
    of the clock (``tick``) or a lifecycle step (``step``: the moved incident in ``payload``).
    ``at`` is the correlator's ``now`` for that input."""

    __tablename__ = "event_journal"

    seq: Mapped[int] = mapped_column(SEQ, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(8))
    at: Mapped[datetime]
    payload: Mapped[dict[str, Any] | None]


class CorrelatorSnapshotRow(Base):
    """The correlator's whole state after the journal entries up to ``seq``: a restart loads it
    and replays the entries after it."""

    __tablename__ = "correlator_snapshots"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger)
    load_run: Mapped[int | None] = mapped_column(Integer)
    """The configuration load the state was built on."""
    code: Mapped[str] = mapped_column(String(64))
    """A digest of the correlator's code: a snapshot of other code is not loaded."""
    taken_at: Mapped[datetime]
    state: Mapped[bytes] = mapped_column(LargeBinary)


class AlertRow(Base):
    """The de-duplicated state of one fingerprint (the correlator's ``Alert``)."""

    __tablename__ = "alerts"

    fingerprint: Mapped[str] = mapped_column(ID, primary_key=True)
    record: Mapped[dict[str, Any]]
    node: Mapped[str | None] = mapped_column(ID, index=True)
    status: Mapped[str] = mapped_column(String(16))
    last_seen: Mapped[datetime] = mapped_column(index=True)
    count: Mapped[int] = mapped_column(Integer)
    flapping: Mapped[bool]
    planned: Mapped[bool]
    incident_id: Mapped[str | None] = mapped_column(String(64), index=True)


class IncidentRow(Base):
    """One incident: the ``Incident`` record and the columns its queries filter on.

    ``record`` holds the record without its symptoms, impact intervals and audit trail: those
    grow with the incident (thousands of symptoms in an alert storm) and are stored one row each
    (``incident_symptoms``, ``incident_impacts``, ``incident_transitions``), so a batch writes
    only the rows that changed.
    """

    __tablename__ = "incidents"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    record: Mapped[dict[str, Any]]
    state: Mapped[str] = mapped_column(String(16), index=True)
    root: Mapped[str | None] = mapped_column(ID, index=True)
    severity: Mapped[str] = mapped_column(String(16))
    planned: Mapped[bool]
    detected_at: Mapped[datetime] = mapped_column(index=True)
    resolved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    merged_into: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime]


class IncidentTransitionRow(Base):
    """One step of an incident's audit trail (``seq`` counts from 0, oldest first)."""

    __tablename__ = "incident_transitions"

    incident_id: Mapped[str] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(index=True)
    by: Mapped[str] = mapped_column(Text)
    note: Mapped[str] = mapped_column(Text)
    on_behalf_of: Mapped[str | None] = mapped_column(ID)
    recorded_at: Mapped[datetime | None]
    """When a person's step was recorded (``at`` is when it was made); NULL before it was kept."""
    validated_for: Mapped[str] = mapped_column(Text, server_default="")
    """A validation step: the customers it validated for, space-separated ('' for none)."""


class IncidentSymptomRow(Base):
    """One symptom of an incident (an alert explained by its root)."""

    __tablename__ = "incident_symptoms"

    incident_id: Mapped[str] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True
    )
    fingerprint: Mapped[str] = mapped_column(ID, primary_key=True)
    node: Mapped[str] = mapped_column(ID)
    reason: Mapped[str] = mapped_column(Text)
    since: Mapped[datetime]
    until: Mapped[datetime | None]


class IncidentImpactRow(Base):
    """One interval during which an incident took a node down (``seq`` counts the intervals of
    that node in the incident from 0, oldest first)."""

    __tablename__ = "incident_impacts"

    incident_id: Mapped[str] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True
    )
    node: Mapped[str] = mapped_column(ID, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(16))
    fraction: Mapped[float] = mapped_column(Double)
    since: Mapped[datetime]
    until: Mapped[datetime | None]
    reason: Mapped[str] = mapped_column(Text)


class OutageRow(Base):
    """An interval during which an incident took a service down for a customer (or, with no
    customer, for everyone taking it); ``fraction`` below 1 for a partial outage."""

    __tablename__ = "outages"
    __table_args__ = (
        Index("ix_outages_service_starts_at", "service", "starts_at"),
        Index("ix_outages_customer_starts_at", "customer", "starts_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[str] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    service: Mapped[str] = mapped_column(ID)
    customer: Mapped[str | None] = mapped_column(ID)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime | None]
    """NULL while it lasts."""
    fraction: Mapped[Decimal]
    planned: Mapped[bool]


class EventEngineRow(Base):
    """One row: the version of the stored correlation state, bumped by every writer.

    A process whose correlator last wrote another version reloads it before writing (see
    :mod:`servanda.services.events`).
    """

    __tablename__ = "event_engine"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime]
    holder: Mapped[str | None] = mapped_column(Text)
    """The process that holds the correlator lease (``host:pid``), if any."""
    lease_until: Mapped[datetime | None]
    """The lease ends then unless its holder renews it."""
    applied_seq: Mapped[int] = mapped_column(BigInteger, server_default="0")
    """The last journal entry whose effects are stored."""
    waiting_seq: Mapped[int | None] = mapped_column(BigInteger)
    """The first journal entry with observations still waiting for the event-time watermark
    (None when none wait): a correlator rebuilt from stored state offers them again."""
    watermark: Mapped[datetime | None]
    """Events up to this time are correlated (see :mod:`servanda.events.watermark`)."""
    held_events: Mapped[int] = mapped_column(BigInteger, server_default="0")
    """Events held back until the watermark passes them."""
    late_events: Mapped[int] = mapped_column(BigInteger, server_default="0")
    """Events that came after the watermark had passed their time, in all."""


class SeriesRow(Declared, Base):
    """A declared measurement series (``Bundle.series``); measurements name it."""

    __tablename__ = "series"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    """What it measures (:class:`~servanda.measure.inputs.SeriesKind`)."""
    node: Mapped[str] = mapped_column(ForeignKey("nodes.id"))
    """The service or component it is about."""
    customer: Mapped[str | None] = mapped_column(ForeignKey("parties.id"))
    """The one customer it concerns; NULL: every customer of ``node``."""


class DeclaredDocumentRow(Declared, Base):
    """A declared record of a kind stored as a document (:attr:`Storage.DOCUMENT
    <servanda.declared.kinds.Storage.DOCUMENT>`: tariffs, billing accounts, charging rules …):
    its kind, its key and the record, with no table of its own."""

    __tablename__ = "declared_documents"

    kind: Mapped[str] = mapped_column(String(64), primary_key=True)
    """The kind's section (``tariffs``)."""
    key: Mapped[str] = mapped_column(Text, primary_key=True)
    """The record's key as canonical JSON (``["pstn", "2024-01-01T00:00:00+00:00"]``)."""


class MeasurementRow(Base):
    """One measurement of a declared series, stored once: ``key`` is its idempotency key (64 hex
    characters, computed by the sender or the adapter that read it)."""

    __tablename__ = "measurements"
    __table_args__ = (Index("ix_measurements_series_at", "series", "at"),)

    key: Mapped[str] = mapped_column(HASH, primary_key=True)
    series: Mapped[str] = mapped_column(ForeignKey("series.id"))
    at: Mapped[datetime]
    """When it was taken; the end of the interval it covers when ``start`` is given."""
    start: Mapped[datetime | None]
    value: Mapped[Decimal | None]
    """Milliseconds or bit/s, exactly as received."""
    good: Mapped[int | None] = mapped_column(BigInteger)
    total: Mapped[int | None] = mapped_column(BigInteger)
    sent_at: Mapped[datetime | None]
    received_at: Mapped[datetime | None]
    sequence: Mapped[int | None] = mapped_column(BigInteger)
    stored_at: Mapped[datetime]
    """When the server stored it."""


class AttestationRow(Base):
    """A statement that a policy control was (or was not) met over a period. ``key`` hashes the
    whole statement: storing the same one twice keeps one row, a corrected one is another row."""

    __tablename__ = "attestations"
    __table_args__ = (
        Index("ix_attestations_policy_control_period_start", "policy", "control", "period_start"),
    )

    key: Mapped[str] = mapped_column(HASH, primary_key=True)
    policy: Mapped[str] = mapped_column(ID)
    control: Mapped[str] = mapped_column(ID)
    period_start: Mapped[datetime]
    period_end: Mapped[datetime]
    met: Mapped[bool]
    attested_by: Mapped[str] = mapped_column(Text)
    attested_at: Mapped[datetime]
    evidence: Mapped[str] = mapped_column(Text)
    note: Mapped[str] = mapped_column(Text)


class FeedbackRow(Base):
    """One customer's feedback, stored once: ``key`` is its idempotency key."""

    __tablename__ = "feedback"
    __table_args__ = (
        Index("ix_feedback_customer_at", "customer", "at"),
        Index("ix_feedback_service_at", "service", "at"),
    )

    key: Mapped[str] = mapped_column(HASH, primary_key=True)
    customer: Mapped[str] = mapped_column(ID)
    service: Mapped[str | None] = mapped_column(ID)
    """NULL: about the provider as a whole."""
    at: Mapped[datetime]
    csat: Mapped[int | None] = mapped_column(Integer)
    nps: Mapped[int | None] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text)
    channel: Mapped[str] = mapped_column(String(16))
    incident: Mapped[str | None] = mapped_column(String(64))
    respondent: Mapped[str | None] = mapped_column(Text)
    stored_at: Mapped[datetime]


class ReviewRow(Base):
    """A listening session or service review with a customer, kept as dated notes."""

    __tablename__ = "reviews"
    __table_args__ = (Index("ix_reviews_customer_held_on", "customer", "held_on"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    customer: Mapped[str] = mapped_column(ID)
    service: Mapped[str | None] = mapped_column(ID)
    kind: Mapped[str] = mapped_column(String(32))
    held_on: Mapped[date]
    notes: Mapped[str] = mapped_column(Text)
    actions: Mapped[list[Any]]
    """The actions agreed, as JSON records (``ReviewAction``)."""
    attendees: Mapped[list[Any]]
    created_at: Mapped[datetime]


class ClosureRow(Base):
    """One close of one customer's reporting period: the results and credits stored with it
    (``closure_id``) are that period's final ones, the report document is the one the
    customer reads. A reopen marks it reopened and keeps it (the audit of what was final
    when); the next close of the period is the next version."""

    __tablename__ = "sla_closures"
    __table_args__ = (
        UniqueConstraint("customer", "period_start", "period_end", "version"),
        Index("ix_sla_closures_customer_period_start", "customer", "period_start"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    provider: Mapped[str] = mapped_column(ID)
    customer: Mapped[str] = mapped_column(ID)
    period_label: Mapped[str] = mapped_column(Text)
    period_start: Mapped[datetime]
    period_end: Mapped[datetime]
    version: Mapped[int] = mapped_column(Integer)
    """1 for the first close of the period, then one more for each close after a reopen."""
    closed_at: Mapped[datetime]
    closed_by: Mapped[str] = mapped_column(Text)
    """Who closed it, as audit trails write it (``billing:tok-…``, ``admin``)."""
    reopened_at: Mapped[datetime | None]
    reopened_by: Mapped[str | None] = mapped_column(Text)
    reopen_reason: Mapped[str | None] = mapped_column(Text)
    report: Mapped[dict[str, Any]]
    """The report document as closed (:mod:`servanda.reports.sla_json`)."""


class ResultRow(Base):
    """One objective of one agreement evaluated for one customer over one period.

    The rows of a customer and period are replaced together when that period is evaluated
    again. No ``actual`` is stored: it is recomputed from ``numerator`` and ``denominator`` when
    read back, ``actual = numerator × scale / denominator`` with ``scale`` 100 for percentages
    (``unit`` ``percent``: seconds up of agreed seconds, good of total events …) and for
    ``nps`` (promoters minus detractors of the answers, in points), and 1 otherwise (means:
    total downtime over failures, sum of scores over answers …). A value that is no ratio (a
    percentile, a jitter, a count) is stored as ``numerator`` over 1. ``actual`` is NULL when
    either is NULL, when ``denominator`` is 0 and when the verdict is ``no_data``.
    """

    __tablename__ = "sla_results"
    __table_args__ = (Index("ix_sla_results_customer_period_start", "customer", "period_start"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    provider: Mapped[str] = mapped_column(ID)
    customer: Mapped[str] = mapped_column(ID)
    service: Mapped[str | None] = mapped_column(ID)
    """NULL for an objective of a customer-level (or inherited corporate) agreement."""
    agreement: Mapped[str | None] = mapped_column(ID)
    """The agreement the objective comes from (``ObjectiveResult.source``)."""
    objective: Mapped[str] = mapped_column(ID)
    period_label: Mapped[str] = mapped_column(Text)
    """How reports name the period (``2024-04``, ``28 days to 2024-04-30`` …)."""
    period_start: Mapped[datetime]
    period_end: Mapped[datetime]
    metric: Mapped[str] = mapped_column(String(32))
    target: Mapped[Decimal]
    comparator: Mapped[str] = mapped_column(String(2))
    unit: Mapped[str] = mapped_column(String(16))
    verdict: Mapped[str] = mapped_column(String(16))
    numerator: Mapped[Decimal | None]
    denominator: Mapped[Decimal | None]
    convention: Mapped[str | None] = mapped_column(Text)
    budget: Mapped[dict[str, Any] | None]
    """The error budget (``Budget`` as JSON), when the objective has one."""
    breaches: Mapped[list[Any]]
    """``Breach`` records as JSON."""
    figures: Mapped[list[Any]]
    """``[[label, value], ...]``."""
    computed_at: Mapped[datetime]
    closure_id: Mapped[int | None] = mapped_column(
        ForeignKey("sla_closures.id", ondelete="RESTRICT"), index=True
    )
    """The close that made it final (NULL: stored before periods were closed, never final)."""


class CreditRow(Base):
    """A service credit earned by a customer for one period; replaced with the period's
    results."""

    __tablename__ = "credits"
    __table_args__ = (Index("ix_credits_customer_period_start", "customer", "period_start"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    customer: Mapped[str] = mapped_column(ID)
    service: Mapped[str | None] = mapped_column(ID)
    """NULL: the customer's whole charge."""
    period_start: Mapped[datetime]
    period_end: Mapped[datetime]
    objective: Mapped[str] = mapped_column(ID)
    actual: Mapped[Decimal]
    target: Mapped[Decimal]
    tier_below: Mapped[Decimal]
    percent: Mapped[Decimal]
    charge: Mapped[Decimal | None]
    amount: Mapped[Decimal | None]
    currency: Mapped[str | None] = mapped_column(String(3))
    claim: Mapped[str] = mapped_column(String(16))
    claim_by: Mapped[datetime | None]
    reason: Mapped[str] = mapped_column(Text)
    computed_at: Mapped[datetime]
    closure_id: Mapped[int | None] = mapped_column(
        ForeignKey("sla_closures.id", ondelete="RESTRICT"), index=True
    )
    """The close that made it final (NULL: stored before periods were closed, never final)."""


class UsageRow(Base):
    """One version of a usage record. The current version of a key (``source``,
    ``record_id``) has no ``superseded_at``; a correction supersedes it and is stored beside."""

    __tablename__ = "usage_records"
    __table_args__ = (
        UniqueConstraint("source", "record_id", "version"),
        Index(
            "ux_usage_records_current",
            "source",
            "record_id",
            unique=True,
            sqlite_where=text("superseded_at IS NULL"),
            postgresql_where=text("superseded_at IS NULL"),
        ),
        Index("ix_usage_records_account_start", "account", "start"),
    )

    id: Mapped[int] = mapped_column(SEQ, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(ID)
    record_id: Mapped[str] = mapped_column(ID)
    version: Mapped[str] = mapped_column(String(16))
    """The first 16 hex characters of the SHA-256 of the record's canonical JSON."""
    account: Mapped[str] = mapped_column(ID)
    category: Mapped[str] = mapped_column(String(32))
    service: Mapped[str | None] = mapped_column(ID)
    start: Mapped[datetime]
    record: Mapped[dict[str, Any]]
    """The record as JSON; the source of truth."""
    received_at: Mapped[datetime]
    origin: Mapped[str] = mapped_column(Text)
    """Where it came from: ``file:line``, ``api``, ``radius:<nas>``, ``nats:<stream>#<seq>``."""
    superseded_at: Mapped[datetime | None]
    """When a correction replaced it; NULL while it is the current version."""


class UsageChargeRow(Base):
    """What rating made of one usage version: its charge, or the reversal of that charge when
    a correction superseded it. At most one of each per version: nothing is charged twice."""

    __tablename__ = "usage_charges"
    __table_args__ = (UniqueConstraint("usage_id", "kind"),)

    id: Mapped[int] = mapped_column(SEQ, primary_key=True, autoincrement=True)
    usage_id: Mapped[int] = mapped_column(SEQ, ForeignKey("usage_records.id"))
    kind: Mapped[str] = mapped_column(String(16))
    """``charge`` or ``reversal``."""
    account: Mapped[str] = mapped_column(ID)
    tariff: Mapped[str] = mapped_column(ID)
    tariff_version: Mapped[datetime]
    amount: Mapped[Decimal]
    """Negative for a reversal."""
    currency: Mapped[str] = mapped_column(String(3))
    detail: Mapped[dict[str, Any]]
    """Destination group, prefix, band, connect fee, parts, adjustment, rounding."""
    rated_at: Mapped[datetime]


class PartyChargeRow(Base):
    """A debt of one billing account to another for one usage version, made by a charging
    rule (:mod:`servanda.accounting.charging_rules`) when the usage was charged, or its
    reversal. ``nanos`` is the amount in billionths, for exact sums in SQL on every
    database."""

    __tablename__ = "party_charges"
    __table_args__ = (
        Index("ix_party_charges_debtor", "debtor"),
        Index("ix_party_charges_creditor", "creditor"),
    )

    id: Mapped[int] = mapped_column(SEQ, primary_key=True, autoincrement=True)
    usage_id: Mapped[int] = mapped_column(SEQ, ForeignKey("usage_records.id"), index=True)
    charge_id: Mapped[int] = mapped_column(SEQ, ForeignKey("usage_charges.id"))
    kind: Mapped[str] = mapped_column(String(16))
    """``charge`` or ``reversal`` (of the usage charge it follows)."""
    role: Mapped[str] = mapped_column(String(16))
    """``pays``, ``share`` or ``cost``."""
    debtor: Mapped[str] = mapped_column(ID)
    creditor: Mapped[str] = mapped_column(ID)
    amount: Mapped[Decimal]
    nanos: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    rule: Mapped[str | None] = mapped_column(ID)
    rule_version: Mapped[datetime | None]
    category: Mapped[str] = mapped_column(String(32))
    service: Mapped[str | None] = mapped_column(ID)
    tariff: Mapped[str | None] = mapped_column(ID)
    destination_group: Mapped[str | None] = mapped_column(ID)
    band: Mapped[str | None] = mapped_column(ID)
    quantity: Mapped[Decimal | None]
    """What the record used: seconds (time), octets (volume) or units, as packages count."""
    usage_start: Mapped[datetime]
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    total_id: Mapped[int] = mapped_column(SEQ, ForeignKey("charge_totals.id"), index=True)
    """The running total it was added to: the invoice or statement that takes the total
    takes it."""


class ChargeTotalRow(Base):
    """The party charges of one kind summed as they are stored: per generation, billing
    month, role, debtor, creditor, currency and the parts an invoice line shows (the empty
    string stands for none, so the key is unique on every database). A bill run takes whole
    totals of closed generations (``billed_in``), a settlement run likewise
    (``settled_in``): neither rewrites the charges (see :mod:`servanda.storage.charge_totals`)."""

    __tablename__ = "charge_totals"
    __table_args__ = (
        UniqueConstraint(
            "gen", "month", "role", "debtor", "creditor", "currency", "category", "service",
            "tariff", "destination_group", "band", "rule", name="uq_charge_totals_key",
        ),
        Index("ix_charge_totals_billed_in", "billed_in"),
        Index("ix_charge_totals_settled_in", "settled_in"),
    )  # fmt: skip

    id: Mapped[int] = mapped_column(SEQ, primary_key=True, autoincrement=True)
    gen: Mapped[int] = mapped_column(BigInteger)
    """The generation it was summed in: a run takes totals of generations it closed."""
    month: Mapped[str] = mapped_column(String(7))
    """``YYYY-MM`` of the usage's start on the provider's billing clock when it was rated."""
    role: Mapped[str] = mapped_column(String(16))
    debtor: Mapped[str] = mapped_column(ID)
    creditor: Mapped[str] = mapped_column(ID)
    currency: Mapped[str] = mapped_column(String(3))
    category: Mapped[str] = mapped_column(String(32))
    service: Mapped[str] = mapped_column(ID)
    tariff: Mapped[str] = mapped_column(ID)
    destination_group: Mapped[str] = mapped_column(ID)
    band: Mapped[str] = mapped_column(ID)
    rule: Mapped[str] = mapped_column(ID)
    records: Mapped[int] = mapped_column(BigInteger)
    """Charges summed (a reversal counts -1)."""
    nanos: Mapped[int] = mapped_column(BigInteger)
    first: Mapped[datetime]
    last: Mapped[datetime]
    billed_in: Mapped[int | None] = mapped_column(SEQ)
    """The invoice that billed it."""
    settled_in: Mapped[int | None] = mapped_column(SEQ)
    """The settlement statement that took it."""


class ChargeTierRow(Base):
    """What one tier of a charge total's tariff counted and cost: the increments of a band
    and slot of the rates (quantities in the rating kernel's units: milliseconds, octets,
    units), or a special part of the records' costs (``slot`` < 0: connect fees, minimum or
    maximum cost adjustments, rounding, shares of records split between payers; see
    :mod:`servanda.services.tiers`). A total's tiers add up to it."""

    __tablename__ = "charge_tiers"

    total_id: Mapped[int] = mapped_column(
        SEQ, ForeignKey("charge_totals.id"), primary_key=True, autoincrement=False
    )
    band: Mapped[str] = mapped_column(ID, primary_key=True)
    slot: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    quantity: Mapped[int] = mapped_column(BigInteger)
    increments: Mapped[int] = mapped_column(BigInteger)
    nanos: Mapped[int] = mapped_column(BigInteger)


class ChargeGenerationRow(Base):
    """The generation party charges are summed in now (one row). A bill or settlement run
    closes it (see :mod:`servanda.storage.charge_totals`)."""

    __tablename__ = "charge_generations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    gen: Mapped[int] = mapped_column(BigInteger)


class InvoiceRow(Base):
    """An invoice or credit note of one billing account and month; ``document`` is what it
    says, as issued (lines, taxes, the seller's and buyer's identities)."""

    __tablename__ = "invoices"
    __table_args__ = (
        UniqueConstraint("issuer", "number"),
        Index("ix_invoices_account_period", "account", "period"),
    )

    id: Mapped[int] = mapped_column(SEQ, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16))
    account: Mapped[str] = mapped_column(ID)
    issuer: Mapped[str] = mapped_column(ID)
    period: Mapped[str] = mapped_column(String(7))
    """``YYYY-MM``."""
    period_start: Mapped[date]
    period_end: Mapped[date]
    number: Mapped[str | None] = mapped_column(String(40))
    """Given when issued: ``PREFIX-YEAR-NNNNNN``, gapless per issuer and year."""
    currency: Mapped[str] = mapped_column(String(3))
    net: Mapped[Decimal]
    tax: Mapped[Decimal]
    gross: Mapped[Decimal]
    prepaid: Mapped[Decimal]
    due: Mapped[Decimal]
    issue_date: Mapped[date | None]
    due_date: Mapped[date | None]
    corrects: Mapped[int | None] = mapped_column(SEQ, ForeignKey("invoices.id"), index=True)
    """A credit note: the invoice it cancels."""
    document: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
    issued_at: Mapped[datetime | None]
    paid_at: Mapped[datetime | None]
    voided_at: Mapped[datetime | None]
    note: Mapped[str | None] = mapped_column(Text)


class InvoiceLineRow(Base):
    """One line of an invoice."""

    __tablename__ = "invoice_lines"

    id: Mapped[int] = mapped_column(SEQ, primary_key=True, autoincrement=True)
    invoice_id: Mapped[int] = mapped_column(SEQ, ForeignKey("invoices.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    description: Mapped[str] = mapped_column(Text)
    service: Mapped[str | None] = mapped_column(ID)
    quantity: Mapped[Decimal | None]
    unit: Mapped[str | None] = mapped_column(String(16))
    amount: Mapped[Decimal]
    tax_category: Mapped[str | None] = mapped_column(String(4))
    tax_rate: Mapped[Decimal]
    key: Mapped[str | None] = mapped_column(Text, index=True)
    detail: Mapped[dict[str, Any]]


class InvoiceCounterRow(Base):
    """The last invoice number given by an issuer in a year."""

    __tablename__ = "invoice_counters"

    issuer: Mapped[str] = mapped_column(ID, primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last: Mapped[int] = mapped_column(Integer)


class SettlementRow(Base):
    """What two billing accounts owe each other for a month (see
    :mod:`servanda.accounting.settlement`); ``document`` holds its lines."""

    __tablename__ = "settlements"
    __table_args__ = (Index("ix_settlements_period", "period"),)

    id: Mapped[int] = mapped_column(SEQ, primary_key=True, autoincrement=True)
    period: Mapped[str] = mapped_column(String(7))
    first: Mapped[str] = mapped_column(ID)
    second: Mapped[str] = mapped_column(ID)
    currency: Mapped[str] = mapped_column(String(3))
    first_owes: Mapped[Decimal]
    second_owes: Mapped[Decimal]
    net: Mapped[Decimal]
    payer: Mapped[str | None] = mapped_column(ID)
    payee: Mapped[str | None] = mapped_column(ID)
    self_billing: Mapped[bool]
    """The provider pays: it writes the invoice its partner would have sent."""
    document: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]


class UsageRejectedRow(Base):
    """Usage that could not be taken, or not rated, with why: quarantined until it is
    retried after a fix (``resolved_at``). Nothing is dropped silently."""

    __tablename__ = "usage_rejected"
    __table_args__ = (
        Index("ix_usage_rejected_open", "resolved_at"),
        Index("ix_usage_rejected_origin", "origin"),
    )

    id: Mapped[int] = mapped_column(SEQ, primary_key=True, autoincrement=True)
    stage: Mapped[str] = mapped_column(String(16))
    """``mediation`` (not stored: a conflict with a stored version) or ``rating`` (stored, not
    rated)."""
    source: Mapped[str | None] = mapped_column(ID)
    record_id: Mapped[str | None] = mapped_column(ID)
    usage_id: Mapped[int | None] = mapped_column(SEQ, ForeignKey("usage_records.id"))
    payload: Mapped[dict[str, Any]]
    """The record as received."""
    origin: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]
    resolution: Mapped[str | None] = mapped_column(Text)


class AccountingSessionRow(Base):
    """The mediation state of one accounting session (RADIUS), by NAS and session id."""

    __tablename__ = "accounting_sessions"

    key: Mapped[str] = mapped_column(Text, primary_key=True)
    state: Mapped[dict[str, Any]]
    open: Mapped[bool]
    last_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class BucketRow(Base):
    """A prepaid balance of an account: money, or units of a quantity, with an expiry."""

    __tablename__ = "balance_buckets"
    __table_args__ = (Index("ix_balance_buckets_account", "account"),)

    id: Mapped[int] = mapped_column(SEQ, primary_key=True, autoincrement=True)
    account: Mapped[str] = mapped_column(ID)
    kind: Mapped[str] = mapped_column(String(16))
    amount: Mapped[Decimal]
    """What is left."""
    currency: Mapped[str | None] = mapped_column(String(3))
    expires_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    reference: Mapped[str | None] = mapped_column(Text)
    """The top-up's reference (a payment, a voucher); a top-up sent twice is stored once."""


class BalanceMovementRow(Base):
    """Every change of a bucket: a top-up, or a session's debit."""

    __tablename__ = "balance_movements"

    id: Mapped[int] = mapped_column(SEQ, primary_key=True, autoincrement=True)
    bucket_id: Mapped[int] = mapped_column(SEQ, ForeignKey("balance_buckets.id"))
    session_id: Mapped[str | None] = mapped_column(String(64))
    usage_id: Mapped[int | None] = mapped_column(SEQ, index=True)
    """The usage version a debit paid for (set when its usage is stored)."""
    amount: Mapped[Decimal]
    """Positive for a top-up, negative for a debit."""
    at: Mapped[datetime]


class ChargingSessionRow(Base):
    """An online-charged session and its reservation (RFC 4006 style)."""

    __tablename__ = "charging_sessions"
    __table_args__ = (Index("ix_charging_sessions_account_state", "account", "state"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    account: Mapped[str] = mapped_column(ID)
    record: Mapped[dict[str, Any]]
    """What the session is (category, service, subject, destination, start) as JSON."""
    tariff: Mapped[str | None] = mapped_column(ID)
    currency: Mapped[str | None] = mapped_column(String(3))
    state: Mapped[str] = mapped_column(String(16))
    """``open``, ``terminated`` or ``expired``."""
    used: Mapped[int] = mapped_column(BigInteger)
    """Reported use so far (seconds, octets or units)."""
    units_used: Mapped[int] = mapped_column(BigInteger)
    """Of it, paid by unit buckets."""
    debited: Mapped[Decimal]
    """Money debited so far."""
    reserved_units: Mapped[int] = mapped_column(BigInteger)
    reserved_money: Mapped[Decimal]
    granted: Mapped[int] = mapped_column(BigInteger)
    """The last grant."""
    final: Mapped[bool]
    valid_until: Mapped[datetime]
    request_number: Mapped[int] = mapped_column(BigInteger)
    """The last request's number; a request sent again gets the same answer."""
    answer: Mapped[dict[str, Any]]
    """The answer to that request."""
    updated_at: Mapped[datetime]


class NotificationRow(Base):
    """The outbox: one notice to one channel of one rule, queued in the transaction of what
    it tells, then delivered (and tried again with backoff) by the dispatcher."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_state_next_attempt_at", "state", "next_attempt_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    """The delivery id (deterministic: rule, notice key, channel), sent to receivers."""
    rule: Mapped[str] = mapped_column(ID)
    event: Mapped[str] = mapped_column(String(32))
    notice_key: Mapped[str] = mapped_column(Text)
    channel: Mapped[str] = mapped_column(String(16))
    """``webhook``, ``email`` or ``chat``."""
    target: Mapped[str] = mapped_column(Text)
    """Where it goes, as people read it (never a secret)."""
    spec: Mapped[dict[str, Any]]
    """The channel as declared (JSON): names the variables holding secrets, not them."""
    payload: Mapped[dict[str, Any]]
    state: Mapped[str] = mapped_column(String(16))
    """``pending``, ``sent`` or ``failed``."""
    attempts: Mapped[int] = mapped_column(Integer)
    next_attempt_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]


class JobRunRow(Base):
    """One run of a scheduled job."""

    __tablename__ = "job_runs"
    __table_args__ = (Index("ix_job_runs_job_started_at", "job", "started_at"),)

    id: Mapped[int] = mapped_column(SEQ, primary_key=True, autoincrement=True)
    job: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    outcome: Mapped[str] = mapped_column(String(16))
    """``running``, ``ok`` or ``failed``."""
    detail: Mapped[str] = mapped_column(Text)
    host: Mapped[str] = mapped_column(String(200))
    """The process that ran it (``host:pid``)."""
