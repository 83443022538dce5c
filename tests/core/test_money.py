"""Money: exact amounts in one currency, explicit rounding, and splits that add up."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from servanda.core.money import Money, Rounding, RoundingMethod, minor_unit

D = Decimal


def eur(text: str) -> Money:
    return Money(D(text), "EUR")


@pytest.mark.parametrize(
    ("method", "value", "expected"),
    [
        (RoundingMethod.HALF_UP, "0.125", "0.13"),
        (RoundingMethod.HALF_UP, "-0.125", "-0.13"),
        (RoundingMethod.HALF_EVEN, "0.125", "0.12"),
        (RoundingMethod.HALF_EVEN, "0.135", "0.14"),
        (RoundingMethod.UP, "0.121", "0.13"),
        (RoundingMethod.UP, "-0.121", "-0.13"),
        (RoundingMethod.DOWN, "0.129", "0.12"),
    ],
)
def test_each_rounding_method(method: RoundingMethod, value: str, expected: str) -> None:
    assert eur(value).rounded(Rounding(method=method)) == eur(expected)


def test_decimals_default_to_the_currencys_minor_unit() -> None:
    assert (minor_unit("EUR"), minor_unit("JPY"), minor_unit("KWD")) == (2, 0, 3)
    assert Money(D("100.5"), "JPY").rounded() == Money(D(101), "JPY")
    assert Money(D("1.23456"), "KWD").rounded() == Money(D("1.235"), "KWD")
    per_increment = Rounding(method=RoundingMethod.UP, decimals=4, point="increment")
    assert eur("0.016667").rounded(per_increment) == eur("0.0167")


def test_money_is_exact_and_keeps_its_currency() -> None:
    assert eur("0.10") + eur("0.20") == eur("0.30")
    assert eur("10").times(D("0.075")) == eur("0.750")
    with pytest.raises(ValueError, match="cannot combine EUR and USD"):
        eur("1") + Money(D(1), "USD")
    with pytest.raises(ValueError, match="not a float"):
        Money(0.1, "EUR")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="finite"):
        Money(D("NaN"), "EUR")
    with pytest.raises(ValueError, match="pattern"):
        Money(D(1), "euro")
    assert str(eur("12.30")) == "12.30 EUR"


def test_a_split_adds_up_and_gives_the_leftover_cents_to_the_largest_remainders() -> None:
    assert eur("100").allocate([1, 1, 1]) == [eur("33.34"), eur("33.33"), eur("33.33")]
    assert eur("0.05").allocate([70, 30]) == [eur("0.04"), eur("0.01")]  # 3.5 and 1.5 cents
    assert eur("-10").allocate([1, 2]) == [eur("-3.33"), eur("-6.67")]
    with pytest.raises(ValueError, match="weights"):
        eur("1").allocate([0, 0])


@given(
    st.decimals(min_value=D("-1e9"), max_value=D("1e9"), places=2),
    st.lists(st.integers(0, 1000), min_size=1, max_size=12).filter(lambda w: sum(w) > 0),
)
def test_splits_always_add_up_to_the_whole(amount: Decimal, weights: list[int]) -> None:
    parts = eur(str(amount)).allocate(weights)
    assert sum((p.amount for p in parts), D(0)) == amount
    assert all(p.amount == p.amount.quantize(D("0.01")) for p in parts)
    exact = [amount * w / sum(weights) for w in weights]
    assert all(abs(p.amount - e) < D("0.01") for p, e in zip(parts, exact, strict=True))
