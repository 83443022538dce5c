"""What the measurement, attestation, feedback and review endpoints take and answer.

Request bodies of the batch endpoints (measurements, feedback, attestations) are read by the
routes themselves with the parsers of :mod:`servanda.ingest` (so every problem is located at
the path of its field); the ``…In`` and ``…Batch`` models here only document them in the OpenAPI
document. A review is one JSON object validated by :class:`ReviewCreate`.

Same conventions as :mod:`servanda.api.schemas`: exact numbers (measured values, extremes) are
strings (``"12.4"``), timestamps RFC 3339 in UTC, days ``YYYY-MM-DD``.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from servanda.api.schemas import PublicModel
from servanda.core.limits import LIST_ITEMS, Name, Text
from servanda.engagement.model import (
    Channel,
    Review,
    ReviewAction,
    ReviewKind,
    StoredFeedback,
    StoredReview,
)
from servanda.measure.inputs import Attestation, SeriesKind
from servanda.services.engagement import FeedbackCounts
from servanda.services.measurements import AttestationCounts, MeasurementCounts, SeriesSummary

STRICT = ConfigDict(extra="forbid", str_strip_whitespace=True)

# --- Measurements ----------------------------------------------------------------------------


class MeasurementIn(BaseModel):
    """One measurement of a declared series. Which fields it carries depends on the series'
    kind: `value` (latency, jitter, one-way delay in ms; throughput in bit/s), `good` and
    `total` (loss, good/total), or `sent_at` and `received_at` (packets, one-way delay)."""

    model_config = STRICT

    series: str = Field(description="A series declared in the configuration.")
    at: datetime = Field(description="When taken; the end of the interval with `start`.")
    start: datetime | None = Field(None, description="Start of the interval it covers.")
    value: Decimal | None = Field(None, ge=0, description="An exact decimal, not negative.")
    good: int | None = Field(None, ge=0, description="Good events (delivered frames) …")
    total: int | None = Field(None, ge=0, description="… of all events in the interval.")
    sent_at: datetime | None = Field(None, description="Packets: when it left.")
    received_at: datetime | None = Field(None, description="Packets: when it arrived.")
    sequence: int | None = Field(None, description="Packets: the sequence number.")


class MeasurementBatch(BaseModel):
    """A batch of measurements: stored all or nothing."""

    model_config = STRICT

    measurements: list[MeasurementIn]


class MeasurementCountsPublic(PublicModel):
    """What one batch did: `received = new + duplicates`. Sending it again gives `new: 0`."""

    received: int = Field(description="Measurements in the batch.")
    new: int = Field(description="Measurements stored (their key was not stored yet).")
    duplicates: int = Field(description="Already stored, or repeated in the batch.")
    replaced: int = Field(description="Of the duplicates, those overwritten (`replace=true`).")

    @classmethod
    def of_counts(cls, counts: MeasurementCounts) -> MeasurementCountsPublic:
        """The public view of ingestion counts."""
        return cls(**counts.as_dict())


class ValueFiguresPublic(PublicModel):
    """Extremes (observed samples, exact) and mean of the values of a series."""

    unit: str = Field(description="`ms` or `bit/s`.")
    count: int
    minimum: str
    mean: float
    maximum: str


class CountFiguresPublic(PublicModel):
    """Σgood and Σtotal of a count series, and their ratio."""

    good: int
    total: int
    ratio: float | None = Field(description="Σgood / Σtotal; null when Σtotal is 0.")


class SeriesSummaryPublic(PublicModel):
    """A series over `[since, until)`: how many measurements, when, and their figures."""

    series: str
    kind: SeriesKind
    node: str
    customer: str | None
    since: datetime
    until: datetime
    count: int
    first: datetime | None
    last: datetime | None
    values: ValueFiguresPublic | None = Field(
        description="Latency, delay, jitter, throughput, packets (their one-way delays)."
    )
    counts: CountFiguresPublic | None = Field(description="Loss and good/total series.")

    @classmethod
    def of_summary(cls, summary: SeriesSummary) -> SeriesSummaryPublic:
        """The public view of a series summary."""
        return cls.model_validate(summary.as_dict())


# --- Attestations ----------------------------------------------------------------------------


class AttestationIn(BaseModel):
    """That a control of a policy clause was (or was not) met over `[period_start,
    period_end)`."""

    model_config = STRICT

    policy: str = Field(description="A policy clause an agreement declares.")
    control: str = Field(description="One of its controls.")
    period_start: datetime
    period_end: datetime = Field(description="Excluded.")
    met: bool
    attested_by: Name
    attested_at: datetime
    evidence: Text = ""
    note: Text = ""


class AttestationBatch(BaseModel):
    """A batch of attestations: stored all or nothing."""

    model_config = STRICT

    attestations: list[AttestationIn]


class AttestationCountsPublic(PublicModel):
    """What one batch did: `received = new + updated + unchanged`."""

    received: int
    new: int = Field(description="Controls and periods attested for the first time.")
    updated: int = Field(description="Earlier attestations replaced by a different one.")
    unchanged: int = Field(description="Sent again as stored, or superseded in the batch.")

    @classmethod
    def of_counts(cls, counts: AttestationCounts) -> AttestationCountsPublic:
        """The public view of attestation counts."""
        return cls(**counts.as_dict())


class AttestationPublic(PublicModel):
    """A stored attestation."""

    policy: str
    control: str
    period_start: datetime
    period_end: datetime
    met: bool
    attested_by: str
    attested_at: datetime
    evidence: str
    note: str

    @classmethod
    def of_attestation(cls, a: Attestation) -> AttestationPublic:
        """The public view of an attestation."""
        return cls.of(a)


# --- Feedback --------------------------------------------------------------------------------


class FeedbackIn(BaseModel):
    """One customer's say: a CSAT score, an NPS score or a comment (or several)."""

    model_config = STRICT

    customer: str = Field(description="A customer party (a customer token: itself).")
    at: datetime = Field(description="When it was given.")
    csat: int | None = Field(None, ge=1, le=5, description="Satisfaction, 1 to 5.")
    nps: int | None = Field(None, ge=0, le=10, description="Likelihood to recommend, 0 to 10.")
    service: str | None = Field(None, description="A service the customer takes.")
    comment: Text = ""
    channel: Channel = Channel.SURVEY
    incident: Name | None = Field(None, description="The incident it is about.")
    respondent: Name | None = Field(None, description="Who answered.")


class FeedbackBatch(BaseModel):
    """A batch of feedback: stored all or nothing."""

    model_config = STRICT

    feedback: list[FeedbackIn]


class FeedbackCountsPublic(PublicModel):
    """What one batch did: `received = new + duplicates`."""

    received: int
    new: int = Field(description="Answers stored.")
    duplicates: int = Field(description="Answers already stored, or repeated in the batch.")

    @classmethod
    def of_counts(cls, counts: FeedbackCounts) -> FeedbackCountsPublic:
        """The public view of feedback counts."""
        return cls(**counts.as_dict())


class FeedbackPublic(PublicModel):
    """A stored feedback, with its idempotency key and when it was stored."""

    key: str
    stored_at: datetime
    customer: str
    at: datetime
    csat: int | None
    nps: int | None
    service: str | None
    comment: str
    channel: Channel
    incident: str | None
    respondent: str | None

    @classmethod
    def of_stored(cls, stored: StoredFeedback) -> FeedbackPublic:
        """The public view of stored feedback."""
        f = stored.feedback
        return cls(
            key=stored.key,
            stored_at=stored.stored_at,
            customer=f.customer,
            at=f.at,
            csat=f.csat,
            nps=f.nps,
            service=f.service,
            comment=f.comment,
            channel=f.channel,
            incident=f.incident,
            respondent=f.respondent,
        )


# --- Reviews ---------------------------------------------------------------------------------


class ReviewActionIn(BaseModel):
    """Something agreed, to be done by someone."""

    model_config = STRICT

    text: Text = Field(min_length=1)
    owner: Name | None = None
    due: date | None = None
    done: bool = False


class ReviewCreate(BaseModel):
    """Notes of a listening session or service review with a customer."""

    model_config = STRICT

    customer: str = Field(description="A customer party (a customer token: itself).")
    held_on: date
    kind: ReviewKind = ReviewKind.SERVICE_REVIEW
    notes: Text = ""
    actions: list[ReviewActionIn] = Field(default_factory=list, max_length=LIST_ITEMS)
    service: str | None = Field(None, description="A service the customer takes.")
    attendees: list[Name] = Field(default_factory=list, max_length=LIST_ITEMS)

    def to_review(self) -> Review:
        """The domain record."""
        return Review(
            customer=self.customer,
            held_on=self.held_on,
            kind=self.kind,
            notes=self.notes,
            actions=tuple(
                ReviewAction(text=a.text, owner=a.owner, due=a.due, done=a.done)
                for a in self.actions
            ),
            service=self.service,
            attendees=tuple(self.attendees),
        )


class ReviewActionPublic(PublicModel):
    """An action agreed in a review."""

    text: str
    owner: str | None
    due: date | None
    done: bool


class ReviewPublic(PublicModel):
    """A stored review, with its id and when it was recorded."""

    id: int
    created_at: datetime
    customer: str
    held_on: date
    kind: ReviewKind
    notes: str
    actions: list[ReviewActionPublic]
    service: str | None
    attendees: list[str]

    @classmethod
    def of_stored(cls, stored: StoredReview) -> ReviewPublic:
        """The public view of a stored review."""
        r = stored.review
        return cls(
            id=stored.id,
            created_at=stored.created_at,
            customer=r.customer,
            held_on=r.held_on,
            kind=r.kind,
            notes=r.notes,
            actions=[ReviewActionPublic.of(a) for a in r.actions],
            service=r.service,
            attendees=list(r.attendees),
        )
