"""The customer SLA report as records, independent of how its figures were computed.

The evaluation of a customer's agreements over a period fills an :class:`SlaReport`; the
renderers (:mod:`~servanda.reports.sla_json`, :mod:`~servanda.reports.sla_html`,
:mod:`~servanda.reports.sla_pdf`) only lay it out. One :class:`ServiceSection` per service the
customer takes, plus one with ``service=None`` for the customer-wide objectives (satisfaction,
policy controls …).

Units: availability and budget figures are percent (``99.95`` is 99.95 %); downtime is in
seconds; every number is an exact :class:`~decimal.Decimal`; every timestamp is timezone-aware
(the renderers show them in the period's timezone).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AwareDatetime, Field, field_validator, model_validator

from servanda.agreements.model import ExcludedTime
from servanda.core.records import record
from servanda.documents import wording
from servanda.engagement.model import Review
from servanda.measure.results import Credit, ObjectiveResult

NonNegative = Annotated[Decimal, Field(ge=0)]
Text = Annotated[str, Field(min_length=1)]
"""Text that may not be empty."""


@record
class Party:
    """The provider or the customer, as the report names them."""

    id: Text
    name: Text


@record
class ReportPeriod:
    """The half-open period ``[start, end)`` the report covers."""

    label: Text
    """How the report names it, e.g. ``April 2025``."""
    start: AwareDatetime
    end: AwareDatetime
    timezone: str
    """IANA timezone in which the report shows times and days, e.g. ``Europe/Paris``."""

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown timezone {value!r} (use an IANA name)") from None
        return value

    @model_validator(mode="after")
    def _ordered(self) -> ReportPeriod:
        if self.end <= self.start:
            raise ValueError("the period must end after it starts")
        return self


@record
class ReportConvention:
    """How planned maintenance counts in availability, as printed on the report.

    :func:`convention_for` fills the wording of the agreements' conventions.
    """

    name: ExcludedTime
    formula: Text
    """E.g. ``Availability = (T − P − U) / (T − P)``."""
    explanation: str = ""
    """The convention in one plain sentence."""
    legend: str = ""
    """What the letters of the formula stand for."""


def convention_for(name: ExcludedTime) -> ReportConvention:
    """The convention ``name`` with the same wording as the agreement documents."""
    return ReportConvention(
        name=name,
        formula=wording.excluded_time_formula(name),
        explanation=wording.excluded_time_sentence(name),
        legend=wording.excluded_time_legend(name),
    )


@record
class TimelineEntry:
    """One outage of the service in the period, as it counted."""

    start: AwareDatetime
    end: AwareDatetime | None
    """None while the outage lasts (drawn up to the end of the period)."""
    fraction: Annotated[Decimal, Field(gt=0, le=1)] = Decimal(1)
    """1 for a full outage, else the share of the service affected."""
    planned: bool = False
    """Planned maintenance."""
    incident: str | None = None
    """The incident behind it."""
    downtime_seconds: NonNegative = Decimal(0)
    """Plain downtime it added inside the agreed service time: seconds × fraction, none for
    time the convention leaves out."""
    weighted_seconds: NonNegative = Decimal(0)
    """Experience-weighted downtime it added: each second × fraction × the weight of the
    window it fell in."""

    @model_validator(mode="after")
    def _ordered(self) -> TimelineEntry:
        if self.end is not None and self.end < self.start:
            raise ValueError("an outage cannot end before it starts")
        return self


class WindowKind(StrEnum):
    """Windows drawn behind the outage timeline."""

    CRITICAL = "critical"
    """A critical business window: downtime counts more."""
    MAINTENANCE = "maintenance"
    """An agreed maintenance window."""


@record
class TimeWindow:
    """A critical business window or maintenance window falling in the period."""

    kind: WindowKind
    start: AwareDatetime
    end: AwareDatetime
    weight: Annotated[Decimal, Field(ge=0)] | None = None
    """How many times a minute down counts in it (critical windows)."""
    label: str = ""

    @model_validator(mode="after")
    def _ordered(self) -> TimeWindow:
        if self.end <= self.start:
            raise ValueError("a window must end after it starts")
        return self


@record
class DailyPoint:
    """The figures of one local day of the period; each may be missing."""

    day: date
    availability: Decimal | None = None
    """Plain availability over the day's agreed service time, percent (None: no agreed time
    that day)."""
    weighted_availability: Decimal | None = None
    """Experience-weighted availability over the day, percent."""
    budget_remaining: Decimal | None = None
    """Share of the period's error budget still left at the end of the day, percent (100 at
    the start, below 0 once overspent)."""


@record
class IncidentEntry:
    """An incident that touched the service in the period."""

    id: Text
    severity: str
    detected: AwareDatetime
    acknowledged: AwareDatetime | None = None
    restored: AwareDatetime | None = None
    """When service was restored; None while it is not."""
    title: str = ""
    response_met: bool | None = None
    """Whether the response target (detection to acknowledgement) was met; None: no target."""
    resolution_met: bool | None = None
    """Whether the resolution target (detection to restored service) was met."""


@record
class ServiceSection:
    """Everything the report says about one service (or, with ``service=None``, about the
    customer-wide objectives)."""

    service: str | None
    """The service's id; None for the customer-wide section."""
    name: Text
    agreements: tuple[str, ...] = ()
    """Ids of the agreements the objectives come from."""
    results: tuple[ObjectiveResult, ...] = ()
    timeline: tuple[TimelineEntry, ...] = ()
    windows: tuple[TimeWindow, ...] = ()
    """Critical and maintenance windows in the period, drawn behind the outage timeline."""
    daily: tuple[DailyPoint, ...] = ()
    """Day by day, for the charts. ``budget_remaining`` is the budget of the section's first
    availability objective."""
    incidents: tuple[IncidentEntry, ...] = ()


@record
class FeedbackMonth:
    """Feedback in one calendar month, beside the availability measured in it."""

    month: date
    """The first day of the month."""
    count: Annotated[int, Field(ge=0)]
    csat: Decimal | None = None
    """Mean satisfaction, 1 to 5."""
    nps: Decimal | None = None
    """Net promoter score, −100 to 100."""
    availability: Decimal | None = None
    """Plain availability over the month, percent, across the customer's services."""
    weighted_availability: Decimal | None = None
    """Experience-weighted availability over the month, percent."""

    @field_validator("month")
    @classmethod
    def _first_day(cls, value: date) -> date:
        if value.day != 1:
            raise ValueError("a month is given by its first day, e.g. 2025-04-01")
        return value


@record
class FeedbackComment:
    """A recent comment from the customer."""

    at: AwareDatetime
    comment: Text
    service: str | None = None
    """The service it is about; None: the provider as a whole."""
    csat: Annotated[int, Field(ge=1, le=5)] | None = None
    nps: Annotated[int, Field(ge=0, le=10)] | None = None


@record
class ExperienceScore:
    """How the service was perceived beside how it measured, on one scale."""

    perceived: Decimal | None
    """From feedback (satisfaction, recommendation)."""
    measured: Decimal | None
    """From measurements (e.g. weighted availability mapped to the scale)."""
    sentence: str
    """What the two numbers say, in plain words."""
    scale: str = "0 to 100"


@record
class FeedbackSummary:
    """The customer's feedback over the period and the months before it."""

    count: Annotated[int, Field(ge=0)]
    """Responses in the period."""
    csat: Decimal | None = None
    """Mean satisfaction in the period, 1 to 5."""
    nps: Decimal | None = None
    """Net promoter score in the period, −100 to 100."""
    trend: tuple[FeedbackMonth, ...] = ()
    """Month by month, oldest first."""
    recent: tuple[FeedbackComment, ...] = ()
    experience: ExperienceScore | None = None


class Standing(StrEnum):
    """Whether a report's figures may still change."""

    PROVISIONAL = "provisional"
    """The period is open (not ended, or not closed yet): the figures may change."""
    FINAL = "final"
    """The period is closed: these are the figures its credits were computed from."""


@record
class Closing:
    """The report's standing: provisional, or final with the close that made it so."""

    standing: Standing = Standing.PROVISIONAL
    version: Annotated[int, Field(ge=1)] | None = None
    """Which close of the period (a reopen and a new close make the next version)."""
    closed_at: AwareDatetime | None = None
    closed_by: str | None = None
    pending: tuple[Text, ...] = ()
    """Changes found since the close (late outages, measurements, corrected incidents), one
    sentence each: they apply when the period is reopened and closed again."""

    @model_validator(mode="after")
    def _named(self) -> Closing:
        final = self.standing is Standing.FINAL
        if final != (self.version is not None and self.closed_at is not None):
            raise ValueError("a final report names its close (version and closed_at), only it")
        if self.pending and not final:
            raise ValueError("only a closed period has pending adjustments")
        return self


@record
class SlaReport:
    """A customer's service level report over one period."""

    provider: Party
    customer: Party
    period: ReportPeriod
    generated_at: AwareDatetime
    """When the figures were produced (given, never read from the clock)."""
    convention: ReportConvention
    sections: tuple[ServiceSection, ...] = ()
    credits: tuple[Credit, ...] = ()
    feedback: FeedbackSummary | None = None
    reviews: tuple[Review, ...] = ()
    notes: tuple[str, ...] = ()
    """Anything else the reader should know, one paragraph each."""
    closing: Closing = Closing()
    """Provisional, or final (the period is closed)."""
