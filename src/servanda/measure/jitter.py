"""Delay variation from per-packet send and receive times: RFC 3550 interarrival jitter, RFC 3393
IPDV and RFC 5481 PDV (ITU-T Y.1540 2-point IPDV), and the one-way delays they start from.

Inputs are NumPy columns, one entry per packet: ``sent`` and ``received`` as ``int64``
microseconds since the Unix epoch (UTC), an optional ``lost`` mask (True where the packet never
arrived; its ``received`` entry is then ignored) and, for IPDV, optional sequence numbers.
:func:`packet_columns` builds them from :class:`~servanda.measure.inputs.Measurement` records.

Which figure each function reports:

* :func:`interarrival_jitter` — RFC 3550's estimator in **floating point**, in **milliseconds**
  (the default). Transit times are taken in exact microseconds, or in integer RTP timestamp
  units when a ``clock_rate`` is given.
* :func:`interarrival_jitter_q4` — the same estimator in the **Q4 fixed point** RTP stacks use,
  in **integer timestamp units** of a ``clock_rate`` (``final_ms`` converts back). The two forms
  differ (the fixed point truncates); a report says which one it shows.
* :func:`ipdv` — RFC 3393 delay differences of consecutive packets, signed, in µs (``ms``
  properties convert).
* :func:`pdv` — RFC 5481 PDV: each delay minus the minimum delay of the packets given.

One-way delays need synchronised clocks; a delay that comes out negative (the receiver's clock
behind the sender's) is kept as it is. Jitter, IPDV and PDV do not depend on a constant clock
offset.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from servanda.core.intervals import to_us
from servanda.measure.inputs import Measurement
from servanda.measure.series import (
    Number,
    PercentileMethod,
    Summary,
    percentile,
    summary,
)

__all__ = [
    "InterarrivalJitter",
    "InterarrivalJitterQ4",
    "Ipdv",
    "PacketColumns",
    "Pdv",
    "interarrival_jitter",
    "interarrival_jitter_q4",
    "ipdv",
    "one_way_delays",
    "one_way_delays_ms",
    "packet_columns",
    "pdv",
    "timestamp_units",
]

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
Bool = npt.NDArray[np.bool_]

US_PER_SECOND = 1_000_000
_GAIN = 1.0 / 16.0
_DECAY = 15.0 / 16.0
_BLOCK = 1024
"""Packets per block of the vectorised floating-point recurrence; (16/15)^1024 ≈ 5·10²⁸ stays
far from overflow."""


# -- columns --------------------------------------------------------------------------------------


def _ints(values: Any, name: str) -> I64:
    array = np.asarray(values)
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {array.shape}")
    if array.size and not np.issubdtype(array.dtype, np.integer):
        raise ValueError(f"{name} must be integer microseconds, got dtype {array.dtype}")
    return array.astype(np.int64, copy=False)


def _packets(sent: Any, received: Any, lost: Any) -> tuple[I64, I64, Bool]:
    s, r = _ints(sent, "sent"), _ints(received, "received")
    if s.shape != r.shape:
        raise ValueError(f"sent and received differ in length: {s.size} != {r.size}")
    if lost is None:
        gone = np.zeros(s.shape, dtype=bool)
    else:
        gone = np.asarray(lost, dtype=bool)
        if gone.shape != s.shape:
            raise ValueError(f"lost has {gone.size} entries for {s.size} packets")
    return s, r, gone


@dataclass(frozen=True, slots=True)
class PacketColumns:
    """Per-packet columns of a ``packets`` (or ``one_way_delay``) series."""

    sent: I64
    """When each packet left, µs UTC."""
    received: I64
    """When it arrived, µs UTC (ignored where ``lost``)."""
    lost: Bool
    """True where the packet never arrived."""
    sequence: I64 | None
    """Sequence numbers, when every packet has one."""

    def __len__(self) -> int:
        return int(self.sent.size)


def packet_columns(measurements: Sequence[Measurement]) -> PacketColumns:
    """Columns of ``measurements`` in the order given (taken as arrival order by the RFC 3550
    functions); each must carry ``sent_at`` and ``received_at``, else :class:`ValueError` names
    the first one without. A measurement records an arrived packet, so ``lost`` is all False;
    ``sequence`` is None unless every measurement has one."""
    sent: list[int] = []
    received: list[int] = []
    sequence: list[int | None] = []
    for i, m in enumerate(measurements):
        if m.sent_at is None or m.received_at is None:
            raise ValueError(f"measurement {i} of {m.series} has no sent_at and received_at")
        sent.append(to_us(m.sent_at))
        received.append(to_us(m.received_at))
        sequence.append(m.sequence)
    numbered = all(n is not None for n in sequence)
    return PacketColumns(
        sent=np.array(sent, dtype=np.int64),
        received=np.array(received, dtype=np.int64),
        lost=np.zeros(len(sent), dtype=bool),
        sequence=np.array(sequence, dtype=np.int64) if numbered else None,
    )


def one_way_delays(sent: Any, received: Any) -> I64:
    """One-way delay of each packet, ``received − sent``, in µs (exact integers)."""
    s, r, _ = _packets(sent, received, None)
    out: I64 = r - s
    return out


def one_way_delays_ms(sent: Any, received: Any) -> F64:
    """One-way delay of each packet, ``(received − sent) / 1000``, in milliseconds."""
    return one_way_delays(sent, received) / 1000.0


def timestamp_units(instants: Any, clock_rate: int) -> I64:
    """Instants (µs since the epoch) as RTP timestamp units of a ``clock_rate`` Hz clock
    started at the epoch: ⌊t·rate / 10⁶⌋, computed without overflow (whole seconds and the
    microsecond remainder apart)."""
    if isinstance(clock_rate, bool) or int(clock_rate) != clock_rate or clock_rate <= 0:
        raise ValueError(f"clock_rate must be a positive whole number of Hz, got {clock_rate}")
    t = _ints(instants, "instants")
    seconds, micros = np.divmod(t, US_PER_SECOND)
    out: I64 = seconds * int(clock_rate) + (micros * int(clock_rate)) // US_PER_SECOND
    return out


# -- RFC 3550 -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class InterarrivalJitter:
    """RFC 3550 interarrival jitter in floating point, in milliseconds."""

    final: float | None
    """J after the last packet received, ms; None when no packet arrived (0.0 after one)."""
    running: F64
    """J after each packet received, ms, in arrival order (the first is 0.0)."""
    index: I64
    """The input position of each packet received (``running[i]`` is after packet
    ``index[i]``)."""
    clock_rate: int | None
    """The RTP clock the transit times were quantised to, or None for exact microseconds."""

    convention = "RFC 3550 interarrival jitter, floating point, ms"


def _decayed_mean(d: F64) -> F64:
    """J₀ = 0, Jᵢ = Jᵢ₋₁ + (dᵢ − Jᵢ₋₁)/16 for the entries of ``d``, vectorised by blocks.

    Within a block of m entries following a carried J_c:
    J_k = a^{k+1}·(J_c + Σ_{j≤k} a^{−(j+1)}·d_j / 16), a = 15/16.
    """
    out = np.empty(d.size, dtype=np.float64)
    carry = 0.0
    for begin in range(0, d.size, _BLOCK):
        block = d[begin : begin + _BLOCK]
        powers = _DECAY ** np.arange(1, block.size + 1, dtype=np.float64)
        values = powers * (carry + np.cumsum(block / powers) * _GAIN)
        out[begin : begin + block.size] = values
        carry = float(values[-1])
    return out


def interarrival_jitter(
    sent: Any, received: Any, lost: Any = None, clock_rate: int | None = None
) -> InterarrivalJitter:
    """RFC 3550 (§6.4.1, A.8) interarrival jitter, **floating point**, reported in **ms**.

    Packets are taken in the order given, which is their **arrival order** (RFC 3550 updates
    the estimate as each packet arrives; nothing is re-sorted). A ``lost`` packet is skipped.
    For the received packets: transit Tᵢ = Rᵢ − Sᵢ, Dᵢ = Tᵢ − Tᵢ₋₁, and
    J ← J + (|Dᵢ| − J)/16 from J = 0 at the first packet.

    Without ``clock_rate`` the transit times are exact microseconds. With it (Hz, e.g. 8000 for
    G.711 audio, 90000 for video) both instants are first cut to integer timestamp units
    (:func:`timestamp_units`), as an RTP receiver sees them, and J is converted back to ms as
    J·1000/rate.
    """
    s, r, gone = _packets(sent, received, lost)
    index = np.flatnonzero(~gone).astype(np.int64)
    if clock_rate is None:
        transit = (r[index] - s[index]).astype(np.float64)
        to_ms = 1e-3
    else:
        transit = (
            timestamp_units(r[index], clock_rate) - timestamp_units(s[index], clock_rate)
        ).astype(np.float64)
        to_ms = 1000.0 / clock_rate
    running = np.zeros(index.size, dtype=np.float64)
    if index.size > 1:
        running[1:] = _decayed_mean(np.abs(np.diff(transit)))
    running *= to_ms
    final = float(running[-1]) if running.size else None
    return InterarrivalJitter(final=final, running=running, index=index, clock_rate=clock_rate)


@dataclass(frozen=True, slots=True)
class InterarrivalJitterQ4:
    """RFC 3550 interarrival jitter in Q4 fixed point, in integer timestamp units."""

    clock_rate: int
    """The RTP clock, Hz: one timestamp unit is 1/clock_rate s."""
    final: int | None
    """J = q >> 4 after the last packet received, timestamp units (what an RTCP receiver
    report carries); None when no packet arrived."""
    state: int
    """The Q4 accumulator q after the last packet (16 × J plus four fractional bits)."""
    running: I64
    """J after each packet received, timestamp units, in arrival order (the first is 0)."""
    index: I64
    """The input position of each packet received."""

    convention = "RFC 3550 interarrival jitter, Q4 fixed point, timestamp units"

    @property
    def final_ms(self) -> float | None:
        """``final`` in milliseconds: J·1000 / clock_rate."""
        return None if self.final is None else self.final * 1000.0 / self.clock_rate

    @property
    def running_ms(self) -> F64:
        """``running`` in milliseconds."""
        out: F64 = self.running.astype(np.float64) * (1000.0 / self.clock_rate)
        return out


def interarrival_jitter_q4(
    sent: Any, received: Any, clock_rate: int, lost: Any = None
) -> InterarrivalJitterQ4:
    """RFC 3550 (A.8) interarrival jitter in the **Q4 fixed point** of RTP stacks, reported in
    **integer timestamp units** of ``clock_rate`` Hz.

    Packets in the order given (arrival order), ``lost`` ones skipped, as for
    :func:`interarrival_jitter`. Instants are cut to timestamp units (:func:`timestamp_units`);
    Tᵢ = Rᵢ − Sᵢ, Dᵢ = Tᵢ − Tᵢ₋₁; from q = 0, ``q += |Dᵢ| − ((q + 8) >> 4)`` and J = q >> 4.
    The truncation makes J differ from the floating-point form (a steady |D| = 1 unit gives
    J = 0 here, not 1). The recurrence is sequential and integer: it runs as a plain loop over
    the packets (about 0.2 s per million).
    """
    s, r, gone = _packets(sent, received, lost)
    index = np.flatnonzero(~gone).astype(np.int64)
    transit = timestamp_units(r[index], clock_rate) - timestamp_units(s[index], clock_rate)
    q = 0
    out = [0] if index.size else []
    for d in np.abs(np.diff(transit)).tolist():
        q += d - ((q + 8) >> 4)
        out.append(q >> 4)
    return InterarrivalJitterQ4(
        clock_rate=int(clock_rate),
        final=out[-1] if out else None,
        state=q,
        running=np.array(out, dtype=np.int64),
        index=index,
    )


# -- IPDV and PDV ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Ipdv:
    """RFC 3393 IPDV of consecutive packet pairs."""

    values_us: I64
    """D(second) − D(first) for each pair, µs, signed (positive: the later packet was slower)."""
    first: I64
    """Input position of the earlier packet of each pair."""
    second: I64
    """Input position of the later packet of each pair."""

    convention = "RFC 3393 IPDV, consecutive packets"

    def __len__(self) -> int:
        return int(self.values_us.size)

    @property
    def values_ms(self) -> F64:
        """The IPDV values in milliseconds, signed."""
        return self.values_us / 1000.0

    @property
    def abs_ms(self) -> F64:
        """|IPDV| in milliseconds."""
        return np.abs(self.values_us) / 1000.0

    @property
    def mean_abs_ms(self) -> float | None:
        """Mean |IPDV| in milliseconds; None without pairs."""
        return float(np.mean(self.abs_ms)) if len(self) else None

    def percentile_abs_ms(
        self, q: Number, method: PercentileMethod = PercentileMethod.NEAREST_RANK
    ) -> float | None:
        """The ``q``-th percentile of |IPDV| in ms (:func:`~servanda.measure.series.percentile`,
        nearest rank by default); None without pairs."""
        return percentile(self.abs_ms, q, method)

    def summary(self) -> Summary | None:
        """Count, min, mean, max and nearest-rank p50/p95/p99 of |IPDV| in ms; None without
        pairs."""
        return summary(self.abs_ms)


def ipdv(sent: Any, received: Any, lost: Any = None, sequence: Any = None) -> Ipdv:
    """RFC 3393 IP packet delay variation of consecutive packets: for each pair, the one-way
    delay of the later packet minus that of the earlier, in µs (signed).

    Packets are put in sending order: by ``sequence`` when given, else by ``sent`` (stable for
    ties). A pair is the two neighbours in that order, both received; with ``sequence`` their
    numbers must also differ by exactly 1 (a gap means a packet missing from the data, so the
    neighbours are not consecutive; numbers are taken as given, without wrap-around). A pair
    with a lost packet has no IPDV (RFC 3393 calls it undefined).
    """
    s, r, gone = _packets(sent, received, lost)
    if sequence is None:
        order = np.argsort(s, kind="stable")
        consecutive = np.ones(max(s.size - 1, 0), dtype=bool)
    else:
        seq = _ints(sequence, "sequence")
        if seq.shape != s.shape:
            raise ValueError(f"sequence has {seq.size} entries for {s.size} packets")
        order = np.argsort(seq, kind="stable")
        consecutive = np.diff(seq[order]) == 1
    delays = (r - s)[order]
    arrived = ~gone[order]
    pair = consecutive & arrived[:-1] & arrived[1:] if s.size else consecutive
    at = np.flatnonzero(pair)
    return Ipdv(
        values_us=(delays[at + 1] - delays[at]).astype(np.int64),
        first=order[at].astype(np.int64),
        second=order[at + 1].astype(np.int64),
    )


@dataclass(frozen=True, slots=True)
class Pdv:
    """RFC 5481 packet delay variation (ITU-T Y.1540 2-point IPDV) over one interval."""

    values_us: I64
    """Each received packet's delay minus ``min_delay_us``, µs (≥ 0), in input order."""
    min_delay_us: int | None
    """The smallest one-way delay of the interval, µs; None when no packet arrived."""
    index: I64
    """Input position of each received packet."""

    convention = "RFC 5481 PDV: delay minus the minimum delay of the interval"

    def __len__(self) -> int:
        return int(self.values_us.size)

    @property
    def values_ms(self) -> F64:
        """PDV in milliseconds."""
        return self.values_us / 1000.0

    def percentile_ms(
        self, q: Number, method: PercentileMethod = PercentileMethod.NEAREST_RANK
    ) -> float | None:
        """The ``q``-th percentile of PDV in ms (nearest rank by default; RFC 5481 reports e.g.
        the 99.9th); None when no packet arrived."""
        return percentile(self.values_ms, q, method)

    def summary(self) -> Summary | None:
        """Count, min, mean, max and nearest-rank p50/p95/p99 of PDV in ms."""
        return summary(self.values_ms)


def pdv(sent: Any, received: Any, lost: Any = None) -> Pdv:
    """RFC 5481 PDV: each received packet's one-way delay minus the minimum one-way delay of
    the packets given (the caller chooses the interval, e.g. with
    :func:`~servanda.measure.series.within` on ``sent``). Lost packets are left out; they
    neither count nor set the minimum."""
    s, r, gone = _packets(sent, received, lost)
    index = np.flatnonzero(~gone).astype(np.int64)
    delays = r[index] - s[index]
    if delays.size == 0:
        return Pdv(values_us=delays.astype(np.int64), min_delay_us=None, index=index)
    low = int(delays.min())
    return Pdv(values_us=(delays - low).astype(np.int64), min_delay_us=low, index=index)
