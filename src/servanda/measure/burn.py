"""Multiwindow, multi-burn-rate warnings (Google SRE workbook), raised as ordinary events.

**Input.** A bucketed series: three equal-length columns ``starts`` (bucket start, int64
microseconds UTC, strictly increasing), ``bad`` and ``total`` (non-negative integers, ``bad ≤
total`` in every bucket):

* time budgeting: ``bad`` = down microseconds and ``total`` = agreed microseconds in the
  bucket;
* event budgeting: ``bad`` = bad events and ``total`` = all events (good + bad);
* time-sliced budgeting: feed it like time budgeting (microseconds of bad slices, microseconds
  of slices), so the traffic guard reads agreed minutes.

**Windows.** The window of length ``w`` ending at an evaluation instant ``t`` holds the buckets
whose start ``s`` satisfies ``t − w ≤ s < t``. With buckets of equal width aligned on ``t`` these
are exactly the buckets lying inside ``[t − w, t)`` — those whose *end* falls in ``(t − w, t]`` —
so a bucket is counted once it is complete and no data after ``t`` is read. The **error ratio**
over a window is a ratio of sums, Σbad / Σtotal over its buckets (never a mean of per-bucket
ratios); a window with no total has no ratio and never fires. Window sums come from cumulative
sums and ``searchsorted``, vectorised over all instants.

**Firing.** With SLO = target / 100, a rule (:class:`~servanda.agreements.model.BurnRateRule`:
long window L, short window S, factor b) fires at ``t`` when

* the error ratio over L ending at ``t`` **and** the error ratio over S ending at ``t`` both
  exceed (strictly) the threshold b × (1 − SLO), and
* the long window's traffic Σtotal is at least the guard ``min_traffic``: events (event
  budgeting) or agreed minutes (time budgeting). When ``min_traffic`` is None the guard is
  100 events; for time budgeting it is 100 agreed minutes, or half the long window when that is
  shorter (100 minutes would never fit in a 1 h window, and the SRE workbook's first tier would
  never page).

The comparison is exact: the threshold is a fraction p/q and the test is Σbad × q > p × Σtotal
on integers. A 100 % target has a threshold of 0: any failure in both windows fires.

**Warnings.** Evaluated on a grid of instants, each rule's firing instants form runs; a run is
one :class:`BurnWarning`, *raised at* its first instant and *cleared at* the first later instant
that does not fire (None when it still fires at the last instant). Evaluate on a fixed grid
(bucket boundaries) so that a re-evaluation with more data raises at the same instants.

**Events.** :func:`burn_events` turns warnings into :class:`~servanda.events.model.Event` records
so event management handles them like any other alert: source ``servanda-slo``, node the service,
severity from the rule, a firing event at the raise and, once cleared, a resolved one with
``ends_at``. The fingerprint hashes agreement, objective, customer, service and the rule (long,
short, factor) — never times or measured values — so repeats de-duplicate and the same input
always gives the same events.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from servanda.agreements.metrics import Unit, format_target
from servanda.agreements.model import DEFAULT_BURN_RATES, Budgeting, BurnRateRule
from servanda.core.durations import format_duration
from servanda.core.intervals import I64, from_us
from servanda.core.records import record
from servanda.events.model import Event, Status, fingerprint_of, labels_of, normalise_severity

MONTHLY_DEFAULTS: Final = tuple(r.resolved(timedelta(days=30)) for r in DEFAULT_BURN_RATES)
"""The default rules over a 30-day period: the SRE workbook's 14.4, 6 and 1."""
SOURCE: Final = "servanda-slo"
"""The ``source`` of burn-rate events."""
ALERTNAME: Final = "ErrorBudgetBurn"
"""The ``alertname`` label of burn-rate events."""
DEFAULT_MIN_TRAFFIC: Final = 100
"""The guard when none is configured: events, or agreed minutes (see the module docs)."""
IDENTITY_LABELS: Final = (
    "agreement",
    "objective",
    "customer",
    "service",
    "long_window",
    "short_window",
    "factor",
)
"""The labels a burn-rate event's fingerprint is computed from."""

_US_PER_MINUTE: Final = 60_000_000
_ONE_US: Final = timedelta(microseconds=1)
_I64_MAX: Final = np.iinfo(np.int64).max

Bools = npt.NDArray[np.bool_]


def _column(values: Any, name: str) -> I64:
    array = np.asarray(values)
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {array.shape}")
    if array.size and not np.issubdtype(array.dtype, np.integer):
        raise ValueError(f"{name} must hold integers, got dtype {array.dtype}")
    return array.astype(np.int64, copy=False)


def _increasing(array: I64, name: str) -> None:
    if array.size > 1 and not bool(np.all(array[1:] > array[:-1])):
        i = int(np.flatnonzero(array[1:] <= array[:-1])[0]) + 1
        raise ValueError(f"{name} must be strictly increasing (index {i}: {array[i]})")


def window_sums(starts: I64, cumulative: I64, instants: I64, window_us: int) -> I64:
    """For each instant ``t``, the sum of the buckets with ``t − window_us ≤ start < t``.

    ``cumulative`` is ``[0, v0, v0 + v1, …]`` (length ``len(starts) + 1``).
    """
    hi = np.searchsorted(starts, instants, side="left")
    lo = np.searchsorted(starts, instants - window_us, side="left")
    result: I64 = (cumulative[hi] - cumulative[lo]).astype(np.int64)
    return result


def threshold(target_percent: Decimal, factor: Decimal) -> Fraction:
    """The error ratio a rule fires above: ``factor × (1 − target / 100)``, exactly."""
    return Fraction(factor) * (100 - Fraction(target_percent)) / 100


def guard(rule: BurnRateRule, budgeting: Budgeting, min_traffic: int | None) -> int:
    """The least long-window traffic (in the series' ``total`` units) for ``rule`` to fire.

    See the module documentation for the default.
    """
    if Budgeting(budgeting) is Budgeting.EVENTS:
        return DEFAULT_MIN_TRAFFIC if min_traffic is None else min_traffic
    if min_traffic is not None:
        return min_traffic * _US_PER_MINUTE
    return min(DEFAULT_MIN_TRAFFIC * _US_PER_MINUTE, (rule.long // _ONE_US) // 2)


def _exceeds(bad: I64, total: I64, limit: Fraction) -> Bools:
    """``bad / total > limit`` where ``total > 0``, exactly (integers, no floats); on int64
    columns unless the products could overflow, then on Python integers (slow, rare: a target
    or factor with very many decimals)."""
    p, q = limit.numerator, limit.denominator
    biggest = int(total.max()) if total.size else 0
    if max(p, q) < _I64_MAX and biggest * max(p, q) < _I64_MAX:
        result: Bools = (bad * q > p * total) & (total > 0)
        return result
    big: Bools = np.array(
        [b * q > p * t and t > 0 for b, t in zip(bad.tolist(), total.tolist(), strict=True)],
        dtype=np.bool_,
    )
    return big


@dataclass(frozen=True, slots=True)
class RuleEvaluation:
    """One rule evaluated at every instant: the window sums and whether it fires (columns)."""

    rule: BurnRateRule
    threshold: Fraction
    """The error ratio both windows must exceed."""
    guard: int
    """The least long-window total (``total`` units) for it to fire."""
    instants: I64
    long_bad: I64
    long_total: I64
    short_bad: I64
    short_total: I64
    firing: Bools


def evaluate(
    starts: Any,
    bad: Any,
    total: Any,
    instants: Any,
    target_percent: Decimal,
    rules: Sequence[BurnRateRule] | None = None,
    *,
    budgeting: Budgeting = Budgeting.TIME,
    min_traffic: int | None = None,
) -> tuple[RuleEvaluation, ...]:
    """Every rule (default :data:`~servanda.agreements.model.DEFAULT_BURN_RATES`) at every
    instant (int64 microseconds, strictly increasing), as columns. See the module docs."""
    s, b, t = _column(starts, "starts"), _column(bad, "bad"), _column(total, "total")
    at = _column(instants, "instants")
    if not (s.size == b.size == t.size):
        raise ValueError(f"starts, bad and total differ in length: {s.size}, {b.size}, {t.size}")
    _increasing(s, "starts")
    _increasing(at, "instants")
    if s.size and (bool(np.any(b < 0)) or bool(np.any(b > t))):
        i = int(np.flatnonzero((b < 0) | (b > t))[0])
        raise ValueError(f"bucket {i}: bad ({b[i]}) must be between 0 and total ({t[i]})")
    if not Decimal(0) <= target_percent <= Decimal(100):
        raise ValueError(f"a target must be between 0 and 100 percent, not {target_percent}")
    if min_traffic is not None and min_traffic < 0:
        raise ValueError(f"min_traffic cannot be negative ({min_traffic})")
    cum_bad = np.concatenate(([0], np.cumsum(b))).astype(np.int64)
    cum_total = np.concatenate(([0], np.cumsum(t))).astype(np.int64)
    out = []
    for rule in MONTHLY_DEFAULTS if rules is None else rules:
        limit = threshold(target_percent, factor_of(rule))
        least = guard(rule, budgeting, min_traffic)
        long_us, short_us = rule.long // _ONE_US, rule.short // _ONE_US
        lb, lt = window_sums(s, cum_bad, at, long_us), window_sums(s, cum_total, at, long_us)
        sb, st = window_sums(s, cum_bad, at, short_us), window_sums(s, cum_total, at, short_us)
        firing = held(_exceeds(lb, lt, limit) & _exceeds(sb, st, limit) & (lt >= least), at, rule)
        out.append(RuleEvaluation(rule, limit, least, at, lb, lt, sb, st, firing))
    return tuple(out)


@record
class BurnWarning:
    """One run of firing instants of one rule."""

    rule: BurnRateRule
    """The rule that fired."""
    raised_at: datetime
    """The first instant of the run."""
    cleared_at: datetime | None
    """The first later instant that did not fire; None when it fires at the last instant."""
    threshold: Decimal
    """The error ratio both windows exceeded: factor × (1 − SLO) (exact for the usual targets;
    28 significant digits otherwise)."""
    burn_rate: Decimal | None
    """The long window's burn rate at the raise: (Σbad / Σtotal) / (1 − SLO); None for a
    100 % target."""
    peak_burn_rate: Decimal | None
    """The highest long-window burn rate over the run's instants; None for a 100 % target."""


def _burn(bad: int, total: int, target_percent: Decimal) -> Decimal | None:
    gap = Decimal(100) - target_percent
    if gap == 0 or total == 0:
        return None
    return Decimal(bad) * 100 / (Decimal(total) * gap)


def _highest_ratio(bad: I64, total: I64) -> int:
    """The index of the highest ``bad / total`` (every ``total > 0``), the first on ties.

    Floating point narrows the candidates to those within a relative 1e-9 of the largest;
    they are then compared exactly (a/b > c/d ⇔ a·d > c·b on Python integers).
    """
    ratios = bad.astype(np.float64) / total.astype(np.float64)
    near = np.flatnonzero(ratios >= ratios.max() * (1 - 1e-9)).tolist()
    best = near[0]
    for k in near[1:]:
        if int(bad[k]) * int(total[best]) > int(bad[best]) * int(total[k]):
            best = k
    return int(best)


def warnings_of(evaluation: RuleEvaluation, target_percent: Decimal) -> tuple[BurnWarning, ...]:
    """The runs of firing instants of one evaluated rule, as warnings, oldest first."""
    fired = evaluation.firing.astype(np.int8)
    edges = np.diff(np.concatenate(([0], fired, [0])))
    raises = np.flatnonzero(edges == 1)
    clears = np.flatnonzero(edges == -1)
    n = evaluation.instants.size
    limit = evaluation.threshold
    found = []
    for i, j in zip(raises.tolist(), clears.tolist(), strict=True):
        lb, lt = evaluation.long_bad[i:j], evaluation.long_total[i:j]
        best = _highest_ratio(lb, lt)
        found.append(
            BurnWarning(
                rule=evaluation.rule,
                raised_at=from_us(evaluation.instants[i]),
                cleared_at=None if j >= n else from_us(evaluation.instants[j]),
                threshold=Decimal(limit.numerator) / Decimal(limit.denominator),
                burn_rate=_burn(int(lb[0]), int(lt[0]), target_percent),
                peak_burn_rate=_burn(int(lb[best]), int(lt[best]), target_percent),
            )
        )
    return tuple(found)


def burn_warnings(
    starts: Any,
    bad: Any,
    total: Any,
    instants: Any,
    target_percent: Decimal,
    rules: Sequence[BurnRateRule] | None = None,
    *,
    budgeting: Budgeting = Budgeting.TIME,
    min_traffic: int | None = None,
) -> tuple[BurnWarning, ...]:
    """Every warning of every rule over the series, by raise time then rule order.

    Arguments as :func:`evaluate`; definitions in the module documentation.
    """
    evaluations = evaluate(
        starts,
        bad,
        total,
        instants,
        target_percent,
        rules,
        budgeting=budgeting,
        min_traffic=min_traffic,
    )
    found = [
        (w.raised_at, k, w)
        for k, e in enumerate(evaluations)
        for w in warnings_of(e, target_percent)
    ]
    found.sort(key=lambda item: (item[0], item[1]))
    return tuple(w for _, _, w in found)


def held(condition: Bools, instants: I64, rule: BurnRateRule) -> Bools:
    """``condition`` where it has held for the rule's ``hold`` (Prometheus' ``for:``): true at
    an instant whose run of true instants began at least ``hold`` before it (vectorised: the
    start of each run is carried forward with a running maximum)."""
    if rule.hold is None or not rule.hold or condition.size == 0:
        return condition
    index = np.arange(condition.size)
    last_false = np.maximum.accumulate(np.where(condition, -1, index))
    first_true = np.minimum(last_false + 1, condition.size - 1)
    out: Bools = condition & (instants - instants[first_true] >= rule.hold // _ONE_US)
    return out


def factor_of(rule: BurnRateRule) -> Decimal:
    """The rule's factor; a rule written as a share of the budget must be resolved for its
    period first (:meth:`~servanda.agreements.model.Objective.burn_rules`)."""
    if rule.factor is None:
        raise ValueError("a burn-rate rule's factor depends on its period: resolve it first")
    return rule.factor


def _factor_text(factor: Decimal) -> str:
    return format(factor.normalize(), "f")


def _window_words(window: timedelta) -> str:
    return format_target(Decimal(window // _ONE_US).scaleb(-6), Unit.SECONDS)


def burn_labels(
    rule: BurnRateRule, *, agreement: str, objective: str, customer: str, service: str
) -> tuple[tuple[str, str], ...]:
    """The labels of a burn-rate event (sorted pairs)."""
    return labels_of(
        {
            "alertname": ALERTNAME,
            "agreement": agreement,
            "objective": objective,
            "customer": customer,
            "service": service,
            "long_window": format_duration(rule.long),
            "short_window": format_duration(rule.short),
            "factor": _factor_text(factor_of(rule)),
            "severity": normalise_severity(rule.severity).value,
        }
    )


def burn_fingerprint(
    rule: BurnRateRule, *, agreement: str, objective: str, customer: str, service: str
) -> str:
    """The stable fingerprint of a rule's warnings for one objective, customer and service."""
    labels = burn_labels(
        rule, agreement=agreement, objective=objective, customer=customer, service=service
    )
    return fingerprint_of(labels, IDENTITY_LABELS)


def burn_summary(rule: BurnRateRule, *, objective: str, customer: str, service: str) -> str:
    """E.g. ``availability of internet for globex burning its error budget 14.4× over 1 h``."""
    return (
        f"{objective} of {service} for {customer} burning its error budget "
        f"{_factor_text(factor_of(rule))}× over {_window_words(rule.long)}"
    )


def exhaustion(
    remaining_seconds: Decimal, burn_rate: Decimal, target_percent: Decimal
) -> timedelta | None:
    """How long the budget left (``remaining_seconds`` of downtime) lasts at ``burn_rate``:
    downtime accrues at burn rate × (1 − SLO) per second of agreed time, so the answer is in
    agreed time (wall time for a service agreed around the clock). Zero once it is spent;
    None when nothing burns (a rate of 0, or a 100 % target)."""
    rate = burn_rate * (Decimal(100) - target_percent) / 100
    if rate <= 0:
        return None
    if remaining_seconds <= 0:
        return timedelta(0)
    return timedelta(seconds=round(float(remaining_seconds / rate)))


def _exhaustion_text(w: BurnWarning, remaining: Decimal | None, target: Decimal | None) -> str:
    if remaining is None or target is None or w.burn_rate is None:
        return ""
    lasts = exhaustion(remaining, w.burn_rate, target)
    if lasts is None:
        return ""
    rate = format(w.burn_rate.quantize(Decimal("0.1")).normalize(), "f")
    if not lasts:
        return f"; the period's error budget is spent (burning at {rate}×)"
    return f"; at {rate}× the budget left in the period is spent in {format_duration(lasts)}"


def burn_events(
    warnings: Sequence[BurnWarning],
    *,
    agreement: str,
    objective: str,
    customer: str,
    service: str,
    remaining: Decimal | None = None,
    target_percent: Decimal | None = None,
) -> tuple[Event, ...]:
    """The events of ``warnings`` for one objective of one agreement, customer and service.

    Each warning gives a firing event (``starts_at`` = raised) and, once cleared, a resolved
    one (``ends_at`` = cleared), both with the rule's fingerprint; the event's node is
    ``service``. Ordered by the time each event tells of, then fingerprint. Given the budget
    ``remaining`` in the period (seconds of downtime) and the target, the summary says when
    it is spent at the rate the warning fired at (:func:`exhaustion`).
    """
    out: list[tuple[datetime, str, Event]] = []
    for w in warnings:
        labels = burn_labels(
            w.rule, agreement=agreement, objective=objective, customer=customer, service=service
        )
        fingerprint = fingerprint_of(labels, IDENTITY_LABELS)
        summary = burn_summary(
            w.rule, objective=objective, customer=customer, service=service
        ) + _exhaustion_text(w, remaining, target_percent)
        steps: list[tuple[Status, datetime | None]] = [(Status.FIRING, None)]
        if w.cleared_at is not None:
            steps.append((Status.RESOLVED, w.cleared_at))
        for status, ends_at in steps:
            event = Event(
                source=SOURCE,
                fingerprint=fingerprint,
                labels=labels,
                status=status,
                starts_at=w.raised_at,
                ends_at=ends_at,
                severity=normalise_severity(w.rule.severity),
                summary=summary,
                node=service,
            )
            out.append((ends_at or w.raised_at, fingerprint, event))
    out.sort(key=lambda item: (item[0], item[1], item[2].status.value))
    return tuple(e for _, _, e in out)
