"""Roll-ups (``servanda.measure.rollup``): numerators and denominators added, never ratios
averaged; the strictest target kept; statistics that do not add up say so."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from servanda.agreements.metrics import Metric, Unit
from servanda.agreements.model import Comparator
from servanda.measure.results import Breach, ObjectiveResult, Verdict
from servanda.measure.rollup import SUMMABLE, rollup, scale

UNITS = {
    Metric.AVAILABILITY: Unit.PERCENT,
    Metric.MTTR: Unit.SECONDS,
    Metric.LATENCY: Unit.MILLISECONDS,
    Metric.NPS: Unit.SCORE,
    Metric.SATISFACTION: Unit.SCORE,
    Metric.INCIDENT_COUNT: Unit.COUNT,
}
LOWER_IS_BETTER = {Metric.MTTR, Metric.LATENCY, Metric.INCIDENT_COUNT}


def made(
    metric: Metric,
    target: str,
    numerator: int | str | None,
    denominator: int | None,
    *,
    objective: str | None = None,
    verdict: Verdict | None = None,
    breaches: tuple[Breach, ...] = (),
) -> ObjectiveResult:
    """A result whose actual is computed from its numerator and denominator, as evaluation
    makes them."""
    comparator = Comparator.LE if metric in LOWER_IS_BETTER else Comparator.GE
    num = None if numerator is None else Decimal(numerator)
    den = None if denominator is None else Decimal(denominator)
    unit = UNITS[metric]
    actual = None
    if num is not None and den:
        actual = num / den * (100 if unit is Unit.PERCENT or metric is Metric.NPS else 1)
    if verdict is None:
        if actual is None:
            verdict = Verdict.NO_DATA
        else:
            verdict = Verdict.MET if comparator.holds(actual, Decimal(target)) else Verdict.BREACHED
    return ObjectiveResult(
        objective=objective or metric.value.replace("_", "-"),
        metric=metric,
        target=Decimal(target),
        comparator=comparator,
        unit=unit,
        verdict=verdict,
        actual=actual,
        numerator=num,
        denominator=den,
        breaches=breaches,
    )


def test_availability_is_a_ratio_of_sums_not_a_mean_of_ratios() -> None:
    # internet over office hours (10 h of 1 000 down: 99 %) and voice around the clock
    # (0 of 9 000 down: 100 %). Agreed seconds up over agreed seconds: 9 990 / 10 000 = 99.9 %;
    # the mean of the two percentages would say 99.5 %.
    internet = made(Metric.AVAILABILITY, "99.5", 990, 1000)
    voice = made(Metric.AVAILABILITY, "99.5", 9000, 9000)
    (both,) = rollup([internet, voice])
    assert (both.numerator, both.denominator) == (Decimal(9990), Decimal(10_000))
    assert both.actual == Decimal("99.9")
    assert both.verdict is Verdict.MET
    assert ("rolled up over", "2") in both.figures


def test_the_strictest_target_is_kept() -> None:
    # the same 99.9 % figure misses the 99.95 % one service promised
    tight = made(Metric.AVAILABILITY, "99.95", 9000, 9000)
    loose = made(Metric.AVAILABILITY, "99.5", 990, 1000)
    (both,) = rollup([loose, tight])
    assert (both.target, both.verdict) == (Decimal("99.95"), Verdict.BREACHED)
    # lower is better: the smallest target is the strictest. MTRS: (3 600 + 1 800) / (2 + 1)
    # = 1 800 s, against the 30 min (1 800 s) of the stricter service: met, exactly.
    (mttr,) = rollup([made(Metric.MTTR, "14400", 3600, 2), made(Metric.MTTR, "1800", 1800, 1)])
    assert (mttr.target, mttr.actual, mttr.verdict) == (Decimal(1800), Decimal(1800), Verdict.MET)


def test_percentiles_do_not_roll_up() -> None:
    fast = made(Metric.LATENCY, "50", 45, 1, objective="latency-p95")
    slow = made(Metric.LATENCY, "50", 62, 1, objective="latency-p95")
    (both,) = rollup([fast, slow])
    # a p95 of p95s is no p95: no figure, and the one promise missed breaks the roll-up
    assert (both.actual, both.numerator, both.denominator) == (None, None, None)
    assert both.convention is not None
    assert both.convention.startswith("not summable")
    assert both.verdict is Verdict.BREACHED
    (met,) = rollup([fast, made(Metric.LATENCY, "50", 30, 1, objective="latency-p95")])
    assert (met.actual, met.verdict) == (None, Verdict.MET)
    (unknown,) = rollup([fast, made(Metric.LATENCY, "50", None, None, objective="latency-p95")])
    assert unknown.verdict is Verdict.NO_DATA


def test_nps_rolls_up_on_the_percentage_scale() -> None:
    # 1 promoter net of 4 answers (25) and 2 detractors net of 6 (−33.3):
    # 100 × (1 − 2) / (4 + 6) = −10
    (both,) = rollup([made(Metric.NPS, "0", 1, 4), made(Metric.NPS, "0", -2, 6)])
    assert (both.numerator, both.denominator, both.actual) == (
        Decimal(-1),
        Decimal(10),
        Decimal(-10),
    )
    assert both.verdict is Verdict.BREACHED
    assert scale(both) == 100


def test_satisfaction_is_the_sum_of_answers_over_their_count() -> None:
    # 11 over 3 answers and 9 over 2: 20 / 5 = 4 (the mean of the means would be 4.08)
    (both,) = rollup([made(Metric.SATISFACTION, "4", 11, 3), made(Metric.SATISFACTION, "4", 9, 2)])
    assert (both.actual, both.verdict) == (Decimal(4), Verdict.MET)
    assert scale(both) == 1


def test_incident_counts_add_up() -> None:
    (both,) = rollup(
        [made(Metric.INCIDENT_COUNT, "3", 3, 1), made(Metric.INCIDENT_COUNT, "2", 1, 1)]
    )
    assert (both.actual, both.target, both.verdict) == (Decimal(4), Decimal(2), Verdict.BREACHED)


def test_a_mean_without_failures_adds_nothing() -> None:
    quiet = made(Metric.MTTR, "14400", None, None, verdict=Verdict.MET)
    busy = made(Metric.MTTR, "14400", 3600, 2)
    (both,) = rollup([quiet, busy])
    assert (both.numerator, both.denominator, both.actual) == (
        Decimal(3600),
        Decimal(2),
        Decimal(1800),
    )
    (none,) = rollup([quiet, quiet])
    assert (none.actual, none.verdict) == (None, Verdict.MET)


def test_breaches_are_kept_and_objectives_grouped_in_first_seen_order() -> None:
    missed = Breach(objective="availability", detail="internet down for 2 h (inc-a)")
    results = [
        made(Metric.AVAILABILITY, "99.5", 990, 1000, breaches=(missed,)),
        made(Metric.MTTR, "14400", 3600, 2),
        made(Metric.AVAILABILITY, "99.5", 9000, 9000),
    ]
    rolled = rollup(results)
    assert [r.objective for r in rolled] == ["availability", "mttr"]
    assert rolled[0].breaches == (missed,)
    assert rolled[1] is results[1]  # alone: as it was


@given(
    st.lists(
        st.tuples(st.integers(0, 10**7), st.integers(1, 10**7)).map(
            lambda pair: (min(pair), pair[1])
        ),
        min_size=1,
        max_size=8,
    )
)
def test_a_ratio_of_sums_lies_between_the_ratios_it_adds(pairs: list[tuple[int, int]]) -> None:
    results = [made(Metric.AVAILABILITY, "99", good, total) for good, total in pairs]
    (both,) = rollup(results)
    assert both.actual is not None
    actuals = [r.actual for r in results if r.actual is not None]
    assert min(actuals) <= both.actual <= max(actuals)
    assert both.numerator == sum(Decimal(g) for g, _ in pairs)
    assert both.denominator == sum(Decimal(t) for _, t in pairs)


def test_summable_metrics_are_those_of_a_numerator_and_a_denominator() -> None:
    assert Metric.LATENCY not in SUMMABLE
    assert Metric.RESPONSE_TIME not in SUMMABLE
    assert {Metric.AVAILABILITY, Metric.WEIGHTED_AVAILABILITY, Metric.NPS} <= SUMMABLE
