"""Saturation figures: alerts in, incidents out, reduction, noisiest, flapping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from servanda.catalog.graph import DependencyGraph
from servanda.catalog.model import Component
from servanda.core.records import from_jsonable
from servanda.events.correlate import Correlator
from servanda.events.model import Event, Severity, Status
from servanda.events.saturation import Ranked, saturation

T = datetime(2024, 4, 2, 10, 0, tzinfo=UTC)
NODES = [from_jsonable(Component, {"id": "sw"})] + [
    from_jsonable(Component, {"id": f"h{i}", "depends_on": ["sw"]}) for i in range(8)
]


def ev(fp: str, node: str | None, minute: float, source: str = "am", name: str = "Down") -> Event:
    return Event(
        source=source,
        fingerprint=fp,
        labels=(("alertname", name),),
        status=Status.FIRING,
        starts_at=T + timedelta(minutes=minute),
        node=node,
        severity=Severity.CRITICAL,
    )


def test_a_storm_reduces_to_one_incident() -> None:
    events = [ev("sw", "sw", 0, name="SwitchDown")] + [
        ev(f"h{i}", f"h{i}", 1, source="zabbix") for i in range(8)
    ]
    events += events[:3]  # re-sent: counted once
    events.append(ev("u", None, 2, source="zabbix", name="Mystery"))
    events.append(ev("late", "h1", 90))  # outside the period
    c = Correlator(DependencyGraph.of(NODES), nodes=NODES)
    c.process(events, T + timedelta(minutes=90))
    figures = saturation(T, T + timedelta(hours=1), events, c.incidents(), top=2)
    assert figures.alerts_in == 10
    assert figures.incidents_out == 2  # the switch, and the unmapped alert
    assert figures.reduction == 0.8
    assert figures.unmapped == 1
    assert figures.sources == (Ranked(name="zabbix", count=9), Ranked(name="am", count=1))
    assert figures.nodes[0] == Ranked(name="h0", count=1)
    assert figures.alertnames == (Ranked(name="Down", count=8), Ranked(name="Mystery", count=1))


def test_flapping_alerts_are_listed_and_empty_periods_are_zero() -> None:
    c = Correlator(DependencyGraph.of(NODES), nodes=NODES)
    events = []
    for k in range(3):
        start = T + timedelta(minutes=2 * k)
        events.append(ev("f", "h1", 2 * k))
        events.append(
            Event(
                source="am",
                fingerprint="f",
                labels=(),
                status=Status.RESOLVED,
                starts_at=start,
                ends_at=start + timedelta(minutes=1),
                node="h1",
                severity=Severity.CRITICAL,
            )
        )
    c.process(events, T + timedelta(minutes=6))
    state = c.state()
    figures = saturation(T, T + timedelta(hours=1), events, c.incidents(), state.alerts)
    assert figures.flapping == ("f",)
    empty = saturation(T, T, [], [])
    assert (empty.alerts_in, empty.incidents_out, empty.reduction) == (0, 0, 0.0)


def flap(fp: str, cycles: int, every: timedelta) -> list[Event]:
    out = []
    for k in range(cycles):
        start = T + k * every
        out.append(
            Event(
                source="am",
                fingerprint=fp,
                labels=(),
                status=Status.FIRING,
                starts_at=start,
                node="h2",
                severity=Severity.CRITICAL,
            )
        )
        out.append(
            Event(
                source="am",
                fingerprint=fp,
                labels=(),
                status=Status.RESOLVED,
                starts_at=start,
                ends_at=start + every / 2,
                node="h2",
                severity=Severity.CRITICAL,
            )
        )
    return out


def test_an_alert_that_flapped_is_listed_for_its_period_after_it_calmed_down() -> None:
    """Flapping is read from the period's events, not from the alert's current flag."""
    events = flap("f", 3, timedelta(minutes=4)) + flap("slow", 3, timedelta(hours=1))
    figures = saturation(T, T + timedelta(days=1), events, [], [])  # no alert records at all
    assert figures.flapping == ("f",)  # 5 changes within 30 min; "slow" changes hourly
    before = saturation(T - timedelta(days=1), T, events, [], [])
    assert before.flapping == ()
