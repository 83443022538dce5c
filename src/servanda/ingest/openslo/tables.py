"""Mapping tables from OpenSLO terms to Servanda's, and the small parsers they need.

Kept in one place so the whole mapping can be read (and argued with) at a glance.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from servanda.agreements.model import Budgeting, Comparator, PeriodKind

BUDGETING: dict[str, Budgeting] = {
    "Occurrences": Budgeting.EVENTS,
    "Timeslices": Budgeting.TIMESLICES,
    "RatioTimeslices": Budgeting.RATIO_TIMESLICES,
}
"""``budgetingMethod`` → budgeting. RatioTimeslices (a mean of per-slice ratios) has no exact
equivalent; it becomes time-sliced budgeting with a warning."""

OPERATORS: dict[str, Comparator] = {
    "lt": Comparator.LT,
    "lte": Comparator.LE,
    "gt": Comparator.GT,
    "gte": Comparator.GE,
}
"""Objective ``op`` → comparator (for threshold metrics)."""

CALENDAR_PERIODS: dict[tuple[int, str], PeriodKind] = {
    (1, "d"): PeriodKind.DAY,
    (24, "h"): PeriodKind.DAY,
    (1, "w"): PeriodKind.WEEK,
    (7, "d"): PeriodKind.WEEK,
    (1, "M"): PeriodKind.MONTH,
    (3, "M"): PeriodKind.QUARTER,
    (1, "Q"): PeriodKind.QUARTER,
    (12, "M"): PeriodKind.YEAR,
    (4, "Q"): PeriodKind.YEAR,
    (1, "Y"): PeriodKind.YEAR,
}
"""Calendar-aligned ``timeWindow`` duration → Servanda calendar period."""

FIXED_UNITS: dict[str, timedelta] = {
    "m": timedelta(minutes=1),
    "h": timedelta(hours=1),
    "d": timedelta(days=1),
    "w": timedelta(weeks=1),
}
"""Shorthand units of a fixed length."""

APPROXIMATE_UNITS: dict[str, timedelta] = {
    "M": timedelta(days=30),
    "Q": timedelta(days=90),
    "Y": timedelta(days=365),
}
"""Calendar units as rolling lengths (as the OpenSLO Go SDK counts them)."""

UNIT_NAMES = {
    "m": "minute",
    "h": "hour",
    "d": "day",
    "w": "week",
    "M": "month",
    "Q": "quarter",
    "Y": "year",
}

LENIENT_UNITS = {"H": "h", "D": "d", "W": "w", "q": "Q", "y": "Y"}
"""Units written in the wrong case that cannot be mistaken for another unit."""

V1ALPHA_UNITS = {
    "minute": "m",
    "hour": "h",
    "day": "d",
    "week": "w",
    "month": "M",
    "quarter": "Q",
    "year": "Y",
}
"""v1alpha ``timeWindows[].unit`` → v1 shorthand unit."""

LATENCY_WORDS = re.compile(
    r"\b(?:\w*(?:latenc|delay|duration)\w*|rtt|round[ _-]?trips?|response[ _-]?times?)\b",
    re.IGNORECASE,
)
"""Names that make a threshold metric a latency."""

AVAILABILITY_WORDS = re.compile(r"\w*(?:availab|uptime)\w*", re.IGNORECASE)
"""Names that make a ratio metric an availability."""

_SHORTHAND = re.compile(r"^\s*(\d+)\s*([A-Za-z])\s*$")


@dataclass(frozen=True, slots=True)
class Shorthand:
    """An OpenSLO duration shorthand: a positive count and a case-sensitive unit."""

    count: int
    unit: str
    """One of ``m h d w M Q Y``."""

    def __str__(self) -> str:
        return f"{self.count}{self.unit}"

    @property
    def fixed(self) -> timedelta | None:
        """The exact length, for m, h, d and w."""
        size = FIXED_UNITS.get(self.unit)
        return size * self.count if size is not None else None

    @property
    def approximate(self) -> timedelta:
        """The length, counting a month as 30 days, a quarter 90, a year 365."""
        return self.fixed or APPROXIMATE_UNITS[self.unit] * self.count

    def describe(self) -> str:
        """``2 weeks``."""
        name = UNIT_NAMES[self.unit]
        return f"{self.count} {name}" + ("s" if self.count != 1 else "")


def parse_shorthand(value: object) -> tuple[Shorthand, str | None]:
    """A duration shorthand and, when a liberty was taken to read it, what it was.

    Raises :class:`ValueError` when ``value`` is not one.
    """
    if isinstance(value, bool) or not isinstance(value, str):
        raise ValueError(f"not a duration shorthand: {value!r} (write e.g. 5m, 1h, 28d, 1M)")
    m = _SHORTHAND.match(value)
    if m is None:
        raise ValueError(f"not a duration shorthand: {value!r} (write e.g. 5m, 1h, 28d, 1M)")
    count, unit = int(m.group(1)), m.group(2)
    note = None
    if unit in LENIENT_UNITS:
        fixed = LENIENT_UNITS[unit]
        note = f"unit {unit!r} read as {fixed!r} ({UNIT_NAMES[fixed]}s)"
        unit = fixed
    if unit not in UNIT_NAMES:
        raise ValueError(
            f"unknown duration unit {unit!r} in {value!r}; OpenSLO units are "
            "m (minute), h, d, w, M (month), Q, Y"
        )
    if count <= 0:
        raise ValueError(f"a duration must be positive, not {value!r}")
    return Shorthand(count, unit), note


def parse_number(value: object) -> tuple[Decimal, bool]:
    """A number as an exact decimal, and whether it was written as text.

    YAML floats are read through their shortest text form, so ``0.995`` is exactly
    ``Decimal("0.995")``. Raises :class:`ValueError` for anything else.
    """
    if isinstance(value, bool):
        raise ValueError(f"not a number: {value!r}")
    if isinstance(value, int):
        return Decimal(value), False
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError(f"not a finite number: {value!r}")
        return Decimal(repr(value)), False
    if isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            raise ValueError(f"not a number: {value!r}") from None
        if not number.is_finite():
            raise ValueError(f"not a finite number: {value!r}")
        return number, True
    raise ValueError(f"not a number: {value!r}")


def plain(value: Decimal) -> str:
    """A decimal without exponent or trailing zeros: ``99.5``, ``100``."""
    text = format(value.normalize(), "f")
    return text


def slug(text: str) -> str:
    """An id fragment from a name: lower case, runs of other characters become ``-``."""
    out = re.sub(r"[^a-z0-9_.:]+", "-", text.strip().lower()).strip("-._:")
    return out
