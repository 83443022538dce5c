"""Outages per impacted service and customer: subscriptions, partial shares, planned work."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from servanda.calendars.model import Calendar
from servanda.catalog.model import Component, Service, Subscription
from servanda.core.records import from_jsonable
from servanda.declared.bundle import Bundle
from servanda.events.correlate import Correlator
from servanda.events.incidents import Incident
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


# --- Customers behind an access node -------------------------------------------------------

ACCESS = Bundle(
    components=(
        from_jsonable(Component, {"id": "core"}),
        from_jsonable(Component, {"id": "backhaul", "depends_on": ["core"]}),
        from_jsonable(Component, {"id": "sw-north", "depends_on": ["backhaul"]}),
        from_jsonable(Component, {"id": "sw-south", "depends_on": ["core"]}),
    ),
    services=(
        from_jsonable(
            Service,
            {"id": "internet", "name": "Internet", "provider": "isp", "depends_on": ["core"]},
        ),
        from_jsonable(
            Service, {"id": "voice", "name": "Voice", "provider": "isp", "depends_on": ["core"]}
        ),
    ),
    subscriptions=(
        Subscription(customer="acme", service="internet", access="sw-north", port="ge-0/0/1"),
        Subscription(customer="acme", service="voice", access="sw-north"),
        Subscription(customer="globex", service="internet", access="sw-south", site="Docks"),
        Subscription(customer="initech", service="internet"),
        Subscription(
            customer="umbrella", service="internet", access="sw-north", end=date(2024, 4, 1)
        ),
    ),
)


def spans(found: list[Outage]) -> list[tuple[str, str, datetime, datetime | None, float]]:
    return [(o.service, o.customer, o.start, o.end, o.fraction) for o in found]


def test_an_access_node_down_is_an_outage_of_the_customers_behind_it_only() -> None:
    c = Correlator.of(ACCESS)
    end = T + timedelta(minutes=40)
    c.process([ev("n", "sw-north", T, end)], end)
    (inc,) = c.incidents()
    assert inc.impacted_services == ()
    assert spans(outages(inc, ACCESS)) == [
        ("internet", "acme", T, end, 1.0),
        ("voice", "acme", T, end, 1.0),
    ]


def test_an_uplink_down_reaches_the_customers_behind_the_access_node_it_takes_down() -> None:
    c = Correlator.of(ACCESS)
    c.process([ev("b", "backhaul", T)], T)
    (inc,) = c.incidents()
    assert {i.node for i in inc.impacted} == {"backhaul", "sw-north"}
    assert spans(outages(inc, ACCESS)) == [
        ("internet", "acme", T, None, 1.0),
        ("voice", "acme", T, None, 1.0),
    ]


def test_the_service_down_is_an_outage_of_every_subscriber_whatever_its_access() -> None:
    c = Correlator.of(ACCESS)
    end = T + timedelta(minutes=10)
    c.process([ev("c", "core", T, end)], end)
    (inc,) = c.incidents()
    found = outages(inc, ACCESS)
    # The core takes both services and both switches down: one outage per service and
    # customer, never one for the service and another for the access node.
    assert spans(found) == [
        ("internet", "acme", T, end, 1.0),
        ("internet", "globex", T, end, 1.0),
        ("internet", "initech", T, end, 1.0),
        ("voice", "acme", T, end, 1.0),
    ]


def test_service_and_access_intervals_of_one_incident_are_united() -> None:
    incident = from_jsonable(
        Incident,
        {
            "id": "inc-1",
            "root": "core",
            "root_fingerprints": ["c"],
            "state": "detected",
            "severity": "critical",
            "detected_at": T.isoformat(),
            "impacted": [
                {"node": "internet", "kind": "service", "fraction": 0.5,
                 "since": T.isoformat(), "until": (T + timedelta(minutes=30)).isoformat()},
                {"node": "sw-north", "kind": "component", "fraction": 1,
                 "since": (T + timedelta(minutes=10)).isoformat(),
                 "until": (T + timedelta(minutes=20)).isoformat()},
                {"node": "sw-south", "kind": "component", "fraction": 1,
                 "since": (T + timedelta(minutes=20)).isoformat(),
                 "until": (T + timedelta(minutes=50)).isoformat()},
            ],
        },
    )  # fmt: skip
    m = [T + timedelta(minutes=n) for n in range(0, 60, 10)]
    assert spans(outages(incident, ACCESS)) == [
        ("internet", "acme", m[0], m[1], 0.5),
        ("internet", "acme", m[1], m[2], 1.0),
        ("internet", "acme", m[2], m[3], 0.5),
        ("internet", "globex", m[0], m[2], 0.5),
        ("internet", "globex", m[2], m[5], 1.0),
        ("internet", "initech", m[0], m[3], 0.5),
        ("voice", "acme", m[1], m[2], 1.0),
    ]
