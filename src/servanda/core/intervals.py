"""Sets of half-open time intervals, as columns of integers.

An :class:`IntervalSet` holds normalised intervals ``[start, end)``: sorted, disjoint, with
touching intervals merged and empty ones dropped. Instants are ``int64`` microseconds since the
Unix epoch, UTC, kept in two read-only NumPy arrays, so every operation is a handful of
vectorised passes (sort, cumulative maximum, ``searchsorted``) whatever the number of intervals.

A :class:`WeightedIntervals` is a step function over time: disjoint windows with a weight each
and a default weight everywhere else. It integrates a weight over an :class:`IntervalSet`, which
is what experience-weighted availability needs (a minute down in a window of weight 10 counts ten
minutes).

Helpers :func:`to_us` and :func:`from_us` convert between aware datetimes and microseconds.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import numpy as np
import numpy.typing as npt

__all__ = [
    "IntervalSet",
    "WeightedIntervals",
    "from_us",
    "to_us",
]

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]

EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_US: Final = timedelta(microseconds=1)
US_PER_SECOND: Final = 1_000_000


def to_us(instant: datetime) -> int:
    """Microseconds since the Unix epoch of an aware datetime; naive datetimes are refused."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"a naive datetime has no place in time: {instant.isoformat()}")
    return (instant - EPOCH) // _ONE_US


def from_us(us: int | np.integer[Any]) -> datetime:
    """The aware UTC datetime ``us`` microseconds after the Unix epoch."""
    return EPOCH + timedelta(microseconds=int(us))


def _instant_us(instant: datetime | int | np.integer[Any]) -> int:
    if isinstance(instant, datetime):
        return to_us(instant)
    return int(instant)


def _frozen(array: I64) -> I64:
    array.setflags(write=False)
    return array


def _normalise(starts: I64, ends: I64) -> tuple[I64, I64]:
    """Sort, drop empty intervals and merge overlapping or touching ones (ends >= starts)."""
    keep = ends > starts
    if not keep.all():
        starts, ends = starts[keep], ends[keep]
    if starts.size == 0:
        return starts, ends
    order = np.argsort(starts, kind="stable")
    starts, ends = starts[order], ends[order]
    reach = np.maximum.accumulate(ends)
    # A new group begins where an interval starts strictly after everything before it ended.
    first = np.empty(starts.size, dtype=bool)
    first[0] = True
    np.greater(starts[1:], reach[:-1], out=first[1:])
    last = np.empty(starts.size, dtype=bool)
    last[-1] = True
    last[:-1] = first[1:]
    return starts[first], reach[last]


def _as_i64(values: Any, name: str) -> I64:
    array = np.asarray(values)
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {array.shape}")
    if array.size and not np.issubdtype(array.dtype, np.integer):
        raise ValueError(f"{name} must be integer microseconds, got dtype {array.dtype}")
    return array.astype(np.int64, copy=True)


class IntervalSet:
    """An immutable, normalised set of half-open intervals ``[start, end)`` in microseconds UTC."""

    __slots__ = ("_ends", "_starts")

    _starts: I64
    _ends: I64

    def __init__(self) -> None:
        raise TypeError("build an IntervalSet with from_arrays, from_pairs, span or empty")

    @classmethod
    def _make(cls, starts: I64, ends: I64) -> IntervalSet:
        """Wrap arrays that are already normalised (no checks)."""
        self = object.__new__(cls)
        self._starts = _frozen(starts)
        self._ends = _frozen(ends)
        return self

    # -- constructors -------------------------------------------------------------------------

    @classmethod
    def from_arrays(cls, starts: Any, ends: Any) -> IntervalSet:
        """Normalise intervals given as two integer arrays of microseconds.

        The intervals may overlap and come in any order; empty ones (``end == start``) are
        dropped. Raises :class:`ValueError` naming the first index where ``end < start``.
        """
        s = _as_i64(starts, "starts")
        e = _as_i64(ends, "ends")
        if s.shape != e.shape:
            raise ValueError(f"starts and ends differ in length: {s.size} != {e.size}")
        bad = np.flatnonzero(e < s)
        if bad.size:
            i = int(bad[0])
            raise ValueError(f"interval {i} ends before it starts: end {e[i]} < start {s[i]}")
        return cls._make(*_normalise(s, e))

    @classmethod
    def from_pairs(cls, pairs: Iterable[tuple[datetime, datetime]]) -> IntervalSet:
        """Normalise intervals given as ``(start, end)`` pairs of aware datetimes."""
        starts: list[int] = []
        ends: list[int] = []
        for start, end in pairs:
            starts.append(to_us(start))
            ends.append(to_us(end))
        return cls.from_arrays(np.array(starts, dtype=np.int64), np.array(ends, dtype=np.int64))

    @classmethod
    def empty(cls) -> IntervalSet:
        """The set with no intervals."""
        return cls._make(np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64))

    @classmethod
    def span(cls, start: datetime | int, end: datetime | int) -> IntervalSet:
        """The single interval ``[start, end)`` (empty when ``end <= start``)."""
        s, e = _instant_us(start), _instant_us(end)
        if e <= s:
            return cls.empty()
        return cls._make(np.array([s], dtype=np.int64), np.array([e], dtype=np.int64))

    # -- views ----------------------------------------------------------------------------------

    @property
    def starts(self) -> I64:
        """Read-only array of interval starts (microseconds UTC), strictly increasing."""
        return self._starts

    @property
    def ends(self) -> I64:
        """Read-only array of interval ends (microseconds UTC, exclusive)."""
        return self._ends

    def __len__(self) -> int:
        return int(self._starts.size)

    def __bool__(self) -> bool:
        return bool(self._starts.size)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, IntervalSet):
            return NotImplemented
        return np.array_equal(self._starts, other._starts) and np.array_equal(
            self._ends, other._ends
        )

    def __hash__(self) -> int:
        return hash((self._starts.tobytes(), self._ends.tobytes()))

    def __repr__(self) -> str:
        if len(self) > 4:
            head = ", ".join(f"{s.isoformat()}/{e.isoformat()}" for s, e in self.to_pairs()[:3])
            return f"IntervalSet([{head}, … {len(self)} intervals])"
        body = ", ".join(f"{s.isoformat()}/{e.isoformat()}" for s, e in self)
        return f"IntervalSet([{body}])"

    def __iter__(self) -> Iterator[tuple[datetime, datetime]]:
        return iter(self.to_pairs())

    def to_pairs(self) -> tuple[tuple[datetime, datetime], ...]:
        """The intervals as ``(start, end)`` pairs of aware UTC datetimes."""
        return tuple(
            (from_us(s), from_us(e))
            for s, e in zip(self._starts.tolist(), self._ends.tolist(), strict=True)
        )

    def _bounds(self) -> I64:
        """Starts and ends interleaved: a strictly increasing array of boundaries."""
        out = np.empty(2 * self._starts.size, dtype=np.int64)
        out[0::2] = self._starts
        out[1::2] = self._ends
        return out

    # -- measures -------------------------------------------------------------------------------

    def duration(self) -> int:
        """Total length in microseconds."""
        return int((self._ends - self._starts).sum())

    def total_seconds(self) -> float:
        """Total length in seconds."""
        return self.duration() / US_PER_SECOND

    def measure_before(self, instants: Any) -> I64:
        """For each instant ``t`` (microseconds), the length of this set inside ``(-inf, t)``."""
        t = np.asarray(instants, dtype=np.int64)
        cum = np.concatenate(([0], np.cumsum(self._ends - self._starts)))
        k = np.searchsorted(self._starts, t, side="right")
        # Intervals before the k-th are entirely counted; the k-th (index k-1) may be cut at t.
        if not self:
            return np.zeros(t.shape, dtype=np.int64)
        prev_end = self._ends[np.maximum(k - 1, 0)]
        overshoot = np.where(k > 0, np.maximum(prev_end - t, 0), 0)
        result: I64 = (cum[k] - overshoot).astype(np.int64)
        return result

    def contains(self, instant: datetime | int) -> bool:
        """Whether ``instant`` lies inside one of the intervals."""
        t = _instant_us(instant)
        i = int(np.searchsorted(self._starts, t, side="right")) - 1
        return i >= 0 and t < int(self._ends[i])

    def overlaps(self, other: IntervalSet) -> bool:
        """Whether the two sets share any instant."""
        if not self or not other:
            return False
        return bool(self & other)

    # -- algebra --------------------------------------------------------------------------------

    def _combine(
        self, other: IntervalSet, keep_a: bool, keep_b: bool, keep_ab: bool
    ) -> IntervalSet:
        """Boolean combination: keep elementary pieces by membership in A only, B only, both."""
        a, b = self._bounds(), other._bounds()
        points = np.concatenate((a, b))
        if points.size == 0:
            return IntervalSet.empty()
        # Each boundary moves a membership code: A's by +1/-1, B's by +2/-2, so the running sum
        # after a boundary is 1 (A only), 2 (B only) or 3 (both). Each operand's boundaries are a
        # sorted run, so a stable sort merges them in linear time.
        steps = np.empty(points.size, dtype=np.int8)
        steps[0 : a.size : 2] = 1
        steps[1 : a.size : 2] = -1
        steps[a.size :: 2] = 2
        steps[a.size + 1 :: 2] = -2
        order = np.argsort(points, kind="stable")
        points = points[order]
        code = np.cumsum(steps[order], dtype=np.int8)
        # Where several boundaries share an instant, the code after the last of them counts.
        last = np.empty(points.size, dtype=bool)
        last[-1] = True
        np.not_equal(points[1:], points[:-1], out=last[:-1])
        points = points[last]
        code = code[last][:-1]
        table = np.array([False, keep_a, keep_b, keep_ab])
        keep = table[code]
        if not keep.any():
            return IntervalSet.empty()
        padded = np.concatenate(([False], keep, [False]))
        rising = np.flatnonzero(~padded[:-1] & padded[1:])
        falling = np.flatnonzero(padded[:-1] & ~padded[1:])
        return IntervalSet._make(points[rising], points[falling])

    def __or__(self, other: IntervalSet) -> IntervalSet:
        if not isinstance(other, IntervalSet):
            return NotImplemented
        if not other:
            return self
        if not self:
            return other
        return self._combine(other, keep_a=True, keep_b=True, keep_ab=True)

    def __and__(self, other: IntervalSet) -> IntervalSet:
        if not isinstance(other, IntervalSet):
            return NotImplemented
        if not self or not other:
            return IntervalSet.empty()
        return self._combine(other, keep_a=False, keep_b=False, keep_ab=True)

    def __sub__(self, other: IntervalSet) -> IntervalSet:
        if not isinstance(other, IntervalSet):
            return NotImplemented
        if not self or not other:
            return self
        return self._combine(other, keep_a=True, keep_b=False, keep_ab=False)

    def __xor__(self, other: IntervalSet) -> IntervalSet:
        if not isinstance(other, IntervalSet):
            return NotImplemented
        return self._combine(other, keep_a=True, keep_b=True, keep_ab=False)

    @staticmethod
    def union_all(sets: Iterable[IntervalSet]) -> IntervalSet:
        """The union of many sets in one pass."""
        parts = list(sets)
        if not parts:
            return IntervalSet.empty()
        starts = np.concatenate([p._starts for p in parts])
        ends = np.concatenate([p._ends for p in parts])
        return IntervalSet._make(*_normalise(starts, ends))

    def clip(self, start: datetime | int, end: datetime | int) -> IntervalSet:
        """The part of this set inside ``[start, end)``."""
        s, e = _instant_us(start), _instant_us(end)
        if e <= s or not self:
            return IntervalSet.empty()
        lo = int(np.searchsorted(self._ends, s, side="right"))
        hi = int(np.searchsorted(self._starts, e, side="left"))
        if hi <= lo:
            return IntervalSet.empty()
        starts = self._starts[lo:hi].copy()
        ends = self._ends[lo:hi].copy()
        starts[0] = max(int(starts[0]), s)
        ends[-1] = min(int(ends[-1]), e)
        return IntervalSet._make(starts, ends)

    def complement(self, start: datetime | int, end: datetime | int) -> IntervalSet:
        """The part of ``[start, end)`` not covered by this set."""
        return IntervalSet.span(start, end) - self

    def shift(self, delta: timedelta | int) -> IntervalSet:
        """Every interval moved by ``delta`` (a timedelta or microseconds)."""
        us = delta // _ONE_US if isinstance(delta, timedelta) else int(delta)
        return IntervalSet._make(self._starts + us, self._ends + us)


class WeightedIntervals:
    """A step function of time: disjoint windows each with a weight, ``default`` elsewhere.

    Built from possibly overlapping windows; where windows overlap the largest weight wins.
    Inside a window its weight applies even when it is below the default. Adjacent pieces with
    the same weight are merged, so two equal step functions compare equal.
    """

    __slots__ = ("_default", "_ends", "_starts", "_weights")

    _starts: I64
    _ends: I64
    _weights: F64
    _default: float

    def __init__(self) -> None:
        raise TypeError("build WeightedIntervals with from_arrays, from_windows or constant")

    @classmethod
    def constant(cls, default: float = 1.0) -> WeightedIntervals:
        """The same weight everywhere."""
        return cls._make(np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0), default)

    @classmethod
    def _make(cls, starts: I64, ends: I64, weights: F64, default: float) -> WeightedIntervals:
        self = object.__new__(cls)
        weights = weights.astype(np.float64, copy=False)
        weights.setflags(write=False)
        self._starts = _frozen(starts)
        self._ends = _frozen(ends)
        self._weights = weights
        self._default = float(default)
        return self

    @classmethod
    def from_arrays(
        cls, starts: Any, ends: Any, weights: Any, default: float = 1.0
    ) -> WeightedIntervals:
        """Build from three parallel arrays (microseconds, microseconds, weights).

        Work is proportional to the number of *distinct* weights times the number of windows;
        weights are few in practice (a handful of critical-window levels).
        """
        s = _as_i64(starts, "starts")
        e = _as_i64(ends, "ends")
        w = np.asarray(weights, dtype=np.float64)
        if not (s.shape == e.shape == w.shape):
            raise ValueError("starts, ends and weights must have the same length")
        bad = np.flatnonzero(e < s)
        if bad.size:
            i = int(bad[0])
            raise ValueError(f"window {i} ends before it starts: end {e[i]} < start {s[i]}")
        if not np.all(np.isfinite(w)):
            raise ValueError("weights must be finite numbers")
        pieces_s: list[I64] = []
        pieces_e: list[I64] = []
        pieces_w: list[F64] = []
        covered = IntervalSet.empty()
        for level in np.unique(w)[::-1]:
            chosen = w == level
            layer = IntervalSet._make(*_normalise(s[chosen], e[chosen])) - covered
            if layer:
                pieces_s.append(layer.starts)
                pieces_e.append(layer.ends)
                pieces_w.append(np.full(len(layer), level))
                covered = covered | layer
        if not pieces_s:
            return cls.constant(default)
        all_s = np.concatenate(pieces_s)
        all_e = np.concatenate(pieces_e)
        all_w = np.concatenate(pieces_w)
        order = np.argsort(all_s, kind="stable")
        all_s, all_e, all_w = all_s[order], all_e[order], all_w[order]
        # Merge neighbours that touch and carry the same weight.
        joins = np.empty(all_s.size, dtype=bool)
        joins[0] = False
        joins[1:] = (all_s[1:] == all_e[:-1]) & (all_w[1:] == all_w[:-1])
        first = ~joins
        last = np.empty(all_s.size, dtype=bool)
        last[-1] = True
        last[:-1] = first[1:]
        return cls._make(all_s[first], all_e[last], all_w[first], default)

    @classmethod
    def from_windows(
        cls, windows: Iterable[tuple[IntervalSet, float]], default: float = 1.0
    ) -> WeightedIntervals:
        """Build from ``(interval set, weight)`` pairs that may overlap."""
        starts: list[I64] = []
        ends: list[I64] = []
        weights: list[F64] = []
        for intervals, weight in windows:
            starts.append(intervals.starts)
            ends.append(intervals.ends)
            weights.append(np.full(len(intervals), float(weight)))
        if not starts:
            return cls.constant(default)
        return cls.from_arrays(
            np.concatenate(starts), np.concatenate(ends), np.concatenate(weights), default
        )

    @property
    def starts(self) -> I64:
        """Read-only window starts (microseconds UTC)."""
        return self._starts

    @property
    def ends(self) -> I64:
        """Read-only window ends (microseconds UTC, exclusive)."""
        return self._ends

    @property
    def weights(self) -> F64:
        """Read-only weight of each window."""
        return self._weights

    @property
    def default(self) -> float:
        """The weight outside every window."""
        return self._default

    def support(self) -> IntervalSet:
        """Where a window (rather than the default) applies."""
        return IntervalSet._make(*_normalise(self._starts.copy(), self._ends.copy()))

    def __len__(self) -> int:
        return int(self._starts.size)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, WeightedIntervals):
            return NotImplemented
        return (
            self._default == other._default
            and np.array_equal(self._starts, other._starts)
            and np.array_equal(self._ends, other._ends)
            and np.array_equal(self._weights, other._weights)
        )

    def __hash__(self) -> int:
        return hash(
            (self._default, self._starts.tobytes(), self._ends.tobytes(), self._weights.tobytes())
        )

    def __repr__(self) -> str:
        return f"WeightedIntervals({len(self)} windows, default={self._default})"

    def weight_at(self, instant: datetime | int) -> float:
        """The weight in force at ``instant``."""
        t = _instant_us(instant)
        i = int(np.searchsorted(self._starts, t, side="right")) - 1
        if i >= 0 and t < int(self._ends[i]):
            return float(self._weights[i])
        return self._default

    def weighted_duration(self, of: IntervalSet) -> float:
        """The integral of the weight over ``of``, in weighted microseconds."""
        base = self._default * of.duration()
        if not self or not of:
            return float(base)
        inside = of.measure_before(self._ends) - of.measure_before(self._starts)
        return float(base + np.dot(inside.astype(np.float64), self._weights - self._default))

    def weighted_seconds(self, of: IntervalSet) -> float:
        """The integral of the weight over ``of``, in weighted seconds."""
        return self.weighted_duration(of) / US_PER_SECOND

    def __bool__(self) -> bool:
        return bool(self._starts.size)
