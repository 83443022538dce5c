"""Availability against a minute-by-minute reference, and invariants that hold for any data.

Every boundary (service time, maintenance, weights, outages) falls on a whole minute, so the
reference can decide each minute on its own: is it service time, maintenance, how much weight,
which outages cover it. The kernel must agree with it for every convention, plain and weighted.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from servanda.agreements.model import ExcludedTime
from servanda.core.intervals import IntervalSet, WeightedIntervals
from servanda.measure.availability import (
    Figures,
    OutageColumns,
    Schedule,
    availability,
    downtime_timeline,
    measure,
    ratios,
)

MINUTE = 60_000_000
T0 = 1_711_929_600_000_000  # 2024-04-01T00:00:00Z
SPAN = 180  # minutes in the period
FRACTIONS = (0.25, 1 / 3, 0.5, 1.0)
WEIGHTS = (0.5, 2.0, 5.0, 10.0)


@dataclass(frozen=True)
class Row:
    group: int
    start: int  # minutes after T0
    end: int
    fraction: float
    planned: bool


def minutes_set(pairs: list[tuple[int, int]]) -> IntervalSet:
    return IntervalSet.from_arrays(
        [T0 + a * MINUTE for a, _ in pairs], [T0 + b * MINUTE for _, b in pairs]
    )


@st.composite
def spans(draw: st.DrawFn, most: int = 4) -> list[tuple[int, int]]:
    found = []
    for _ in range(draw(st.integers(0, most))):
        a = draw(st.integers(0, SPAN - 1))
        found.append((a, draw(st.integers(a + 1, min(SPAN, a + 90)))))
    return found


@st.composite
def schedules(draw: st.DrawFn) -> Schedule:
    start = draw(st.integers(0, 20))
    end = draw(st.integers(SPAN - 20, SPAN))
    windows = draw(spans())
    weights = WeightedIntervals.from_arrays(
        [T0 + a * MINUTE for a, _ in windows],
        [T0 + b * MINUTE for _, b in windows],
        [draw(st.sampled_from(WEIGHTS)) for _ in windows],
    )
    return Schedule.build(
        T0 + start * MINUTE,
        T0 + end * MINUTE,
        minutes_set(draw(spans(6))),
        minutes_set(draw(spans(2))),
        weights,
    )


def rows(groups: int) -> st.SearchStrategy[list[Row]]:
    @st.composite
    def one(draw: st.DrawFn) -> Row:
        a = draw(st.integers(-30, SPAN + 20))
        return Row(
            draw(st.integers(0, groups - 1)),
            a,
            draw(st.integers(a, a + 100)),
            draw(st.sampled_from(FRACTIONS)),
            draw(st.booleans()),
        )

    return st.lists(one(), max_size=12)


@st.composite
def cases(draw: st.DrawFn) -> tuple[list[Schedule], list[int], list[Row]]:
    scheds = draw(st.lists(schedules(), min_size=1, max_size=3))
    groups = draw(st.integers(1, 4))
    sched_of = [draw(st.integers(0, len(scheds) - 1)) for _ in range(groups)]
    return scheds, sched_of, draw(rows(groups))


def columns(found: list[Row]) -> OutageColumns:
    return OutageColumns.from_arrays(
        [r.group for r in found],
        [T0 + r.start * MINUTE for r in found],
        [T0 + r.end * MINUTE for r in found],
        [r.fraction for r in found],
        [r.planned for r in found],
    )


def reference(sched: Schedule, found: list[Row]) -> dict[str, float]:
    """The figures of one group, deciding minute by minute."""
    names = ("service", "maintenance", "planned", "unplanned", "all")
    out = dict.fromkeys((*names, *(f"w_{n}" for n in names)), 0.0)
    for m in range(-40, SPAN + 130):
        t = T0 + m * MINUTE
        if not (sched.start_us <= t < sched.end_us) or not sched.service.contains(t):
            continue
        w = sched.weights.weight_at(t)
        covering = [r for r in found if r.start <= m < r.end]
        level = min(1.0, sum(r.fraction for r in covering if not r.planned))
        every = min(1.0, sum(r.fraction for r in covering))
        planned = any(r.planned for r in covering)
        in_window = sched.maintenance.contains(t)
        out["service"] += MINUTE
        out["w_service"] += w * MINUTE
        out["all"] += every * MINUTE
        out["w_all"] += w * every * MINUTE
        if in_window:
            out["maintenance"] += MINUTE
            out["w_maintenance"] += w * MINUTE
        elif planned:
            out["planned"] += MINUTE
            out["w_planned"] += w * MINUTE
        else:
            out["unplanned"] += level * MINUTE
            out["w_unplanned"] += w * level * MINUTE
    return out


def kernel(f: Figures, g: int) -> dict[str, float]:
    return {
        "service": float(f.service_us[g]),
        "maintenance": float(f.maintenance_us[g]),
        "planned": float(f.planned_us[g]),
        "unplanned": float(f.unplanned_us[g]),
        "all": float(f.downtime_all_us[g]),
        "w_service": float(f.service_w[g]),
        "w_maintenance": float(f.maintenance_w[g]),
        "w_planned": float(f.planned_w[g]),
        "w_unplanned": float(f.unplanned_w[g]),
        "w_all": float(f.downtime_all_w[g]),
    }


def expected_ratio(ref: dict[str, float], convention: ExcludedTime, weighted: bool) -> float:
    p = "w_" if weighted else ""
    service = ref[p + "service"]
    if convention is ExcludedTime.EXCLUDE:
        due = service - ref[p + "maintenance"] - ref[p + "planned"]
        return (due - ref[p + "unplanned"]) / due if due else float("nan")
    lost = ref[p + "unplanned"] if convention is ExcludedTime.FORGIVE else ref[p + "all"]
    return (service - lost) / service if service else float("nan")


@settings(max_examples=150, deadline=None)
@given(cases())
def test_kernel_agrees_with_the_minute_by_minute_reference(
    case: tuple[list[Schedule], list[int], list[Row]],
) -> None:
    scheds, sched_of, found = case
    f = measure(columns(found), scheds, sched_of)
    for g, k in enumerate(sched_of):
        ref = reference(scheds[k], [r for r in found if r.group == g])
        assert kernel(f, g) == pytest.approx(ref, abs=1e-3)
        for convention in ExcludedTime:
            for weighted in (False, True):
                num, den = availability(f, g, convention, weighted)
                want = expected_ratio(ref, convention, weighted)
                if den == 0:
                    assert np.isnan(want) or want == pytest.approx(1.0)
                else:
                    assert float(num / den) == pytest.approx(want, abs=1e-9)


@settings(max_examples=100, deadline=None)
@given(cases())
def test_availability_lies_between_zero_and_one(
    case: tuple[list[Schedule], list[int], list[Row]],
) -> None:
    scheds, sched_of, found = case
    f = measure(columns(found), scheds, sched_of)
    for convention in ExcludedTime:
        for weighted in (False, True):
            num, den = ratios(f, convention, weighted)
            assert np.all(den >= -1e-6)
            assert np.all(num >= -1e-6)
            assert np.all(num <= den + 1e-6)
            for g in range(len(sched_of)):
                a, b = availability(f, g, convention, weighted)
                assert Decimal(0) <= a <= b


@settings(max_examples=100, deadline=None)
@given(cases(), st.data())
def test_another_unplanned_outage_never_raises_availability(
    case: tuple[list[Schedule], list[int], list[Row]], data: st.DataObject
) -> None:
    scheds, sched_of, found = case
    extra = data.draw(rows(len(sched_of)).filter(bool))[0]
    more = [*found, Row(extra.group, extra.start, extra.end, extra.fraction, False)]
    before = measure(columns(found), scheds, sched_of)
    after = measure(columns(more), scheds, sched_of)
    for convention in ExcludedTime:
        for weighted in (False, True):
            n0, d0 = ratios(before, convention, weighted)
            n1, d1 = ratios(after, convention, weighted)
            assert np.allclose(d0, d1)
            assert np.all(n1 <= n0 + 1e-6)


@settings(max_examples=100, deadline=None)
@given(cases(), st.data())
def test_any_outage_never_raises_naive_availability(
    case: tuple[list[Schedule], list[int], list[Row]], data: st.DataObject
) -> None:
    # A planned outage may raise exclude or forgive availability (it excuses what it covers),
    # never naive availability.
    scheds, sched_of, found = case
    extra = data.draw(rows(len(sched_of)).filter(bool))
    before = measure(columns(found), scheds, sched_of)
    after = measure(columns(found + extra), scheds, sched_of)
    for weighted in (False, True):
        n0, _ = ratios(before, ExcludedTime.NAIVE, weighted)
        n1, _ = ratios(after, ExcludedTime.NAIVE, weighted)
        assert np.all(n1 <= n0 + 1e-6)


@settings(max_examples=100, deadline=None)
@given(cases(), st.randoms(use_true_random=False))
def test_order_of_outages_is_irrelevant(
    case: tuple[list[Schedule], list[int], list[Row]], rnd: random.Random
) -> None:
    scheds, sched_of, found = case
    shuffled = list(found)
    rnd.shuffle(shuffled)
    a = measure(columns(found), scheds, sched_of)
    b = measure(columns(shuffled), scheds, sched_of)
    for g in range(len(sched_of)):
        for convention in ExcludedTime:
            for weighted in (False, True):
                assert availability(a, g, convention, weighted) == availability(
                    b, g, convention, weighted
                )


@settings(max_examples=100, deadline=None)
@given(cases(), st.data())
def test_splitting_an_outage_changes_nothing(
    case: tuple[list[Schedule], list[int], list[Row]], data: st.DataObject
) -> None:
    scheds, sched_of, found = case
    long = [i for i, r in enumerate(found) if r.end - r.start >= 2]
    assume(long)
    r = found[long[0]]
    cut = data.draw(st.integers(r.start + 1, r.end - 1))
    halves = [
        Row(r.group, r.start, cut, r.fraction, r.planned),
        Row(r.group, cut, r.end, r.fraction, r.planned),
    ]
    split = found[: long[0]] + found[long[0] + 1 :] + halves
    a = kernel(measure(columns(found), scheds, sched_of), r.group)
    b = kernel(measure(columns(split), scheds, sched_of), r.group)
    assert a == pytest.approx(b, abs=1e-3)


@settings(max_examples=100, deadline=None)
@given(cases())
def test_timeline_adds_up_to_the_unplanned_downtime_of_an_always_schedule(
    case: tuple[list[Schedule], list[int], list[Row]],
) -> None:
    _, sched_of, found = case
    always = Schedule.build(T0 - 100 * MINUTE, T0 + 400 * MINUTE)
    cols = columns(found)
    f = measure(cols, [always], [0] * len(sched_of))
    line = downtime_timeline(cols)
    lengths = (line.end_us - line.start_us).astype(float)
    assert np.all(lengths > 0)
    for g in range(len(sched_of)):
        mine = (line.group == g) & ~line.planned
        assert float(np.sum(line.level[mine] * lengths[mine])) == pytest.approx(
            f.unplanned_us[g], abs=1e-3
        )
        starts, ends = line.start_us[line.group == g], line.end_us[line.group == g]
        assert np.all(starts[1:] >= ends[:-1])
