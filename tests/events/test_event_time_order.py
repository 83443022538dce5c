"""Event-time order within a lateness (servanda.events.watermark): however batches are cut and
in whatever order they arrive, as long as each arrives within the lateness, the correlator
ends where it ends when it is given the same observations one at a time in event-time order.

Checked on the example's month of alerts (shuffled and re-cut), and as a property over random
dependency trees and histories with what broke before: mixed severities, re-fires with a new
start, observations first seen resolved, flapping, simultaneous roots, split batches.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from servanda.catalog.graph import DependencyGraph
from servanda.catalog.model import Component, Requirement, RequirementMode
from servanda.declared.bundle import Bundle
from servanda.events.correlate import Changes, Correlator
from servanda.events.incidents import Incident
from servanda.events.model import Event, Severity, Status
from servanda.events.watermark import FUTURE_TOLERANCE, Resequencer, clamp_future, event_time

from .month_support import month_events, out_of_order

LATENESS = timedelta(minutes=5)
T = datetime(2024, 4, 2, 10, 0, tzinfo=UTC)
RECEIVED = datetime(2024, 5, 1, tzinfo=UTC)
"""When everything was received (a replay): only event times order the input."""


class Recorded(Resequencer):
    """A resequencer that keeps the latest record of every incident and alert it reported
    (the correlator itself lets resolved ones go after a while, as storage keeps them)."""

    def __init__(self, correlator: Correlator, lateness: timedelta) -> None:
        super().__init__(correlator, lateness)
        self.incidents: dict[str, Incident] = {}
        self.alerts: dict[str, Any] = {}

    def _advance(self, target: datetime, late: Sequence[Event] = ()) -> Changes:
        changes = super()._advance(target, late)
        self.incidents.update((i.id, i) for i in changes.incidents)
        self.alerts.update((a.fingerprint, a) for a in changes.alerts)
        return changes


def outcome(order: Recorded, events: Sequence[Event]) -> tuple[list[Incident], list[Any]]:
    """Every incident and alert as last reported."""
    del events
    return sorted(order.incidents.values(), key=lambda i: i.id), sorted(
        order.alerts.values(), key=lambda a: a.fingerprint
    )


def in_order(make: Any, events: Sequence[Event]) -> Recorded:
    """The reference: one observation at a time, in event-time order, then complete."""
    order = Recorded(make(), LATENESS)
    for ev in sorted(events, key=lambda e: (event_time(e), e.status is Status.FIRING)):
        order.offer([ev], RECEIVED)
    order.settle(RECEIVED)
    return order


def delivered(
    make: Any, events: Sequence[Event], rng: random.Random, lateness: timedelta = LATENESS
) -> Recorded:
    """The same observations cut into batches of at most :data:`SPAN` of event time (each
    batch's own order shuffled) and delivered out of order, each within the lateness."""
    order = Recorded(make(), lateness)
    for batch in out_of_order(events, rng, lateness):
        rng.shuffle(batch)
        order.offer(batch, RECEIVED)
    order.settle(RECEIVED)
    return order


# --- The example's month ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def month() -> tuple[Bundle, list[Event]]:
    return month_events()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_month_shuffled_within_the_lateness_is_the_month_in_order(
    month: tuple[Bundle, list[Event]], seed: int
) -> None:
    bundle, events = month
    reference = in_order(lambda: Correlator.of(bundle), events)
    shuffled = delivered(lambda: Correlator.of(bundle), events, random.Random(seed))
    assert shuffled.late == 0
    assert outcome(shuffled, events) == outcome(reference, events)
    assert len(reference.incidents) > 15


def test_the_month_batch_by_batch_as_alertmanager_sent_it(
    month: tuple[Bundle, list[Event]],
) -> None:
    """Delivered as recorded (payload by payload), every observation within the lateness of
    the latest: the outcome is the in-order one."""
    bundle, events = month
    reference = in_order(lambda: Correlator.of(bundle), events)
    order = Recorded(Correlator.of(bundle), LATENESS)
    by_minute: dict[datetime, list[Event]] = {}
    for ev in events:
        by_minute.setdefault(event_time(ev).replace(second=0, microsecond=0), []).append(ev)
    for minute in sorted(by_minute):
        order.offer(by_minute[minute], minute + timedelta(minutes=1))
    order.settle(RECEIVED)
    assert order.late == 0
    assert outcome(order, events) == outcome(reference, events)


def test_without_the_order_the_shuffled_month_differs(
    month: tuple[Bundle, list[Event]],
) -> None:
    """What the order is for: with a lateness of zero the same shuffled delivery gives
    another month (the defect this replaced: 1,146 incidents instead of 814)."""
    bundle, events = month
    reference = in_order(lambda: Correlator.of(bundle), events)
    rng = random.Random(7)
    ordered = sorted(events, key=event_time)
    chunks = [ordered[i : i + 40] for i in range(0, len(ordered), 40)]
    order = Recorded(Correlator.of(bundle), timedelta(0))
    for i in range(0, len(chunks), 2):  # neighbours swapped: each pair arrives back to front
        for chunk in reversed(chunks[i : i + 2]):
            order.offer(chunk, event_time(chunk[-1]) + timedelta(seconds=rng.uniform(0, 60)))
    order.settle(RECEIVED)
    assert outcome(order, events) != outcome(reference, events)


# --- Random histories ---------------------------------------------------------------------------

NAMES = [f"n{i}" for i in range(6)]


@st.composite
def graphs(draw: st.DrawFn) -> list[Component]:
    """Small dependency graphs: trees, shares, and redundant pairs (any_of)."""
    nodes = []
    for i, name in enumerate(NAMES):
        reqs = []
        if i >= 2 and draw(st.integers(0, 3)) == 0:
            pair = tuple(draw(st.permutations(NAMES[:i]))[:2])
            reqs.append(Requirement(mode=RequirementMode.ANY_OF, nodes=pair))
        elif i and draw(st.integers(0, 3)):
            up = draw(st.sampled_from(NAMES[:i]))
            share = draw(st.sampled_from([None, None, 0.5]))
            reqs.append(Requirement(mode=RequirementMode.ALL_OF, nodes=(up,), share=share))
        nodes.append(Component(id=name, depends_on=tuple(reqs)))
    return nodes


@st.composite
def histories(draw: st.DrawFn) -> list[Event]:
    """Faults over an hour: each alert fires, often resolves, sometimes fires again with a new
    start (flapping when it does so often), sometimes is first seen resolved; severities mixed;
    several faults may start at one instant."""
    events: list[Event] = []
    for k in range(draw(st.integers(1, 12))):
        node = draw(st.sampled_from([*NAMES, None]))
        sev = draw(st.sampled_from(list(Severity)))
        base: dict[str, Any] = {"source": "p", "fingerprint": f"a{k}", "labels": (),
                                "node": node, "severity": sev}  # fmt: skip
        at = T + timedelta(seconds=draw(st.integers(0, 3600)) // 15 * 15)
        for _ in range(draw(st.integers(1, 4))):
            length = timedelta(seconds=draw(st.integers(10, 900)) + 0.5)
            first_seen_resolved = draw(st.integers(0, 5)) == 0
            if not first_seen_resolved:
                events.append(Event(status=Status.FIRING, starts_at=at, **base))
            if first_seen_resolved or draw(st.integers(0, 3)):
                events.append(
                    Event(status=Status.RESOLVED, starts_at=at, ends_at=at + length, **base)
                )
            at = at + length + timedelta(seconds=draw(st.integers(15, 600)) // 15 * 15)
    return events


def correlator_on(nodes: list[Component]) -> Any:
    graph = DependencyGraph.of(nodes)
    return lambda: Correlator(graph, nodes=nodes)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(nodes=graphs(), events=histories(), seed=st.integers(0, 2**16))
def test_any_delivery_within_the_lateness_is_the_in_order_result(
    nodes: list[Component], events: list[Event], seed: int
) -> None:
    make = correlator_on(nodes)
    reference = in_order(make, events)
    shuffled = delivered(make, events, random.Random(seed))
    assert shuffled.late == 0
    assert outcome(shuffled, events) == outcome(reference, events)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(nodes=graphs(), events=histories(), seed=st.integers(0, 2**16), cut=st.integers(0, 40))
def test_a_restart_from_the_state_at_any_point_changes_nothing(
    nodes: list[Component], events: list[Event], seed: int, cut: int
) -> None:
    """The order's state (what it holds back, its clock) carried over a pickle round trip,
    as a snapshot does, at a random point of the delivery."""
    import pickle

    make = correlator_on(nodes)
    reference = in_order(make, events)
    rng = random.Random(seed)
    ordered = sorted(events, key=event_time)
    order = Recorded(make(), LATENESS)
    for n, ev in enumerate(ordered):
        if n == cut:
            order = pickle.loads(pickle.dumps(order))
        order.offer([ev], RECEIVED)
        if rng.random() < 0.2:
            order.tick(RECEIVED)
    order.settle(RECEIVED)
    assert outcome(order, events) == outcome(reference, events)


# --- The rules --------------------------------------------------------------------------------


def firing(fp: str, node: str | None, at: datetime) -> Event:
    return Event(source="p", fingerprint=fp, labels=(), status=Status.FIRING, starts_at=at,
                 node=node, severity=Severity.CRITICAL)  # fmt: skip


def pair() -> Any:
    nodes = [Component(id="up"), Component(id="down", depends_on=(
        Requirement(mode=RequirementMode.ALL_OF, nodes=("up",)),))]  # fmt: skip
    return correlator_on(nodes)


def test_a_symptom_first_and_its_root_later_within_the_lateness_is_one_incident() -> None:
    order = Resequencer(pair()(), LATENESS)
    first = order.offer([firing("s", "down", T + timedelta(seconds=40))], T + timedelta(minutes=1))
    assert (first.waiting, first.late, first.changes.opened) == (1, 0, ())
    order.offer([firing("r", "up", T)], T + timedelta(minutes=4))
    assert order.correlator.incidents() == []  # nothing decided before the watermark
    done = order.tick(T + timedelta(minutes=10))
    [incident] = order.correlator.incidents()
    assert incident.root == "up"
    assert incident.detected_at == T
    assert [s.node for s in incident.symptoms] == ["down"]
    assert done.opened == (incident.id,)


def test_an_alert_later_than_the_lateness_is_applied_at_once_and_counted() -> None:
    order = Resequencer(pair()(), LATENESS)
    order.offer([firing("s", "down", T)], T)
    order.offer([firing("x", None, T + timedelta(minutes=20))], T + timedelta(minutes=20))
    assert order.watermark == T + timedelta(minutes=15)
    late = order.offer([firing("r", "up", T - timedelta(seconds=30))], T + timedelta(minutes=21))
    assert late.late == 1
    assert order.late == 1
    # The late root takes over the symptom's incident (the correlator's rule for late roots);
    # the unmapped alert still waits for the watermark.
    [incident] = order.correlator.incidents(open_only=True)
    assert incident.root == "up"
    assert [s.node for s in incident.symptoms] == ["down"]
    assert order.waiting == 1


def test_quiet_sources_let_the_watermark_follow_the_receiving_clock() -> None:
    order = Resequencer(pair()(), LATENESS)
    order.offer([firing("r", "up", T)], T + timedelta(seconds=5))
    assert order.tick(T + timedelta(minutes=4)).opened == ()  # not quiet for a lateness yet
    assert order.tick(T + timedelta(minutes=5, seconds=5)).opened != ()
    assert order.watermark == T  # the clock (T) run on for the 5 min since it arrived, less 5 min
    # A replay's clock runs as far behind the receiving clock as its events did.
    replay = Resequencer(pair()(), LATENESS)
    replay.offer([firing("r", "up", T)], RECEIVED)
    replay.tick(RECEIVED + timedelta(minutes=6))
    assert replay.watermark == T + timedelta(minutes=1)


def test_a_lateness_of_zero_applies_every_alert_as_it_arrives() -> None:
    order = Resequencer(pair()(), timedelta(0))
    done = order.offer([firing("r", "up", T)], T + timedelta(seconds=5))
    assert done.waiting == 0
    assert len(done.changes.opened) == 1
    assert order.offer([firing("s", "down", T - timedelta(seconds=1))], T).late == 0


def test_clock_skew_keeps_times_no_later_than_received() -> None:
    ahead = firing("f", "up", T + timedelta(days=1))
    kept = clamp_future(ahead, T)
    assert kept.event.starts_at == T
    assert kept.skew == timedelta(days=1)
    near = firing("f", "up", T + FUTURE_TOLERANCE)
    assert clamp_future(near, T) == type(kept)(near, None)
    resolved = Event(source="p", fingerprint="f", labels=(), status=Status.RESOLVED,
                     starts_at=T - timedelta(hours=1), ends_at=T + timedelta(hours=2),
                     node="up")  # fmt: skip
    fixed = clamp_future(resolved, T).event
    assert (fixed.starts_at, fixed.ends_at) == (T - timedelta(hours=1), T)
    no_end = Event(source="p", fingerprint="f", labels=(), status=Status.RESOLVED, starts_at=T,
                   node="up")  # fmt: skip
    assert clamp_future(no_end, T + timedelta(minutes=3)).event.ends_at == T + timedelta(minutes=3)


def test_what_an_incident_lists_as_degraded_does_not_depend_on_the_cut() -> None:
    """A redundant pair: n1 fails, n0's episode (reported resolved) shows it failed at the same
    moment, so n1's incident is taken over as a co-cause. What the taken-over incident lists
    as degraded is what it listed when it stopped, however the observations were cut."""
    pair_of = Requirement(mode=RequirementMode.ANY_OF, nodes=("n0", "n1"))
    nodes = [Component(id="n0"), Component(id="n1")]
    nodes += [Component(id=f"n{i}", depends_on=(pair_of,)) for i in (2, 3, 4)]
    make = correlator_on(nodes)

    def resolved(fp: str, start: timedelta, end: timedelta) -> Event:
        return Event(source="p", fingerprint=fp, labels=(), status=Status.RESOLVED,
                     starts_at=T + start, ends_at=T + end, node="n0",
                     severity=Severity.CRITICAL)  # fmt: skip

    s = timedelta(seconds=1)
    events = [
        resolved("a0", 0 * s, 10.5 * s),
        resolved("a2", 0 * s, 10.5 * s),
        resolved("a1", 240 * s, 250.5 * s),
        resolved("a1", 265.5 * s, 276 * s),
        firing("a3", "n1", T),
    ]
    one_by_one = Recorded(make(), LATENESS)
    for ev in sorted(events, key=event_time):
        one_by_one.offer([ev], RECEIVED)
    one_by_one.settle(RECEIVED)
    at_once = Recorded(make(), LATENESS)
    at_once.offer(events, RECEIVED)
    at_once.settle(RECEIVED)
    assert outcome(one_by_one, events) == outcome(at_once, events)
    assert any(i.merged_into for i in at_once.incidents.values())


def test_where_the_clock_stopped_between_two_deadlines_does_not_matter() -> None:
    """A flapping critical alert stops flapping when quiet (its node recovers then, at its
    last end) while a warning on the node is its incident's symptom: the warning's grace
    starts at that recovery, already over when the quiet is decided. A new failure after
    that reopens the incident whether or not the clock stopped between the two."""
    m = timedelta(minutes=1)

    def resolved(fp: str, start: float, end: float) -> Event:
        return Event(source="p", fingerprint=fp, labels=(), status=Status.RESOLVED,
                     starts_at=T + start * m, ends_at=T + end * m, node="n0",
                     severity=Severity.CRITICAL)  # fmt: skip

    flaps = [resolved("c", start, start + 1) for start in (0, 2, 4)]
    warning = Event(source="p", fingerprint="w", labels=(), status=Status.FIRING,
                    starts_at=T + 2.5 * m, node="n0", severity=Severity.WARNING)  # fmt: skip
    make = correlator_on([Component(id="n0")])

    def run(stop_between: bool) -> list[Incident]:
        correlator = make()
        for ev in [*flaps, warning]:
            correlator.process([ev], event_time(ev))
        if stop_between:  # after the quiet (at 10:20), before the new failure
            correlator.tick(T + 20.5 * m)
        correlator.process([resolved("r", 21, 22)], T + 22 * m)
        return correlator.incidents()

    stopped, straight = run(True), run(False)
    assert stopped == straight
    assert [t.note for t in straight[0].transitions if "failed again" in t.note][-1].endswith(
        "10:21 UTC"
    )
