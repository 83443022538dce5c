"""What the ``/api/v1/sla`` routes answer: closed periods, final credits, adjustments and
roll-ups (the report itself is the report document, :mod:`servanda.reports.sla_json`)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import Field

from servanda.agreements.metrics import Metric
from servanda.agreements.model import ClaimMode
from servanda.api.schemas import PublicModel
from servanda.api.schemas_events import IngestResultPublic
from servanda.measure.closure import Closure
from servanda.measure.results import Credit, ObjectiveResult, Verdict
from servanda.services.burn import BurnCheck
from servanda.services.closing import Adjustments, Closed, CreditChange, ResultChange, Version
from servanda.services.rollups import Rollup


class ClosurePublic(PublicModel):
    """One close of a customer's period."""

    customer: str
    period: str = Field(description="The period's label, e.g. `2024-04`.")
    period_start: datetime
    period_end: datetime
    version: int = Field(description="1 for the first close; one more after each reopen.")
    closed_at: datetime
    closed_by: str
    final: bool = Field(description="Its figures are the period's final ones (not reopened).")
    reopened_at: datetime | None = None
    reopened_by: str | None = None
    reopen_reason: str | None = None

    @classmethod
    def of_closure(cls, c: Closure) -> ClosurePublic:
        return cls(
            customer=c.customer,
            period=c.period_label,
            period_start=c.period_start,
            period_end=c.period_end,
            version=c.version,
            closed_at=c.closed_at,
            closed_by=c.closed_by,
            final=c.final,
            reopened_at=c.reopened_at,
            reopened_by=c.reopened_by,
            reopen_reason=c.reopen_reason,
        )


class CreditPublic(PublicModel):
    """A service credit (decimals as strings)."""

    customer: str
    service: str | None = Field(description="None: the customer's whole charge.")
    objective: str
    period_start: datetime
    period_end: datetime
    actual: Decimal
    target: Decimal
    tier_below: Decimal
    percent: Decimal = Field(description="Percent of the charge credited.")
    charge: Decimal | None = None
    amount: Decimal | None = None
    currency: str | None = None
    claim: ClaimMode
    claim_by: datetime | None = None
    reason: str

    @classmethod
    def of_credit(cls, c: Credit) -> CreditPublic:
        return cls(
            customer=c.customer,
            service=c.service,
            objective=c.objective,
            period_start=c.period_start,
            period_end=c.period_end,
            actual=c.actual,
            target=c.target,
            tier_below=c.tier_below,
            percent=c.percent,
            charge=c.charge,
            amount=c.amount,
            currency=c.currency,
            claim=c.claim,
            claim_by=c.claim_by,
            reason=c.reason,
        )


class FinalCreditPublic(CreditPublic):
    """A credit of a closed period, with the version of its close."""

    version: int
    closed_at: datetime


class ClosedPublic(PublicModel):
    """What closing did for one customer."""

    closure: ClosurePublic
    new: bool = Field(description="False: it was closed already.")
    credits: list[CreditPublic]

    @classmethod
    def of_closed(cls, d: Closed) -> ClosedPublic:
        return cls(
            closure=ClosurePublic.of_closure(d.closure),
            new=d.new,
            credits=[CreditPublic.of_credit(c) for c in d.credits],
        )


class ResultChangePublic(PublicModel):
    """An objective whose result differs from the final one."""

    service: str | None
    objective: str
    final_actual: Decimal | None
    final_verdict: Verdict | None
    now_actual: Decimal | None
    now_verdict: Verdict | None
    sentence: str

    @classmethod
    def of_change(cls, r: ResultChange) -> ResultChangePublic:
        def actual(x: ObjectiveResult | None) -> Decimal | None:
            return None if x is None else x.actual

        return cls(
            service=r.service,
            objective=r.objective,
            final_actual=actual(r.final),
            final_verdict=None if r.final is None else r.final.verdict,
            now_actual=actual(r.now),
            now_verdict=None if r.now is None else r.now.verdict,
            sentence=r.sentence(),
        )


class CreditChangePublic(PublicModel):
    """A credit that differs from the final one (or from the version before)."""

    service: str | None
    objective: str
    final: CreditPublic | None
    now: CreditPublic | None
    difference: Decimal | None = Field(description="The change in amount (+: more credit owed).")
    currency: str | None
    sentence: str

    @classmethod
    def of_change(cls, c: CreditChange) -> CreditChangePublic:
        return cls(
            service=c.service,
            objective=c.objective,
            final=None if c.final is None else CreditPublic.of_credit(c.final),
            now=None if c.now is None else CreditPublic.of_credit(c.now),
            difference=c.difference,
            currency=c.currency,
            sentence=c.sentence(),
        )


class AdjustmentsPublic(PublicModel):
    """What changed for one closed period since its close."""

    closure: ClosurePublic
    pending: bool
    results: list[ResultChangePublic]
    credits: list[CreditChangePublic]

    @classmethod
    def of_adjustments(cls, a: Adjustments) -> AdjustmentsPublic:
        return cls(
            closure=ClosurePublic.of_closure(a.closure),
            pending=a.pending,
            results=[ResultChangePublic.of_change(r) for r in a.results],
            credits=[CreditChangePublic.of_change(c) for c in a.credits],
        )


class VersionPublic(PublicModel):
    """One close of a period, its credits and the difference from the close before."""

    closure: ClosurePublic
    credits: list[CreditPublic]
    difference: list[CreditChangePublic]

    @classmethod
    def of_version(cls, v: Version) -> VersionPublic:
        return cls(
            closure=ClosurePublic.of_closure(v.closure),
            credits=[CreditPublic.of_credit(c) for c in v.credits],
            difference=[CreditChangePublic.of_change(c) for c in v.difference],
        )


class RolledUpPublic(PublicModel):
    """One objective rolled up."""

    objective: str
    metric: Metric
    target: Decimal
    actual: Decimal | None
    numerator: Decimal | None
    denominator: Decimal | None
    verdict: Verdict


class RollupPublic(PublicModel):
    """One group's objectives over the period."""

    key: str = Field(description="The provider, service or customer.")
    members: int = Field(description="Results rolled up.")
    final: int = Field(description="Of them, results of closed periods (others provisional).")
    results: list[RolledUpPublic]

    @classmethod
    def of_rollup(cls, r: Rollup) -> RollupPublic:
        return cls(
            key=r.key,
            members=r.members,
            final=r.final,
            results=[
                RolledUpPublic(
                    objective=x.objective,
                    metric=x.metric,
                    target=x.target,
                    actual=x.actual,
                    numerator=x.numerator,
                    denominator=x.denominator,
                    verdict=x.verdict,
                )
                for x in r.results
            ],
        )


class BurnWarningEventPublic(PublicModel):
    """A burn-rate warning as the event sent to event management."""

    fingerprint: str
    status: str = Field(description="`firing` while the burn goes on, `resolved` once over.")
    severity: str
    starts_at: datetime
    ends_at: datetime | None
    summary: str
    labels: dict[str, str]


class BurnCheckPublic(PublicModel):
    """What a burn-rate check found and sent to event management."""

    objectives: int = Field(description="Objectives whose burn rates were evaluated.")
    events: list[BurnWarningEventPublic]
    ingested: IngestResultPublic | None = Field(
        description="What event management did with them (None: no warning to send)."
    )

    @classmethod
    def of_check(cls, found: BurnCheck) -> BurnCheckPublic:
        """The public view of a check."""
        return cls(
            objectives=found.objectives,
            events=[
                BurnWarningEventPublic(
                    fingerprint=e.fingerprint, status=e.status.value, severity=e.severity.value,
                    starts_at=e.starts_at, ends_at=e.ends_at, summary=e.summary,
                    labels=dict(e.labels),
                )
                for e in found.events
            ],
            ingested=None
            if found.ingested is None
            else IngestResultPublic.of_result(found.ingested),
        )  # fmt: skip
