"""What measurement reads besides outages: declared series, their measurements, and attestations
of policy controls.

A **series** is declared in the configuration (section ``series``): an id, what it measures
(:class:`SeriesKind`), the catalog node it is about and, optionally, the one customer it concerns
(a probe on that customer's access). Objectives name a series by id (``series: vpn-latency``).
A measurement names its series; a measurement of an undeclared series is refused, at its line.

Every value is exact (``Decimal``) and every timestamp timezone-aware. A measurement that covers
an interval (a loss count over five minutes) gives ``start`` and ``at`` (its end); one that is a
sample at an instant gives ``at`` only.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import Field, field_validator, model_validator

from servanda.catalog.model import Id, Identifier
from servanda.core.durations import Duration
from servanda.core.limits import Name, Text
from servanda.core.records import record


class SeriesKind(StrEnum):
    """What a series measures, and so which fields its measurements carry."""

    LATENCY = "latency"
    """Round-trip time, ``value`` in milliseconds."""
    ONE_WAY_DELAY = "one_way_delay"
    """One-way delay: ``value`` in milliseconds, or ``sent_at`` and ``received_at``."""
    JITTER = "jitter"
    """Jitter as a probe reports it, ``value`` in milliseconds."""
    PACKETS = "packets"
    """Per-packet ``sent_at`` and ``received_at`` (and optional ``sequence``): RFC 3550 jitter,
    IPDV and PDV are computed from them."""
    THROUGHPUT = "throughput"
    """Data rate, ``value`` in bit/s (an average over ``start``–``at`` when given)."""
    LOSS = "loss"
    """Frames or packets: ``total`` sent and ``good`` delivered over ``start``–``at``."""
    GOOD_TOTAL = "good_total"
    """Events: ``good`` of ``total`` (requests served fast enough, calls set up …)."""


VALUE_KINDS = frozenset(
    {SeriesKind.LATENCY, SeriesKind.ONE_WAY_DELAY, SeriesKind.JITTER, SeriesKind.THROUGHPUT}
)
"""Kinds whose measurements carry a ``value``."""
COUNT_KINDS = frozenset({SeriesKind.LOSS, SeriesKind.GOOD_TOTAL})
"""Kinds whose measurements carry ``good`` and ``total``."""


WINDOW = "{{.window}}"
"""The placeholder of a PromQL query's range, as Sloth writes it: ``rate(x[{{.window}}])``."""


@record
class PrometheusQueries:
    """Where a good/total or loss series lives in Prometheus: the PromQL of its bad events and
    of all its events, each a rate over ``{{.window}}`` (Sloth's SLI ``events`` spec)."""

    error_query: str = Field(min_length=1, max_length=4000)
    """E.g. ``sum(rate(http_requests_total{job="shop",code=~"5.."}[{{.window}}]))``."""
    total_query: str = Field(min_length=1, max_length=4000)
    """E.g. ``sum(rate(http_requests_total{job="shop"}[{{.window}}]))``."""

    @model_validator(mode="after")
    def _windowed(self) -> PrometheusQueries:
        for name in ("error_query", "total_query"):
            if WINDOW not in getattr(self, name):
                raise ValueError(f"{name} must hold {WINDOW} where its range goes")
        return self


@record
class Series:
    """A declared measurement series."""

    id: Id
    """What measurements and objectives call it."""
    kind: SeriesKind
    """What it measures."""
    node: Identifier
    """The service or component it is about."""
    customer: Identifier | None = None
    """The one customer it concerns (a probe on that customer's access); None: every customer
    of ``node``."""
    interval: Duration | None = None
    """The nominal spacing of its measurements (MEF 10.3's Δt for a loss series)."""
    description: str | None = None
    """What it is, for people."""
    prometheus: PrometheusQueries | None = None
    """Where it lives in Prometheus, for the burn-rate rules export (good/total and loss)."""


@record
class Measurement:
    """One measurement of a series."""

    series: Identifier
    """The declared series."""
    at: datetime
    """When it was taken; the end of the interval it covers when ``start`` is given."""
    start: datetime | None = None
    """Start of the interval it covers (counts, average rates)."""
    value: Decimal | None = None
    """Milliseconds (latency, delay, jitter) or bit/s (throughput)."""
    good: Annotated[int, Field(ge=0)] | None = None
    """Good events (delivered frames, fast requests) of ``total``."""
    total: Annotated[int, Field(ge=0)] | None = None
    """All events in the interval."""
    sent_at: datetime | None = None
    """Packets, one-way delay: when the packet left."""
    received_at: datetime | None = None
    """Packets, one-way delay: when it arrived."""
    sequence: int | None = None
    """Packets: the sequence number (orders packets that left at the same instant)."""

    @field_validator("at", "start", "sent_at", "received_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and (value.tzinfo is None or value.utcoffset() is None):
            raise ValueError("a timestamp needs its timezone, e.g. 2024-04-02T10:00:00Z")
        return value

    @field_validator("value")
    @classmethod
    def _finite(cls, value: Decimal | None) -> Decimal | None:
        if value is not None and not value.is_finite():
            raise ValueError(f"{value} is not a number")
        if value is not None and value < 0:
            raise ValueError(f"a measured value cannot be negative ({value})")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Measurement:
        if self.start is not None and self.start > self.at:
            raise ValueError(
                f"the interval stops ({self.at.isoformat()}) before it starts "
                f"({self.start.isoformat()})"
            )
        if (self.good is None) != (self.total is None):
            raise ValueError("good and total go together")
        if self.good is not None and self.total is not None and self.good > self.total:
            raise ValueError(f"good ({self.good}) is more than total ({self.total})")
        if (self.sent_at is None) != (self.received_at is None):
            raise ValueError("sent_at and received_at go together")
        if self.value is None and self.good is None and self.sent_at is None:
            raise ValueError(
                "a measurement needs a value, good and total, or sent_at and received_at"
            )
        return self

    def fits(self, kind: SeriesKind) -> str | None:
        """Why this measurement does not fit a series of ``kind``, or None when it does."""
        if kind in VALUE_KINDS and self.value is None:
            if kind is SeriesKind.ONE_WAY_DELAY and self.sent_at is not None:
                return None
            return f"a {kind} measurement needs a value"
        if kind in COUNT_KINDS and self.good is None:
            return f"a {kind} measurement needs good and total"
        if kind is SeriesKind.PACKETS and self.sent_at is None:
            return "a packets measurement needs sent_at and received_at"
        return None


@record
class Attestation:
    """A statement that a policy control was (or was not) met over a period."""

    control: Identifier
    """The control's id (unique within its policy clause)."""
    policy: Identifier
    """The policy clause holding the control."""
    period_start: datetime
    """Start of the period attested (inclusive)."""
    period_end: datetime
    """End of the period attested (exclusive)."""
    met: bool
    """Whether the control was met over the whole period."""
    attested_by: Name
    """Who attests (a person or a role)."""
    attested_at: datetime
    """When the attestation was made."""
    evidence: Text = ""
    """What supports it (a report, a reference to a document)."""
    note: Text = ""
    """Anything else."""

    @model_validator(mode="after")
    def _order(self) -> Attestation:
        for name in ("period_start", "period_end", "attested_at"):
            value: datetime = getattr(self, name)
            if value.tzinfo is None or value.utcoffset() is None:
                raise ValueError(f"{name} needs its timezone")
        if self.period_end <= self.period_start:
            raise ValueError("the attested period ends before it starts")
        return self
