"""Error budgets worked out by hand: time, events and slices."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from servanda.measure.budget import event_budget, slice_budget, time_budget
from servanda.measure.results import Budget

MONTH_S = Decimal(30 * 86400)  # 2 592 000 agreed seconds in a 30-day month, all agreed


def test_time_budget_half_way_at_burn_rate_one() -> None:
    # 99.9 %: 0.1 % of 2 592 000 s = 2592 s (43 min 12 s) allowed for the month.
    # Half the month gone (1 296 000 s) with 1296 s down: half the budget left, burn rate 1.
    budget = time_budget(Decimal("99.9"), MONTH_S, MONTH_S / 2, Decimal(1296))
    assert budget == Budget(
        unit="seconds",
        allowed=Decimal(2592),
        consumed=Decimal(1296),
        remaining=Decimal(1296),
        remaining_share=Decimal("0.5"),
        burn_rate=Decimal(1),
        left_in_period=Decimal(1296),  # half a month to come: the cap does not bite
    )


def test_the_budget_left_in_the_period_is_capped_by_the_time_to_come() -> None:
    """Zabbix's convention beside ours: 60 s before the end of a month whose 99.9 % budget
    allows 2592 s with 1804 s spent, 788 s is the margin (ours) but only 60 s can still fail."""
    budget = time_budget(Decimal("99.9"), MONTH_S, MONTH_S - 60, Decimal(1804))
    assert budget.remaining == Decimal(788)
    assert budget.left_in_period == Decimal(60)
    over = time_budget(Decimal("99.9"), MONTH_S, MONTH_S, Decimal(3000))
    assert over.left_in_period == over.remaining == Decimal(-408)  # exhausted: negative
    done = time_budget(Decimal("99.9"), MONTH_S, MONTH_S, Decimal(100))
    assert done.left_in_period == 0  # the period is over: nothing more can fail
    assert event_budget(Decimal(99), good=990, total=1000).left_in_period is None
    assert event_budget(Decimal(99), 990, 1000, expected_total=1500).left_in_period == 5


def test_time_budget_spent_fast() -> None:
    # 99.5 % of 100 000 s allows 500 s; 10 000 s elapsed with 200 s down:
    # observed 2 %, allowed 0.5 % → burn rate 4; remaining 300 s (60 %).
    budget = time_budget(Decimal("99.5"), Decimal(100_000), Decimal(10_000), Decimal(200))
    assert budget.allowed == 500
    assert budget.remaining == 300
    assert budget.remaining_share == Decimal("0.6")
    assert budget.burn_rate == 4


def test_time_budget_exhausted_goes_negative() -> None:
    budget = time_budget(Decimal(99), Decimal(1000), Decimal(1000), Decimal(25))
    assert budget.allowed == 10
    assert budget.remaining == -15
    assert budget.remaining_share == Decimal("-1.5")
    assert budget.burn_rate == Decimal("2.5")


def test_time_budget_at_period_end_is_end_of_period_definition() -> None:
    # Once the period is over, "remaining from now" and "left at the end" are one number.
    budget = time_budget(Decimal("99.9"), MONTH_S, MONTH_S, Decimal(1000))
    assert budget.remaining == Decimal(2592) - 1000


def test_hundred_percent_allows_nothing() -> None:
    budget = time_budget(Decimal(100), MONTH_S, MONTH_S / 2, Decimal(60))
    assert budget.allowed == 0
    assert budget.consumed == 60
    assert budget.remaining == -60
    assert budget.remaining_share is None
    assert budget.burn_rate is None


def test_nothing_elapsed_has_no_burn_rate() -> None:
    budget = time_budget(Decimal("99.9"), MONTH_S, Decimal(0), Decimal(0))
    assert budget.allowed == 2592
    assert budget.remaining_share == 1
    assert budget.burn_rate is None


def test_non_terminating_burn_rate_is_one_rounding() -> None:
    # 1 s down in 3 s at 99 %: (1/3)/0.01 = 33.33… to 28 significant digits.
    budget = time_budget(Decimal(99), Decimal(300), Decimal(3), Decimal(1))
    assert budget.burn_rate == Decimal(100) / Decimal(3)
    assert str(budget.burn_rate) == "33.33333333333333333333333333"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((Decimal("100.1"), MONTH_S, MONTH_S, Decimal(0)), "between 0 and 100"),
        ((Decimal("NaN"), MONTH_S, MONTH_S, Decimal(0)), "between 0 and 100"),
        ((Decimal(99), MONTH_S, MONTH_S + 1, Decimal(0)), "more than the whole period"),
        ((Decimal(99), MONTH_S, Decimal(10), Decimal(11)), "more failed"),
        ((Decimal(99), MONTH_S, Decimal(10), Decimal(-1)), "cannot be negative"),
    ],
)
def test_time_budget_refuses_impossible_input(args: tuple[Decimal, ...], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        time_budget(*args)


def test_event_budget_from_events_seen() -> None:
    # 99 %: 1000 events, 990 good → 10 bad of 10 allowed; burn rate (10/1000)/0.01 = 1.
    budget = event_budget(Decimal(99), good=990, total=1000)
    assert budget == Budget(
        unit="events",
        allowed=Decimal(10),
        consumed=Decimal(10),
        remaining=Decimal(0),
        remaining_share=Decimal(0),
        burn_rate=Decimal(1),
    )


def test_event_budget_from_projected_volume() -> None:
    # 5000 events expected this period → 50 allowed; 10 spent, 40 left (80 %); the burn
    # rate still reads the events seen: (10/1000)/0.01 = 1.
    budget = event_budget(Decimal(99), good=990, total=1000, expected_total=5000)
    assert budget.allowed == 50
    assert budget.remaining == 40
    assert budget.remaining_share == Decimal("0.8")
    assert budget.burn_rate == 1


def test_event_budget_refusals() -> None:
    with pytest.raises(ValueError, match="more than total"):
        event_budget(Decimal(99), good=11, total=10)
    with pytest.raises(ValueError, match="more than the whole period"):
        event_budget(Decimal(99), good=5, total=10, expected_total=9)


def test_event_budget_without_events() -> None:
    budget = event_budget(Decimal("99.9"), good=0, total=0)
    assert budget.allowed == 0
    assert budget.remaining_share is None
    assert budget.burn_rate is None


def test_slice_budget() -> None:
    # 5-minute slices over 30 days: 8640 slices; 99 % allows 86.4 bad slices.
    # 4320 slices elapsed, 50 bad: burn (50/4320)/0.01 = 1.157407…
    budget = slice_budget(Decimal(99), period_slices=8640, elapsed_slices=4320, bad_slices=50)
    assert budget.unit == "slices"
    assert budget.allowed == Decimal("86.4")
    assert budget.remaining == Decimal("36.4")
    assert budget.burn_rate == Decimal(5000) / Decimal(4320)


@given(
    target=st.decimals(min_value=0, max_value=100, places=3),
    whole=st.integers(min_value=0, max_value=10**9),
    data=st.data(),
)
def test_budget_identities(target: Decimal, whole: int, data: st.DataObject) -> None:
    elapsed = data.draw(st.integers(min_value=0, max_value=whole))
    down = data.draw(st.integers(min_value=0, max_value=elapsed))
    budget = time_budget(target, Decimal(whole), Decimal(elapsed), Decimal(down))
    assert budget.allowed == (100 - target) * whole / 100  # exact
    assert budget.remaining == budget.allowed - budget.consumed
    assert budget.consumed == down
    if budget.burn_rate is not None:
        # burn rate ≤ 1 ⇔ the observed ratio is within the allowed one
        assert (budget.burn_rate <= 1) == (down * 100 <= elapsed * (100 - target))
