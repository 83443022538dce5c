"""The effective-bandwidth tariff: its numbers checked apart, its limits, and its incentive to
declare the true mean rate."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal, localcontext

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from pydantic import ValidationError

from servanda.accounting.effective_bandwidth import (
    PRECISION,
    EffectiveBandwidthTariff,
    charge_connection,
    coefficients,
)
from servanda.core.money import Money, Rounding, RoundingPoint

D = Decimal
MBIT_HOUR = D(3_600_000_000)
"""Bits of effective volume in one Mbit/s held one hour."""

TARIFF = EffectiveBandwidthTariff(
    peak_rate=D(2_000_000), space=D("1e-6"), time_scale=D(1), price=D(1), per=MBIT_HOUR,
    fixed_charge=D("0.05"), currency="EUR",
)  # fmt: skip


@pytest.fixture(autouse=True)
def sixty_digits() -> Iterator[None]:
    """The tests' own arithmetic in 60 digits (Python's default is 28), so their expected
    values are not rounded below the module's 34."""
    with localcontext() as context:
        context.prec = 60
        yield


def reference(tariff: EffectiveBandwidthTariff, m: Decimal) -> tuple[Decimal, Decimal, Decimal]:
    """α, b and a from the formula rearranged (α = (ln(h + m(E − 1)) − ln h) / (s·t)) and
    computed with 200 digits, apart from the module."""
    with localcontext() as context:
        context.prec = 200
        h, st = tariff.peak_rate, tariff.space * tariff.time_scale
        e = (st * h).exp()
        alpha = ((h + m * (e - 1)).ln() - h.ln()) / st
        b = (e - 1) / (st * (h + m * (e - 1)))
        return alpha, b, alpha - m * b


def close(a: Decimal, b: Decimal, relative: str, scale: Decimal | None = None) -> bool:
    """|a − b| ≤ relative × |scale| (scale: b)."""
    with localcontext() as context:
        context.prec = 60
        return abs(a - b) <= D(relative) * abs(scale if scale is not None else b)


def test_coefficients_match_a_computation_apart() -> None:
    found = coefficients(TARIFF, 500_000)
    # α(500 kbit/s) to 36 digits, from the rearranged formula at 60 digits
    assert close(found.alpha, D("954458.592793240546539236614693753748"), "1e-30")
    for m in (D(1), D(500_000), D("1234567.891"), D(2_000_000)):
        alpha, b, a = reference(TARIFF, m)
        found = coefficients(TARIFF, m)
        assert close(found.alpha, alpha, "1e-30")
        assert close(found.b, b, "1e-30")
        assert close(found.a, a, "1e-30", scale=alpha)  # a = α − m·b: to α's digits


def test_coefficients_match_floats_from_math() -> None:
    h, s, t, m = 2e6, 1e-6, 1.0, 500_000.0
    e = math.exp(s * h * t)
    alpha = math.log1p(m / h * (e - 1)) / (s * t)
    b = (e - 1) / (s * t * h * (1 + m / h * (e - 1)))
    found = coefficients(TARIFF, 500_000)
    assert float(found.alpha) == pytest.approx(alpha, rel=1e-13)
    assert float(found.b) == pytest.approx(b, rel=1e-13)
    assert float(found.a) == pytest.approx(alpha - m * b, rel=1e-12)


def test_a_worked_connection() -> None:
    # one hour at a declared and real 500 kbit/s: price × α(m) × T / per + c
    found = charge_connection(TARIFF, mean=500_000, duration=3600, volume=500_000 * 3600)
    assert found.coefficients == coefficients(TARIFF, 500_000)
    assert close(found.time_part, D("0.339479133823115399949828415730836890"), "1e-30")
    assert close(found.volume_part, D("0.614979458970125146589408198962916857"), "1e-30")
    assert found.fixed_part == D("0.05")
    assert close(found.total, found.time_part + found.volume_part + found.fixed_part, "1e-33")
    assert close(found.total, D("1.004458592793240546539236614693753748"), "1e-30")
    assert found.rounded() == Money(D("1.00"), "EUR")
    assert found.rounded(Rounding(point=RoundingPoint.INCREMENT)) == Money(D("1.00"), "EUR")
    assert found.money == Money(found.total, "EUR")


def test_results_carry_the_stated_precision() -> None:
    found = coefficients(TARIFF, 500_000)
    assert len(found.alpha.as_tuple().digits) == PRECISION
    again = charge_connection(TARIFF, mean=D(500_000), duration=D(3600), volume=D(1_800_000_000))
    assert again == charge_connection(TARIFF, mean=500_000, duration=timedelta(hours=1),
                                      volume=1_800_000_000)  # fmt: skip


def test_the_peak_rate_costs_its_peak() -> None:
    found = coefficients(TARIFF, TARIFF.peak_rate)
    h = TARIFF.peak_rate
    assert close(found.alpha, h, "1e-32")
    assert close(found.a + found.b * h, h, "1e-32")
    # a(h) = h − h(E − 1)/(s·t·h·E)·h, b(h) = (1 − e^−sht)/(s·t·h) with s·h·t = 2
    assert close(found.b, (1 - D(-2).exp()) / 2, "1e-32")


def test_a_vanishing_mean_has_a_vanishing_effective_bandwidth() -> None:
    h = TARIFF.peak_rate
    b0 = (D(2).exp() - 1) / 2  # b(0) = (E − 1) / (s·t·h)
    previous = None
    for exponent in (3, 10, 20, 30):
        m = h * D(10) ** -exponent
        found = coefficients(TARIFF, m)
        assert 0 < found.alpha < m * b0  # α is concave: below its tangent at 0
        alpha, b, a = reference(TARIFF, m)  # all 34 digits, however small m / h
        assert close(found.alpha, alpha, "1e-32")
        assert close(found.a, a, "1e-32")
        assert close(found.b, b, "1e-32")
        assert close(found.alpha / m, b0, str(D(10) ** (2 - exponent)))
        assert found.a >= 0
        if previous is not None:
            assert found.alpha < previous
        previous = found.alpha


def test_b_falls_and_a_rises_with_the_mean() -> None:
    means = [TARIFF.peak_rate * D(k) / 10 for k in range(1, 11)]
    found = [coefficients(TARIFF, m) for m in means]
    assert all(x.b > y.b for x, y in itertools.pairwise(found))
    assert all(x.a < y.a for x, y in itertools.pairwise(found))


@given(
    st.decimals(min_value=1, max_value=10**10, places=0),
    st.integers(-15, 2), st.decimals(min_value="0.1", max_value=9, places=3),
    st.integers(-25, 0), st.decimals(min_value="0.1", max_value=1, places=3),
)  # fmt: skip
def test_every_digit_holds_for_small_rates_and_small_space(
    h: Decimal, sht_exponent: int, sht_digits: Decimal, m_exponent: int, m_digits: Decimal
) -> None:
    sht = sht_digits.scaleb(sht_exponent)
    tariff = EffectiveBandwidthTariff(peak_rate=h, space=sht / h, time_scale=D(1), price=D(1),
                                      currency="EUR")  # fmt: skip
    m = min(h, h * m_digits.scaleb(m_exponent))
    found = coefficients(tariff, m)
    alpha, b, a = reference(tariff, m)
    assert close(found.alpha, alpha, "1e-32")
    assert close(found.b, b, "1e-32")
    assert close(found.a, a, "1e-31")  # a, small as it gets, keeps its own digits


# --- the incentive ---------------------------------------------------------------------------

fractions = st.decimals(min_value="0.000001", max_value=1, places=6)


@st.composite
def tariffs(draw: st.DrawFn) -> EffectiveBandwidthTariff:
    h = draw(st.decimals(min_value=1, max_value=10**10, places=0))
    t = draw(st.decimals(min_value="0.01", max_value=10, places=2))
    sht = draw(st.decimals(min_value="0.001", max_value=50, places=3))
    return EffectiveBandwidthTariff(
        peak_rate=h, space=sht / (h * t), time_scale=t, currency="EUR",
        price=draw(st.decimals(min_value="0.001", max_value=100, places=3)),
        per=draw(st.sampled_from([D(1), MBIT_HOUR])),
        fixed_charge=draw(st.decimals(min_value=0, max_value=1, places=2)),
    )  # fmt: skip


@given(tariffs(), fractions, fractions, st.integers(1, 10**6))
def test_declaring_the_true_mean_costs_least(
    tariff: EffectiveBandwidthTariff, real: Decimal, declared: Decimal, seconds: int
) -> None:
    assume(real != declared)
    h = tariff.peak_rate
    x, m = h * real, h * declared
    honest = charge_connection(tariff, mean=x, duration=seconds, volume=x * seconds)
    other = charge_connection(tariff, mean=m, duration=seconds, volume=x * seconds)
    # 34 digits on amounts of at most price·h·T/per + c: ties are within this
    scale = tariff.price * h * seconds / tariff.per + tariff.fixed_charge
    noise = D("1e-30") * scale
    assert other.total >= honest.total - noise
    if abs(real - declared) >= D("0.000001"):
        # the tangent's gap ≈ ½·s·t·b(ξ)²·(m − x)²·T·price/per: far above the noise
        assert other.total > honest.total + noise
    # the honest connection pays its effective bandwidth exactly
    paid = tariff.price * honest.coefficients.alpha * seconds / tariff.per + tariff.fixed_charge
    assert close(honest.total, paid, "1e-30", scale=scale)


# --- validation ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [("peak_rate", 0), ("peak_rate", -1), ("space", 0), ("time_scale", 0), ("price", -1),
     ("per", 0), ("fixed_charge", "-0.01"), ("peak_rate", "Infinity")],
)  # fmt: skip
def test_tariff_parameters_are_validated(field: str, value: object) -> None:
    data = {"peak_rate": 1, "space": 1, "time_scale": 1, "price": 1, "currency": "EUR"}
    with pytest.raises(ValidationError, match=field):
        EffectiveBandwidthTariff(**(data | {field: value}))  # type: ignore[arg-type]


@pytest.mark.parametrize("mean", [0, D("2000000.001"), 3_000_000])
def test_the_declared_mean_is_above_zero_and_at_most_the_peak(mean: Decimal) -> None:
    with pytest.raises(ValueError, match="must be above 0 and at most the peak rate 2000000"):
        charge_connection(TARIFF, mean=mean, duration=1, volume=1)


def test_inputs_are_exact_and_not_negative() -> None:
    with pytest.raises(ValueError, match="a mean rate must be a finite number of zero or more"):
        coefficients(TARIFF, -1)
    with pytest.raises(ValueError, match="a duration must be"):
        charge_connection(TARIFF, mean=1, duration=timedelta(seconds=-1), volume=1)
    with pytest.raises(ValueError, match="a volume must be"):
        charge_connection(TARIFF, mean=1, duration=1, volume=-8)
    with pytest.raises(TypeError, match="not float"):
        charge_connection(TARIFF, mean=1.5, duration=1, volume=1)  # type: ignore[arg-type]
