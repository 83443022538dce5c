"""Packet loss from RTP sequence numbers (RFC 3550 A.1 and A.3): hand-made streams, and the
vectorised count against a packet-by-packet transcription of A.1's ``update_seq``."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from servanda.measure.rtp_loss import MAX_DROPOUT, MAX_MISORDER, SEQ_MOD, rtp_loss


class Reference:
    """RFC 3550 appendix A.1, packet by packet (MIN_SEQUENTIAL = 2), with the counts before a
    re-synchronisation kept and added (A.3 per count)."""

    def __init__(self) -> None:
        self.max_seq = -1
        self.cycles = 0
        self.base_seq = 0
        self.bad_seq = SEQ_MOD + 1
        self.probation = 2
        self.received = 0
        self.done_expected = 0
        self.done_received = 0
        self.started = False

    def init_seq(self, seq: int) -> None:
        if self.started:  # the count before a re-synchronisation is kept
            self.done_expected += self.cycles + self.max_seq - self.base_seq + 1
            self.done_received += self.received
        self.started = True
        self.base_seq = seq
        self.max_seq = seq
        self.bad_seq = SEQ_MOD + 1
        self.cycles = 0
        self.received = 0

    def update(self, seq: int) -> None:
        udelta = (seq - self.max_seq) % SEQ_MOD
        if self.probation:
            if self.max_seq >= 0 and seq == (self.max_seq + 1) % SEQ_MOD:
                self.probation -= 1
                self.max_seq = seq
                if self.probation == 0:
                    self.init_seq(seq)
                    self.received += 1
                return
            self.probation = 1  # this packet is the first of a new pair
            self.max_seq = seq
            return
        if udelta < MAX_DROPOUT:
            if seq < self.max_seq:
                self.cycles += SEQ_MOD
            self.max_seq = seq
        elif udelta <= SEQ_MOD - MAX_MISORDER:
            if seq == self.bad_seq:
                self.init_seq(seq)
            else:
                self.bad_seq = (seq + 1) % SEQ_MOD
                return
        self.received += 1

    def totals(self) -> tuple[int, int]:
        if not self.started:
            return 0, 0
        expected = self.cycles + self.max_seq - self.base_seq + 1
        return self.done_expected + expected, self.done_received + self.received


def reference(seqs: list[int]) -> tuple[int, int]:
    r = Reference()
    for s in seqs:
        r.update(s)
    return r.totals()


def test_a_clean_stream_and_a_gap() -> None:
    clean = rtp_loss(list(range(100, 200)))
    assert (clean.expected, clean.received, clean.lost) == (99, 99, 0)  # the first opens it
    gap = rtp_loss([*range(100, 150), *range(155, 200)])
    assert (gap.expected, gap.received, gap.lost) == (99, 94, 5)
    assert gap.ratio == Fraction(5, 99)


def test_wrap_around_reordering_and_duplicates() -> None:
    wrapped = rtp_loss([65530, 65531, 65532, 65534, 65535, 0, 1, 3])
    assert (wrapped.expected, wrapped.received, wrapped.lost) == (9, 7, 2)  # 65533 and 2 lost
    assert wrapped.expected == 3 - 65531 + SEQ_MOD + 1
    late = rtp_loss([10, 11, 13, 12, 14])
    assert (late.expected, late.received, late.lost) == (4, 4, 0)  # 12 came late, not lost
    dup = rtp_loss([10, 11, 12, 12, 13])
    assert (dup.expected, dup.received, dup.lost) == (3, 4, -1)  # A.3: negative loss
    assert dup.ratio == 0


def test_a_restart_and_a_stray_packet() -> None:
    """A sender that restarts at 40 000 (two packets in sequence there) starts a new count;
    one stray packet far ahead is dropped and counts as nothing."""
    restart = rtp_loss([1, 2, 3, 5, 40_000, 40_001, 40_002, 40_004])
    assert (restart.counts, restart.expected, restart.received) == (2, 4 + 4, 3 + 3)
    stray = rtp_loss([1, 2, 3, 9_000, 4, 5])
    assert (stray.counts, stray.expected, stray.received, stray.uncounted) == (1, 4, 4, 2)


@pytest.mark.parametrize(
    ("seqs", "expected", "received"),
    [
        # A packet 98 behind the highest is late, not a jump, whatever came between.
        ([0, 1, 3001, 6001, 9001, 25438, 45438, 65438], 1, 2),
        # Its successor reads as late: counted as late, no restart.
        ([0, 1, 65435, 65437, 65438], 1, 2),
        # The restart is confirmed by the successor of the last jump, across a late packet.
        ([0, 1, 65434, 65436, 65438, 65437], 2, 3),
    ],
)
def test_what_random_streams_found(seqs: list[int], expected: int, received: int) -> None:
    found = rtp_loss(seqs)
    assert (found.expected, found.received) == (expected, received) == reference(seqs)


def test_running_figures_give_the_loss_of_any_stretch() -> None:
    found = rtp_loss([*range(0, 10), *range(12, 20)])
    assert found.expected_so_far[-1] == found.expected
    assert found.received_so_far[-1] == found.received
    # RTCP's interval: expected and received between packet 5 and the last
    expected = int(found.expected_so_far[-1] - found.expected_so_far[5])
    received = int(found.received_so_far[-1] - found.received_so_far[5])
    assert (expected, received) == (14, 12)


steps = st.one_of(
    st.integers(1, 3),  # in order, small gaps
    st.integers(-5, 0),  # late or duplicate
    st.integers(MAX_DROPOUT, 20_000),  # jumps
    st.integers(-(MAX_MISORDER + 50), -MAX_MISORDER + 10),  # around the misorder bound
)


@settings(max_examples=300, deadline=None)
@given(st.integers(0, SEQ_MOD - 1), st.lists(steps, max_size=200))
def test_the_vectorised_count_is_rfc_3550s(first: int, moves: list[int]) -> None:
    seqs = [first]
    for m in moves:
        seqs.append((seqs[-1] + m) % SEQ_MOD)
    found = rtp_loss(seqs)
    assert (found.expected, found.received) == reference(seqs), seqs


CONFIG = """\
parties:
  - {id: isp, name: ISP, roles: [provider]}
  - {id: acme, name: ACME, roles: [customer]}
services:
  - {id: voice, name: Voice, provider: isp}
subscriptions:
  - {customer: acme, service: voice}
series:
  - {id: acme-rtp, kind: packets, node: voice, customer: acme}
agreements:
  - id: acme-voice
    level: service
    provider: isp
    customer: acme
    service: voice
    effective_from: 2024-01-01
    objectives:
      - {metric: packet_loss, target: 1%, series: acme-rtp}
"""


def test_a_packet_loss_objective_reads_a_packets_series_sequence_numbers(tmp_path: Path) -> None:
    """100 packets sent 20 ms apart with sequence numbers wrapping past 65 535; 3 never
    arrive and two arrive out of order: 3 lost of 99 expected (the first opens the count)."""
    from datetime import UTC, date, datetime, timedelta
    from decimal import Decimal

    from servanda.agreements.effective import effective_agreement
    from servanda.config.loader import load_config
    from servanda.measure.inputs import Measurement
    from servanda.measure.objectives import Evidence, Window, measure_objective
    from servanda.measure.results import Verdict

    path = tmp_path / "voice.yaml"
    path.write_text(CONFIG, encoding="utf-8")
    loaded = load_config([path])
    assert [str(p) for p in loaded.problems] == []
    t0 = datetime(2024, 4, 2, 10, tzinfo=UTC)
    packets = []
    for k in range(100):
        if k in (20, 21, 70):
            continue  # lost
        sent = t0 + timedelta(milliseconds=20 * k)
        late = timedelta(milliseconds=50) if k == 40 else timedelta(milliseconds=5)
        number = (65_500 + k) % 65_536
        packets.append(Measurement(series="acme-rtp", at=sent + late, sent_at=sent,
                                   received_at=sent + late, sequence=number))  # fmt: skip
    evidence = Evidence(measurements={"acme-rtp": tuple(packets)})
    eff = effective_agreement(loaded.bundle.agreements, "isp", "acme", "voice", date(2024, 4, 2))
    (objective,) = (o.value for o in eff.objectives)
    end = t0 + timedelta(seconds=5)
    window = Window(loaded.bundle, eff, "acme", "voice", t0, end, end, (), evidence)
    r = measure_objective(objective, window)
    assert (r.numerator, r.denominator) == (Decimal(3), Decimal(99))
    assert r.verdict is Verdict.BREACHED  # 3.03 % > 1 %
    assert dict(r.figures)["received"] == "96"
