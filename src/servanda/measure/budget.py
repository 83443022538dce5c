"""Error budgets: how much failure a target allows over a period, how much is spent, how fast.

With SLO = target / 100, every budget here is:

* **allowed** = (1 − SLO) × the period's *whole* denominator: its agreed seconds (time
  budgeting), its events (event budgeting) or its slices (time-sliced budgeting);
* **consumed** = what failed so far: down seconds, bad events, bad slices;
* **remaining** = allowed − consumed: **how much more may fail from now to the period's end and
  the target still be met** (negative once the budget is exhausted). This is *the* definition
  used throughout Servanda. The other definition met in the field, "the budget left at the
  period's end", projects the rest of the period; it is the same number once the period is over,
  and the only one that can be known for sure;
* **remaining share** = remaining / allowed (None when nothing is allowed);
* **left in period** = min(remaining, what the period still has to come): Zabbix's convention,
  offered beside Servanda's. 60 s before the end of a month whose budget still allows 788 s,
  only 60 s can still fail: *remaining* says 788 s (the margin), *left in period* 60 s;
* **burn rate** = observed error ratio so far / (1 − SLO), where the observed error ratio is
  consumed / elapsed denominator (down seconds / elapsed agreed seconds, bad / total events,
  bad / elapsed slices). A burn rate of 1 spends the budget exactly by the period's end; 2
  spends it by the middle. None when the SLO is 100 % (the ratio allowed is 0) or when nothing
  has elapsed yet (no observed ratio).

A 100 % target allows nothing: allowed = 0, remaining = −consumed, remaining share and burn
rate None.

Arithmetic is exact ``Decimal``: sums, products and the division by 100 are exact; each ratio
(remaining share, burn rate) is one quotient of exact values, rounded once to 28 significant
digits (Python's default decimal context).
"""

from __future__ import annotations

from decimal import Decimal

from servanda.measure.results import Budget

_HUNDRED = Decimal(100)


def _check_target(target_percent: Decimal) -> None:
    if not target_percent.is_finite() or not Decimal(0) <= target_percent <= _HUNDRED:
        raise ValueError(f"a target must be between 0 and 100 percent, not {target_percent}")


def _check_counts(**values: Decimal | int) -> None:
    for name, value in values.items():
        if value < 0:
            raise ValueError(f"{name} cannot be negative ({value})")


def _budget(
    unit: str,
    target_percent: Decimal,
    whole: Decimal | int,
    elapsed: Decimal | int,
    bad: Decimal | int,
    *,
    future_known: bool = True,
) -> Budget:
    """The budget for ``bad`` of ``elapsed`` observed, against a period of ``whole``
    (``future_known``: ``whole`` is the period's, not only what was seen so far)."""
    _check_target(target_percent)
    _check_counts(whole=whole, elapsed=elapsed, bad=bad)
    if elapsed > whole:
        raise ValueError(f"elapsed ({elapsed}) is more than the whole period ({whole})")
    if bad > elapsed:
        raise ValueError(f"more failed ({bad}) than elapsed ({elapsed})")
    gap = _HUNDRED - target_percent  # (1 − SLO) × 100
    allowed = gap * Decimal(whole) / _HUNDRED
    consumed = Decimal(bad)
    remaining = allowed - consumed
    share = None if allowed == 0 else remaining / allowed
    burn = None
    if gap != 0 and elapsed != 0:
        burn = consumed * _HUNDRED / (Decimal(elapsed) * gap)
    to_come = Decimal(whole) - Decimal(elapsed)
    return Budget(
        unit=unit,
        allowed=allowed,
        consumed=consumed,
        remaining=remaining,
        remaining_share=share,
        burn_rate=burn,
        left_in_period=min(remaining, to_come) if future_known else None,
    )


def time_budget(
    target_percent: Decimal,
    period_agreed_s: Decimal,
    elapsed_agreed_s: Decimal,
    down_s: Decimal,
) -> Budget:
    """The time budget of an availability-style objective, in seconds.

    allowed = (1 − SLO) × ``period_agreed_s`` (the whole period's agreed time, elapsed or
    not); consumed = ``down_s`` (downtime in agreed time so far); remaining = allowed −
    consumed, the downtime the period can still take and meet the target; burn rate =
    (``down_s`` / ``elapsed_agreed_s``) / (1 − SLO). Once the period is over,
    ``elapsed_agreed_s == period_agreed_s``. See the module documentation.
    """
    return _budget("seconds", target_percent, period_agreed_s, elapsed_agreed_s, down_s)


def event_budget(
    target_percent: Decimal,
    good: int,
    total: int,
    expected_total: int | None = None,
) -> Budget:
    """The budget of an event-based objective, in events.

    consumed = ``total − good`` bad events; burn rate = (bad / ``total``) / (1 − SLO).
    allowed = (1 − SLO) × ``total`` — the events seen so far — unless ``expected_total``, the
    volume projected for the whole period, is given: then allowed = (1 − SLO) ×
    ``expected_total``, which is what time budgeting does with the period's agreed time. With
    ``total`` alone the figure is exact once the period is over but understates the budget of a
    period still running. ``expected_total`` below ``total`` is refused.
    """
    if good > total:
        raise ValueError(f"good ({good}) is more than total ({total})")
    _check_counts(good=good)
    whole = total if expected_total is None else expected_total
    return _budget(
        "events", target_percent, whole, total, total - good,
        future_known=expected_total is not None,
    )  # fmt: skip


def slice_budget(
    target_percent: Decimal,
    period_slices: int,
    elapsed_slices: int,
    bad_slices: int,
) -> Budget:
    """The budget of a time-sliced objective, in slices.

    allowed = (1 − SLO) × ``period_slices`` (all the slices of the period, elapsed or not);
    consumed = ``bad_slices`` (slices that missed their slice target so far); burn rate =
    (``bad_slices`` / ``elapsed_slices``) / (1 − SLO). A slice without data is neither good nor
    bad: leave it out of ``elapsed_slices`` (or count it bad) as the objective says.
    """
    return _budget("slices", target_percent, period_slices, elapsed_slices, bad_slices)
