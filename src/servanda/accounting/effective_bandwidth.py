"""The effective-bandwidth tariff of CA$hMAN and M3I for connections with a guaranteed quality.

A connection policed at a peak rate ``h`` declares its mean rate ``m`` when it is set up. The
network charges it by the effective bandwidth it takes (Kelly's effective bandwidth of an on-off
source with peak ``h`` and mean ``m``)::

    E    = exp(s·h·t)
    α(m) = ln(1 + (m/h)(E − 1)) / (s·t)                      the effective bandwidth, bit/s
    b(m) = (E − 1) / (s·t·h·(1 + (m/h)(E − 1)))              = α′(m), per bit sent
    a(m) = α(m) − m·b(m)                                     per second, bit/s

and a connection lasting ``T`` seconds that carried ``V`` bits pays::

    price × (a(m)·T + b(m)·V) / per + c

``s`` (the space parameter, per bit) and ``t`` (the time scale, seconds) come from the link's
capacity and buffer; ``c`` is a fixed charge per connection.

The incentive: ``α`` is concave and ``a(m) + b(m)·x`` is its tangent at ``x = m``, so a
connection whose real mean rate is ``x`` pays per second ``a(m) + b(m)·x ≥ α(x)``, with
equality when ``m = x``. Declaring the true mean is what costs least.

The charge is computed in :class:`~decimal.Decimal` with :data:`PRECISION` significant digits
(the exponential and logarithm included, with guard digits), so it is the same on every
machine; round it with the tariff's :class:`~servanda.core.money.Rounding` rule
(:meth:`EffectiveBandwidthCharge.rounded`).
"""

from __future__ import annotations

from datetime import timedelta
from decimal import (
    ROUND_HALF_EVEN,
    Context,
    Decimal,
    DivisionByZero,
    InvalidOperation,
    Overflow,
    localcontext,
)
from typing import Annotated, Final

from pydantic import Field

from servanda.core.money import Currency, Money, Rounding, RoundingPoint
from servanda.core.records import record

PRECISION: Final = 34
"""Significant digits of every result (decimal128's)."""
GUARD_DIGITS: Final = 10
"""Extra digits the intermediate steps carry before results are rounded to
:data:`PRECISION`. ``E − 1`` loses leading digits when ``s·h·t`` is small, and ``ln(1 + (m/h)(E
− 1))`` and then ``a = α − m·b`` each lose as many as ``(m/h)(E − 1)`` has leading zeros: the
working precision also gains the digits these lose."""

MOST_DIGITS_LOST: Final = 1000
"""The most digits the working precision gains for a small ``s·h·t`` or ``(m/h)(E − 1)``:
below 1e-1000, results keep :data:`PRECISION` digits only in absolute terms."""

_TRAPS: Final = [InvalidOperation, DivisionByZero, Overflow]
_WORK: Final = Context(prec=PRECISION + GUARD_DIGITS, rounding=ROUND_HALF_EVEN, traps=_TRAPS)
_RESULT: Final = Context(prec=PRECISION, rounding=ROUND_HALF_EVEN, traps=_TRAPS)

Positive = Annotated[Decimal, Field(gt=0, allow_inf_nan=False)]
"""A finite decimal above zero."""
NonNegative = Annotated[Decimal, Field(ge=0, allow_inf_nan=False)]
"""A finite decimal of zero or more."""


@record
class EffectiveBandwidthTariff:
    """The tariff of connections policed at one peak rate, priced by effective bandwidth."""

    peak_rate: Positive
    """``h``: the peak rate the connection is policed at, bit/s."""
    space: Positive
    """``s``: the space parameter, per bit (larger for a link with less capacity to spare)."""
    time_scale: Positive
    """``t``: the time scale, seconds (about the time the link's buffer takes to fill)."""
    price: NonNegative
    """Price of ``per`` bits of effective volume (effective bandwidth in bit/s × seconds)."""
    currency: Currency
    per: Positive = Decimal(1)
    """How many bits of effective volume ``price`` is for: 3,600,000,000 for a price per
    Mbit/s of effective bandwidth held one hour."""
    fixed_charge: NonNegative = Decimal(0)
    """``c``: charged once per connection."""


@record
class Coefficients:
    """The tariff's coefficients for one declared mean rate."""

    mean: Positive
    """``m``: the declared mean rate, bit/s."""
    alpha: Decimal
    """``α(m)``: the effective bandwidth of the declared connection, bit/s."""
    a: Decimal
    """``a(m) = α(m) − m·b(m)``: effective volume per second of connection, bit/s."""
    b: Decimal
    """``b(m) = α′(m)``: effective volume per bit carried (no unit)."""


@record
class EffectiveBandwidthCharge:
    """A connection's charge and how it is made."""

    currency: Currency
    coefficients: Coefficients
    duration: NonNegative
    """``T``, seconds."""
    volume: NonNegative
    """``V``, bits."""
    time_part: Decimal
    """``price × a(m) × T / per``."""
    volume_part: Decimal
    """``price × b(m) × V / per``."""
    fixed_part: Decimal
    """``c``."""
    total: Decimal
    """The sum of the three parts as given, to :data:`PRECISION` significant digits (not
    rounded to money)."""

    @property
    def money(self) -> Money:
        """The total as money, unrounded."""
        return Money(self.total, self.currency)

    def rounded(self, rounding: Rounding | None = None) -> Money:
        """The total rounded by ``rounding`` (half-up to the currency's minor unit by default);
        at the ``increment`` point the time, volume and fixed parts are each rounded first."""
        rule = rounding if rounding is not None else Rounding()
        with localcontext(_WORK):
            if rule.point is RoundingPoint.INCREMENT:
                parts = (self.time_part, self.volume_part, self.fixed_part)
                amount = sum((rule.apply(p, self.currency) for p in parts), Decimal(0))
            else:
                amount = rule.apply(self.total, self.currency)
        return Money(amount, self.currency)


def _number(value: Decimal | int, what: str) -> Decimal:
    if isinstance(value, float) or not isinstance(value, Decimal | int):
        raise TypeError(f"{what} is exact: give a Decimal or an int, not {type(value).__name__}")
    number = Decimal(value)
    if not number.is_finite() or number < 0:
        raise ValueError(f"{what} must be a finite number of zero or more, not {value}")
    return number


def _lost(small: Decimal) -> int:
    """Leading digits lost when ``1 + small`` is formed (``exp(small) − 1``, ``ln(1 + small)``):
    the working precision gains them, up to :data:`MOST_DIGITS_LOST`."""
    return min(max(0, -small.adjusted()), MOST_DIGITS_LOST)


def coefficients(tariff: EffectiveBandwidthTariff, mean: Decimal | int) -> Coefficients:
    """``α(m)``, ``a(m)`` and ``b(m)`` for a declared mean rate ``0 < m ≤ h`` (bit/s)."""
    m = _number(mean, "a mean rate")
    h = tariff.peak_rate
    if not 0 < m <= h:
        raise ValueError(f"the declared mean rate {m} bit/s must be above 0 and at most "
                         f"the peak rate {h} bit/s")  # fmt: skip
    with localcontext(_WORK) as context:
        st = tariff.space * tariff.time_scale
        context.prec += _lost(st * h)
        grow = (st * h).exp() - 1
        # ln(1 + u) loses the leading digits of u = (m/h)(E − 1); a = α − m·b loses as many
        # again (a ≈ α·u/2), and α and m·b must agree on 1 + u to those digits
        context.prec += 2 * _lost(m / h * grow)
        share = 1 + m / h * grow
        alpha = share.ln() / st
        b = grow / (st * h * share)
        a = alpha - m * b
    with localcontext(_RESULT):
        return Coefficients(mean=m, alpha=+alpha, a=+a, b=+b)


def charge_connection(
    tariff: EffectiveBandwidthTariff,
    *,
    mean: Decimal | int,
    duration: Decimal | int | timedelta,
    volume: Decimal | int,
) -> EffectiveBandwidthCharge:
    """The charge of a connection that declared ``mean`` (bit/s), lasted ``duration`` (seconds,
    or a :class:`~datetime.timedelta`) and carried ``volume`` bits (octets × 8)."""
    if isinstance(duration, timedelta):
        duration = Decimal(duration // timedelta(microseconds=1)).scaleb(-6)
    seconds = _number(duration, "a duration")
    bits = _number(volume, "a volume")
    found = coefficients(tariff, mean)
    with localcontext(_WORK):
        unit = tariff.price / tariff.per
        time_part = unit * found.a * seconds
        volume_part = unit * found.b * bits
    with localcontext(_RESULT):
        parts = (+time_part, +volume_part, +tariff.fixed_charge)
        return EffectiveBandwidthCharge(
            currency=tariff.currency, coefficients=found, duration=seconds, volume=bits,
            time_part=parts[0], volume_part=parts[1], fixed_part=parts[2],
            total=sum(parts, Decimal(0)),
        )  # fmt: skip
