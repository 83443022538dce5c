"""Plain and experience-weighted availability, for many groups at once.

A **group** is what one availability figure is about: a service for one customer over one
period. Its **schedule** (:class:`Schedule`) is its calendar expanded over the period: the
service time S (service hours minus holidays), the maintenance windows P (kept inside S) and
the critical-window weights w(t) (1 outside every window). Its outages are intervals
``[start, end)`` with a fraction ``0 < f ≤ 1`` (1: fully down; 0.5: half of the service down)
and a planned flag.

Definitions, for one group:

* **Downtime level.** At an instant t the level is ``min(1, Σ f)`` over the unplanned outages
  covering t. Two full outages that overlap count once (their union); two half outages at once
  make a full one, as if they hit different halves of the service. The same rule over *every*
  outage, planned or not, gives the level ``D_all`` counts.
* **Excluded time** ``E = (P ∪ planned outages) ∩ S``. A planned outage is excluded whole,
  whatever its fraction: planned work announced for part of a service still stops the clock for
  the whole of it.
* ``U = ∫_{S − E} level(t) dt`` (unplanned downtime in agreed time) and
  ``D_all = ∫_S min(1, Σ f over all outages) dt`` (every downtime, planned or not).
* The three conventions of :class:`~servanda.agreements.model.ExcludedTime`:

  ========  =========================  ====================================
  exclude   ``(|S − E| − U) / |S − E|``  windows leave numerator and denominator
  forgive   ``(|S| − U) / |S|``          downtime in windows forgiven, denominator kept
  naive     ``(|S| − D_all) / |S|``      every downtime counts
  ========  =========================  ====================================

* **Experience-weighted** availability is the same with every length weighted by w(t):
  ``|X|_w = ∫_X w(t) dt``; a minute down inside a window of weight 10 costs ten minutes, and
  the window also counts ten minutes in the denominator.

The kernel (:func:`measure`) works on columns: :class:`OutageColumns` (group, start, end,
fraction, planned; open outages already clipped by the caller to the end of the period) and,
per group, the index of its schedule. It sorts every outage boundary by (group, time) once and
sweeps them with cumulative sums of the unplanned level, the planned count and the all-outage
level. Each elementary segment between two boundaries is measured against its group's schedule
through prefix functions (the measure of S, of S − P and their weighted versions before an
instant) built once per distinct schedule, so ten thousand groups on five calendars expand five
calendars; the segments are then summed per group with :func:`numpy.bincount`.

Fractions are held as integer multiples of ``1 / FRACTION_SCALE`` (3,603,600,000, divisible by
every integer up to 16 and by 100,000), so levels add up and return to zero exactly: a share
written as a percentage with up to three decimals, or as 1/k for k ≤ 16, is exact.

:func:`availability` gives one group's numerator and denominator as exact ``Decimal`` seconds
(weighted seconds when weighted), rounded to the microsecond; :func:`ratios` gives every
group's at once as float arrays; :func:`group_availability` measures one group from record-like
outages (such as :class:`servanda.events.outages.Outage`); :func:`downtime_timeline` gives the
down intervals of every group for a timeline.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any, Final, Protocol

import numpy as np
import numpy.typing as npt

from servanda.agreements.model import ExcludedTime
from servanda.calendars.expand import critical_weights, maintenance_time, service_time
from servanda.calendars.model import Calendar
from servanda.core.intervals import F64, I64, IntervalSet, WeightedIntervals, to_us

__all__ = [
    "FRACTION_SCALE",
    "Figures",
    "OutageColumns",
    "OutageLike",
    "Schedule",
    "Timeline",
    "availability",
    "convention_text",
    "downtime_timeline",
    "expand_schedule",
    "group_availability",
    "measure",
    "ratios",
]

Bools = npt.NDArray[np.bool_]

FRACTION_SCALE: Final = 3_603_600_000
"""Fractions are counted in units of ``1 / FRACTION_SCALE`` (see the module documentation)."""

_US: Final = Decimal(1_000_000)
_LIMIT: Final = 2**62
"""Composite sort keys and shifted instants stay below this (int64 has room to spare)."""

_CONVENTION_TEXT: Final = {
    ExcludedTime.EXCLUDE: "exclude: (S − E − U) / (S − E)",
    ExcludedTime.FORGIVE: "forgive: (S − U) / S",
    ExcludedTime.NAIVE: "naive: (S − all downtime) / S",
}


def convention_text(convention: ExcludedTime, weighted: bool = False) -> str:
    """How a figure was computed, for reports (S service time, E excluded, U unplanned down)."""
    text = _CONVENTION_TEXT[convention]
    return f"{text}, weighted by critical windows" if weighted else text


# -- inputs -----------------------------------------------------------------------------------


class OutageLike(Protocol):
    """What :meth:`OutageColumns.from_outages` reads of an outage record."""

    @property
    def service(self) -> str: ...

    @property
    def customer(self) -> str: ...

    @property
    def start(self) -> datetime: ...

    @property
    def end(self) -> datetime | None: ...

    @property
    def fraction(self) -> float: ...

    @property
    def planned(self) -> bool: ...


def _readonly(array: Any) -> Any:
    array.setflags(write=False)
    return array


@dataclass(frozen=True, slots=True, eq=False)
class OutageColumns:
    """Outages as parallel columns; build with :meth:`from_arrays` or :meth:`from_outages`."""

    group: I64
    """Index of the group each outage belongs to."""
    start_us: I64
    """Start, microseconds UTC."""
    end_us: I64
    """End (exclusive), microseconds UTC; an open outage is clipped to the period's end."""
    fraction: F64
    """Share of the service down, ``0 < f ≤ 1``."""
    planned: Bools
    """Planned outages are excluded time, whatever their fraction."""

    @classmethod
    def from_arrays(
        cls,
        group: Any,
        start_us: Any,
        end_us: Any,
        fraction: Any = None,
        planned: Any = None,
    ) -> OutageColumns:
        """Validated columns (fraction defaults to 1, planned to False).

        Raises :class:`ValueError` naming the first bad row: an end before its start, a
        fraction outside ``(0, 1]``, a negative group, or columns of different lengths.
        """
        g = np.asarray(group, dtype=np.int64).copy()
        s = np.asarray(start_us, dtype=np.int64).copy()
        e = np.asarray(end_us, dtype=np.int64).copy()
        n = g.size
        f = (
            np.ones(n, dtype=np.float64)
            if fraction is None
            else np.asarray(fraction, dtype=np.float64).copy()
        )
        p = np.zeros(n, dtype=bool) if planned is None else np.asarray(planned, dtype=bool).copy()
        for name, column in (("start_us", s), ("end_us", e), ("fraction", f), ("planned", p)):
            if column.shape != (n,):
                raise ValueError(f"{name} has shape {column.shape}, group has ({n},)")
        checks = (
            (e < s, "ends before it starts"),
            (~((f > 0) & (f <= 1)), "has a fraction outside (0, 1]"),
            (g < 0, "has a negative group"),
        )
        for bad, what in checks:
            found = np.flatnonzero(bad)
            if found.size:
                raise ValueError(f"outage {int(found[0])} {what}")
        return cls(_readonly(g), _readonly(s), _readonly(e), _readonly(f), _readonly(p))

    @classmethod
    def from_outages(
        cls,
        outages: Iterable[OutageLike],
        groups: Mapping[tuple[str, str], int],
        open_until: datetime,
    ) -> OutageColumns:
        """Columns of the outages whose ``(service, customer)`` is in ``groups``.

        ``groups`` maps a (service, customer) pair to its group index; outages of other pairs
        are left out. An outage still open (``end`` None) is taken to last until
        ``open_until`` (the end of the period, or "now" mid-period); one that only starts
        after ``open_until`` is kept with no length.
        """
        until = to_us(open_until)
        rows: list[tuple[int, int, int, float, bool]] = []
        for o in outages:
            index = groups.get((o.service, o.customer))
            if index is None:
                continue
            start = to_us(o.start)
            end = max(until, start) if o.end is None else to_us(o.end)
            rows.append((index, start, end, o.fraction, o.planned))
        if not rows:
            return cls.from_arrays([], [], [], [], [])
        g, s, e, f, p = zip(*rows, strict=True)
        return cls.from_arrays(g, s, e, f, p)

    def __len__(self) -> int:
        return int(self.group.size)


@dataclass(frozen=True, slots=True, eq=False)
class Schedule:
    """A calendar over one period: what a group's outages are measured against."""

    start_us: int
    """Start of the period, microseconds UTC."""
    end_us: int
    """End of the period (exclusive)."""
    service: IntervalSet
    """S: service hours minus holidays, inside the period."""
    maintenance: IntervalSet
    """P ∩ S: maintenance windows inside the service time."""
    weights: WeightedIntervals
    """w(t): critical-window weights, 1 elsewhere."""

    @classmethod
    def build(
        cls,
        start: datetime | int,
        end: datetime | int,
        service: IntervalSet | None = None,
        maintenance: IntervalSet | None = None,
        weights: WeightedIntervals | None = None,
    ) -> Schedule:
        """A schedule from interval sets: ``service`` (the whole period when None) is clipped
        to the period, ``maintenance`` to the service time; ``weights`` default to 1."""
        lo = to_us(start) if isinstance(start, datetime) else int(start)
        hi = to_us(end) if isinstance(end, datetime) else int(end)
        if hi < lo:
            raise ValueError("a schedule's period ends before it starts")
        s = IntervalSet.span(lo, hi) if service is None else service.clip(lo, hi)
        p = IntervalSet.empty() if maintenance is None else maintenance & s
        w = WeightedIntervals.constant(1.0) if weights is None else weights
        return cls(lo, hi, s, p, w)

    def totals(self) -> tuple[int, int, float, float]:
        """``|S|``, ``|P ∩ S|`` in microseconds and their weighted measures."""
        return (
            self.service.duration(),
            self.maintenance.duration(),
            self.weights.weighted_duration(self.service),
            self.weights.weighted_duration(self.maintenance),
        )


@lru_cache(maxsize=4096)
def expand_schedule(
    calendar: Calendar, start: datetime, end: datetime, node: str | None = None
) -> Schedule:
    """``calendar`` over ``[start, end)``: its service time, the maintenance windows that apply
    to ``node`` (every window when None) and its critical weights. Cached."""
    service = service_time(calendar, start, end)
    return Schedule.build(
        start,
        end,
        service,
        maintenance_time(calendar, start, end, node),
        critical_weights(calendar, start, end),
    )


# -- prefix functions -------------------------------------------------------------------------


def _member(intervals: IntervalSet, points: I64) -> Bools:
    if not len(intervals):
        return np.zeros(points.size, dtype=bool)
    i = np.searchsorted(intervals.starts, points, side="right") - 1
    inside: Bools = (i >= 0) & (points < intervals.ends[np.maximum(i, 0)])
    return inside


def _weight_at(weights: WeightedIntervals, points: I64) -> F64:
    if not len(weights):
        return np.full(points.size, weights.default)
    i = np.searchsorted(weights.starts, points, side="right") - 1
    safe = np.maximum(i, 0)
    inside = (i >= 0) & (points < weights.ends[safe])
    found: F64 = np.where(inside, weights.weights[safe], weights.default)
    return found


@dataclass(frozen=True, slots=True)
class _Prefix:
    """Prefix measures of every schedule on one shifted time axis.

    Schedule k occupies ``[k·delta, k·delta + delta)``: a zero-length sentinel piece at
    ``k·delta``, then the pieces of its service time at ``k·delta + 1 + (t − start_k)``. Each
    piece lies in S, wholly inside or outside P and under one weight. ``cum_*`` are
    cumulative measures up to each piece's end, restarting at every schedule.
    """

    delta: int
    starts: I64
    ends: I64
    cum_s: I64
    cum_a: I64
    open_a: I64
    cum_ws: F64
    cum_wa: F64
    dens_ws: F64
    dens_wa: F64

    @classmethod
    def of(cls, schedules: Sequence[Schedule], delta: int) -> _Prefix:
        parts: dict[str, list[Any]] = {
            k: [] for k in ("starts", "ends", "cs", "ca", "oa", "cws", "cwa", "dws", "dwa")
        }
        for k, sch in enumerate(schedules):
            s, p, w = sch.service, sch.maintenance, sch.weights
            points = np.unique(
                np.clip(
                    np.concatenate((s.starts, s.ends, p.starts, p.ends, w.starts, w.ends)),
                    sch.start_us,
                    sch.end_us,
                )
            )
            a, b = points[:-1], points[1:]
            keep = _member(s, a)
            a, b = a[keep], b[keep]
            open_a = (~_member(p, a)).astype(np.int64)
            weight = _weight_at(w, a)
            length = b - a
            base = k * delta
            zero_i = np.zeros(1, dtype=np.int64)
            zero_f = np.zeros(1, dtype=np.float64)
            parts["starts"].append(np.concatenate(([base], a - sch.start_us + base + 1)))
            parts["ends"].append(np.concatenate(([base], b - sch.start_us + base + 1)))
            parts["cs"].append(np.concatenate((zero_i, np.cumsum(length))))
            parts["ca"].append(np.concatenate((zero_i, np.cumsum(length * open_a))))
            parts["oa"].append(np.concatenate((zero_i, open_a)))
            parts["cws"].append(np.concatenate((zero_f, np.cumsum(length * weight))))
            parts["cwa"].append(np.concatenate((zero_f, np.cumsum(length * weight * open_a))))
            parts["dws"].append(np.concatenate((zero_f, weight)))
            parts["dwa"].append(np.concatenate((zero_f, weight * open_a)))
        j = {k: np.concatenate(v) for k, v in parts.items()}
        return cls(
            delta,
            j["starts"],
            j["ends"],
            j["cs"],
            j["ca"],
            j["oa"],
            j["cws"],
            j["cwa"],
            j["dws"],
            j["dwa"],
        )

    def at(self, shifted: I64) -> tuple[I64, I64, F64, F64]:
        """``|S|``, ``|S − P|``, ``|S|_w``, ``|S − P|_w`` before each shifted instant."""
        i = np.searchsorted(self.starts, shifted, side="right") - 1
        over = np.maximum(self.ends[i] - shifted, 0)
        over_f = over.astype(np.float64)
        return (
            self.cum_s[i] - over,
            self.cum_a[i] - self.open_a[i] * over,
            self.cum_ws[i] - self.dens_ws[i] * over_f,
            self.cum_wa[i] - self.dens_wa[i] * over_f,
        )


# -- the sweep --------------------------------------------------------------------------------

CHUNK: Final = 1 << 16
"""Boundaries handled per step after sorting: small arrays stay in cache and memory stays low."""


@dataclass(frozen=True, slots=True)
class _Boundaries:
    """Every outage boundary, sorted by (group, time), with the level change each one makes.

    The outages' (fraction, planned) pairs are few in practice, so each boundary's change is a
    small code: a start is ``2 × (index of its fraction) + planned``, an end the same plus
    ``half``. The codes ride in the low bits of the sort key, so one plain sort of integers
    orders everything (``packed``); when the key has no room for them, an index sort moves
    the codes instead (``unpacked``: group, time and code columns, kept whole).
    """

    size: int
    packed: I64 | None
    time_bits: int
    code_bits: int
    unpacked: tuple[I64, I64, I64] | None
    unplanned: I64
    """Change of the unplanned level for each code, in units of 1 / FRACTION_SCALE."""
    count: I64
    """Change of the number of planned outages in force, for each code."""
    every: I64
    """Change of the level of every outage, planned or not, for each code."""

    @classmethod
    def of(
        cls, group: I64, start: I64, end: I64, fraction: F64, planned: Bools, span: int
    ) -> _Boundaries:
        """Sort the boundaries of outages lying in ``[0, span]``."""
        n = group.size
        units = np.rint(fraction * FRACTION_SCALE).astype(np.int64)
        kinds = np.unique(units)
        code = np.searchsorted(kinds, units) * 2 + planned
        del units
        half = 2 * kinds.size
        every = np.concatenate((np.repeat(kinds, 2), -np.repeat(kinds, 2)))
        count = np.tile(np.array([0, 1, 0, -1], dtype=np.int64).reshape(2, 2), kinds.size)
        count = np.concatenate((count[0], count[1]))
        unplanned = np.where(count == 0, every, 0)
        time_bits = max(span.bit_length(), 1)
        group_bits = (int(group.max()) if n else 0).bit_length()
        code_bits = max((2 * half - 1).bit_length(), 1)
        if group_bits + time_bits + code_bits <= 62:
            packed = np.empty(2 * n, dtype=np.int64)
            high = group << (time_bits + code_bits)
            np.bitwise_or(high, start << code_bits, out=packed[:n])
            packed[:n] |= code
            np.bitwise_or(high, end << code_bits, out=packed[n:])
            packed[n:] |= code + half
            del high
            packed.sort()
            return cls(2 * n, packed, time_bits, code_bits, None, unplanned, count, every)
        both_g = np.concatenate((group, group))
        both_t = np.concatenate((start, end))
        order = np.lexsort((both_t, both_g))
        codes = np.concatenate((code, code + half))[order]
        unpacked = (both_g[order], both_t[order], codes)
        return cls(2 * n, None, 0, 0, unpacked, unplanned, count, every)

    def part(self, first: int, stop: int) -> tuple[I64, I64, I64]:
        """Group, time and code of the boundaries ``first`` to ``stop − 1``."""
        if self.unpacked is not None:
            group, time, codes = self.unpacked
            return group[first:stop], time[first:stop], codes[first:stop]
        assert self.packed is not None
        chunk = self.packed[first:stop]
        codes = chunk & ((1 << self.code_bits) - 1)
        key = chunk >> self.code_bits
        return key >> self.time_bits, key & ((1 << self.time_bits) - 1), codes


# -- results ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, eq=False)
class Figures:
    """Per-group measures, in microseconds (``_w``: weighted microseconds); index = group.

    ``planned_us`` is the planned-outage time in ``S − P`` (so ``|S − E| = service_us −
    maintenance_us − planned_us``); ``unplanned_us`` is U and ``downtime_all_us`` is D_all
    (see the module documentation). Partial outages make U and D_all fractional.
    """

    service_us: I64
    maintenance_us: I64
    planned_us: I64
    unplanned_us: F64
    downtime_all_us: F64
    service_w: F64
    maintenance_w: F64
    planned_w: F64
    unplanned_w: F64
    downtime_all_w: F64

    def __len__(self) -> int:
        return int(self.service_us.size)


def measure(outages: OutageColumns, schedules: Sequence[Schedule], schedule_of: Any) -> Figures:
    """The figures of every group: group ``g`` is measured against
    ``schedules[schedule_of[g]]``; the number of groups is ``len(schedule_of)``.

    Outages are clipped to their group's period; a group without outages gets its schedule's
    service and maintenance time and zero downtime. Raises :class:`ValueError` for an outage
    whose group has no schedule, or a schedule index out of range.
    """
    sched_of = np.asarray(schedule_of, dtype=np.int64)
    groups = sched_of.size
    if sched_of.size and (sched_of.min() < 0 or sched_of.max() >= len(schedules)):
        raise ValueError(f"a schedule index is outside 0..{len(schedules) - 1}")
    if len(outages) and int(outages.group.max()) >= groups:
        raise ValueError(f"an outage belongs to group {int(outages.group.max())} of {groups}")
    if not groups:
        none_i, none_f = np.zeros(0, dtype=np.int64), np.zeros(0)
        return Figures(
            none_i, none_i, none_i, none_f, none_f, none_f, none_f, none_f, none_f, none_f
        )
    lo = np.array([s.start_us for s in schedules], dtype=np.int64)
    hi = np.array([s.end_us for s in schedules], dtype=np.int64)
    span = int((hi - lo).max())
    delta = span + 2
    if len(schedules) * delta >= _LIMIT:
        raise ValueError("too many schedules over too long periods for one evaluation")

    totals = [s.totals() for s in schedules]
    plain = np.array([(a, b) for a, b, _, _ in totals], dtype=np.int64)
    weighted = np.array([(c, d) for _, _, c, d in totals], dtype=np.float64)
    service_us, maintenance_us = plain[sched_of, 0], plain[sched_of, 1]
    service_w, maintenance_w = weighted[sched_of, 0], weighted[sched_of, 1]

    # Clip every outage to its group's period, relative to the period start.
    k = sched_of[outages.group]
    s = np.clip(outages.start_us, lo[k], hi[k]) - lo[k]
    e = np.clip(outages.end_us, lo[k], hi[k]) - lo[k]
    del k
    keep = e > s
    group, fraction, planned = outages.group, outages.fraction, outages.planned
    if not keep.all():
        s, e = s[keep], e[keep]
        group, fraction, planned = group[keep], fraction[keep], planned[keep]
    bounds = _Boundaries.of(group, s, e, fraction, planned, span)
    del s, e, keep
    prefix = _Prefix.of(schedules, delta)
    sums = np.zeros((6, groups), dtype=np.float64)
    carry = np.zeros(3, dtype=np.int64)
    # Segment j runs from boundary j to boundary j + 1: each step reads boundaries first … stop
    # to measure the segments that start at first … stop − 1. Across two groups the levels
    # after the last boundary of a group are exactly zero, so those segments add nothing.
    for first in range(0, max(bounds.size - 1, 0), CHUNK):
        stop = min(first + CHUNK, bounds.size - 1)
        g, t, codes = bounds.part(first, stop + 1)
        f_s, f_a, f_ws, f_wa = prefix.at(sched_of[g] * delta + 1 + t)
        seg_s = np.diff(f_s).astype(np.float64)
        seg_a = np.diff(f_a).astype(np.float64)
        seg_ws = np.diff(f_ws)
        seg_wa = np.diff(f_wa)
        codes = codes[:-1]
        up = np.cumsum(bounds.unplanned[codes]) + carry[0]
        count = np.cumsum(bounds.count[codes]) + carry[1]
        every = np.cumsum(bounds.every[codes]) + carry[2]
        carry[:] = (up[-1], count[-1], every[-1])
        level = np.minimum(up, FRACTION_SCALE) / FRACTION_SCALE
        level_all = np.minimum(every, FRACTION_SCALE) / FRACTION_SCALE
        excluded = count > 0
        counted = np.where(excluded, 0.0, level)
        low = int(g[0])
        local = g[:-1] - low
        width = int(g[-2]) - low + 1
        parts = (
            np.where(excluded, seg_a, 0.0),
            seg_a * counted,
            seg_s * level_all,
            np.where(excluded, seg_wa, 0.0),
            seg_wa * counted,
            seg_ws * level_all,
        )
        for row, values in enumerate(parts):
            sums[row, low : low + width] += np.bincount(local, weights=values, minlength=width)
    return Figures(
        service_us=service_us,
        maintenance_us=maintenance_us,
        planned_us=np.rint(sums[0]).astype(np.int64),
        unplanned_us=sums[1],
        downtime_all_us=sums[2],
        service_w=service_w,
        maintenance_w=maintenance_w,
        planned_w=sums[3],
        unplanned_w=sums[4],
        downtime_all_w=sums[5],
    )


def ratios(
    figures: Figures, convention: ExcludedTime = ExcludedTime.EXCLUDE, weighted: bool = False
) -> tuple[F64, F64]:
    """Every group's numerator and denominator, in (weighted) microseconds, as floats.

    Availability is ``numerator / denominator``; a zero denominator means nothing was due.
    """
    f = figures
    if weighted:
        service, maintenance, planned = f.service_w, f.maintenance_w, f.planned_w
        unplanned, every = f.unplanned_w, f.downtime_all_w
    else:
        service = f.service_us.astype(np.float64)
        maintenance = f.maintenance_us.astype(np.float64)
        planned = f.planned_us.astype(np.float64)
        unplanned, every = f.unplanned_us, f.downtime_all_us
    if convention is ExcludedTime.EXCLUDE:
        due = service - maintenance - planned
        return due - unplanned, due
    if convention is ExcludedTime.FORGIVE:
        return service - unplanned, service
    return service - every, service


def availability(
    figures: Figures,
    group: int,
    convention: ExcludedTime = ExcludedTime.EXCLUDE,
    weighted: bool = False,
) -> tuple[Decimal, Decimal]:
    """One group's ``(numerator, denominator)`` in seconds (weighted seconds when weighted).

    Exact decimals, rounded to the microsecond: the denominator and the downtime are each
    rounded, then subtracted, so ``denominator − numerator`` is the rounded downtime. The
    availability is their quotient; a zero denominator means nothing was due.
    """
    f = figures
    columns: tuple[npt.NDArray[Any], ...]
    if weighted:
        columns = (f.service_w, f.maintenance_w, f.planned_w, f.unplanned_w, f.downtime_all_w)
    else:
        columns = (f.service_us, f.maintenance_us, f.planned_us, f.unplanned_us, f.downtime_all_us)
    service, maintenance, planned, unplanned, every = columns

    def us(values: Any) -> int:
        return round(float(values[group]))

    if convention is ExcludedTime.EXCLUDE:
        due = us(service) - us(maintenance) - us(planned)
        lost = us(unplanned)
    elif convention is ExcludedTime.FORGIVE:
        due, lost = us(service), us(unplanned)
    else:
        due, lost = us(service), us(every)
    return Decimal(due - lost) / _US, Decimal(due) / _US


def group_availability(
    outages: Iterable[OutageLike],
    schedule: Schedule,
    convention: ExcludedTime = ExcludedTime.EXCLUDE,
    weighted: bool = False,
) -> tuple[Decimal, Decimal]:
    """One group's ``(numerator, denominator)`` from outage records (see :func:`availability`).

    Every outage given is taken as the group's (service and customer are not read); an open
    one lasts until the schedule's end.
    """
    starts: list[int] = []
    ends: list[int] = []
    fractions: list[float] = []
    planned: list[bool] = []
    for o in outages:
        start = to_us(o.start)
        starts.append(start)
        ends.append(max(schedule.end_us, start) if o.end is None else to_us(o.end))
        fractions.append(o.fraction)
        planned.append(o.planned)
    columns = OutageColumns.from_arrays(
        np.zeros(len(starts), dtype=np.int64), starts, ends, fractions, planned
    )
    return availability(measure(columns, [schedule], [0]), 0, convention, weighted)


def per_slice(
    outages: OutageColumns,
    schedule: Schedule,
    starts: I64,
    ends: I64,
    convention: ExcludedTime = ExcludedTime.EXCLUDE,
    weighted: bool = False,
) -> tuple[I64, I64]:
    """Availability slice by slice: each slice ``[starts[k], ends[k])`` of ``schedule``'s
    period measured as a group of its own (its part of the service time, maintenance and
    weights; the part of each outage inside it), under ``convention``. Returns each slice's
    numerator and denominator in (weighted) microseconds, rounded to whole ones: a
    denominator of 0 means nothing was agreed in the slice (it has no data).

    One vectorised pass: every outage is cut at the slice boundaries it crosses (its rows
    repeated, one per slice it touches), :func:`measure` takes all slices at once, and each
    slice's service and maintenance time is a difference of the schedule's prefix measures.
    """
    n = int(starts.size)
    if n == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    a, b = outages.start_us, outages.end_us
    first = np.searchsorted(ends, a, side="right")
    last = np.searchsorted(starts, b, side="left") - 1
    touched = (b > a) & (first <= last)
    first, last = first[touched], last[touched]
    counts = last - first + 1
    rows = np.repeat(np.flatnonzero(touched), counts)
    offsets = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
    group = np.repeat(first, counts) + offsets
    cut = OutageColumns.from_arrays(
        group,
        np.maximum(a[rows], starts[group]),
        np.minimum(b[rows], ends[group]),
        outages.fraction[rows],
        outages.planned[rows],
    )
    # Downtime per slice: every piece lies in its slice, so one schedule serves all groups;
    # the slices' own service and maintenance time come from the schedule's prefix measures.
    figures = measure(cut, [schedule], np.zeros(n, dtype=np.int64))
    prefix = _Prefix.of([schedule], schedule.end_us - schedule.start_us + 2)
    lo = prefix.at(np.clip(starts, schedule.start_us, schedule.end_us) - schedule.start_us + 1)
    hi = prefix.at(np.clip(ends, schedule.start_us, schedule.end_us) - schedule.start_us + 1)
    service, open_time = hi[0] - lo[0], hi[1] - lo[1]
    service_w, open_w = hi[2] - lo[2], hi[3] - lo[3]
    sliced = replace(
        figures,
        service_us=service,
        maintenance_us=service - open_time,
        service_w=service_w,
        maintenance_w=service_w - open_w,
    )
    num, den = ratios(sliced, convention, weighted)
    return np.rint(num).astype(np.int64), np.rint(den).astype(np.int64)


# -- timeline ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, eq=False)
class Timeline:
    """Down intervals of every group, sorted by group then start; adjacent intervals differ.

    ``level`` is the unplanned level (``min(1, Σ f)``); ``planned`` says a planned outage is in
    force (the interval is excluded time, whatever its level).
    """

    group: I64
    start_us: I64
    end_us: I64
    level: F64
    planned: Bools

    def __len__(self) -> int:
        return int(self.group.size)


def downtime_timeline(outages: OutageColumns) -> Timeline:
    """The intervals where each group is down or in planned outage, with the level in force.

    Calendars are not read: this is when the service was down, whether it was due or not.
    """
    if not len(outages):
        empty_i = np.empty(0, dtype=np.int64)
        return Timeline(empty_i, empty_i, empty_i, np.empty(0), np.empty(0, dtype=bool))
    origin = int(outages.start_us.min())
    span = int(outages.end_us.max()) - origin
    bounds = _Boundaries.of(
        outages.group,
        outages.start_us - origin,
        outages.end_us - origin,
        outages.fraction,
        outages.planned,
        span,
    )
    g, t, codes = bounds.part(0, bounds.size)
    t = t + origin
    codes = codes[:-1]
    level = np.minimum(np.cumsum(bounds.unplanned[codes]), FRACTION_SCALE) / FRACTION_SCALE
    planned = np.cumsum(bounds.count[codes]) > 0
    same = (g[1:] == g[:-1]) & (t[1:] > t[:-1]) & ((level > 0) | planned)
    idx = np.flatnonzero(same)
    seg_g, seg_s, seg_e = g[idx], t[idx], t[idx + 1]
    seg_l, seg_p = level[idx], planned[idx]
    if idx.size:
        joins = np.zeros(idx.size, dtype=bool)
        joins[1:] = (
            (seg_g[1:] == seg_g[:-1])
            & (seg_s[1:] == seg_e[:-1])
            & (seg_l[1:] == seg_l[:-1])
            & (seg_p[1:] == seg_p[:-1])
        )
        first = ~joins
        last = np.empty(idx.size, dtype=bool)
        last[-1] = True
        last[:-1] = first[1:]
        seg_g, seg_s, seg_l, seg_p = seg_g[first], seg_s[first], seg_l[first], seg_p[first]
        seg_e = seg_e[last]
    return Timeline(seg_g, seg_s, seg_e, seg_l, seg_p)
