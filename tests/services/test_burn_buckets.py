"""The burn-rate series counts downtime exactly as availability counts it: partial outages by
their fraction, planned ones as excluded time, maintenance left out. Summed over a window, its
bad and agreed microseconds are the window's downtime and agreed time (to the microsecond each
bucket rounds to), so a burn-rate replay over a period agrees with the period's availability."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from servanda.agreements.model import ExcludedTime
from servanda.core.intervals import IntervalSet, to_us
from servanda.events.outages import Outage
from servanda.measure import availability as av
from servanda.services.burn import _buckets

T = datetime(2024, 4, 2, 10, 0, tzinfo=UTC)
END = T + timedelta(hours=3)


def schedule(maintenance: bool) -> av.Schedule:
    windows = (
        IntervalSet.from_arrays(
            [to_us(T + timedelta(minutes=50))], [to_us(T + timedelta(minutes=80))]
        )
        if maintenance
        else None
    )
    return av.Schedule.build(T, END, maintenance=windows)


def outage(start: int, length: int, fraction: float, planned: bool = False) -> Outage:
    return Outage(
        incident_id="inc", service="internet", customer="globex",
        start=T + timedelta(seconds=start), end=T + timedelta(seconds=start + length),
        fraction=fraction, planned=planned,
    )  # fmt: skip


def test_a_half_outage_counts_half() -> None:
    """40 minutes at 50 % from 10:00: 30 s of each minute is bad, as availability says."""
    starts, bad, total = _buckets(schedule(False), [outage(0, 2400, 0.5)], T, END)
    assert len(starts) == 180
    assert bad[:40].tolist() == [30_000_000] * 40
    assert int(bad[40:].sum()) == 0
    assert total.tolist() == [60_000_000] * 180


outages = st.lists(
    st.builds(
        outage,
        st.integers(-600, 3 * 3600),
        st.integers(1, 3600),
        st.sampled_from([1.0, 0.5, 0.25, 0.75]),
        st.booleans(),
    ),
    max_size=6,
)


@settings(max_examples=60, deadline=None)
@given(outages, st.booleans(), st.sampled_from(list(ExcludedTime)))
def test_the_series_adds_up_to_the_windows_availability(
    found: list[Outage], maintenance: bool, convention: ExcludedTime
) -> None:
    plan = schedule(maintenance)
    _, bad, total = _buckets(plan, found, T, END, convention)
    clipped = [o for o in found if o.end is not None and o.end > T and o.start < END]
    num, den = av.group_availability(
        [Outage(incident_id=o.incident_id, service=o.service, customer=o.customer,
                start=max(o.start, T), end=min(o.end or END, END), fraction=o.fraction,
                planned=o.planned) for o in clipped],
        plan, convention,
    )  # fmt: skip
    buckets = len(total)
    assert abs(int(total.sum()) - int(den * 1_000_000)) <= buckets
    assert abs(int(bad.sum()) - int((den - num) * 1_000_000)) <= 2 * buckets


@settings(max_examples=40, deadline=None)
@given(outages, st.booleans(), st.sampled_from(list(ExcludedTime)), st.booleans())
def test_each_slice_is_the_availability_of_its_own_schedule(
    found: list[Outage], maintenance: bool, convention: ExcludedTime, weighted: bool
) -> None:
    """Slice by slice (15-minute slices, a critical window weighing 4), the vectorised figures
    equal availability measured on each slice's own schedule, one at a time."""
    from servanda.core.intervals import WeightedIntervals

    weights = WeightedIntervals.from_arrays(
        [to_us(T + timedelta(minutes=20))], [to_us(T + timedelta(minutes=70))], [4.0]
    )
    base = schedule(maintenance)
    plan = av.Schedule.build(T, END, base.service, base.maintenance, weights)
    step = 15 * 60 * 1_000_000
    starts = np.arange(to_us(T), to_us(END), step, dtype=np.int64)
    ends = starts + step
    columns = av.OutageColumns.from_arrays(
        np.zeros(len(found), dtype=np.int64), [to_us(o.start) for o in found],
        [to_us(o.end) if o.end else to_us(END) for o in found], [o.fraction for o in found],
        [o.planned for o in found],
    )  # fmt: skip
    up, due = av.per_slice(columns, plan, starts, ends, convention, weighted)
    for k, (a, b) in enumerate(zip(starts.tolist(), ends.tolist(), strict=True)):
        own = av.Schedule.build(a, b, plan.service, plan.maintenance, plan.weights)
        num, den = av.group_availability(found, own, convention, weighted)
        assert abs(int(due[k]) - int(den * 1_000_000)) <= 1
        assert abs(int(up[k]) - int(num * 1_000_000)) <= 2
