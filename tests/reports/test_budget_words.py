"""The budget in words names both conventions when they differ (a period still running whose
margin is more than the time it has left)."""

from __future__ import annotations

from decimal import Decimal

from servanda.measure.budget import time_budget
from servanda.reports.sla_view import budget_sentence

MONTH_S = Decimal(30 * 86400)


def test_a_minute_before_the_end_only_a_minute_can_still_fail() -> None:
    text = budget_sentence(time_budget(Decimal("99.9"), MONTH_S, MONTH_S - 60, Decimal(1804)))
    assert "13 min 8 s are left" in text
    assert "Only 1 min of the period remain" in text
    assert "(Zabbix's convention)" in text
    assert "(Servanda's)" in text


def test_one_convention_when_they_agree() -> None:
    half = budget_sentence(time_budget(Decimal("99.9"), MONTH_S, MONTH_S / 2, Decimal(1296)))
    done = budget_sentence(time_budget(Decimal("99.9"), MONTH_S, MONTH_S, Decimal(100)))
    assert "Zabbix" not in half
    assert "Zabbix" not in done
