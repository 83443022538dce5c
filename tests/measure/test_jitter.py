"""RFC 3550 jitter, IPDV and PDV worked out by hand."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from servanda.core.intervals import to_us
from servanda.measure.inputs import Measurement
from servanda.measure.jitter import (
    interarrival_jitter,
    interarrival_jitter_q4,
    ipdv,
    one_way_delays,
    one_way_delays_ms,
    packet_columns,
    pdv,
    timestamp_units,
)

BASE = 1_700_000_000_000_000  # 2023-11-14T22:13:20Z, µs
MS = 1000


def packets(transits_ms: list[int], spacing_ms: int = 20) -> tuple[np.ndarray, np.ndarray]:
    sent = BASE + np.arange(len(transits_ms), dtype=np.int64) * spacing_ms * MS
    return sent, sent + np.array(transits_ms, dtype=np.int64) * MS


# Transits 0, 10, 30, 10 ms: |D| = 10, 20, 20 ms.
#   J1 = 0 + (10 - 0) / 16                   = 0.625
#   J2 = 0.625 + (20 - 0.625) / 16           = 1.8359375
#   J3 = 1.8359375 + (20 - 1.8359375) / 16   = 2.97119140625
HAND_FLOAT = [0.0, 0.625, 1.8359375, 2.97119140625]


def test_floating_point_jitter_by_hand() -> None:
    sent, received = packets([0, 10, 30, 10])
    j = interarrival_jitter(sent, received)
    assert j.running.tolist() == pytest.approx(HAND_FLOAT, abs=1e-12)
    assert j.final == pytest.approx(2.97119140625, abs=1e-12)
    assert j.index.tolist() == [0, 1, 2, 3]
    assert j.clock_rate is None
    assert "floating point" in j.convention
    # On an 8 kHz clock the transits are whole timestamp units (80 per 10 ms): same figures.
    on_clock = interarrival_jitter(sent, received, clock_rate=8000)
    assert on_clock.running.tolist() == pytest.approx(HAND_FLOAT, abs=1e-12)


def test_q4_jitter_by_hand() -> None:
    # 8 kHz: transits 0, 80, 240, 80 units, |D| = 80, 160, 160.
    #   q = 0 + 80 - ((0 + 8) >> 4)      = 80 - 0   = 80,  J = 80 >> 4  = 5
    #   q = 80 + 160 - ((80 + 8) >> 4)   = 240 - 5  = 235, J = 235 >> 4 = 14
    #   q = 235 + 160 - ((235 + 8) >> 4) = 395 - 15 = 380, J = 380 >> 4 = 23
    sent, received = packets([0, 10, 30, 10])
    j = interarrival_jitter_q4(sent, received, clock_rate=8000)
    assert j.running.tolist() == [0, 5, 14, 23]
    assert j.final == 23
    assert j.state == 380
    assert j.final_ms == 23 / 8  # 2.875 ms, truncated below the floating 2.971 ms
    assert j.running_ms.tolist() == [0.0, 0.625, 1.75, 2.875]
    assert "Q4" in j.convention


def test_q4_truncation_differs_from_floating_point() -> None:
    # A steady |D| of one unit: q settles at 8, where (8 + 8) >> 4 = 1 cancels each step,
    # so J = 8 >> 4 = 0; the floating-point form tends to 1 unit.
    transit_units = np.arange(200, dtype=np.int64) % 2  # 0, 1, 0, 1 …: |D| = 1 every time
    sent = np.arange(200, dtype=np.int64) * 20_000
    received = sent + transit_units * 125  # 125 µs is one unit at 8 kHz
    q4 = interarrival_jitter_q4(sent, received, clock_rate=8000)
    assert q4.state == 8
    assert q4.final == 0
    floating = interarrival_jitter(sent, received, clock_rate=8000)
    assert floating.final == pytest.approx(0.125, rel=1e-4)  # 1 unit = 0.125 ms


def test_constant_delay_gives_zero_jitter() -> None:
    sent, received = packets([42] * 50)
    assert interarrival_jitter(sent, received).final == 0.0
    assert interarrival_jitter_q4(sent, received, clock_rate=90000).final == 0
    assert ipdv(sent, received).values_us.tolist() == [0] * 49
    assert pdv(sent, received).values_us.tolist() == [0] * 50


def test_lost_packets_are_skipped() -> None:
    sent, received = packets([0, 99, 10, 30, 10])
    lost = np.array([False, True, False, False, False])
    j = interarrival_jitter(sent, received, lost=lost)
    assert j.running.tolist() == pytest.approx(HAND_FLOAT, abs=1e-12)
    assert j.index.tolist() == [0, 2, 3, 4]
    q4 = interarrival_jitter_q4(sent, received, clock_rate=8000, lost=lost)
    assert q4.running.tolist() == [0, 5, 14, 23]


def test_no_or_one_packet() -> None:
    empty = np.empty(0, dtype=np.int64)
    assert interarrival_jitter(empty, empty).final is None
    q4 = interarrival_jitter_q4(empty, empty, clock_rate=8000)
    assert q4.final is None
    assert q4.final_ms is None
    assert interarrival_jitter([BASE], [BASE + 5]).final == 0.0
    assert interarrival_jitter_q4([BASE], [BASE + 5], clock_rate=8000).final == 0


def test_arrival_order_is_the_order_given() -> None:
    # Two packets that swap on the way: the order given is the arrival order, not re-sorted.
    sent = np.array([0, 20_000, 40_000], dtype=np.int64)
    received = np.array([10_000, 65_000, 55_000], dtype=np.int64)
    # In the order given transits are 10, 45, 15 ms: |D| = 35, 30.
    j = interarrival_jitter(sent, received)
    first = 35 / 16
    assert j.running.tolist() == pytest.approx([0.0, first, first + (30 - first) / 16])


def test_timestamp_units() -> None:
    got = timestamp_units(np.array([0, 124, 125, 1_000_000, -1, BASE]), 8000)
    # floor(t * 8000 / 10^6); -1 µs is just before tick 0.
    assert got.tolist() == [0, 0, 1, 8000, -1, BASE // 125]
    with pytest.raises(ValueError, match="clock_rate"):
        timestamp_units([0], 0)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(0, 50_000), min_size=2, max_size=3000))
def test_vectorised_float_form_matches_the_recurrence(transits_us: list[int]) -> None:
    """The blocked computation gives what J += (|D| - J) / 16 gives packet by packet."""
    sent = BASE + np.arange(len(transits_us), dtype=np.int64) * 20_000
    received = sent + np.array(transits_us, dtype=np.int64)
    expected = [0.0]
    j = 0.0
    for before, after in itertools.pairwise(transits_us):
        j += (abs(after - before) / 1000 - j) / 16
        expected.append(j)
    got = interarrival_jitter(sent, received).running
    assert np.allclose(got, expected, rtol=1e-9, atol=1e-9)


# -- delays, IPDV, PDV ------------------------------------------------------------------------


def test_one_way_delays() -> None:
    sent = np.array([0, 10_000], dtype=np.int64)
    received = np.array([5_500, 9_000], dtype=np.int64)
    # The second packet "arrives before it left": clocks out of sync; kept as measured.
    assert one_way_delays(sent, received).tolist() == [5_500, -1_000]
    assert one_way_delays_ms(sent, received).tolist() == [5.5, -1.0]
    with pytest.raises(ValueError, match="differ in length"):
        one_way_delays(sent, received[:1])


def test_ipdv_by_hand() -> None:
    # Delays 5, 7, 4, 4 ms: IPDV +2, -3, 0 ms; mean |IPDV| = 5/3 ms.
    sent, received = packets([5, 7, 4, 4], spacing_ms=10)
    v = ipdv(sent, received)
    assert v.values_us.tolist() == [2_000, -3_000, 0]
    assert v.values_ms.tolist() == [2.0, -3.0, 0.0]
    assert v.mean_abs_ms == pytest.approx(5 / 3)
    # |IPDV| sorted 0, 2, 3: p50 -> k = 2 -> 2 ms; p95 -> k = 3 -> 3 ms.
    assert v.percentile_abs_ms(50) == 2.0
    assert v.percentile_abs_ms(95) == 3.0
    s = v.summary()
    assert s is not None
    assert (s.count, s.minimum, s.maximum) == (3, 0.0, 3.0)
    assert (v.first.tolist(), v.second.tolist()) == ([0, 1, 2], [1, 2, 3])


def test_ipdv_follows_sequence_and_skips_lost_and_missing_packets() -> None:
    # Given in arrival order 2, 1, 3, 5, 6 (4 never recorded); packet 6 lost.
    sequence = np.array([2, 1, 3, 5, 6])
    delays_ms = np.array([9, 5, 6, 8, 0])
    sent = BASE + sequence * 10 * MS
    received = sent + delays_ms * MS
    lost = np.array([False, False, False, False, True])
    v = ipdv(sent, received, lost=lost, sequence=sequence)
    # Pairs (1,2): 9 - 5 = +4; (2,3): 6 - 9 = -3; (3,5) not consecutive; (5,6) has a loss.
    assert v.values_ms.tolist() == [4.0, -3.0]
    assert v.first.tolist() == [1, 0]
    assert v.second.tolist() == [0, 2]
    # Without sequence numbers the packets are ordered by send time: 1 2 3 5 6, all neighbours.
    by_time = ipdv(sent, received, lost=lost)
    assert by_time.values_ms.tolist() == [4.0, -3.0, 2.0]
    assert ipdv([], []).mean_abs_ms is None
    assert len(ipdv([BASE], [BASE])) == 0


def test_pdv_by_hand() -> None:
    # Delays 5, 7, 4, 4 ms (and a lost packet): min 4 ms, PDV 1, 3, 0, 0 ms.
    sent, received = packets([5, 7, 1, 4, 4], spacing_ms=10)
    lost = np.array([False, False, True, False, False])
    p = pdv(sent, received, lost=lost)
    assert p.min_delay_us == 4_000
    assert p.values_ms.tolist() == [1.0, 3.0, 0.0, 0.0]
    assert p.index.tolist() == [0, 1, 3, 4]
    # Sorted 0, 0, 1, 3: p50 -> k = 2 -> 0; p95 -> k = 4 -> 3 ms.
    assert p.percentile_ms(50) == 0.0
    assert p.percentile_ms(95) == 3.0
    s = p.summary()
    assert s is not None
    assert s.mean == 1.0
    none = pdv(sent, received, lost=np.ones(5, dtype=bool))
    assert none.min_delay_us is None
    assert len(none) == 0


def test_packet_columns_from_measurements() -> None:
    t0 = datetime(2024, 4, 2, 10, 0, tzinfo=UTC)

    def packet(i: int, delay_us: int, sequence: int | None) -> Measurement:
        sent = t0 + timedelta(milliseconds=20 * i)
        return Measurement(
            series="rtp",
            at=sent,
            sent_at=sent,
            received_at=sent + timedelta(microseconds=delay_us),
            sequence=sequence,
        )

    ms = [packet(0, 0, 1), packet(1, 10_000, 2), packet(2, 30_000, 3), packet(3, 10_000, 4)]
    c = packet_columns(ms)
    assert len(c) == 4
    assert c.sent[0] == to_us(t0)
    assert c.sequence is not None
    assert c.sequence.tolist() == [1, 2, 3, 4]
    assert not c.lost.any()
    j = interarrival_jitter(c.sent, c.received, c.lost)
    assert j.final == pytest.approx(2.97119140625)
    assert packet_columns([*ms[:3], packet(3, 10_000, None)]).sequence is None
    with pytest.raises(ValueError, match="measurement 0 of lat"):
        packet_columns([Measurement(series="lat", at=t0, value=1)])
