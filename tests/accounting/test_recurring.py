"""Recurring fees prorated by day: a whole month pays the fee, a part month its days' share,
and the months of a subscription add up to its days."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from servanda.accounting.recurring import month_share
from servanda.accounting.tariffs import RecurringFee

FEE = RecurringFee(id="line-rental", amount=Decimal("31.00"))


def test_a_whole_month_pays_the_fee() -> None:
    assert month_share(FEE, date(2024, 4, 1), date(2023, 1, 1), None).amount == Decimal("31.00")


def test_a_subscription_from_the_10th_of_april_pays_21_of_30_days() -> None:
    share = month_share(FEE, date(2024, 4, 1), date(2024, 4, 10), None)
    assert (share.days, share.month_days) == (21, 30)
    assert share.amount == Decimal("31.00") * 21 / 30  # 21.70


def test_ending_on_the_20th_of_february_of_a_leap_year() -> None:
    share = month_share(FEE, date(2024, 2, 1), None, date(2024, 2, 20))
    assert (share.days, share.month_days, share.amount) == (19, 29, Decimal(31) * 19 / 29)


def test_without_proration_a_month_begun_is_paid_whole() -> None:
    whole = RecurringFee(id="x", amount=Decimal(10), prorate=False)
    assert month_share(whole, date(2024, 4, 1), date(2024, 4, 30), None).amount == Decimal(10)
    assert month_share(whole, date(2024, 5, 1), None, date(2024, 5, 1)).amount == Decimal(0)


@given(
    start=st.dates(min_value=date(2023, 1, 1), max_value=date(2025, 12, 31)),
    length=st.integers(1, 800),
)
def test_the_months_add_up_to_the_days(start: date, length: int) -> None:
    end = start + timedelta(days=length)
    month = start.replace(day=1)
    days = 0
    while month < end:
        days += month_share(FEE, month, start, end).days
        month = (month + timedelta(days=32)).replace(day=1)
    assert days == length
