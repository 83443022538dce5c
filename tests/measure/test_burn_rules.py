"""Burn-rate rules as the references compute them: factors derived from the share of the budget
the long window may consume (Sloth), windows scaled to the SLO period (Pyrra), and a ``for:``
duration (Prometheus alerting rules)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import numpy as np
import pytest

from servanda.agreements.model import BurnRateRule, Objective, scaled_burn_rates
from servanda.core.intervals import to_us
from servanda.core.records import from_jsonable
from servanda.measure.burn import burn_warnings

H, M, D = timedelta(hours=1), timedelta(minutes=1), timedelta(days=1)


def rule(long: timedelta, short: timedelta, share: str) -> BurnRateRule:
    return BurnRateRule(long=long, short=short, budget_consumed=Decimal(share))


@pytest.mark.parametrize(
    ("period", "expected"),
    [
        # Sloth's default windows (2 % in 1 h, 5 % in 6 h page; 10 % in 1 d, 10 % in 3 d ticket)
        # and the factors its generated rules carry for a 30-day and a 28-day SLO.
        (30 * D, ("14.4", "6", "3", "1")),
        (28 * D, ("13.44", "5.6", "2.8", "0.9333333333333333333333333333")),
    ],
)
def test_factors_are_the_share_of_the_budget_consumed_in_the_long_window(
    period: timedelta, expected: tuple[str, ...]
) -> None:
    rules = (rule(H, 5 * M, "2"), rule(6 * H, 30 * M, "5"), rule(D, 2 * H, "10"),
             rule(3 * D, 6 * H, "10"))  # fmt: skip
    assert tuple(r.factor_over(period) for r in rules) == tuple(Decimal(e) for e in expected)


def test_the_default_rules_follow_the_objectives_period() -> None:
    month = from_jsonable(Objective, {"metric": "availability", "target": "99.9%"})
    assert [r.factor for r in month.burn_rules()] == [Decimal("14.4"), Decimal(6), Decimal(1)]
    week = from_jsonable(
        Objective, {"metric": "availability", "target": "99.9%", "period": "rolling 7d"}
    )
    assert [r.factor for r in week.burn_rules()] == [
        Decimal("3.36"), Decimal("1.4"), Decimal("0.2333333333333333333333333333"),
    ]  # fmt: skip
    quarter = from_jsonable(Objective, {"metric": "availability", "target": "99.9%",
                                        "period": "quarter"})  # fmt: skip
    assert [r.factor for r in quarter.burn_rules()] == [Decimal("43.2"), Decimal(18), Decimal(3)]


def test_pyrra_scales_its_four_windows_to_the_period() -> None:
    """Pyrra's table for a 28-day window (slo/rules.go), and the same formulas at 7 days."""
    found = [(r.long, r.short, r.hold, r.factor, r.severity) for r in scaled_burn_rates(28 * D)]
    assert found == [
        (H, 5 * M, 2 * M, Decimal(14), "critical"),
        (6 * H, 30 * M, 15 * M, Decimal(7), "critical"),
        (D, 2 * H, H, Decimal(2), "warning"),
        (4 * D, 6 * H, 3 * H, Decimal(1), "warning"),
    ]
    week = [(r.long, r.short, r.hold) for r in scaled_burn_rates(7 * D)]
    assert week == [(15 * M, M, M), (90 * M, 8 * M, 4 * M), (6 * H, 30 * M, 15 * M),
                    (D, 90 * M, 45 * M)]  # fmt: skip
    written = {"metric": "availability", "target": "99.9%", "period": "rolling 28d",
               "burn_windows": "scaled"}  # fmt: skip
    scaled = from_jsonable(Objective, written)
    assert scaled.burn_rules() == scaled_burn_rates(28 * D)


def test_a_rule_is_written_with_a_factor_or_a_share_and_for() -> None:
    written = from_jsonable(BurnRateRule, {"long": "1h", "short": "5m", "budget_consumed": "2%",
                                           "for": "2m"})  # fmt: skip
    assert (written.budget_consumed, written.hold) == (Decimal(2), 2 * M)
    with pytest.raises(ValueError, match="not both"):
        from_jsonable(BurnRateRule, {"long": "1h", "short": "5m", "factor": 14,
                                     "budget_consumed": "2%"})  # fmt: skip
    with pytest.raises(ValueError, match="not both"):
        from_jsonable(BurnRateRule, {"long": "1h", "short": "5m"})


def test_for_holds_the_warning_back_until_the_condition_has_lasted() -> None:
    """A full outage from minute 10 of a 99.9 % objective: the 1 h / 5 m rule at 14.4 fires
    from the first complete bad minute (10:11); with ``for: 5m`` from 10:16, and a blip
    shorter than the hold raises nothing."""
    t0 = datetime(2024, 4, 2, 10, 0, tzinfo=UTC)
    starts = np.array([to_us(t0 + k * M) for k in range(-60, 60)], dtype=np.int64)
    bad = np.array([60_000_000 if k >= 10 else 0 for k in range(-60, 60)], dtype=np.int64)
    total = np.full(starts.size, 60_000_000, dtype=np.int64)
    instants = starts + 60_000_000
    plain = BurnRateRule(long=H, short=5 * M, factor=Decimal("14.4"))
    held = BurnRateRule(long=H, short=5 * M, factor=Decimal("14.4"), hold=5 * M)
    (now,) = burn_warnings(starts, bad, total, instants, Decimal("99.9"), [plain])
    (later,) = burn_warnings(starts, bad, total, instants, Decimal("99.9"), [held])
    assert now.raised_at == t0 + 11 * M
    assert later.raised_at == t0 + 16 * M
    # One bad minute keeps the short window over the threshold for 5 instants (10:11–10:15):
    # 4 minutes, less than the hold.
    blip = np.where(starts == to_us(t0 + 10 * M), bad, 0)
    assert burn_warnings(starts, blip, total, instants, Decimal("99.9"), [held]) == ()


def test_time_to_exhaustion() -> None:
    from servanda.measure.burn import exhaustion

    # 788 s left of a 99.9 % budget at 14.4×: 788 / 0.0144 = 54 722 s.
    assert exhaustion(Decimal(788), Decimal("14.4"), Decimal("99.9")) == timedelta(seconds=54722)
    assert exhaustion(Decimal(-5), Decimal(2), Decimal("99.9")) == timedelta(0)  # spent
    assert exhaustion(Decimal(10), Decimal(0), Decimal("99.9")) is None
    assert exhaustion(Decimal(10), Decimal(3), Decimal(100)) is None
