"""Statistics of measurement series: percentiles, summaries, throughput, ratios of sums.

Every function takes NumPy columns: instants as ``int64`` microseconds since the Unix epoch
(UTC), values as ``float64`` (milliseconds for delays, bit/s for data rates) and event counts as
``int64``. Thin helpers (:func:`value_columns`, :func:`count_columns`, :func:`select`,
:func:`sample_percentile`, :func:`summary_of`, :func:`throughput_of`) build those columns from
:class:`~servanda.measure.inputs.Measurement` records.

Conventions:

* **Percentiles are nearest-rank by default.** An SLA percentile should be a value that was
  observed: "p95 latency 42 ms" means a probe really measured 42 ms and at least 95 % of the
  samples were no slower. No interpolation, so the result does not depend on an estimator and
  can be checked by hand against the raw data. ``linear`` (NumPy's default, Hyndman–Fan type 7)
  is offered as the alternative.
* **Which direction is better matters.** "p95 latency ≤ X" bounds the value 95 % of the samples
  stay at or below; "p95 throughput ≥ X" bounds the value met or exceeded 95 % of the time, so
  for higher-is-better metrics :func:`percentile_for` counts from the top.
* **Exact where observed.** Statistics (means) are computed in ``float64``; wherever the result
  is one observed sample (a nearest-rank percentile, a minimum, a maximum) the record helpers
  return the exact :class:`~decimal.Decimal` that was measured.
* **Ratio of sums, not mean of ratios.** Event ratios are Σgood / Σtotal over the window
  (:func:`ratio_of_sums`); :func:`mean_of_ratios` exists only to compare with, and for OpenSLO's
  ``RatioTimeslices``.
* Empty input gives ``None``, never a made-up number.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from servanda.agreements.model import Comparator
from servanda.core.intervals import to_us
from servanda.core.records import record
from servanda.measure.inputs import Measurement

__all__ = [
    "CountColumns",
    "PercentileMethod",
    "RatioOfSums",
    "SampleSummary",
    "Summary",
    "ThroughputSummary",
    "ValueColumns",
    "count_columns",
    "exact_number",
    "grouped_percentile",
    "loss_ratio",
    "mean_of_ratios",
    "nearest_rank",
    "percentile",
    "percentile_for",
    "percentile_index",
    "ratio_holds",
    "ratio_of_sums",
    "sample_percentile",
    "select",
    "summary",
    "summary_of",
    "throughput_mean",
    "throughput_minimum",
    "throughput_of",
    "throughput_percentile",
    "value_columns",
    "value_holds",
    "within",
]

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
Bool = npt.NDArray[np.bool_]
Number = int | float | Decimal | Fraction
"""A percentile or a threshold: ``int``, ``float`` (read as the decimal it prints as),
``Decimal`` or ``Fraction``."""

_INT64_SAFE = 1 << 62


class PercentileMethod(StrEnum):
    """How a percentile is taken from N samples sorted ascending, x₁ ≤ … ≤ x_N."""

    NEAREST_RANK = "nearest_rank"
    """x_k with k = max(1, ⌈q·N/100⌉): the smallest sample with at least q % of the samples
    ≤ it. Always an observed value."""
    LINEAR = "linear"
    """Linear interpolation between closest ranks (NumPy's default, Hyndman–Fan type 7):
    h = (N − 1)·q/100, x_{⌊h⌋+1} + (h − ⌊h⌋)·(x_{⌊h⌋+2} − x_{⌊h⌋+1}). Usually not an observed
    value."""


# -- exact numbers ------------------------------------------------------------------------------


def exact_number(x: Number | np.integer[Any] | np.floating[Any], name: str = "number") -> Fraction:
    """``x`` as an exact fraction: a ``float`` is read as the shortest decimal that prints as it
    (``99.9`` is 999/10, not the binary value just above); a ``Decimal``, ``Fraction`` or
    ``int`` as is.

    Raises :class:`ValueError` for NaN and infinities, :class:`TypeError` for booleans.
    """
    if isinstance(x, bool | np.bool_):
        raise TypeError(f"{name} must be a number, not a boolean")
    if isinstance(x, Decimal):
        if not x.is_finite():
            raise ValueError(f"{name} must be finite, got {x}")
        return Fraction(x)
    if isinstance(x, Fraction):
        return x
    if isinstance(x, int | np.integer):
        return Fraction(int(x))
    value = float(x)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    return Fraction(Decimal(repr(value)))


def _percent(q: Number, name: str = "q") -> Fraction:
    p = exact_number(q, name)
    if not 0 <= p <= 100:
        raise ValueError(f"{name} must be between 0 and 100, got {q}")
    return p


def _floats(values: Any, name: str = "values") -> F64:
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {array.shape}")
    if array.size and np.isnan(array).any():
        raise ValueError(f"{name} holds NaN at index {int(np.flatnonzero(np.isnan(array))[0])}")
    return array


def _ints(values: Any, name: str) -> I64:
    array = np.asarray(values)
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {array.shape}")
    if array.size and not np.issubdtype(array.dtype, np.integer):
        raise ValueError(f"{name} must be integers, got dtype {array.dtype}")
    return array.astype(np.int64, copy=False)


def _products_fit(a: I64 | int, b: int) -> bool:
    """Whether every product of an entry of ``a`` with ``b`` fits comfortably in an int64."""
    biggest = int(np.max(np.abs(a))) if isinstance(a, np.ndarray) and a.size else abs(int(a))
    return biggest * abs(b) < _INT64_SAFE


# -- percentiles ----------------------------------------------------------------------------------


def nearest_rank(counts: Any, q: Number, higher_is_better: bool = False) -> I64:
    """The 1-based ascending rank of the nearest-rank ``q``-th percentile for samples of each
    size in ``counts`` (an ``int64`` array; entries must be ≥ 1).

    Lower is better: k = max(1, ⌈q·N/100⌉). Higher is better: N + 1 − k, the rank counted from
    the top (see :func:`percentile_for`). Computed in exact integer arithmetic: with q = 95 and
    N = 20, k is 19, not 20 by a rounding error.
    """
    n = _ints(counts, "counts")
    if n.size and int(n.min()) < 1:
        raise ValueError("every count must be at least 1")
    p = _percent(q)
    num, den = p.numerator, p.denominator * 100
    if _products_fit(n, num):
        k = -((-n * num) // den)
    else:
        k = np.array([-((-int(c) * num) // den) for c in n.tolist()], dtype=np.int64)
    k = np.maximum(k, 1).astype(np.int64)
    if higher_is_better:
        k = n + 1 - k
    return k


def _linear_positions(counts: I64, q: Fraction) -> tuple[I64, F64]:
    """For samples of each size, h = (N − 1)·q/100 split into its 0-based floor and fraction."""
    num, den = q.numerator, q.denominator * 100
    steps = counts - 1
    if _products_fit(steps, num):
        scaled = steps * num
        lo = scaled // den
        frac = (scaled - lo * den) / den
    else:
        pairs = [divmod(int(s) * num, den) for s in steps.tolist()]
        lo = np.array([a for a, _ in pairs], dtype=np.int64)
        frac = np.array([b / den for _, b in pairs], dtype=np.float64)
    return lo.astype(np.int64), np.asarray(frac, dtype=np.float64)


def percentile_index(values: Any, q: Number, higher_is_better: bool = False) -> int | None:
    """The index in ``values`` of the sample that is the nearest-rank ``q``-th percentile (see
    :func:`percentile_for` for ``higher_is_better``); None when ``values`` is empty.

    Ties are broken by position (a stable sort), so the result is deterministic. Use it to
    return the exact measured value (e.g. the ``Decimal`` a column was built from).
    """
    x = _floats(values)
    if x.size == 0:
        return None
    k = int(nearest_rank(np.array([x.size], dtype=np.int64), q, higher_is_better)[0])
    order = np.argsort(x, kind="stable")
    return int(order[k - 1])


def percentile(
    values: Any, q: Number, method: PercentileMethod = PercentileMethod.NEAREST_RANK
) -> float | None:
    """The ``q``-th percentile (0 ≤ q ≤ 100) of ``values``, counted from below; None when empty.

    ``nearest_rank`` (default): the smallest sample x with at least q % of the samples ≤ x,
    i.e. x_k of the sorted samples with k = max(1, ⌈q·N/100⌉) — an observed value, never an
    interpolation (q = 0 gives the minimum, q = 100 the maximum). ``linear``: NumPy's default
    interpolation, see :class:`PercentileMethod`. ``q`` is read exactly (a ``float`` as the
    decimal it prints as). NaN in ``values`` is refused.
    """
    x = _floats(values)
    if x.size == 0:
        return None
    p = _percent(q)
    ordered = np.sort(x)
    n = np.array([x.size], dtype=np.int64)
    if PercentileMethod(method) is PercentileMethod.NEAREST_RANK:
        return float(ordered[int(nearest_rank(n, p)[0]) - 1])
    lo_arr, frac_arr = _linear_positions(n, p)
    lo, frac = int(lo_arr[0]), float(frac_arr[0])
    hi = min(lo + 1, x.size - 1)
    return float(ordered[lo] + frac * (ordered[hi] - ordered[lo]))


def percentile_for(
    values: Any,
    q: Number,
    higher_is_better: bool,
    method: PercentileMethod = PercentileMethod.NEAREST_RANK,
) -> float | None:
    """The value a "p``q`` ⋚ target" objective is judged on; None when ``values`` is empty.

    Lower is better (latency, delay, jitter): :func:`percentile` — at least q % of the samples
    are ≤ it, so "p95 ≤ X" holds exactly when at least 95 % of the samples are ≤ X.

    Higher is better (throughput): the ``q``-th percentile counted from the top, i.e. the
    (100 − q)-th percentile from below with the rank rounded so that q % of the samples stay at
    or above it. Nearest rank: the largest sample x with at least q % of the samples ≥ x,
    x_{N+1−k} with k = max(1, ⌈q·N/100⌉); "p95 throughput ≥ X" then holds exactly when the rate
    met or exceeded X in at least 95 % of the samples. (Plain nearest rank at 100 − q would
    take x_{⌈(100−q)·N/100⌉}, one sample lower whenever q·N/100 is a whole number: with N = 20
    and q = 95 it gives x₁ where x₂ already has 19 of 20 samples at or above it.) Linear: the
    interpolated percentile at 100 − q, which is the same as counting from the top.
    """
    if not higher_is_better:
        return percentile(values, q, method)
    x = _floats(values)
    result = percentile(-x, q, method)
    return None if result is None else -result + 0.0  # + 0.0 turns -0.0 into 0.0


def grouped_percentile(
    values: Any,
    groups: Any,
    size: int,
    q: Number,
    higher_is_better: bool = False,
    method: PercentileMethod = PercentileMethod.NEAREST_RANK,
) -> F64:
    """:func:`percentile_for` of the values of each group 0 … ``size`` − 1 at once; NaN for a
    group without values. ``groups`` gives each value's group (``int64`` in [0, size)).

    One sort by (group, value) and the ranks computed per group, so the work is one
    ``np.lexsort`` whatever the number of groups.
    """
    x = _floats(values)
    g = _ints(groups, "groups")
    if g.shape != x.shape:
        raise ValueError(f"groups has {g.size} entries for {x.size} values")
    if g.size and (int(g.min()) < 0 or int(g.max()) >= size):
        raise ValueError(f"groups must lie in [0, {size})")
    p = _percent(q)
    out = np.full(size, np.nan, dtype=np.float64)
    counts = np.bincount(g, minlength=size).astype(np.int64)
    seen = np.flatnonzero(counts)
    if seen.size == 0:
        return out
    ordered = x[np.lexsort((x, g))]
    offsets = (np.cumsum(counts) - counts)[seen]
    n = counts[seen]
    if PercentileMethod(method) is PercentileMethod.NEAREST_RANK:
        out[seen] = ordered[offsets + nearest_rank(n, p, higher_is_better) - 1]
        return out
    lo, frac = _linear_positions(n, 100 - p if higher_is_better else p)
    hi = np.minimum(lo + 1, n - 1)
    low, high = ordered[offsets + lo], ordered[offsets + hi]
    out[seen] = low + frac * (high - low)
    return out


# -- summaries ------------------------------------------------------------------------------------


@record
class Summary:
    """Count, extremes, mean and nearest-rank percentiles of a series, as ``float``."""

    count: int
    minimum: float
    mean: float
    """Arithmetic mean (every sample weighs the same)."""
    maximum: float
    p50: float
    p95: float
    p99: float
    higher_is_better: bool = False
    """Whether the percentiles count from the top (see :func:`percentile_for`)."""


@record
class SampleSummary:
    """Like :class:`Summary`, with every observed sample as the exact ``Decimal`` measured."""

    count: int
    minimum: Decimal
    mean: float
    """Arithmetic mean, in ``float64`` (a statistic, not an observed sample)."""
    maximum: Decimal
    p50: Decimal
    p95: Decimal
    p99: Decimal
    higher_is_better: bool = False


def _summary_indices(x: F64, higher_is_better: bool) -> tuple[int, int, int, int, int]:
    """Indices of the minimum, maximum, p50, p95 and p99 (nearest rank) of a non-empty array."""
    order = np.argsort(x, kind="stable")
    ranks = [
        int(nearest_rank(np.array([x.size], dtype=np.int64), q, higher_is_better)[0])
        for q in (50, 95, 99)
    ]
    p50, p95, p99 = (int(order[k - 1]) for k in ranks)
    return int(order[0]), int(order[-1]), p50, p95, p99


def summary(values: Any, higher_is_better: bool = False) -> Summary | None:
    """Count, minimum, mean, maximum and the nearest-rank p50, p95 and p99 of ``values``; None
    when empty. With ``higher_is_better`` the percentiles count from the top
    (:func:`percentile_for`): the p95 of a throughput series is the rate met or exceeded in
    95 % of the samples."""
    x = _floats(values)
    if x.size == 0:
        return None
    lo, hi, p50, p95, p99 = _summary_indices(x, higher_is_better)
    return Summary(
        count=int(x.size),
        minimum=float(x[lo]),
        mean=float(np.mean(x)),
        maximum=float(x[hi]),
        p50=float(x[p50]),
        p95=float(x[p95]),
        p99=float(x[p99]),
        higher_is_better=higher_is_better,
    )


# -- throughput -----------------------------------------------------------------------------------


def throughput_minimum(values: Any) -> float | None:
    """The lowest data rate measured (bit/s); None when empty."""
    x = _floats(values)
    return float(x.min()) if x.size else None


def throughput_mean(values: Any, start: Any = None, at: Any = None) -> float | None:
    """Mean data rate (bit/s); None when empty.

    Without ``start``: the plain mean, every measurement weighing the same. With ``start`` and
    ``at`` (µs, the interval each rate was averaged over): the time-weighted mean
    Σ rateᵢ·(atᵢ − startᵢ) / Σ (atᵢ − startᵢ), i.e. the bits carried over the time measured.
    A zero-length interval weighs nothing; when every interval has length zero the plain mean
    is returned.
    """
    x = _floats(values)
    if x.size == 0:
        return None
    if start is None:
        return float(np.mean(x))
    if at is None:
        raise ValueError("a time-weighted mean needs at as well as start")
    s, e = _ints(start, "start"), _ints(at, "at")
    if not (s.size == e.size == x.size):
        raise ValueError("values, start and at must have the same length")
    weights = e - s
    if weights.size and int(weights.min()) < 0:
        raise ValueError(f"interval {int(np.flatnonzero(weights < 0)[0])} ends before it starts")
    total = float(weights.sum())
    if total == 0:
        return float(np.mean(x))
    return float(np.dot(x, weights.astype(np.float64)) / total)


def throughput_percentile(
    values: Any, q: Number, method: PercentileMethod = PercentileMethod.NEAREST_RANK
) -> float | None:
    """The data rate (bit/s) met or exceeded in ``q`` % of the measurements:
    :func:`percentile_for` with higher is better. None when empty."""
    return percentile_for(values, q, higher_is_better=True, method=method)


# -- ratios ---------------------------------------------------------------------------------------


@record
class RatioOfSums:
    """Σgood and Σtotal over a window, and their ratio."""

    good: int
    total: int
    ratio: float | None
    """Σgood / Σtotal; None when Σtotal = 0 (nothing to measure, not 100 %)."""

    @property
    def bad(self) -> int:
        """Σtotal − Σgood (lost frames, slow requests)."""
        return self.total - self.good

    @property
    def exact(self) -> Fraction | None:
        """Σgood / Σtotal as an exact fraction; None when Σtotal = 0."""
        return Fraction(self.good, self.total) if self.total else None


def _counts(good: Any, total: Any) -> tuple[I64, I64]:
    g, t = _ints(good, "good"), _ints(total, "total")
    if g.shape != t.shape:
        raise ValueError(f"good and total differ in length: {g.size} != {t.size}")
    if g.size:
        if int(g.min()) < 0 or int(t.min()) < 0:
            raise ValueError("counts cannot be negative")
        over = np.flatnonzero(g > t)
        if over.size:
            i = int(over[0])
            raise ValueError(f"good ({g[i]}) is more than total ({t[i]}) at index {i}")
    return g, t


def ratio_of_sums(good: Any, total: Any) -> RatioOfSums:
    """Σgood / Σtotal over all entries (``int64`` counts, 0 ≤ goodᵢ ≤ totalᵢ).

    Every event weighs the same, whichever entry it was counted in, so the result does not
    depend on how the events were split into entries (five-minute counts or hourly counts give
    the same ratio). The ratio is None when Σtotal = 0.
    """
    g, t = _counts(good, total)
    sum_good, sum_total = int(g.sum()), int(t.sum())
    ratio = sum_good / sum_total if sum_total else None
    return RatioOfSums(good=sum_good, total=sum_total, ratio=ratio)


def loss_ratio(good: Any, total: Any) -> float | None:
    """Frame or packet loss ratio 1 − Σgood/Σtotal = (Σtotal − Σgood) / Σtotal, with ``good``
    the frames delivered and ``total`` those sent; None when nothing was sent."""
    r = ratio_of_sums(good, total)
    return r.bad / r.total if r.total else None


def mean_of_ratios(good: Any, total: Any) -> float | None:
    """The plain mean of goodᵢ / totalᵢ over the entries with totalᵢ > 0; None when there are
    none. **Not** a ratio of sums: a quiet entry (1 of 2 good) weighs as much as a busy one
    (999 of 1 000 good). Kept to compare with, and for OpenSLO's ``RatioTimeslices``."""
    g, t = _counts(good, total)
    seen = t > 0
    if not seen.any():
        return None
    return float(np.mean(g[seen] / t[seen]))


def _compare_signs(num: I64, den: I64, target: Fraction) -> npt.NDArray[np.int8]:
    """sign(numᵢ/denᵢ − target) for denᵢ > 0, in exact integer arithmetic."""
    a, b = target.numerator, target.denominator
    if _products_fit(num, b) and _products_fit(den, a):
        diff = num * b - den * a
        signs: npt.NDArray[np.int8] = np.sign(diff).astype(np.int8)
        return signs
    cross = [
        (n * b > d * a) - (n * b < d * a) for n, d in zip(num.tolist(), den.tolist(), strict=True)
    ]
    return np.array(cross, dtype=np.int8)


def _holds(signs: npt.NDArray[np.int8], comparator: Comparator) -> Bool:
    if comparator is Comparator.GE:
        return signs >= 0
    if comparator is Comparator.GT:
        return signs > 0
    if comparator is Comparator.LE:
        return signs <= 0
    return signs < 0


def ratio_holds(numerator: Any, denominator: Any, comparator: Comparator, target: Number) -> Bool:
    """Per entry, whether numeratorᵢ / denominatorᵢ ``comparator`` ``target`` holds, compared
    exactly (integer cross-multiplication, no rounding: 19/20 ≥ 0.95 holds). Entries with
    denominatorᵢ = 0 give False. ``target`` is a fraction (0.95, not 95)."""
    num, den = _ints(numerator, "numerator"), _ints(denominator, "denominator")
    if num.shape != den.shape:
        raise ValueError("numerator and denominator differ in length")
    if den.size and int(den.min()) < 0:
        raise ValueError("a denominator cannot be negative")
    out = np.zeros(num.shape, dtype=bool)
    seen = den > 0
    if seen.any():
        signs = _compare_signs(num[seen], den[seen], exact_number(target, "target"))
        out[seen] = _holds(signs, Comparator(comparator))
    return out


def value_holds(values: Any, comparator: Comparator, target: Number) -> Bool:
    """Per value, whether valueᵢ ``comparator`` ``target`` holds, in ``float64`` (the target is
    rounded to the nearest double once). When the values and the target are decimals of at most
    15 significant digits, the result is the one the decimals give (such decimals round to
    distinct doubles, in the same order)."""
    x = _floats(values)
    t = float(exact_number(target, "target"))
    c = Comparator(comparator)
    if c is Comparator.GE:
        return x >= t
    if c is Comparator.GT:
        return x > t
    if c is Comparator.LE:
        return x <= t
    return x < t


# -- selection and columns from records -----------------------------------------------------------


def _instant(value: datetime | int) -> int:
    return to_us(value) if isinstance(value, datetime) else int(value)


def within(at: Any, start: datetime | int, end: datetime | int) -> Bool:
    """Mask of the instants ``at`` (µs) inside the half-open window [start, end)."""
    t = _ints(at, "at")
    s, e = _instant(start), _instant(end)
    return (t >= s) & (t < e)


def select(
    measurements: Sequence[Measurement],
    series: str,
    start: datetime,
    end: datetime,
    by: Literal["at", "start"] = "at",
) -> tuple[Measurement, ...]:
    """The measurements of ``series`` that fall in the half-open window [start, end), in the
    order given.

    ``by="at"`` (default): on ``at``, the instant of a sample or the end of the interval a
    count covers. ``by="start"``: on ``start`` when a measurement has one, else on ``at`` — the
    right choice for counts over intervals aligned on the window, whose interval [09:55, 10:00)
    ends exactly where the window [10:00, …) starts.
    """
    s, e = to_us(start), to_us(end)
    chosen: list[Measurement] = []
    for m in measurements:
        if m.series != series:
            continue
        anchor = m.start if by == "start" and m.start is not None else m.at
        if s <= to_us(anchor) < e:
            chosen.append(m)
    return tuple(chosen)


@dataclass(frozen=True, slots=True)
class ValueColumns:
    """Columns of measurements that carry a value (latency, delay, jitter, throughput)."""

    at: I64
    """When each was taken (end of its interval), µs UTC."""
    start: I64
    """Start of its interval, µs UTC; equal to ``at`` where the measurement has no start."""
    has_start: Bool
    """Whether the measurement gave a start."""
    values: F64
    """The values as ``float64`` (ms or bit/s), for statistics."""
    exact: tuple[Decimal, ...]
    """The values exactly as measured."""

    def __len__(self) -> int:
        return int(self.at.size)

    @property
    def intervals_known(self) -> bool:
        """Whether every measurement gave the interval it covers (and so can be
        time-weighted)."""
        return bool(self.has_start.all())


def _delay_ms(m: Measurement) -> Decimal | None:
    if m.value is not None:
        return m.value
    if m.sent_at is not None and m.received_at is not None:
        return Decimal(to_us(m.received_at) - to_us(m.sent_at)).scaleb(-3)
    return None


def value_columns(measurements: Sequence[Measurement]) -> ValueColumns:
    """Columns of ``measurements``, each of which must carry a value: its ``value``, or for a
    one-way delay given as ``sent_at``/``received_at`` the difference in milliseconds (exact:
    1 500 µs is ``Decimal("1.500")``). Raises :class:`ValueError` naming the first one
    without."""
    exact: list[Decimal] = []
    at: list[int] = []
    start: list[int] = []
    has_start: list[bool] = []
    for i, m in enumerate(measurements):
        value = _delay_ms(m)
        if value is None:
            raise ValueError(f"measurement {i} of {m.series} has no value")
        exact.append(value)
        end = to_us(m.at)
        at.append(end)
        start.append(end if m.start is None else to_us(m.start))
        has_start.append(m.start is not None)
    return ValueColumns(
        at=np.array(at, dtype=np.int64),
        start=np.array(start, dtype=np.int64),
        has_start=np.array(has_start, dtype=bool),
        values=np.array([float(v) for v in exact], dtype=np.float64),
        exact=tuple(exact),
    )


@dataclass(frozen=True, slots=True)
class CountColumns:
    """Columns of good/total measurements (loss, events)."""

    at: I64
    """End of each counted interval (or the instant of the count), µs UTC."""
    start: I64
    """Start of each counted interval, µs UTC; equal to ``at`` where not given."""
    has_start: Bool
    good: I64
    total: I64

    def __len__(self) -> int:
        return int(self.at.size)


def count_columns(measurements: Sequence[Measurement]) -> CountColumns:
    """Columns of ``measurements``, each of which must carry ``good`` and ``total``; raises
    :class:`ValueError` naming the first one without."""
    at: list[int] = []
    start: list[int] = []
    has_start: list[bool] = []
    good: list[int] = []
    total: list[int] = []
    for i, m in enumerate(measurements):
        if m.good is None or m.total is None:
            raise ValueError(f"measurement {i} of {m.series} has no good and total")
        end = to_us(m.at)
        at.append(end)
        start.append(end if m.start is None else to_us(m.start))
        has_start.append(m.start is not None)
        good.append(m.good)
        total.append(m.total)
    return CountColumns(
        at=np.array(at, dtype=np.int64),
        start=np.array(start, dtype=np.int64),
        has_start=np.array(has_start, dtype=bool),
        good=np.array(good, dtype=np.int64),
        total=np.array(total, dtype=np.int64),
    )


# -- record helpers -------------------------------------------------------------------------------


def sample_percentile(
    measurements: Sequence[Measurement], q: Number, higher_is_better: bool = False
) -> Decimal | None:
    """The nearest-rank ``q``-th percentile (:func:`percentile_for`) of the measurements'
    values, as the exact ``Decimal`` measured; None when there are none."""
    columns = value_columns(measurements)
    i = percentile_index(columns.values, q, higher_is_better)
    return None if i is None else columns.exact[i]


def summary_of(
    measurements: Sequence[Measurement], higher_is_better: bool = False
) -> SampleSummary | None:
    """:func:`summary` of the measurements' values, with the minimum, maximum and percentiles
    as the exact ``Decimal`` samples measured; None when there are none."""
    columns = value_columns(measurements)
    x = columns.values
    if x.size == 0:
        return None
    lo, hi, p50, p95, p99 = _summary_indices(x, higher_is_better)
    e = columns.exact
    return SampleSummary(
        count=int(x.size),
        minimum=e[lo],
        mean=float(np.mean(x)),
        maximum=e[hi],
        p50=e[p50],
        p95=e[p95],
        p99=e[p99],
        higher_is_better=higher_is_better,
    )


@record
class ThroughputSummary:
    """Data rates of a throughput series, in bit/s."""

    count: int
    minimum: Decimal
    """The lowest rate measured, exactly."""
    mean: float
    """Time-weighted when every measurement gave its interval (``time_weighted``), else plain."""
    time_weighted: bool
    q: Decimal | None = None
    percentile: Decimal | None = None
    """The rate met or exceeded in ``q`` % of the measurements (nearest rank from the top),
    exactly as measured."""


def throughput_of(
    measurements: Sequence[Measurement], q: Number | None = None
) -> ThroughputSummary | None:
    """Minimum, mean and (with ``q``) percentile data rate of throughput measurements; None when
    there are none. The mean is time-weighted (:func:`throughput_mean`) when every measurement
    gives ``start``, plain otherwise (``time_weighted`` says which)."""
    columns = value_columns(measurements)
    if len(columns) == 0:
        return None
    weighted = columns.intervals_known
    mean = (
        throughput_mean(columns.values, columns.start, columns.at)
        if weighted
        else throughput_mean(columns.values)
    )
    assert mean is not None
    lo = int(np.argmin(columns.values))
    pct: Decimal | None = None
    q_exact: Decimal | None = None
    if q is not None:
        i = percentile_index(columns.values, q, higher_is_better=True)
        assert i is not None
        pct = columns.exact[i]
        f = exact_number(q, "q")
        q_exact = Decimal(f.numerator) / Decimal(f.denominator)
    return ThroughputSummary(
        count=len(columns),
        minimum=columns.exact[lo],
        mean=mean,
        time_weighted=weighted,
        q=q_exact,
        percentile=pct,
    )
