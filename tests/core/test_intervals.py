"""Edge cases of the interval algebra and the datetime helpers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import numpy as np
import pytest

from servanda.core.intervals import IntervalSet, WeightedIntervals, from_us, to_us

T0 = datetime(2024, 1, 1, tzinfo=UTC)
HOUR = 3_600_000_000


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def test_to_us_and_from_us_round_trip() -> None:
    assert to_us(datetime(1970, 1, 1, tzinfo=UTC)) == 0
    assert to_us(datetime(1970, 1, 1, 1, tzinfo=timezone(timedelta(hours=1)))) == 0
    moment = datetime(2024, 3, 31, 1, 2, 3, 456789, tzinfo=UTC)
    assert from_us(to_us(moment)) == moment
    assert from_us(to_us(moment)).tzinfo is UTC
    assert from_us(-1) == datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        to_us(datetime(2024, 1, 1))  # noqa: DTZ001
    with pytest.raises(ValueError, match="naive"):
        IntervalSet.from_pairs([(datetime(2024, 1, 1), at(1))])  # noqa: DTZ001


def test_empty() -> None:
    empty = IntervalSet.empty()
    assert not empty
    assert len(empty) == 0
    assert empty.duration() == 0
    assert empty.to_pairs() == ()
    assert empty | empty == empty
    assert empty.complement(at(0), at(1)) == IntervalSet.span(at(0), at(1))
    assert not empty.contains(at(0))
    assert IntervalSet.from_arrays([], []) == empty
    assert IntervalSet.span(at(1), at(1)) == empty


def test_touching_intervals_merge_and_zero_length_ones_drop() -> None:
    s = IntervalSet.from_pairs([(at(0), at(1)), (at(1), at(2)), (at(5), at(5)), (at(3), at(4))])
    assert s.to_pairs() == ((at(0), at(2)), (at(3), at(4)))
    assert s.duration() == 3 * HOUR
    assert s.total_seconds() == 3 * 3600.0


def test_half_open_bounds() -> None:
    s = IntervalSet.span(at(0), at(1))
    assert s.contains(at(0))
    assert not s.contains(at(1))
    assert not s.overlaps(IntervalSet.span(at(1), at(2)))
    assert s.overlaps(IntervalSet.span(at(0.5), at(2)))


def test_bad_input_names_the_first_offending_index() -> None:
    with pytest.raises(ValueError, match="interval 2 ends before it starts"):
        IntervalSet.from_arrays([0, 5, 10, 20], [1, 6, 9, 19])
    with pytest.raises(ValueError, match="differ in length"):
        IntervalSet.from_arrays([0, 1], [1])
    with pytest.raises(ValueError, match="integer microseconds"):
        IntervalSet.from_arrays([0.5], [1.5])
    with pytest.raises(TypeError):
        IntervalSet()


def test_arrays_are_read_only_and_inputs_are_copied() -> None:
    starts = np.array([0, 10], dtype=np.int64)
    s = IntervalSet.from_arrays(starts, [5, 20])
    starts[0] = 3
    assert s.starts[0] == 0
    with pytest.raises(ValueError, match="read-only"):
        s.starts[0] = 1


def test_operations() -> None:
    a = IntervalSet.from_pairs([(at(0), at(4)), (at(6), at(8))])
    b = IntervalSet.from_pairs([(at(2), at(7))])
    assert (a | b).to_pairs() == ((at(0), at(8)),)
    assert (a & b).to_pairs() == ((at(2), at(4)), (at(6), at(7)))
    assert (a - b).to_pairs() == ((at(0), at(2)), (at(7), at(8)))
    assert a.clip(at(1), at(7)).to_pairs() == ((at(1), at(4)), (at(6), at(7)))
    assert a.complement(at(-1), at(9)).to_pairs() == (
        (at(-1), at(0)),
        (at(4), at(6)),
        (at(8), at(9)),
    )
    assert a.shift(timedelta(hours=1)).to_pairs() == ((at(1), at(5)), (at(7), at(9)))
    assert list(a) == list(a.to_pairs())
    assert hash(a) == hash(IntervalSet.from_pairs(a.to_pairs()))
    assert a != "not a set"
    assert "IntervalSet" in repr(a)


def test_weighted_overlaps_take_the_larger_weight() -> None:
    crit = IntervalSet.span(at(0), at(2))
    peak = IntervalSet.span(at(1), at(3))
    w = WeightedIntervals.from_windows([(crit, 10), (peak, 4)])
    assert w.weight_at(at(0.5)) == 10
    assert w.weight_at(at(1.5)) == 10
    assert w.weight_at(at(2.5)) == 4
    assert w.weight_at(at(5)) == 1.0
    down = IntervalSet.from_pairs([(at(1), at(4))])
    # 1h at weight 10, 1h at 4, 1h at the default 1.
    assert w.weighted_seconds(down) == pytest.approx(15 * 3600)
    assert w.support() == IntervalSet.span(at(0), at(3))


def test_weighted_constant_and_empty() -> None:
    flat = WeightedIntervals.constant()
    assert flat.weighted_duration(IntervalSet.span(0, 10)) == 10.0
    assert flat == WeightedIntervals.from_windows([])
    assert not flat
    with pytest.raises(ValueError, match="window 0 ends before it starts"):
        WeightedIntervals.from_arrays([5], [1], [2.0])
