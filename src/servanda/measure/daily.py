"""Figures a report draws for one part of an evaluation: each outage's downtime (plain and
experience-weighted, within the schedule), availability day by day with the error budget left,
and the maintenance and critical windows of the schedule.

Pure functions over a :class:`~servanda.measure.evaluate.PartResult`; the report's records are
made from them in :mod:`servanda.reports.assemble`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import numpy as np

from servanda.agreements.metrics import Metric
from servanda.calendars.model import Calendar
from servanda.core.intervals import from_us, to_us
from servanda.events.outages import Outage
from servanda.measure import availability as av
from servanda.measure.declarations import Declarations
from servanda.measure.evaluate import PartResult
from servanda.measure.objectives import ALWAYS
from servanda.measure.results import ObjectiveResult

MAX_WINDOWS = 400
"""Critical and maintenance windows given per part."""


@dataclass(frozen=True, slots=True)
class OutageFigures:
    """An outage's downtime within the schedule, in seconds: plain and experience-weighted."""

    outage: Outage
    downtime_seconds: Decimal
    weighted_seconds: Decimal


@dataclass(frozen=True, slots=True)
class DayFigures:
    """One local day of a part: availability (%) plain and weighted (None: nothing agreed that
    day) and the error budget left at its end (% of the part's, None without a budget)."""

    day: date
    availability: Decimal | None
    weighted_availability: Decimal | None
    budget_remaining: Decimal | None


@dataclass(frozen=True, slots=True)
class Window:
    """A maintenance window (``weight`` None) or a critical one (its weight)."""

    start: datetime
    end: datetime
    weight: float | None = None


def part_calendar(bundle: Declarations, part: PartResult) -> Calendar:
    """The calendar a part is measured on: its latest agreement's, else its service's."""
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


def outage_figures(
    part: PartResult, schedule: av.Schedule, until: datetime
) -> tuple[OutageFigures, ...]:
    """The downtime of each outage of ``part`` begun before ``until`` (an ongoing one counts
    up to ``until``), measured in one vectorised pass."""
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
    return tuple(
        OutageFigures(
            outage=o,
            downtime_seconds=Decimal(round(float(figures.unplanned_us[i]))) / 1_000_000,
            weighted_seconds=Decimal(round(float(figures.unplanned_w[i]))) / 1_000_000,
        )
        for i, o in enumerate(outages)
    )


def schedule_windows(schedule: av.Schedule) -> tuple[Window, ...]:
    """The maintenance and critical windows of ``schedule``, by start, at most
    :data:`MAX_WINDOWS`."""
    out: list[Window] = []
    maintenance = schedule.maintenance
    for s, e in zip(maintenance.starts.tolist(), maintenance.ends.tolist(), strict=True):
        out.append(Window(from_us(s), from_us(e)))
    w = schedule.weights
    for s, e, weight in zip(w.starts.tolist(), w.ends.tolist(), w.weights.tolist(), strict=True):
        if weight != 1.0 and e > s:
            start, end = max(s, schedule.start_us), min(e, schedule.end_us)
            out.append(Window(from_us(start), from_us(end), weight))
    out = [x for x in out if x.end > x.start]
    return tuple(sorted(out, key=lambda x: x.start)[:MAX_WINDOWS])


def daily_figures(
    part: PartResult,
    cal: Calendar,
    zone: ZoneInfo,
    until: datetime,
    target: ObjectiveResult | None,
) -> tuple[DayFigures, ...]:
    """Each local day of ``part`` up to ``until``: availability plain and weighted, and what is
    left of ``target``'s error budget (the availability objective the report follows)."""
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
        outages = _day_outages(part, start, end)
        plain = av.group_availability(outages, schedule, convention)
        weighted = av.group_availability(outages, schedule, convention, weighted=True)
        spent += weighted[1] - weighted[0] if follows_weighted else plain[1] - plain[0]
        remaining = None
        if budget_total:
            remaining = (budget_total - spent) / budget_total * 100
        points.append(DayFigures(day, _pct(plain), _pct(weighted), remaining))
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
