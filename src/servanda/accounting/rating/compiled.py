"""A tariff version compiled into arrays for the rating kernel.

Every amount becomes an integer at the tariff's *price scale* (10^−P of the currency, P the
most decimals any of its prices, fees or increment rounding use, at least the record
rounding's): exact, with no binary float anywhere. A part of a record costs
``price × billed / unit``, which is not always a finite decimal (1 s of 0.02 a minute); the
kernel keeps it exact as a numerator over ``L × 10^P``, L the least common multiple of the
tariff's rate units, and rounds once, where the tariff says.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from typing import Final

import numpy as np
import numpy.typing as npt

from servanda.accounting.bands import MINUTES_PER_WEEK, week_table
from servanda.accounting.tariffs import ANY_DESTINATION, Quantity, Rate, Tariff
from servanda.calendars.holiday_dates import country_holidays
from servanda.calendars.localtime import day_number
from servanda.calendars.model import Calendar
from servanda.core.money import Rounding, RoundingMethod, minor_unit

I64 = npt.NDArray[np.int64]
I32 = npt.NDArray[np.int32]
I16 = npt.NDArray[np.int16]

QUANTITIES: Final = tuple(Quantity)
"""Quantity kinds by their code in the kernel's arrays."""

NO_MAX: Final = -1


def _decimals(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    assert isinstance(exponent, int)
    return max(0, -exponent)


def _scaled(value: Decimal, scale: int) -> int:
    scaled = value.scaleb(scale)
    assert scaled == scaled.to_integral_value(), "the price scale holds every amount"
    return int(scaled)


@dataclass(frozen=True, eq=False)
class CompiledTariff:
    """One tariff version as arrays (see the module)."""

    tariff: Tariff
    calendar: Calendar | None
    scale: int
    """P: amounts are integers of 10^−P of the currency."""
    decimals: int
    """D: decimals of a record's cost."""
    method: RoundingMethod
    """How a record's cost is rounded to D decimals."""
    lcm: int
    """L: the least common multiple of every rate unit."""
    groups: tuple[str, ...]
    """Destination groups; the last is ``*`` (no prefix matched)."""
    prefixes: dict[str, int]
    """Prefix → destination group index."""
    rate_for: I32
    """(group, band) → rate index, −1 where nothing prices it."""
    quantity: npt.NDArray[np.int8]
    """Per rate: what it counts (index into :data:`QUANTITIES`)."""
    slot_start: I64
    """(rate, slot) → where the slot begins (elapsed kernel units); padded with int64 max."""
    slot_increment: I64
    """(rate, slot) → increment (kernel units)."""
    slot_cost: I64
    """(rate, slot) → the numerator (over L·10^P) of one increment's cost."""
    slot_price: I64
    """(rate, slot) → the price per unit at scale P (for the parts' detail)."""
    slot_unit: I64
    """(rate, slot) → the rate unit (kernel units)."""
    connect_fee: I64
    """Per rate, at scale P."""
    min_cost: I64
    """Per rate, at scale P."""
    max_cost: I64
    """Per rate, at scale P; :data:`NO_MAX` when none."""
    disconnect: npt.NDArray[np.bool_]
    """Per rate: whether reaching the maximum cuts the session (else beyond is free)."""
    weeks: I16
    """(holiday, minute of week) → band index."""
    run_left: I32
    """(holiday, minute of week) → minutes until the band changes, within the week table
    (at most to the end of the day when the next day's holiday status may differ)."""

    @classmethod
    def of(cls, tariff: Tariff, calendar: Calendar | None = None) -> CompiledTariff:
        """Compile ``tariff`` (with the calendar it names, for its time zone and holidays)."""
        record_rounding = tariff.rounding
        decimals = (
            record_rounding.decimals
            if record_rounding.decimals is not None
            else minor_unit(tariff.currency)
        )
        amounts: list[Decimal] = []
        for rate in tariff.rates:
            amounts += [rate.connect_fee, rate.min_cost, *(s.price for s in rate.slots)]
            if rate.max_cost is not None:
                amounts.append(rate.max_cost.amount)
        inc_rounding = tariff.increment_rounding
        inc_decimals = (
            (
                inc_rounding.decimals
                if inc_rounding.decimals is not None
                else minor_unit(tariff.currency)
            )
            if inc_rounding is not None
            else 0
        )
        scale = max([decimals, inc_decimals, *(_decimals(a) for a in amounts)])
        steps = [rate.steps() for rate in tariff.rates]
        lcm = math.lcm(1, *(unit for rate_steps in steps for _, unit, _, _ in rate_steps))
        n_rates, n_slots = len(steps), max((len(s) for s in steps), default=1)
        big = np.iinfo(np.int64).max
        slot_start = np.full((n_rates, n_slots + 1), big, dtype=np.int64)
        slot_increment = np.ones((n_rates, n_slots), dtype=np.int64)
        slot_cost = np.zeros((n_rates, n_slots), dtype=np.int64)
        slot_price = np.zeros((n_rates, n_slots), dtype=np.int64)
        slot_unit = np.ones((n_rates, n_slots), dtype=np.int64)
        for r, rate_steps in enumerate(steps):
            for s, (start, unit, increment, price) in enumerate(rate_steps):
                slot_start[r, s] = start
                slot_increment[r, s] = increment
                slot_unit[r, s] = unit
                slot_price[r, s] = _scaled(price, scale)
                slot_cost[r, s] = _increment_cost(
                    price, increment, unit, scale, lcm, inc_rounding, tariff.currency
                )
        groups = (*(d.id for d in tariff.destinations), ANY_DESTINATION)
        group_index = {g: i for i, g in enumerate(groups)}
        band_index = {b.id: i for i, b in enumerate(tariff.bands)}
        rate_for = np.full((len(groups), len(tariff.bands)), -1, dtype=np.int32)
        for r, rate in enumerate(tariff.rates):
            for g in rate.destinations:
                for b in rate.bands or tuple(band_index):
                    rate_for[group_index[g], band_index[b]] = r
        # A group with no rate of its own in a band falls back on "*" when "*" is priced.
        star = group_index[ANY_DESTINATION]
        for row in range(len(groups) - 1):
            missing = np.flatnonzero(rate_for[row] < 0)
            rate_for[row, missing] = rate_for[star, missing]
        weeks = np.stack(
            [week_table(tariff.bands, holiday=False), week_table(tariff.bands, holiday=True)]
        )
        return cls(
            tariff=tariff,
            calendar=calendar,
            scale=scale,
            decimals=decimals,
            method=record_rounding.method,
            lcm=lcm,
            groups=groups,
            prefixes={p: group_index[d.id] for d in tariff.destinations for p in d.prefixes},
            rate_for=rate_for,
            quantity=np.array(
                [QUANTITIES.index(rate.quantity) for rate in tariff.rates], dtype=np.int8
            ),
            slot_start=slot_start,
            slot_increment=slot_increment,
            slot_cost=slot_cost,
            slot_price=slot_price,
            slot_unit=slot_unit,
            connect_fee=np.array(
                [_scaled(rate.connect_fee, scale) for rate in tariff.rates], dtype=np.int64
            ),
            min_cost=np.array(
                [_scaled(rate.min_cost, scale) for rate in tariff.rates], dtype=np.int64
            ),
            max_cost=np.array(
                [
                    _scaled(rate.max_cost.amount, scale) if rate.max_cost else NO_MAX
                    for rate in tariff.rates
                ],
                dtype=np.int64,
            ),
            disconnect=np.array(
                [
                    bool(rate.max_cost and rate.max_cost.strategy == "disconnect")
                    for rate in tariff.rates
                ],
                dtype=np.bool_,
            ),
            weeks=weeks,
            run_left=np.stack([_runs(weeks[0]), _runs(weeks[1])]),
        )

    @property
    def timezone(self) -> str:
        """The bands' time zone."""
        return self.calendar.timezone if self.calendar is not None else "UTC"

    @cached_property
    def _holiday_cache(self) -> dict[int, frozenset[int]]:
        return {}

    def holiday_days(self, first_year: int, last_year: int) -> I64:
        """Day numbers (days since 1970-01-01) of the calendar's holidays in those years."""
        rule = self.calendar.holidays if self.calendar is not None else None
        if rule is None:
            return np.zeros(0, dtype=np.int64)
        days: set[int] = set()
        for year in range(first_year, last_year + 1):
            if year not in self._holiday_cache:
                found = {day_number(d) for d in rule.dates if d.year == year}
                if rule.country:
                    found |= {
                        day_number(d)
                        for d in country_holidays(rule.country, rule.subdivision, year)
                    }
                self._holiday_cache[year] = frozenset(found)
            days |= self._holiday_cache[year]
        return np.array(sorted(days), dtype=np.int64)

    @property
    def denominator(self) -> int:
        """L·10^P: what the kernel's numerators are over."""
        return int(self.lcm * 10**self.scale)


def _disconnects(rate: Rate) -> bool:
    return rate.max_cost is not None and rate.max_cost.strategy == "disconnect"


def _increment_cost(
    price: Decimal,
    increment: int,
    unit: int,
    scale: int,
    lcm: int,
    rounding: Rounding | None,
    currency: str,
) -> int:
    """The numerator over L·10^P of one increment's cost: exact, or rounded per increment."""
    if rounding is None:
        return _scaled(price, scale) * increment * (lcm // unit)
    cost = rounding.apply(price * increment / unit, currency)
    return int(_scaled(cost, scale) * lcm)


def _runs(week: I16) -> I32:
    """For each minute of the week, how many minutes the band in force lasts from it, going
    round the week (capped at one week)."""
    doubled = np.concatenate([week, week])
    change = np.flatnonzero(doubled[1:] != doubled[:-1]) + 1
    minutes = np.arange(MINUTES_PER_WEEK)
    if change.size == 0:
        return np.full(MINUTES_PER_WEEK, MINUTES_PER_WEEK, dtype=np.int32)
    nxt = change[np.searchsorted(change, minutes, side="right")]
    runs: I32 = (nxt - minutes).astype(np.int32)
    return runs
