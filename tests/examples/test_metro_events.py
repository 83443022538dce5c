"""The example's month of alerts (``examples/metro-isp/events``): the files read cleanly, are
shaped as Alertmanager sends them, map to the catalog as ``mappings.yaml`` says, and hold the
scenarios the README lists, each at its date and time.

These are facts about the events alone; what correlation makes of them is in
``test_metro_events_correlation.py``.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from servanda.calendars.expand import maintenance_time
from servanda.config.loader import load_config
from servanda.declared.bundle import Bundle
from servanda.events.mapping import NodeMapper
from servanda.events.model import Event, Status
from servanda.ingest.alertmanager import label_set_fingerprint, parse_alertmanager
from servanda.ingest.event_files import read_event_file

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "metro-isp"
EVENTS = EXAMPLE / "events"
ALERTMANAGER_FILE = EVENTS / "2024-04.alertmanager.jsonl"
GENERIC_FILE = EVENTS / "2024-04.generic.json"
RECEIVED = datetime(2024, 5, 1, tzinfo=UTC)
APRIL = (datetime(2024, 4, 1, tzinfo=UTC), datetime(2024, 5, 1, tzinfo=UTC))
ZERO_TIME = "0001-01-01T00:00:00Z"

STORM_ROOT = "backhaul-strasbourg"
STORM_WINDOW = (
    datetime(2024, 4, 11, 10, 0, tzinfo=UTC),
    datetime(2024, 4, 11, 10, 10, tzinfo=UTC),
)
STUCK_SWITCH = "sw-schiltigheim"


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def on(events: list[Event], start: str, end: str) -> list[Event]:
    """Events whose alert started in ``[start, end)``."""
    a, b = utc(start), utc(end)
    return [e for e in events if a <= e.starts_at < b]


def fingerprints(events: list[Event]) -> set[str]:
    return {e.fingerprint for e in events}


@pytest.fixture(scope="module")
def bundle() -> Bundle:
    result = load_config([EXAMPLE])
    assert [str(p) for p in result.problems] == []
    return result.bundle


@pytest.fixture(scope="module")
def mapper(bundle: Bundle) -> NodeMapper:
    return NodeMapper(bundle.mappings, [*bundle.service_by_id, *bundle.component_by_id])


@pytest.fixture(scope="module")
def lines() -> list[str]:
    return ALERTMANAGER_FILE.read_text(encoding="utf-8").splitlines()


@pytest.fixture(scope="module")
def payloads(lines: list[str]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in lines]


@pytest.fixture(scope="module")
def events(mapper: NodeMapper) -> list[Event]:
    found, problems = read_event_file(ALERTMANAGER_FILE, "alertmanager", received_at=RECEIVED)
    assert [str(p) for p in problems] == []
    return mapper.map_all(found)


@pytest.fixture(scope="module")
def generic(mapper: NodeMapper) -> list[Event]:
    found, problems = read_event_file(GENERIC_FILE, "generic", received_at=RECEIVED)
    assert [str(p) for p in problems] == []
    return mapper.map_all(found)


def last_status(events: list[Event]) -> dict[str, Event]:
    """The latest observation of each alert, in file order."""
    return {e.fingerprint: e for e in events}


# --- The files ----------------------------------------------------------------------------------


def test_the_files_read_without_problems(
    payloads: list[dict[str, Any]], events: list[Event], generic: list[Event]
) -> None:
    assert len(payloads) == 144
    assert len(events) == sum(len(p["alerts"]) for p in payloads) == 442
    assert len(fingerprints(events)) == 117
    assert len(generic) == 7
    assert {e.source for e in events} == {"alertmanager"}
    assert {e.source for e in generic} == {"sip-probe"}


def test_the_file_is_what_the_script_writes(monkeypatch: pytest.MonkeyPatch) -> None:
    spec = importlib.util.spec_from_file_location("metro_make_alerts", EVENTS / "make_alerts.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)  # dataclasses look their module up
    spec.loader.exec_module(module)
    assert module.render() == ALERTMANAGER_FILE.read_text(encoding="utf-8")


def test_the_files_stay_small() -> None:
    assert ALERTMANAGER_FILE.stat().st_size < 1_000_000
    assert GENERIC_FILE.stat().st_size < 10_000


def test_every_line_is_a_version_4_webhook_payload(payloads: list[dict[str, Any]]) -> None:
    keys = {
        "receiver",
        "status",
        "alerts",
        "groupLabels",
        "commonLabels",
        "commonAnnotations",
        "externalURL",
        "version",
        "groupKey",
        "truncatedAlerts",
    }
    alert_keys = {
        "status",
        "labels",
        "annotations",
        "startsAt",
        "endsAt",
        "generatorURL",
        "fingerprint",
    }
    for i, p in enumerate(payloads):
        where = f"line {i + 1}"
        assert set(p) == keys, where
        assert p["version"] == "4", where
        assert p["receiver"] == "servanda", where
        assert p["truncatedAlerts"] == 0, where
        alerts = p["alerts"]
        assert alerts, where
        firing = [a for a in alerts if a["status"] == "firing"]
        assert p["status"] == ("firing" if firing else "resolved"), where
        for a in alerts:
            assert set(a) == alert_keys, where
            assert a["fingerprint"] == label_set_fingerprint(a["labels"]), where
            if a["status"] == "firing":
                assert a["endsAt"] == ZERO_TIME, where
            else:
                assert a["status"] == "resolved", where
                assert a["endsAt"] > a["startsAt"], where
            assert a["startsAt"].startswith("2024-04-"), where
            assert a["endsAt"] == ZERO_TIME or a["endsAt"].startswith("2024-04-"), where
        common = {
            k: v
            for k, v in alerts[0]["labels"].items()
            if all(a["labels"].get(k) == v for a in alerts)
        }
        assert p["commonLabels"] == common, where
        assert p["groupLabels"].items() <= common.items(), where
        grouped = ", ".join(f'{k}="{v}"' for k, v in p["groupLabels"].items())
        assert p["groupKey"].endswith(f":{{{grouped}}}"), where


def test_every_alert_is_resolved_by_the_end_of_the_month(events: list[Event]) -> None:
    for e in last_status(events).values():
        assert e.status is Status.RESOLVED, e.summary
        assert e.ends_at is not None
        assert APRIL[0] <= e.starts_at < e.ends_at < APRIL[1]


def test_times_are_utc_in_april(events: list[Event], generic: list[Event]) -> None:
    for e in [*events, *generic]:
        assert e.starts_at.utcoffset() == timedelta(0)
        assert APRIL[0] <= e.starts_at < APRIL[1]


# --- Mapping ------------------------------------------------------------------------------------


def test_alerts_map_to_nodes_except_those_off_the_map(
    events: list[Event], generic: list[Event]
) -> None:
    unmapped = {(e.label("alertname"), e.label("instance")) for e in events if e.node is None}
    assert unmapped == {
        ("CertificateExpiringSoon", "https://portal.metro.example"),
        ("PrinterTonerLow", "printer-noc-2f.office.metro.example"),
        ("InstanceDown", "lab-bng-test-01.lab.metro.example:9100"),
        ("SMARTDiskFailing", "backup-nas-1.metro.example:9100"),
    }
    assert [e.label("check") for e in generic if e.node is None] == ["probe-clock"]


def test_mapping_rules_name_the_right_nodes(events: list[Event], generic: list[Event]) -> None:
    def node_of(**labels: str) -> set[str | None]:
        return {e.node for e in events if all(e.label(k) == v for k, v in labels.items())}

    # An interface alert is about the link it carries, not the router reporting it.
    assert node_of(alertname="LinkDown", ifName="et-0/0/0") == {"uplink-a"}
    assert node_of(alertname="LinkDown", ifName="et-0/0/1") == {"uplink-b"}
    assert node_of(alertname="LinkDown", ifName="et-0/1/2") == {STORM_ROOT}
    # A BGP alert is about the peer (or the uplink it runs over).
    assert node_of(alertname="BGPSessionDown", uplink="uplink-a") == {"uplink-a"}
    assert node_of(alertname="BGPSessionDown", peer="pe-strasbourg") == {"pe-strasbourg"}
    assert node_of(alertname="BGPSessionDown", peer="core-router-1") == {"core-router-1"}
    # Clusters, jobs, CPEs, origins, stream probes, services named by a label.
    assert node_of(job="nginx") == {"cdn-cache"}
    assert node_of(job="radius") == {"radius-aaa"}
    assert node_of(job="blackbox-origin") == {"origin-arena"}
    assert node_of(job="blackbox-stream") == {"video-streaming"}
    assert node_of(alertname="VPNLoginProbeFailed") == {"managed-vpn"}
    assert node_of(alertname="SubscriberAuthFailures") == {"internet-access"}
    assert node_of(alertname="PathProbeFailed") == {"uplink-a"}
    for e in events:
        if e.label("job") == "blackbox-cpe":
            assert e.node == e.label("access_switch")
    # The generic SIP probe, by its target.
    by_check = {e.label("check"): e.node for e in generic}
    assert by_check == {
        "call-setup-pstn": "pstn-interconnect",
        "call-setup-0800": "pstn-interconnect",
        "options-latency": "sip-proxy-1",
        "probe-clock": None,
    }


# --- Scenarios ----------------------------------------------------------------------------------


def storm_events(events: list[Event]) -> list[Event]:
    return [e for e in events if STORM_WINDOW[0] <= e.starts_at < STORM_WINDOW[1]]


def test_storm_one_failure_many_alerts_within_two_minutes(
    events: list[Event], bundle: Bundle
) -> None:
    storm = storm_events(events)
    alerts = last_status(storm)
    assert 50 <= len(alerts) <= 150
    assert len(alerts) == 85
    below = bundle.graph.downstream(STORM_ROOT)
    assert {e.node for e in storm} == below | {STORM_ROOT}
    assert below == {
        "pe-strasbourg",
        "sbc-strasbourg",
        "sw-strasbourg-centre",
        "sw-strasbourg-neudorf",
        "sw-illkirch-campus",
        "sw-schiltigheim",
        "sw-strasbourg-port",
    }
    root_start = min(e.starts_at for e in storm if e.node == STORM_ROOT)
    assert root_start == min(e.starts_at for e in storm)  # the root fails first …
    assert max(e.starts_at for e in storm) - root_start < timedelta(minutes=2)  # … then all
    names: dict[str | None, set[str | None]] = defaultdict(set)
    for e in storm:
        names[e.node].add(e.label("alertname"))
    for node in below:
        assert len(names[node]) >= 3, node
    assert names["pe-strasbourg"] >= {"InstanceDown", "ProbeFailed", "BGPSessionDown"}
    assert names["sbc-strasbourg"] >= {"SIPRegistrationsDropped", "SIPOptionsTimeout"}
    assert names[STORM_ROOT] == {"LinkDown", "OpticalLossOfSignal"}


def test_storm_resolves_with_its_root_but_one_switch_keeps_firing(events: list[Event]) -> None:
    ended = last_status(storm_events(events))
    root_end = max(e.ends_at for e in ended.values() if e.node == STORM_ROOT and e.ends_at)
    assert root_end.replace(microsecond=0) == utc("2024-04-11T11:47:31")
    stuck = {fp: e for fp, e in ended.items() if e.node == STUCK_SWITCH}
    others = {fp: e for fp, e in ended.items() if e.node not in (STUCK_SWITCH, STORM_ROOT)}
    assert len(stuck) == 13  # the switch's own three alerts and its ten customers' CPEs
    for e in others.values():
        assert e.ends_at is not None
        assert root_end <= e.ends_at < root_end + timedelta(minutes=3)
    for e in stuck.values():
        assert e.ends_at is not None
        assert e.ends_at - root_end > timedelta(hours=1)


def test_redundant_uplink_failure_impacts_no_service(events: list[Event], bundle: Bundle) -> None:
    day = on(events, "2024-04-03T00:00", "2024-04-04T00:00")
    assert {e.node for e in day} == {"uplink-a"}
    assert len(fingerprints(day)) == 4
    graph = bundle.graph
    assert set(graph.impacts(["uplink-a"])) == {"uplink-a"}
    assert set(graph.degraded(["uplink-a"])) >= {"internet-access", "managed-vpn", "origin-arena"}


def test_flapping_resolver(events: list[Event]) -> None:
    flaps = on(events, "2024-04-16T19:00", "2024-04-16T21:00")
    assert {e.node for e in flaps} == {"dns-resolver-3"}
    assert len(fingerprints(flaps)) == 1
    starts = sorted({e.starts_at for e in flaps})
    ends = sorted({e.ends_at for e in flaps if e.ends_at is not None})
    assert len(starts) == len(ends) == 7
    assert ends[-1] - starts[0] < timedelta(minutes=30)
    statuses = [e.status for e in flaps]
    assert all(a != b for a, b in pairwise(statuses))


def in_maintenance(bundle: Bundle, node: str, at: datetime) -> bool:
    item = bundle.component_by_id.get(node) or bundle.service_by_id[node]
    assert item.calendar is not None
    calendar = bundle.calendar_by_id[item.calendar]
    windows = maintenance_time(calendar, at - timedelta(days=1), at + timedelta(days=1), node)
    return windows.contains(at)


@pytest.mark.parametrize(
    ("day", "node", "alerts"),
    [
        ("2024-04-10", "radius-aaa", 2),  # the announced RADIUS upgrade, 23:00 Paris
        ("2024-04-14", "core-router-1", 3),  # Sunday patching, 02:00 Paris
        ("2024-04-17", "uplink-b", 2),  # the carrier's re-splicing, 01:00 Zurich on the 18th
    ],
)
def test_alerts_inside_a_maintenance_window_of_their_node(
    events: list[Event], bundle: Bundle, day: str, node: str, alerts: int
) -> None:
    mine = [e for e in events if e.node == node and e.starts_at.date().isoformat() == day]
    assert len(fingerprints(mine)) == alerts
    for e in mine:
        assert in_maintenance(bundle, node, e.starts_at), e.summary
        assert e.ends_at is None or in_maintenance(bundle, node, e.ends_at), e.summary


def test_unplanned_failures_are_outside_maintenance(events: list[Event], bundle: Bundle) -> None:
    for node, start, end in [
        (STORM_ROOT, "2024-04-11T10:00", "2024-04-11T10:10"),
        ("uplink-a", "2024-04-03T14:00", "2024-04-03T15:00"),
        ("cdn-cache", "2024-04-20T15:00", "2024-04-20T16:00"),
    ]:
        for e in on(events, start, end):
            if e.node == node:
                assert not in_maintenance(bundle, node, e.starts_at), e.summary


def test_symptoms_during_maintenance_are_on_nodes_below(
    events: list[Event], bundle: Bundle
) -> None:
    radius = on(events, "2024-04-10T21:00", "2024-04-10T22:30")
    below = bundle.graph.downstream("radius-aaa")
    assert {e.node for e in radius} - {"radius-aaa"} == {"internet-access", "managed-vpn"}
    assert {e.node for e in radius} <= below | {"radius-aaa"}
    patching = on(events, "2024-04-14T00:00", "2024-04-14T02:00")
    assert {e.node for e in patching} == {"core-router-1", "uplink-a"}


def first_line(payloads: list[dict[str, Any]], mapper: NodeMapper, node: str) -> int:
    for i, p in enumerate(payloads):
        found, _ = read_payload(p)
        if any(mapper.map(e) == node for e in found):
            return i
    raise AssertionError(f"no payload about {node}")


def read_payload(p: dict[str, Any]) -> tuple[list[Event], list[object]]:
    events, problems = parse_alertmanager(p, received_at=RECEIVED)
    return events, list(problems)


def test_late_root_arrives_after_its_symptoms(
    events: list[Event], payloads: list[dict[str, Any]], mapper: NodeMapper
) -> None:
    day = on(events, "2024-04-20T15:00", "2024-04-20T16:00")
    assert {e.node for e in day} == {"video-streaming", "cdn-cache"}
    symptoms = min(e.starts_at for e in day if e.node == "video-streaming")
    root = min(e.starts_at for e in day if e.node == "cdn-cache")
    assert timedelta(seconds=30) <= root - symptoms <= timedelta(seconds=90)
    late = [p for p in payloads if p["alerts"][0]["startsAt"].startswith("2024-04-20")]
    symptom_line = first_line(late, mapper, "video-streaming")
    root_line = first_line(late, mapper, "cdn-cache")
    assert symptom_line < root_line
    assert late[symptom_line]["groupLabels"] == {"alertname": "StreamProbeFailed"}
    assert late[root_line]["groupLabels"] == {"alertname": "InstanceDown"}


def test_fault_returns_within_the_hour(events: list[Event]) -> None:
    day = on(events, "2024-04-27T00:00", "2024-04-28T00:00")
    assert {e.node for e in day} == {"origin-arena", "video-streaming"}
    origin = [e for e in day if e.node == "origin-arena"]
    assert len(fingerprints(origin)) == 1
    starts = sorted({e.starts_at for e in origin})
    ends = sorted({e.ends_at for e in origin if e.ends_at is not None})
    assert len(starts) == len(ends) == 2
    assert timedelta(0) < starts[1] - ends[0] < timedelta(hours=1)


def test_one_delivery_is_repeated_byte_for_byte(lines: list[str]) -> None:
    """The receiver timed out on the first notification of the uplink-a failure, so
    Alertmanager sent the very same body again. (Alertmanager's repeat notifications of an
    unchanged group are byte-identical too, but hours apart.)"""
    first = next(i for i, line in enumerate(lines) if "uplink-a: France-IX" in line)
    assert lines[first] == lines[first + 1]
    assert lines.count(lines[first]) == 2
    body = json.loads(lines[first])
    assert body["status"] == "firing"
    assert [a["labels"]["alertname"] for a in body["alerts"]] == ["LinkDown"]


def test_background_noise_all_month(events: list[Event]) -> None:
    warnings = last_status([e for e in events if e.severity.value == "warning"])
    assert len(warnings) == 7
    certificate = [e for e in events if e.label("instance") == "https://portal.metro.example"]
    firing = [e for e in certificate if e.status is Status.FIRING]
    assert len(firing) == 35  # re-sent every 12 hours for 17 days …
    assert len(certificate) == len(firing) + 1  # … then resolved once
    assert {e.starts_at for e in certificate} == {certificate[0].starts_at}
