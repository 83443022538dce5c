"""One customer over one reporting period: every objective of every agreement that applies,
the credits they earn, and the roll-up over the customer's services.

For each service the customer takes (and for the customer as a whole when it has no
subscription but a customer agreement), the period is cut where the effective agreement
changes (a service agreement starting on the 15th applies from the 15th:
:func:`~servanda.agreements.effective.change_dates`); each part is measured against the
agreement in force then. An objective measured per week, quarter or rolling window is evaluated
over its own window *to the end of the reporting period* (a quarterly satisfaction target in
the April report covers the quarter up to the end of April).

Outages in the evidence belong to a service and a customer; an outage whose ``service`` is a
*component* is composed into the services depending on it through the dependency graph
(:mod:`servanda.measure.compose`), which is how a provider with only component outages gets
service availability.

Credits follow each part's credit schedule on that part's results, with the subscription's
monthly charge prorated to the part. The roll-up over services adds numerators and
denominators (never averages ratios): :func:`servanda.measure.rollup.rollup`.

The stored path (``servanda report sla``, the API) and the stateless one (``servanda sla
evaluate``) both call :func:`evaluate_customer`; only where the evidence comes from differs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from servanda.agreements.effective import (
    AmbiguousAgreement,
    EffectiveAgreement,
    change_dates,
    effective_agreement,
)
from servanda.agreements.model import ExcludedTime, Objective, PeriodKind
from servanda.calendars.model import WeekStart
from servanda.core.intervals import IntervalSet
from servanda.core.problems import NotFound
from servanda.engagement.model import Review
from servanda.events.outages import Outage
from servanda.measure.compose import DownSegment, compose_downtime
from servanda.measure.credits import credit_for
from servanda.measure.declarations import Declarations
from servanda.measure.objectives import Evidence, Window, measure_objective
from servanda.measure.periods import ReportingPeriod, periods_between
from servanda.measure.results import Credit, ObjectiveResult
from servanda.measure.rollup import rollup


@dataclass(frozen=True, slots=True)
class PartResult:
    """One service of the customer (or the customer as a whole, ``service`` None) over one part
    of the period under one effective agreement."""

    customer: str
    service: str | None
    start: datetime
    end: datetime
    agreements: tuple[str, ...]
    """The agreement versions merged, widest level first."""
    excluded_time: ExcludedTime
    results: tuple[ObjectiveResult, ...]
    credit: Credit | None
    outages: tuple[Outage, ...]
    """The outages of this service and customer overlapping the part."""


@dataclass(frozen=True, slots=True)
class CustomerEvaluation:
    """Everything measured for one customer over one period."""

    customer: str
    period: ReportingPeriod
    now: datetime
    parts: tuple[PartResult, ...]
    overall: tuple[ObjectiveResult, ...]
    """Roll-up over the customer's services (numerators and denominators added)."""
    notes: tuple[str, ...] = ()

    @property
    def credits(self) -> tuple[Credit, ...]:
        """Every credit earned in the period."""
        return tuple(p.credit for p in self.parts if p.credit is not None)


def evaluate_customer(
    bundle: Declarations,
    customer: str,
    period: ReportingPeriod,
    evidence: Evidence,
    now: datetime,
) -> CustomerEvaluation:
    """Every objective of ``customer`` over ``period`` (see the module documentation).

    ``now`` bounds what has happened: a period still running is measured up to ``now`` and its
    budgets say how much is left. Raises :class:`NotFound` for an unknown customer.
    """
    if customer not in bundle.party_by_id:
        raise NotFound(f"no customer {customer!r}")
    notes: list[str] = []
    outages = _service_outages(bundle, evidence.outages, now)
    spans = _subscribed(bundle, customer, period)
    if bundle.subscriptions_of(customer) and not spans:
        notes.append(f"{customer}: no subscription in force in {period.label}")
    scopes: list[tuple[str | None, datetime, datetime]] = (
        [(service, lo, hi) for service, (lo, hi) in sorted(spans.items())]
        if bundle.subscriptions_of(customer)
        else [(None, period.start, period.end)]
    )
    parts: list[PartResult] = []
    for service, lo, hi in scopes:
        mine = tuple(
            o
            for o in outages
            if o.customer == customer and (service is None or o.service == service)
        )
        for start, end, eff in _parts(bundle, customer, service, period, lo, hi, notes):
            parts.append(_measure_part(bundle, eff, customer, service, start, end, period, now,
                                       mine, evidence))  # fmt: skip
    overall = tuple(rollup([r for p in parts for r in p.results]))
    return CustomerEvaluation(customer, period, now, tuple(parts), overall, tuple(notes))


def _subscribed(
    bundle: Declarations, customer: str, period: ReportingPeriod
) -> dict[str, tuple[datetime, datetime]]:
    """For each service ``customer`` subscribes to in ``period``, the part of the period its
    subscriptions cover (their dates are local days in the period's timezone; several
    subscriptions to one service are taken from the first start to the last end)."""
    zone = ZoneInfo(period.timezone)
    found: dict[str, tuple[datetime, datetime]] = {}
    for sub in bundle.subscriptions_of(customer):
        lo = period.start if sub.start is None else max(period.start, _midnight(sub.start, zone))
        hi = period.end if sub.end is None else min(period.end, _midnight(sub.end, zone))
        if hi <= lo:
            continue
        seen = found.get(sub.service)
        found[sub.service] = (lo, hi) if seen is None else (min(seen[0], lo), max(seen[1], hi))
    return found


def _parts(
    bundle: Declarations,
    customer: str,
    service: str | None,
    period: ReportingPeriod,
    lo: datetime,
    hi: datetime,
    notes: list[str],
) -> list[tuple[datetime, datetime, EffectiveAgreement]]:
    """``[lo, hi)`` (the period, or the part of it a subscription covers) cut where the
    agreement changes, each part with its effective agreement."""
    zone = ZoneInfo(period.timezone)
    first = lo.astimezone(zone).date()
    last = hi.astimezone(zone).date()
    provider = _provider(bundle, customer, service)
    days = [first, *change_dates(bundle.agreements, provider, customer, service, first, last), last]
    out = []
    for a, b in pairwise(days):
        start = max(_midnight(a, zone), lo)
        end = min(_midnight(b, zone), hi) if b != last else hi
        if end <= start:
            continue
        try:
            eff = effective_agreement(bundle.agreements, provider, customer, service, a)
        except AmbiguousAgreement as exc:
            notes.append(f"{service or customer}: {exc}")
            continue
        if not eff.chain:
            notes.append(f"{service or customer}: no agreement in force on {a}")
            continue
        out.append((start, end, eff))
    return out


def _provider(bundle: Declarations, customer: str, service: str | None) -> str:
    if service is not None and service in bundle.service_by_id:
        return bundle.service_by_id[service].provider
    for a in bundle.agreements:
        if a.customer == customer:
            return a.provider
    return ""


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=zone)


def _measure_part(
    bundle: Declarations,
    eff: EffectiveAgreement,
    customer: str,
    service: str | None,
    start: datetime,
    end: datetime,
    period: ReportingPeriod,
    now: datetime,
    outages: tuple[Outage, ...],
    evidence: Evidence,
) -> PartResult:
    results = []
    for sourced in eff.objectives:
        objective = sourced.value
        probe = Window(bundle, eff, customer, service, start, end, now, outages, evidence)
        weeks = probe.calendar(objective).week_start
        w_start, w_end = _objective_window(objective, start, end, period, weeks)
        window = Window(bundle, eff, customer, service, w_start, w_end, now, outages, evidence)
        results.append(measure_objective(objective, window))
    credit = None
    if eff.credits is not None:
        sub = next((s for s in bundle.subscriptions_of(customer) if s.service == service), None)
        zone = ZoneInfo(period.timezone)
        credit = credit_for(
            eff.credits.value,
            results,
            customer=customer,
            service=service,
            period_start=start,
            period_end=end,
            local_days=(start.astimezone(zone).date(), _day_after(end, zone)),
            monthly_charge=sub.monthly_charge if sub is not None else None,
            currency=sub.currency if sub is not None else None,
        )
    overlapping = tuple(o for o in outages if o.start < end and (o.end is None or o.end > start))
    return PartResult(
        customer=customer,
        service=service,
        start=start,
        end=end,
        agreements=tuple(a.id for a in eff.chain),
        excluded_time=eff.excluded_time.value,
        results=tuple(results),
        credit=credit,
        outages=overlapping,
    )


def _day_after(end: datetime, zone: ZoneInfo) -> date:
    """The local date ``end`` falls on: the first day after the part (parts end at midnight)."""
    return end.astimezone(zone).date()


def _objective_window(
    objective: Objective,
    start: datetime,
    end: datetime,
    period: ReportingPeriod,
    week_start: WeekStart = WeekStart.MONDAY,
) -> tuple[datetime, datetime]:
    """The window an objective is measured over in this part (see the module documentation):
    a rolling objective its length back from the part's end; an objective whose own period
    began before the report's (a quarterly target in the May report) its period to date, in
    the part that opens the report; otherwise the part itself (a monthly objective in a part
    of the month is measured over that part alone)."""
    kind = objective.period.kind
    if kind is PeriodKind.ROLLING:
        length = objective.period.length
        return (end - length, end) if length is not None else (start, end)
    if start != period.start:
        return start, end
    last = end - timedelta(microseconds=1)
    own = periods_between(kind, last, end, period.timezone, week_start=week_start)
    if own and own[-1].start < start:
        return own[-1].start, end
    return start, end


def _service_outages(
    bundle: Declarations, outages: Sequence[Outage], now: datetime
) -> list[Outage]:
    """Outages of services as given; outages of components composed into the services that
    depend on them, for each customer of those services (an outage still open lasts until
    ``now``). A service is down while its requirements fail (redundancy reads as in
    correlation); its downtime is planned where only planned component outages take it down.
    Partial component outages are not composed (a share of a component says nothing of the
    share of a service)."""
    direct = [o for o in outages if o.service in bundle.service_by_id]
    every: dict[str, IntervalSet] = {}
    unplanned: dict[str, IntervalSet] = {}
    for o in outages:
        if o.service in bundle.service_by_id or o.fraction < 1:
            continue
        end = now if o.end is None else o.end
        if end <= o.start:
            continue
        span = IntervalSet.span(o.start, end)
        every[o.service] = every.get(o.service, IntervalSet.empty()) | span
        if not o.planned:
            unplanned[o.service] = unplanned.get(o.service, IntervalSet.empty()) | span
    if not every:
        return direct
    composed: list[Outage] = []
    graph = bundle.graph
    for svc in bundle.services:
        customers = sorted({sub.customer for sub in bundle.subscriptions if sub.service == svc.id})
        if not customers:
            continue
        down = compose_downtime(graph, svc.id, unplanned)
        covered = IntervalSet.from_pairs((piece.start, piece.end) for piece in down)
        pieces = [(piece, False) for piece in down]
        for piece in compose_downtime(graph, svc.id, every):
            rest = IntervalSet.span(piece.start, piece.end) - covered
            pieces += [(DownSegment(a, b, piece.fraction), True) for a, b in rest.to_pairs()]
        pieces.sort(key=lambda item: item[0].start)
        for customer in customers:
            for n, (piece, planned) in enumerate(pieces):
                composed.append(
                    Outage(
                        incident_id=f"composed-{svc.id}-{n}",
                        service=svc.id,
                        customer=customer,
                        start=piece.start,
                        end=piece.end,
                        fraction=piece.fraction,
                        planned=planned,
                    )
                )
    return direct + composed


@dataclass(frozen=True, slots=True)
class Evaluated:
    """An evaluation with what it was computed from, and the reviews its report shows."""

    bundle: Declarations
    evaluation: CustomerEvaluation
    evidence: Evidence
    reviews: tuple[Review, ...] = ()
