"""Properties of burn-rate warnings against a plain loop over the buckets."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from fractions import Fraction
from itertools import pairwise

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from servanda.agreements.model import Budgeting, BurnRateRule
from servanda.events.model import Event
from servanda.measure.burn import burn_events, burn_fingerprint, burn_warnings, evaluate

MIN_US = 60_000_000


@st.composite
def series(draw: st.DrawFn) -> tuple[list[int], list[int], list[int], list[int]]:
    """Buckets a whole number of minutes apart, bad ≤ total events, instants on minutes."""
    gaps = draw(st.lists(st.integers(1, 4), min_size=1, max_size=40))
    starts = np.cumsum(gaps).tolist()
    totals = draw(st.lists(st.integers(0, 50), min_size=len(starts), max_size=len(starts)))
    bads = [draw(st.integers(0, total)) for total in totals]
    span = starts[-1] + 10
    instants = sorted(draw(st.sets(st.integers(0, span), min_size=1, max_size=60)))
    minute = lambda xs: [x * MIN_US for x in xs]  # noqa: E731
    return minute(starts), bads, totals, minute(instants)


@st.composite
def rules(draw: st.DrawFn) -> BurnRateRule:
    long = draw(st.integers(2, 60))
    return BurnRateRule(
        long=timedelta(minutes=long),
        short=timedelta(minutes=draw(st.integers(1, long - 1))),
        factor=draw(st.decimals(min_value="0.1", max_value="30", places=1)),
    )


targets = st.decimals(min_value=90, max_value=100, places=2)
guards = st.integers(0, 300)


def loop_sum(starts: list[int], values: list[int], t: int, window: timedelta) -> int:
    w = window // timedelta(microseconds=1)
    return sum(v for s, v in zip(starts, values, strict=True) if t - w <= s < t)


@settings(max_examples=200)
@given(data=series(), rule=rules(), target=targets, least=guards)
def test_fires_exactly_when_both_windows_exceed_and_traffic_suffices(
    data: tuple[list[int], list[int], list[int], list[int]],
    rule: BurnRateRule,
    target: Decimal,
    least: int,
) -> None:
    starts, bad, total, instants = data
    (e,) = evaluate(
        starts, bad, total, instants, target, [rule], budgeting=Budgeting.EVENTS, min_traffic=least
    )
    limit = Fraction(rule.factor) * (1 - Fraction(target) / 100)
    for i, t in enumerate(instants):
        lb, lt = loop_sum(starts, bad, t, rule.long), loop_sum(starts, total, t, rule.long)
        sb, st_ = loop_sum(starts, bad, t, rule.short), loop_sum(starts, total, t, rule.short)
        assert (int(e.long_bad[i]), int(e.long_total[i])) == (lb, lt)
        assert (int(e.short_bad[i]), int(e.short_total[i])) == (sb, st_)
        long_over = lt > 0 and Fraction(lb, lt) > limit
        short_over = st_ > 0 and Fraction(sb, st_) > limit
        assert bool(e.firing[i]) == (long_over and short_over and lt >= least)
        if e.firing[i]:
            assert long_over
            assert short_over


@settings(max_examples=200)
@given(
    data=series(),
    rule=rules(),
    target=targets,
    least=guards,
    more=st.decimals(min_value=0, max_value=10, places=1),
)
def test_raising_the_factor_never_adds_warnings(
    data: tuple[list[int], list[int], list[int], list[int]],
    rule: BurnRateRule,
    target: Decimal,
    least: int,
    more: Decimal,
) -> None:
    starts, bad, total, instants = data
    higher = BurnRateRule(long=rule.long, short=rule.short, factor=rule.factor + more)
    (low,) = evaluate(
        starts, bad, total, instants, target, [rule], budgeting=Budgeting.EVENTS, min_traffic=least
    )
    (high,) = evaluate(
        starts,
        bad,
        total,
        instants,
        target,
        [higher],
        budgeting=Budgeting.EVENTS,
        min_traffic=least,
    )
    assert not (high.firing & ~low.firing).any()
    lows = burn_warnings(
        starts, bad, total, instants, target, [rule], budgeting=Budgeting.EVENTS, min_traffic=least
    )
    highs = burn_warnings(
        starts,
        bad,
        total,
        instants,
        target,
        [higher],
        budgeting=Budgeting.EVENTS,
        min_traffic=least,
    )
    # (a run may split in two at the higher factor, so the count alone may grow; the time
    # under warning never does): each higher-factor warning lies inside a lower-factor one
    for w in highs:
        assert any(
            v.raised_at <= w.raised_at
            and (
                v.cleared_at is None or (w.cleared_at is not None and w.cleared_at <= v.cleared_at)
            )
            for v in lows
        )


@settings(max_examples=100)
@given(data=series(), target=targets, least=guards)
def test_events_are_idempotent(
    data: tuple[list[int], list[int], list[int], list[int]], target: Decimal, least: int
) -> None:
    starts, bad, total, instants = data
    chosen = (
        BurnRateRule(long=timedelta(minutes=30), short=timedelta(minutes=3), factor=Decimal(2)),
        BurnRateRule(
            long=timedelta(hours=1),
            short=timedelta(minutes=5),
            factor=Decimal(1),
            severity="warning",
        ),
    )
    subject = {"agreement": "sla-1", "objective": "good-ratio", "customer": "c", "service": "s"}

    def run() -> tuple[Event, ...]:
        found = burn_warnings(
            starts,
            bad,
            total,
            instants,
            target,
            chosen,
            budgeting=Budgeting.EVENTS,
            min_traffic=least,
        )
        return burn_events(found, **subject)

    first, second = run(), run()
    assert first == second
    fingerprints = {burn_fingerprint(r, **subject) for r in chosen}
    for event in first:
        assert event.fingerprint in fingerprints
    # warnings of one rule are disjoint runs: raised before cleared, next raised after
    found = burn_warnings(
        starts, bad, total, instants, target, chosen, budgeting=Budgeting.EVENTS, min_traffic=least
    )
    for rule in chosen:
        mine = [w for w in found if w.rule == rule]
        for a, b in pairwise(mine):
            assert a.cleared_at is not None
            assert a.raised_at < a.cleared_at < b.raised_at


@given(data=series(), target=targets)
def test_time_budgeting_guard_scales_to_minutes(
    data: tuple[list[int], list[int], list[int], list[int]], target: Decimal
) -> None:
    # The same series read as microseconds: a guard of g agreed minutes is g × 60 000 000 µs.
    starts, bad, total, instants = data
    us = [x * MIN_US for x in bad], [x * MIN_US for x in total]
    rule = BurnRateRule(long=timedelta(minutes=20), short=timedelta(minutes=2), factor=Decimal(3))
    (events,) = evaluate(
        starts, bad, total, instants, target, [rule], budgeting=Budgeting.EVENTS, min_traffic=7
    )
    (time,) = evaluate(
        starts, us[0], us[1], instants, target, [rule], budgeting=Budgeting.TIME, min_traffic=7
    )
    assert (events.firing == time.firing).all()
