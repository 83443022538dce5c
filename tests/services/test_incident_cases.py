"""Incident use cases: lifecycle steps persisted with their audit trail, who validates,
filters, and what a customer sees."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine

from servanda.core.access import LOCAL_ADMIN, Principal, Role
from servanda.core.problems import Forbidden, NotFound
from servanda.events.incidents import IncidentState
from servanda.events.lifecycle import InvalidTransition
from servanda.services import incidents as cases
from servanda.services.events import EventEngine
from servanda.storage.database import make_sessionmaker
from servanda.storage.repositories.incidents import IncidentRepository

from .services_support import T0, fire

OPERATOR = Principal(Role.OPERATOR, token_id="tok-op")
GLOBEX = Principal(Role.CUSTOMER, party="globex", token_id="tok-g")
INITECH = Principal(Role.CUSTOMER, party="initech", token_id="tok-i")


@pytest.fixture
def incident_ids(events: EventEngine) -> dict[str, str]:
    """core-1 down (internet for globex), then core-2 down (voip for initech needs either, so
    it goes down too: one incident for the double failure, core-1's, which failed first;
    core-2's own is merged into it), and an unmapped alert."""
    first = events.ingest(LOCAL_ADMIN, [fire("a", "core-1"), fire("b", "db-1", 1)], T0)
    second = events.ingest(LOCAL_ADMIN, [fire("c", "core-2", 5)], T0 + timedelta(minutes=5))
    third = events.ingest(LOCAL_ADMIN, [fire("x", "mystery", 6)], T0 + timedelta(minutes=6))
    return {"core-1": first.opened[0], "core-2": second.opened[0], "unmapped": third.opened[0]}


def test_lifecycle_is_persisted_with_its_trail(
    events: EventEngine, stored: Engine, incident_ids: dict[str, str]
) -> None:
    inc = incident_ids["core-1"]
    cases.acknowledge(events, OPERATOR, inc, T0 + timedelta(minutes=7), "looking")
    cases.correct(events, LOCAL_ADMIN, inc, T0 + timedelta(minutes=30), "replaced card", by="alice")
    # Per impacted customer: initech's terms leave it to the provider, globex validates itself.
    with pytest.raises(InvalidTransition, match="for initech by the provider"):
        cases.validate(events, INITECH, inc, T0 + timedelta(minutes=31))  # its terms say so
    partial = cases.validate(events, OPERATOR, inc, T0 + timedelta(minutes=31), "checked")
    assert partial.state is IncidentState.CORRECTED
    with pytest.raises(InvalidTransition, match="waiting for globex"):
        cases.validate(events, OPERATOR, inc, T0 + timedelta(minutes=32))
    cases.validate(events, GLOBEX, inc, T0 + timedelta(minutes=40), "works for us")
    closed = cases.close(events, OPERATOR, inc, T0 + timedelta(minutes=41))
    assert closed.state is IncidentState.CLOSED

    with make_sessionmaker(stored)() as s:
        stored_trail = IncidentRepository(s).transitions(inc)
        detail = cases.get_incident(stored, LOCAL_ADMIN, inc)
    steps = [(t.to_state.value, t.by, t.note) for t in stored_trail]
    assert steps[0][0] == "detected"
    assert steps[-5:] == [
        ("acknowledged", "operator:tok-op", "looking"),
        ("corrected", "alice", "replaced card"),
        ("corrected", "operator:tok-op", "checked"),
        ("validated", "customer:globex", "works for us"),
        ("closed", "operator:tok-op", ""),
    ]
    assert detail.incident == closed
    assert list(closed.transitions) == stored_trail
    assert closed.mtta == timedelta(minutes=7)

    # A restarted engine knows the incident is closed.
    with pytest.raises(InvalidTransition, match="closed"):
        cases.acknowledge(EventEngine(stored), OPERATOR, inc, T0 + timedelta(minutes=50))
    reopened = cases.reopen(EventEngine(stored), OPERATOR, inc, T0 + timedelta(minutes=50))
    assert reopened.state is IncidentState.DETECTED
    assert reopened.reopen_count == 1


def test_who_may_move_incidents(events: EventEngine, incident_ids: dict[str, str]) -> None:
    with pytest.raises(InvalidTransition, match="merged into"):
        cases.acknowledge(events, OPERATOR, incident_ids["core-2"], T0 + timedelta(minutes=8))
    inc = incident_ids["unmapped"]
    with pytest.raises(Forbidden):
        cases.acknowledge(events, GLOBEX, inc, T0 + timedelta(minutes=8))
    with pytest.raises(Forbidden):
        cases.acknowledge(events, OPERATOR, inc, T0 + timedelta(minutes=8), by="mallory")
    with pytest.raises(NotFound):
        cases.acknowledge(events, OPERATOR, "inc-nope", T0 + timedelta(minutes=8))
    # No customer agreement asks for validation: staff validate, and may close a correction.
    cases.acknowledge(events, OPERATOR, inc, T0 + timedelta(minutes=8))
    cases.correct(events, OPERATOR, inc, T0 + timedelta(minutes=9))
    closed = cases.close(events, OPERATOR, inc, T0 + timedelta(minutes=10))
    assert closed.state is IncidentState.CLOSED


def test_filters(stored: Engine, incident_ids: dict[str, str]) -> None:
    def ids(**kw: object) -> set[str]:
        return {i.id for i in cases.list_incidents(stored, LOCAL_ADMIN, **kw)}  # type: ignore[arg-type]

    everything = set(incident_ids.values())
    assert ids() == everything - {incident_ids["core-2"]}  # merged into core-1's
    assert ids(service="internet") == {incident_ids["core-1"]}
    assert ids(customer="globex") == {incident_ids["core-1"]}
    assert ids(service="voip") == {incident_ids["core-1"]}
    assert ids(root="core-2") == set()  # the double failure is core-1's incident
    assert ids(until=T0 + timedelta(minutes=2)) == {incident_ids["core-1"]}
    assert ids(states=(IncidentState.ACKNOWLEDGED,)) == set()
    assert ids(planned=False) == everything - {incident_ids["core-2"]}


def test_customers_see_only_their_incidents(stored: Engine, incident_ids: dict[str, str]) -> None:
    mine = cases.list_incidents(stored, GLOBEX)
    assert [i.id for i in mine] == [incident_ids["core-1"]]
    assert mine[0].symptoms == ()
    assert mine[0].degraded == ()
    assert {i.node for i in mine[0].impacted} == {"internet"}
    theirs = cases.list_incidents(stored, INITECH)
    assert [i.id for i in theirs] == [incident_ids["core-1"]]
    assert {i.node for i in theirs[0].impacted} == {"voip"}
    with pytest.raises(NotFound):
        cases.get_incident(stored, GLOBEX, incident_ids["core-2"])
    with pytest.raises(NotFound):
        cases.get_incident(stored, INITECH, incident_ids["unmapped"])
    with pytest.raises(Forbidden):
        cases.list_incidents(stored, INITECH, customer="globex")
    detail = cases.get_incident(stored, GLOBEX, incident_ids["core-1"])
    assert {o.customer for o in detail.outages} == {"globex"}
    with pytest.raises(NotFound):
        cases.unmapped_events(stored, GLOBEX)
