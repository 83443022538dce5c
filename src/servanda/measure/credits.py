"""Service credits from an agreement's credit schedule.

A schedule names the objective it follows (``availability`` by default; an agreement may follow
``weighted_availability`` instead) and its tiers: "below 99.9 % → 10 %, below 99 % → 25 %, below
95 % → 100 %". The tier reached is the lowest threshold the actual figure is below; the credit is
that tier's percentage, capped by the schedule's cap, of the period's charge for the service. A
credit whose amount comes below the schedule's ``minimum_amount`` is not granted.

Amounts are exact: ``charge × percent / 100`` rounded half-up to the currency's minor unit (the
cent; the yen for JPY; :mod:`servanda.core.money`), once, on the credit line, which is where
invoices show it. A monthly charge is taken whole for a
calendar month; for another period it is prorated by the share of the period's days in the
month(s) it covers, computed on days so that a month of 30 or 31 days is one month.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta
from decimal import ROUND_DOWN, Decimal

from servanda.agreements.model import ClaimMode, CreditSchedule
from servanda.core.money import Rounding, RoundingMethod, RoundingPoint
from servanda.measure.results import Credit, ObjectiveResult, Verdict

LINE_ROUNDING = Rounding(method=RoundingMethod.HALF_UP, point=RoundingPoint.LINE)
"""Credits are rounded once, half-up, to the currency's minor unit, on the credit line."""


def credit_for(
    schedule: CreditSchedule,
    results: tuple[ObjectiveResult, ...] | list[ObjectiveResult],
    *,
    customer: str,
    service: str | None,
    period_start: datetime,
    period_end: datetime,
    local_days: tuple[date, date] | None = None,
    monthly_charge: Decimal | None = None,
    currency: str | None = None,
) -> Credit | None:
    """The credit ``schedule`` grants for ``results`` (one service of one customer, one period),
    or None when no tier is reached, the followed objective has no figure, or the amount is
    below the schedule's minimum.

    ``local_days`` is the period as local dates ``[first, after_last)`` in the calendar's
    timezone, used to prorate ``monthly_charge`` when the period is not one calendar month.
    """
    result = next((r for r in results if r.objective == schedule.objective), None)
    if result is None or result.actual is None or result.verdict is Verdict.NO_DATA:
        return None
    tier = schedule.tier_for(result.actual)
    if tier is None:
        return None
    percent = min(tier.credit, schedule.cap)
    charge = None
    if monthly_charge is not None:
        charge = prorated_charge(monthly_charge, local_days)
    amount = None if charge is None else LINE_ROUNDING.apply(charge * percent / 100, currency or "")
    if amount is not None and amount < schedule.minimum_amount:
        return None
    claim_by = None
    if schedule.claim is ClaimMode.ON_CLAIM and schedule.claim_within is not None:
        claim_by = period_end + schedule.claim_within
    capped = " (capped)" if tier.credit > schedule.cap else ""
    reason = (
        f"{result.objective} was {_pct(result.actual)} against a target of "
        f"{_pct(result.target)}: below the {_pct(tier.below)} tier, "
        f"{_pct(percent)} of the charge{capped}"
    )
    return Credit(
        customer=customer,
        service=service,
        period_start=period_start,
        period_end=period_end,
        objective=result.objective,
        actual=result.actual,
        target=result.target,
        tier_below=tier.below,
        percent=percent,
        reason=reason,
        claim=schedule.claim,
        claim_by=claim_by,
        charge=charge,
        amount=amount,
        currency=currency,
    )


def prorated_charge(monthly: Decimal, local_days: tuple[date, date] | None) -> Decimal:
    """``monthly`` for the local days ``[first, after_last)``: whole for one calendar month, else
    each day weighs 1/(days of its month). Not rounded (the credit amount is)."""
    if local_days is None:
        return monthly
    first, after = local_days
    if first.day == 1 and after == _next_month(first):
        return monthly
    total = Decimal(0)
    day = first
    while day < after:
        month_end = min(after, _next_month(day))
        days_in_month = calendar.monthrange(day.year, day.month)[1]
        total += monthly * Decimal((month_end - day).days) / Decimal(days_in_month)
        day = month_end
    return total


def _next_month(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


def _pct(value: Decimal) -> str:
    """A percentage for people: at most three decimals, rounded towards zero (so an actual
    just below a threshold never prints as the threshold itself); the credit keeps the exact
    figure."""
    shown = value.quantize(Decimal("0.001"), ROUND_DOWN)
    text = format(shown.normalize(), "f")
    return f"{text} %"
