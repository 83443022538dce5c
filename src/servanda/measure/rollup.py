"""Roll-ups: one figure per objective over several results (a customer's services, a service's
customers, a provider's customers), from their numerators and denominators.

A roll-up adds numerators and adds denominators, then divides: the availability of two
services is their agreed seconds up over their agreed seconds, not the mean of two
percentages; the MTRS of a customer is its total downtime over its total failures. Results are
grouped by objective id and metric; when their targets differ, the strictest one is kept (the
figure must meet every promise it summarises). Statistics that do not add up (percentiles,
means of samples, longest response times — stored with denominator 1) roll up to no figure,
and say so; their verdict is breached when any result rolled up is, met when every one is.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from servanda.agreements.metrics import Metric, Unit
from servanda.measure.results import ObjectiveResult, Verdict

SUMMABLE = frozenset(
    {
        Metric.AVAILABILITY,
        Metric.WEIGHTED_AVAILABILITY,
        Metric.MTTR,
        Metric.MTBF,
        Metric.MTBSI,
        Metric.MTTA,
        Metric.PACKET_LOSS,
        Metric.GOOD_RATIO,
        Metric.SATISFACTION,
        Metric.NPS,
        Metric.CONTROL_COMPLIANCE,
    }
)
"""Metrics whose actual is ``numerator / denominator`` (×100 for percentages)."""


def scale(result: ObjectiveResult) -> int:
    """What ``numerator / denominator`` is multiplied by: 100 for percentages and NPS (whose
    numerator is promoters − detractors over answers), 1 otherwise."""
    return 100 if result.unit is Unit.PERCENT or result.metric is Metric.NPS else 1


def rollup(results: Iterable[ObjectiveResult]) -> list[ObjectiveResult]:
    """One result per (objective id, metric), in first-seen order (see the module)."""
    groups: dict[tuple[str, Metric], list[ObjectiveResult]] = {}
    for r in results:
        groups.setdefault((r.objective, r.metric), []).append(r)
    return [_combine(rs) for rs in groups.values()]


def _strictest(results: list[ObjectiveResult]) -> ObjectiveResult:
    first = results[0]
    if first.comparator.higher_is_better:
        return max(results, key=lambda r: r.target)
    return min(results, key=lambda r: r.target)


def _combine(results: list[ObjectiveResult]) -> ObjectiveResult:
    base = _strictest(results)
    if len(results) == 1:
        return base
    metric = base.metric
    known = [r for r in results if r.numerator is not None and r.denominator is not None]
    numerator: Decimal | None
    denominator: Decimal | None
    actual: Decimal | None
    if metric is Metric.INCIDENT_COUNT:
        numerator = sum((r.numerator for r in known if r.numerator is not None), Decimal(0))
        denominator, actual = Decimal(1), numerator
    elif metric in SUMMABLE and known:
        numerator = sum((r.numerator for r in known if r.numerator is not None), Decimal(0))
        denominator = sum((r.denominator for r in known if r.denominator is not None), Decimal(0))
        actual = None if denominator == 0 else numerator / denominator * scale(base)
    else:
        numerator = denominator = actual = None
    if actual is None:
        # No figure (a statistic that does not add up, or nothing measured): the roll-up
        # keeps every promise it summarises, so one breach breaks it.
        if any(r.verdict is Verdict.BREACHED for r in results):
            verdict = Verdict.BREACHED
        elif all(r.verdict is Verdict.MET for r in results):
            verdict = Verdict.MET
        else:
            verdict = Verdict.NO_DATA
    elif base.comparator.holds(actual, base.target):
        verdict = Verdict.MET
    else:
        verdict = Verdict.BREACHED
    convention = base.convention
    if actual is None and metric not in SUMMABLE and metric is not Metric.INCIDENT_COUNT:
        convention = "not summable over several services (see each service)"
    return ObjectiveResult(
        objective=base.objective,
        metric=metric,
        target=base.target,
        comparator=base.comparator,
        unit=base.unit,
        verdict=verdict,
        actual=actual,
        numerator=numerator,
        denominator=denominator,
        convention=convention,
        breaches=tuple(b for r in results for b in r.breaches),
        figures=(("rolled up over", str(len(results))),),
        source=base.source,
    )
