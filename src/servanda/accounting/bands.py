"""Time bands of a tariff and the week table they make.

A band is weekly hours on the tariff's local clock (``{mon-fri: "08:00-19:00"}``, ``24x7``),
with whether it applies on holidays. Bands are tried in order: the first whose hours hold an
instant prices it. :func:`week_table` turns the ordered bands into two arrays of one entry per
minute of the week (Monday 00:00 first), one for working days and one for holidays, holding
the index of the band in force, or −1 where no band is: rating looks an instant up in
constant time, and :func:`uncovered` names the first minute no band covers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import numpy as np
import numpy.typing as npt

from servanda.calendars.weekly import ALWAYS, DAY_NAMES, MINUTES_PER_DAY, ServiceHours
from servanda.catalog.model import Id
from servanda.core.records import record

MINUTES_PER_WEEK: Final = 7 * MINUTES_PER_DAY

I16 = npt.NDArray[np.int16]


@record
class Band:
    """A time band: weekly hours on the tariff's local clock."""

    id: Id
    hours: ServiceHours = ALWAYS
    """``{mon-fri: "08:00-19:00"}``, or ``24x7`` (the default)."""
    holidays: bool = True
    """Whether the band applies on the calendar's holidays (``false``: a holiday is priced
    by a later band, e.g. off-peak)."""


def _mask(hours: ServiceHours) -> npt.NDArray[np.bool_]:
    mask = np.zeros(MINUTES_PER_WEEK, dtype=np.bool_)
    for r in hours.ranges:
        start = r.weekday * MINUTES_PER_DAY + r.start
        end = r.weekday * MINUTES_PER_DAY + r.end
        if end <= MINUTES_PER_WEEK:
            mask[start:end] = True
        else:  # Sunday night into Monday
            mask[start:] = True
            mask[: end - MINUTES_PER_WEEK] = True
    return mask


def week_table(bands: Sequence[Band], *, holiday: bool) -> I16:
    """The index of the band in force at each minute of the week (−1: none), on working days
    or on holidays."""
    table = np.full(MINUTES_PER_WEEK, -1, dtype=np.int16)
    for i in range(len(bands) - 1, -1, -1):  # earlier bands win: write them last
        band = bands[i]
        if holiday and not band.holidays:
            continue
        table[_mask(band.hours)] = i
    return table


def uncovered(bands: Sequence[Band]) -> str | None:
    """The first minute of the week no band prices (``Sunday 23:00``, or ``Monday 08:00 on a
    holiday``), or None when every minute of every day is priced."""
    for holiday in (False, True):
        table = week_table(bands, holiday=holiday)
        gaps = np.flatnonzero(table < 0)
        if gaps.size:
            minute = int(gaps[0])
            day, rest = divmod(minute, MINUTES_PER_DAY)
            when = f"{DAY_NAMES[day]} {rest // 60:02d}:{rest % 60:02d}"
            return when + (" on a holiday" if holiday else "")
    return None
