"""Series statistics worked out by hand: percentiles, summaries, throughput, ratios, selection."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest

from servanda.agreements.model import Comparator
from servanda.core.intervals import to_us
from servanda.measure.inputs import Measurement
from servanda.measure.series import (
    PercentileMethod,
    count_columns,
    exact_number,
    grouped_percentile,
    loss_ratio,
    mean_of_ratios,
    nearest_rank,
    percentile,
    percentile_for,
    percentile_index,
    ratio_holds,
    ratio_of_sums,
    sample_percentile,
    select,
    summary,
    summary_of,
    throughput_mean,
    throughput_minimum,
    throughput_of,
    throughput_percentile,
    value_columns,
    value_holds,
    within,
)

T0 = datetime(2024, 4, 2, 10, 0, tzinfo=UTC)
CLASSIC = np.array([15.0, 20.0, 35.0, 40.0, 50.0])


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def sample(value: str, minutes: float = 0, series: str = "lat") -> Measurement:
    return Measurement(series=series, at=at(minutes), value=Decimal(value))


# -- percentiles ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("q", "expected"),
    [(0, 15.0), (5, 15.0), (30, 20.0), (40, 20.0), (50, 35.0), (80, 40.0), (81, 50.0), (100, 50.0)],
)
def test_nearest_rank_on_five_samples(q: int, expected: float) -> None:
    # k = max(1, ceil(q * 5 / 100)): q=30 -> ceil(1.5) = 2 -> 20; q=40 -> 2 -> 20; q=80 -> 4.
    assert percentile(CLASSIC, q) == expected


def test_nearest_rank_is_an_observed_value_and_linear_interpolates() -> None:
    # linear: h = (5 - 1) * 0.4 = 1.6 -> 20 + 0.6 * (35 - 20) = 29.
    assert percentile(CLASSIC, 40, PercentileMethod.LINEAR) == pytest.approx(29.0)
    assert percentile(CLASSIC, 40) == 20.0
    assert percentile([7.0], 99) == 7.0
    assert percentile([], 95) is None


def test_ranks_are_exact_not_float_rounded() -> None:
    twenty = np.arange(1, 21, dtype=np.float64)
    # 95 % of 20 is exactly 19: the 19th sample, not the 20th.
    assert percentile(twenty, 95) == 19.0
    thousand = np.arange(1, 1001, dtype=np.float64)
    # 99.9 % of 1000 is 999; the binary float just above 99.9 would give 1000.
    assert percentile(thousand, 99.9) == 999.0
    assert percentile(thousand, Decimal("99.9")) == 999.0
    assert percentile(thousand, Decimal("99.95")) == 1000.0
    assert nearest_rank(np.array([20, 1, 3]), 95).tolist() == [19, 1, 3]


def test_bad_percentiles_are_refused() -> None:
    with pytest.raises(ValueError, match="between 0 and 100"):
        percentile(CLASSIC, 101)
    with pytest.raises(ValueError, match="NaN"):
        percentile([1.0, float("nan")], 50)
    with pytest.raises(ValueError, match="finite"):
        percentile(CLASSIC, float("inf"))
    with pytest.raises(TypeError):
        exact_number(True)


def test_higher_is_better_counts_from_the_top() -> None:
    twenty = np.arange(1, 21, dtype=np.float64)
    # "p95 >= X": 19 of the 20 samples are >= 2, so 2 is the value met 95 % of the time.
    assert percentile_for(twenty, 95, higher_is_better=True) == 2.0
    assert int(np.sum(twenty >= 2.0)) == 19
    # Plain nearest rank at 100 - 95 = 5 lands one lower: ceil(0.05 * 20) = 1.
    assert percentile(twenty, 5) == 1.0
    # When q * N / 100 is not whole the two agree: N = 10 -> ceil(9.5) = 10 from the top = x1.
    ten = np.arange(1, 11, dtype=np.float64)
    assert percentile_for(ten, 95, higher_is_better=True) == 1.0 == percentile(ten, 5)
    assert percentile_for(twenty, 95, higher_is_better=False) == 19.0
    assert throughput_percentile(twenty, 95) == 2.0
    # Linear: the interpolated 5th percentile.
    assert percentile_for(
        twenty, 95, higher_is_better=True, method=PercentileMethod.LINEAR
    ) == pytest.approx(float(np.percentile(twenty, 5)))


def test_percentile_index_breaks_ties_by_position() -> None:
    values = np.array([3.0, 1.0, 3.0, 2.0])
    # Sorted (stable): 1 (i1), 2 (i3), 3 (i0), 3 (i2); p75 -> k = 3 -> index 0.
    assert percentile_index(values, 75) == 0
    assert percentile_index(values, 100) == 2
    # From the top, p75: k = 3, ascending rank 4 + 1 - 3 = 2 -> index 3 (value 2).
    assert percentile_index(values, 75, higher_is_better=True) == 3
    assert percentile_index([], 50) is None


def test_grouped_percentile_per_group() -> None:
    values = np.array([5.0, 1.0, 9.0, 4.0, 7.0, 2.0])
    groups = np.array([0, 0, 0, 2, 2, 2])
    # group 0: 1 5 9; group 1: empty; group 2: 2 4 7. p50 -> k = ceil(1.5) = 2.
    got = grouped_percentile(values, groups, 3, 50)
    assert got[0] == 5.0
    assert np.isnan(got[1])
    assert got[2] == 4.0
    # From the top, p100 is the minimum of each group.
    top = grouped_percentile(values, groups, 3, 100, higher_is_better=True)
    assert top[[0, 2]].tolist() == [1.0, 2.0]
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        grouped_percentile(values, groups + 1, 3, 50)


# -- summaries --------------------------------------------------------------------------------


def test_summary_by_hand() -> None:
    values = np.arange(1, 101, dtype=np.float64)[::-1]
    s = summary(values)
    assert s is not None
    assert (s.count, s.minimum, s.maximum) == (100, 1.0, 100.0)
    assert s.mean == 50.5
    assert (s.p50, s.p95, s.p99) == (50.0, 95.0, 99.0)
    top = summary(values, higher_is_better=True)
    assert top is not None
    # From the top: 100 + 1 - 50 = 51, 100 + 1 - 95 = 6, 100 + 1 - 99 = 2.
    assert (top.p50, top.p95, top.p99) == (51.0, 6.0, 2.0)
    assert summary([]) is None


def test_summary_of_returns_the_decimals_measured() -> None:
    ms = [sample("12.50", 0), sample("3.1", 1), sample("7.000", 2), sample("40", 3)]
    s = summary_of(ms)
    assert s is not None
    assert s.minimum == Decimal("3.1")
    assert str(s.minimum) == "3.1"
    assert str(s.maximum) == "40"
    # Sorted: 3.1, 7.000, 12.50, 40; p50 -> k = 2.
    assert str(s.p50) == "7.000"
    assert str(s.p95) == "40"
    assert s.mean == pytest.approx((12.5 + 3.1 + 7 + 40) / 4)
    assert str(sample_percentile(ms, 75)) == "12.50"
    assert sample_percentile([], 75) is None
    assert summary_of([]) is None


# -- throughput -------------------------------------------------------------------------------


def test_throughput_mean_is_time_weighted_with_intervals() -> None:
    rates = np.array([10e6, 40e6])
    start = np.array([0, 60_000_000])
    end = np.array([60_000_000, 90_000_000])
    # 10 Mbit/s for 60 s and 40 Mbit/s for 30 s: 1 800 Mbit over 90 s = 20 Mbit/s.
    assert throughput_mean(rates, start, end) == pytest.approx(20e6)
    assert throughput_mean(rates) == 25e6
    # Zero-length intervals only: the plain mean.
    assert throughput_mean(rates, np.array([5, 5]), np.array([5, 5])) == 25e6
    assert throughput_minimum(rates) == 10e6
    assert throughput_minimum([]) is None
    assert throughput_mean([]) is None
    with pytest.raises(ValueError, match="ends before"):
        throughput_mean(rates, end, start)


def test_throughput_of_measurements() -> None:
    ms = [
        Measurement(series="tp", start=at(0), at=at(1), value=Decimal("10000000")),
        Measurement(series="tp", start=at(1), at=at(4), value=Decimal("30000000.0")),
        Measurement(series="tp", start=at(4), at=at(5), value=Decimal("50000000")),
    ]
    t = throughput_of(ms, q=Decimal(50))
    assert t is not None
    assert t.time_weighted
    # (10 * 1 + 30 * 3 + 50 * 1) / 5 = 30 Mbit/s.
    assert t.mean == pytest.approx(30e6)
    assert str(t.minimum) == "10000000"
    # From the top, p50 of three: k = 2, ascending rank 2 -> 30000000.0 as measured.
    assert str(t.percentile) == "30000000.0"
    assert t.q == Decimal(50)
    plain = throughput_of([*ms, sample("20000000", 9, "tp")])
    assert plain is not None
    assert not plain.time_weighted
    assert plain.mean == pytest.approx(27.5e6)
    assert plain.percentile is None
    assert throughput_of([]) is None


# -- ratios -----------------------------------------------------------------------------------


def test_ratio_of_sums_against_the_mean_of_ratios() -> None:
    good = np.array([999, 1])
    total = np.array([1000, 2])
    r = ratio_of_sums(good, total)
    assert (r.good, r.total, r.bad) == (1000, 1002, 2)
    assert r.ratio == pytest.approx(1000 / 1002)
    assert r.exact == Fraction(500, 501)
    # The quiet slice drags the mean of ratios down to (0.999 + 0.5) / 2.
    assert mean_of_ratios(good, total) == pytest.approx(0.7495)
    assert loss_ratio(good, total) == pytest.approx(2 / 1002)


def test_ratios_without_events() -> None:
    r = ratio_of_sums(np.array([0, 0]), np.array([0, 0]))
    assert r.ratio is None
    assert r.exact is None
    assert loss_ratio([], []) is None
    assert mean_of_ratios([0], [0]) is None
    with pytest.raises(ValueError, match="more than total"):
        ratio_of_sums([3], [2])
    with pytest.raises(ValueError, match="negative"):
        ratio_of_sums([-1], [2])


def test_ratio_holds_compares_exactly() -> None:
    num = np.array([19, 18, 0, 5])
    den = np.array([20, 20, 0, 5])
    assert ratio_holds(num, den, Comparator.GE, 0.95).tolist() == [True, False, False, True]
    # 19/20 is exactly 0.95, so not above it; 5/5 is.
    assert ratio_holds(num, den, Comparator.GT, Decimal("0.95")).tolist() == [
        False,
        False,
        False,
        True,
    ]
    assert ratio_holds(num, den, Comparator.LT, 0.95).tolist() == [False, True, False, False]
    # Counts too big for int64 cross products are compared with Python integers.
    big = np.array([2**61 - 1, 2**61 + 1], dtype=np.int64)
    half = np.array([2**62, 2**62], dtype=np.int64)
    assert ratio_holds(big, half, Comparator.GE, Fraction(1, 2)).tolist() == [False, True]
    assert ratio_holds(big, half, Comparator.LE, Fraction(1, 2)).tolist() == [True, False]


def test_value_holds() -> None:
    values = np.array([99.0, 100.0, 100.5])
    assert value_holds(values, Comparator.LE, Decimal(100)).tolist() == [True, True, False]
    assert value_holds(values, Comparator.LT, 100).tolist() == [True, False, False]
    assert value_holds(values, Comparator.GE, 100).tolist() == [False, True, True]
    assert value_holds(values, Comparator.GT, 100).tolist() == [False, False, True]


# -- selection and columns --------------------------------------------------------------------


def test_within_is_half_open() -> None:
    times = np.array([to_us(at(-1)), to_us(at(0)), to_us(at(4)), to_us(at(5))])
    assert within(times, at(0), at(5)).tolist() == [False, True, True, False]
    assert within(times, to_us(at(0)), to_us(at(5))).tolist() == [False, True, True, False]


def test_select_by_at_and_by_start() -> None:
    before = Measurement(series="loss", start=at(-5), at=at(0), good=9, total=10)
    inside = Measurement(series="loss", start=at(0), at=at(5), good=10, total=10)
    other = Measurement(series="lat", at=at(1), value=Decimal(3))
    ms = [before, inside, other]
    # On `at`, the count over [09:55, 10:00) ends at 10:00 and so falls in [10:00, 10:05].
    assert select(ms, "loss", at(0), at(5)) == (before,)
    assert select(ms, "loss", at(0), at(5.01)) == (before, inside)
    # On `start`, each count goes to the window its interval starts in.
    assert select(ms, "loss", at(0), at(5), by="start") == (inside,)
    assert select(ms, "lat", at(0), at(5), by="start") == (other,)
    assert select(ms, "lat", at(2), at(5)) == ()


def test_value_columns() -> None:
    delay = Measurement(
        series="owd",
        at=at(1),
        sent_at=at(1),
        received_at=at(1) + timedelta(microseconds=1500),
    )
    rate = Measurement(series="tp", start=at(0), at=at(2), value=Decimal("2.5"))
    c = value_columns([delay, rate])
    assert len(c) == 2
    assert c.exact == (Decimal("1.500"), Decimal("2.5"))
    assert str(c.exact[0]) == "1.500"
    assert c.values.tolist() == [1.5, 2.5]
    assert c.has_start.tolist() == [False, True]
    assert c.start.tolist() == [to_us(at(1)), to_us(at(0))]
    assert not c.intervals_known
    counted = Measurement(series="loss", at=at(1), good=1, total=2)
    with pytest.raises(ValueError, match="measurement 1 of loss has no value"):
        value_columns([rate, counted])


def test_count_columns() -> None:
    ms = [
        Measurement(series="loss", start=at(0), at=at(5), good=98, total=100),
        Measurement(series="loss", at=at(6), good=0, total=0),
    ]
    c = count_columns(ms)
    assert len(c) == 2
    assert c.good.tolist() == [98, 0]
    assert c.total.tolist() == [100, 0]
    assert c.start.tolist() == [to_us(at(0)), to_us(at(6))]
    assert c.has_start.tolist() == [True, False]
    with pytest.raises(ValueError, match="measurement 0 of lat has no good and total"):
        count_columns([sample("1")])
