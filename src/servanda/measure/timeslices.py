"""Time-sliced objectives (OpenSLO ``Timeslices`` budgeting) and OpenSLO ``RatioTimeslices``.

A period [p₀, p₁) is cut into slices of a fixed length L aligned on the period start:
[p₀ + k·L, p₀ + (k+1)·L), the last one cut short at p₁ when L does not divide the period (it
counts like any other slice). Each slice gets one value from the measurements that fall in it —
the ratio of sums Σgood/Σtotal of its events, or a statistic of its values (a percentile,
mean, minimum or maximum) — and is **good** when that value meets the per-slice target
(``timeslice_target``) under the objective's comparator.

The result is good slices / slices with data. **A slice without data is left out** of both
counts (it is neither good nor bad: nothing was measured), and reported as such; an objective
that wants a silent slice to count as bad can read ``slices − slices_with_data``.

OpenSLO's ``RatioTimeslices`` (:func:`ratio_timeslices`) is different: the plain mean of the
per-slice ratios over the slices with data — a mean of ratios, so a quiet slice weighs as much
as a busy one. It is here because OpenSLO defines it; ``Occurrences`` budgeting is
:func:`~servanda.measure.series.ratio_of_sums` over the whole period.

Everything is vectorised: each measurement's slice is one floor division, per-slice sums are
``np.bincount`` (exact ``np.add.at`` for event counts), per-slice percentiles one sort
(:func:`~servanda.measure.series.grouped_percentile`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from fractions import Fraction
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from servanda.agreements.model import Comparator
from servanda.core.intervals import IntervalSet, from_us, to_us
from servanda.measure.inputs import Measurement
from servanda.measure.series import (
    Number,
    PercentileMethod,
    count_columns,
    grouped_percentile,
    ratio_holds,
    value_columns,
    value_holds,
)

__all__ = [
    "RatioTimeslices",
    "SliceStatistic",
    "Timeslices",
    "ratio_timeslices",
    "slice_bounds",
    "slice_index",
    "timeslices_by_ratio",
    "timeslices_by_statistic",
    "timeslices_of_counts",
    "timeslices_of_values",
]

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
Bool = npt.NDArray[np.bool_]


class SliceStatistic(StrEnum):
    """The one value a slice of samples is judged on."""

    PERCENTILE = "percentile"
    """The q-th percentile (:func:`~servanda.measure.series.grouped_percentile`: nearest rank
    by default, counted from the top when higher is better)."""
    MEAN = "mean"
    """The arithmetic mean of the slice's samples."""
    MIN = "min"
    MAX = "max"


def _instant(value: datetime | int) -> int:
    return to_us(value) if isinstance(value, datetime) else int(value)


def _length(slice_length: timedelta | int) -> int:
    us = (
        slice_length // timedelta(microseconds=1)
        if isinstance(slice_length, timedelta)
        else int(slice_length)
    )
    if us <= 0:
        raise ValueError(f"a slice must have a positive length, got {slice_length}")
    return us


def slice_bounds(
    period_start: datetime | int, period_end: datetime | int, slice_length: timedelta | int
) -> tuple[I64, I64]:
    """Starts and ends (µs) of the slices of [period_start, period_end): starts
    p₀ + k·L, ends min(p₀ + (k+1)·L, p₁). No slice when the period is empty."""
    p0, p1 = _instant(period_start), _instant(period_end)
    step = _length(slice_length)
    count = max(0, -(-(p1 - p0) // step))
    starts = p0 + np.arange(count, dtype=np.int64) * step
    ends = np.minimum(starts + step, p1).astype(np.int64)
    return starts.astype(np.int64), ends


def slice_index(
    times: Any,
    period_start: datetime | int,
    period_end: datetime | int,
    slice_length: timedelta | int,
) -> I64:
    """The slice each instant (µs) falls in, ⌊(t − p₀)/L⌋, or −1 outside [p₀, p₁)."""
    t = np.asarray(times)
    if t.ndim != 1 or (t.size and not np.issubdtype(t.dtype, np.integer)):
        raise ValueError("times must be a one-dimensional array of integer microseconds")
    t = t.astype(np.int64, copy=False)
    p0, p1 = _instant(period_start), _instant(period_end)
    step = _length(slice_length)
    inside = (t >= p0) & (t < p1)
    out: I64 = np.where(inside, (t - p0) // step, -1).astype(np.int64)
    return out


@dataclass(frozen=True, slots=True)
class Timeslices:
    """A time-sliced objective over one period (OpenSLO ``Timeslices`` budgeting)."""

    starts: I64
    """Start of each slice, µs UTC."""
    ends: I64
    """End of each slice (exclusive), µs UTC."""
    value: F64
    """Each slice's value (its ratio as a fraction 0–1, or its statistic in the values' unit);
    NaN for a slice without data."""
    has_data: Bool
    """Whether anything was measured in the slice (for ratios: Σtotal > 0)."""
    good: Bool
    """Whether the slice met the per-slice target; False for a slice without data."""
    good_events: I64 | None = None
    """Ratios only: Σgood per slice."""
    total_events: I64 | None = None
    """Ratios only: Σtotal per slice."""

    convention = "OpenSLO Timeslices: good slices / slices with data"

    def __len__(self) -> int:
        return int(self.starts.size)

    @property
    def slices(self) -> int:
        """All slices of the period, with data or not."""
        return int(self.starts.size)

    @property
    def slices_with_data(self) -> int:
        """The denominator: slices where something was measured."""
        return int(self.has_data.sum())

    @property
    def good_slices(self) -> int:
        """The numerator: slices that met the per-slice target."""
        return int(self.good.sum())

    @property
    def bad_mask(self) -> Bool:
        """Slices with data that missed the per-slice target."""
        mask: Bool = self.has_data & ~self.good
        return mask

    @property
    def sli(self) -> float | None:
        """good slices / slices with data; None when no slice has data."""
        n = self.slices_with_data
        return self.good_slices / n if n else None

    @property
    def exact(self) -> Fraction | None:
        """good slices / slices with data, exactly; None when no slice has data."""
        n = self.slices_with_data
        return Fraction(self.good_slices, n) if n else None

    @property
    def bad_slices(self) -> tuple[tuple[datetime, datetime], ...]:
        """Each bad slice as ``(start, end)``, in time order (for breaches)."""
        bad = self.bad_mask
        return tuple(
            (from_us(s), from_us(e))
            for s, e in zip(self.starts[bad].tolist(), self.ends[bad].tolist(), strict=True)
        )

    @property
    def bad(self) -> IntervalSet:
        """The bad slices as an interval set (neighbouring bad slices merged)."""
        bad = self.bad_mask
        return IntervalSet.from_arrays(self.starts[bad], self.ends[bad])


def _sum_by(k: I64, values: I64, size: int) -> I64:
    out = np.zeros(size, dtype=np.int64)
    np.add.at(out, k, values)
    return out


def _slice_counts(
    times: Any,
    good: Any,
    total: Any,
    period_start: datetime | int,
    period_end: datetime | int,
    slice_length: timedelta | int,
) -> tuple[I64, I64, I64, I64]:
    starts, ends = slice_bounds(period_start, period_end, slice_length)
    k = slice_index(times, period_start, period_end, slice_length)
    g, t = np.asarray(good), np.asarray(total)
    for name, array in (("good", g), ("total", t)):
        if array.size and not np.issubdtype(array.dtype, np.integer):
            raise ValueError(f"{name} must be integer counts, got dtype {array.dtype}")
    g, t = g.astype(np.int64, copy=False), t.astype(np.int64, copy=False)
    if not (g.shape == t.shape == k.shape):
        raise ValueError("times, good and total must have the same length")
    if g.size and (int(g.min()) < 0 or bool((g > t).any())):
        raise ValueError("counts need 0 ≤ good ≤ total")
    inside = k >= 0
    size = int(starts.size)
    return (
        starts,
        ends,
        _sum_by(k[inside], g[inside], size),
        _sum_by(k[inside], t[inside], size),
    )


def timeslices_by_ratio(
    times: Any,
    good: Any,
    total: Any,
    period_start: datetime | int,
    period_end: datetime | int,
    slice_length: timedelta | int,
    slice_target: Number,
    comparator: Comparator = Comparator.GE,
) -> Timeslices:
    """Timeslices on events: each slice's ratio of sums Σgood/Σtotal of the counts whose
    ``times`` (µs) fall in it, good when ``ratio comparator slice_target`` holds — compared
    exactly (19 of 20 meets 0.95). ``slice_target`` is a fraction (0.95, not 95 %). A slice with
    Σtotal = 0 has no data. Counts outside the period are ignored.
    """
    starts, ends, g, t = _slice_counts(times, good, total, period_start, period_end, slice_length)
    has = t > 0
    value = np.full(starts.size, np.nan, dtype=np.float64)
    value[has] = g[has] / t[has]
    return Timeslices(
        starts=starts,
        ends=ends,
        value=value,
        has_data=has,
        good=ratio_holds(g, t, Comparator(comparator), slice_target),
        good_events=g,
        total_events=t,
    )


def timeslices_by_statistic(
    times: Any,
    values: Any,
    period_start: datetime | int,
    period_end: datetime | int,
    slice_length: timedelta | int,
    slice_target: Number,
    comparator: Comparator,
    statistic: SliceStatistic = SliceStatistic.PERCENTILE,
    q: Number | None = None,
    method: PercentileMethod = PercentileMethod.NEAREST_RANK,
) -> Timeslices:
    """Timeslices on samples: each slice's ``statistic`` of the ``values`` whose ``times`` (µs)
    fall in it, good when ``statistic comparator slice_target`` holds (in ``float64``, the
    target in the values' unit, e.g. ms).

    With :attr:`SliceStatistic.PERCENTILE`, ``q`` is required and the percentile counts from
    the top when the comparator is ``>=`` or ``>`` (higher is better, see
    :func:`~servanda.measure.series.percentile_for`): "p95 latency ≤ 100 ms in each 5-minute
    slice" or "p95 throughput ≥ 10 Mbit/s in each slice". A slice without samples has no data.
    """
    starts, ends = slice_bounds(period_start, period_end, slice_length)
    size = int(starts.size)
    k = slice_index(times, period_start, period_end, slice_length)
    x = np.asarray(values, dtype=np.float64)
    if x.shape != k.shape:
        raise ValueError("times and values must have the same length")
    if x.size and np.isnan(x).any():
        raise ValueError("values holds NaN")
    inside = k >= 0
    k, x = k[inside], x[inside]
    cmp = Comparator(comparator)
    counts = np.bincount(k, minlength=size)
    has = counts > 0
    kind = SliceStatistic(statistic)
    if kind is SliceStatistic.PERCENTILE:
        if q is None:
            raise ValueError("a percentile statistic needs q")
        value = grouped_percentile(x, k, size, q, cmp.higher_is_better, method)
    elif kind is SliceStatistic.MEAN:
        value = np.full(size, np.nan, dtype=np.float64)
        value[has] = np.bincount(k, weights=x, minlength=size)[has] / counts[has]
    else:
        value = grouped_percentile(x, k, size, 0 if kind is SliceStatistic.MIN else 100)
    good = np.zeros(size, dtype=bool)
    good[has] = value_holds(value[has], cmp, slice_target)
    return Timeslices(starts=starts, ends=ends, value=value, has_data=has, good=good)


@dataclass(frozen=True, slots=True)
class RatioTimeslices:
    """OpenSLO ``RatioTimeslices``: the mean of per-slice ratios (not a ratio of sums)."""

    starts: I64
    ends: I64
    ratio: F64
    """Σgood/Σtotal of each slice; NaN for a slice without events."""
    has_data: Bool
    good_events: I64
    total_events: I64

    convention = "OpenSLO RatioTimeslices: mean of per-slice ratios over slices with data"

    @property
    def slices_with_data(self) -> int:
        """Slices with at least one event."""
        return int(self.has_data.sum())

    @property
    def sli(self) -> float | None:
        """Mean of the per-slice ratios over the slices with data; None when there are none."""
        return float(np.mean(self.ratio[self.has_data])) if self.has_data.any() else None


def ratio_timeslices(
    times: Any,
    good: Any,
    total: Any,
    period_start: datetime | int,
    period_end: datetime | int,
    slice_length: timedelta | int,
) -> RatioTimeslices:
    """OpenSLO ``RatioTimeslices`` budgeting: per slice the ratio Σgood/Σtotal of the counts
    whose ``times`` (µs) fall in it, and the SLI is the plain **mean of those ratios** over the
    slices with events (a slice without events is left out). A quiet slice weighs as much as a
    busy one — unlike ``Occurrences`` (:func:`~servanda.measure.series.ratio_of_sums`)."""
    starts, ends, g, t = _slice_counts(times, good, total, period_start, period_end, slice_length)
    has = t > 0
    ratio = np.full(starts.size, np.nan, dtype=np.float64)
    ratio[has] = g[has] / t[has]
    return RatioTimeslices(
        starts=starts, ends=ends, ratio=ratio, has_data=has, good_events=g, total_events=t
    )


# -- from records ---------------------------------------------------------------------------------

By = Literal["at", "start"]


def timeslices_of_counts(
    measurements: Sequence[Measurement],
    period_start: datetime,
    period_end: datetime,
    slice_length: timedelta,
    slice_target: Number,
    comparator: Comparator = Comparator.GE,
    by: By = "start",
) -> Timeslices:
    """:func:`timeslices_by_ratio` of good/total measurements. Each counts in the slice holding
    its ``start`` (``by="start"``, the default; its ``at`` when it has no start), so a count
    over [10:00, 10:05) belongs to the slice starting at 10:00, not to the one its end touches;
    ``by="at"`` uses ``at`` throughout."""
    columns = count_columns(measurements)
    times = columns.start if by == "start" else columns.at
    return timeslices_by_ratio(
        times,
        columns.good,
        columns.total,
        period_start,
        period_end,
        slice_length,
        slice_target,
        comparator,
    )


def timeslices_of_values(
    measurements: Sequence[Measurement],
    period_start: datetime,
    period_end: datetime,
    slice_length: timedelta,
    slice_target: Number,
    comparator: Comparator,
    statistic: SliceStatistic = SliceStatistic.PERCENTILE,
    q: Number | None = None,
    method: PercentileMethod = PercentileMethod.NEAREST_RANK,
    by: By = "start",
) -> Timeslices:
    """:func:`timeslices_by_statistic` of measurements with values; slices chosen as in
    :func:`timeslices_of_counts`."""
    columns = value_columns(measurements)
    times = columns.start if by == "start" else columns.at
    return timeslices_by_statistic(
        times,
        columns.values,
        period_start,
        period_end,
        slice_length,
        slice_target,
        comparator,
        statistic,
        q,
        method,
    )
