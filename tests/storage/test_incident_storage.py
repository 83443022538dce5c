"""Incidents in storage: upserts, the append-only audit trail, outages and filters."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy.orm import Session

from servanda.events.incidents import ImpactedNode, Incident, IncidentState, Transition
from servanda.events.model import Severity
from servanda.storage.repositories.incidents import (
    IncidentFilter,
    IncidentRepository,
    StoredOutage,
)

T0 = datetime(2024, 4, 2, 10, 0, tzinfo=UTC)
OPEN = Transition(None, IncidentState.DETECTED, T0, "servanda", "core-1 failed")


def incident(id: str, root: str = "core-1", minutes: int = 0, **kw: object) -> Incident:
    at = T0 + timedelta(minutes=minutes)
    fields: dict[str, object] = {
        "id": id,
        "root": root,
        "root_fingerprints": ("fp-" + id,),
        "state": IncidentState.DETECTED,
        "severity": Severity.CRITICAL,
        "detected_at": at,
        "impacted": (ImpactedNode(node="internet", kind="service", fraction=1.0, since=at),),
        "transitions": (replace(OPEN, at=at),),
    }
    fields.update(kw)
    return Incident(**fields)  # type: ignore[arg-type]


def outage(incident_id: str, customer: str, start: datetime, **kw: object) -> StoredOutage:
    fields: dict[str, object] = {
        "incident_id": incident_id,
        "service": "internet",
        "customer": customer,
        "start": start,
        "end": None,
        "fraction": Decimal("1"),
        "planned": False,
    }
    fields.update(kw)
    return StoredOutage(**fields)  # type: ignore[arg-type]


def test_incidents_trail_and_outages_round_trip(session: Session) -> None:
    repo = IncidentRepository(session)
    inc = incident("inc-1")
    repo.save([inc], T0)
    repo.add_transitions([("inc-1", 0, inc.transitions[0])])
    repo.replace_outages(["inc-1"], [outage("inc-1", "globex", T0)])
    session.commit()

    acked_at = T0 + timedelta(minutes=4)
    ack = Transition(IncidentState.DETECTED, IncidentState.ACKNOWLEDGED, acked_at, "alice", "on it")
    acked = replace(
        inc, state=IncidentState.ACKNOWLEDGED, acknowledged_at=acked_at,
        transitions=(*inc.transitions, ack),
    )  # fmt: skip
    repo.save([acked], acked_at)
    repo.add_transitions([("inc-1", 0, inc.transitions[0]), ("inc-1", 1, ack)])
    ended = T0 + timedelta(minutes=30)
    repo.replace_outages(
        ["inc-1"],
        [outage("inc-1", "globex", T0, end=ended), outage("inc-1", "initech", T0, end=ended)],
    )
    session.commit()

    assert repo.get("inc-1") == acked
    assert repo.transitions("inc-1") == list(acked.transitions)
    assert [o.customer for o in repo.outages(incident_id="inc-1")] == ["globex", "initech"]
    assert repo.outages(customer="globex")[0].end == ended
    assert repo.outages(since=ended) == []
    assert repo.get("nope") is None


def test_filters_and_customer_scope(session: Session) -> None:
    repo = IncidentRepository(session)
    a = incident("inc-a", minutes=0)
    b = incident("inc-b", root="core-2", minutes=60, state=IncidentState.ACKNOWLEDGED)
    c = incident(
        "inc-c", root="uplink", minutes=120, planned=True, resolved_at=T0 + timedelta(hours=3)
    )
    merged = incident("inc-m", minutes=1, merged_into="inc-a", resolved_at=T0)
    repo.save([a, b, c, merged], T0)
    repo.replace_outages(["inc-a"], [outage("inc-a", "globex", T0)])
    repo.replace_outages(
        ["inc-b"], [outage("inc-b", "initech", T0 + timedelta(hours=1), service="voip")]
    )
    session.commit()

    def ids(**kw: object) -> list[str]:
        return [i.id for i in repo.find(IncidentFilter(**kw))]  # type: ignore[arg-type]

    assert ids() == ["inc-c", "inc-b", "inc-a"]
    assert ids(include_merged=True) == ["inc-c", "inc-b", "inc-m", "inc-a"]
    assert ids(states=(IncidentState.ACKNOWLEDGED,)) == ["inc-b"]
    assert ids(service="voip") == ["inc-b"]
    assert ids(customer="globex") == ["inc-a"]
    assert ids(party="initech") == ["inc-b"]
    assert ids(root="uplink") == ["inc-c"]
    assert ids(planned=True) == ["inc-c"]
    assert ids(since=T0 + timedelta(hours=4)) == ["inc-b", "inc-a"]  # c was resolved before
    assert ids(until=T0 + timedelta(minutes=30)) == ["inc-a"]
    assert ids(limit=1, offset=1) == ["inc-b"]
    assert repo.count(IncidentFilter(limit=1)) == 3
    assert repo.get("inc-a", party="initech") is None
    assert repo.get("inc-a", party="globex") == a
    assert repo.count_detected(T0, T0 + timedelta(hours=2)) == 2
    assert {i.id for i in repo.live(T0 + timedelta(hours=5))} == {"inc-a", "inc-b"}
    assert {i.id for i in repo.live(T0 + timedelta(hours=2), also=["inc-m"])} == {
        "inc-a", "inc-b", "inc-c", "inc-m",
    }  # fmt: skip
