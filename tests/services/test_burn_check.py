"""Burn-rate checks raised as events (``servanda.services.burn.check_burn_rates``), on SQLite
and PostgreSQL.

globex's internet (on core-1, measured around the clock) promises 99.9 %: the error ratio
allowed is 0.001. A 20-minute full outage from 10:00, checked at 10:21:

* 1 h / 5 min at 14.4 (threshold 0.0144): at 10:01 the long window holds 1 bad minute of 60
  (0.0167) and the short one 1 of 5 (0.2): raised at 10:01, still firing at 10:21 (the short
  window [10:16, 10:21) holds 4 bad minutes);
* 6 h / 30 min at 6 (threshold 0.006): 3 bad minutes of 360 (0.0083) first exceed it at 10:03;
* 3 d / 6 h at 1 (threshold 0.001): 5 of 4 320 (0.00116) first exceed it at 10:05.

A 30-second blip raises nothing: 30 s of 1 h is 0.0083 < 0.0144, of 6 h 0.0014 < 0.006, of
3 days 0.00012 < 0.001.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import Engine, select

from servanda.agreements.model import Agreement
from servanda.core.access import Principal, Role
from servanda.core.problems import Forbidden
from servanda.core.records import from_jsonable
from servanda.events.model import Event, Severity, Status
from servanda.services.burn import check_burn_rates
from servanda.services.events import EventEngine
from servanda.storage.database import transaction
from servanda.storage.repositories import BundleRepository
from servanda.storage.repositories.incidents import IncidentRepository
from servanda.storage.tables import EventRow

from .services_support import T0, fire, resolve, small_provider

OPERATOR = Principal(Role.OPERATOR)
TERMS_DATA = {
    "id": "globex-terms",
    "level": "customer",
    "provider": "acme",
    "customer": "globex",
    "effective_from": "2024-01-01",
}
TERMS = from_jsonable(
    Agreement, {**TERMS_DATA, "objectives": [{"metric": "availability", "target": "99.9%"}]}
)


@pytest.fixture
def events(engine: Engine) -> EventEngine:
    """The small provider with globex's 99.9 % stored, and an event engine on it."""
    with transaction(engine) as session:
        bundle = replace(small_provider(), agreements=(TERMS,))
        BundleRepository(session).save(bundle, now=T0 - timedelta(days=1))
    return EventEngine(engine)


def outage(events: EventEngine, length: timedelta) -> None:
    """core-1 down from :data:`T0` for ``length``: internet down for globex."""
    down = fire("core", "core-1")
    events.ingest(OPERATOR, [down], T0)
    events.ingest(OPERATOR, [resolve(down, length / timedelta(minutes=1))], T0 + length)


def slo_events(engine: Engine) -> list[EventRow]:
    with transaction(engine) as session:
        query = select(EventRow).where(EventRow.source == "servanda-slo")
        return list(session.scalars(query).all())


def labels(e: Event) -> dict[str, str]:
    return dict(e.labels)


def test_a_20_minute_outage_pages_through_the_fast_burn_rule(
    engine: Engine, events: EventEngine
) -> None:
    outage(events, timedelta(minutes=20))
    now = T0 + timedelta(minutes=21)
    found = check_burn_rates(engine, events, OPERATOR, now)
    assert found.objectives == 1
    raised = {(labels(e)["long_window"], labels(e)["factor"]): e for e in found.events}
    fast = raised["1h", "14.4"]
    assert (fast.source, fast.status, fast.node) == ("servanda-slo", Status.FIRING, "internet")
    assert fast.starts_at == T0 + timedelta(minutes=1)
    assert fast.severity is Severity.CRITICAL
    assert (labels(fast)["customer"], labels(fast)["objective"]) == ("globex", "availability")
    assert labels(fast)["agreement"] == "globex-terms"
    # the slower rules fire too, later: 6 h at 10:03, 3 days (a ticket) at 10:05
    assert raised["6h", "6"].starts_at == T0 + timedelta(minutes=3)
    assert raised["3d", "1"].starts_at == T0 + timedelta(minutes=5)
    assert raised["3d", "1"].severity is Severity.WARNING
    assert all(e.status is Status.FIRING for e in found.events)  # none has cleared yet
    # event management stored them like any alert
    assert found.ingested is not None
    assert found.ingested.new == 3
    stored = slo_events(engine)
    assert sorted(r.fingerprint for r in stored) == sorted(e.fingerprint for e in found.events)
    assert {r.node for r in stored} == {"internet"}


def test_checking_twice_stores_nothing_new(engine: Engine, events: EventEngine) -> None:
    outage(events, timedelta(minutes=20))
    now = T0 + timedelta(minutes=21)
    first = check_burn_rates(engine, events, OPERATOR, now)
    again = check_burn_rates(engine, events, OPERATOR, now + timedelta(seconds=30))
    assert [e.fingerprint for e in again.events] == [e.fingerprint for e in first.events]
    assert again.ingested is not None
    assert (again.ingested.new, again.ingested.duplicates) == (0, 3)
    assert len(slo_events(engine)) == 3


def test_a_cleared_warning_sends_its_resolution_once(engine: Engine, events: EventEngine) -> None:
    outage(events, timedelta(minutes=20))
    later = T0 + timedelta(minutes=40)
    found = check_burn_rates(engine, events, OPERATOR, later)
    fast = [e for e in found.events if labels(e)["factor"] == "14.4"]
    # the short window [10:20, 10:25) holds nothing bad: cleared at 10:25
    assert [(e.status, e.ends_at) for e in fast] == [
        (Status.FIRING, None),
        (Status.RESOLVED, T0 + timedelta(minutes=25)),
    ]
    assert check_burn_rates(engine, events, OPERATOR, later).ingested is not None
    assert len(slo_events(engine)) == len(found.events)


def test_a_30_second_blip_raises_nothing(engine: Engine, events: EventEngine) -> None:
    outage(events, timedelta(seconds=30))
    found = check_burn_rates(engine, events, OPERATOR, T0 + timedelta(minutes=2))
    assert found.objectives == 1
    assert (found.events, found.ingested) == ((), None)
    assert slo_events(engine) == []


def test_the_warning_events_take_nothing_down(engine: Engine, events: EventEngine) -> None:
    outage(events, timedelta(minutes=20))
    check_burn_rates(engine, events, OPERATOR, T0 + timedelta(minutes=21))
    with transaction(engine) as session:
        outages = IncidentRepository(session).outages(customer="globex")
    # the core-1 outage alone: the warnings about it add no downtime of their own
    assert [(o.service, o.start, o.end) for o in outages] == [
        ("internet", T0, T0 + timedelta(minutes=20))
    ]


def test_checking_needs_the_right_to_ingest_events(engine: Engine, events: EventEngine) -> None:
    with pytest.raises(Forbidden):
        check_burn_rates(engine, events, Principal(Role.CUSTOMER, party="globex"), T0)


def test_an_objective_without_rules_is_not_checked(engine: Engine) -> None:
    quiet = from_jsonable(
        Agreement,
        {**TERMS_DATA, "objectives": [{"metric": "availability", "target": "99.9%",
                                      "burn_rates": []}]},
    )  # fmt: skip
    with transaction(engine) as session:
        BundleRepository(session).save(replace(small_provider(), agreements=(quiet,)),
                                       now=T0 - timedelta(days=1))  # fmt: skip
    events = EventEngine(engine)
    outage(events, timedelta(minutes=20))
    found = check_burn_rates(engine, events, OPERATOR, T0 + timedelta(minutes=21))
    assert (found.objectives, found.events) == (0, ())


def test_a_warning_says_when_the_budget_left_is_spent(engine: Engine, events: EventEngine) -> None:
    """April has 30 × 86 400 s; 99.9 % allows 2 592 s of downtime. After 20 minutes down
    (1 200 s) 1 392 s are left. The fast rule fired at 10:01 with the long window holding 1 bad
    minute of 60: a burn rate of (1/60) / 0.001 = 16.7×, which spends 1 392 s in
    1 392 / (16.67 × 0.001) = 83 520 s of agreed time: 23 h 12 min."""
    outage(events, timedelta(minutes=20))
    found = check_burn_rates(engine, events, OPERATOR, T0 + timedelta(minutes=21))
    fast = next(e for e in found.events if labels(e)["factor"] == "14.4")
    assert fast.summary.endswith("; at 16.7× the budget left in the period is spent in 23h12m")
