"""The rating kernel: whole columns of usage priced by one compiled tariff version at once.

For each record (its start in UTC microseconds, its destination group and its quantities):

1. the band at its start on the tariff's local clock (holidays from its calendar) and the
   rate of its destination group in that band; none: the record is not rated, with a reason;
2. the record is cut into *parts* where the band changes (records measured in time only),
   where the zone's offset changes, at local midnight when holidays may begin or end, and
   where the rate's next slot begins (by elapsed quantity from the record's start);
   consecutive parts with the same rate and slot are joined again, so a cut changes nothing
   unless the price does;
3. each part is charged in whole increments of its slot (each begun is charged): its cost is
   ``increments × increment × price / unit``, or, when the tariff rounds each increment,
   ``increments × round(increment × price / unit)``, kept exact as a numerator over L·10^P
   (:mod:`.compiled`);
4. the record's cost is the connect fee of its first part's rate plus its parts, raised to the
   rate's minimum (a record of no quantity pays neither: it costs nothing) and capped at its
   maximum (``free`` beyond, or ``disconnect``: flagged),
   then rounded once by the tariff's record rounding.

The loop of step 2 runs over the records still being cut, so a batch where few records cross a
boundary costs about one pass. Nothing here is a binary float; everything is int64 arithmetic;
a record whose quantity would not fit (:func:`headroom`: a petabyte or 31,000 years at least
for real prices) is not rated, with its reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

import numpy as np
import numpy.typing as npt

from servanda.accounting.rating.compiled import I32, I64, NO_MAX, CompiledTariff
from servanda.calendars.localtime import US_PER_DAY, US_PER_MINUTE, utc_to_wall
from servanda.core.money import RoundingMethod

US_PER_MS: Final = 1000
_THURSDAY: Final = 3
"""1970-01-01 was a Thursday (Monday = 0)."""

NOT_RATED_NO_RATE: Final = 1
"""No rate prices the record's destination in the band at its start."""
NOT_RATED_TOO_LARGE: Final = 2
"""The record's quantity is beyond what the kernel computes exactly."""

MAX_QUANTITY: Final = 10**15
"""The most a record may count (ms, octets or units): 31,000 years, or a petabyte."""


@dataclass(frozen=True, slots=True)
class Parts:
    """The parts of the rated records, grouped by record and in order within each."""

    record: I64
    """Index of the record in the batch."""
    band: I32
    rate: I32
    slot: I32
    quantity: I64
    """Elapsed quantity of the part (kernel units)."""
    increments: I64
    """Increments charged."""
    cost: I64
    """Numerator over L·10^P."""


@dataclass(frozen=True, slots=True)
class Rated:
    """What the kernel found for a batch."""

    cost: I64
    """Each record's cost in 10^−D of the currency (0 when not rated)."""
    not_rated: npt.NDArray[np.int8]
    """0 when rated, else the reason code."""
    band: I32
    """Band at the start (−1: none)."""
    rate: I32
    """Rate of the first part (−1: none)."""
    connect_fee: I64
    """Numerator over L·10^P."""
    adjustment: I64
    """Numerator over L·10^P added by the minimum (>0) or removed by the maximum (<0)."""
    exact: I64
    """The cost before rounding, as a numerator over L·10^P."""
    disconnected: npt.NDArray[np.bool_]
    """The maximum cost was reached on a rate that disconnects."""
    parts: Parts


def headroom(tariff: CompiledTariff) -> int:
    """The largest quantity one record may have for the kernel to stay within int64, with
    room to show its parts at finer decimals (a thousand times)."""
    per_unit = int(max(tariff.slot_cost.max(), 1))
    fees = int(tariff.connect_fee.max() + tariff.min_cost.max()) * tariff.lcm
    increments = int(tariff.slot_increment.min())
    room = (2**52 - fees) // per_unit * increments
    return int(min(room, MAX_QUANTITY))


def _round(numerator: I64, denominator: int, method: RoundingMethod) -> I64:
    """Non-negative ``numerator / denominator`` rounded to an integer by ``method``."""
    q, r = np.divmod(numerator, denominator)
    if method is RoundingMethod.DOWN:
        return q
    if method is RoundingMethod.UP:
        out: I64 = q + (r > 0)
        return out
    twice = 2 * r
    if method is RoundingMethod.HALF_UP:
        out = q + (twice >= denominator)
        return out
    out = q + ((twice > denominator) | ((twice == denominator) & (q % 2 == 1)))
    return out


def round_ratio(numerator: I64, denominator: int) -> I64:
    """``numerator / denominator`` to the nearest integer, halves to even (for showing a part
    at the price scale; the record's cost is rounded by the tariff's rule)."""
    sign = np.where(numerator < 0, -1, 1)
    return sign * _round(np.abs(numerator), denominator, RoundingMethod.HALF_EVEN)


def _year(us: int) -> int:
    return datetime.fromtimestamp(us / 1e6, UTC).year


def rate(
    tariff: CompiledTariff,
    start_us: I64,
    group: I32,
    quantities: tuple[I64, I64, I64, I64, I64],
) -> Rated:
    """Rate a batch: ``start_us`` UTC microseconds, ``group`` destination group index per
    record, ``quantities`` per record as (duration ms, octets up + down, octets up, octets
    down, units) in the order of :data:`~servanda.accounting.rating.compiled.QUANTITIES`."""
    n = start_us.shape[0]
    holidays = (
        tariff.holiday_days(_year(int(start_us.min())) - 1, _year(int(start_us.max())) + 1)
        if n
        else np.zeros(0, dtype=np.int64)
    )
    by_day = holidays.size > 0 and bool((tariff.weeks[0] != tariff.weeks[1]).any())

    def band_at(utc: I64) -> tuple[I32, I64, I64]:
        wall, until_change = utc_to_wall(tariff.timezone, utc)
        day = wall // US_PER_DAY
        in_day = wall - day * US_PER_DAY
        minute = ((day + _THURSDAY) % 7) * 1440 + in_day // US_PER_MINUTE
        holiday = np.isin(day, holidays).astype(np.int64) if holidays.size else np.zeros_like(day)
        band = tariff.weeks[holiday, minute].astype(np.int32)
        left = tariff.run_left[holiday, minute].astype(np.int64) * US_PER_MINUTE - (
            in_day % US_PER_MINUTE
        )
        if by_day:
            left = np.minimum(left, US_PER_DAY - in_day)
        return band, np.minimum(left, until_change), minute

    band0, left0, _ = band_at(start_us)
    rate0 = np.where(band0 >= 0, tariff.rate_for[group, np.maximum(band0, 0)], -1).astype(np.int32)
    not_rated = np.where(rate0 < 0, NOT_RATED_NO_RATE, 0).astype(np.int8)
    kind = tariff.quantity[np.maximum(rate0, 0)]
    kinds = np.unique(tariff.quantity)
    if kinds.size == 1:  # every rate counts the same quantity
        amount = quantities[int(kinds[0])]
    else:
        amount = np.stack(quantities)[kind, np.arange(n)]
    too_large = amount > headroom(tariff)
    not_rated[(not_rated == 0) & too_large] = NOT_RATED_TOO_LARGE
    timed = kind == 0

    # Step 2: cut into parts.
    active = np.flatnonzero(not_rated == 0)
    pos = np.zeros(n, dtype=np.int64)
    pieces: list[tuple[I64, I32, I32, I32, I64, int]] = []
    step = 0
    while active.size:
        idx = active
        r_first = rate0[idx]
        if step == 0:  # every record starts in its first band, rate and slot
            b, r = band0[idx], r_first
            left = left0[idx]
            s = np.zeros(idx.size, dtype=np.int32)
            to_slot = tariff.slot_start[r, 1]
        else:
            # Time moves on for records measured in time; the others stay in their start's band.
            elapsed = np.where(timed[idx], pos[idx] * US_PER_MS, 0)
            b, left, _ = band_at(start_us[idx] + elapsed)
            r = tariff.rate_for[group[idx], np.maximum(b, 0)]
            # A later part in a band no rate prices keeps the first part's rate.
            r = np.where((b >= 0) & (r >= 0), r, r_first).astype(np.int32)
            starts = tariff.slot_start[r]
            s = (np.sum(starts <= pos[idx, None], axis=1) - 1).astype(np.int32)
            to_slot = starts[np.arange(idx.size), s + 1] - pos[idx]
        to_band = left // US_PER_MS + (left % US_PER_MS > 0)
        remaining = amount[idx] - pos[idx]
        length = np.minimum(remaining, np.minimum(to_band, to_slot))
        length = np.where(timed[idx], length, np.minimum(remaining, to_slot))
        pieces.append((idx.astype(np.int64), b.astype(np.int32), r, s, length, step))
        pos[idx] += length
        active = idx[pos[idx] < amount[idx]]
        step += 1

    parts = _join(pieces, tariff)
    totals = np.zeros(n, dtype=np.int64)
    if parts.record.size:
        firsts = np.flatnonzero(np.r_[True, parts.record[1:] != parts.record[:-1]])
        sums = np.add.reduceat(parts.cost, firsts)
        totals[parts.record[firsts]] = sums
    rated = not_rated == 0
    r0 = np.maximum(rate0, 0)
    # A record of no quantity (an unanswered call) costs nothing: no fee, no minimum.
    used = rated & (amount > 0)
    fee = np.where(used, tariff.connect_fee[r0] * tariff.lcm, 0)
    exact = totals + fee
    floor = np.where(used, tariff.min_cost[r0] * tariff.lcm, 0)
    with_min = np.maximum(exact, floor)
    cap = tariff.max_cost[r0]
    capped = rated & (cap != NO_MAX) & (with_min > cap * tariff.lcm)
    final = np.where(capped, cap * tariff.lcm, with_min)
    scale_down = tariff.lcm * 10 ** (tariff.scale - tariff.decimals)
    cost = np.where(rated, _round(final, scale_down, tariff.method), 0)
    return Rated(
        cost=cost,
        not_rated=not_rated,
        band=band0,
        rate=rate0,
        connect_fee=fee,
        adjustment=final - exact,
        exact=exact,
        disconnected=capped & tariff.disconnect[r0],
        parts=parts,
    )


def _join(pieces: list[tuple[I64, I32, I32, I32, I64, int]], tariff: CompiledTariff) -> Parts:
    """The pieces grouped by record in cutting order, consecutive ones with the same rate and
    slot joined, each charged in whole increments."""
    if not pieces:
        empty64 = np.zeros(0, dtype=np.int64)
        empty32 = np.zeros(0, dtype=np.int32)
        return Parts(empty64, empty32, empty32, empty32, empty64, empty64, empty64)
    record = np.concatenate([p[0] for p in pieces])
    band = np.concatenate([p[1] for p in pieces])
    rate_ = np.concatenate([p[2] for p in pieces])
    slot = np.concatenate([p[3] for p in pieces])
    length = np.concatenate([p[4] for p in pieces])
    if len(pieces) > 1:
        order = np.argsort(record, kind="stable")  # cutting order is kept within a record
        record, band, rate_, slot, length = (a[order] for a in (record, band, rate_, slot, length))
        new = np.r_[
            True,
            (record[1:] != record[:-1]) | (rate_[1:] != rate_[:-1]) | (slot[1:] != slot[:-1]),
        ]
        heads = np.flatnonzero(new)
        length = np.add.reduceat(length, heads)
        record, band, rate_, slot = record[heads], band[heads], rate_[heads], slot[heads]
    increment = tariff.slot_increment[rate_, slot]
    increments = length // increment + (length % increment > 0)
    cost = increments * tariff.slot_cost[rate_, slot]
    return Parts(record, band, rate_, slot, length, increments, cost)
