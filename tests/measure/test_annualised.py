"""Annualised figures beside the period's: failures and downtime per year, scaled by calendar
time with a year of 365.25 days (8 766 h)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from servanda.measure.reliability import annualised_count, annualised_duration, per_year

from .test_objectives import measure, objective


def test_a_month_scales_by_365_25_over_its_days() -> None:
    assert per_year(timedelta(days=30)) * 30 == Decimal("365.25")
    assert annualised_count(1, timedelta(days=30)) == Decimal("12.2")  # 12.175
    assert annualised_count(3, timedelta(days=365.25)) == Decimal(3)
    # an hour down in 30 days is 12.175 h a year
    assert annualised_duration(timedelta(hours=1), timedelta(days=30)) == timedelta(
        hours=12, minutes=10, seconds=30
    )
    with pytest.raises(ValueError, match="nothing elapsed"):
        per_year(timedelta(0))


def test_reliability_results_carry_the_yearly_rate() -> None:
    """MTRS over 1–16 April (15 days) of the fixture: its failures and downtime, per year."""
    r = measure(objective(metric="mttr", target="4h"))
    figures = dict(r.figures)
    failures = int(figures["failures"])
    assert failures > 0
    assert figures["failures per year"] == str(
        (Decimal(failures) * Decimal("365.25") / 15).quantize(Decimal("0.1"))
    )
    assert "downtime per year" in figures
