"""A calendar over a period, as interval sets in UTC.

Every function takes the period as aware datetimes ``[start, end)`` and returns core
:class:`~servanda.core.intervals.IntervalSet` values (or a
:class:`~servanda.core.intervals.WeightedIntervals`). Results are cached: records are frozen and
hashable, so many agreements sharing a calendar and a period expand it once.

Rules:

* service hours are read on the local clock, so ``09:00-17:00`` is eight local hours on every day,
  including the days the clocks change;
* a holiday removes its whole local calendar day (00:00–24:00), including the part of an overnight
  range that spills into it;
* maintenance and critical windows recur on the local clock (see
  :mod:`servanda.calendars.recurrence` for daylight-saving gaps and overlaps).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import NamedTuple

import numpy as np

from servanda.calendars.holiday_dates import country_holidays
from servanda.calendars.localtime import (
    US_PER_DAY,
    US_PER_MINUTE,
    day_number,
    local_date,
    wall_to_utc,
)
from servanda.calendars.model import Calendar, HolidayRule, MaintenanceWindow
from servanda.calendars.recurrence import occurrences
from servanda.calendars.weekly import WeeklyHours
from servanda.core.intervals import I64, IntervalSet, WeightedIntervals, from_us, to_us


class MaintenanceOccurrence(NamedTuple):
    """One occurrence of a maintenance window, whole (not clipped to the period), in UTC."""

    window_id: str
    reason: str
    start: datetime
    end: datetime


def _check_period(start: datetime, end: datetime) -> None:
    for name, value in (("start", start), ("end", end)):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"period {name} must be timezone-aware, got {value.isoformat()}")
    if end < start:
        raise ValueError(f"period ends before it starts: {end.isoformat()} < {start.isoformat()}")


def holiday_days(rule: HolidayRule | None, year: int) -> frozenset[date]:
    """The holidays of ``rule`` in ``year``: country holidays plus dates, minus exclusions."""
    if rule is None:
        return frozenset()
    found = set(country_holidays(rule.country, rule.subdivision, year)) if rule.country else set()
    found.update(d for d in rule.dates if d.year == year)
    found.difference_update(rule.exclude)
    return frozenset(found)


def _days_to_utc(tz: str, days: I64) -> IntervalSet:
    walls = days * US_PER_DAY
    return IntervalSet.from_arrays(wall_to_utc(tz, walls), wall_to_utc(tz, walls + US_PER_DAY))


@lru_cache(maxsize=1024)
def _service_year(hours: WeeklyHours, rule: HolidayRule | None, tz: str, year: int) -> IntervalSet:
    """Service time of the ranges that start on local days of ``year``, holidays removed."""
    first = day_number(date(year, 1, 1))
    days = np.arange(first, day_number(date(year + 1, 1, 1)), dtype=np.int64)
    weekday = (days + 3) % 7  # 1970-01-01 was a Thursday
    starts: list[I64] = []
    ends: list[I64] = []
    for r in hours.ranges:
        chosen = days[weekday == r.weekday] * US_PER_DAY
        starts.append(chosen + r.start * US_PER_MINUTE)
        ends.append(chosen + r.end * US_PER_MINUTE)
    if not starts:
        return IntervalSet.empty()
    wall_s, wall_e = np.concatenate(starts), np.concatenate(ends)
    service = IntervalSet.from_arrays(wall_to_utc(tz, wall_s), wall_to_utc(tz, wall_e))
    # Ranges of 31 December may spill into 1 January: next year's holidays count there too.
    off = sorted(holiday_days(rule, year) | holiday_days(rule, year + 1))
    if off:
        service = service - _days_to_utc(tz, np.array([day_number(d) for d in off]))
    return service


@lru_cache(maxsize=4096)
def _service_time(
    hours: WeeklyHours, rule: HolidayRule | None, tz: str, start: datetime, end: datetime
) -> IntervalSet:
    if hours.always and (rule is None or not (rule.country or rule.dates)):
        return IntervalSet.span(start, end)
    first = (local_date(start, tz) - timedelta(days=1)).year
    last = local_date(end, tz).year
    years = [_service_year(hours, rule, tz, y) for y in range(first, last + 1)]
    return IntervalSet.union_all(years).clip(start, end)


def service_time(cal: Calendar, start: datetime, end: datetime) -> IntervalSet:
    """The calendar's service hours in ``[start, end)``, holidays removed."""
    _check_period(start, end)
    return _service_time(cal.service_hours, cal.holidays, cal.timezone, start, end)


@lru_cache(maxsize=4096)
def _maintenance_time(
    cal: Calendar, start: datetime, end: datetime, node: str | None
) -> IntervalSet:
    starts: list[I64] = []
    ends: list[I64] = []
    for w in cal.maintenance:
        if w.applies_to(node):
            s, e = occurrences(w.start, w.duration, w.rrule, cal.timezone, start, end)
            starts.append(s)
            ends.append(e)
    if not starts:
        return IntervalSet.empty()
    return IntervalSet.from_arrays(np.concatenate(starts), np.concatenate(ends)).clip(start, end)


def maintenance_time(
    cal: Calendar, start: datetime, end: datetime, node: str | None = None
) -> IntervalSet:
    """Maintenance in ``[start, end)``: every window, or only those that apply to ``node``."""
    _check_period(start, end)
    return _maintenance_time(cal, start, end, node)


def _listed(
    window: MaintenanceWindow, tz: str, start: datetime, end: datetime
) -> list[MaintenanceOccurrence]:
    s, e = occurrences(window.start, window.duration, window.rrule, tz, start, end)
    return [
        MaintenanceOccurrence(window.id, window.reason, from_us(a), from_us(b))
        for a, b in zip(s.tolist(), e.tolist(), strict=True)
    ]


def maintenance_occurrences(
    cal: Calendar, start: datetime, end: datetime, node: str | None = None
) -> tuple[MaintenanceOccurrence, ...]:
    """Occurrences of maintenance windows overlapping ``[start, end)``, by start then window id."""
    _check_period(start, end)
    found = [
        occ
        for w in cal.maintenance
        if w.applies_to(node)
        for occ in _listed(w, cal.timezone, start, end)
    ]
    return tuple(sorted(found, key=lambda o: (o.start, o.window_id)))


@lru_cache(maxsize=4096)
def _agreed_time(cal: Calendar, start: datetime, end: datetime, node: str | None) -> IntervalSet:
    service = _service_time(cal.service_hours, cal.holidays, cal.timezone, start, end)
    return service - _maintenance_time(cal, start, end, node)


def agreed_time(
    cal: Calendar, start: datetime, end: datetime, node: str | None = None
) -> IntervalSet:
    """Agreed service time: service hours minus maintenance (for ``node`` when given)."""
    _check_period(start, end)
    return _agreed_time(cal, start, end, node)


@lru_cache(maxsize=4096)
def _critical_weights(cal: Calendar, start: datetime, end: datetime) -> WeightedIntervals:
    starts: list[I64] = []
    ends: list[I64] = []
    weights: list[np.ndarray] = []
    lo, hi = to_us(start), to_us(end)
    for w in cal.critical:
        s, e = occurrences(w.start, w.duration, w.rrule, cal.timezone, start, end)
        starts.append(np.maximum(s, lo))
        ends.append(np.minimum(e, hi))
        weights.append(np.full(s.size, float(w.weight)))
    if not starts:
        return WeightedIntervals.constant(1.0)
    return WeightedIntervals.from_arrays(
        np.concatenate(starts), np.concatenate(ends), np.concatenate(weights), default=1.0
    )


def critical_weights(cal: Calendar, start: datetime, end: datetime) -> WeightedIntervals:
    """Critical windows in ``[start, end)`` as weights (largest wins; 1 outside every window)."""
    _check_period(start, end)
    return _critical_weights(cal, start, end)
