"""What correlation makes of the example's month of alerts: the outcomes the README promises.

The month is replayed as it was delivered: each Alertmanager payload is one batch, in file
order, with the clock at the latest time the payload mentions; the SIP probe's generic events
join the stream at their own times.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path

import pytest

from servanda.config.loader import load_config
from servanda.declared.bundle import Bundle
from servanda.events.correlate import Changes, Correlator
from servanda.events.incidents import Incident
from servanda.events.mapping import NodeMapper
from servanda.events.model import Event, Status
from servanda.events.outages import outages
from servanda.ingest.alertmanager import parse_alertmanager
from servanda.ingest.event_files import read_event_file

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "metro-isp"
EVENTS = EXAMPLE / "events"
RECEIVED = datetime(2024, 5, 1, tzinfo=UTC)
STORM_ROOT = "backhaul-strasbourg"
STUCK_SWITCH = "sw-schiltigheim"


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def event_time(e: Event) -> datetime:
    return e.ends_at if e.status is Status.RESOLVED and e.ends_at else e.starts_at


@dataclass
class Replay:
    """The month replayed: every incident's latest record and every batch's changes."""

    incidents: dict[str, Incident] = field(default_factory=dict)
    changes: list[tuple[str, Changes]] = field(default_factory=list)
    alerts_in: set[str] = field(default_factory=set)

    def rooted(self, node: str | None, day: str | None = None) -> list[Incident]:
        """Incidents (not merged away) whose root is ``node``, on ``day`` when given."""
        return [
            i
            for i in sorted(self.incidents.values(), key=lambda i: (i.detected_at, i.id))
            if i.root == node
            and i.merged_into is None
            and (day is None or i.detected_at.date().isoformat() == day)
        ]

    def one(self, node: str, day: str) -> Incident:
        found = self.rooted(node, day)
        assert len(found) == 1, [i.summary for i in found]
        return found[0]


@pytest.fixture(scope="module")
def bundle() -> Bundle:
    result = load_config([EXAMPLE])
    assert [str(p) for p in result.problems] == []
    return result.bundle


@pytest.fixture(scope="module")
def mapper(bundle: Bundle) -> NodeMapper:
    return NodeMapper(bundle.mappings, [*bundle.service_by_id, *bundle.component_by_id])


def batches(mapper: NodeMapper) -> list[tuple[str, list[Event]]]:
    """(name, events) in delivery order: payloads by line, generic events at their time."""
    generic, problems = read_event_file(
        EVENTS / "2024-04.generic.json", "generic", received_at=RECEIVED
    )
    assert problems == []
    pending = sorted(mapper.map_all(generic), key=event_time)
    out: list[tuple[str, list[Event]]] = []
    lines = (EVENTS / "2024-04.alertmanager.jsonl").read_text(encoding="utf-8").splitlines()
    for n, line in enumerate(lines, start=1):
        events, problems = parse_alertmanager(json.loads(line), received_at=RECEIVED)
        assert problems == []
        latest = max(event_time(e) for e in events)
        while pending and event_time(pending[0]) <= latest:
            e = pending.pop(0)
            out.append((f"generic {e.label('check')}", [e]))
        out.append((f"line {n}", mapper.map_all(events)))
    out.extend((f"generic {e.label('check')}", [e]) for e in pending)
    return out


def replay(bundle: Bundle, mapper: NodeMapper) -> Replay:
    correlator = Correlator.of(bundle)
    done = Replay()
    now = datetime(2024, 4, 1, tzinfo=UTC)
    for name, events in batches(mapper):
        now = max(now, *(event_time(e) for e in events))
        changes = correlator.process(events, now)
        done.changes.append((name, changes))
        done.incidents.update((i.id, i) for i in changes.incidents)
        done.alerts_in.update(e.fingerprint for e in events)
    done.incidents.update((i.id, i) for i in correlator.tick(RECEIVED).incidents)
    return done


@pytest.fixture(scope="module")
def month(bundle: Bundle, mapper: NodeMapper) -> Replay:
    return replay(bundle, mapper)


# --- The scenarios ------------------------------------------------------------------------------


def test_storm_is_one_incident_rooted_at_the_backhaul(month: Replay, bundle: Bundle) -> None:
    storm = month.one(STORM_ROOT, "2024-04-11")
    assert storm.detected_at.replace(microsecond=0) == utc("2024-04-11T10:02:07")
    assert not storm.planned
    assert len(storm.root_fingerprints) == 2
    assert len(storm.symptoms) == 83
    below = bundle.graph.downstream(STORM_ROOT)
    assert {s.node for s in storm.symptoms} == below
    for s in storm.symptoms:
        assert STORM_ROOT in s.reason
    # Nothing else opened while the alerts poured in.
    during = [
        i
        for i in month.incidents.values()
        if utc("2024-04-11T10:00") <= i.detected_at < utc("2024-04-11T11:00")
    ]
    assert [i.id for i in during if i.merged_into is None] == [storm.id]
    assert storm.resolved_at is not None
    assert storm.resolved_at.date().isoformat() == "2024-04-11"


def test_storm_is_an_outage_of_the_customer_behind_the_campus_switch_only(
    month: Replay, bundle: Bundle
) -> None:
    storm = month.one(STORM_ROOT, "2024-04-11")
    # No service is down as a whole (its summary says so) ...
    assert storm.impacted_services == ()
    assert "No service is impacted" in storm.summary
    # ... but the Illkirch campus switch is, and Institut Rhénan hangs from it with both its
    # subscriptions. No other subscription names a Strasbourg node: nobody else is down.
    (campus,) = [i for i in storm.impacted if i.node == "sw-illkirch-campus"]
    assert (campus.since, campus.until) == (storm.detected_at, storm.resolved_at)
    found = outages(storm, bundle)
    assert [(o.service, o.customer) for o in found] == [
        ("internet-access", "institut-rhenan"),
        ("video-streaming", "institut-rhenan"),
    ]
    for o in found:
        assert (o.start, o.end, o.fraction, o.planned) == (
            storm.detected_at, storm.resolved_at, 1.0, False
        )  # fmt: skip
    assert storm.resolved_at - storm.detected_at == timedelta(seconds=6324, microseconds=345000)


def test_a_symptom_that_outlives_its_root_becomes_its_own_incident(
    month: Replay, bundle: Bundle
) -> None:
    storm = month.one(STORM_ROOT, "2024-04-11")
    stuck = month.one(STUCK_SWITCH, "2024-04-11")
    assert storm.resolved_at is not None
    assert stuck.detected_at == storm.resolved_at
    assert len(stuck.root_fingerprints) == 13
    assert set(stuck.root_fingerprints) <= {s.fingerprint for s in storm.symptoms}
    assert stuck.resolved_at is not None
    assert stuck.resolved_at.replace(second=0, microsecond=0) == utc("2024-04-11T13:06")
    # No subscription hangs from the Schiltigheim switch: an incident, no customer outage.
    assert outages(stuck, bundle) == []


def test_redundant_uplink_failure_impacts_no_service(month: Replay) -> None:
    uplink = month.one("uplink-a", "2024-04-03")
    assert uplink.impacted_services == ()
    assert {i.node for i in uplink.impacted} == {"uplink-a"}
    assert {d.node for d in uplink.degraded} >= {"internet-access", "managed-vpn"}
    assert not uplink.planned
    assert "No service is impacted" in uplink.summary


def test_flapping_alert_is_one_incident(month: Replay) -> None:
    flaps = month.rooted("dns-resolver-3")
    assert len(flaps) == 1
    flapping = [fp for _, c in month.changes for fp in c.flapping]
    assert flapping == list(flaps[0].root_fingerprints)
    assert flaps[0].impacted_services == ()


@pytest.mark.parametrize(
    ("node", "day", "services"),
    [
        ("radius-aaa", "2024-04-10", ("internet-access", "managed-vpn")),
        ("core-router-1", "2024-04-14", ()),
        ("uplink-b", "2024-04-17", ()),
    ],
)
def test_alerts_in_maintenance_make_planned_incidents(
    month: Replay, node: str, day: str, services: tuple[str, ...]
) -> None:
    incident = month.one(node, day)
    assert incident.planned
    assert incident.impacted_services == services


def test_patching_symptom_joins_the_planned_incident(month: Replay) -> None:
    patching = month.one("core-router-1", "2024-04-14")
    assert {s.node for s in patching.symptoms} == {"uplink-a"}
    assert month.rooted("uplink-a", "2024-04-14") == []


def test_late_root_takes_over_its_symptoms(month: Replay) -> None:
    cdn = month.one("cdn-cache", "2024-04-20")
    assert len(cdn.merged_from) == 1
    provisional = month.incidents[cdn.merged_from[0]]
    assert provisional.root == "video-streaming"
    assert provisional.merged_into == cdn.id
    assert cdn.detected_at == provisional.detected_at  # the symptoms' start
    assert {s.node for s in cdn.symptoms} == {"video-streaming"}
    assert len(cdn.symptoms) == 4
    assert cdn.impacted_services == ("video-streaming",)
    assert month.rooted("video-streaming") == []


def test_fault_returning_within_the_hour_reopens(month: Replay) -> None:
    origin = month.rooted("origin-arena")
    assert len(origin) == 1
    assert origin[0].reopen_count == 1
    outages = [i for i in origin[0].impacted if i.node == "video-streaming"]
    assert len(outages) == 2
    assert all(o.until is not None for o in outages)


def test_generic_events_correlate_too(month: Replay) -> None:
    pstn = month.one("pstn-interconnect", "2024-04-23")
    assert pstn.impacted_services == ("ip-telephony",)
    assert pstn.detected_at == utc("2024-04-23T08:41:05")
    assert pstn.resolved_at == utc("2024-04-23T08:55:52")
    assert month.one("sip-proxy-1", "2024-04-19").impacted_services == ()


def test_the_months_outages(month: Replay, bundle: Bundle) -> None:
    """19 outages: the RADIUS upgrade (planned) for the 6 customers of Internet access and the 2
    of the VPN, the backhaul cut for Institut Rhénan's 2 services, the CDN cache for the 2
    video customers, the PSTN interconnect for the 3 telephony customers, Arena's origin twice
    for the 2 video customers."""
    found = [o for i in month.incidents.values() for o in outages(i, bundle)]
    by_root = Counter(month.incidents[o.incident_id].root for o in found)
    assert by_root == {
        "radius-aaa": 8,
        "backhaul-strasbourg": 2,
        "cdn-cache": 2,
        "pstn-interconnect": 3,
        "origin-arena": 4,
    }
    assert [o.planned for o in found].count(True) == 8
    # Never two overlapping outages for one incident, service and customer.
    for key in {(o.incident_id, o.service, o.customer) for o in found}:
        mine = sorted((o for o in found if (o.incident_id, o.service, o.customer) == key),
                      key=lambda o: o.start)  # fmt: skip
        assert all(a.end is not None and a.end <= b.start for a, b in pairwise(mine))


def test_unmapped_alerts_are_kept_as_incidents_without_root(month: Replay) -> None:
    unmapped = month.rooted(None)
    # The SIP probe's clock warning arrives resolved only: it still fired (07:00-07:45), so
    # it is an incident too, as it would be had its firing been delivered first.
    assert len(unmapped) == 5
    for incident in unmapped:
        assert incident.impacted == ()
        assert incident.summary.startswith("Unmapped alert")
    listed = {fp for _, c in month.changes for fp in c.unmapped}
    assert len(listed) == 5
    assert {fp for i in unmapped for fp in i.root_fingerprints} == listed


def test_duplicate_delivery_changes_nothing(month: Replay) -> None:
    lines = (EVENTS / "2024-04.alertmanager.jsonl").read_text(encoding="utf-8").splitlines()
    first = next(i for i, line in enumerate(lines) if "uplink-a: France-IX" in line)
    changes = dict(month.changes)
    again = changes[f"line {first + 2}"]
    assert again.duplicates == 1
    assert again.updated == ()
    assert again.new_alerts == ()
    assert again.repeats == ()


def test_saturation(month: Replay) -> None:
    """121 alerts in (117 from Alertmanager, 4 from the SIP probe), 20 incidents out."""
    incidents = [i for i in month.incidents.values() if i.merged_into is None]
    assert len(month.alerts_in) == 121
    assert len(incidents) == 20
    assert all(i.is_resolved for i in incidents)


# --- Replay and live agree ----------------------------------------------------------------------


def outcome(incidents: list[Incident]) -> list[tuple[str | None, datetime, datetime | None]]:
    return sorted(
        ((i.root, i.detected_at, i.resolved_at) for i in incidents if i.merged_into is None),
        key=lambda t: (t[1], t[0] or ""),
    )


def test_payload_by_payload_gives_what_one_batch_gives(
    month: Replay, bundle: Bundle, mapper: NodeMapper
) -> None:
    everything = [e for _, events in batches(mapper) for e in events]
    at_once = Correlator.of(bundle).process(everything, RECEIVED)
    assert outcome(list(month.incidents.values())) == outcome(list(at_once.incidents))


def test_storm_resolves_at_the_latest_end_of_its_root_alerts_in_one_batch(
    bundle: Bundle, mapper: NodeMapper
) -> None:
    everything = [e for _, events in batches(mapper) for e in events]
    at_once = Correlator.of(bundle).process(everything, RECEIVED)
    storm = [i for i in at_once.incidents if i.root == STORM_ROOT]
    assert len(storm) == 1
    ends = [
        e.ends_at
        for e in everything
        if e.node == STORM_ROOT and e.ends_at is not None and e.starts_at.day == 11
    ]
    assert storm[0].resolved_at == max(ends)
    assert storm[0].resolved_at - storm[0].detected_at < timedelta(hours=2)
