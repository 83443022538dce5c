"""Multiwindow, multi-burn-rate warnings on hand-worked series, and their events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import numpy as np
import pytest

from servanda.agreements.model import Budgeting, BurnRateRule
from servanda.core.intervals import from_us, to_us
from servanda.events.model import Severity, Status
from servanda.measure.burn import (
    SOURCE,
    burn_events,
    burn_fingerprint,
    burn_warnings,
    evaluate,
    guard,
)

DAY = datetime(2024, 4, 2, tzinfo=UTC)
MIN_US = 60_000_000
PAGE = BurnRateRule(long=timedelta(hours=1), short=timedelta(minutes=5), factor=Decimal("14.4"))
SLO = Decimal("99.9")


def t(hour: int, minute: int = 0) -> datetime:
    return DAY.replace(hour=hour, minute=minute)


def minutes(first: datetime, last: datetime) -> np.ndarray:
    """Minute boundaries from ``first`` to ``last`` inclusive, in µs."""
    return np.arange(to_us(first), to_us(last) + 1, MIN_US, dtype=np.int64)


def time_series(
    first: datetime, last: datetime, down: dict[datetime, int]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One-minute buckets [first, last), all agreed; ``down`` µs in the given buckets."""
    starts = minutes(first, last)[:-1]
    total = np.full(starts.size, MIN_US, dtype=np.int64)
    bad = np.zeros(starts.size, dtype=np.int64)
    for when, us in down.items():
        bad[(to_us(when) - starts[0]) // MIN_US] = us
    return starts, bad, total


def six_minutes_down() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    # Down 10:00–10:06 in a series from 08:00 to 12:00.
    return time_series(t(8), t(12), {t(10, m): MIN_US for m in range(6)})


def test_six_minute_outage_pages_while_both_windows_exceed() -> None:
    # Threshold 14.4 × 0.1 % = 1.44 %. At 10:01 the hour holds 60 s down of 3600 s (1.67 %)
    # and the 5 minutes 60 s of 300 s (20 %): raised. The hour's ratio rises to 360/3600 =
    # 10 % at 10:06 and stays there; the 5-minute window last holds a down minute (10:05) at
    # 10:10 and is clean at 10:11: cleared.
    starts, bad, total = six_minutes_down()
    (w,) = burn_warnings(starts, bad, total, minutes(t(8, 1), t(12)), SLO, [PAGE])
    assert w.raised_at == t(10, 1)
    assert w.cleared_at == t(10, 11)
    assert w.threshold == Decimal("0.0144")
    assert w.burn_rate == Decimal(60) / Decimal(3600) / Decimal("0.001")  # 16.67×
    assert w.peak_burn_rate == 100  # 10 % / 0.1 %


def test_window_sums_at_chosen_instants() -> None:
    starts, bad, total = six_minutes_down()
    at = np.array([to_us(x) for x in (t(10), t(10, 1), t(10, 6), t(10, 10), t(10, 11))])
    (e,) = evaluate(starts, bad, total, at, SLO, [PAGE])
    assert (e.long_bad // 1_000_000).tolist() == [0, 60, 360, 360, 360]
    assert (e.long_total // 1_000_000).tolist() == [3600] * 5
    assert (e.short_bad // 1_000_000).tolist() == [0, 60, 300, 60, 0]
    assert (e.short_total // 1_000_000).tolist() == [300] * 5
    assert e.firing.tolist() == [False, True, True, True, False]


def test_thirty_second_blip_does_not_page() -> None:
    # 30 s of 3600 s is 0.83 % < 1.44 %, though the 5 minutes (10 %) exceed.
    starts, bad, total = time_series(t(8), t(12), {t(10): 30_000_000})
    (e,) = evaluate(starts, bad, total, minutes(t(8, 1), t(12)), SLO, [PAGE])
    assert bool(e.short_bad.max() * 1000 > 14.4 * e.short_total.max())
    assert not e.firing.any()
    assert burn_warnings(starts, bad, total, minutes(t(8, 1), t(12)), SLO, [PAGE]) == ()


def test_ratio_exactly_at_the_threshold_does_not_fire() -> None:
    # 51.84 s down in the hour is exactly 1.44 %: not above it. One microsecond more is.
    at = minutes(t(8, 1), t(12))
    starts, bad, total = time_series(t(8), t(12), {t(10): 51_840_000})
    assert burn_warnings(starts, bad, total, at, SLO, [PAGE]) == ()
    starts, bad, total = time_series(t(8), t(12), {t(10): 51_840_001})
    (w,) = burn_warnings(starts, bad, total, at, SLO, [PAGE])
    # fires while the hour holds it and the 5-minute window does: 10:01 to 10:06
    assert (w.raised_at, w.cleared_at) == (t(10, 1), t(10, 6))


def test_default_rules_on_the_six_minute_outage() -> None:
    starts, bad, total = six_minutes_down()
    found = burn_warnings(starts, bad, total, minutes(t(8, 1), t(12)), SLO)
    spans = [(w.rule.long, w.raised_at, w.cleared_at) for w in found]
    assert spans == [
        # 1 h / 5 min at 14.4
        (timedelta(hours=1), t(10, 1), t(10, 11)),
        # 6 h / 30 min at 6 (0.6 %): the 6 h window holds 60 s of 7260 s (0.83 %) at 10:01;
        # the 30 minutes last hold the 10:05 minute at 10:35
        (timedelta(hours=6), t(10, 1), t(10, 36)),
        # 3 d / 6 h at 1 (0.1 %): still firing at 12:00
        (timedelta(days=3), t(10, 1), None),
    ]


def test_guard_on_agreed_minutes() -> None:
    # Agreed 16:00–17:00 only; down 16:50–17:00. At 17:05 the hour [16:05, 17:05) holds 55
    # agreed minutes (≥ 30, half the hour), at 17:40 only 20: below the guard, no page.
    starts = minutes(t(15), t(19))[:-1]
    agreed = (starts >= to_us(t(16))) & (starts < to_us(t(17)))
    total = np.where(agreed, MIN_US, 0).astype(np.int64)
    bad = np.where(agreed & (starts >= to_us(t(16, 50))), MIN_US, 0).astype(np.int64)
    rule = BurnRateRule(long=timedelta(hours=1), short=timedelta(minutes=50), factor=Decimal(10))
    (e,) = evaluate(starts, bad, total, minutes(t(16, 51), t(19)), SLO, [rule])
    fired = [from_us(x) for x in e.instants[e.firing]]
    # the hour's agreed time drops below 30 minutes once t − 1 h passes 16:30
    assert fired[0] == t(16, 51)
    assert fired[-1] == t(17, 30)
    assert guard(rule, Budgeting.TIME, None) == 30 * MIN_US
    # configured explicitly, the guard is what it says: 10 agreed minutes
    (e,) = evaluate(starts, bad, total, minutes(t(16, 51), t(19)), SLO, [rule], min_traffic=10)
    assert from_us(e.instants[e.firing][-1]) == t(17, 49)


def test_guard_defaults() -> None:
    slow = BurnRateRule(long=timedelta(hours=6), short=timedelta(minutes=30), factor=Decimal(6))
    assert guard(slow, Budgeting.TIME, None) == 100 * MIN_US
    assert guard(slow, Budgeting.TIMESLICES, None) == 100 * MIN_US
    assert guard(slow, Budgeting.EVENTS, None) == 100
    assert guard(slow, Budgeting.EVENTS, 7) == 7


def test_low_traffic_never_fires() -> None:
    # One request a minute, every one of them failing: 60 in the hour < 100 events.
    starts = minutes(t(8), t(12))[:-1]
    ones = np.ones(starts.size, dtype=np.int64)
    at = minutes(t(8, 1), t(12))
    assert burn_warnings(starts, ones, ones, at, SLO, [PAGE], budgeting=Budgeting.EVENTS) == ()
    (w,) = burn_warnings(
        starts, ones, ones, at, SLO, [PAGE], budgeting=Budgeting.EVENTS, min_traffic=60
    )
    # the hour holds 60 requests from 09:00 on
    assert (w.raised_at, w.cleared_at) == (t(9), None)
    assert w.burn_rate == 1000


def test_event_ratio_is_a_ratio_of_sums() -> None:
    # 10:00 bucket: 1 bad of 1 (100 %); 10:01 bucket: 0 of 999. Sums: 1/1000 = 0.1 %, which
    # is not above 14.4 × 0.1 %, though the mean of the two ratios (50 %) would be.
    starts = np.array([to_us(t(10)), to_us(t(10, 1))])
    (e,) = evaluate(
        starts,
        [1, 0],
        [1, 999],
        [to_us(t(10, 2))],
        SLO,
        [PAGE],
        budgeting=Budgeting.EVENTS,
        min_traffic=0,
    )
    assert (e.long_bad.tolist(), e.long_total.tolist()) == ([1], [1000])
    assert not e.firing.any()


def test_hundred_percent_target_fires_on_any_failure() -> None:
    starts, bad, total = time_series(t(8), t(12), {t(10): 1})
    (w,) = burn_warnings(starts, bad, total, minutes(t(8, 1), t(12)), Decimal(100), [PAGE])
    assert (w.raised_at, w.cleared_at) == (t(10, 1), t(10, 6))
    assert w.threshold == 0
    assert w.burn_rate is None


def test_refuses_malformed_series() -> None:
    with pytest.raises(ValueError, match="between 0 and total"):
        evaluate([0, 1], [2, 0], [1, 1], [5], SLO)
    with pytest.raises(ValueError, match="strictly increasing"):
        evaluate([0, 0], [0, 0], [1, 1], [5], SLO)
    with pytest.raises(ValueError, match="instants must be strictly increasing"):
        evaluate([0, 1], [0, 0], [1, 1], [5, 5], SLO)
    with pytest.raises(ValueError, match="differ in length"):
        evaluate([0, 1], [0], [1, 1], [5], SLO)
    with pytest.raises(ValueError, match="integers"):
        evaluate([0.5], [0], [1], [5], SLO)


SUBJECT = {"agreement": "sla-globex", "objective": "availability", "customer": "globex"}


def test_events_of_a_warning() -> None:
    starts, bad, total = six_minutes_down()
    found = burn_warnings(starts, bad, total, minutes(t(8, 1), t(12)), SLO)
    events = burn_events(found, service="internet", **SUBJECT)
    # ordered by the time each tells of (raise, or clear), then fingerprint
    told = [e.ends_at or e.starts_at for e in events]
    assert told == sorted(told)
    assert sorted(
        (e.status, e.starts_at, e.ends_at or e.starts_at, e.severity) for e in events
    ) == [
        (Status.FIRING, t(10, 1), t(10, 1), Severity.CRITICAL),
        (Status.FIRING, t(10, 1), t(10, 1), Severity.CRITICAL),
        (Status.FIRING, t(10, 1), t(10, 1), Severity.WARNING),
        (Status.RESOLVED, t(10, 1), t(10, 11), Severity.CRITICAL),
        (Status.RESOLVED, t(10, 1), t(10, 36), Severity.CRITICAL),
    ]
    page = next(e for e in events if e.label("long_window") == "1h")
    assert page.source == SOURCE == "servanda-slo"
    assert page.node == "internet"
    assert (
        page.summary
        == "availability of internet for globex burning its error budget 14.4× over 1 h"
    )
    assert dict(page.labels) == {
        "agreement": "sla-globex",
        "alertname": "ErrorBudgetBurn",
        "customer": "globex",
        "factor": "14.4",
        "long_window": "1h",
        "objective": "availability",
        "service": "internet",
        "severity": "critical",
        "short_window": "5m",
    }
    assert page.fingerprint == burn_fingerprint(PAGE, service="internet", **SUBJECT)
    # firing and resolved of one warning share the fingerprint; the three rules differ
    assert len({e.fingerprint for e in events}) == 3
    ticket = next(e for e in events if e.label("long_window") == "3d")
    assert ticket.summary.endswith("burning its error budget 1× over 3 d")


def test_fingerprint_names_the_subject_and_the_rule() -> None:
    base = burn_fingerprint(PAGE, service="internet", **SUBJECT)
    same_rule = BurnRateRule(
        long=timedelta(minutes=60), short=timedelta(seconds=300), factor=Decimal("14.40")
    )
    assert burn_fingerprint(same_rule, service="internet", **SUBJECT) == base
    other = {**SUBJECT, "customer": "initech"}
    assert burn_fingerprint(PAGE, service="internet", **other) != base
    assert burn_fingerprint(PAGE, service="voice", **SUBJECT) != base
    faster = BurnRateRule(long=PAGE.long, short=PAGE.short, factor=Decimal(15))
    assert burn_fingerprint(faster, service="internet", **SUBJECT) != base


def test_targets_with_many_decimals_stay_exact() -> None:
    # 99.9000000000000000001 % makes the threshold's denominator too large for int64
    # products: the comparison falls back to Python integers and finds the same warning.
    starts, bad, total = six_minutes_down()
    target = Decimal("99.9000000000000000001")
    (w,) = burn_warnings(starts, bad, total, minutes(t(8, 1), t(12)), target, [PAGE])
    assert (w.raised_at, w.cleared_at) == (t(10, 1), t(10, 11))
    assert w.threshold < Decimal("0.0144")
