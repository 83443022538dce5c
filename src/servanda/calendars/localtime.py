"""Local wall-clock time to UTC, for whole arrays at once.

Wall-clock instants are held like UTC ones, as ``int64`` microseconds since 1970-01-01 00:00, but
read on the local clock. :func:`wall_to_utc` converts them with the rule of :mod:`zoneinfo` for
``fold=0``:

* a wall time that does not exist (skipped when clocks spring forward) is read with the offset in
  force before the change, so it lands *after* the gap, shifted forward by the gap's length
  (02:30 on a night when 02:00 jumps to 03:00 becomes 03:30);
* a wall time that happens twice (when clocks fall back) is the first of the two.

The zone's offset changes are found once per zone and year and cached.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any, Final
from zoneinfo import ZoneInfo

import numpy as np

from servanda.core.intervals import I64

US_PER_SECOND: Final = 1_000_000
US_PER_DAY: Final = 86_400 * US_PER_SECOND
US_PER_MINUTE: Final = 60 * US_PER_SECOND
_NAIVE_EPOCH: Final = datetime(1970, 1, 1)  # noqa: DTZ001 - the origin of wall-clock time
_ONE_US: Final = timedelta(microseconds=1)


def _offset_s(tz: ZoneInfo, utc_seconds: int) -> int:
    offset = datetime.fromtimestamp(utc_seconds, tz).utcoffset()
    assert offset is not None
    return int(offset.total_seconds())


@lru_cache(maxsize=1024)
def _year_changes(key: str, year: int) -> tuple[tuple[int, int, int], ...]:
    """Offset changes during ``year`` (UTC): ``(instant s, offset before s, offset after s)``."""
    tz = ZoneInfo(key)
    first = int(datetime(year, 1, 1, tzinfo=UTC).timestamp())
    last = int(datetime(year + 1, 1, 1, tzinfo=UTC).timestamp())
    changes: list[tuple[int, int, int]] = []
    prev_t, prev = first, _offset_s(tz, first)
    # Sampling every 6 hours finds every change (zones never change twice that fast); each
    # change is then located to the second by bisection.
    for t in range(first + 21_600, last + 1, 21_600):
        now = _offset_s(tz, t)
        if now != prev:
            lo, hi = prev_t, t  # offset(lo) == prev, offset(hi) != prev
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if _offset_s(tz, mid) == prev:
                    lo = mid
                else:
                    hi = mid
            changes.append((hi, prev, now))
        prev_t, prev = t, now
    return tuple(changes)


@lru_cache(maxsize=1024)
def _table(key: str, first_year: int, last_year: int) -> tuple[I64, I64]:
    """Thresholds on the wall clock and the offset (µs) to subtract below each of them."""
    changes = [c for y in range(first_year, last_year + 1) for c in _year_changes(key, y)]
    start = int(datetime(first_year, 1, 1, tzinfo=UTC).timestamp())
    offsets = [_offset_s(ZoneInfo(key), start)] + [after for _, _, after in changes]
    thresholds = [t + max(before, after) for t, before, after in changes]
    thr = np.array(thresholds, dtype=np.int64) * US_PER_SECOND
    off = np.array(offsets, dtype=np.int64) * US_PER_SECOND
    thr.setflags(write=False)
    off.setflags(write=False)
    return thr, off


def _year_of(wall_us: int) -> int:
    return (_NAIVE_EPOCH + timedelta(microseconds=wall_us)).year


def wall_to_utc(key: str, wall_us: Any) -> I64:
    """Convert wall-clock microseconds in zone ``key`` to UTC microseconds (see module doc)."""
    wall = np.asarray(wall_us, dtype=np.int64)
    if wall.size == 0:
        return wall.copy()
    first = _year_of(int(wall.min()) - 2 * US_PER_DAY)
    last = _year_of(int(wall.max()) + 2 * US_PER_DAY)
    thr, off = _table(key, first, last)
    utc: I64 = wall - off[np.searchsorted(thr, wall, side="right")]
    return utc


def naive_to_wall_us(moment: datetime) -> int:
    """Wall-clock microseconds of a naive local datetime."""
    return (moment - _NAIVE_EPOCH) // _ONE_US


def local_date(instant: datetime, key: str) -> date:
    """The local calendar date of an aware instant."""
    return instant.astimezone(ZoneInfo(key)).date()


def local_naive(instant: datetime, key: str) -> datetime:
    """An aware instant as a naive datetime on the local clock of zone ``key``."""
    return instant.astimezone(ZoneInfo(key)).replace(tzinfo=None)


def day_number(day: date) -> int:
    """Days since 1970-01-01."""
    return (day - _NAIVE_EPOCH.date()).days


@lru_cache(maxsize=1024)
def _utc_table(key: str, first_year: int, last_year: int) -> tuple[I64, I64]:
    """The zone's offset changes as UTC instants (µs) and the offset (µs) in force from each
    (the first offset holds before the first change)."""
    changes = [c for y in range(first_year, last_year + 1) for c in _year_changes(key, y)]
    start = int(datetime(first_year, 1, 1, tzinfo=UTC).timestamp())
    offsets = [_offset_s(ZoneInfo(key), start)] + [after for _, _, after in changes]
    at = np.array([t for t, _, _ in changes], dtype=np.int64) * US_PER_SECOND
    off = np.array(offsets, dtype=np.int64) * US_PER_SECOND
    at.setflags(write=False)
    off.setflags(write=False)
    return at, off


def utc_to_wall(key: str, utc_us: Any) -> tuple[I64, I64]:
    """UTC microseconds read on the clock of zone ``key``: the wall-clock microseconds, and the
    microseconds until the zone's offset next changes (the end of the range searched when it
    does not: a year past the latest instant)."""
    utc = np.asarray(utc_us, dtype=np.int64)
    if utc.size == 0:
        return utc.copy(), utc.copy()
    first = _year_of(int(utc.min())) - 1
    last = _year_of(int(utc.max())) + 1
    at, off = _utc_table(key, first, last)
    index = np.searchsorted(at, utc, side="right")
    wall: I64 = utc + off[index]
    horizon = int(datetime(last + 1, 1, 1, tzinfo=UTC).timestamp()) * US_PER_SECOND
    ends = np.append(at, horizon)
    until: I64 = ends[index] - utc
    return wall, until
