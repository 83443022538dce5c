"""Weekly service hours: ``{mon-fri: "08:00-18:00", sat: ["09:00-12:00", "14:00-17:00"]}``.

Keys are a day (``mon`` … ``sun``), a range of days (``mon-fri``, ``fri-mon`` wraps) or ``daily``.
Values are one time range or a list of them. ``00:00-24:00`` is the whole day; a range whose end
is before its start (``22:00-06:00``) runs overnight into the next day. The string ``24x7`` (or
leaving the hours out) means always.

Ranges are held as :class:`WeeklyRange` records (weekday, start and end in minutes after local
midnight) so the hours stay hashable and two ways of writing the same week compare equal.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, PlainSerializer

from servanda.core.records import from_jsonable, record

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
"""Day keys, Monday first (Python's ``date.weekday()`` order)."""
DAY_TITLES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MINUTES_PER_DAY = 24 * 60
ALWAYS_TEXT = "24x7"

_RANGE = re.compile(r"(\d{1,2}):(\d{2})\s*[-–]\s*(\d{1,2}):(\d{2})")
_RANGE_EXAMPLE = 'write HH:MM-HH:MM, e.g. "08:00-18:00", "00:00-24:00" or "22:00-06:00"'


@record
class WeeklyRange:
    """Service on one weekday from ``start`` to ``end`` local time."""

    weekday: Annotated[int, Field(ge=0, le=6)]
    """0 = Monday … 6 = Sunday: the day the range starts on."""
    start: Annotated[int, Field(ge=0, lt=MINUTES_PER_DAY)]
    """Minutes after local midnight."""
    end: Annotated[int, Field(gt=0, le=2 * MINUTES_PER_DAY)]
    """Minutes after the same midnight; above 1440 the range runs into the next day."""

    def __post_init__(self) -> None:
        if not self.start < self.end <= self.start + MINUTES_PER_DAY:
            raise ValueError(f"a range must end after it starts, within a day: {self}")

    @property
    def text(self) -> str:
        """The range as written, e.g. ``08:00-18:00`` or ``22:00-06:00``."""
        end = self.end if self.end <= MINUTES_PER_DAY else self.end - MINUTES_PER_DAY
        return f"{format_minutes(self.start)}-{format_minutes(end)}"


@record
class WeeklyHours:
    """The service hours of a week, in local wall-clock time."""

    ranges: tuple[WeeklyRange, ...]
    """Sorted by weekday, then start; never empty."""

    @property
    def always(self) -> bool:
        """Whether the hours cover every minute of the week (24x7)."""
        full = [r for r in self.ranges if r.start == 0 and r.end >= MINUTES_PER_DAY]
        return {r.weekday for r in full} == set(range(7))

    def by_day(self) -> tuple[tuple[tuple[int, int], ...], ...]:
        """For each weekday (Monday first), its ``(start, end)`` minute ranges."""
        days: list[list[tuple[int, int]]] = [[] for _ in range(7)]
        for r in self.ranges:
            days[r.weekday].append((r.start, r.end))
        return tuple(tuple(d) for d in days)


def make_range(weekday: int, start: int, end: int) -> WeeklyRange:
    """A validated :class:`WeeklyRange`."""
    return from_jsonable(WeeklyRange, {"weekday": weekday, "start": start, "end": end})


def make_hours(ranges: Iterable[WeeklyRange]) -> WeeklyHours:
    """Validated :class:`WeeklyHours` from ranges in any order (duplicates dropped)."""
    unique = sorted(set(ranges), key=lambda r: (r.weekday, r.start, r.end))
    return from_jsonable(WeeklyHours, {"ranges": unique})


ALWAYS = make_hours(make_range(d, 0, MINUTES_PER_DAY) for d in range(7))
"""Service hours of 24 hours a day, 7 days a week."""


def format_minutes(minutes: int) -> str:
    """``HH:MM`` for minutes after midnight (``24:00`` for the end of the day)."""
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def parse_days(key: str) -> tuple[int, ...]:
    """The weekdays named by ``mon``, ``mon-fri``, ``fri-mon`` (wrapping) or ``daily``."""
    text = key.strip().lower()
    if text == "daily":
        return tuple(range(7))
    first, sep, last = text.partition("-")
    if first in DAYS and (not sep or last in DAYS):
        a = DAYS.index(first)
        b = DAYS.index(last) if sep else a
        return tuple((a + i) % 7 for i in range((b - a) % 7 + 1))
    raise ValueError(
        f"unknown day {key!r} in service hours: use mon, tue, wed, thu, fri, sat, sun, "
        "a range such as mon-fri, or daily"
    )


def parse_range(text: Any) -> tuple[int, int]:
    """``(start, end)`` minutes of a time range; an overnight range ends after 1440."""
    if not isinstance(text, str):
        raise ValueError(f"a time range must be text, got {text!r}: {_RANGE_EXAMPLE}")
    m = _RANGE.fullmatch(text.strip())
    if m is None:
        raise ValueError(f"not a time range: {text!r}: {_RANGE_EXAMPLE}")
    h1, m1, h2, m2 = (int(g) for g in m.groups())
    if h1 > 23 or m1 > 59 or h2 > 24 or m2 > 59 or (h2 == 24 and m2 != 0):
        raise ValueError(f"not a time of day in {text!r}: hours run 00-23 (24:00 ends a day)")
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if start == end:
        raise ValueError(f"empty time range {text!r}: use 00:00-24:00 for the whole day")
    if end < start:
        end += MINUTES_PER_DAY
    return start, end


def parse_service_hours(value: Any) -> Any:
    """Read service hours as users write them (see the module docstring)."""
    if value is None or isinstance(value, WeeklyHours):
        return ALWAYS if value is None else value
    if isinstance(value, str):
        if value.strip().lower() == ALWAYS_TEXT:
            return ALWAYS
        raise ValueError(
            f'service hours must be "24x7" or days mapped to time ranges, got {value!r}'
        )
    if not isinstance(value, Mapping):
        raise ValueError(
            'service hours must be "24x7" or days mapped to time ranges, '
            'e.g. {mon-fri: "08:00-18:00"}'
        )
    if "ranges" in value and len(value) == 1 and not isinstance(value["ranges"], str):
        return value  # the record's own field form
    if not value:
        raise ValueError('service hours are empty: leave them out (or write "24x7") for always')
    found: set[tuple[int, int, int]] = set()
    for key, ranges in value.items():
        if not isinstance(key, str):
            raise ValueError(f"a service-hours key must be a day name, got {key!r}")
        days = parse_days(key)
        items = ranges if isinstance(ranges, list | tuple) else [ranges]
        if not items:
            raise ValueError(f"no time ranges given for {key!r}")
        for item in items:
            start, end = parse_range(item)
            found.update((day, start, end) for day in days)
    return make_hours(make_range(*r) for r in found)


def day_groups(hours: WeeklyHours) -> list[tuple[tuple[int, ...], tuple[tuple[int, int], ...]]]:
    """Days that share the same ranges, in week order of their first day."""
    groups: dict[tuple[tuple[int, int], ...], list[int]] = {}
    for day, ranges in enumerate(hours.by_day()):
        if ranges:
            groups.setdefault(ranges, []).append(day)
    return sorted(((tuple(d), r) for r, d in groups.items()), key=lambda g: g[0][0])


def runs(days: tuple[int, ...]) -> list[tuple[int, int]]:
    """Consecutive stretches ``(first, last)`` of sorted weekdays (no wrap past Sunday)."""
    out: list[tuple[int, int]] = []
    for day in days:
        if out and out[-1][1] == day - 1:
            out[-1] = (out[-1][0], day)
        else:
            out.append((day, day))
    return out


def dump_service_hours(hours: WeeklyHours) -> Any:
    """The hours as users write them: ``"24x7"`` or ``{"mon-fri": "08:00-18:00", …}``."""
    if hours.always:
        return ALWAYS_TEXT
    out: dict[str, str | list[str]] = {}
    for days, ranges in day_groups(hours):
        texts = [make_range(days[0], s, e).text for s, e in ranges]
        for first, last in runs(days):
            key = DAYS[first] if first == last else f"{DAYS[first]}-{DAYS[last]}"
            out[key] = texts[0] if len(texts) == 1 else list(texts)
    return out


ServiceHours = Annotated[
    WeeklyHours,
    BeforeValidator(parse_service_hours),
    PlainSerializer(dump_service_hours, when_used="json"),
]
"""A :class:`WeeklyHours` field that reads and dumps the YAML form."""
