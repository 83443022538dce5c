"""One objective over one window: the metric computed from the evidence, compared with its
target, with its budget, breaches and the figures a report prints.

:func:`measure_objective` dispatches on the objective's metric. Every result keeps the
numerator and denominator its ``actual`` comes from (see :mod:`servanda.measure.results`):

==========================  ==========================  ==================================
metric                      numerator                   denominator
==========================  ==========================  ==================================
availability (outages)      agreed seconds up           agreed seconds (per convention)
weighted_availability       weighted seconds up         weighted agreed seconds
availability (good/total)   good events                 total events
availability (loss series)  available Δt intervals      Δt intervals (MEF 10.3)
mttr (MTRS)                 downtime seconds            failures
mtbf / mtbsi                uptime (+ downtime) s       failures
mtta                        Σ (acknowledged − detected) acknowledged incidents
incident_count              failures                    1
packet_loss                 lost frames                 frames sent
good_ratio                  good events (or slices)     total events (or slices with data)
satisfaction                Σ CSAT                      answers with a CSAT
nps                         promoters − detractors      answers with an NPS
control_compliance          controls met                controls due
latency, delay, jitter,     the statistic               1 (not summable: no roll-up)
throughput, response and
resolution times
==========================  ==========================  ==================================

Percentages are ``100 × numerator / denominator``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import numpy as np

from servanda.agreements.effective import EffectiveAgreement
from servanda.agreements.metrics import METRICS, Metric
from servanda.agreements.model import (
    Budgeting,
    Comparator,
    ExcludedTime,
    MefParameters,
    Objective,
    SeverityTarget,
)
from servanda.calendars.model import Calendar
from servanda.core.durations import format_duration
from servanda.core.intervals import to_us
from servanda.engagement.model import Feedback
from servanda.events.incidents import Incident, IncidentState
from servanda.events.model import Severity
from servanda.events.outages import Outage
from servanda.measure import availability as av
from servanda.measure import budget, reliability, series, timeslices
from servanda.measure.declarations import Declarations
from servanda.measure.inputs import Attestation, Measurement, Series, SeriesKind
from servanda.measure.jitter import interarrival_jitter, one_way_delays_ms, packet_columns
from servanda.measure.mef import mef_availability_of
from servanda.measure.results import Breach, Budget, ObjectiveResult, Verdict
from servanda.measure.rtp_loss import rtp_loss
from servanda.measure.series_choice import series_for

ALWAYS = Calendar(id="always", timezone="UTC")
"""The calendar of an agreement that names none: every instant is agreed service time."""
MEF_INTERVAL = timedelta(minutes=1)
"""Δt when the series declares no interval."""
MAX_BREACHES = 10
"""Breaches listed per objective (the largest first); the rest are counted in a figure."""
_HUNDRED = Decimal(100)


@dataclass(frozen=True, slots=True)
class Evidence:
    """Everything evaluation reads, in memory (from storage or from files)."""

    outages: tuple[Outage, ...] = ()
    incidents: Mapping[str, Incident] = field(default_factory=dict)
    measurements: Mapping[str, tuple[Measurement, ...]] = field(default_factory=dict)
    """By series id."""
    attestations: tuple[Attestation, ...] = ()
    feedback: tuple[Feedback, ...] = ()


@dataclass(frozen=True, slots=True)
class Window:
    """What one objective is measured over: a customer's service (or the customer as a whole)
    from ``start`` to ``end``, judged at ``now``."""

    bundle: Declarations
    agreement: EffectiveAgreement
    customer: str
    service: str | None
    start: datetime
    end: datetime
    now: datetime
    outages: tuple[Outage, ...]
    """The outages of this customer's service, any time (clipped here)."""
    evidence: Evidence

    @property
    def until(self) -> datetime:
        """The end of what has happened: ``min(end, now)``."""
        return min(self.end, max(self.now, self.start))

    def calendar(self, objective: Objective) -> Calendar:
        """The calendar the objective is measured against."""
        name = self.agreement.calendar_of(objective)
        found = self.bundle.calendar_by_id.get(name) if name else None
        return found if found is not None else ALWAYS


def measure_objective(objective: Objective, window: Window) -> ObjectiveResult:
    """``objective`` over ``window``."""
    metric = objective.metric
    if metric in (Metric.AVAILABILITY, Metric.WEIGHTED_AVAILABILITY):
        named = _named_series(objective, window)
        if named is not None:
            return _series_availability(objective, window, named)
        return _availability(objective, window)
    if metric in (Metric.MTTR, Metric.MTBF, Metric.MTBSI, Metric.INCIDENT_COUNT):
        return _reliability(objective, window)
    if metric is Metric.MTTA:
        return _mtta(objective, window)
    if metric in (Metric.RESPONSE_TIME, Metric.RESOLUTION_TIME):
        return _response(objective, window)
    if metric in (Metric.SATISFACTION, Metric.NPS):
        return _satisfaction(objective, window)
    if metric is Metric.CONTROL_COMPLIANCE:
        return _controls(objective, window)
    return _from_series(objective, window)


# -- helpers -------------------------------------------------------------------------------


def _result(
    objective: Objective,
    window: Window,
    actual: Decimal | None,
    numerator: Decimal | None = None,
    denominator: Decimal | None = None,
    **extra: Any,
) -> ObjectiveResult:
    if denominator is not None and denominator == 0:  # nothing to divide by: no data
        numerator = denominator = None
    if actual is None:
        verdict = extra.pop("verdict", Verdict.NO_DATA)
    else:
        verdict = Verdict.MET if objective.cmp.holds(actual, objective.target) else Verdict.BREACHED
        extra.pop("verdict", None)
    return ObjectiveResult(
        objective=objective.id,
        metric=objective.metric,
        target=objective.target,
        comparator=objective.cmp,
        unit=objective.unit,
        verdict=verdict,
        actual=actual,
        numerator=numerator,
        denominator=denominator,
        source=_source(window.agreement, objective),
        **extra,
    )


def _source(agreement: EffectiveAgreement, objective: Objective) -> str | None:
    for o in agreement.objectives:
        if o.value.id == objective.id:
            return o.source.agreement if o.source is not None else None
    return None


def _missed(objective: Objective, actual: Decimal | None) -> bool:
    return actual is not None and not objective.cmp.holds(actual, objective.target)


def _ratio(numerator: Decimal, denominator: Decimal, percent: bool) -> Decimal | None:
    if denominator == 0:
        return None
    value = numerator / denominator
    return value * _HUNDRED if percent else value


def _seconds(value: timedelta) -> Decimal:
    return reliability.seconds_of(value // timedelta(microseconds=1))


def _duration_text(seconds: Decimal) -> str:
    return reliability.spoken_duration(timedelta(seconds=float(seconds)))


def _clip(outages: Sequence[Outage], start: datetime, end: datetime) -> list[Outage]:
    out = []
    for o in outages:
        until = end if o.end is None else min(o.end, end)
        begin = max(o.start, start)
        if until > begin:
            out.append(o)
    return out


# -- availability from outages ---------------------------------------------------------------


def _availability(objective: Objective, window: Window) -> ObjectiveResult:
    """Availability over the window's agreed time up to ``until`` (a period still running is
    measured over what has elapsed); the budget allows ``(1 − SLO)`` of the whole window's
    agreed time, so ``remaining`` says how much more downtime the rest of it can take."""
    weighted = objective.metric is Metric.WEIGHTED_AVAILABILITY
    convention = window.agreement.excluded_time.value
    if objective.budgeting.sliced and objective.timeslice is not None:
        return _sliced_availability(objective, window, convention, weighted)
    cal = window.calendar(objective)
    node = window.service
    now_outages = _clip(window.outages, window.start, window.until)  # open ones: to ``until``
    elapsed = av.expand_schedule(cal, window.start, window.until, node)
    num, den = _group(now_outages, elapsed, convention, weighted, window.until)
    actual = _ratio(num, den, True)
    if window.until < window.end:
        full = av.expand_schedule(cal, window.start, window.end, node)
        _, den_full = _group(now_outages, full, convention, weighted, window.until)
    else:
        den_full = den
    figures = _availability_figures(now_outages, elapsed, weighted, window.until)
    spent = budget.time_budget(objective.target, den_full, den, den - num) if den_full else None
    breaches = _outage_breaches(objective, now_outages, window, elapsed, weighted)
    return _result(
        objective,
        window,
        actual,
        num if den else None,
        den if den else None,
        convention=av.convention_text(convention, weighted),
        budget=spent,
        breaches=breaches if _missed(objective, actual) else (),
        figures=figures,
    )


def _sliced_availability(
    objective: Objective, window: Window, convention: ExcludedTime, weighted: bool
) -> ObjectiveResult:
    """Time-sliced availability from outages: the elapsed window cut into slices of
    ``timeslice``, each slice's availability (its agreed time under the convention, its
    downtime) judged against ``timeslice_target`` (the target when absent); the result is good
    slices / slices with agreed time, and the budget counts slices."""
    assert objective.timeslice is not None
    cal = window.calendar(objective)
    elapsed = av.expand_schedule(cal, window.start, window.until, window.service)
    outages = [_ended(o, window.until) for o in _clip(window.outages, window.start, window.until)]
    starts, ends = timeslices.slice_bounds(window.start, window.until, objective.timeslice)
    up, due = av.per_slice(_columns(outages, elapsed), elapsed, starts, ends, convention, weighted)
    if objective.budgeting is Budgeting.RATIO_TIMESLICES:
        rule = av.convention_text(convention, weighted)
        how = f"{RATIO_SLICES}; each slice's availability ({rule})"
        return _mean_of_slices(objective, window, up, due, how)
    per_slice = (
        objective.timeslice_target if objective.timeslice_target is not None else (objective.target)
    )
    comparator = objective.comparator or Comparator.GE
    sliced = timeslices.timeslices_by_ratio(
        starts, up, due, window.start, window.until, objective.timeslice, per_slice / _HUNDRED,
        comparator,
    )  # fmt: skip
    num, den = Decimal(sliced.good_slices), Decimal(sliced.slices_with_data)
    actual = _ratio(num, den, True)
    all_slices = len(timeslices.slice_bounds(window.start, window.end, objective.timeslice)[0])
    bad = sliced.slices_with_data - sliced.good_slices
    breaches = tuple(
        Breach(objective=objective.id, detail=f"slice below {per_slice} % available", start=a,
               end=b)
        for a, b in sliced.bad_slices[:MAX_BREACHES]
    )  # fmt: skip
    return _result(
        objective, window, actual, num if den else None, den if den else None,
        convention=f"{sliced.convention}; a slice is good at {comparator.value} {per_slice} % "
        f"available ({av.convention_text(convention, weighted)})",
        budget=budget.slice_budget(objective.target, all_slices, sliced.slices_with_data, bad)
        if den else None,
        breaches=breaches if _missed(objective, actual) else (),
        figures=(
            ("slices", str(sliced.slices)),
            ("slices with agreed time", str(sliced.slices_with_data)),
            ("bad slices", str(bad)),
        ),
    )  # fmt: skip


RATIO_SLICES = "OpenSLO RatioTimeslices: mean of the slices' own ratios over slices with data"


def _count_times(samples: Sequence[Measurement]) -> tuple[Any, Any, Any]:
    columns = series.count_columns(samples)
    return columns.start, columns.good, columns.total


def _mean_of_slices(
    objective: Objective, window: Window, good: Any, total: Any, how: str
) -> ObjectiveResult:
    """The mean of per-slice ratios good/total over the slices with a total (exact decimals):
    the numerator is the sum of the ratios, the denominator the number of slices, so roll-ups
    add them into a mean over every part's slices."""
    g, t = np.asarray(good, dtype=np.int64), np.asarray(total, dtype=np.int64)
    has = t > 0
    ratios = [
        Decimal(a) / Decimal(b) for a, b in zip(g[has].tolist(), t[has].tolist(), strict=True)
    ]
    num, den = sum(ratios, Decimal(0)), Decimal(len(ratios))
    return _result(
        objective, window, _ratio(num, den, True), num if den else None, den if den else None,
        convention=how,
        figures=(("slices", str(int(t.size))), ("slices with data", str(len(ratios)))),
    )  # fmt: skip


def _group(
    outages: Sequence[Outage],
    schedule: av.Schedule,
    convention: ExcludedTime,
    weighted: bool,
    until: datetime,
) -> tuple[Decimal, Decimal]:
    clipped = [o if o.end is not None and o.end <= until else _ended(o, until) for o in outages]
    return av.group_availability(clipped, schedule, convention, weighted)


def _ended(o: Outage, until: datetime) -> Outage:
    end = until if o.end is None else min(o.end, until)
    return Outage(
        incident_id=o.incident_id, service=o.service, customer=o.customer, start=o.start,
        end=max(end, o.start), fraction=o.fraction, planned=o.planned,
    )  # fmt: skip


def _availability_figures(
    outages: Sequence[Outage], schedule: av.Schedule, weighted: bool, until: datetime
) -> tuple[tuple[str, str], ...]:
    figures = av.measure(_columns([_ended(o, until) for o in outages], schedule), [schedule], [0])
    scale = 1_000_000.0

    def text(values: Any) -> str:
        return _duration_text(Decimal(str(round(float(values[0]) / scale, 3))))

    if weighted:
        return (
            ("weighted service time", text(figures.service_w)),
            ("weighted maintenance", text(figures.maintenance_w)),
            ("weighted planned downtime", text(figures.planned_w)),
            ("weighted unplanned downtime", text(figures.unplanned_w)),
        )
    return (
        ("service time", text(figures.service_us)),
        ("maintenance windows", text(figures.maintenance_us)),
        ("planned downtime", text(figures.planned_us)),
        ("unplanned downtime", text(figures.unplanned_us)),
    )


def _columns(outages: Sequence[Outage], schedule: av.Schedule) -> av.OutageColumns:
    n = len(outages)
    starts = [max(to_us(o.start), schedule.start_us) for o in outages]
    ends = [
        max(min(schedule.end_us if o.end is None else to_us(o.end), schedule.end_us), s)
        for o, s in zip(outages, starts, strict=True)
    ]
    return av.OutageColumns.from_arrays(
        np.zeros(n, dtype=np.int64), starts, ends, [o.fraction for o in outages],
        [o.planned for o in outages],
    )  # fmt: skip


def _outage_breaches(
    objective: Objective,
    outages: Sequence[Outage],
    window: Window,
    schedule: av.Schedule,
    weighted: bool,
) -> tuple[Breach, ...]:
    """The unplanned outages that cost agreed time, the costliest first (each measured alone
    against ``schedule``: an outage wholly outside service hours or inside a maintenance
    window cost nothing and is no breach)."""
    given = [o for o in outages if not o.planned]
    unplanned = [_ended(o, window.until) for o in given]
    if not unplanned:
        return ()
    columns = _columns(unplanned, schedule)
    each = av.OutageColumns.from_arrays(
        np.arange(len(unplanned), dtype=np.int64), columns.start_us, columns.end_us,
        columns.fraction, columns.planned,
    )  # fmt: skip
    figures = av.measure(each, [schedule], np.zeros(len(unplanned), dtype=np.int64))
    cost = figures.unplanned_w if weighted else figures.unplanned_us
    ranked = sorted(
        (i for i in range(len(unplanned)) if cost[i] > 0),
        key=lambda i: (-float(cost[i]), unplanned[i].start, unplanned[i].incident_id),
    )
    out = []
    for i in ranked[:MAX_BREACHES]:
        o = given[i]
        end = o.end or window.until
        span = reliability.spoken_duration(end - o.start, round_up=True)
        part = "down" if o.fraction >= 1 else f"{o.fraction:.0%} down"
        out.append(
            Breach(
                objective=objective.id,
                detail=f"{o.service} {part} for {span} ({o.incident_id})",
                start=o.start,
                end=o.end,
                incidents=(o.incident_id,),
            )
        )
    return tuple(out)


# -- availability from a series --------------------------------------------------------------


def _named_series(objective: Objective, window: Window) -> Series | None:
    if objective.series is None:
        return None
    return window.bundle.series_by_id.get(objective.series)


def _series_availability(objective: Objective, window: Window, found: Series) -> ObjectiveResult:
    if found.kind is not SeriesKind.LOSS:
        return _counts(objective, window, found)
    samples = _samples(window, found, by="start")
    params = objective.mef or MefParameters()
    step = params.interval or found.interval or MEF_INTERVAL
    threshold = params.loss_threshold / _HUNDRED
    cal = window.calendar(objective)
    maintenance = av.expand_schedule(cal, window.start, window.until, window.service).maintenance
    mef = mef_availability_of(
        samples, window.start, window.until, step, threshold, params.consecutive, maintenance
    )
    num, den = Decimal(mef.available_count), Decimal(mef.counted)
    return _result(
        objective, window, _ratio(num, den, True), num, den,
        convention=f"MEF 10.3: Δt {format_duration(step)}, C = {params.loss_threshold} % frame "
        f"loss, n = {params.consecutive}; available Δt / Δt outside maintenance",
        figures=(("high-loss intervals (HLI)", str(mef.hli)),),
    )  # fmt: skip


def _samples(window: Window, found: Series, by: str = "at") -> tuple[Measurement, ...]:
    return series.select(
        window.evidence.measurements.get(found.id, ()), found.id, window.start, window.until,
        by="start" if by == "start" else "at",
    )  # fmt: skip


# -- measurement series ----------------------------------------------------------------------


def _from_series(objective: Objective, window: Window) -> ObjectiveResult:
    found = series_for(window.bundle, objective, window.customer, window.service)
    if found is None:
        return _result(objective, window, None, figures=(("series", "none declared"),))
    metric = objective.metric
    if metric is Metric.PACKET_LOSS and found.kind is SeriesKind.PACKETS:
        return _rtp_loss(objective, window, found)
    if metric in (Metric.PACKET_LOSS, Metric.GOOD_RATIO):
        return _counts(objective, window, found)
    samples = _samples(window, found)
    extra: tuple[tuple[str, str], ...] = (("series", found.id), ("samples", str(len(samples))))
    if found.kind is SeriesKind.PACKETS:
        return _packets(objective, window, found, samples, extra)
    higher = METRICS[metric].better == "higher"
    if not samples:
        return _result(objective, window, None, figures=extra)
    summary = series.summary_of(samples, higher)
    assert summary is not None
    if objective.percentile is not None:
        actual = series.sample_percentile(samples, objective.percentile, higher)
        how = f"p{objective.percentile} by nearest rank"
        if higher:
            how += " (met or exceeded that share of the time)"
    elif metric is Metric.THROUGHPUT:
        mean = series.throughput_of(samples)
        actual = None if mean is None or mean.mean is None else Decimal(str(round(mean.mean, 3)))
        how = "mean data rate (time-weighted when measurements cover intervals)"
    else:
        actual = Decimal(str(round(summary.mean, 6)))
        how = "mean of the samples"
    extra += (
        ("minimum", str(summary.minimum)),
        ("median", str(summary.p50)),
        ("p95", str(summary.p95)),
        ("maximum", str(summary.maximum)),
    )
    return _result(objective, window, actual, actual, Decimal(1), convention=how, figures=extra)


def _packets(
    objective: Objective,
    window: Window,
    found: Series,
    samples: Sequence[Measurement],
    extra: tuple[tuple[str, str], ...],
) -> ObjectiveResult:
    if not samples:
        return _result(objective, window, None, figures=extra)
    actual: Decimal | None
    columns = packet_columns(samples)
    if objective.metric is Metric.JITTER:
        jitter = interarrival_jitter(columns.sent, columns.received)
        actual = None if jitter.final is None else Decimal(str(round(jitter.final, 6)))
        how = "RFC 3550 interarrival jitter, floating point, in arrival order"
    else:
        delays = one_way_delays_ms(columns.sent, columns.received)
        q = objective.percentile
        value = series.percentile(delays, q) if q is not None else float(np.mean(delays))
        actual = None if value is None else Decimal(str(round(value, 6)))
        how = f"one-way delay, p{q} by nearest rank" if q is not None else "mean one-way delay"
    return _result(objective, window, actual, actual, Decimal(1), convention=how, figures=extra)


def _rtp_loss(objective: Objective, window: Window, found: Series) -> ObjectiveResult:
    """Packet loss of a packets series from its RTP sequence numbers, as an RFC 3550 receiver
    counts it (:mod:`servanda.measure.rtp_loss`), the packets taken in arrival order."""
    samples = sorted(
        (m for m in _samples(window, found) if m.received_at is not None),
        key=lambda m: (m.received_at, m.sequence),
    )
    figures: tuple[tuple[str, str], ...] = (("series", found.id), ("packets", str(len(samples))))
    if not samples or any(m.sequence is None for m in samples):
        return _result(objective, window, None, figures=(*figures, ("sequence", "missing")))
    loss = rtp_loss([m.sequence % 65536 for m in samples if m.sequence is not None])
    lost, expected = Decimal(max(loss.lost, 0)), Decimal(loss.expected)
    spent = (
        budget.event_budget(_HUNDRED - objective.target, loss.expected - max(loss.lost, 0),
                            loss.expected)
        if loss.expected > 0 else None
    )  # fmt: skip
    return _result(
        objective, window, _ratio(lost, expected, True), lost if expected else None,
        expected if expected else None,
        convention="RFC 3550: lost = expected − received from the sequence numbers",
        budget=spent,
        figures=(*figures, ("expected", str(loss.expected)), ("received", str(loss.received)),
                 ("restarts", str(loss.counts - 1))),
    )  # fmt: skip


def _counts(objective: Objective, window: Window, found: Series) -> ObjectiveResult:
    samples = _samples(window, found, by="start")
    figures: tuple[tuple[str, str], ...] = (("series", found.id),)
    if objective.budgeting is Budgeting.RATIO_TIMESLICES and objective.timeslice is not None:
        sliced_ratio = timeslices.ratio_timeslices(
            *_count_times(samples), window.start, window.until, objective.timeslice
        )
        good, total = sliced_ratio.good_events, sliced_ratio.total_events
        assert good is not None
        assert total is not None
        if objective.metric is Metric.PACKET_LOSS:
            good = total - good  # the mean of the slices' loss ratios
        return _mean_of_slices(objective, window, good, total, f"{RATIO_SLICES}; {found.id}")
    if objective.budgeting is Budgeting.TIMESLICES and objective.timeslice is not None:
        per_slice = (
            objective.timeslice_target
            if objective.timeslice_target is not None
            else (objective.target)
        )
        sliced = timeslices.timeslices_of_counts(
            samples, window.start, window.until, objective.timeslice, per_slice / _HUNDRED
        )
        num, den = Decimal(sliced.good_slices), Decimal(sliced.slices_with_data)
        all_slices = len(timeslices.slice_bounds(window.start, window.end, objective.timeslice)[0])
        sliced_budget = budget.slice_budget(
            objective.target,
            all_slices,
            sliced.slices,
            sliced.slices_with_data - sliced.good_slices,
        )
        breaches = tuple(
            Breach(objective=objective.id, detail=f"slice below {per_slice} %", start=s, end=e)
            for s, e in sliced.bad_slices[:MAX_BREACHES]
        )
        return _result(
            objective, window, _ratio(num, den, True), num, den,
            convention=sliced.convention + f"; a slice is good at ≥ {per_slice} % good events",
            budget=sliced_budget, figures=figures,
            breaches=breaches if _missed(objective, _ratio(num, den, True)) else (),
        )  # fmt: skip
    counts = series.count_columns(samples)
    ratio = series.ratio_of_sums(counts.good, counts.total)
    spent: Budget | None
    if objective.metric is Metric.PACKET_LOSS:
        num, den = Decimal(ratio.bad), Decimal(ratio.total)
        spent = (
            budget.event_budget(_HUNDRED - objective.target, ratio.good, ratio.total)
            if den
            else None
        )
        how = "lost / sent (ratio of sums)"
    else:
        num, den = Decimal(ratio.good), Decimal(ratio.total)
        spent = budget.event_budget(objective.target, ratio.good, ratio.total) if den else None
        how = "good / all events (ratio of sums)"
    figures += (("events", str(ratio.total)),)
    return _result(
        objective, window, _ratio(num, den, True), num, den, convention=how, budget=spent,
        figures=figures,
    )  # fmt: skip


# -- incidents -------------------------------------------------------------------------------


def _reliability(objective: Objective, window: Window) -> ObjectiveResult:
    """The MTBF family over the agreed time (service hours less maintenance windows) of the
    window up to ``until``: downtime outside it is no failure, as in availability."""
    if window.until <= window.start:
        return _result(objective, window, None, figures=(("failures", "nothing elapsed"),))
    outages = [_ended(o, window.until) for o in _clip(window.outages, window.start, window.until)]
    schedule = av.expand_schedule(
        window.calendar(objective), window.start, window.until, window.service
    )
    found = reliability.reliability(
        outages,
        _with_incidents(outages, window.evidence.incidents),
        window.start,
        window.until,
        agreed=schedule.service - schedule.maintenance,
    )
    failures = Decimal(found.failures)
    elapsed = window.until - window.start
    figures = (
        ("failures", str(found.failures)),
        ("downtime", reliability.spoken_duration(found.downtime)),
        ("uptime", reliability.spoken_duration(found.uptime)),
        ("failures per year", str(reliability.annualised_count(found.failures, elapsed))),
        (
            "downtime per year",
            reliability.spoken_duration(reliability.annualised_duration(found.downtime, elapsed)),
        ),
    )
    metric = objective.metric
    if metric is Metric.INCIDENT_COUNT:
        return _result(
            objective, window, failures, failures, Decimal(1),
            convention="failures: incidents with unplanned downtime", figures=figures,
        )  # fmt: skip
    mean = {Metric.MTTR: found.mtrs, Metric.MTBF: found.mtbf, Metric.MTBSI: found.mtbsi}[metric]
    total = {
        Metric.MTTR: _seconds(found.downtime),
        Metric.MTBF: _seconds(found.uptime),
        Metric.MTBSI: _seconds(found.uptime + found.downtime),
    }[metric]
    if found.failures == 0:
        return _result(
            objective, window, None, verdict=Verdict.MET,
            convention=mean.text, figures=(*figures, (mean.name, mean.empty)),
        )  # fmt: skip
    actual = _ratio(total, failures, False)
    longest = sorted(found.records, key=lambda r: (-r.downtime.total_seconds(), r.incident))
    return _result(
        objective, window, actual, total, failures,
        convention=mean.text, figures=figures,
        breaches=tuple(
            Breach(
                objective=objective.id,
                detail=f"{r.incident}: down {reliability.spoken_duration(r.downtime)}",
                start=r.down_from, end=r.down_until, incidents=(r.incident,),
            )
            for r in longest[:MAX_BREACHES]
        ) if _missed(objective, actual) else (),
    )  # fmt: skip


def _with_incidents(
    outages: Sequence[Outage], incidents: Mapping[str, Incident]
) -> dict[str, Incident]:
    """``incidents``, plus a stand-in for each outage's incident that is not among them (an
    outages file names incidents by id only): detected when its first outage starts."""
    found = dict(incidents)
    for o in sorted(outages, key=lambda o: o.start):
        if o.incident_id not in found:
            found[o.incident_id] = Incident(
                id=o.incident_id,
                root=o.service,
                root_fingerprints=(),
                state=IncidentState.DETECTED,
                severity=Severity.CRITICAL,
                detected_at=o.start,
                planned=o.planned,
            )
    return found


def _incidents_of(window: Window) -> list[Incident]:
    ids = {o.incident_id for o in window.outages}
    return [i for k, i in window.evidence.incidents.items() if k in ids]


def _mtta(objective: Objective, window: Window) -> ObjectiveResult:
    """MTTA over the incidents of the window's outages detected in it: Σ (acknowledged −
    detected) over the acknowledged ones / their number. No incident: met, with no figure;
    incidents but none acknowledged yet: no data."""
    incidents = _incidents_of(window)
    mtta = reliability.lifecycle_means(incidents, window.start, window.until).mtta
    chosen = reliability.counted(incidents, window.start, window.until)
    spans = [i.acknowledged_at - i.detected_at for i in chosen if i.acknowledged_at is not None]
    if not spans:
        figures = ((mtta.name, mtta.empty), ("incidents", str(len(chosen))))
        verdict = Verdict.MET if not chosen else Verdict.NO_DATA
        return _result(objective, window, None, verdict=verdict, convention=mtta.text,
                       figures=figures)  # fmt: skip
    total = _seconds(sum(spans, timedelta(0)))
    count = Decimal(len(spans))
    return _result(
        objective, window, total / count, total, count, convention=mtta.text,
        figures=(("acknowledged incidents", str(len(spans))), ("incidents", str(len(chosen)))),
    )  # fmt: skip


def _response(objective: Objective, window: Window) -> ObjectiveResult:
    """Response (or resolution) time of the incidents of the objective's severity detected in
    the window: the longest one is the actual, so the objective is met when every incident met
    it. An incident not yet acknowledged (or corrected) whose deadline has passed at ``now``
    has missed it and counts with the time it has waited so far; one whose deadline is still
    ahead is pending and left out."""
    target = timedelta(microseconds=int((objective.target * 1_000_000).to_integral_value()))
    severity = objective.severity or "critical"
    resolution = objective.metric is Metric.RESOLUTION_TIME
    rule = SeverityTarget(
        severity=severity,
        response=target if not resolution else timedelta(0),
        resolution=target,
    )
    found = reliability.response_resolution(
        _incidents_of(window), [rule], window.start, window.until, as_of=window.now,
        response_objective="" if resolution else objective.id,
        resolution_objective=objective.id if resolution else "",
    )  # fmt: skip
    word = "resolution" if resolution else "response"
    if not found.incidents:
        return _result(objective, window, None, verdict=Verdict.MET,
                       figures=(("incidents", f"no {severity} incident"),))  # fmt: skip
    misses = tuple(b for b in found.breaches if b.objective == objective.id)
    times: list[timedelta] = []
    pending = 0
    for t in found.incidents:
        took = t.resolution if resolution else t.response
        outcome = t.resolution_outcome if resolution else t.response_outcome
        if took is not None:
            times.append(took)
        elif outcome is reliability.Outcome.MISSED:
            times.append(found.as_of - t.detected)
        else:
            pending += 1
    counts = (("incidents", str(len(found.incidents))), ("pending", str(pending)))
    if not times:
        return _result(objective, window, None, verdict=Verdict.MET, figures=counts)
    actual = _seconds(max(times))
    return _result(
        objective, window, actual, actual, Decimal(1),
        convention=f"longest {word} time of the {severity} incidents (each must meet the "
        "target; one still waiting past its deadline counts with its wait so far)",
        breaches=misses if _missed(objective, actual) else (),
        figures=counts,
    )  # fmt: skip


# -- engagement and controls -----------------------------------------------------------------


def _satisfaction(objective: Objective, window: Window) -> ObjectiveResult:
    answers = [
        f
        for f in window.evidence.feedback
        if f.customer == window.customer
        and window.start <= f.at < window.until
        and (f.service is None or window.service is None or f.service == window.service)
    ]
    if objective.metric is Metric.SATISFACTION:
        scores = [f.csat for f in answers if f.csat is not None]
        num, den = Decimal(sum(scores)), Decimal(len(scores))
        actual = _ratio(num, den, False)
        how = "mean CSAT (1–5) of the answers in the period"
    else:
        marks = [f.nps for f in answers if f.nps is not None]
        promoters = sum(1 for m in marks if m >= 9)
        detractors = sum(1 for m in marks if m <= 6)
        num, den = Decimal(promoters - detractors), Decimal(len(marks))
        actual = _ratio(num, den, True)
        how = "NPS = % promoters (9–10) − % detractors (0–6)"
    return _result(
        objective, window, actual, num if den else None, den if den else None,
        convention=how, figures=(("answers", str(int(den))),),
    )  # fmt: skip


def _controls(objective: Objective, window: Window) -> ObjectiveResult:
    due = [(p.value.id, c.id) for p in window.agreement.policies for c in p.value.controls]
    if not due:
        return _result(objective, window, None, figures=(("controls", "none"),))
    latest: dict[tuple[str, str], Attestation] = {}
    for a in window.evidence.attestations:
        if a.period_end <= window.start or a.period_start >= window.until:
            continue
        key = (a.policy, a.control)
        if key not in latest or a.attested_at > latest[key].attested_at:
            latest[key] = a
    met = [k for k in due if k in latest and latest[k].met]
    missing = [k for k in due if k not in latest]
    failed = [k for k in due if k in latest and not latest[k].met]
    breaches = tuple(
        Breach(objective=objective.id, detail=f"control {c} of {p}: {why}")
        for (p, c), why in [*((k, "attested as not met") for k in failed),
                            *((k, "no attestation for the period") for k in missing)]
    )  # fmt: skip
    num, den = Decimal(len(met)), Decimal(len(due))
    return _result(
        objective, window, _ratio(num, den, True), num, den,
        convention="controls attested as met / controls due (a control without an "
        "attestation for the period counts as not met)",
        breaches=breaches,
        figures=(("controls due", str(len(due))), ("met", str(len(met)))),
    )  # fmt: skip
