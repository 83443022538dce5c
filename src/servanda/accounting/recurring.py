"""Recurring fees: a monthly amount per subscription, prorated by day for a month the
subscription begins or ends within.

The share of a month is the number of its days the subscription covers over the number of days
of the month (28 to 31), exact; the fee is rounded once, by the tariff's rounding, when it
becomes an invoice line. A subscription covering a day covers it whole (dates, not instants:
a subscription starting on the 10th pays from the 10th, one ending on the 20th pays up to the
19th, its end being exclusive).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from servanda.accounting.tariffs import RecurringFee


@dataclass(frozen=True, slots=True)
class FeeShare:
    """What one month of a recurring fee comes to."""

    fee: str
    """The fee's id."""
    month: date
    """The month's first day."""
    days: int
    """Days of the month the subscription covers."""
    month_days: int
    amount: Decimal
    """Exact, not rounded."""


def month_share(fee: RecurringFee, month: date, start: date | None, end: date | None) -> FeeShare:
    """The fee for ``month`` of a subscription from ``start`` (None: before) until ``end``
    (exclusive; None: still running)."""
    first = month.replace(day=1)
    month_days = calendar.monthrange(first.year, first.month)[1]
    after = date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    lo = max(first, start) if start else first
    hi = min(after, end) if end else after
    days = max((hi - lo).days, 0)
    if not fee.prorate:
        amount = fee.amount if days else Decimal(0)
    else:
        amount = fee.amount * days / month_days
    return FeeShare(fee.id, first, days, month_days, amount)
