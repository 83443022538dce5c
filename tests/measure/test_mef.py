"""MEF 10.3 availability on hand-made sequences, checked against a plain per-interval state
machine; ITU-T Y.1540 unavailability."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from servanda.core.intervals import IntervalSet, to_us
from servanda.measure.inputs import Measurement
from servanda.measure.mef import (
    loss_grid,
    mef_availability,
    mef_availability_of,
    y1540_unavailable,
)

T0 = datetime(2024, 4, 2, 10, 0, tzinfo=UTC)
DT = 60_000_000  # one minute, µs
BAD, OK = 0.9, 0.0


def grid(size: int) -> np.ndarray:
    return to_us(T0) + np.arange(size, dtype=np.int64) * DT


def test_two_bad_intervals_do_not_flip() -> None:
    r = mef_availability(grid(6), DT, 0.5, 3, flr=np.array([OK, BAD, BAD, OK, OK, OK]))
    assert r.available.all()
    assert r.availability == 1.0
    assert r.hli == 2  # two high-loss intervals inside available time
    assert not r.unavailable


def test_three_bad_intervals_flip_and_recovery_needs_three_good() -> None:
    #          0   1    2    3    4   5   6    7   8   9
    flr = [OK, BAD, BAD, BAD, OK, OK, BAD, OK, OK, OK]
    r = mef_availability(grid(10), DT, 0.5, 3, flr=np.array(flr))
    # Unavailable from 1 (first of the three bad); 4-5 are only two good, 6 is bad again;
    # available again from 7 (first of three good).
    assert r.available.tolist() == [True] + [False] * 6 + [True] * 3
    assert (r.counted, r.available_count, r.unavailable_count) == (10, 4, 6)
    assert r.availability == 0.4
    assert r.exact == Fraction(2, 5)
    assert r.hli == 0  # the bad interval 6 is inside unavailable time
    start = T0 + timedelta(minutes=1)
    assert r.stretches == ((start, T0 + timedelta(minutes=7)),)
    assert r.high_loss.tolist() == [x > 0.5 for x in flr]


def test_unavailable_to_the_end_and_from_the_start() -> None:
    r = mef_availability(grid(5), DT, 0.5, 3, flr=np.array([BAD, BAD, BAD, OK, OK]))
    # Starts available, but the first three intervals are bad: unavailable from 0; two good
    # intervals at the end are not enough to come back.
    assert r.available.tolist() == [False] * 5
    assert r.availability == 0.0
    assert r.stretches == ((T0, T0 + timedelta(minutes=5)),)


def test_n_of_one_follows_each_interval() -> None:
    r = mef_availability(grid(4), DT, 0.5, 1, flr=np.array([BAD, OK, BAD, OK]))
    assert r.available.tolist() == [False, True, False, True]
    assert r.hli == 0


def test_maintenance_is_left_out_and_breaks_runs() -> None:
    flr = [OK, BAD, BAD, BAD, BAD, OK, OK, OK, OK, OK]
    resting = np.zeros(10, dtype=bool)
    resting[3] = True
    r = mef_availability(grid(10), DT, 0.5, 3, flr=np.array(flr), maintenance=resting)
    # Bad 1-2, maintenance 3, bad 4: no three consecutive bad intervals, never unavailable.
    assert r.available.all()
    assert (r.counted, r.available_count) == (9, 9)
    assert r.hli == 3  # 1, 2 and 4; the bad interval in maintenance is not counted
    assert r.maintenance.tolist() == resting.tolist()


def test_maintenance_inside_an_outage_counts_in_neither_part() -> None:
    #      0    1    2    3(M) 4    5   6   7
    flr = [BAD, BAD, BAD, BAD, BAD, OK, OK, OK]
    resting = np.array([False, False, False, True, False, False, False, False])
    r = mef_availability(grid(8), DT, 0.5, 3, flr=np.array(flr), maintenance=resting)
    # Unavailable 0-2, the state carries through maintenance (3) into 4, back at 5.
    assert r.available.tolist() == [False] * 5 + [True] * 3
    assert (r.counted, r.available_count) == (7, 3)
    assert r.exact == Fraction(3, 7)
    assert r.stretches == (
        (T0, T0 + timedelta(minutes=3)),
        (T0 + timedelta(minutes=4), T0 + timedelta(minutes=5)),
    )


def test_maintenance_as_an_interval_set() -> None:
    flr = [OK, BAD, BAD, BAD, OK]
    # Maintenance 10:02:30-10:03:00 touches interval 2 only; an interval in part is left out.
    window = IntervalSet.span(T0 + timedelta(minutes=2, seconds=30), T0 + timedelta(minutes=3))
    r = mef_availability(grid(5), DT, 0.5, 3, flr=np.array(flr), maintenance=window)
    assert r.maintenance.tolist() == [False, False, True, False, False]
    assert r.available.all()
    assert (r.counted, r.hli) == (4, 2)
    everything = IntervalSet.span(T0, T0 + timedelta(hours=1))
    idle = mef_availability(grid(5), DT, 0.5, 3, flr=np.array(flr), maintenance=everything)
    assert idle.counted == 0
    assert idle.availability is None
    assert idle.exact is None


def test_counts_compare_with_the_threshold_exactly() -> None:
    lost = np.array([1, 1, 1, 0, 2, 2, 2])
    sent = np.array([2, 2, 2, 0, 3, 3, 3])
    # 1/2 is not above C = 0.5; 0/0 has flr = 0; 2/3 is above.
    r = mef_availability(grid(7), DT, 0.5, 3, lost=lost, sent=sent)
    assert r.high_loss.tolist() == [False] * 4 + [True] * 3
    assert r.available.tolist() == [True] * 4 + [False] * 3


def test_bad_input_is_refused() -> None:
    flr = np.array([OK, OK])
    with pytest.raises(ValueError, match="less than Δt"):
        mef_availability(np.array([0, DT // 2]), DT, 0.5, 3, flr=flr)
    with pytest.raises(ValueError, match="n must be"):
        mef_availability(grid(2), DT, 0.5, 0, flr=flr)
    with pytest.raises(ValueError, match="between 0 and 1"):
        mef_availability(grid(2), DT, 50, 3, flr=flr)
    with pytest.raises(ValueError, match="not both"):
        mef_availability(grid(2), DT, 0.5, 3, flr=flr, lost=[0, 0], sent=[1, 1])
    with pytest.raises(ValueError, match="give flr"):
        mef_availability(grid(2), DT, 0.5, 3)
    with pytest.raises(ValueError, match="positive"):
        mef_availability(grid(2), 0, 0.5, 3, flr=flr)


def test_empty_series() -> None:
    r = mef_availability(np.empty(0, dtype=np.int64), DT, 0.5, 3, flr=np.empty(0))
    assert r.counted == 0
    assert r.availability is None
    assert not r.unavailable


def test_loss_grid_sums_counts_per_interval() -> None:
    p0 = to_us(T0)
    anchors = np.array([p0, p0 + 10, p0 + DT + 5, p0 - 1, p0 + 3 * DT, p0 + 2 * DT + 1])
    lost = np.array([1, 2, 3, 100, 100, 4])
    sent = np.array([10, 10, 10, 100, 100, 4])
    g = loss_grid(T0, T0 + timedelta(minutes=3), DT, anchors, lost, sent)
    # Two counts in interval 0; the ones before the period and at its end are left out.
    assert g.starts.tolist() == [p0, p0 + DT, p0 + 2 * DT]
    assert g.lost.tolist() == [3, 3, 4]
    assert g.sent.tolist() == [20, 10, 4]
    assert g.measured.tolist() == [True, True, True]
    sparse = loss_grid(T0, T0 + timedelta(minutes=2, seconds=1), DT, anchors[:1], [0], [5])
    assert sparse.starts.size == 3  # the last interval sticks out past the end
    assert sparse.measured.tolist() == [True, False, False]


def test_mef_availability_of_measurements() -> None:
    def count(minute: int, good: int, total: int) -> Measurement:
        start = T0 + timedelta(minutes=minute)
        return Measurement(
            series="loss", start=start, at=start + timedelta(minutes=1), good=good, total=total
        )

    # Minutes 2, 3, 4 lose 60 % (> C = 0.5); minute 5 has no measurement (flr = 0).
    ms = [count(0, 100, 100), count(1, 100, 100)]
    ms += [count(m, 40, 100) for m in (2, 3, 4)]
    ms += [count(m, 100, 100) for m in (6, 7, 8, 9)]
    r = mef_availability_of(ms, T0, T0 + timedelta(minutes=10), timedelta(minutes=1), 0.5, 3)
    # Unavailable 2-4, back from 5 (5, 6, 7 are good): 7 of 10 intervals available.
    assert r.available.tolist() == [True, True, False, False, False] + [True] * 5
    assert r.exact == Fraction(7, 10)
    assert r.stretches == ((T0 + timedelta(minutes=2), T0 + timedelta(minutes=5)),)


# -- against the per-interval definition ------------------------------------------------------


def reference(high: list[bool], resting: list[bool], n: int) -> list[bool]:
    """MEF 10.3 read interval by interval: look at the n intervals starting at k."""
    state = True
    out = []
    for k in range(len(high)):
        if not resting[k]:
            window = range(k, k + n)
            whole = k + n <= len(high) and not any(resting[i] for i in window)
            if whole and state and all(high[i] for i in window):
                state = False
            elif whole and not state and not any(high[i] for i in window):
                state = True
        out.append(state)
    return out


@settings(max_examples=400)
@given(
    st.lists(st.tuples(st.sampled_from([0.0, 0.2, 0.5, 0.51, 1.0]), st.booleans()), max_size=60),
    st.integers(1, 5),
    st.integers(0, 3),
)
def test_matches_the_per_interval_state_machine(
    cells: list[tuple[float, bool]], n: int, maintenance_every: int
) -> None:
    flr = [f for f, _ in cells]
    resting = [
        m and maintenance_every > 0 and i % maintenance_every == 0 for i, (_, m) in enumerate(cells)
    ]
    r = mef_availability(
        grid(len(flr)), DT, 0.5, n, flr=np.array(flr), maintenance=np.array(resting, dtype=bool)
    )
    high = [f > 0.5 for f in flr]
    expected = reference(high, resting, n)
    assert r.available.tolist() == expected
    counted = [not m for m in resting]
    assert r.counted == sum(counted)
    assert r.available_count == sum(a and c for a, c in zip(expected, counted, strict=True))
    assert r.hli == sum(h and a and c for h, a, c in zip(high, expected, counted, strict=True))
    down = [not a and c for a, c in zip(expected, counted, strict=True)]
    assert r.unavailable.duration() == sum(down) * DT


# -- Y.1540 -----------------------------------------------------------------------------------


def test_y1540_unavailable() -> None:
    ratios = np.array([0.8, 0.9, 0.1, 0.8, 0.8, 0.8, 0.75])
    # 0.75 itself is not above the threshold.
    assert y1540_unavailable(ratios).tolist() == [True, True, False, True, True, True, False]
    # At least three consecutive intervals: the first pair is too short.
    assert y1540_unavailable(ratios, min_intervals=3).tolist() == [False] * 3 + [True] * 3 + [False]
    assert y1540_unavailable(ratios, threshold=0.85).tolist() == [False, True] + [False] * 5
    assert y1540_unavailable(np.empty(0)).tolist() == []
    with pytest.raises(ValueError, match="min_intervals"):
        y1540_unavailable(ratios, min_intervals=0)
