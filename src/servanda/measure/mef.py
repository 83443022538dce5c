"""Availability from a loss series: MEF 10.3 (Ethernet services) and ITU-T Y.1540 (IP).

**MEF 10.3.** Time is cut into small intervals Δt; interval k has a frame loss ratio
flr(Δtₖ) = lostₖ / sentₖ (0 when no frame was sent). With a threshold C and a count n, the
service starts **available**; an available stretch turns **unavailable** when n consecutive
intervals all have flr > C — the unavailability starting at the first of those n — and turns
back to available when n consecutive intervals all have flr ≤ C, from the first of those n.
Availability = available intervals / intervals outside maintenance. A high-loss interval (HLI)
is one with flr > C inside an available stretch; they are counted separately.

Maintenance intervals are neither good nor bad: they are left out of the numerator and the
denominator, they break a run ("n consecutive" means consecutive in time), and the state carries
across them unchanged.

Run detection is vectorised (run boundaries with ``np.diff``, state changes forward-filled over
the runs), so the cost does not grow with a Python loop over intervals.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from fractions import Fraction
from typing import Any

import numpy as np
import numpy.typing as npt

from servanda.agreements.model import Comparator
from servanda.core.intervals import IntervalSet, to_us
from servanda.measure.inputs import Measurement
from servanda.measure.series import (
    Number,
    count_columns,
    exact_number,
    ratio_holds,
    value_holds,
)

__all__ = [
    "LossGrid",
    "MefAvailability",
    "loss_grid",
    "mef_availability",
    "mef_availability_of",
    "y1540_unavailable",
]

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
Bool = npt.NDArray[np.bool_]


def _runs(codes: npt.NDArray[np.int8]) -> tuple[I64, I64]:
    """Start index and length of each run of equal codes."""
    if codes.size == 0:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty
    change = np.flatnonzero(codes[1:] != codes[:-1]) + 1
    starts = np.concatenate(([0], change)).astype(np.int64)
    lengths = np.diff(np.concatenate((starts, [codes.size]))).astype(np.int64)
    return starts, lengths


def _ints(values: Any, name: str) -> I64:
    array = np.asarray(values)
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {array.shape}")
    if array.size and not np.issubdtype(array.dtype, np.integer):
        raise ValueError(f"{name} must be integers, got dtype {array.dtype}")
    return array.astype(np.int64, copy=False)


@dataclass(frozen=True, slots=True)
class MefAvailability:
    """MEF 10.3 availability of one series over the intervals given."""

    starts: I64
    """Start of each interval Δtₖ, µs UTC."""
    interval_us: int
    """Δt, µs."""
    high_loss: Bool
    """Per interval: flr > C."""
    maintenance: Bool
    """Per interval: in maintenance (left out)."""
    available: Bool
    """Per interval: the state of the service (a maintenance interval carries the state it
    inherits, though it is not counted)."""
    counted: int
    """Intervals outside maintenance: the denominator."""
    available_count: int
    """Available intervals outside maintenance: the numerator."""
    hli: int
    """High-loss intervals (flr > C) inside available stretches, outside maintenance."""
    unavailable: IntervalSet
    """The unavailable stretches, maintenance intervals cut out, as ``[start, end)``."""

    convention = "MEF 10.3 availability: available Δt / Δt outside maintenance"

    @property
    def availability(self) -> float | None:
        """``available_count / counted``; None when every interval is in maintenance."""
        return self.available_count / self.counted if self.counted else None

    @property
    def exact(self) -> Fraction | None:
        """``available_count / counted`` exactly; None when nothing is counted."""
        return Fraction(self.available_count, self.counted) if self.counted else None

    @property
    def unavailable_count(self) -> int:
        """Unavailable intervals outside maintenance."""
        return self.counted - self.available_count

    @property
    def stretches(self) -> tuple[tuple[datetime, datetime], ...]:
        """The unavailable stretches as ``(start, end)`` pairs of aware UTC datetimes."""
        return self.unavailable.to_pairs()


def _maintenance_mask(maintenance: Any, starts: I64, interval_us: int) -> Bool:
    if maintenance is None:
        return np.zeros(starts.shape, dtype=bool)
    if isinstance(maintenance, IntervalSet):
        inside = maintenance.measure_before(starts + interval_us) - maintenance.measure_before(
            starts
        )
        mask: Bool = inside > 0
        return mask
    mask = np.asarray(maintenance, dtype=bool)
    if mask.shape != starts.shape:
        raise ValueError(f"maintenance has {mask.size} entries for {starts.size} intervals")
    return mask


def mef_availability(
    starts: Any,
    interval_us: int,
    threshold: Number,
    n: int,
    *,
    flr: Any = None,
    lost: Any = None,
    sent: Any = None,
    maintenance: Any = None,
) -> MefAvailability:
    """MEF 10.3 availability from per-interval loss.

    ``starts``: the start of each interval Δtₖ (µs, strictly increasing, at least Δt apart;
    the array order is the time order and neighbours are consecutive). ``interval_us``: Δt.
    ``threshold``: C, a fraction 0 ≤ C ≤ 1 (0.1, not 10 %). ``n``: consecutive intervals to
    change state (≥ 1).

    Loss is given either as ``flr`` (ratios, ``float64``) or as ``lost`` and ``sent`` frame
    counts (``int64``), flr = lost/sent and 0 when sent = 0, compared with C exactly.

    ``maintenance``: a boolean mask over the intervals, or an
    :class:`~servanda.core.intervals.IntervalSet` (an interval is in maintenance when it
    overlaps the set at all). See the module documentation for the state machine.
    """
    t = _ints(starts, "starts")
    if interval_us <= 0:
        raise ValueError(f"the interval Δt must be positive, got {interval_us} µs")
    if isinstance(n, bool) or int(n) != n or n < 1:
        raise ValueError(f"n must be a whole number ≥ 1, got {n}")
    c = exact_number(threshold, "threshold")
    if not 0 <= c <= 1:
        raise ValueError(f"the threshold C is a ratio between 0 and 1, got {threshold}")
    if t.size > 1:
        close = np.flatnonzero(np.diff(t) < interval_us)
        if close.size:
            i = int(close[0])
            raise ValueError(
                f"interval {i + 1} starts {int(t[i + 1] - t[i])} µs after interval {i}, "
                f"less than Δt ({interval_us} µs)"
            )
    if flr is not None:
        if lost is not None or sent is not None:
            raise ValueError("give flr or lost and sent, not both")
        ratios = np.asarray(flr, dtype=np.float64)
        if ratios.shape != t.shape:
            raise ValueError(f"flr has {ratios.size} entries for {t.size} intervals")
        high = value_holds(ratios, Comparator.GT, c)
    else:
        if lost is None or sent is None:
            raise ValueError("give flr, or lost and sent")
        lo, se = _ints(lost, "lost"), _ints(sent, "sent")
        if lo.shape != t.shape or se.shape != t.shape:
            raise ValueError("lost and sent need one entry per interval")
        high = ratio_holds(lo, se, Comparator.GT, c)
    resting = _maintenance_mask(maintenance, t, interval_us)

    # Codes: 0 good, 1 bad, 2 maintenance; runs of one code.
    codes = np.where(resting, 2, high.astype(np.int8)).astype(np.int8)
    run_starts, run_lengths = _runs(codes)
    run_codes = codes[run_starts]
    long = (run_codes < 2) & (run_lengths >= n)
    # A long bad run makes (or keeps) the service unavailable from its first interval, a long
    # good run available; every other run inherits the state before it. Start: available.
    setting = np.where(long, run_codes == 0, False)
    last_long = np.where(long, np.arange(run_codes.size), -1)
    np.maximum.accumulate(last_long, out=last_long)
    run_available = np.where(last_long >= 0, setting[np.maximum(last_long, 0)], True)
    available = np.repeat(run_available, run_lengths).astype(bool)

    counted = ~resting
    down = ~available & counted
    return MefAvailability(
        starts=t,
        interval_us=int(interval_us),
        high_loss=high,
        maintenance=resting,
        available=available,
        counted=int(counted.sum()),
        available_count=int((available & counted).sum()),
        hli=int((high & available & counted).sum()),
        unavailable=IntervalSet.from_arrays(t[down], t[down] + int(interval_us)),
    )


@dataclass(frozen=True, slots=True)
class LossGrid:
    """Frame counts summed on a regular grid of intervals Δt over a period."""

    starts: I64
    """Start of each interval, µs UTC: ``period_start + k·Δt``."""
    interval_us: int
    lost: I64
    sent: I64
    measured: Bool
    """Whether any measurement fell in the interval (an interval without one has no frames,
    so flr = 0 by MEF 10.3's definition)."""


def loss_grid(
    period_start: datetime | int,
    period_end: datetime | int,
    interval_us: int,
    anchor: Any,
    lost: Any,
    sent: Any,
) -> LossGrid:
    """Sum frame counts into the intervals [p₀ + k·Δt, p₀ + (k+1)·Δt) covering
    [period_start, period_end) (the last one may stick out past the end of the period).

    Each count goes to the interval holding its ``anchor`` (µs; the start of the interval the
    count covers); counts anchored outside the period are left out. The sums are exact
    integers (``np.add.at``), the interval of each count found by floor division.
    """
    p0 = to_us(period_start) if isinstance(period_start, datetime) else int(period_start)
    p1 = to_us(period_end) if isinstance(period_end, datetime) else int(period_end)
    if interval_us <= 0:
        raise ValueError(f"the interval Δt must be positive, got {interval_us} µs")
    size = max(0, -(-(p1 - p0) // interval_us))
    a = _ints(anchor, "anchor")
    lo, se = _ints(lost, "lost"), _ints(sent, "sent")
    if not (a.shape == lo.shape == se.shape):
        raise ValueError("anchor, lost and sent must have the same length")
    inside = (a >= p0) & (a < p1)
    k = (a[inside] - p0) // interval_us
    return LossGrid(
        starts=p0 + np.arange(size, dtype=np.int64) * int(interval_us),
        interval_us=int(interval_us),
        lost=_sum_by(k, lo[inside], size),
        sent=_sum_by(k, se[inside], size),
        measured=np.bincount(k, minlength=size) > 0,
    )


def _sum_by(k: I64, values: I64, size: int) -> I64:
    """Integer sums of ``values`` per bin ``k`` (exact: no float weights)."""
    out = np.zeros(size, dtype=np.int64)
    np.add.at(out, k, values)
    return out


def mef_availability_of(
    measurements: Sequence[Measurement],
    period_start: datetime,
    period_end: datetime,
    interval: timedelta,
    threshold: Number,
    n: int,
    maintenance: IntervalSet | None = None,
) -> MefAvailability:
    """MEF 10.3 availability of a loss series over a period, from its measurements.

    Each measurement's ``total`` frames were sent and ``good`` delivered (lost = total − good);
    it counts in the Δt interval holding its ``start`` (its ``at`` when it has no start) — see
    :func:`loss_grid`. Intervals without a measurement have no frames: flr = 0.
    """
    step = interval // timedelta(microseconds=1)
    columns = count_columns(measurements)
    grid = loss_grid(
        period_start,
        period_end,
        step,
        columns.start,
        columns.total - columns.good,
        columns.total,
    )
    return mef_availability(
        grid.starts, step, threshold, n, lost=grid.lost, sent=grid.sent, maintenance=maintenance
    )


def y1540_unavailable(loss_ratios: Any, threshold: Number = 0.75, min_intervals: int = 1) -> Bool:
    """ITU-T Y.1540 style unavailability: per interval, True when its packet loss ratio
    exceeds ``threshold`` (0.75 by default, Y.1540's c₁) and it belongs to a run of at least
    ``min_intervals`` consecutive such intervals (the minimum duration, e.g. five 1-minute
    intervals for Y.1540's 5-minute T_av). There is no recovery hysteresis: an interval at or
    below the threshold is available.

    The availability over the intervals is ``1 − mask.mean()``. Intervals without packets
    should be given a ratio of 0 (nothing was lost).
    """
    ratios = np.asarray(loss_ratios, dtype=np.float64)
    if ratios.ndim != 1:
        raise ValueError(f"loss_ratios must be one-dimensional, got shape {ratios.shape}")
    if ratios.size and np.isnan(ratios).any():
        raise ValueError("loss_ratios holds NaN")
    if isinstance(min_intervals, bool) or int(min_intervals) != min_intervals or min_intervals < 1:
        raise ValueError(f"min_intervals must be a whole number ≥ 1, got {min_intervals}")
    above = value_holds(ratios, Comparator.GT, threshold)
    run_starts, run_lengths = _runs(above.astype(np.int8))
    keep = above[run_starts] & (run_lengths >= min_intervals) if run_starts.size else above
    out: Bool = np.repeat(keep, run_lengths).astype(bool)
    return out
