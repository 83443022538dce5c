"""Alerts below ``CorrelationSettings.down_severity`` are recorded and correlated but take
nothing down: as symptoms under a down root, or as their own low-severity incident."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from servanda.catalog.graph import DependencyGraph
from servanda.catalog.model import Component, Service
from servanda.core.records import from_jsonable, to_jsonable
from servanda.events import correlate
from servanda.events.correlate import CorrelationSettings, Correlator
from servanda.events.incidents import Incident, IncidentState
from servanda.events.model import Event, Severity, Status

T = datetime(2024, 4, 2, 10, 0, tzinfo=UTC)


def at(minutes: float = 0, seconds: float = 0) -> datetime:
    return T + timedelta(minutes=minutes, seconds=seconds)


def comp(id: str, *deps: Any) -> Component:
    return from_jsonable(Component, {"id": id, "depends_on": list(deps)})


NODES: list[Service | Component] = [
    comp("router"),
    comp("switch", "router"),
    comp("host", "switch"),
    from_jsonable(Service, {"id": "web", "name": "Web", "provider": "isp", "depends_on": ["host"]}),
]
GRAPH = DependencyGraph.of(NODES)


def ev(
    fp: str,
    node: str,
    start: datetime,
    end: datetime | None = None,
    severity: Severity = Severity.CRITICAL,
) -> Event:
    return Event(
        source="test",
        fingerprint=fp,
        labels=(("alertname", fp),),
        status=Status.RESOLVED if end is not None else Status.FIRING,
        starts_at=start,
        ends_at=end,
        severity=severity,
        node=node,
    )


def warn(fp: str, node: str, start: datetime, end: datetime | None = None) -> Event:
    return ev(fp, node, start, end, Severity.WARNING)


def correlator(**settings: Any) -> Correlator:
    return Correlator(GRAPH, nodes=NODES, settings=CorrelationSettings(**settings))


def live(c: Correlator) -> list[Incident]:
    return c.incidents(open_only=True)


def test_the_setting_is_documented_and_defaults_to_minor() -> None:
    assert CorrelationSettings().down_severity is Severity.MINOR
    assert "down_severity" in (correlate.__doc__ or "")


def test_a_warning_alone_is_its_own_incident_that_takes_nothing_down() -> None:
    c = correlator()
    c.process([warn("disk", "host", at(0))], at(1))
    (inc,) = live(c)
    assert inc.root == "host"
    assert inc.below_down_severity
    assert inc.state is IncidentState.DETECTED
    assert inc.severity is Severity.WARNING
    assert inc.impacted == ()
    assert inc.impacted_services == ()
    assert inc.degraded == ()
    assert inc.root_fingerprints == ("disk",)
    assert "nothing is taken down" in inc.summary
    # The record validates like any other.
    assert from_jsonable(Incident, to_jsonable(inc)) == inc


def test_info_alerts_are_below_too_and_give_an_info_incident() -> None:
    c = correlator()
    c.process([ev("cert", "web", at(0), severity=Severity.INFO)], at(1))
    (inc,) = live(c)
    assert inc.below_down_severity
    assert inc.severity is Severity.INFO
    assert inc.impacted == ()


def test_nodes_below_a_warning_stay_up() -> None:
    c = correlator()
    c.process([warn("lat", "router", at(0)), ev("h", "host", at(0, 30))], at(1))
    by_root = {i.root: i for i in live(c)}
    assert set(by_root) == {"router", "host"}
    host = by_root["host"]
    assert not host.below_down_severity
    assert host.symptoms == ()
    assert {i.node for i in host.impacted} == {"host", "web"}


def test_a_warning_on_a_node_down_because_of_a_root_is_a_symptom() -> None:
    c = correlator()
    c.process([ev("r", "router", at(0)), warn("disk", "host", at(0, 30))], at(1))
    (inc,) = live(c)
    assert inc.root == "router"
    assert [(s.fingerprint, s.node) for s in inc.symptoms] == [("disk", "host")]
    assert "router" in inc.symptoms[0].reason
    assert inc.severity is Severity.CRITICAL


def test_a_warning_on_the_root_itself_joins_its_incident() -> None:
    c = correlator()
    c.process([ev("down", "switch", at(0)), warn("temp", "switch", at(0, 10))], at(1))
    (inc,) = live(c)
    assert inc.root == "switch"
    assert inc.root_fingerprints == ("down",)
    assert [s.fingerprint for s in inc.symptoms] == ["temp"]


def test_a_warning_just_before_its_node_goes_down_is_taken_over() -> None:
    c = correlator()
    c.process([warn("lat", "switch", at(0))], at(0, 30))
    (early,) = live(c)
    c.process([ev("down", "switch", at(1))], at(1, 30))
    (inc,) = live(c)
    assert inc.root == "switch"
    assert not inc.below_down_severity
    assert inc.merged_from == (early.id,)
    assert [s.fingerprint for s in inc.symptoms] == ["lat"]
    assert c.incident(early.id) is not None
    assert c.incident(early.id).merged_into == inc.id  # type: ignore[union-attr]


def test_an_older_warning_incident_stays_on_its_own() -> None:
    c = correlator()
    c.process([warn("lat", "switch", at(0))], at(0, 30))
    c.process([ev("down", "switch", at(10))], at(10, 30))
    by_kind = {i.below_down_severity: i for i in live(c)}
    assert set(by_kind) == {True, False}
    assert by_kind[True].root_fingerprints == ("lat",)
    assert by_kind[False].symptoms == ()


def test_a_warning_that_outlives_its_root_becomes_its_own_incident_after_the_grace() -> None:
    c = correlator(symptom_grace=timedelta(minutes=5))
    c.process([ev("r", "router", at(0)), warn("disk", "host", at(0, 30))], at(1))
    c.process([ev("r", "router", at(0), at(10))], at(10))
    (root,) = c.incidents()
    assert root.resolved_at == at(10)
    assert live(c) == []
    c.tick(at(15, 1))
    (own,) = live(c)
    assert own.below_down_severity
    assert own.root == "host"
    assert own.detected_at == at(10)
    assert own.impacted == ()


def test_a_warning_incident_resolves_at_the_latest_end_of_its_alerts() -> None:
    c = correlator()
    c.process([warn("a", "host", at(0)), warn("b", "host", at(0, 5))], at(1))
    # The later end is delivered first.
    c.process([warn("b", "host", at(0, 5), at(7))], at(7))
    c.process([warn("a", "host", at(0), at(6))], at(7))
    (inc,) = c.incidents()
    assert inc.resolved_at == at(7)


def test_an_alert_raised_to_critical_takes_its_node_down() -> None:
    c = correlator()
    c.process([warn("disk", "host", at(0))], at(1))
    c.process([ev("disk", "host", at(5))], at(5))  # re-fired, now critical
    incidents = {i.below_down_severity: i for i in c.incidents() if i.merged_into is None}
    down = incidents[False]
    assert down.root == "host"
    assert down.root_fingerprints == ("disk",)
    assert {i.node for i in down.impacted} == {"host", "web"}


def test_down_severity_is_a_setting() -> None:
    c = correlator(down_severity=Severity.WARNING)
    c.process(
        [warn("disk", "host", at(0)), ev("note", "switch", at(0), severity=Severity.INFO)], at(1)
    )
    by_root = {i.root: i for i in live(c)}
    assert not by_root["host"].below_down_severity
    assert by_root["host"].impacted_services == ("web",)
    assert by_root["switch"].below_down_severity


def test_a_snapshot_keeps_warning_incidents() -> None:
    c = correlator()
    c.process([warn("disk", "host", at(0))], at(1))
    again = Correlator.restore(c.state(), GRAPH, nodes=NODES)
    assert again.state() == c.state()
    again.process([warn("disk", "host", at(0), at(3))], at(3))
    (inc,) = again.incidents()
    assert inc.below_down_severity
    assert inc.resolved_at == at(3)


def test_a_critical_burn_rate_warning_takes_nothing_down() -> None:
    # Servanda's own burn-rate warnings warn about downtime already counted: a critical one
    # on a service is its own incident and adds no outage; a real alert still does.
    c = correlator()
    burn = Event(
        source="servanda-slo",
        fingerprint="burn-web-1h",
        labels=(("alertname", "ErrorBudgetBurn"),),
        status=Status.FIRING,
        starts_at=at(0),
        severity=Severity.CRITICAL,
        node="web",
    )
    assert "servanda-slo" in correlate.OBSERVING_SOURCES
    c.process([burn], at(1))
    (inc,) = live(c)
    assert inc.below_down_severity
    assert inc.severity is Severity.CRITICAL
    assert inc.impacted == ()
    c.process([ev("web-down", "web", at(2))], at(3))
    down = [i for i in live(c) if not i.below_down_severity]
    assert [i.root for i in down] == ["web"]
    assert down[0].impacted != ()
