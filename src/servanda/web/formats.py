"""How pages write figures: percentages to three decimals, seconds as durations, budgets as
shares, instants in UTC with their zone named."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal


def figure(value: Decimal | None, unit: str) -> str:
    """A result in its unit (``99.532 %``, ``37 min``, ``4.24 ms``), or an en dash."""
    if value is None:
        return "–"
    if unit == "percent":
        return f"{value:.3f} %"
    if unit == "seconds":
        minutes = value / 60
        return f"{minutes:,.0f} min" if minutes >= 1 else f"{value:,.0f} s"
    if unit in ("bps", "bit/s"):
        return f"{value / 10**6:,.1f} Mbit/s"
    text = f"{value:,.3f}".rstrip("0").rstrip(".")
    return f"{text} {unit}" if unit not in ("", "count", "score") else text


def share(value: Decimal | None) -> str:
    """A budget's share left, as a percentage (negative: overspent)."""
    return "–" if value is None else f"{value * 100:,.0f} %"


def rate(value: Decimal | None) -> str:
    """A burn rate (1: the budget lasts exactly the period)."""
    return "–" if value is None else f"{value:,.2f}×"


def when(value: datetime | None) -> str:
    """An instant in UTC, saying so."""
    return "–" if value is None else value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


__all__ = ["figure", "rate", "share", "when"]
