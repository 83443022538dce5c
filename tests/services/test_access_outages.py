"""Customers behind an access switch, through the event engine: the subscription's ``access`` is
stored and read back with the bundle, and a switch down is an outage of its customers only."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from sqlalchemy import Engine

from servanda.catalog.model import Component, Subscription
from servanda.core.access import LOCAL_ADMIN
from servanda.core.records import from_jsonable
from servanda.services.events import EventEngine
from servanda.storage.database import make_sessionmaker, transaction
from servanda.storage.repositories import BundleRepository
from servanda.storage.repositories.incidents import IncidentRepository

from .services_support import T0, fire, resolve, small_provider


def test_a_switch_down_is_an_outage_of_the_customers_behind_it_only(engine: Engine) -> None:
    base = small_provider()
    bundle = replace(
        base,
        components=(
            *base.components,
            from_jsonable(Component, {"id": "sw-1", "kind": "switch", "depends_on": ["core-2"]}),
        ),
        subscriptions=(
            Subscription(customer="globex", service="internet"),
            Subscription(customer="initech", service="voip", access="sw-1", port="ge-0/0/3"),
        ),
    )
    with transaction(engine) as session:
        BundleRepository(session).save(bundle, now=T0 - timedelta(days=1))
    with make_sessionmaker(engine)() as session:
        assert BundleRepository(session).load().subscriptions == bundle.subscriptions

    events = EventEngine(engine)
    # core-2 down: voip keeps core-1, but sw-1 hangs from core-2 alone.
    down = fire("c", "core-2")
    (opened,) = events.ingest(LOCAL_ADMIN, [down], T0).opened
    events.ingest(LOCAL_ADMIN, [resolve(down, 20)], T0 + timedelta(minutes=20))
    with make_sessionmaker(engine)() as session:
        found = IncidentRepository(session).outages(incident_id=opened)
    assert [(o.service, o.customer, o.start, o.end) for o in found] == [
        ("voip", "initech", T0, T0 + timedelta(minutes=20))
    ]
