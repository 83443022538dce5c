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
