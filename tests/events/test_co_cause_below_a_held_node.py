"""A co-cause of a joint failure that is also down below a node still waiting for its grace
(no owner yet) belongs to the joint failure's root. It once became a root, rejoined as a
co-cause, was left without an owner and became a root again, without end (a RecursionError
that failed the whole batch); random exploration over the whole suite found it."""

from __future__ import annotations

from datetime import timedelta

from servanda.catalog.graph import DependencyGraph
from servanda.catalog.model import Component, Requirement, RequirementMode
from servanda.events.model import Event, Severity, Status

from .test_correlation_props import END, T, check_symptoms_below_root, run

ALL, ANY = RequirementMode.ALL_OF, RequirementMode.ANY_OF


def node(name: str, *reqs: tuple[RequirementMode, tuple[str, ...]]) -> Component:
    return Component(id=name, depends_on=tuple(Requirement(mode=m, nodes=n) for m, n in reqs))


def alert(fp: str, on: str, start: int, end: int | None = None) -> Event:
    return Event(
        source="p", fingerprint=fp, labels=(), node=on, severity=Severity.CRITICAL,
        status=Status.FIRING if end is None else Status.RESOLVED,
        starts_at=T + timedelta(seconds=start),
        ends_at=None if end is None else T + timedelta(seconds=end),
    )  # fmt: skip


NODES = [
    node("n0"), node("n1"), node("n2"), node("n3"),
    node("n4", (ALL, ("n1",)), (ALL, ("n0",))),
    node("n5"),
    node("n6", (ALL, ("n0",)), (ALL, ("n0",))),
    node("n7", (ANY, ("n4", "n2")), (ALL, ("n0",))),
]  # fmt: skip
EVENTS = [
    alert("a0-n4", "n4", 3, 4),
    alert("a1-n0", "n0", 0),
    alert("a2-n0", "n0", 0, 0),
    alert("a3-n2", "n2", 0, 2),
    alert("a4-n0", "n0", 0),
    alert("a5-n1", "n1", 1),
    alert("a0-n2", "n2", 3),
]


def test_the_co_cause_is_held_by_the_joint_root_and_every_alert_has_one_incident() -> None:
    c = run(NODES, EVENTS, END)
    c.tick(END + timedelta(hours=2))
    open_incidents = {i.id: i for i in c.incidents(open_only=True)}
    holders: dict[str, list[str]] = {}
    for inc in open_incidents.values():
        for fp in inc.root_fingerprints:
            holders.setdefault(fp, []).append(inc.id)
        for s in inc.symptoms:
            if s.until is None:
                holders.setdefault(s.fingerprint, []).append(inc.id)
    firing = [a for a in c.state().alerts if a.firing]
    assert {a.fingerprint for a in firing} == {"a1-n0", "a4-n0", "a5-n1", "a0-n2"}
    for a in firing:
        assert holders.get(a.fingerprint) == [a.incident_id], a
    graph = DependencyGraph.of(NODES)
    for inc in open_incidents.values():
        check_symptoms_below_root(graph, inc)
