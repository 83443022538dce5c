"""Recurring windows: RFC 5545 ``RRULE`` text, checked and expanded on the local clock.

A window starts at a local wall-clock time and may repeat by an ``RRULE`` (``FREQ=WEEKLY;
BYDAY=SU``). Occurrences are generated on the local clock, so a Sunday 02:00 window stays at 02:00
local across daylight-saving changes, and are then converted to UTC by the rule of
:mod:`servanda.calendars.localtime` (a time skipped by spring-forward moves forward by the gap; a
time that happens twice is the first one). A window lasts its duration in elapsed time.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache
from typing import Final

import numpy as np
from dateutil.rrule import rrule, rrulestr

from servanda.calendars.localtime import local_naive, naive_to_wall_us, wall_to_utc
from servanda.core.intervals import I64, to_us

_CHECK_START: Final = datetime(2000, 1, 1)  # noqa: DTZ001 - only used to parse the rule
_TOO_OFTEN = {"SECONDLY", "MINUTELY"}
_EXAMPLE = "e.g. FREQ=WEEKLY;BYDAY=SU or FREQ=MONTHLY;BYMONTHDAY=-1"
_ONE_US: Final = timedelta(microseconds=1)


def rule_parts(text: str) -> dict[str, str]:
    """The ``NAME=value`` parts of a rule, names upper-cased."""
    parts: dict[str, str] = {}
    for item in text.split(";"):
        name, _, value = item.partition("=")
        parts[name.strip().upper()] = value.strip().upper()
    return parts


def check_rrule(value: str) -> str:
    """Validate an ``RRULE`` and return it tidied (no ``RRULE:`` prefix, upper case)."""
    text = value.strip()
    if text.upper().startswith("RRULE:"):
        text = text[len("RRULE:") :]
    text = text.upper().replace(" ", "")
    if not text:
        raise ValueError(f"empty RRULE: leave it out for a one-off window, or write {_EXAMPLE}")
    parts = rule_parts(text)
    if "DTSTART" in parts:
        raise ValueError(f"RRULE {value!r} must not carry DTSTART: the window's start is used")
    if "FREQ" not in parts:
        raise ValueError(f"RRULE {value!r} has no FREQ: write {_EXAMPLE}")
    if parts["FREQ"] in _TOO_OFTEN:
        raise ValueError(f"RRULE {value!r} repeats too often: windows recur at most hourly")
    if "UNTIL" in parts and parts["UNTIL"].endswith("Z"):
        raise ValueError(
            f"RRULE {value!r}: write UNTIL in local time without Z (e.g. UNTIL=20241231T235959)"
        )
    try:
        rrulestr(text, dtstart=_CHECK_START)
    except (ValueError, TypeError, KeyError, IndexError) as exc:
        raise ValueError(f"invalid RRULE {value!r}: {exc}; write {_EXAMPLE}") from None
    return text


@lru_cache(maxsize=4096)
def _parsed(text: str, anchor: datetime) -> rrule:
    parsed = rrulestr(text, dtstart=anchor)
    assert isinstance(parsed, rrule)
    return parsed


def local_anchor(start: datetime, tz: str) -> datetime:
    """A window's start as naive local time: naive is taken as local, aware is converted."""
    if start.tzinfo is None or start.utcoffset() is None:
        return start.replace(tzinfo=None)
    return local_naive(start, tz)


@lru_cache(maxsize=8192)
def occurrences(
    start: datetime,
    duration: timedelta,
    rule: str | None,
    tz: str,
    period_start: datetime,
    period_end: datetime,
) -> tuple[I64, I64]:
    """UTC ``(starts, ends)`` in microseconds of the occurrences overlapping the period.

    Occurrences are whole (not clipped to the period) and sorted by start.
    """
    anchor = local_anchor(start, tz)
    margin = timedelta(days=2)
    lo = local_naive(period_start, tz) - duration - margin
    hi = local_naive(period_end, tz) + margin
    if rule is None:
        locals_ = [anchor] if lo <= anchor <= hi else []
    else:
        locals_ = _parsed(rule, anchor).between(lo, hi, inc=True)
    wall = np.array([naive_to_wall_us(t) for t in locals_], dtype=np.int64)
    starts = wall_to_utc(tz, wall)
    ends = starts + duration // _ONE_US
    keep = (starts < to_us(period_end)) & (ends > to_us(period_start))
    s, e = starts[keep], ends[keep]
    s.setflags(write=False)
    e.setflags(write=False)
    return s, e
