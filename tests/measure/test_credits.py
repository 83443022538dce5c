"""Service credits: tiers, cap, claims, exact amounts and proration."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from servanda.agreements.metrics import Metric, Unit
from servanda.agreements.model import ClaimMode, Comparator, CreditSchedule, CreditTier
from servanda.core.money import Money
from servanda.measure.credits import credit_for, prorated_charge
from servanda.measure.results import Credit, ObjectiveResult, Verdict

START = datetime(2024, 3, 31, 22, tzinfo=UTC)  # 2024-04-01 00:00 in Europe/Paris
END = datetime(2024, 4, 30, 22, tzinfo=UTC)
SCHEDULE = CreditSchedule(
    tiers=(
        CreditTier(below=Decimal("99.9"), credit=Decimal(10)),
        CreditTier(below=Decimal(99), credit=Decimal(25)),
        CreditTier(below=Decimal(95), credit=Decimal(100)),
    ),
    cap=Decimal(50),
    claim=ClaimMode.ON_CLAIM,
    claim_within=timedelta(days=30),
)


def result(actual: str | None, objective: str = "availability") -> ObjectiveResult:
    return ObjectiveResult(
        objective=objective,
        metric=Metric.AVAILABILITY,
        target=Decimal("99.5"),
        comparator=Comparator.GE,
        unit=Unit.PERCENT,
        verdict=Verdict.NO_DATA if actual is None else Verdict.MET,
        actual=None if actual is None else Decimal(actual),
    )


def credit(actual: str | None, charge: str | None = "1234.57") -> Credit | None:
    return credit_for(
        SCHEDULE,
        [result(actual)],
        customer="globex",
        service="internet",
        period_start=START,
        period_end=END,
        monthly_charge=None if charge is None else Decimal(charge),
        currency="EUR",
    )


def test_no_tier_reached_no_credit() -> None:
    assert credit("99.95") is None
    assert credit("99.9") is None  # "below 99.9" is strict


def test_the_lowest_threshold_below_wins() -> None:
    found = credit("99.62")
    assert found is not None
    assert (found.tier_below, found.percent) == (Decimal("99.9"), Decimal(10))
    # 1234.57 × 10 % = 123.457 → 123.46 (half-up, on the line)
    assert found.amount == Decimal("123.46")
    assert found.money == Money(Decimal("123.46"), "EUR")
    assert found.claim_by == END + timedelta(days=30)
    assert "99.62 %" in found.reason
    assert "below the 99.9 % tier" in found.reason


def test_the_cap_limits_the_percentage() -> None:
    found = credit("94")
    assert found is not None
    assert (found.tier_below, found.percent) == (Decimal(95), Decimal(50))
    assert found.amount == Decimal("617.29")  # 617.285 → 617.29
    assert "(capped)" in found.reason


def test_without_a_charge_the_percentage_alone() -> None:
    found = credit("98", charge=None)
    assert found is not None
    assert (found.percent, found.amount, found.charge) == (Decimal(25), None, None)


def test_no_figure_no_credit() -> None:
    assert credit(None) is None
    other = credit_for(
        SCHEDULE, [result("90", "weighted-availability")], customer="c", service=None,
        period_start=START, period_end=END,
    )  # fmt: skip
    assert other is None


def test_proration_by_days_of_each_month() -> None:
    monthly = Decimal(3100)
    assert prorated_charge(monthly, (date(2024, 5, 1), date(2024, 6, 1))) == monthly
    # 10 days of May (31 days) = 1000
    assert prorated_charge(monthly, (date(2024, 5, 22), date(2024, 6, 1))) == Decimal(1000)
    # a quarter of three months is three monthly charges
    quarter = prorated_charge(Decimal(300), (date(2024, 4, 1), date(2024, 7, 1)))
    assert quarter == Decimal(900)
    # 2 days of February 2024 (29 days) + 1 day of March (31 days)
    mixed = prorated_charge(Decimal(2900), (date(2024, 2, 28), date(2024, 3, 2)))
    assert mixed == Decimal(200) + Decimal(2900) / Decimal(31)


def test_the_reason_rounds_the_figure_for_people_but_the_credit_keeps_it_exact() -> None:
    exact = Decimal(2_288_850) / Decimal(2_296_800) * 100  # 99.653866...
    found = credit_for(
        SCHEDULE, [result(str(exact))], customer="c", service=None,
        period_start=START, period_end=END,
    )  # fmt: skip
    assert found is not None
    assert found.actual == exact
    assert "was 99.653 % against" in found.reason


def test_a_credit_below_the_minimum_amount_is_not_granted() -> None:
    """As published schedules say: credits under the minimum are not issued."""
    schedule = replace(SCHEDULE, minimum_amount=Decimal("124.00"))

    def under(actual: str, charge: str) -> Credit | None:
        return credit_for(
            schedule, [result(actual)], customer="globex", service="internet",
            period_start=START, period_end=END, monthly_charge=Decimal(charge), currency="EUR",
        )  # fmt: skip

    assert under("99.62", "1234.57") is None  # 123.46 < 124.00
    granted = under("99.62", "1240.00")  # exactly 124.00: granted
    assert granted is not None
    assert granted.amount == Decimal("124.00")
    # Without a charge there is no amount to compare: the percentage stands.
    no_charge = credit_for(schedule, [result("99.62")], customer="g", service=None,
                           period_start=START, period_end=END)  # fmt: skip
    assert no_charge is not None
    assert no_charge.percent == Decimal(10)
    with pytest.raises(ValueError, match="greater than or equal to 0"):
        CreditSchedule(tiers=SCHEDULE.tiers, minimum_amount=Decimal(-1))


def test_an_amount_is_rounded_to_its_currencys_minor_unit() -> None:
    """12,345 JPY × 10 % = 1,234.5 yen → 1,235 (the yen has no minor unit); 1.2345 KWD × 10 %
    = 0.12345 → 0.123 (three decimals)."""

    def in_currency(charge: str, currency: str) -> Decimal | None:
        found = credit_for(
            SCHEDULE, [result("99.62")], customer="globex", service="internet",
            period_start=START, period_end=END, monthly_charge=Decimal(charge),
            currency=currency,
        )  # fmt: skip
        assert found is not None
        return found.amount

    assert in_currency("12345", "JPY") == Decimal(1235)
    assert in_currency("1.2345", "KWD") == Decimal("0.123")
    assert in_currency("1234.57", "EUR") == Decimal("123.46")
