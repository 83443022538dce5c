"""Tier detail: what each tier of a tariff counted and cost, for the usage lines of invoices.

A rated record's cost is its connect fee, the amounts of its *parts* (the increments of one
band and slot of its rate: the first 60 s at one price, the rest at another), the minimum or
maximum cost adjustment and the record rounding (see
:mod:`servanda.accounting.rating.rater`). :func:`tiers_of` turns one charge into those
pieces in billionths, so that they can be summed with the charge
(:mod:`servanda.storage.repositories.charge_totals`), and they always add up to the charge
exactly: truncation to billionths is taken up by the rounding piece. A payer of a share of a
record (a split or a conference) gets one *share* piece. :func:`describe` names the pieces of
an invoice line from the tariff that priced them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from servanda.accounting.tariffs import Quantity, Rate, Tariff

NANOS = Decimal(10) ** 9
CONNECT, LIMIT, ROUNDING, SHARE = -1, -2, -3, -4
"""The slots of the pieces that are no tier of a rate."""
_SPECIAL = {
    CONNECT: "connect fees",
    LIMIT: "minimum and maximum cost adjustments",
    ROUNDING: "rounding of records",
    SHARE: "shares of records split between payers",
}


@dataclass(frozen=True, slots=True)
class Piece:
    """One tier (band and slot) of a charge or a sum of charges, or a special piece."""

    band: str
    slot: int
    quantity: int
    """In the rating kernel's units (milliseconds, octets, units); connect fees: records."""
    increments: int
    nanos: int


def tiers_of(rated: Mapping[str, Any], nanos: int, whole: bool) -> list[Piece]:
    """The pieces of a charge of ``nanos`` billionths for a record rated as ``rated`` (its
    ``parts``, ``connect_fee``, ``adjustment``, ``rounding``); ``whole``: the payer pays the
    record's whole cost (else it pays a share: one piece). Empty when the rating shows no
    parts (the charge is then shown without tiers)."""
    if not whole:
        return [Piece("", SHARE, 0, 0, nanos)]
    parts: Sequence[Mapping[str, Any]] = rated.get("parts") or ()
    if not parts:
        return []
    out = [
        Piece(str(p["band"] or ""), int(p["slot"]), int(p["quantity"]), int(p["increments"]),
              int(Decimal(str(p["amount"])) * NANOS))
        for p in parts
    ]  # fmt: skip
    for slot, key in ((CONNECT, "connect_fee"), (LIMIT, "adjustment")):
        value = int(Decimal(str(rated.get(key) or 0)) * NANOS)
        if value:
            out.append(Piece("", slot, 1 if slot == CONNECT else 0, 0, value))
    rest = nanos - sum(p.nanos for p in out)
    if rest:
        out.append(Piece("", ROUNDING, 0, 0, rest))
    return out


def summed(pieces: Iterable[Piece]) -> list[Piece]:
    """Pieces of the same band and slot added together, in order of band and slot."""
    sums: dict[tuple[str, int], list[int]] = {}
    for p in pieces:
        found = sums.setdefault((p.band, p.slot), [0, 0, 0])
        found[0] += p.quantity
        found[1] += p.increments
        found[2] += p.nanos
    return [Piece(b, s, *v) for (b, s), v in sorted(sums.items(), key=_order)]


def _order(item: tuple[tuple[str, int], list[int]]) -> tuple[int, str, int]:
    (band, slot), _ = item
    return (1 if slot < 0 else 0, band, -slot if slot < 0 else slot)


def describe(
    pieces: Sequence[Piece],
    tariff: Tariff | None,
    destination_group: str | None,
) -> list[dict[str, str]]:
    """The pieces of one invoice line as the invoice shows them: a label (the band and the
    slot's range and price, from the tariff version that priced most of them), the quantity
    in readable units, the amount."""
    out = []
    for p in pieces:
        amount = Decimal(p.nanos) / NANOS
        if p.slot < 0:
            quantity = f"{p.quantity:,}" if p.slot == CONNECT else ""
            out.append({"label": _SPECIAL[p.slot], "quantity": quantity, "amount": str(amount)})
            continue
        rate = _rate(tariff, destination_group, p.band)
        kind = rate.quantity if rate is not None else None
        label = p.band or "usage"
        if rate is not None and p.slot < len(rate.slots):
            slot = rate.slots[p.slot]
            label += f", {_range(rate, p.slot)}{slot.price} per {_text(slot.unit, kind)}"
        out.append({"label": label, "quantity": _quantity(p.quantity, kind), "amount": str(amount)})
    return out


def _rate(tariff: Tariff | None, group: str | None, band: str) -> Rate | None:
    if tariff is None:
        return None
    for rate in tariff.rates:
        matches = group in rate.destinations or "*" in rate.destinations
        if matches and (not rate.bands or band in rate.bands):
            return rate
    return None


def _range(rate: Rate, slot: int) -> str:
    """``first 60s at`` / ``after 60s at`` / ``at`` (a single slot)."""
    kind = rate.quantity
    if len(rate.slots) == 1:
        return "at "
    if slot == 0:
        return f"first {_text(rate.slots[1].start, kind)} at "
    return f"after {_text(rate.slots[slot].start, kind)} at "


def _text(value: int | str, kind: Quantity | None) -> str:
    if isinstance(value, str):
        return value
    return f"{value}s" if kind is Quantity.TIME else str(value)


def _quantity(value: int, kind: Quantity | None) -> str:
    if kind is Quantity.TIME:
        seconds = Decimal(value) / 1000
        return f"{seconds:,f} s"
    if kind in (Quantity.VOLUME, Quantity.VOLUME_UP, Quantity.VOLUME_DOWN):
        return f"{Decimal(value) / 10**6:,.3f} MB"
    return f"{value:,}"


__all__ = ["CONNECT", "LIMIT", "ROUNDING", "SHARE", "Piece", "describe", "summed", "tiers_of"]
