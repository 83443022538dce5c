"""Properties: how the same events are split into batches, and in what order the batches come,
does not change what correlation decides.

The events of a random history (firing and resolved alerts of random severities on a random
dependency tree, all within the hold-down) are cut into random batches, each processed with
the clock at the latest event time delivered so far, with the successive ends (or starts) of
one node's alerts in any order across batches (a later end delivered before an earlier one).
The incidents must be those of the whole history processed at once: the same ids, roots,
alerts, symptoms, detection and resolution times, and down times (hence outages).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from servanda.catalog.graph import DependencyGraph
from servanda.catalog.model import Component, Requirement, RequirementMode
from servanda.events.correlate import Correlator
from servanda.events.model import Event, Severity, Status

T = datetime(2024, 4, 2, 10, 0, tzinfo=UTC)
NAMES = [f"n{i}" for i in range(7)]
LATER = T + timedelta(minutes=30)
"""Past every grace period and quiet time, before resolved incidents are forgotten."""


@st.composite
def graphs(draw: st.DrawFn) -> list[Component]:
    """Dependency trees: each node needs at most one other, fully or for a share.

    (A node that two failing roots take down at once sits with whichever root's alerts came
    first; that attribution is the one thing arrival order may change, so it is left out.)
    """
    nodes = []
    for i, name in enumerate(NAMES):
        reqs = []
        if i and draw(st.integers(0, 3)):
            up = draw(st.sampled_from(NAMES[:i]))
            share = draw(st.sampled_from([None, None, 0.5]))
            reqs.append(Requirement(mode=RequirementMode.ALL_OF, nodes=(up,), share=share))
        nodes.append(Component(id=name, depends_on=tuple(reqs)))
    return nodes


@st.composite
def histories(draw: st.DrawFn) -> list[Event]:
    """One fault per node, reported by several alerts as a source sends them: a firing event,
    then often a resolved one; their times spread around the fault's start and end (so they
    overlap). An alert keeps its severity. Every time lies within the hold-down."""
    events = []
    faults: dict[str | None, tuple[int, int]] = {}
    for k in range(draw(st.integers(1, 10))):
        node = draw(st.sampled_from([*NAMES, None]))
        fp = f"a{k}-{node}"
        sev = draw(st.sampled_from(list(Severity)))
        begin, end = faults.setdefault(node, (draw(st.integers(0, 40)), draw(st.integers(20, 60))))
        start = T + timedelta(seconds=begin + draw(st.integers(0, 9)))
        base: dict[str, Any] = {
            "source": "p",
            "fingerprint": fp,
            "labels": (),
            "starts_at": start,
            "node": node,
            "severity": sev,
        }
        events.append(Event(status=Status.FIRING, **base))
        if draw(st.integers(0, 2)):
            # Ends on half-seconds: no alert starts at the very instant another ends, where
            # which of the two happens first is a convention, not information.
            until = start + timedelta(seconds=end + draw(st.integers(0, 9)) + 0.5)
            events.append(Event(status=Status.RESOLVED, ends_at=until, **base))
    return events


def told(e: Event) -> datetime:
    return e.ends_at if e.status is Status.RESOLVED and e.ends_at is not None else e.starts_at


def union(spans: list[tuple[datetime, datetime | None]]) -> list[tuple[datetime, datetime | None]]:
    """Overlapping or touching spans joined (None: still lasting)."""
    out: list[tuple[datetime, datetime | None]] = []
    for since, until in sorted(spans, key=lambda s: (s[0], s[1] or LATER)):
        if out and (out[-1][1] is None or out[-1][1] >= since):
            last = out[-1][1]
            out[-1] = (out[-1][0], None if last is None or until is None else max(last, until))
        else:
            out.append((since, until))
    return out


def outcome(c: Correlator) -> tuple[list[tuple[object, ...]], dict[tuple[str, float], object]]:
    """Every incident not merged away, with what SLA measurement reads from it: its alerts,
    symptoms, times, and the intervals of its root; and for every node, when it was down (or
    partly down), over all incidents.

    Which incident holds the interval of a node two roots take down at once may depend on
    which root's alerts came first; when the node was down does not.
    """
    out: list[tuple[object, ...]] = []
    down: dict[tuple[str, float], list[tuple[datetime, datetime | None]]] = {}
    for i in c.incidents():
        if i.merged_into is not None:
            continue
        out.append(
            (
                i.id,
                i.root,
                i.root_fingerprints,
                i.below_down_severity,
                i.detected_at,
                i.resolved_at,
                tuple((s.fingerprint, s.node, s.since, s.until) for s in i.symptoms),
                tuple((x.since, x.until, x.fraction) for x in i.impacted if x.node == i.root),
                i.severity,
                i.reopen_count,
            )
        )
        for x in i.impacted:
            down.setdefault((x.node, x.fraction), []).append((x.since, x.until))
    out.sort(key=repr)
    return out, {k: union(v) for k, v in sorted(down.items())}


def at_once(nodes: list[Component], events: list[Event]) -> Correlator:
    c = Correlator(DependencyGraph.of(nodes), nodes=nodes)
    c.process(events, max(told(e) for e in events))
    c.tick(LATER)
    return c


def in_batches(nodes: list[Component], batches: list[list[Event]]) -> Correlator:
    c = Correlator(DependencyGraph.of(nodes), nodes=nodes)
    now = T
    for batch in batches:
        now = max(now, *(told(e) for e in batch))
        c.process(batch, now)
    c.tick(LATER)
    return c


@st.composite
def deliveries(draw: st.DrawFn, events: list[Event]) -> list[list[Event]]:
    """The events by time (at one instant, ends before starts, as within a batch), except
    that where a node's alerts end (or start) one after the other, with nothing else in
    between, they come in any order: a root's alerts resolved in separate payloads, the later
    end delivered first, as in the example's storm. Cut into random batches."""
    order = sorted(events, key=lambda e: (told(e), e.status is Status.FIRING))
    runs: list[list[Event]] = []
    for e in order:
        if runs and (runs[-1][0].node, runs[-1][0].status) == (e.node, e.status):
            runs[-1].append(e)
        else:
            runs.append([e])
    shuffled = [e for run in runs for e in draw(st.permutations(run))]
    cuts = sorted(draw(st.sets(st.integers(1, max(1, len(order) - 1)), max_size=len(order))))
    bounds = [0, *cuts, len(order)]
    return [shuffled[a:b] for a, b in pairwise(bounds) if a < b]


@settings(max_examples=400, deadline=None)
@given(graphs(), histories(), st.data())
def test_batches_and_their_order_do_not_change_the_incidents(
    nodes: list[Component], events: list[Event], data: st.DataObject
) -> None:
    batches = data.draw(deliveries(events))
    assert outcome(in_batches(nodes, batches)) == outcome(at_once(nodes, events))


@settings(max_examples=200, deadline=None)
@given(graphs(), histories(), st.data())
def test_payloads_in_time_order_give_the_same_state(
    nodes: list[Component], events: list[Event], data: st.DataObject
) -> None:
    # Delivered in event-time order, batched at random: not even the audit trail differs.
    ordered = sorted(events, key=told)
    cuts = sorted(data.draw(st.sets(st.integers(1, max(1, len(ordered) - 1)))))
    bounds = [0, *cuts, len(ordered)]
    batches = [ordered[a:b] for a, b in pairwise(bounds) if a < b]
    assert outcome(in_batches(nodes, batches)) == outcome(at_once(nodes, events))
