"""Money: an exact amount in one ISO 4217 currency, and explicit rounding.

Amounts are :class:`~decimal.Decimal` (a binary float is refused: 0.1 has no exact binary
form); adding or comparing two currencies is an error, never a conversion. Rounding is always
asked for, with a :class:`Rounding` that says how (half-up, half-even — banker's —, up away from
zero, down towards zero), to how many decimals (the currency's minor unit by default) and where
it applies (each rating increment, each record, or each invoice line), so a price per minute
charged per second rounds where the tariff says and nowhere else.

Splitting an amount between parties (:meth:`Money.allocate`) works in minor units with the
largest-remainder rule, so the parts always add up to the whole exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, ROUND_UP, Decimal
from enum import StrEnum
from typing import Annotated, Any, Final

from pydantic import Field, StringConstraints, field_validator

from servanda.core.records import record

MINOR_UNITS: Final[dict[str, int]] = {
    "BHD": 3, "CLP": 0, "IQD": 3, "ISK": 0, "JOD": 3, "JPY": 0, "KRW": 0, "KWD": 3,
    "LYD": 3, "OMR": 3, "PYG": 0, "TND": 3, "UGX": 0, "VND": 0, "XAF": 0, "XOF": 0,
}  # fmt: skip
"""Currencies whose minor unit is not the cent (ISO 4217); every other has 2 decimals."""

Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
"""An ISO 4217 alphabetic code, e.g. ``EUR``."""


def minor_unit(currency: str) -> int:
    """Decimals of ``currency``'s minor unit (2 for most, 0 for JPY, 3 for KWD)."""
    return MINOR_UNITS.get(currency, 2)


class RoundingMethod(StrEnum):
    """How a value is brought to a number of decimals."""

    HALF_UP = "half_up"
    """Halves away from zero: 0.125 → 0.13, −0.125 → −0.13."""
    HALF_EVEN = "half_even"
    """Halves to the even neighbour (banker's rounding): 0.125 → 0.12, 0.135 → 0.14."""
    UP = "up"
    """Away from zero: 0.121 → 0.13 (a partly used increment is charged whole)."""
    DOWN = "down"
    """Towards zero: 0.129 → 0.12."""


_DECIMAL_MODE: Final = {
    RoundingMethod.HALF_UP: ROUND_HALF_UP,
    RoundingMethod.HALF_EVEN: ROUND_HALF_EVEN,
    RoundingMethod.UP: ROUND_UP,
    RoundingMethod.DOWN: ROUND_DOWN,
}


class RoundingPoint(StrEnum):
    """Where rounding applies."""

    INCREMENT = "increment"
    """Each rated increment's cost (CGRateS rounds every increment before summing)."""
    RECORD = "record"
    """Each rated record's total."""
    LINE = "line"
    """Each invoice line."""


@record
class Rounding:
    """How, to how many decimals and where an amount is rounded."""

    method: RoundingMethod = RoundingMethod.HALF_UP
    decimals: int | None = Field(default=None, ge=0, le=12)
    """None: the currency's minor unit."""
    point: RoundingPoint = RoundingPoint.LINE

    def apply(self, value: Decimal, currency: str) -> Decimal:
        """``value`` rounded by this rule in ``currency``."""
        places = self.decimals if self.decimals is not None else minor_unit(currency)
        return value.quantize(Decimal(1).scaleb(-places), _DECIMAL_MODE[self.method])


@record
class Money:
    """An exact amount in one currency."""

    amount: Decimal
    currency: Currency

    @field_validator("amount", mode="before")
    @classmethod
    def _exact(cls, value: Any) -> Any:
        if isinstance(value, float):
            raise ValueError("money is exact: write the amount as text or a Decimal, not a float")
        if isinstance(value, Decimal) and not value.is_finite():
            raise ValueError("an amount is a finite number")
        return value

    @classmethod
    def zero(cls, currency: str) -> Money:
        """No money in ``currency``."""
        return cls(Decimal(0), currency)

    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise ValueError(f"cannot combine {self.currency} and {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.amount <= other.amount

    def times(self, factor: Decimal | int) -> Money:
        """This amount × ``factor`` (exact; round it where the rule says)."""
        if isinstance(factor, float):
            raise ValueError("multiply money by a Decimal, not a float")
        return Money(self.amount * factor, self.currency)

    def rounded(self, rounding: Rounding | None = None) -> Money:
        """Rounded by ``rounding`` (half-up to the minor unit by default)."""
        rule = rounding if rounding is not None else Rounding()
        return Money(rule.apply(self.amount, self.currency), self.currency)

    def allocate(self, weights: Sequence[Decimal | int], places: int | None = None) -> list[Money]:
        """This amount (rounded to ``places`` decimals first: the minor unit by default)
        split by ``weights`` in units of that place, the leftover units going one each to
        the parts with the largest remainders (the earliest first on ties): the parts add up
        to the amount exactly."""
        if not weights or any(Decimal(w) < 0 for w in weights) or sum(map(Decimal, weights)) == 0:
            raise ValueError("allocate by non-negative weights that are not all zero")
        places = minor_unit(self.currency) if places is None else places
        whole = self.rounded(Rounding(method=RoundingMethod.HALF_UP, decimals=places))
        units = int(whole.amount.scaleb(places))
        total = sum(Decimal(w) for w in weights)
        shares = [Decimal(units) * Decimal(w) / total for w in weights]
        base = [int(s.to_integral_value(ROUND_DOWN)) for s in shares]
        left = units - sum(base)
        order = sorted(range(len(shares)), key=lambda i: (-(abs(shares[i] - base[i])), i))
        step = 1 if left >= 0 else -1
        for i in order[: abs(left)]:
            base[i] += step
        return [Money(Decimal(b).scaleb(-places), self.currency) for b in base]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"
