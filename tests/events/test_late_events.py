"""Events of one fault split over payloads, or arriving out of order: the outcome is that of
the events processed in order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from servanda.catalog.graph import DependencyGraph
from servanda.catalog.model import Component
from servanda.core.records import from_jsonable
from servanda.events.correlate import Correlator
from servanda.events.incidents import Incident
from servanda.events.model import Event, Severity, Status

T = datetime(2024, 4, 11, 11, 40, tzinfo=UTC)


def at(minutes: float = 0, seconds: float = 0) -> datetime:
    return T + timedelta(minutes=minutes, seconds=seconds)


def comp(id: str, *deps: Any) -> Component:
    return from_jsonable(Component, {"id": id, "depends_on": list(deps)})


NODES = [comp("backhaul"), comp("switch", "backhaul"), comp("access", "switch")]
GRAPH = DependencyGraph.of(NODES)


def ev(fp: str, node: str, start: datetime, end: datetime | None = None) -> Event:
    return Event(
        source="test",
        fingerprint=fp,
        labels=(("alertname", fp),),
        status=Status.RESOLVED if end is not None else Status.FIRING,
        starts_at=start,
        ends_at=end,
        severity=Severity.CRITICAL,
        node=node,
    )


def fresh() -> Correlator:
    return Correlator(GRAPH, nodes=NODES)


def replay(batches: list[list[Event]], later: datetime) -> Correlator:
    c = fresh()
    now = T
    for b in batches:
        now = max(now, *(e.ends_at or e.starts_at for e in b))
        c.process(b, now)
    c.tick(later)
    return c


def kept(c: Correlator) -> list[Incident]:
    return [i for i in c.incidents() if i.merged_into is None]


def facts(c: Correlator) -> list[tuple[object, ...]]:
    return [
        (
            i.id,
            i.root,
            i.root_fingerprints,
            i.detected_at,
            i.resolved_at,
            i.reopen_count,
            tuple((s.fingerprint, s.since, s.until) for s in i.symptoms),
            tuple((x.node, x.since, x.until) for x in i.impacted),
        )
        for i in kept(c)
    ]


LOS_END = at(7, 30.165)
LINK_END = at(7, 31.865)
STORM = [
    ev("los", "backhaul", at(0)),
    ev("link", "backhaul", at(0, 1)),
    ev("stuck", "switch", at(0, 20)),
]


def test_the_root_recovers_at_its_latest_end_whichever_is_delivered_last() -> None:
    # The example's storm: LinkDown ends last but is delivered first.
    link = ev("link", "backhaul", at(0, 1), LINK_END)
    los = ev("los", "backhaul", at(0), LOS_END)
    at_once = replay([[*STORM, link, los]], at(30))
    split = replay([STORM, [link], [los]], at(30))
    assert facts(split) == facts(at_once)
    root = next(i for i in kept(split) if i.root == "backhaul")
    assert root.resolved_at == LINK_END
    assert {x.until for x in root.impacted} == {LINK_END}
    # The switch that keeps firing becomes its own incident, detected at that time too.
    stuck = next(i for i in kept(split) if i.root == "switch")
    assert stuck.detected_at == LINK_END


def test_an_alert_that_started_before_the_recovery_continues_the_incident() -> None:
    first = [ev("los", "backhaul", at(0)), ev("los", "backhaul", at(0), at(5))]
    late = [ev("link", "backhaul", at(0, 1)), ev("link", "backhaul", at(0, 1), at(6))]
    split = replay([first, late], at(30))
    assert facts(split) == facts(replay([first + late], at(30)))
    (inc,) = kept(split)
    assert inc.reopen_count == 0
    assert inc.resolved_at == at(6)
    assert [(x.node, x.since, x.until) for x in inc.impacted if x.node == "backhaul"] == [
        ("backhaul", at(0), at(6))
    ]


def test_an_alert_first_seen_resolved_counts_as_the_episode_it_reports() -> None:
    firing = ev("los", "backhaul", at(0))
    resolved = ev("los", "backhaul", at(0), at(4))
    in_order = replay([[firing], [resolved]], at(30))
    reversed_ = replay([[resolved], [firing]], at(30))
    only_resolved = replay([[resolved]], at(30))
    assert facts(reversed_) == facts(in_order) == facts(only_resolved)
    (inc,) = kept(only_resolved)
    assert (inc.detected_at, inc.resolved_at) == (at(0), at(4))


def test_the_id_follows_the_earliest_root_alert() -> None:
    later = ev("link", "backhaul", at(0, 1))
    earlier = ev("los", "backhaul", at(0))
    c = fresh()
    first = c.process([later], at(0, 1))
    (announced,) = first.opened
    second = c.process([earlier], at(0, 2))
    (inc,) = c.incidents(open_only=True)
    assert inc.id != announced
    assert inc.id == kept(replay([[earlier, later]], at(0, 2)))[0].id
    assert (announced, inc.id) in second.merged
    old = c.incident(announced)
    assert old is not None
    assert old.merged_into == inc.id
    assert announced in inc.merged_from
    assert c.alert("link").incident_id == inc.id  # type: ignore[union-attr]


def test_a_late_symptom_of_a_recovered_root_waits_the_grace_with_it() -> None:
    root = [ev("los", "backhaul", at(0)), ev("los", "backhaul", at(0), at(5))]
    symptom = [ev("acc", "access", at(1))]
    in_order = replay([root[:1], symptom, root[1:]], at(30))
    late = replay([root, symptom], at(30))
    assert facts(late) == facts(in_order)
    by_root = {i.root: i for i in kept(late)}
    assert [s.fingerprint for s in by_root["backhaul"].symptoms] == ["acc"]
    assert by_root["access"].detected_at == at(5)


def test_a_late_root_takes_over_the_resolved_incident_of_its_symptom() -> None:
    symptom = [ev("acc", "access", at(0, 30)), ev("acc", "access", at(0, 30), at(3))]
    root = [ev("los", "backhaul", at(0))]
    in_order = replay([root + symptom], at(30))
    late = replay([symptom, root], at(30))
    assert facts(late) == facts(in_order)
    (inc,) = kept(late)
    assert inc.root == "backhaul"
    assert [(s.fingerprint, s.until) for s in inc.symptoms] == [("acc", at(3))]


def test_a_taken_over_incident_brings_the_partial_interval_it_had_closed() -> None:
    # The switch fails first and takes the portal half down (it needs the switch for a 0.5
    # share); the portal's own alert makes it fully down; then the backhaul fails and takes
    # the switch's incident over. Whether the portal's alert came in the backhaul's batch or
    # before it, the portal was half down from the switch's failure, then fully.
    nodes = [
        comp("backhaul"),
        comp("switch", "backhaul"),
        comp("portal", {"all_of": ["switch"], "share": 0.5}),
    ]
    switch = [ev("stuck", "switch", at(0))]
    portal = [ev("slow", "portal", at(0, 2))]
    backhaul = [ev(f"los{k}", "backhaul", at(0, 2)) for k in range(2)]

    def run(batches: list[list[Event]]) -> Correlator:
        c = Correlator(DependencyGraph.of(nodes), nodes=nodes)
        for b in batches:
            c.process(b, max(e.starts_at for e in b))
        c.tick(at(30))
        return c

    at_once = run([switch + portal + backhaul])
    split = run([switch, portal, backhaul])
    assert facts(split) == facts(at_once)
    (inc,) = kept(split)
    assert inc.root == "backhaul"
    assert [(x.since, x.until, x.fraction) for x in inc.impacted if x.node == "portal"] == [
        (at(0), at(0, 2), 0.5),
        (at(0, 2), None, 1.0),
    ]


# The switch needs the backhaul for a 0.5 share (down on its own, else half down with it); the
# access needs the switch whole.
CHAIN = [
    comp("backhaul"),
    comp("switch", {"all_of": ["backhaul"], "share": 0.5}),
    comp("access", "switch"),
]


def replay_chain(batches: list[list[Event]], later: datetime) -> Correlator:
    c = Correlator(DependencyGraph.of(CHAIN), nodes=CHAIN)
    now = T
    for b in batches:
        now = max(now, *(e.ends_at or e.starts_at for e in b))
        c.process(b, now)
    c.tick(later)
    return c


def test_a_symptom_that_ends_with_the_node_it_was_down_through_stays_a_symptom() -> None:
    # The switch and the access recover at the same instant, the backhaul still down; the end
    # of the access alert comes in the next payload.
    fired = [
        ev("los", "backhaul", at(0)),
        ev("stuck", "switch", at(0)),
        ev("acc", "access", at(0)),
    ]
    switch_end = ev("stuck", "switch", at(0), at(0, 20.5))
    access_end = ev("acc", "access", at(0), at(0, 20.5))
    at_once = replay_chain([[*fired, switch_end, access_end]], at(30))
    split = replay_chain([[*fired, switch_end], [access_end]], at(30))
    assert facts(split) == facts(at_once)
    (inc,) = kept(split)
    assert inc.root == "backhaul"
    assert [(s.fingerprint, s.until) for s in inc.symptoms] == [
        ("acc", at(0, 20.5)),
        ("stuck", at(0, 20.5)),
    ]


def test_a_symptom_that_outlives_the_node_it_was_down_through_waits_the_grace() -> None:
    # The access alert comes first (a provisional root, announced), then the backhaul takes
    # it over; when the switch recovers the access keeps firing: after the grace it is a root
    # from the switch's recovery, with the same id whichever way the events were cut.
    acc = [ev("acc", "access", at(0))]
    rest = [
        ev("stuck", "switch", at(0)),
        ev("los", "backhaul", at(0)),
        ev("stuck", "switch", at(0), at(0, 20.5)),
    ]
    at_once = replay_chain([acc + rest], at(30))
    split = replay_chain([acc, rest], at(30))
    assert facts(split) == facts(at_once)
    by_root = {i.root: i for i in kept(split)}
    assert [(s.fingerprint, s.until) for s in by_root["backhaul"].symptoms] == [
        ("acc", at(0, 20.5)),
        ("stuck", at(0, 20.5)),
    ]
    access = by_root["access"]
    assert access.detected_at == at(0, 20.5)
    assert [(x.node, x.since, x.until) for x in access.impacted] == [("access", at(0, 20.5), None)]
    # Within the grace it was still held with the backhaul's incident.
    c = replay_chain([acc, rest], at(0, 21))
    assert c.alert("acc").incident_id == by_root["backhaul"].id  # type: ignore[union-attr]


def test_a_warning_that_outlives_the_node_it_was_down_through_waits_the_grace() -> None:
    switch = [ev("stuck", "switch", at(0))]
    warning = Event(
        source="test",
        fingerprint="slow",
        labels=(("alertname", "slow"),),
        status=Status.FIRING,
        starts_at=at(0),
        severity=Severity.WARNING,
        node="access",
    )
    rest = [ev("los", "backhaul", at(0)), warning, ev("stuck", "switch", at(0), at(0, 20.5))]
    at_once = replay_chain([switch + rest], at(30))
    split = replay_chain([switch, rest], at(30))
    assert facts(split) == facts(at_once)
    below = next(i for i in kept(split) if i.below_down_severity)
    assert (below.root, below.detected_at) == ("access", at(0, 20.5))


def test_a_held_symptom_leaves_when_the_next_root_failed_whichever_alert_came_first() -> None:
    # The backhaul recovers; the access still fires and waits the grace; the switch fails at
    # 0:21 (its first alert, delivered after one that started at 0:22) and takes it.
    backhaul = [ev("los", "backhaul", at(0)), ev("acc", "access", at(0, 1))]
    recovered = [ev("los", "backhaul", at(0), at(0, 20.5))]
    first, second = ev("stuck", "switch", at(0, 21)), ev("crc", "switch", at(0, 22))
    in_order = replay([backhaul, recovered, [first, second]], at(30))
    late = replay([backhaul, recovered, [second], [first]], at(30))
    assert facts(late) == facts(in_order)
    by_root = {i.root: i for i in kept(late)}
    assert [(s.fingerprint, s.until) for s in by_root["backhaul"].symptoms] == [("acc", at(0, 21))]
    assert [s.fingerprint for s in by_root["switch"].symptoms] == ["acc"]
