"""The customer's SLA report assembled from an evaluation: the provider and customer, the
period in words, a section per part (its results, outage timeline, windows, daily figures and
incidents in customer-facing words), credits, the feedback summary and the reviews.

The figures come from :mod:`servanda.measure` (:mod:`servanda.measure.daily` for the per-day
and per-outage ones) and :mod:`servanda.engagement.score`; this module only lays them out as
:mod:`servanda.reports.sla_model` records. Stored and stateless evaluations both go through
:func:`build_report`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from servanda.agreements.metrics import Metric
from servanda.agreements.model import ExcludedTime
from servanda.engagement import score
from servanda.engagement.model import Feedback
from servanda.measure import availability as av
from servanda.measure import daily
from servanda.measure.declarations import Declarations
from servanda.measure.evaluate import CustomerEvaluation, Evaluated, PartResult
from servanda.measure.objectives import Evidence
from servanda.measure.periods import ReportingPeriod
from servanda.measure.results import Verdict
from servanda.reports import sla_model as rm


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
    bundle: Declarations, ev: CustomerEvaluation, part: PartResult, evidence: Evidence
) -> rm.ServiceSection:
    svc = bundle.service_by_id.get(part.service) if part.service else None
    name = svc.name if svc is not None else "All services"
    zone = ZoneInfo(ev.period.timezone)
    if part.start > ev.period.start or part.end < ev.period.end:
        first = part.start.astimezone(zone).date()
        last = (part.end - timedelta(microseconds=1)).astimezone(zone).date()
        name = f"{name} ({first:%d %b} – {last:%d %b})"
    cal = daily.part_calendar(bundle, part)
    schedule = av.expand_schedule(cal, part.start, part.end, part.service)
    until = min(part.end, max(ev.now, part.start))
    target = next((r for r in part.results if r.metric is Metric.AVAILABILITY), None) or next(
        (r for r in part.results if r.metric is Metric.WEIGHTED_AVAILABILITY), None
    )
    return rm.ServiceSection(
        service=part.service,
        name=name,
        agreements=part.agreements,
        results=part.results,
        timeline=tuple(_timeline_entry(f) for f in daily.outage_figures(part, schedule, until)),
        windows=tuple(_window(w) for w in daily.schedule_windows(schedule)),
        daily=tuple(
            rm.DailyPoint(
                day=d.day,
                availability=d.availability,
                weighted_availability=d.weighted_availability,
                budget_remaining=d.budget_remaining,
            )
            for d in daily.daily_figures(part, cal, zone, until, target)
        ),
        incidents=_incidents(part, evidence),
    )


def _timeline_entry(found: daily.OutageFigures) -> rm.TimelineEntry:
    o = found.outage
    return rm.TimelineEntry(
        start=o.start,
        end=o.end,
        fraction=Decimal(str(o.fraction)),
        planned=o.planned,
        incident=o.incident_id,
        downtime_seconds=found.downtime_seconds,
        weighted_seconds=found.weighted_seconds,
    )


def _window(w: daily.Window) -> rm.TimeWindow:
    if w.weight is None:
        return rm.TimeWindow(
            kind=rm.WindowKind.MAINTENANCE, start=w.start, end=w.end, label="maintenance window"
        )
    return rm.TimeWindow(
        kind=rm.WindowKind.CRITICAL, start=w.start, end=w.end,
        weight=Decimal(str(w.weight)), label=f"critical ×{w.weight:g}",
    )  # fmt: skip


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
