"""Reporting periods: calendar days, weeks, months, quarters and years in a timezone.

A :class:`ReportingPeriod` is half-open, ``[start, end)``, with both ends aware datetimes in UTC,
and keeps the timezone its boundaries were drawn in. Calendar periods begin and end at local
midnight in that timezone, so they follow daylight saving: April 2024 in ``Europe/Paris`` is
720 hours long, March 2024 is 743 and October 2024 is 745. Local midnight is converted to UTC by
the rule of :mod:`servanda.calendars.localtime` (a midnight skipped by a clock change lands just
after the gap), the same rule calendars expand by, so periods and service hours line up.

Texts :func:`parse_period` reads (:data:`ACCEPTED_FORMS`):

* ``2024`` — a year; ``2024-Q2`` — a quarter; ``2024-04`` — a month;
* ``2024-W14`` — an ISO week (Monday to Sunday; week 1 holds the year's first Thursday);
* ``2024-04-02`` — a day;
* ``2024-04-01..2024-04-15`` — a run of days, **both dates included** as people write them
  (the period ends at the midnight that starts 16 April).

No clock is read: "now" is an argument of :func:`elapsed`.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import field_validator, model_validator

from servanda.agreements.model import PeriodKind
from servanda.calendars.localtime import US_PER_DAY, day_number, local_date, wall_to_utc
from servanda.calendars.model import WeekStart
from servanda.core.durations import format_duration
from servanda.core.intervals import from_us, to_us
from servanda.core.records import record

__all__ = [
    "ACCEPTED_FORMS",
    "ReportingPeriod",
    "WeekStart",
    "elapsed",
    "parse_period",
    "periods_between",
]

ACCEPTED_FORMS: Final = (
    "2024 (a year), 2024-Q2 (a quarter), 2024-04 (a month), 2024-W14 (an ISO week), "
    "2024-04-02 (a day) or 2024-04-01..2024-04-15 (days, both included)"
)
"""The forms :func:`parse_period` accepts, for messages."""

_YEAR = re.compile(r"(\d{4})")
_QUARTER = re.compile(r"(\d{4})-[Qq]([1-4])")
_MONTH = re.compile(r"(\d{4})-(\d{2})")
_WEEK = re.compile(r"(\d{4})-[Ww](\d{2})")
_DAY = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_DAYS = re.compile(r"(\d{4}-\d{2}-\d{2})\s*\.\.\s*(\d{4}-\d{2}-\d{2})")


def _aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} needs its timezone, got {value.isoformat()}")


def _check_zone(timezone: str) -> str:
    key = timezone.strip()
    try:
        ZoneInfo(key)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {timezone!r}: use an IANA name such as Europe/Paris or UTC"
        ) from None
    return key


@record
class ReportingPeriod:
    """A period results are computed over: ``[start, end)`` in UTC, drawn in ``timezone``."""

    label: str
    """How reports name it: ``2024-04``, ``2024-Q2``, ``2024-W14``, ``2024-04-01..2024-04-15``."""
    start: datetime
    """First instant (inclusive), aware."""
    end: datetime
    """First instant after the period (exclusive), aware; equal to ``start`` when empty."""
    timezone: str
    """The IANA timezone whose local midnights bound the period."""

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        return _check_zone(value)

    @model_validator(mode="after")
    def _order(self) -> ReportingPeriod:
        _aware(self.start, "a period's start")
        _aware(self.end, "a period's end")
        if self.end < self.start:
            raise ValueError(
                f"period {self.label!r} ends ({self.end.isoformat()}) before it starts "
                f"({self.start.isoformat()})"
            )
        return self

    @property
    def start_us(self) -> int:
        """The start in microseconds since the epoch."""
        return to_us(self.start)

    @property
    def end_us(self) -> int:
        """The end in microseconds since the epoch."""
        return to_us(self.end)

    @property
    def length(self) -> timedelta:
        """Elapsed time from start to end (not a multiple of 24 h across a clock change)."""
        return self.end - self.start

    def contains(self, instant: datetime) -> bool:
        """Whether ``instant`` lies in ``[start, end)``."""
        return self.start <= instant < self.end


def _midnight(day: date, timezone: str) -> datetime:
    """Local midnight that starts ``day`` in ``timezone``, as an aware UTC datetime."""
    wall = day_number(day) * US_PER_DAY
    return from_us(int(wall_to_utc(timezone, [wall])[0]))


def _days(label: str, first: date, after: date, timezone: str) -> ReportingPeriod:
    return ReportingPeriod(
        label=label,
        start=_midnight(first, timezone),
        end=_midnight(after, timezone),
        timezone=timezone,
    )


def _next_month(year: int, month: int, months: int = 1) -> date:
    index = year * 12 + (month - 1) + months
    return date(index // 12, index % 12 + 1, 1)


def _year(year: int, timezone: str) -> ReportingPeriod:
    return _days(f"{year:04d}", date(year, 1, 1), date(year + 1, 1, 1), timezone)


def _quarter(year: int, quarter: int, timezone: str) -> ReportingPeriod:
    first = date(year, 3 * (quarter - 1) + 1, 1)
    after = _next_month(year, first.month, 3)
    return _days(f"{year:04d}-Q{quarter}", first, after, timezone)


def _month(year: int, month: int, timezone: str) -> ReportingPeriod:
    return _days(
        f"{year:04d}-{month:02d}", date(year, month, 1), _next_month(year, month), timezone
    )


def _week(
    iso_year: int, week: int, timezone: str, start: WeekStart = WeekStart.MONDAY
) -> ReportingPeriod:
    first = date.fromisocalendar(iso_year, week, 1)
    if start is WeekStart.SUNDAY:
        first -= timedelta(days=1)
    return _days(f"{iso_year:04d}-W{week:02d}", first, first + timedelta(days=7), timezone)


def _day(day: date, timezone: str) -> ReportingPeriod:
    return _days(day.isoformat(), day, day + timedelta(days=1), timezone)


def parse_period(
    text: str, timezone: str, week_start: WeekStart = WeekStart.MONDAY
) -> ReportingPeriod:
    """The period ``text`` names, with boundaries at local midnight in ``timezone``.

    Accepted forms are listed in the module documentation (:data:`ACCEPTED_FORMS`); in a run of
    days ``2024-04-01..2024-04-15`` both dates are included. Raises :class:`ValueError` naming
    the accepted forms when the text is none of them or names no real date.
    """
    period = _parse(text, _check_zone(timezone), week_start)
    if not (period.start.year >= FIRST_YEAR and period.end.year <= LAST_YEAR):
        raise ValueError(
            f"not a period: {text!r} (periods lie in the years {FIRST_YEAR} to {LAST_YEAR})"
        )
    return period


FIRST_YEAR, LAST_YEAR = 1900, 8999
"""The years periods may lie in (the windows measured around a period stay in the calendar)."""


def _parse(text: str, zone: str, week_start: WeekStart = WeekStart.MONDAY) -> ReportingPeriod:
    raw = text.strip()
    try:
        if m := _YEAR.fullmatch(raw):
            return _year(int(m[1]), zone)
        if m := _QUARTER.fullmatch(raw):
            return _quarter(int(m[1]), int(m[2]), zone)
        if m := _MONTH.fullmatch(raw):
            return _month(int(m[1]), int(m[2]), zone)
        if m := _WEEK.fullmatch(raw):
            return _week(int(m[1]), int(m[2]), zone, week_start)
        if m := _DAY.fullmatch(raw):
            return _day(date(int(m[1]), int(m[2]), int(m[3])), zone)
        if m := _DAYS.fullmatch(raw):
            first, last = date.fromisoformat(m[1]), date.fromisoformat(m[2])
            if last < first:
                raise ValueError(f"the last day {last} comes before the first {first}")
            return _days(f"{first}..{last}", first, last + timedelta(days=1), zone)
    except (ValueError, OverflowError) as exc:
        raise ValueError(f"not a period: {text!r} ({exc}); write {ACCEPTED_FORMS}") from None
    raise ValueError(f"not a period: {text!r}; write {ACCEPTED_FORMS}")


def _containing(
    kind: PeriodKind, day: date, timezone: str, week_start: WeekStart = WeekStart.MONDAY
) -> ReportingPeriod:
    """The calendar period of ``kind`` holding the local ``day``."""
    if kind is PeriodKind.DAY:
        return _day(day, timezone)
    if kind is PeriodKind.WEEK:
        # A Sunday opens the week of the ISO week of the Monday after it.
        shifted = day + timedelta(days=1) if week_start is WeekStart.SUNDAY else day
        iso = shifted.isocalendar()
        return _week(iso.year, iso.week, timezone, week_start)
    if kind is PeriodKind.MONTH:
        return _month(day.year, day.month, timezone)
    if kind is PeriodKind.QUARTER:
        return _quarter(day.year, (day.month - 1) // 3 + 1, timezone)
    if kind is PeriodKind.YEAR:
        return _year(day.year, timezone)
    raise ValueError(f"{kind} is not a calendar period")


def periods_between(
    kind: PeriodKind,
    start: datetime,
    end: datetime,
    timezone: str,
    length: timedelta | None = None,
    week_start: WeekStart = WeekStart.MONDAY,
) -> list[ReportingPeriod]:
    """The periods of ``kind`` that overlap ``[start, end)``, in order.

    Calendar kinds (day, week, month, quarter, year) give every whole period in ``timezone``
    sharing at least an instant with ``[start, end)`` (the first and last may reach outside
    it); nothing when ``end <= start``. ``rolling`` needs ``length`` and gives the one window
    ``[end − length, end)``, labelled e.g. ``28d to 2024-04-30T00:00:00+00:00``.
    """
    _aware(start, "start")
    _aware(end, "end")
    zone = _check_zone(timezone)
    if kind is PeriodKind.ROLLING:
        if length is None or length <= timedelta(0):
            raise ValueError("a rolling period needs a positive length, e.g. 28 days")
        return [
            ReportingPeriod(
                label=f"{format_duration(length)} to {end.isoformat()}",
                start=end - length,
                end=end,
                timezone=zone,
            )
        ]
    if length is not None:
        raise ValueError(f"a {kind} period takes no length")
    found: list[ReportingPeriod] = []
    if end <= start:
        return found
    current = _containing(kind, local_date(start, zone), zone, week_start)
    while current.start < end:
        found.append(current)
        # The local date of the end is the first day of the next period.
        current = _containing(kind, local_date(current.end, zone), zone, week_start)
    return found


def elapsed(period: ReportingPeriod, now: datetime) -> ReportingPeriod:
    """The part of ``period`` before ``now``: ``[start, min(now, end))``.

    The whole period once it is over; an empty period (``end == start``) before it starts.
    The label is kept, so a budget computed mid-month still reads ``2024-04``.
    """
    _aware(now, "now")
    stop = min(max(now, period.start), period.end)
    return ReportingPeriod(
        label=period.label, start=period.start, end=stop, timezone=period.timezone
    )
