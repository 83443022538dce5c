"""Time-sliced objectives worked out by hand, and against a slice-by-slice reference."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from servanda.agreements.model import Comparator
from servanda.core.intervals import IntervalSet, to_us
from servanda.measure.inputs import Measurement
from servanda.measure.series import PercentileMethod, percentile_for
from servanda.measure.timeslices import (
    SliceStatistic,
    ratio_timeslices,
    slice_bounds,
    slice_index,
    timeslices_by_ratio,
    timeslices_by_statistic,
    timeslices_of_counts,
    timeslices_of_values,
)

T0 = datetime(2024, 4, 2, 10, 0, tzinfo=UTC)
FIVE = timedelta(minutes=5)
MINUTE = 60_000_000


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def us(minutes: float) -> int:
    return to_us(at(minutes))


def test_slices_are_aligned_on_the_period_start_and_the_last_is_cut() -> None:
    starts, ends = slice_bounds(T0, at(12), FIVE)
    assert starts.tolist() == [us(0), us(5), us(10)]
    assert ends.tolist() == [us(5), us(10), us(12)]
    assert slice_bounds(T0, T0, FIVE)[0].size == 0
    times = np.array([us(-1), us(0), us(4.99), us(5), us(11.9), us(12)])
    assert slice_index(times, T0, at(12), FIVE).tolist() == [-1, 0, 0, 1, 2, -1]
    with pytest.raises(ValueError, match="positive length"):
        slice_bounds(T0, at(12), timedelta(0))


def counts_example() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    # Slice 0: 19 of 20; slice 1: 90 of 100 and 0 of 0; slice 2: nothing; slice 3: 1 of 1;
    # and a count at the period end (10:20), outside.
    times = np.array([us(1), us(6), us(7), us(15), us(20)])
    good = np.array([19, 90, 0, 1, 0])
    total = np.array([20, 100, 0, 1, 50])
    return times, good, total


def test_timeslices_by_ratio_by_hand() -> None:
    times, good, total = counts_example()
    r = timeslices_by_ratio(times, good, total, T0, at(20), FIVE, Decimal("0.95"))
    assert r.slices == 4
    assert r.has_data.tolist() == [True, True, False, True]
    # 19/20 is exactly 0.95: good; 90/100 is bad; slice 2 has no data and is left out.
    assert r.good.tolist() == [True, False, False, True]
    assert (r.good_slices, r.slices_with_data) == (2, 3)
    assert r.exact == Fraction(2, 3)
    assert r.sli == pytest.approx(2 / 3)
    assert r.value[[0, 1, 3]].tolist() == [0.95, 0.9, 1.0]
    assert math.isnan(r.value[2])
    assert r.bad_slices == ((at(5), at(10)),)
    assert r.bad == IntervalSet.span(at(5), at(10))
    assert r.good_events is not None
    assert r.total_events is not None
    assert r.good_events.tolist() == [19, 90, 0, 1]
    assert r.total_events.tolist() == [20, 100, 0, 1]
    # Strictly above 0.95: slice 0 is bad too, and the two bad neighbours merge.
    strict = timeslices_by_ratio(times, good, total, T0, at(20), FIVE, 0.95, Comparator.GT)
    assert strict.good.tolist() == [False, False, False, True]
    assert len(strict.bad_slices) == 2
    assert strict.bad == IntervalSet.span(at(0), at(10))


def test_ratio_timeslices_is_a_mean_of_ratios() -> None:
    times, good, total = counts_example()
    r = ratio_timeslices(times, good, total, T0, at(20), FIVE)
    # (0.95 + 0.9 + 1) / 3 = 0.95 over the slices with events, whereas the ratio of sums
    # (Occurrences) is 110 / 121 ≈ 0.909.
    assert r.sli == pytest.approx(0.95)
    assert r.slices_with_data == 3
    assert "mean of per-slice ratios" in r.convention
    empty = ratio_timeslices(times[:0], good[:0], total[:0], T0, at(20), FIVE)
    assert empty.sli is None


def test_no_slice_with_data() -> None:
    r = timeslices_by_ratio(np.array([us(1)]), np.array([0]), np.array([0]), T0, at(10), FIVE, 0.9)
    assert r.slices_with_data == 0
    assert r.sli is None
    assert r.exact is None
    assert r.bad_slices == ()


def test_timeslices_by_percentile_lower_is_better() -> None:
    # Slice 0: 10 20 30 40 ms, slice 1: 50 150 ms, slice 2: nothing.
    times = np.array([us(0), us(1), us(2), us(3), us(5), us(6)])
    values = np.array([40.0, 10.0, 30.0, 20.0, 150.0, 50.0])
    r = timeslices_by_statistic(
        times, values, T0, at(15), FIVE, 100, Comparator.LE, SliceStatistic.PERCENTILE, q=95
    )
    # p95 nearest rank: slice 0 k = ceil(3.8) = 4 -> 40; slice 1 k = ceil(1.9) = 2 -> 150.
    assert r.value[:2].tolist() == [40.0, 150.0]
    assert r.good.tolist() == [True, False, False]
    assert r.has_data.tolist() == [True, True, False]
    assert r.sli == 0.5
    # p50: slice 1 k = 1 -> 50 ms, good.
    half = timeslices_by_statistic(times, values, T0, at(15), FIVE, 100, Comparator.LE, q=50)
    assert half.value[:2].tolist() == [20.0, 50.0]
    assert half.sli == 1.0
    linear = timeslices_by_statistic(
        times, values, T0, at(15), FIVE, 100, Comparator.LE, q=50, method=PercentileMethod.LINEAR
    )
    assert linear.value[:2].tolist() == [25.0, 100.0]
    with pytest.raises(ValueError, match="needs q"):
        timeslices_by_statistic(times, values, T0, at(15), FIVE, 100, Comparator.LE)


def test_timeslices_by_percentile_higher_is_better() -> None:
    # Throughput in Mbit/s, 20 samples in one slice: 1 … 20. "p95 ≥ 2": 19 of 20 are ≥ 2.
    times = np.full(20, us(1))
    rates = np.arange(1, 21, dtype=np.float64)
    r = timeslices_by_statistic(times, rates, T0, at(5), FIVE, 2, Comparator.GE, q=95)
    assert r.value.tolist() == [2.0]
    assert r.good.tolist() == [True]
    tighter = timeslices_by_statistic(times, rates, T0, at(5), FIVE, 3, Comparator.GE, q=95)
    assert tighter.good.tolist() == [False]


def test_timeslices_by_mean_min_max() -> None:
    times = np.array([us(0), us(1), us(6)])
    values = np.array([10.0, 30.0, 7.0])
    args = (T0, at(10), FIVE, 20, Comparator.LE)
    mean = timeslices_by_statistic(times, values, *args, SliceStatistic.MEAN)
    assert mean.value.tolist() == [20.0, 7.0]
    assert mean.good.tolist() == [True, True]
    low = timeslices_by_statistic(times, values, *args, SliceStatistic.MIN)
    assert low.value.tolist() == [10.0, 7.0]
    high = timeslices_by_statistic(times, values, *args, SliceStatistic.MAX)
    assert high.value.tolist() == [30.0, 7.0]
    assert high.good.tolist() == [False, True]


def test_timeslices_of_counts_use_the_interval_start() -> None:
    def count(minute: int, good: int, total: int) -> Measurement:
        return Measurement(
            series="req", start=at(minute), at=at(minute + 5), good=good, total=total
        )

    ms = [count(0, 10, 10), count(5, 5, 10)]
    r = timeslices_of_counts(ms, T0, at(10), FIVE, Decimal("0.9"))
    # [10:00, 10:05) is slice 0, [10:05, 10:10) is slice 1.
    assert r.good.tolist() == [True, False]
    # By `at`, each count lands one slice later and the second falls outside the period.
    shifted = timeslices_of_counts(ms, T0, at(10), FIVE, Decimal("0.9"), by="at")
    assert shifted.has_data.tolist() == [False, True]
    assert shifted.good.tolist() == [False, True]


def test_timeslices_of_values() -> None:
    ms = [
        Measurement(series="lat", at=at(m), value=Decimal(v))
        for m, v in ((0, "12.5"), (1, "80"), (6, "200"))
    ]
    r = timeslices_of_values(ms, T0, at(10), FIVE, 100, Comparator.LE, q=Decimal(99))
    assert r.value.tolist() == [80.0, 200.0]
    assert r.bad_slices == ((at(5), at(10)),)


# -- against a slice-by-slice reference -------------------------------------------------------

events = st.lists(
    st.tuples(st.integers(-2, 31), st.integers(0, 5), st.integers(0, 5)).map(
        lambda e: (e[0], min(e[1], e[2]), max(e[1], e[2]))
    ),
    max_size=40,
)


@settings(max_examples=200)
@given(events, st.integers(1, 7), st.sampled_from([0, 0.5, 0.8, 1]))
def test_ratio_slices_match_a_reference(
    rows: list[tuple[int, int, int]], length: int, target: float
) -> None:
    period_end = 30 * MINUTE
    times = np.array([m * MINUTE for m, _, _ in rows], dtype=np.int64)
    good = np.array([g for _, g, _ in rows], dtype=np.int64)
    total = np.array([t for _, _, t in rows], dtype=np.int64)
    r = timeslices_by_ratio(times, good, total, 0, period_end, length * MINUTE, target)
    bounds = list(range(0, 30, length))
    assert r.slices == len(bounds)
    for i, lo in enumerate(bounds):
        inside = [(g, t) for m, g, t in rows if lo <= m < min(lo + length, 30)]
        sum_good = sum(g for g, _ in inside)
        sum_total = sum(t for _, t in inside)
        assert r.has_data[i] == (sum_total > 0)
        expected = sum_total > 0 and Fraction(sum_good, sum_total) >= Fraction(str(target))
        assert r.good[i] == expected


@settings(max_examples=200)
@given(
    st.lists(st.tuples(st.integers(0, 29), st.integers(0, 300)), max_size=40),
    st.integers(1, 7),
    st.sampled_from([50, 90, 95, 99.9]),
    st.sampled_from(list(Comparator)),
)
def test_percentile_slices_match_a_reference(
    rows: list[tuple[int, int]], length: int, q: float, comparator: Comparator
) -> None:
    times = np.array([m * MINUTE for m, _ in rows], dtype=np.int64)
    values = np.array([float(v) for _, v in rows])
    r = timeslices_by_statistic(
        times, values, 0, 30 * MINUTE, length * MINUTE, 100, comparator, q=q
    )
    for i, lo in enumerate(range(0, 30, length)):
        inside = [v for m, v in rows if lo <= m < lo + length]
        expected = percentile_for(inside, q, comparator.higher_is_better)
        if expected is None:
            assert not r.has_data[i]
            assert not r.good[i]
        else:
            assert r.value[i] == expected
            assert r.good[i] == comparator.holds(Decimal(expected), Decimal(100))
