"""SLA measurement use cases: gather a customer's evidence, evaluate, and lay the results out
as the customer's report. Evaluating stores nothing: results and credits become final only
when a period is closed (:mod:`servanda.services.closing`).

Two paths share :func:`servanda.measure.evaluate.evaluate_customer`:

* **stored** (:func:`evaluate_stored`): the configuration, outages, incidents, measurements,
  attestations and feedback come from the database;
* **stateless** (:func:`evaluate_files`): a configuration folder and files of outages and
  measurements — for scripting and audits.

Both build the same :class:`~servanda.reports.sla_model.SlaReport` with :func:`build_report`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from servanda.agreements.effective import AmbiguousAgreement, effective_agreement
from servanda.agreements.metrics import Metric
from servanda.agreements.model import ExcludedTime, PeriodKind
from servanda.calendars.model import Calendar
from servanda.config.bundle import Bundle
from servanda.config.loader import load_config
from servanda.core.access import Action, Principal
from servanda.core.intervals import from_us, to_us
from servanda.core.problems import InvalidInput, NotFound, Problem, Severity
from servanda.engagement import score
from servanda.engagement.model import Feedback, Review
from servanda.events.incidents import Incident
from servanda.events.outages import Outage
from servanda.ingest.attestations import read_attestation_file
from servanda.ingest.feedback import read_feedback_file
from servanda.ingest.measurements import read_measurement_file
from servanda.ingest.outage_files import read_outage_file
from servanda.measure import availability as av
from servanda.measure.evaluate import CustomerEvaluation, PartResult, evaluate_customer
from servanda.measure.inputs import Attestation, Measurement
from servanda.measure.objectives import ALWAYS, Evidence
from servanda.measure.periods import ReportingPeriod, parse_period, periods_between
from servanda.measure.results import ObjectiveResult, Verdict
from servanda.measure.rollup import rollup
from servanda.reports import sla_model as rm
from servanda.storage.database import transaction
from servanda.storage.repositories import BundleRepository
from servanda.storage.repositories.engagement import EngagementRepository
from servanda.storage.repositories.incidents import IncidentRepository
from servanda.storage.repositories.measurements import (
    AttestationRepository,
    MeasurementRepository,
)
from servanda.storage.repositories.results import StoredCredit, StoredResult

LOOKBACK = timedelta(days=35)
"""How far before a period evidence is read at least (an objective measured over a quarter,
a year or a rolling window reaches back further: :func:`evidence_start`)."""
MAX_WINDOWS = 400
"""Critical and maintenance windows drawn per service in a report."""


@dataclass(frozen=True, slots=True)
class Evaluated:
    """An evaluation with what it was computed from."""

    bundle: Bundle
    evaluation: CustomerEvaluation
    evidence: Evidence
    reviews: tuple[Review, ...] = ()


# -- periods -------------------------------------------------------------------------------


def customer_timezone(bundle: Bundle, customer: str, on: date) -> str:
    """The timezone of the calendar of ``customer``'s agreements (UTC without one)."""
    provider = next((a.provider for a in bundle.agreements if a.customer == customer), None)
    if provider is None:
        subs = bundle.subscriptions_of(customer)
        svc = bundle.service_by_id.get(subs[0].service) if subs else None
        provider = svc.provider if svc is not None else None
    if provider is None:
        return "UTC"
    try:
        eff = effective_agreement(bundle.agreements, provider, customer, None, on)
    except AmbiguousAgreement:  # two agreements compete: the evaluation reports it
        return "UTC"
    name = eff.calendar.value if eff.calendar is not None else None
    cal = bundle.calendar_by_id.get(name) if name else None
    return cal.timezone if cal is not None else "UTC"


def period_of(bundle: Bundle, customer: str, text: str, now: datetime) -> ReportingPeriod:
    """``text`` (``2024-04``, ``2024-Q2``, ``2024-W14`` …) in the customer's timezone; a bad
    period is :class:`InvalidInput` at ``period``."""
    zone = customer_timezone(bundle, customer, now.date())
    try:
        first = parse_period(text, zone)
        return parse_period(text, customer_timezone(bundle, customer, first.start.date()))
    except ValueError as exc:
        raise InvalidInput([Problem(str(exc), path=("period",))]) from None


# -- the stored path -----------------------------------------------------------------------


def evidence_start(bundle: Bundle, period: ReportingPeriod) -> datetime:
    """The earliest instant evaluating ``period`` may read: the start of the longest window an
    objective of ``bundle`` is measured over in it (its quarter or year to date, its rolling
    window), and at least :data:`LOOKBACK` before the period."""
    since = period.start - LOOKBACK
    first = period.start + timedelta(microseconds=1)
    kinds = {o.period for a in bundle.agreements for o in a.objectives}
    for p in kinds:
        if p.kind is PeriodKind.ROLLING:
            if p.length is not None:
                since = min(since, period.end - p.length)
            continue
        own = periods_between(p.kind, period.start, first, period.timezone)
        if own:
            since = min(since, own[0].start)
    return since


def stored_outages(
    session: Session, customer: str, start: datetime, end: datetime
) -> tuple[Outage, ...]:
    """The stored outages of ``customer`` overlapping ``[start, end)``."""
    return tuple(
        Outage(
            incident_id=o.incident_id,
            service=o.service,
            customer=o.customer or customer,
            start=o.start,
            end=o.end,
            fraction=float(o.fraction),
            planned=o.planned,
        )
        for o in IncidentRepository(session).outages(customer=customer, since=start, until=end)
    )


def gather_evidence(
    session: Session, bundle: Bundle, customer: str, start: datetime, end: datetime
) -> Evidence:
    """What evaluating ``customer`` reads from storage about ``[start, end)``: the outages
    overlapping it and their incidents, the measurements of the series that may concern the
    customer, its feedback, and the attestations overlapping it."""
    incidents_repo = IncidentRepository(session)
    outages = stored_outages(session, customer, start, end)
    incidents: dict[str, Incident] = {}
    for o in outages:
        if o.incident_id not in incidents:
            found = incidents_repo.get(o.incident_id)
            if found is not None:
                incidents[o.incident_id] = found
    measurements = MeasurementRepository(session)
    taken = {s.service for s in bundle.subscriptions_of(customer)}
    series = {
        s.id: tuple(m.measurement for m in measurements.records(s.id, start, end))
        for s in bundle.series
        if s.customer == customer
        or (s.customer is None and s.node not in bundle.service_by_id)
        or (s.customer is None and s.node in taken)
    }
    feedback = tuple(
        f.feedback for f in EngagementRepository(session).feedback(customer, None, start, end)
    )
    attestations = tuple(AttestationRepository(session).attestations(overlapping=(start, end)))
    return Evidence(
        outages=outages,
        incidents=incidents,
        measurements=series,
        attestations=attestations,
        feedback=feedback,
    )


def evaluate_stored(
    engine: Engine, principal: Principal, customer: str, period: str, now: datetime
) -> Evaluated:
    """Evaluate ``customer`` over ``period`` from storage, as of ``now``; stores nothing.
    Customers may evaluate only themselves."""
    check_reader(principal, customer)
    with transaction(engine) as session:
        bundle = BundleRepository(session).load()
        return evaluate_in(
            session, bundle, customer, period_of_customer(bundle, customer, period, now), now
        )


def check_reader(principal: Principal, customer: str) -> None:
    """Raise unless ``principal`` may read ``customer``'s results: another customer's are
    :class:`NotFound`, as those of a customer that does not exist."""
    principal.require(Action.READ)
    if principal.scope is not None and principal.scope != customer:
        raise NotFound(f"no customer {customer!r}")


def period_of_customer(
    bundle: Bundle, customer: str, period: str, now: datetime
) -> ReportingPeriod:
    """``period`` for ``customer`` (see :func:`period_of`); an unknown customer is
    :class:`NotFound`."""
    if customer not in bundle.party_by_id:
        raise NotFound(f"no customer {customer!r}")
    return period_of(bundle, customer, period, now)


def evaluate_in(
    session: Session, bundle: Bundle, customer: str, chosen: ReportingPeriod, now: datetime
) -> Evaluated:
    """Evaluate ``customer`` over ``chosen`` from what ``session`` reads (access checked by
    the caller)."""
    since = evidence_start(bundle, chosen)
    evidence = gather_evidence(session, bundle, customer, since, chosen.end)
    reviews = tuple(
        r.review
        for r in EngagementRepository(session).reviews(
            customer, None, chosen.start.date(), chosen.end.date() + timedelta(days=1)
        )
    )
    evaluation = evaluate_customer(bundle, customer, chosen, evidence, now)
    return Evaluated(bundle, evaluation, evidence, reviews)


def stored_rows(
    evaluated: Evaluated, computed_at: datetime
) -> tuple[list[StoredResult], list[StoredCredit]]:
    """The results (rolled up per service) and credits of an evaluation, as stored when its
    period is closed."""
    bundle, evaluation = evaluated.bundle, evaluated.evaluation
    period = evaluation.period
    by_service: dict[str | None, list[ObjectiveResult]] = {}
    provider: dict[str | None, str] = {}
    for part in evaluation.parts:
        by_service.setdefault(part.service, []).extend(part.results)
        svc = bundle.service_by_id.get(part.service) if part.service else None
        provider[part.service] = svc.provider if svc is not None else ""
    results = [
        StoredResult(
            provider=provider[service],
            customer=evaluation.customer,
            service=service,
            period_label=period.label,
            period_start=period.start,
            period_end=period.end,
            result=_storable(result),
            computed_at=computed_at,
        )
        for service, found in by_service.items()
        for result in rollup(found)
    ]
    credits = [
        StoredCredit(part.credit, computed_at)
        for part in evaluation.parts
        if part.credit is not None
    ]
    return results, credits


def _storable(result: ObjectiveResult) -> ObjectiveResult:
    """A result whose actual reads back from its numerator and denominator (see the results
    table): one without a figure keeps neither; a statistic without them is stored as its
    actual over its scale by the repository."""
    if result.actual is None and (result.numerator is not None or result.denominator is not None):
        return replace(result, numerator=None, denominator=None)
    return result


# -- the stateless path --------------------------------------------------------------------


def evaluate_files(
    config: Sequence[Path],
    outages_file: Path,
    measurement_files: Sequence[Path],
    period: str,
    now: datetime,
    customers: Sequence[str] = (),
    attestation_files: Sequence[Path] = (),
    feedback_files: Sequence[Path] = (),
) -> list[Evaluated]:
    """Evaluate from a configuration and files, storing nothing. Every customer with an outage
    or a subscription is evaluated unless ``customers`` names some. Attestations and feedback
    are optional (without attestations every control counts as not met). Problems in any file
    are :class:`InvalidInput`, all of them at once."""
    read = load_config(config)
    problems = [p for p in read.problems if p.severity is Severity.ERROR]
    bundle = read.bundle
    outages, found = read_outage_file(outages_file, bundle=bundle)
    problems += found
    by_series: dict[str, list[Measurement]] = {}
    for path in measurement_files:
        measured, found = read_measurement_file(path, series_by_id=bundle.series_by_id)
        problems += found
        for m in measured:
            by_series.setdefault(m.series, []).append(m)
    attested: list[Attestation] = []
    for path in attestation_files:
        taken, found = read_attestation_file(path, bundle=bundle)
        problems += found
        attested += taken
    answers: list[Feedback] = []
    for path in feedback_files:
        given, found = read_feedback_file(path, bundle=bundle)
        problems += found
        answers += given
    if problems:
        raise InvalidInput(problems)
    evidence = Evidence(
        outages=tuple(outages),
        measurements={k: tuple(sorted(v, key=lambda m: m.at)) for k, v in by_series.items()},
        attestations=tuple(attested),
        feedback=tuple(answers),
    )
    chosen = list(customers) or sorted(
        {o.customer for o in outages} | {s.customer for s in bundle.subscriptions}
    )
    out = []
    for customer in chosen:
        if customer not in bundle.party_by_id:
            raise NotFound(f"no customer {customer!r}")
        reporting = period_of(bundle, customer, period, now)
        out.append(Evaluated(bundle, evaluate_customer(bundle, customer, reporting, evidence, now),
                             evidence))  # fmt: skip
    return out


# -- the report ----------------------------------------------------------------------------


def build_report(
    evaluated: Evaluated, generated_at: datetime, closing: rm.Closing | None = None
) -> rm.SlaReport:
    """The customer's report of an evaluation (provisional unless ``closing`` says final)."""
    bundle, ev, evidence = evaluated.bundle, evaluated.evaluation, evaluated.evidence
    customer = bundle.party_by_id[ev.customer]
    provider_id = next(
        (
            bundle.service_by_id[p.service].provider
            for p in ev.parts
            if p.service and p.service in bundle.service_by_id
        ),
        "",
    )
    provider = bundle.party_by_id.get(provider_id)
    conventions = {p.excluded_time for p in ev.parts} or {ExcludedTime.EXCLUDE}
    convention = sorted(conventions, key=lambda c: c.value)[0]
    sections = tuple(_section(bundle, ev, part, evidence) for part in ev.parts)
    notes = list(ev.notes)
    if len(conventions) > 1:
        notes.append(
            "Services of this report follow different conventions for planned maintenance; "
            "each result states its own."
        )
    return rm.SlaReport(
        provider=rm.Party(id=provider_id or "provider", name=provider.name if provider else "—"),
        customer=rm.Party(id=customer.id, name=customer.name),
        period=rm.ReportPeriod(
            label=_period_words(ev.period),
            start=ev.period.start,
            end=ev.period.end,
            timezone=ev.period.timezone,
        ),
        generated_at=generated_at,
        convention=rm.convention_for(convention),
        sections=sections,
        credits=ev.credits,
        feedback=_feedback(ev, evidence.feedback, sections),
        reviews=evaluated.reviews,
        notes=tuple(notes),
        closing=closing or rm.Closing(),
    )


def _period_words(period: ReportingPeriod) -> str:
    label = period.label
    if len(label) == 7 and label[4] == "-":
        return period.start.astimezone(ZoneInfo(period.timezone)).strftime("%B %Y")
    return label


def _section(
    bundle: Bundle, ev: CustomerEvaluation, part: PartResult, evidence: Evidence
) -> rm.ServiceSection:
    svc = bundle.service_by_id.get(part.service) if part.service else None
    name = svc.name if svc is not None else "All services"
    zone = ZoneInfo(ev.period.timezone)
    if part.start > ev.period.start or part.end < ev.period.end:
        first = part.start.astimezone(zone).date()
        last = (part.end - timedelta(microseconds=1)).astimezone(zone).date()
        name = f"{name} ({first:%d %b} – {last:%d %b})"
    cal = _calendar(bundle, part)
    schedule = av.expand_schedule(cal, part.start, part.end, part.service)
    until = min(part.end, max(ev.now, part.start))
    timeline = _timeline(part, schedule, until)
    target = next((r for r in part.results if r.metric is Metric.AVAILABILITY), None) or next(
        (r for r in part.results if r.metric is Metric.WEIGHTED_AVAILABILITY), None
    )
    return rm.ServiceSection(
        service=part.service,
        name=name,
        agreements=part.agreements,
        results=part.results,
        timeline=timeline,
        windows=_windows(schedule),
        daily=_daily(part, cal, zone, until, target, ev.period),
        incidents=_incidents(part, evidence),
    )


def _calendar(bundle: Bundle, part: PartResult) -> Calendar:
    name = None
    svc = bundle.service_by_id.get(part.service) if part.service else None
    for a in reversed(part.agreements):
        found = next((x for x in bundle.agreements if x.id == a and x.calendar), None)
        if found is not None:
            name = found.calendar
            break
    if name is None and svc is not None:
        name = svc.calendar
    cal = bundle.calendar_by_id.get(name) if name else None
    return cal if cal is not None else ALWAYS


def _ended(o: Outage, until: datetime) -> tuple[int, int]:
    start = to_us(o.start)
    end = to_us(until) if o.end is None else min(to_us(o.end), to_us(until))
    return start, max(start, end)


def _timeline(
    part: PartResult, schedule: av.Schedule, until: datetime
) -> tuple[rm.TimelineEntry, ...]:
    outages = [o for o in part.outages if o.start < until]
    if not outages:
        return ()
    spans = [_ended(o, until) for o in outages]
    columns = av.OutageColumns.from_arrays(
        np.arange(len(outages), dtype=np.int64),
        [max(s, schedule.start_us) for s, _ in spans],
        [max(min(e, schedule.end_us), max(s, schedule.start_us)) for s, e in spans],
        [o.fraction for o in outages],
        [False for _ in outages],
    )
    figures = av.measure(columns, [schedule], np.zeros(len(outages), dtype=np.int64))
    entries = []
    for i, o in enumerate(outages):
        entries.append(
            rm.TimelineEntry(
                start=o.start,
                end=o.end,
                fraction=Decimal(str(o.fraction)),
                planned=o.planned,
                incident=o.incident_id,
                downtime_seconds=Decimal(round(float(figures.unplanned_us[i]))) / 1_000_000,
                weighted_seconds=Decimal(round(float(figures.unplanned_w[i]))) / 1_000_000,
            )
        )
    return tuple(entries)


def _windows(schedule: av.Schedule) -> tuple[rm.TimeWindow, ...]:
    out: list[rm.TimeWindow] = []
    for s, e in zip(
        schedule.maintenance.starts.tolist(), schedule.maintenance.ends.tolist(), strict=True
    ):
        window = rm.TimeWindow(
            kind=rm.WindowKind.MAINTENANCE, start=from_us(s), end=from_us(e),
            label="maintenance window",
        )  # fmt: skip
        out.append(window)
    w = schedule.weights
    for s, e, weight in zip(w.starts.tolist(), w.ends.tolist(), w.weights.tolist(), strict=True):
        if weight != 1.0 and e > s:
            out.append(
                rm.TimeWindow(
                    kind=rm.WindowKind.CRITICAL,
                    start=from_us(max(s, schedule.start_us)),
                    end=from_us(min(e, schedule.end_us)),
                    weight=Decimal(str(weight)),
                    label=f"critical ×{weight:g}",
                )
            )
    out = [x for x in out if x.end > x.start]
    return tuple(sorted(out, key=lambda x: x.start)[:MAX_WINDOWS])


def _daily(
    part: PartResult,
    cal: Calendar,
    zone: ZoneInfo,
    until: datetime,
    target: ObjectiveResult | None,
    period: ReportingPeriod,
) -> tuple[rm.DailyPoint, ...]:
    convention = part.excluded_time
    day = part.start.astimezone(zone).date()
    points = []
    budget_total = None
    if target is not None and target.budget is not None:
        budget_total = target.budget.allowed  # the whole part's, in the target's own seconds
    follows_weighted = target is not None and target.metric is Metric.WEIGHTED_AVAILABILITY
    spent = Decimal(0)
    while True:
        start = max(datetime(day.year, day.month, day.day, tzinfo=zone), part.start)
        nxt = day + timedelta(days=1)
        end = min(datetime(nxt.year, nxt.month, nxt.day, tzinfo=zone), part.end)
        if start >= end or start >= until:
            break
        end = min(end, until)
        schedule = av.expand_schedule(cal, start, end, part.service)
        plain = av.group_availability(_day_outages(part, start, end), schedule, convention)
        weighted = av.group_availability(
            _day_outages(part, start, end), schedule, convention, weighted=True
        )
        spent += weighted[1] - weighted[0] if follows_weighted else plain[1] - plain[0]
        remaining = None
        if budget_total:
            remaining = (budget_total - spent) / budget_total * 100
        points.append(
            rm.DailyPoint(
                day=day,
                availability=_pct(plain),
                weighted_availability=_pct(weighted),
                budget_remaining=remaining,
            )
        )
        day = nxt
    return tuple(points)


def _day_outages(part: PartResult, start: datetime, end: datetime) -> list[Outage]:
    out = []
    for o in part.outages:
        s = max(o.start, start)
        e = end if o.end is None else min(o.end, end)
        if e > s:
            out.append(replace(o, start=s, end=e))
    return out


def _pct(pair: tuple[Decimal, Decimal]) -> Decimal | None:
    num, den = pair
    return None if den == 0 else num / den * 100


def _incidents(part: PartResult, evidence: Evidence) -> tuple[rm.IncidentEntry, ...]:
    ids = sorted({o.incident_id for o in part.outages})
    out = []
    for i in ids:
        inc = evidence.incidents.get(i)
        if inc is None:
            continue
        out.append(
            rm.IncidentEntry(
                id=inc.id,
                severity=inc.severity.value,
                detected=inc.detected_at,
                acknowledged=inc.acknowledged_at,
                restored=inc.resolved_at,
                # customer-facing: the services it took down, never the provider's components
                title=", ".join(sorted({o.service for o in part.outages if o.incident_id == i}))
                + " unavailable",
            )
        )
    return tuple(out)


def _feedback(
    ev: CustomerEvaluation,
    feedback: Iterable[Feedback],
    sections: Sequence[rm.ServiceSection],
) -> rm.FeedbackSummary | None:
    period = ev.period
    mine = [f for f in feedback if f.customer == ev.customer]
    inside = score.in_period(mine, period.start, period.end)
    if not mine:
        return None
    csat = score.csat_score(inside)
    nps = score.nps_score(inside)
    trend_start = period.start - timedelta(days=62)
    months = score.monthly_trend(mine, period.timezone, trend_start, period.end)
    met = [r for r in ev.overall if r.verdict is not Verdict.NO_DATA]
    measured = (
        Decimal(sum(1 for r in met if r.verdict is Verdict.MET)) / Decimal(len(met)) * 100
        if met
        else None
    )
    experience = None
    if measured is not None:
        found = score.experience_score(inside, measured)
        if found is not None:
            experience = rm.ExperienceScore(
                perceived=found.perceived,
                measured=found.measured,
                sentence=found.reading,
            )
    availability = next((r for r in ev.overall if r.metric is Metric.AVAILABILITY), None)
    weighted = next((r for r in ev.overall if r.metric is Metric.WEIGHTED_AVAILABILITY), None)
    trend = []
    for m in months:
        this = _same_month(m.month, period)
        trend.append(
            rm.FeedbackMonth(
                month=m.month,
                count=m.count,
                csat=m.csat.mean if m.csat is not None else None,
                nps=m.nps.score if m.nps is not None else None,
                availability=availability.actual if availability and this else None,
                weighted_availability=weighted.actual if weighted and this else None,
            )
        )
    recent = tuple(
        rm.FeedbackComment(at=f.at, comment=f.comment, service=f.service, csat=f.csat, nps=f.nps)
        for f in sorted(inside, key=lambda f: f.at, reverse=True)
        if f.comment
    )[:10]
    return rm.FeedbackSummary(
        count=len(inside),
        csat=csat.mean if csat is not None else None,
        nps=nps.score if nps is not None else None,
        trend=tuple(trend),
        recent=recent,
        experience=experience,
    )


def _same_month(month: date, period: ReportingPeriod) -> bool:
    local = period.start.astimezone(ZoneInfo(period.timezone)).date()
    return (month.year, month.month) == (local.year, local.month)
