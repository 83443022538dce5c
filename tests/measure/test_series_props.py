"""Invariants of series statistics: ratio of sums against the mean of ratios, percentiles
against their definitions."""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from servanda.measure.series import (
    PercentileMethod,
    grouped_percentile,
    mean_of_ratios,
    percentile,
    percentile_for,
    ratio_of_sums,
)

slices = st.lists(
    st.integers(1, 500).flatmap(lambda total: st.tuples(st.integers(0, total), st.just(total))),
    min_size=1,
    max_size=12,
)
samples = st.lists(st.integers(-50, 50).map(float), min_size=1, max_size=40)
percents = st.one_of(st.integers(0, 100), st.sampled_from([0.1, 50.5, 95.0, 99.9, 99.99]))


def columns(pairs: list[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray]:
    return (
        np.array([g for g, _ in pairs], dtype=np.int64),
        np.array([t for _, t in pairs], dtype=np.int64),
    )


@settings(max_examples=200)
@given(st.lists(st.booleans(), min_size=1, max_size=200), st.data())
def test_ratio_of_sums_does_not_depend_on_the_split(
    events: list[bool], data: st.DataObject
) -> None:
    """However the events are cut into counted intervals, Σgood/Σtotal is the same."""
    cuts = sorted(
        data.draw(st.lists(st.integers(0, len(events)), max_size=10, unique=True), label="cuts")
    )
    bounds = [0, *cuts, len(events)]
    good = [sum(events[a:b]) for a, b in itertools.pairwise(bounds)]
    total = [b - a for a, b in itertools.pairwise(bounds)]
    split = ratio_of_sums(np.array(good), np.array(total))
    whole = ratio_of_sums(np.array([sum(events)]), np.array([len(events)]))
    assert (split.good, split.total) == (whole.good, whole.total) == (sum(events), len(events))
    assert split.exact == Fraction(sum(events), len(events))
    assert split.ratio == whole.ratio


@settings(max_examples=200)
@given(slices)
def test_mean_of_ratios_weighs_a_quiet_slice_like_a_busy_one(pairs: list[tuple[int, int]]) -> None:
    """The mean of ratios is the ratio of sums of slices all rescaled to the same size."""
    good, total = columns(pairs)
    common = math.lcm(*(int(t) for t in total))
    scaled_good = [Fraction(int(g) * common, int(t)) for g, t in zip(good, total, strict=True)]
    same_size = sum(scaled_good) / (common * len(pairs))
    result = mean_of_ratios(good, total)
    assert result is not None
    assert math.isclose(result, float(same_size), rel_tol=1e-12, abs_tol=1e-15)
    # And it equals the ratio of sums exactly when every slice has the same total.
    if len(set(total.tolist())) == 1:
        assert math.isclose(result, ratio_of_sums(good, total).ratio or 0.0, abs_tol=1e-12)


@settings(max_examples=200)
@given(slices, slices)
def test_mean_of_ratios_differs_when_busy_and_quiet_slices_differ(
    a: list[tuple[int, int]], b: list[tuple[int, int]]
) -> None:
    """Two slices with different ratios and different sizes: the two methods disagree."""
    (g1, t1), (g2, t2) = a[0], b[0]
    assume(t1 != t2 and Fraction(g1, t1) != Fraction(g2, t2))
    good, total = np.array([g1, g2]), np.array([t1, t2])
    sums = Fraction(g1 + g2, t1 + t2)
    mean = (Fraction(g1, t1) + Fraction(g2, t2)) / 2
    assert sums != mean
    # The ratio of sums leans towards the busy slice.
    busy, quiet = (
        (Fraction(g1, t1), Fraction(g2, t2)) if t1 > t2 else (Fraction(g2, t2), Fraction(g1, t1))
    )
    assert abs(sums - busy) < abs(mean - busy)
    assert quiet != busy
    assert ratio_of_sums(good, total).exact == sums
    result = mean_of_ratios(good, total)
    assert result is not None
    assert math.isclose(result, float(mean), rel_tol=1e-12)


@settings(max_examples=300)
@given(samples, percents)
def test_nearest_rank_is_the_smallest_sample_with_q_percent_at_or_below(
    values: list[float], q: float
) -> None:
    x = np.array(values)
    p = percentile(x, q)
    assert p is not None
    assert p in values
    n = len(values)
    share = Fraction(str(q)) / 100
    assert sum(v <= p for v in values) >= share * n
    # No smaller sample qualifies.
    assert all(sum(w <= v for w in values) < share * n for v in values if v < p)


@settings(max_examples=300)
@given(samples, percents)
def test_from_the_top_is_the_largest_sample_with_q_percent_at_or_above(
    values: list[float], q: float
) -> None:
    x = np.array(values)
    p = percentile_for(x, q, higher_is_better=True)
    assert p is not None
    assert p in values
    n = len(values)
    share = Fraction(str(q)) / 100
    assert sum(v >= p for v in values) >= share * n
    assert all(sum(w >= v for w in values) < share * n for v in values if v > p)


@settings(max_examples=200)
@given(samples, st.integers(0, 100))
def test_linear_matches_numpy(values: list[float], q: int) -> None:
    x = np.array(values)
    got = percentile(x, q, PercentileMethod.LINEAR)
    assert got is not None
    assert math.isclose(got, float(np.percentile(x, q)), rel_tol=1e-12, abs_tol=1e-9)
    top = percentile_for(x, q, higher_is_better=True, method=PercentileMethod.LINEAR)
    assert top is not None
    assert math.isclose(top, float(np.percentile(x, 100 - q)), rel_tol=1e-12, abs_tol=1e-9)


@settings(max_examples=200)
@given(
    st.lists(st.tuples(st.integers(0, 4), st.integers(-20, 20)), max_size=40),
    percents,
    st.booleans(),
    st.sampled_from(list(PercentileMethod)),
)
def test_grouped_percentile_matches_one_group_at_a_time(
    pairs: list[tuple[int, int]], q: float, higher: bool, method: PercentileMethod
) -> None:
    groups = np.array([g for g, _ in pairs], dtype=np.int64)
    values = np.array([float(v) for _, v in pairs])
    got = grouped_percentile(values, groups, 5, q, higher, method)
    for g in range(5):
        alone = percentile_for(values[groups == g], q, higher, method)
        if alone is None:
            assert math.isnan(got[g])
        else:
            assert math.isclose(got[g], alone, rel_tol=1e-12, abs_tol=1e-9)
