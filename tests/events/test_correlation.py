"""Correlation rules: de-duplication, roots and symptoms, redundancy, hold-down, recovery,
flapping, reopening, maintenance, unmapped events, cycles, and restoring from a snapshot."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from servanda.calendars.model import Calendar
from servanda.catalog.graph import DependencyGraph
from servanda.catalog.model import Component, Service
from servanda.core.records import from_jsonable, to_jsonable
from servanda.events.correlate import CorrelationSettings, Correlator, CorrelatorState
from servanda.events.flapping import FlapRule
from servanda.events.incidents import Incident, IncidentState
from servanda.events.lifecycle import acknowledge
from servanda.events.model import Event, Severity, Status

T = datetime(2024, 4, 2, 10, 0, tzinfo=UTC)


def at(minutes: float = 0, seconds: float = 0) -> datetime:
    return T + timedelta(minutes=minutes, seconds=seconds)


def comp(id: str, *deps: Any, calendar: str | None = None) -> Component:
    return from_jsonable(Component, {"id": id, "depends_on": list(deps), "calendar": calendar})


def svc(id: str, *deps: Any) -> Service:
    return from_jsonable(
        Service, {"id": id, "name": id.title(), "provider": "isp", "depends_on": list(deps)}
    )


NODES: list[Service | Component] = [
    comp("uplink-a"),
    comp("uplink-b"),
    comp("core-1", {"any_of": ["uplink-a", "uplink-b"]}),
    comp("core-2"),
    comp("switch-1", "core-1"),
    comp("switch-2", "core-2"),
    comp("db-1", "switch-1"),
    svc("web", "switch-1", "db-1"),
    svc("mail", "switch-2"),
    svc("voip", "switch-2"),
]
GRAPH = DependencyGraph.of(NODES)


def ev(
    fp: str,
    node: str | None,
    start: datetime,
    end: datetime | None = None,
    severity: Severity = Severity.CRITICAL,
    alertname: str = "Down",
) -> Event:
    return Event(
        source="test",
        fingerprint=fp,
        labels=(("alertname", alertname), ("instance", node or "unknown")),
        status=Status.RESOLVED if end is not None else Status.FIRING,
        starts_at=start,
        ends_at=end,
        severity=severity,
        node=node,
    )


def correlator(**settings: Any) -> Correlator:
    return Correlator(GRAPH, nodes=NODES, settings=CorrelationSettings(**settings))


def live(c: Correlator) -> list[Incident]:
    return c.incidents(open_only=True)


def only(c: Correlator) -> Incident:
    found = live(c)
    assert len(found) == 1, [i.summary for i in found]
    return found[0]


# -- de-duplication -------------------------------------------------------------------------------


def test_a_repeat_updates_count_and_last_seen_and_opens_nothing_new() -> None:
    c = correlator()
    first = c.process([ev("a", "core-2", at(0))], at(0))
    assert first.new_alerts == ("a",)
    assert len(first.opened) == 1
    # The same alert again, re-fired with a new start after resolving: a repeat.
    c.process([ev("a", "core-2", at(0), at(1))], at(1))
    again = c.process([ev("a", "core-2", at(2))], at(2))
    assert again.repeats == ("a",)
    assert again.opened == ()
    alert = c.alert("a")
    assert alert is not None
    assert alert.count == 3  # start 0, end 1, start 2
    assert alert.last_seen == at(2)


def test_the_same_batch_twice_changes_nothing() -> None:
    c = correlator()
    batch = [ev("r", "switch-2", at(0)), ev("m", "mail", at(0, 5)), ev("v", "voip", at(0, 9))]
    c.process(batch, at(1))
    before = c.state()
    again = c.process(batch, at(1))
    assert again.duplicates == 3
    assert (again.opened, again.updated, again.alerts) == ((), (), ())
    assert c.state() == before


# -- roots and symptoms ---------------------------------------------------------------------------


def test_symptoms_attach_to_the_failing_component_with_reasons() -> None:
    c = correlator()
    c.process(
        [ev("sw2", "switch-2", at(0)), ev("m", "mail", at(0, 20)), ev("v", "voip", at(0, 30))],
        at(1),
    )
    inc = only(c)
    assert inc.root == "switch-2"
    assert inc.root_fingerprints == ("sw2",)
    assert [(s.node, s.fingerprint) for s in inc.symptoms] == [("mail", "m"), ("voip", "v")]
    assert inc.symptoms[0].reason == "depends on switch-2, which is down since 2024-04-02 10:00 UTC"
    assert inc.impacted_services == ("mail", "voip")
    assert {i.node: i.fraction for i in inc.impacted} == {"switch-2": 1, "mail": 1, "voip": 1}


def test_a_symptom_two_levels_down_names_the_root() -> None:
    c = correlator()
    c.process([ev("c", "core-1", at(0)), ev("w", "web", at(0, 10))], at(1))
    inc = only(c)
    assert inc.root == "core-1"
    (s,) = inc.symptoms
    assert s.reason.startswith("depends on switch-1, which is down")
    assert "root cause core-1, down since 2024-04-02 10:00 UTC" in s.reason


def test_services_are_impacted_even_without_their_own_alert() -> None:
    c = correlator()
    c.process([ev("c2", "core-2", at(0))], at(0))
    inc = only(c)
    assert inc.impacted_services == ("mail", "voip")
    assert "Impacts 2 service(s): mail, voip" in inc.summary


def test_independent_faults_make_separate_incidents() -> None:
    c = correlator()
    c.process([ev("c2", "core-2", at(0)), ev("db", "db-1", at(0))], at(1))
    assert sorted(i.root or "" for i in live(c)) == ["core-2", "db-1"]


def test_severity_is_the_most_severe_alert() -> None:
    c = correlator()
    c.process(
        [
            ev("c2", "core-2", at(0), severity=Severity.MAJOR),
            ev("m", "mail", at(0, 5), severity=Severity.CRITICAL),
        ],
        at(1),
    )
    assert only(c).severity is Severity.CRITICAL


# -- redundancy -----------------------------------------------------------------------------------


def test_one_redundant_uplink_down_impacts_no_service_and_says_so() -> None:
    c = correlator()
    c.process([ev("ua", "uplink-a", at(0))], at(0))
    inc = only(c)
    assert inc.root == "uplink-a"
    assert inc.impacted_services == ()
    assert [i.node for i in inc.impacted] == ["uplink-a"]
    assert [(d.node, d.lost) for d in inc.degraded] == [("core-1", ("uplink-a",))]
    assert "No service is impacted" in inc.summary
    assert "Lost redundancy but still up: core-1 (uplink-a down)" in inc.summary


def test_both_uplinks_down_is_one_incident_rooted_at_the_first_failure() -> None:
    c = correlator()
    c.process([ev("ua", "uplink-a", at(0)), ev("ub", "uplink-b", at(3))], at(3))
    inc = only(c)
    assert inc.root == "uplink-a"
    assert "web" in inc.impacted_services
    web = next(i for i in inc.impacted if i.node == "web")
    assert web.since == at(3)
    (co,) = [s for s in inc.symptoms if s.fingerprint == "ub"]
    assert co.reason == (
        "uplink-b failed too: with uplink-a down, any of uplink-a, uplink-b is unmet"
    )


# -- hold-down ------------------------------------------------------------------------------------


def test_a_root_arriving_after_its_symptoms_takes_them_over() -> None:
    c = correlator()
    early = c.process([ev("m", "mail", at(0, 10)), ev("v", "voip", at(0, 40))], at(1))
    assert len(early.opened) == 2
    late = c.process([ev("sw2", "switch-2", at(0, 50))], at(1, 30))
    inc = only(c)
    assert inc.root == "switch-2"
    assert {s.fingerprint for s in inc.symptoms} == {"m", "v"}
    assert sorted(inc.merged_from) == sorted(early.opened)
    assert inc.detected_at == at(0, 10)
    assert {m[1] for m in late.merged} == {inc.id}
    for old_id in early.opened:
        old = late.incident(old_id)
        assert old is not None
        assert old.merged_into == inc.id
        assert old.state is IncidentState.CLOSED
        assert "merged into" in old.transitions[-1].note


def test_a_root_failing_long_after_a_symptom_leaves_it_alone() -> None:
    c = correlator()
    c.process([ev("m", "mail", at(0))], at(0))
    c.process([ev("sw2", "switch-2", at(10))], at(10))
    assert sorted(i.root or "" for i in live(c)) == ["mail", "switch-2"]


def test_an_acknowledged_incident_is_not_taken_over() -> None:
    c = correlator()
    ch = c.process([ev("m", "mail", at(0))], at(0))
    inc = ch.incidents[0]
    assert c.apply_lifecycle(acknowledge(inc, at(0, 30), "alice"))
    c.process([ev("sw2", "switch-2", at(1))], at(1))
    assert sorted(i.root or "" for i in live(c)) == ["mail", "switch-2"]


def test_hold_down_is_configurable() -> None:
    c = correlator(hold_down=timedelta(minutes=10))
    c.process([ev("m", "mail", at(0))], at(0))
    c.process([ev("sw2", "switch-2", at(8))], at(8))
    assert only(c).root == "switch-2"


# -- recovery -------------------------------------------------------------------------------------


def test_symptoms_resolve_with_their_root() -> None:
    c = correlator()
    c.process([ev("sw2", "switch-2", at(0)), ev("m", "mail", at(0, 5))], at(1))
    c.process([ev("m", "mail", at(0, 5), at(9, 50))], at(10))
    ch = c.process([ev("sw2", "switch-2", at(0), at(10))], at(10))
    (inc,) = ch.incidents
    assert ch.resolved == (inc.id,)
    assert inc.resolved_at == at(10)
    assert inc.mtrs == timedelta(minutes=10)
    assert all(i.until == at(10) for i in inc.impacted)
    assert live(c) == []


def test_a_symptom_still_firing_after_the_grace_becomes_its_own_incident() -> None:
    c = correlator()
    c.process([ev("sw2", "switch-2", at(0)), ev("m", "mail", at(0, 5))], at(1))
    c.process([ev("sw2", "switch-2", at(0), at(10))], at(10))
    assert c.tick(at(14)).opened == ()
    ch = c.tick(at(15))
    (new_id,) = ch.opened
    new = c.incident(new_id)
    assert new is not None
    assert new.root == "mail"
    assert new.detected_at == at(10)
    old = next(i for i in c.incidents() if i.root == "switch-2")
    assert old.symptoms[0].until == at(10)


def test_a_symptom_resolving_within_the_grace_stays_a_symptom() -> None:
    c = correlator()
    c.process([ev("sw2", "switch-2", at(0)), ev("m", "mail", at(0, 5))], at(1))
    c.process([ev("sw2", "switch-2", at(0), at(10))], at(10))
    c.process([ev("m", "mail", at(0, 5), at(12))], at(12))
    assert c.tick(at(30)).opened == ()
    (inc,) = c.incidents()
    assert inc.symptoms[0].until == at(12)


def test_grace_is_decided_on_the_event_clock_when_replaying_history() -> None:
    c = correlator()
    c.process(
        [
            ev("sw2", "switch-2", at(0)),
            ev("m", "mail", at(0, 5)),
            ev("sw2", "switch-2", at(0), at(10)),
            ev("m", "mail", at(0, 5), at(40)),
        ],
        at(60),
    )
    roots = sorted(i.root or "" for i in c.incidents())
    assert roots == ["mail", "switch-2"]


# -- flapping -------------------------------------------------------------------------------------


def test_a_flapping_alert_stays_with_one_incident_until_quiet() -> None:
    c = correlator()
    events = [
        ev("f", "core-2", at(0)),
        ev("f", "core-2", at(0), at(1)),
        ev("f", "core-2", at(2)),
        ev("f", "core-2", at(2), at(3)),
        ev("f", "core-2", at(4)),
        ev("f", "core-2", at(4), at(5)),
        ev("f", "core-2", at(6)),
        ev("f", "core-2", at(6), at(7)),
    ]
    opened: list[str] = []
    flagged: list[str] = []
    for e in events:
        ch = c.process([e], e.ends_at or e.starts_at)
        opened += ch.opened
        flagged += ch.flapping
    assert len(opened) == 1
    assert flagged == ["f"]
    alert = c.alert("f")
    assert alert is not None
    assert alert.flapping
    inc = only(c)
    assert inc.reopen_count == 2  # back at 2 and at 4, flapping from 4: no more reopening
    assert c.tick(at(21)).stable == ()
    quiet = c.tick(at(22))
    assert quiet.stable == ("f",)
    assert quiet.resolved == (inc.id,)
    assert c.incident(inc.id) is not None
    assert live(c) == []


def test_flapping_thresholds_are_configurable() -> None:
    c = correlator(flapping=FlapRule(changes=2, window=timedelta(minutes=5)))
    c.process([ev("f", "core-2", at(0)), ev("f", "core-2", at(0), at(1))], at(1))
    ch = c.process([ev("f", "core-2", at(2))], at(2))
    assert ch.flapping == ("f",)


def test_flap_counting_ignores_arrival_order() -> None:
    events = [
        ev("f", "core-2", at(0)),
        ev("f", "core-2", at(0), at(1)),
        ev("f", "core-2", at(2)),
        ev("f", "core-2", at(2), at(3)),
        ev("f", "core-2", at(4)),
    ]
    a, b = correlator(), correlator()
    a.process(events, at(5))
    for e in reversed(events):
        b.process([e], at(5))
    ra, rb = a.alert("f"), b.alert("f")
    assert ra is not None
    assert rb is not None
    assert ra.flapping
    assert rb.flapping
    assert (ra.starts, ra.ends, ra.count) == (rb.starts, rb.ends, rb.count)


# -- reopen ---------------------------------------------------------------------------------------


def test_a_fault_returning_within_the_window_reopens_its_incident() -> None:
    c = correlator()
    first = c.process([ev("c2", "core-2", at(0))], at(0)).opened[0]
    c.process([ev("c2", "core-2", at(0), at(5))], at(5))
    ch = c.process([ev("c2", "core-2", at(50))], at(50))
    assert ch.opened == ()
    assert ch.reopened == (first,)
    inc = only(c)
    assert inc.id == first
    assert inc.reopen_count == 1
    assert inc.resolved_at is None
    assert inc.transitions[-1].note == "core-2 failed again at 2024-04-02 10:50 UTC"


def test_a_fault_returning_after_the_window_opens_a_new_incident() -> None:
    c = correlator(reopen_window=timedelta(minutes=30))
    first = c.process([ev("c2", "core-2", at(0))], at(0)).opened[0]
    c.process([ev("c2", "core-2", at(0), at(5))], at(5))
    ch = c.process([ev("c2", "core-2", at(50))], at(50))
    assert ch.reopened == ()
    assert ch.opened != (first,)


# -- maintenance ----------------------------------------------------------------------------------


def test_alerts_inside_a_maintenance_window_of_their_node_are_planned() -> None:
    cal = from_jsonable(
        Calendar,
        {
            "id": "ops",
            "timezone": "UTC",
            "maintenance": [
                {
                    "id": "tue",
                    "reason": "patching",
                    "start": "2024-04-02T09:30:00",
                    "duration": "PT1H",
                    "nodes": ["core-2"],
                }
            ],
        },
    )
    nodes = [
        *(n for n in NODES if n.id not in ("core-2", "db-1")),
        comp("core-2", calendar="ops"),
        comp("db-1", "switch-1", calendar="ops"),
    ]
    c = Correlator(DependencyGraph.of(nodes), nodes=nodes, calendars=[cal])
    c.process([ev("c2", "core-2", at(0)), ev("db", "db-1", at(0))], at(0))
    by_root = {i.root: i for i in live(c)}
    assert by_root["core-2"].planned
    assert "Planned" in by_root["core-2"].summary
    assert not by_root["db-1"].planned  # same calendar, but the window names core-2 only
    alert = c.alert("c2")
    assert alert is not None
    assert alert.planned
    c.process([ev("late", "core-2", at(45))], at(45))
    assert not {i.root: i for i in live(c)}["core-2"].planned


# -- unmapped and cycles --------------------------------------------------------------------------


def test_unmapped_events_are_kept_and_listed() -> None:
    c = correlator()
    ch = c.process([ev("u1", None, at(0)), ev("u2", None, at(0)), ev("u1", None, at(0))], at(0))
    assert ch.unmapped == ("u1", "u2")
    incs = live(c)
    assert [i.root for i in incs] == [None, None]
    assert sorted(i.root_fingerprints for i in incs) == [("u1",), ("u2",)]
    assert all(i.impacted == () for i in incs)
    assert "no mapping rule matched" in incs[0].summary


def test_a_cyclic_graph_does_not_loop() -> None:
    nodes = [comp("a", "b"), comp("b", "c"), comp("c", "a"), comp("d", "a")]
    c = Correlator(DependencyGraph.of(nodes), nodes=nodes)
    c.process([ev("a", "a", at(0)), ev("d", "d", at(0, 5)), ev("b", "b", at(0, 5))], at(1))
    assert sum(len(i.root_fingerprints) + len(i.symptoms) for i in live(c)) == 3
    c.process([ev("a", "a", at(0), at(2))], at(2))
    c.tick(at(30))


# -- snapshot -------------------------------------------------------------------------------------


def test_a_restored_correlator_carries_on_like_the_original() -> None:
    first = [ev("sw2", "switch-2", at(0)), ev("m", "mail", at(0, 5)), ev("ua", "uplink-a", at(1))]
    rest = [ev("v", "voip", at(2)), ev("sw2", "switch-2", at(0), at(4)), ev("u", None, at(3))]
    a = correlator()
    a.process(first, at(1))
    snapshot = from_jsonable(CorrelatorState, to_jsonable(a.state()))
    b = Correlator.restore(snapshot, GRAPH, nodes=NODES)
    assert b.state() == a.state()
    a.process(rest, at(4))
    b.process(rest, at(4))
    a.tick(at(20))
    b.tick(at(20))
    assert b.state() == a.state()


def test_a_correlator_restores_the_record_an_unmapped_incident_left_when_its_id_changed() -> None:
    """An unmapped alert whose earlier start arrives late changes its incident's id; the old id
    stays as a closed record naming no alert, which a restore (after an upgrade or a new
    configuration) must take back without failing."""
    a = correlator()
    a.process([ev("u", None, at(1))], at(1))
    changes = a.process([ev("u", None, at(0, 30))], at(1, 5))
    [(old, new)] = changes.merged
    left = a.incident(old)
    assert left is not None
    assert (left.root, left.root_fingerprints, left.merged_into) == (None, (), new)
    b = Correlator.restore(a.state(), GRAPH, nodes=NODES)
    assert b.state() == a.state()


def test_an_alert_below_a_node_waiting_for_the_grace_is_a_root_of_its_own() -> None:
    """n4 needs any of n0, n3 and all of n0; n6 needs n4. n0 and n3 fail together (one
    incident), n0 recovers: n3's and n4's alerts wait the grace, and their nodes have no owner.
    An alert on n6 then fires: n6 was down already (below n4), so its status did not change;
    it must still be correlated (its own root), not left in no incident."""
    from servanda.catalog.model import Requirement, RequirementMode

    nodes = [
        Component(id="n0"),
        Component(id="n3"),
        Component(id="n4", depends_on=(
            Requirement(mode=RequirementMode.ANY_OF, nodes=("n0", "n3")),
            Requirement(mode=RequirementMode.ALL_OF, nodes=("n0",)),
        )),
        Component(id="n6", depends_on=(Requirement(mode=RequirementMode.ALL_OF, nodes=("n4",)),)),
    ]  # fmt: skip
    c = Correlator(DependencyGraph.of(nodes), nodes=nodes)
    c.process([ev("a3", "n3", at(0)), ev("a4", "n4", at(0)), ev("a0", "n0", at(0))], at(0))
    c.process([ev("a0", "n0", at(0), at(0, 1))], at(0, 1))
    c.process([ev("a6", "n6", at(0, 2))], at(0, 2))
    c.tick(at(180))
    a6 = c.alert("a6")
    assert a6 is not None
    assert a6.incident_id is not None
    held = c.incident(a6.incident_id)
    assert held is not None
    assert held.root == "n6"
    assert held.resolved_at is None


def test_a_co_cause_alert_firing_again_stays_a_co_cause() -> None:
    """n6 needs any of n0, n1. n1 fails, then n0 (a co-cause of the one incident). An alert
    of n0 first seen resolved (an episode within the fault), then firing again, is a co-cause
    again: its new episode says why, it is not explained by n1, which n0 does not need."""
    from servanda.catalog.model import Requirement, RequirementMode

    pair = Requirement(mode=RequirementMode.ANY_OF, nodes=("n0", "n1"))
    nodes = [Component(id="n0"), Component(id="n1"), Component(id="n6", depends_on=(pair,))]
    c = Correlator(DependencyGraph.of(nodes), nodes=nodes)
    c.process([ev("n1a", "n1", at(0))], at(0))
    c.process([ev("n0a", "n0", at(0, 1))], at(0, 1))
    c.process([ev("n0b", "n0", at(0), at(0, 2))], at(0, 2))
    c.process([ev("n0b", "n0", at(0, 3))], at(0, 3))
    [incident] = c.incidents(open_only=True)
    assert incident.root == "n1"
    reasons = {s.fingerprint: s.reason for s in incident.symptoms if s.until is None}
    assert set(reasons) == {"n0a", "n0b"}
    assert all(r.startswith("n0 failed too: ") for r in reasons.values()), reasons


def test_a_co_cause_of_a_co_cause_keeps_its_reason_when_the_fault_changes_hands() -> None:
    """n6 needs any of n0, n1; n7 needs any of n0, n2, n5; n2 needs n0. n1 fails; n0 flaps
    (an episode first seen resolved, then firing); n5 has an episode while n0 and n2 are down
    (a co-cause of n0 on n7). When n1's own incident takes the fault over after the grace,
    n5's ended alert goes with it as a co-cause, not as a symptom of n1 (n5 does not need
    n1)."""
    from servanda.catalog.model import Requirement, RequirementMode

    def any_of(*names: str) -> Requirement:
        return Requirement(mode=RequirementMode.ANY_OF, nodes=names)

    nodes = [
        Component(id="n0"),
        Component(id="n1"),
        Component(id="n2", depends_on=(Requirement(mode=RequirementMode.ALL_OF, nodes=("n0",)),)),
        Component(id="n5"),
        Component(id="n6", depends_on=(any_of("n0", "n1"),)),
        Component(id="n7", depends_on=(any_of("n0", "n2", "n5"),)),
    ]
    c = Correlator(DependencyGraph.of(nodes), nodes=nodes)
    c.process(
        [
            ev("n1a", "n1", at(0)),
            ev("n0a", "n0", at(0), at(0, 1)),
            ev("n0b", "n0", at(0, 2)),
            ev("n5a", "n5", at(0, 2), at(0, 3)),
        ],
        at(20),
    )
    c.tick(at(140))
    graph = DependencyGraph.of(nodes)
    for incident in c.incidents(open_only=True):
        assert incident.root is not None
        below = set(graph.downstream(incident.root))
        for s in incident.symptoms:
            if " failed too: " in s.reason:
                below |= graph.downstream(s.node)
        for s in incident.symptoms:
            assert " failed too: " in s.reason or s.node in below, s


def test_records_survive_validation() -> None:
    c = correlator()
    c.process(
        [ev("sw2", "switch-2", at(0)), ev("m", "mail", at(0, 5)), ev("ua", "uplink-a", at(0))],
        at(1),
    )
    state = c.state()
    assert from_jsonable(CorrelatorState, to_jsonable(state)) == state


def test_forgetting_drops_old_resolved_incidents_only() -> None:
    c = correlator()
    c.process([ev("c2", "core-2", at(0)), ev("db", "db-1", at(0))], at(0))
    c.process([ev("c2", "core-2", at(0), at(5))], at(5))
    c.tick(at(70))  # forgetting runs on the event clock: nothing happened since 00:05
    assert [i.root for i in c.incidents()] == ["core-2", "db-1"]
    c.process([ev("other", "db-1", at(70))], at(70))
    assert [i.root for i in c.incidents()] == ["db-1"]
