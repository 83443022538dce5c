"""Charge models for usage-billed services: standard, graduated, volume, package and percentage.

These are the models usage-billing systems offer for API calls, storage, messages or payments
(Lago's and Chargebee's charge models, Stripe's ``tiers_mode``). A tariff holds one as a record
whose ``model:`` field names it::

    model: graduated
    tiers:
      - {up_to: 100, unit_price: "1.00"}
      - {up_to: 200, unit_price: "0.50"}
      - {up_to: null, unit_price: "0.10"}

:func:`charge` prices a quantity with it and returns a :class:`Charge`: the parts the price is
made of (which tier, how many units, at what price, with what flat fee) and their total, every
amount an exact :class:`~decimal.Decimal`. Nothing is rounded here: rounding is the tariff's
:class:`~servanda.core.money.Rounding` rule, applied by :meth:`Charge.rounded`.

Boundaries, for every model:

* A tier's ``up_to`` is inclusive: tiers cover ``(previous up_to, up_to]``, the first one
  ``(0, up_to]``, so with ``up_to: 100`` the 100th unit is in the first tier and the 101st in
  the next (as Stripe's ``up_to``: "up to and including").
* A quantity of zero charges nothing: no tier is entered, so no flat fee is due, and a charge
  of zero units has no parts. (A percentage model's fixed fee is per event: events with a zero
  value still pay it.)
* Quantities may be fractional (gigabytes, hours); they are never negative.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from decimal import (
    ROUND_HALF_EVEN,
    Context,
    Decimal,
    DivisionByZero,
    Inexact,
    InvalidOperation,
    Overflow,
    localcontext,
)
from enum import StrEnum
from typing import Annotated, Any, Final, Literal

from pydantic import Field, model_validator

from servanda.core.money import Currency, Money, Rounding, RoundingPoint
from servanda.core.records import adapter, record

EXACT_DIGITS: Final = 100
"""Significant digits every amount is computed with. Charges are exact: an amount that would
need more digits is an error, never rounded silently."""

_EXACT: Final = Context(
    prec=EXACT_DIGITS, rounding=ROUND_HALF_EVEN, Emax=999_999, Emin=-999_999,
    traps=[InvalidOperation, DivisionByZero, Overflow, Inexact],
)  # fmt: skip

_ROUNDING: Final = Context(
    prec=EXACT_DIGITS, rounding=ROUND_HALF_EVEN, Emax=999_999, Emin=-999_999,
    traps=[InvalidOperation, DivisionByZero, Overflow],
)  # fmt: skip
"""The same digits for rounding, where discarding digits is the point."""

NonNegative = Annotated[Decimal, Field(ge=0, allow_inf_nan=False)]
"""A finite decimal of zero or more."""
Positive = Annotated[Decimal, Field(gt=0, allow_inf_nan=False)]
"""A finite decimal above zero."""


@contextmanager
def _exact() -> Iterator[None]:
    """Decimal arithmetic that is exact or fails with a clear message."""
    try:
        with localcontext(_EXACT):
            yield
    except (Inexact, Overflow, InvalidOperation) as error:
        raise ValueError(
            f"the charge cannot be computed exactly within {EXACT_DIGITS} significant digits"
        ) from error


def _divides_exactly(number: Decimal) -> bool:
    """Whether dividing by ``number`` always gives a finite decimal: its digits, as an
    integer, have no prime factor but 2 and 5 (1, 1000, 1024, 0.5 — not 3 or 60)."""
    digits = int("".join(map(str, number.as_tuple().digits)))
    for prime in (2, 5):
        while digits and digits % prime == 0:
            digits //= prime
    return digits == 1


class PartKind(StrEnum):
    """What a part of a charge prices."""

    UNITS = "units"
    """Units at a unit price (the standard model, a graduated or volume tier)."""
    PACKAGES = "packages"
    """Whole packages at a package price."""
    FREE = "free"
    """Units (package model) or events (percentage model) given free."""
    PERCENTAGE = "percentage"
    """A percentage of a value: ``price`` is the rate in percent, ``per`` is 100."""
    FIXED_FEE = "fixed_fee"
    """A fixed fee per event."""
    MINIMUM = "minimum"
    """What raised events' fees to the per-event minimum (the sum of the raises)."""
    MAXIMUM = "maximum"
    """What brought events' fees down to the per-event maximum (negative: the sum of the cuts)."""


@record
class Tier:
    """One price tier of a graduated or volume charge: the units in ``(previous up_to, up_to]``."""

    up_to: Positive | None
    """The last unit of the tier, included; ``None`` (``null``) for the open last tier."""
    unit_price: NonNegative
    """Price of each unit priced at this tier."""
    flat_fee: NonNegative = Decimal(0)
    """Charged once when the tier applies: graduated, when any unit falls in the tier;
    volume, when the total quantity falls in it."""


def _check_tiers(tiers: tuple[Tier, ...]) -> None:
    """Tiers strictly increase and only the last one, which must be, is open."""
    for i, tier in enumerate(tiers):
        last = i == len(tiers) - 1
        if tier.up_to is None and not last:
            raise ValueError(f"tiers[{i}] is open (up_to: null) but only the last tier may be open")
        if tier.up_to is not None and last:
            raise ValueError(
                f"the last tier, tiers[{i}], must be open (up_to: null) so that every "
                f"quantity has a price; it ends at {tier.up_to}"
            )
        previous = tiers[i - 1].up_to if i else None
        if previous is not None and tier.up_to is not None and tier.up_to <= previous:
            raise ValueError(
                f"tiers[{i}] ends at {tier.up_to}, not above tiers[{i - 1}]'s {previous}: "
                "up_to must strictly increase from tier to tier"
            )


@record
class StandardCharge:
    """One price for every unit: ``quantity × price / per``."""

    price: NonNegative
    """Price of ``per`` units."""
    per: Positive = Decimal(1)
    """How many units ``price`` is for (1,000 for a price per thousand requests). Dividing by
    it must give a finite decimal: a power of ten, or any number whose digits have no prime
    factor but 2 and 5 (1,024 is fine, 3 is not)."""
    model: Literal["standard"] = "standard"

    @model_validator(mode="after")
    def _per(self) -> StandardCharge:
        if not _divides_exactly(self.per):
            raise ValueError(
                f"per {self.per} does not divide prices exactly in decimal: use a power of "
                "ten, or a number with no prime factor but 2 and 5 (1000, 1024), or give "
                "the price of one unit"
            )
        return self


@record
class GraduatedCharge:
    """Each unit priced at the tier it falls in; each tier entered adds its flat fee once."""

    tiers: tuple[Tier, ...] = Field(min_length=1, max_length=100)
    """Ordered by ``up_to``, strictly increasing; only the last one, which must be, is open."""
    block: Positive | None = None
    """When set, the quantity is billed in whole blocks: rounded up to a multiple of
    ``block`` before it is tiered (``block: 1`` bills 2.3 GB as 3 GB)."""
    model: Literal["graduated"] = "graduated"

    @model_validator(mode="after")
    def _tiers(self) -> GraduatedCharge:
        _check_tiers(self.tiers)
        return self


@record
class VolumeCharge:
    """Every unit priced at the tier the total quantity falls in, plus that tier's flat fee."""

    tiers: tuple[Tier, ...] = Field(min_length=1, max_length=100)
    """Ordered by ``up_to``, strictly increasing; only the last one, which must be, is open."""
    block: Positive | None = None
    """When set, the quantity is billed in whole blocks: rounded up to a multiple of
    ``block`` before the tier is chosen."""
    model: Literal["volume"] = "volume"

    @model_validator(mode="after")
    def _tiers(self) -> VolumeCharge:
        _check_tiers(self.tiers)
        return self


@record
class PackageCharge:
    """A price per package of ``package_size`` units after ``free_units``; a package partly
    used is charged whole."""

    price: NonNegative
    """Price of one package."""
    package_size: Positive
    """Units in a package."""
    free_units: NonNegative = Decimal(0)
    """Units given free before the first package."""
    model: Literal["package"] = "package"


@record
class PercentageCharge:
    """A percentage of a value (a transaction's amount), plus a fixed fee per event."""

    rate: NonNegative
    """Percent of the value charged (1.4 for 1.4 %)."""
    fixed_fee: NonNegative = Decimal(0)
    """Charged per event, except the first ``free_units`` events."""
    free_units: int = Field(default=0, ge=0)
    """How many events (the first ones) are free of the fixed fee; they still pay the rate."""
    minimum: NonNegative | None = None
    """Least fee of one event (rate and fixed fee together)."""
    maximum: NonNegative | None = None
    """Most fee of one event (rate and fixed fee together)."""
    model: Literal["percentage"] = "percentage"

    @model_validator(mode="after")
    def _bounds(self) -> PercentageCharge:
        if self.minimum is not None and self.maximum is not None and self.minimum > self.maximum:
            raise ValueError(
                f"the per-event minimum {self.minimum} is above the maximum {self.maximum}"
            )
        return self


ChargeModel = Annotated[
    StandardCharge | GraduatedCharge | VolumeCharge | PackageCharge | PercentageCharge,
    Field(discriminator="model"),
]
"""Any charge model, told apart by its ``model`` field."""


def load_charge_model(data: Any) -> ChargeModel:
    """A charge model from configuration data (a mapping read from YAML or JSON), validated."""
    found: ChargeModel = adapter(ChargeModel).validate_python(data)  # type: ignore[arg-type]
    return found


@record
class ChargePart:
    """One part of a charge: what it covers, the price applied and the exact amount.

    For every kind but ``minimum`` and ``maximum``, ``amount = billed × price / per +
    flat_fee`` exactly.
    """

    kind: PartKind
    units: NonNegative
    """How much of the quantity this part covers: units; for ``percentage``, the value; for
    ``fixed_fee`` and the percentage model's ``free`` part, events."""
    billed: NonNegative
    """What ``price`` multiplies: ``units``, except whole packages for ``packages`` and the
    number of events adjusted for ``minimum`` and ``maximum``."""
    price: NonNegative
    """Unit price, package price, rate in percent or fixed fee per event (0 when free)."""
    amount: Decimal
    """Exact, not rounded."""
    per: Positive = Decimal(1)
    """``price`` is for this many: the standard model's ``per``, 100 for a percentage."""
    flat_fee: NonNegative = Decimal(0)
    """A tier's flat fee, when this part entered the tier."""
    tier: int | None = Field(default=None, ge=0)
    """Index of the tier priced (graduated and volume), from 0."""
    lower: NonNegative = Decimal(0)
    """The part covers ``(lower, upper]`` of the quantity (of the events, for a fixed fee)."""
    upper: NonNegative | None = None
    """Inclusive upper bound; ``None``: open."""


@record
class Charge:
    """A quantity priced by a charge model: its parts, and their exact sum."""

    model: Literal["standard", "graduated", "volume", "package", "percentage"]
    currency: Currency
    quantity: NonNegative
    """The quantity priced, as given (the percentage model: the value)."""
    billed_quantity: NonNegative
    """The quantity after rounding up to whole blocks (graduated and volume with ``block``);
    the quantity itself otherwise."""
    parts: tuple[ChargePart, ...]
    """In tier order; empty when nothing is charged for."""
    total: Decimal
    """Exactly the sum of the parts' amounts."""
    events: int | None = Field(default=None, ge=0)
    """Events priced (percentage model)."""

    @model_validator(mode="after")
    def _sum(self) -> Charge:
        with _exact():
            parts = sum((p.amount for p in self.parts), Decimal(0))
        if parts != self.total:
            raise ValueError(f"the total {self.total} is not the sum of the parts, {parts}")
        return self

    @property
    def money(self) -> Money:
        """The exact total as money."""
        return Money(self.total, self.currency)

    def rounded(self, rounding: Rounding | None = None) -> Money:
        """The total rounded by ``rounding`` (half-up to the currency's minor unit by default).

        At the ``increment`` point each part is rounded and the rounded parts are added; at
        ``record`` and ``line`` the exact total is rounded once.
        """
        rule = rounding if rounding is not None else Rounding()
        with localcontext(_ROUNDING):
            if rule.point is RoundingPoint.INCREMENT:
                total = sum((rule.apply(p.amount, self.currency) for p in self.parts), Decimal(0))
            else:
                total = rule.apply(self.total, self.currency)
        return Money(total, self.currency)


def _decimal(value: Decimal | int, what: str) -> Decimal:
    if isinstance(value, float) or not isinstance(value, Decimal | int):
        raise TypeError(f"{what} is exact: give a Decimal or an int, not {type(value).__name__}")
    number = Decimal(value)
    if not number.is_finite() or number < 0:
        raise ValueError(f"{what} must be a finite number of zero or more, not {value}")
    return number


def _round_up(quantity: Decimal, block: Decimal | None) -> Decimal:
    """``quantity`` rounded up to a whole number of blocks."""
    if block is None:
        return quantity
    return _packages(quantity, block) * block


def _packages(quantity: Decimal, size: Decimal) -> Decimal:
    """How many packages of ``size`` hold ``quantity``: ceil(quantity / size)."""
    whole = quantity // size
    return whole + 1 if quantity % size else whole


def _standard(model: StandardCharge, q: Decimal) -> tuple[ChargePart, ...]:
    if not q:
        return ()
    amount = q * model.price / model.per
    return (ChargePart(kind=PartKind.UNITS, units=q, billed=q, price=model.price,
                       per=model.per, amount=amount),)  # fmt: skip


def _graduated(model: GraduatedCharge, q: Decimal) -> tuple[ChargePart, ...]:
    parts: list[ChargePart] = []
    lower = Decimal(0)
    for i, tier in enumerate(model.tiers):
        if q <= lower:
            break
        top = q if tier.up_to is None else min(q, tier.up_to)
        units = top - lower
        parts.append(ChargePart(
            kind=PartKind.UNITS, tier=i, lower=lower, upper=tier.up_to, units=units,
            billed=units, price=tier.unit_price, flat_fee=tier.flat_fee,
            amount=units * tier.unit_price + tier.flat_fee,
        ))  # fmt: skip
        if tier.up_to is None:
            break
        lower = tier.up_to
    return tuple(parts)


def _volume(model: VolumeCharge, q: Decimal) -> tuple[ChargePart, ...]:
    if not q:
        return ()
    lower = Decimal(0)
    for i, tier in enumerate(model.tiers):
        if tier.up_to is None or q <= tier.up_to:
            return (ChargePart(
                kind=PartKind.UNITS, tier=i, lower=lower, upper=tier.up_to, units=q, billed=q,
                price=tier.unit_price, flat_fee=tier.flat_fee,
                amount=q * tier.unit_price + tier.flat_fee,
            ),)  # fmt: skip
        lower = tier.up_to
    raise AssertionError("the last tier is open")  # pragma: no cover - validated


def _package(model: PackageCharge, q: Decimal) -> tuple[ChargePart, ...]:
    parts: list[ChargePart] = []
    free = min(q, model.free_units)
    if free:
        parts.append(ChargePart(kind=PartKind.FREE, upper=model.free_units, units=free,
                                billed=free, price=Decimal(0), amount=Decimal(0)))  # fmt: skip
    paid = q - free
    if paid:
        packages = _packages(paid, model.package_size)
        parts.append(ChargePart(
            kind=PartKind.PACKAGES, lower=model.free_units, units=paid, billed=packages,
            price=model.price, amount=packages * model.price,
        ))  # fmt: skip
    return tuple(parts)


def _percentage(
    model: PercentageCharge, value: Decimal, events: int, raised: tuple[int, Decimal],
    cut: tuple[int, Decimal],
) -> tuple[ChargePart, ...]:  # fmt: skip
    parts: list[ChargePart] = []
    if value:
        parts.append(ChargePart(kind=PartKind.PERCENTAGE, units=value, billed=value,
                                price=model.rate, per=Decimal(100),
                                amount=value * model.rate / 100))  # fmt: skip
    free = min(events, model.free_units)
    if free:
        parts.append(ChargePart(kind=PartKind.FREE, upper=Decimal(model.free_units),
                                units=Decimal(free), billed=Decimal(free), price=Decimal(0),
                                amount=Decimal(0)))  # fmt: skip
    paid = events - free
    if paid:
        parts.append(ChargePart(kind=PartKind.FIXED_FEE, lower=Decimal(model.free_units),
                                units=Decimal(paid), billed=Decimal(paid),
                                price=model.fixed_fee, amount=paid * model.fixed_fee))  # fmt: skip
    for kind, (count, amount) in ((PartKind.MINIMUM, raised), (PartKind.MAXIMUM, cut)):
        if count:
            parts.append(ChargePart(kind=kind, units=Decimal(count), billed=Decimal(count),
                                    price=Decimal(0), amount=amount))  # fmt: skip
    return tuple(parts)


def _total(parts: tuple[ChargePart, ...]) -> Decimal:
    return sum((p.amount for p in parts), Decimal(0))


def charge(
    model: ChargeModel, quantity: Decimal | int, *, currency: str, events: int = 1
) -> Charge:
    """``quantity`` priced by ``model``, exactly, part by part.

    * ``standard``: ``quantity × price / per``.
    * ``graduated``: the quantity (rounded up to whole blocks first, if ``block``) fills the
      tiers in order; the units in ``(previous up_to, up_to]`` are priced at that tier's unit
      price, and every tier with at least some quantity in it adds its flat fee once. 250
      units over tiers up to 100, up to 200 and open are 100 + 100 + 50 units.
    * ``volume``: the quantity (rounded up to whole blocks first, if ``block``) selects the one
      tier with ``previous up_to < quantity ≤ up_to``; all units are priced at its unit price
      and its flat fee is added. A quantity exactly on a boundary takes the lower tier: 100
      with a first tier up to 100 is priced in the first tier.
    * ``package``: the first ``free_units`` units are free; the rest are charged in packages
      of ``package_size``, ``ceil((quantity − free_units) / package_size)`` of them.
    * ``percentage``: ``quantity`` is the value (the sum of the transactions' amounts) and
      ``events`` the number of events it comes from: ``rate`` percent of the value, plus the
      fixed fee for each event after the first ``free_units``. With a per-event ``minimum``
      or ``maximum`` each event's value is needed: use :func:`charge_events` (or give one
      event). ``events`` is ignored by the other models.

    A quantity of zero charges nothing (no part, no flat fee). Amounts are exact; a quantity
    is a :class:`~decimal.Decimal` or an int (a float is refused) and never negative.
    """
    q = _decimal(quantity, "a quantity")
    with _exact():
        billed = q
        if isinstance(model, PercentageCharge):
            if events < 0:
                raise ValueError(f"a number of events cannot be negative: {events}")
            if q and not events:
                raise ValueError(f"a value of {q} needs at least one event")
            if model.minimum is not None or model.maximum is not None:
                if events != 1:
                    raise ValueError(
                        "a per-event minimum or maximum needs each event's value: "
                        "price the events with charge_events"
                    )
                return charge_events(model, (q,), currency=currency)
            parts = _percentage(model, q, events, (0, Decimal(0)), (0, Decimal(0)))
            return Charge(model=model.model, currency=currency, quantity=q, billed_quantity=q,
                          parts=parts, total=_total(parts), events=events)  # fmt: skip
        if isinstance(model, StandardCharge):
            parts = _standard(model, q)
        elif isinstance(model, GraduatedCharge):
            billed = _round_up(q, model.block)
            parts = _graduated(model, billed)
        elif isinstance(model, VolumeCharge):
            billed = _round_up(q, model.block)
            parts = _volume(model, billed)
        else:
            parts = _package(model, q)
        total = _total(parts)
    return Charge(model=model.model, currency=currency, quantity=q, billed_quantity=billed,
                  parts=parts, total=total)  # fmt: skip


def charge_events(
    model: PercentageCharge, values: Sequence[Decimal | int], *, currency: str
) -> Charge:
    """Events priced one by one by a percentage model, in the order given.

    Each event's fee is ``rate`` percent of its value plus the fixed fee (none for the first
    ``free_units`` events), then raised to ``minimum`` or cut to ``maximum`` when set: the
    bounds apply to every event's whole fee, free events included (they are free of the fixed
    fee only). The parts add the events up: the percentage of the summed value, the free
    events, the fixed fees, and what the minimum added and the maximum took away.
    """
    amounts = tuple(_decimal(v, "an event's value") for v in values)
    with _exact():
        raised, cut = 0, 0
        raised_by, cut_by = Decimal(0), Decimal(0)
        for i, value in enumerate(amounts):
            fee = value * model.rate / 100 + (model.fixed_fee if i >= model.free_units else 0)
            bounded = fee
            if model.minimum is not None:
                bounded = max(bounded, model.minimum)
            if model.maximum is not None:
                bounded = min(bounded, model.maximum)
            if bounded > fee:
                raised, raised_by = raised + 1, raised_by + (bounded - fee)
            elif bounded < fee:
                cut, cut_by = cut + 1, cut_by + (bounded - fee)
        value = sum(amounts, Decimal(0))
        parts = _percentage(model, value, len(amounts), (raised, raised_by), (cut, cut_by))
        total = _total(parts)
    return Charge(model=model.model, currency=currency, quantity=value, billed_quantity=value,
                  parts=parts, total=total, events=len(amounts))  # fmt: skip
