"""Outages per impacted service and customer: subscriptions, partial shares, planned work."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from servanda.calendars.model import Calendar
from servanda.catalog.model import Component, Service, Subscription
from servanda.config.bundle import Bundle
from servanda.core.records import from_jsonable
from servanda.events.correlate import Correlator
from servanda.events.model import Event, Severity, Status
from servanda.events.outages import Outage, outages

T = datetime(2024, 4, 2, 10, 0, tzinfo=UTC)


def ev(fp: str, node: str, start: datetime, end: datetime | None = None) -> Event:
    return Event(
        source="test",
        fingerprint=fp,
        labels=(("alertname", "Down"),),
        status=Status.RESOLVED if end else Status.FIRING,
        starts_at=start,
        ends_at=end,
        node=node,
        severity=Severity.CRITICAL,
    )


BUNDLE = Bundle(
    components=(
        from_jsonable(Component, {"id": "origin-a"}),
        from_jsonable(Component, {"id": "origin-b"}),
        from_jsonable(Component, {"id": "edge", "calendar": "ops"}),
    ),
    services=(
        from_jsonable(
            Service,
            {
                "id": "video",
                "name": "Video",
                "provider": "isp",
                "depends_on": [
                    "edge",
                    {"all_of": ["origin-a"], "share": "50%"},
                    {"all_of": ["origin-b"], "share": 0.5},
                ],
            },
        ),
    ),
    subscriptions=(
        Subscription(customer="acme", service="video"),
        Subscription(customer="globex", service="video", start=date(2024, 4, 2)),
        Subscription(customer="old", service="video", end=date(2024, 4, 1)),
    ),
    calendars=(
        from_jsonable(
            Calendar,
            {
                "id": "ops",
                "timezone": "UTC",
                "maintenance": [
                    {
                        "id": "w",
                        "reason": "upgrade",
                        "start": "2024-04-02T09:00",
                        "duration": "PT2H",
                    }
                ],
            },
        ),
    ),
)


def test_one_origin_down_is_a_partial_outage_for_every_current_subscriber() -> None:
    c = Correlator.of(BUNDLE)
    c.process([ev("oa", "origin-a", T)], T)
    (inc,) = c.incidents()
    assert outages(inc, BUNDLE) == [
        Outage(
            incident_id=inc.id, service="video", customer="acme", start=T, end=None, fraction=0.5
        ),
        Outage(
            incident_id=inc.id, service="video", customer="globex", start=T, end=None, fraction=0.5
        ),
    ]
    video = next(i for i in inc.impacted if i.node == "video")
    assert video.reason == "partly down (50 %): depends on origin-a, which is down (50 % of it)"


def test_partial_shares_add_up_to_a_full_outage() -> None:
    c = Correlator.of(BUNDLE)
    c.process([ev("oa", "origin-a", T), ev("ob", "origin-b", T + timedelta(minutes=5))], T)
    c.process([ev("oa", "origin-a", T, T + timedelta(minutes=20))], T + timedelta(minutes=20))
    first = next(i for i in c.incidents() if i.root == "origin-a")
    spans = [(o.customer, o.start, o.end, o.fraction) for o in outages(first, BUNDLE)]
    five, twenty = T + timedelta(minutes=5), T + timedelta(minutes=20)
    assert spans == [
        ("acme", T, five, 0.5),
        ("acme", five, twenty, 1.0),
        ("globex", T, five, 0.5),
        ("globex", five, twenty, 1.0),
    ]
    second = next(i for i in c.incidents() if i.root == "origin-b")
    assert [(o.start, o.fraction) for o in outages(second, BUNDLE)][:1] == [(twenty, 0.5)]


def test_outages_of_a_planned_incident_are_planned_and_closed_ones_end() -> None:
    c = Correlator.of(BUNDLE)
    c.process([ev("e", "edge", T)], T)
    c.process([ev("e", "edge", T, T + timedelta(minutes=30))], T + timedelta(minutes=30))
    (inc,) = c.incidents()
    assert inc.planned
    found = outages(inc, BUNDLE)
    assert {o.customer for o in found} == {"acme", "globex"}
    assert all(o.planned and o.end == T + timedelta(minutes=30) for o in found)


def test_subscription_dates_clip_outages() -> None:
    c = Correlator.of(BUNDLE)
    start = T - timedelta(days=1)
    c.process([ev("e", "edge", start)], start)
    (inc,) = c.incidents()
    by_customer = {o.customer: o for o in outages(inc, BUNDLE)}
    assert by_customer["acme"].start == start
    assert by_customer["globex"].start == datetime(2024, 4, 2, tzinfo=UTC)
    assert "old" not in by_customer
