"""Interval algebra checked against sets of integer points on a small grid."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from servanda.core.intervals import IntervalSet, WeightedIntervals

GRID = 40

raw_intervals = st.lists(
    st.tuples(st.integers(0, GRID), st.integers(0, 12)).map(lambda p: (p[0], p[0] + p[1])),
    max_size=12,
)
bounds = st.tuples(st.integers(-5, GRID + 15), st.integers(-5, GRID + 15)).map(sorted)


def build(pairs: list[tuple[int, int]]) -> IntervalSet:
    return IntervalSet.from_arrays(
        np.array([s for s, _ in pairs], dtype=np.int64),
        np.array([e for _, e in pairs], dtype=np.int64),
    )


def points(pairs: list[tuple[int, int]]) -> set[int]:
    return {t for s, e in pairs for t in range(s, e)}


def points_of(intervals: IntervalSet) -> set[int]:
    return {t for s, e in zip(intervals.starts, intervals.ends, strict=True) for t in range(s, e)}


def assert_normalised(intervals: IntervalSet) -> None:
    s, e = intervals.starts, intervals.ends
    assert s.dtype == np.int64
    assert e.dtype == np.int64
    assert np.all(e > s)
    # Disjoint and not touching: every end is strictly before the next start.
    assert np.all(s[1:] > e[:-1])


sets = raw_intervals.map(lambda pairs: (pairs, build(pairs)))


@settings(max_examples=300)
@given(sets)
def test_construction_matches_points(a: tuple[list[tuple[int, int]], IntervalSet]) -> None:
    pairs, built = a
    assert_normalised(built)
    assert points_of(built) == points(pairs)
    assert built.duration() == len(points(pairs))
    assert len(built) == 0 if not points(pairs) else len(built) >= 1


@settings(max_examples=300)
@given(sets, sets)
def test_operations_match_points(
    a: tuple[list[tuple[int, int]], IntervalSet], b: tuple[list[tuple[int, int]], IntervalSet]
) -> None:
    pa, sa = a
    pb, sb = b
    A, B = points(pa), points(pb)  # noqa: N806
    for result, expected in (
        (sa | sb, A | B),
        (sa & sb, A & B),
        (sa - sb, A - B),
        (sa ^ sb, A ^ B),
    ):
        assert_normalised(result)
        assert points_of(result) == expected
    assert sa.overlaps(sb) == bool(A & B)
    assert IntervalSet.union_all([sa, sb]) == sa | sb


@settings(max_examples=200)
@given(sets, bounds)
def test_clip_and_complement(a: tuple[list[tuple[int, int]], IntervalSet], lohi: list[int]) -> None:
    pairs, sa = a
    lo, hi = lohi
    window = set(range(lo, hi))
    clipped = sa.clip(lo, hi)
    assert_normalised(clipped)
    assert points_of(clipped) == points(pairs) & window
    if clipped:
        assert clipped.starts[0] >= lo
        assert clipped.ends[-1] <= hi
    complement = sa.complement(lo, hi)
    assert_normalised(complement)
    assert points_of(complement) == window - points(pairs)
    assert complement.complement(lo, hi) == clipped


@settings(max_examples=200)
@given(sets, st.integers(-GRID - 20, GRID + 20))
def test_contains_and_measure(a: tuple[list[tuple[int, int]], IntervalSet], t: int) -> None:
    pairs, sa = a
    assert sa.contains(t) == (t in points(pairs))
    assert int(sa.measure_before([t])[0]) == len({p for p in points(pairs) if p < t})


@settings(max_examples=200)
@given(sets, sets, sets)
def test_algebraic_laws(
    a: tuple[list[tuple[int, int]], IntervalSet],
    b: tuple[list[tuple[int, int]], IntervalSet],
    c: tuple[list[tuple[int, int]], IntervalSet],
) -> None:
    sa, sb, sc = a[1], b[1], c[1]
    assert sa | sb == sb | sa
    assert sa & sb == sb & sa
    assert (sa | sb) | sc == sa | (sb | sc)
    assert (sa & sb) & sc == sa & (sb & sc)
    assert not ((sa - sb) & sb)
    assert sa.duration() + sb.duration() == (sa | sb).duration() + (sa & sb).duration()
    assert (sa - sb) | (sa & sb) == sa
    assert sa & (sb | sc) == (sa & sb) | (sa & sc)


@settings(max_examples=200)
@given(sets, st.integers(-100, 100))
def test_normalisation_is_idempotent(a: tuple[list[tuple[int, int]], IntervalSet], d: int) -> None:
    sa = a[1]
    again = IntervalSet.from_arrays(sa.starts, sa.ends)
    assert again == sa
    assert IntervalSet.from_pairs(sa.to_pairs()) == sa
    assert sa.shift(d).shift(-d) == sa
    assert sa.shift(d).duration() == sa.duration()


weighted = st.lists(
    st.tuples(st.integers(0, GRID), st.integers(0, 12), st.sampled_from([0.5, 1.0, 2.0, 10.0])),
    max_size=8,
)


@settings(max_examples=300)
@given(weighted, sets, st.sampled_from([1.0, 0.0, 3.0]))
def test_weighted_duration_matches_points(
    windows: list[tuple[int, int, float]],
    a: tuple[list[tuple[int, int]], IntervalSet],
    default: float,
) -> None:
    pairs, sa = a
    built = WeightedIntervals.from_arrays(
        np.array([s for s, _, _ in windows], dtype=np.int64),
        np.array([s + n for s, n, _ in windows], dtype=np.int64),
        np.array([w for _, _, w in windows]),
        default=default,
    )

    def weight(t: int) -> float:
        covering = [w for s, n, w in windows if s <= t < s + n]
        return max(covering) if covering else default

    assert built.weighted_duration(sa) == sum(weight(t) for t in points(pairs))
    for t in range(-2, GRID + 14):
        assert built.weight_at(t) == weight(t)
    # Pieces are disjoint, sorted, and neighbours that touch differ in weight.
    s, e, w = built.starts, built.ends, built.weights
    assert np.all(e > s)
    assert np.all(s[1:] >= e[:-1])
    assert not np.any((s[1:] == e[:-1]) & (w[1:] == w[:-1]))
