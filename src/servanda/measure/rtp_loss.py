"""Packet loss from RTP sequence numbers, as an RFC 3550 receiver counts it (appendix A.1 and
A.3), over the packets of one stream in arrival order.

**Sequence numbers** are 16-bit and wrap at 65 536. Each packet's *extended* sequence number
counts the wraps: it is the highest extended number so far plus the difference of the two read
as a signed 16-bit number (as A.1 reads a packet against ``max_seq``), so a wrap (65 535 → 0)
and a late packet (7 after 9) both read right.

**A source is valid**, and a count starts, only after two packets in sequence (A.1's
``MIN_SEQUENTIAL = 2``): the first of them is not counted and the count's base is the second.
Against the highest extended number so far, a packet ``delta`` ahead is in order (a gap is
loss) when ``0 < delta < MAX_DROPOUT`` (3 000), a duplicate or late one when
``−MAX_MISORDER < delta ≤ 0`` (100; still counted as received, as A.1 does); anything further is
a **jump**: a stray packet, dropped and not counted — unless its number follows the previous
jump's, when the sender restarted (A.1's re-synchronisation on ``bad_seq``): a new count starts
at it, the earlier jump staying uncounted.

**Loss** (A.3) of one count: expected = highest extended − base + 1; lost = expected −
received, negative when duplicates outnumber losses. Over a stream, the counts between
restarts are added. Per packet, the running expected and received are given too, so the
fraction lost over any stretch (RTCP's interval ``fraction lost``) is a difference of two
entries.

Vectorised: the unwrapping is one cumulative sum, the running highest number one
``np.maximum.accumulate`` per count; only restarts (rare) split the stream.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Final

import numpy as np
import numpy.typing as npt

SEQ_MOD: Final = 1 << 16
MAX_DROPOUT: Final = 3000
MAX_MISORDER: Final = 100

I64 = npt.NDArray[np.int64]
Bool = npt.NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class RtpLoss:
    """What a receiver counts of one stream."""

    expected: int
    """Packets the sender sent, by the sequence numbers (A.3's ``expected``), summed over the
    counts between restarts."""
    received: int
    """Packets counted as received (duplicates and late ones included)."""
    counts: int
    """Counts: 1, plus one per restart."""
    uncounted: int
    """Packets not counted: the first of each count's two opening packets, and stray jumps."""
    expected_so_far: I64
    """Per packet, in arrival order: expected up to and including it (0 before a count starts)."""
    received_so_far: I64
    """Per packet: received up to and including it."""

    @property
    def lost(self) -> int:
        """expected − received (negative when duplicates outnumber losses)."""
        return self.expected - self.received

    @property
    def ratio(self) -> Fraction | None:
        """lost / expected, exactly (None when nothing was expected); never below 0."""
        if self.expected <= 0:
            return None
        return Fraction(max(self.lost, 0), self.expected)


def _signed(delta: I64) -> I64:
    """A difference of 16-bit sequence numbers read as a signed 16-bit number."""
    out: I64 = ((delta + SEQ_MOD // 2) % SEQ_MOD) - SEQ_MOD // 2
    return out


def rtp_loss(sequence: Any) -> RtpLoss:
    """The RFC 3550 loss of one stream from its packets' sequence numbers (0–65 535) in
    arrival order (see the module documentation)."""
    seq = np.asarray(sequence, dtype=np.int64)
    if seq.ndim != 1:
        raise ValueError("sequence numbers must be one-dimensional")
    if seq.size and (int(seq.min()) < 0 or int(seq.max()) >= SEQ_MOD):
        raise ValueError("RTP sequence numbers lie in 0..65535")
    n = int(seq.size)
    counted = np.zeros(n, dtype=bool)
    expected_so_far = np.zeros(n, dtype=np.int64)
    expected_total, received_total, counts = 0, 0, 0
    start = _opening(seq, 0)
    while start is not None:
        counts += 1
        stop, restart = _count(seq, start, counted, expected_so_far, expected_total)
        expected_total = int(expected_so_far[stop - 1])
        received_total = int(counted[:stop].sum())
        start = restart
    received_so_far = np.cumsum(counted).astype(np.int64)
    # Before the first count, and on uncounted packets, the running figures carry forward.
    expected_so_far = np.maximum.accumulate(expected_so_far) if n else expected_so_far
    return RtpLoss(
        expected=expected_total,
        received=received_total,
        counts=counts,
        uncounted=n - int(counted.sum()),
        expected_so_far=expected_so_far,
        received_so_far=received_so_far,
    )


def _opening(seq: I64, start: int) -> int | None:
    """The index of the second packet of the first pair in sequence at or after ``start``
    (the packet a count starts at), or None."""
    if seq.size - start < 2:
        return None
    tail = seq[start:]
    pairs = np.flatnonzero((tail[1:] - tail[:-1]) % SEQ_MOD == 1)
    return None if pairs.size == 0 else start + int(pairs[0]) + 1


def _count(
    seq: I64, start: int, counted: Bool, expected_so_far: I64, before: int
) -> tuple[int, int | None]:
    """One count from ``start`` (its base): marks its counted packets and running expected
    (plus ``before``, what earlier counts expected); returns where it stops and where the next
    count starts (None: the stream ends within it)."""
    tail = seq[start:]
    ext = seq[start] + np.concatenate(([0], np.cumsum(_signed(np.diff(tail)))))
    jump = np.zeros(ext.size, dtype=bool)
    floor = np.iinfo(np.int64).min
    # Each packet is read against the highest number so far of the packets kept (as A.1 reads
    # it against max_seq), and strays must not raise that number: settle both together.
    for _ in range(32):
        kept = np.where(jump, floor, ext)
        high_before = np.maximum.accumulate(np.concatenate(([ext[0] - 1], kept[:-1])))
        delta = _signed(tail - high_before)
        found = (delta >= MAX_DROPOUT) | (delta <= -MAX_MISORDER)
        moved = high_before + delta
        if np.array_equal(found, jump) and np.array_equal(moved, ext):
            break
        jump, ext = found, moved
    jumps = np.flatnonzero(jump)
    # A jump whose number follows the previous jump's restarts the count (A.1's bad_seq: the
    # sender restarted); other jumps are strays.
    restart_at = None
    previous = None
    for j in jumps.tolist():
        if previous is not None and (tail[j] - tail[previous]) % SEQ_MOD == 1:
            restart_at = start + j
            break
        previous = j
    stop = seq.size if restart_at is None else restart_at
    size = stop - start
    keep = ~jump[:size]
    # The highest extended number reached only through kept packets.
    reached = np.where(keep, ext[:size], np.iinfo(np.int64).min)
    high = np.maximum.accumulate(reached)
    counted[start:stop] = keep
    expected_so_far[start:stop] = before + (high - ext[0] + 1)
    return stop, restart_at
