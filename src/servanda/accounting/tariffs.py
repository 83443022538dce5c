"""Tariffs: the prices of usage, declared in YAML like agreements and versioned by activation
time.

A tariff version (``id`` + ``active_from``) prices the usage that *starts* on or after its
activation and before the next version's. It holds:

* **bands** of time (peak, off-peak, weekend …), weekly hours on the local clock of the
  tariff's calendar (its time zone and holidays), tried in order: the first band whose hours
  hold an instant prices it, and a band with ``holidays: false`` is skipped on the calendar's
  holidays. The bands must cover the whole week; the last is usually ``24x7``. A record that
  crosses a band boundary is split there, each part priced in its own band;
* **destinations**: named groups of prefixes; a record's destination is matched by its
  longest prefix among every prefix of the tariff;
* **rates**, one for each destination and band it names: a connect fee, and rate *slots* by
  elapsed quantity (``from: 0``: the first 60 s billed as one 60 s block; ``from: 60s``: then
  per second), each with its price per rate unit and its increment; a minimum and a maximum
  cost per record (beyond the maximum: ``free``, or ``disconnect``: the session is cut there);
* **rounding**: optionally of each increment's cost (``increment_rounding``, as CGRateS
  does), and of each record's cost (``rounding``, half-up to the currency's minor unit unless
  it says otherwise);
* **recurring fees** of a subscription (monthly, prorated by day).

What a record is measured in follows its rate's ``quantity``: time (``duration``), volume
(octets up + down, or one direction), or units (messages, requests). Prices are exact
decimals; rating never uses binary floats (see :mod:`servanda.accounting.rating`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from itertools import pairwise
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, Field, field_validator, model_validator

from servanda.accounting.bands import Band, uncovered
from servanda.accounting.effective_bandwidth import EffectiveBandwidthTariff
from servanda.accounting.usage import Category
from servanda.catalog.model import Id
from servanda.core.durations import parse_duration
from servanda.core.limits import Name
from servanda.core.money import Currency, Money, Rounding, RoundingPoint
from servanda.core.records import record

Price = Annotated[Decimal, Field(ge=0, max_digits=18, decimal_places=9)]
"""A non-negative exact price (at most 9 decimals)."""


class Quantity(StrEnum):
    """What a rate counts."""

    TIME = "time"
    """The record's duration, in milliseconds."""
    VOLUME = "volume"
    """Octets up and down."""
    VOLUME_UP = "volume_up"
    """Octets sent by the subject."""
    VOLUME_DOWN = "volume_down"
    """Octets received by the subject."""
    UNITS = "units"
    """Countable units (messages, requests)."""


def _amount(value: Any, quantity: Quantity) -> int:
    """A quantity as written (``60s``, ``1m``, ``1MB``, ``1000``) in the kernel's units:
    milliseconds of time, octets, units."""
    if isinstance(value, bool):
        raise ValueError("a quantity is a number or a duration")
    if quantity is Quantity.TIME:
        if isinstance(value, int | Decimal):
            return int(Decimal(value) * 1000)
        if isinstance(value, timedelta):
            return value // timedelta(milliseconds=1)
        return parse_duration(str(value)) // timedelta(milliseconds=1)
    if isinstance(value, int):
        return value
    text = str(value).strip().upper().replace(" ", "")
    for suffix, factor in (("GB", 10**9), ("MB", 10**6), ("KB", 10**3), ("B", 1)):
        if text.endswith(suffix) and text[: -len(suffix)].isdigit():
            return int(text[: -len(suffix)]) * factor
    if text.isdigit():
        return int(text)
    raise ValueError(f"{value!r} is not a quantity: write a whole number, or 1KB, 1MB, 1GB")


@record
class Slot:
    """A rate from an elapsed quantity on: the price per ``unit``, charged by ``increment``."""

    price: Price
    """The price of one rate ``unit``."""
    unit: int | str = 1
    """The rate unit (``60s`` for a price per minute, ``1MB``; a bare number of seconds for
    time)."""
    increment: int | str = 1
    """Usage is counted in whole increments (``1s``, ``60s``, ``1KB``), each begun is
    charged."""
    start: int | str = 0
    """The elapsed quantity of the record where this slot begins (``0``, ``60s``); written
    ``from`` (or ``start``)."""

    @model_validator(mode="before")
    @classmethod
    def _from(cls, data: Any) -> Any:
        if isinstance(data, dict) and "from" in data:
            if "start" in data:
                raise ValueError("write a slot's start once, as from")
            data = {("start" if k == "from" else k): v for k, v in data.items()}
        return data


@record
class MaxCost:
    """The most one record costs, and what happens beyond."""

    amount: Price
    strategy: str = "free"
    """``free``: usage beyond is free; ``disconnect``: the session is cut when it is reached
    (online charging grants no more; offline the record is capped and flagged)."""

    @field_validator("strategy")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in ("free", "disconnect"):
            raise ValueError("the strategy beyond the maximum cost is free or disconnect")
        return value


@record
class Rate:
    """The price of the usage to some destinations in some bands."""

    destinations: tuple[Id | Literal["*"], ...] = Field(min_length=1)
    """Destination groups of the tariff (or ``"*"``: any destination, even none)."""
    slots: tuple[Slot, ...] = Field(min_length=1, max_length=16)
    """By elapsed quantity; the first starts at 0."""
    bands: tuple[Id, ...] = ()
    """Bands it prices; none: every band."""
    quantity: Quantity = Quantity.TIME
    """What it counts (``time`` unless it says ``volume``, ``units`` …)."""
    connect_fee: Price = Decimal(0)
    """Charged once per record, with the record's first part."""
    min_cost: Price = Decimal(0)
    """A rated record costs at least this (connect fee included)."""
    max_cost: MaxCost | None = None

    @model_validator(mode="after")
    def _slots_in_order(self) -> Rate:
        steps = self.steps()
        if any(unit <= 0 or increment <= 0 for _, unit, increment, _ in steps):
            raise ValueError("a slot's unit and increment are more than zero")
        starts = [start for start, _, _, _ in steps]
        if starts[0] != 0:
            raise ValueError("the first slot starts at 0 (from: 0)")
        if any(b <= a for a, b in pairwise(starts)):
            raise ValueError("slots are in order of their start, each after the one before")
        if self.max_cost is not None and self.max_cost.amount < self.min_cost:
            raise ValueError("the maximum cost is below the minimum cost")
        return self

    def steps(self) -> tuple[tuple[int, int, int, Decimal], ...]:
        """The slots as ``(start, unit, increment, price)`` in the rating kernel's units
        (milliseconds of time, octets, units)."""
        q = self.quantity
        return tuple(
            (_amount(s.start, q), _amount(s.unit, q), _amount(s.increment, q), s.price)
            for s in self.slots
        )


@record
class Destination:
    """A named group of destination prefixes (``+33``, ``+331``, ``0800``)."""

    id: Id
    prefixes: tuple[Annotated[str, Field(min_length=1, max_length=32)], ...] = Field(min_length=1)
    name: Name | None = None


@record
class RecurringFee:
    """A fee per subscription and month, prorated by day for part of a month."""

    id: Id
    amount: Price
    service: Id | None = None
    """The service whose subscriptions pay it; none: every subscription rated here."""
    prorate: bool = True
    """Whether a month begun or ended within is charged by its days (else whole)."""


ANY_DESTINATION = "*"
"""A rate's destination matching any record, even one without a destination."""


@record
class Tariff:
    """One version of a tariff."""

    id: Id
    active_from: AwareDatetime
    """Prices usage starting from this instant until the next version's."""
    currency: Currency
    rates: tuple[Rate, ...] = ()
    """How usage is priced (at least one, unless the tariff is an effective-bandwidth one)."""
    effective_bandwidth: EffectiveBandwidthTariff | None = None
    """Prices QoS-guaranteed connections by the CA$hMAN effective-bandwidth formula instead of
    rates (see :mod:`servanda.accounting.effective_bandwidth`): a record's duration and
    volume, and its declared mean rate (the attribute ``declared_mean``, bit/s; the peak rate
    when absent)."""
    calendar: Id | None = None
    """The calendar giving the bands' time zone and holidays; none: UTC, no holidays."""
    bands: tuple[Band, ...] = (Band(id="all"),)
    """Tried in order; together they cover the whole week."""
    destinations: tuple[Destination, ...] = ()
    rounding: Rounding = Rounding(point=RoundingPoint.RECORD)
    """Of each record's cost (half-up to the currency's minor unit by default)."""
    increment_rounding: Rounding | None = None
    """Of each increment's cost, before they are added (CGRateS rounds every increment)."""
    recurring: tuple[RecurringFee, ...] = ()
    name: Name | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Tariff:
        if not self.rates and self.effective_bandwidth is None:
            raise ValueError("a tariff has rates, or an effective_bandwidth formula")
        if self.rates and self.effective_bandwidth is not None:
            raise ValueError("a tariff has rates or an effective_bandwidth formula, not both")
        eb = self.effective_bandwidth
        if eb is not None and eb.currency != self.currency:
            raise ValueError("the effective-bandwidth formula is in the tariff's currency")
        bands = [b.id for b in self.bands]
        if len(set(bands)) != len(bands):
            raise ValueError("band ids are unique within a tariff")
        groups = [d.id for d in self.destinations]
        if len(set(groups)) != len(groups):
            raise ValueError("destination ids are unique within a tariff")
        seen: dict[str, str] = {}
        for d in self.destinations:
            for p in d.prefixes:
                if p in seen:
                    raise ValueError(f"prefix {p!r} is in destinations {seen[p]!r} and {d.id!r}")
                seen[p] = d.id
        known = set(groups) | {ANY_DESTINATION}
        priced: dict[tuple[str, str], int] = {}
        for i, rate in enumerate(self.rates):
            for g in rate.destinations:
                if g not in known:
                    raise ValueError(f"rate {i + 1} names unknown destination {g!r}")
            for b in rate.bands:
                if b not in bands:
                    raise ValueError(f"rate {i + 1} names unknown band {b!r}")
            for g in rate.destinations:
                for b in rate.bands or bands:
                    if (g, b) in priced:
                        raise ValueError(
                            f"destination {g!r} in band {b!r} is priced by rates "
                            f"{priced[(g, b)] + 1} and {i + 1}"
                        )
                    priced[(g, b)] = i
        gap = uncovered(self.bands)
        if gap is not None:
            raise ValueError(f"the bands leave {gap} unpriced: end with a 24x7 band")
        return self

    @property
    def key(self) -> tuple[str, datetime]:
        """The version's key: id and activation."""
        return self.id, self.active_from

    def fee(self, amount: Decimal) -> Money:
        """An amount of this tariff's currency."""
        return Money(amount, self.currency)


@record
class RatingProfile:
    """Which tariff rates which usage, from when (CGRateS' rating profiles): the most specific
    profile matching a record wins (account before any account, service before any service),
    and among versions of the same match the latest active at the record's start."""

    tariff: Id
    category: Category | None = None
    """The records' category; none: any."""
    account: Id | None = None
    """The account; none: any."""
    service: Id | None = None
    """The service; none: any."""
    active_from: AwareDatetime | None = None
    """From when it applies; none: always."""

    @property
    def key(self) -> tuple[str | None, str | None, str | None, datetime | None]:
        """What it matches and from when."""
        return (
            self.category.value if self.category else None,
            self.account,
            self.service,
            self.active_from,
        )
