"""Properties of correlation over random graphs and event streams.

* a batch gives the same incidents whatever its order;
* replaying events already processed changes nothing;
* once time has passed every grace period, each firing mapped alert belongs to exactly one
  open incident, and no alert of a resolved node keeps an incident open;
* a symptom's node is downstream of its incident's root (a co-cause shares a node below it).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from servanda.catalog.graph import DependencyGraph
from servanda.catalog.model import Component, Requirement, RequirementMode
from servanda.events.correlate import Correlator
from servanda.events.incidents import Incident
from servanda.events.model import Event, Severity, Status

T = datetime(2024, 4, 2, 10, 0, tzinfo=UTC)
NAMES = [f"n{i}" for i in range(8)]


@st.composite
def graphs(draw: st.DrawFn) -> list[Component]:
    nodes = []
    for i, name in enumerate(NAMES):
        reqs = []
        earlier = NAMES[:i]
        if earlier:
            for _ in range(draw(st.integers(0, 2))):
                members = draw(
                    st.lists(st.sampled_from(earlier), min_size=1, max_size=3, unique=True)
                )
                mode = draw(st.sampled_from([RequirementMode.ALL_OF, RequirementMode.ANY_OF]))
                reqs.append(Requirement(mode=mode, nodes=tuple(members)))
        nodes.append(Component(id=name, depends_on=tuple(reqs)))
    return nodes


@st.composite
def streams(draw: st.DrawFn) -> list[Event]:
    events = []
    for k in range(draw(st.integers(1, 12))):
        node = draw(st.sampled_from([*NAMES, None]))
        fp = f"a{k % 6}-{node}"
        start = T + timedelta(seconds=draw(st.integers(0, 300)))
        if draw(st.booleans()):
            events.append(
                Event(
                    source="p",
                    fingerprint=fp,
                    labels=(),
                    status=Status.FIRING,
                    starts_at=start,
                    node=node,
                    severity=Severity.CRITICAL,
                )
            )
        else:
            end = start + timedelta(seconds=draw(st.integers(0, 600)))
            events.append(
                Event(
                    source="p",
                    fingerprint=fp,
                    labels=(),
                    status=Status.RESOLVED,
                    starts_at=start,
                    ends_at=end,
                    node=node,
                    severity=Severity.CRITICAL,
                )
            )
    return events


def outcome(c: Correlator) -> list[tuple[object, ...]]:
    """What correlation decided: incidents with their roots, alerts, symptoms and what they
    take down now. Left out: how it got there (merge audit, transitions), the ids (fixed when
    an incident opens, so they follow which alert of a root came first) and the history of a
    node two roots take down (it may sit briefly with a provisional root before the hold-down
    settles it).
    """
    out = []
    for i in c.incidents():
        if i.merged_into is not None:
            continue
        now_down = tuple(sorted((x.node, x.fraction) for x in i.impacted if x.until is None))
        out.append(
            (
                i.root,
                i.root_fingerprints,
                i.detected_at,
                i.resolved_at,
                tuple((s.fingerprint, s.node, s.since, s.until) for s in i.symptoms),
                now_down,
                i.degraded,
                i.severity,
                i.reopen_count,
            )
        )
    out.sort(key=repr)
    return out


def run(nodes: list[Component], events: list[Event], now: datetime) -> Correlator:
    c = Correlator(DependencyGraph.of(nodes), nodes=nodes)
    c.process(events, now)
    return c


END = T + timedelta(minutes=20)


@settings(max_examples=150, deadline=None)
@given(graphs(), streams(), st.randoms(use_true_random=False))
def test_the_order_of_a_batch_does_not_matter(
    nodes: list[Component], events: list[Event], rnd: object
) -> None:
    shuffled = list(events)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    a, b = run(nodes, events, END), run(nodes, shuffled, END)
    assert a.state() == b.state()


@settings(max_examples=150, deadline=None)
@given(graphs(), streams(), st.integers(1, 5))
def test_replaying_changes_nothing(nodes: list[Component], events: list[Event], cut: int) -> None:
    c = Correlator(DependencyGraph.of(nodes), nodes=nodes)
    for i in range(0, len(events), cut):
        c.process(events[i : i + cut], END)
    before = c.state()
    again = c.process(events, END)
    assert again.updated == ()
    assert again.duplicates == len(events)
    assert c.state() == before


@settings(max_examples=150, deadline=None)
@given(graphs(), streams())
def test_every_firing_alert_is_in_exactly_one_open_incident(
    nodes: list[Component], events: list[Event]
) -> None:
    graph = DependencyGraph.of(nodes)
    c = run(nodes, events, END)
    c.tick(END + timedelta(hours=2))
    open_incidents = {i.id: i for i in c.incidents(open_only=True)}
    members: dict[str, list[str]] = {}
    for inc in open_incidents.values():
        for fp in inc.root_fingerprints:
            members.setdefault(fp, []).append(inc.id)
        for s in inc.symptoms:
            if s.until is None:
                members.setdefault(s.fingerprint, []).append(inc.id)
    for alert in c.state().alerts:
        if alert.firing:
            assert members.get(alert.fingerprint) == [alert.incident_id], alert
    for inc in open_incidents.values():
        assert any((a := c.alert(fp)) is not None and a.firing for fp in inc.root_fingerprints), inc
        check_symptoms_below_root(graph, inc)


def check_symptoms_below_root(graph: DependencyGraph, inc: Incident) -> None:
    assert inc.root is not None or not inc.symptoms
    if inc.root is not None:
        below = graph.downstream(inc.root)
        for s in inc.symptoms:
            if " failed too: " in s.reason:
                below |= graph.downstream(s.node)  # what a co-cause takes down is the fault's
        for s in inc.symptoms:
            if " failed too: " in s.reason:
                # A co-cause: it and the root took a node down together.
                assert graph.downstream(s.node) & below, inc
            else:
                assert s.node in below, inc


@settings(max_examples=100, deadline=None)
@given(graphs(), streams(), st.integers(1, 4))
def test_batches_inside_the_hold_down_give_the_same_outcome(
    nodes: list[Component], events: list[Event], cut: int
) -> None:
    # Firing events only, all within the hold-down window: arrival grouping must not matter.
    firing = [
        Event(
            source="p",
            fingerprint=e.fingerprint,
            labels=(),
            status=Status.FIRING,
            starts_at=T + (e.starts_at - T) / 5,
            node=e.node,
        )
        for e in events
    ]
    ordered = sorted(firing, key=lambda e: (e.node is not None, e.node or "", e.fingerprint))
    now = T + timedelta(minutes=1)
    whole = run(nodes, firing, now)
    parts = Correlator(DependencyGraph.of(nodes), nodes=nodes)
    for i in range(0, len(ordered), cut):
        parts.process(ordered[i : i + cut], now)
    assert outcome(parts) == outcome(whole)
    for inc in whole.incidents(open_only=True):
        check_symptoms_below_root(DependencyGraph.of(nodes), inc)
