"""Redundant pairs on the example's map (``examples/metro-isp``): core-router-1 and
core-router-2 serve everything that needs ``any_of: [core-router-1, core-router-2]``.

* both routers down is one incident, rooted at the one that failed first, the other a
  co-cause, whatever the order and batching; no service and customer is counted twice;
* one router down: the "lost a leg" alerts of the nodes that lost their spare are symptoms of
  its incident and take nothing down;
* symptoms of a new root never reopen (or drag in) a resolved incident of another fault.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path

import pytest

from servanda.config.loader import load_config
from servanda.declared.bundle import Bundle
from servanda.events.correlate import Correlator
from servanda.events.incidents import Incident
from servanda.events.model import Event, Severity, Status
from servanda.events.outages import outages

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "metro-isp"
T = datetime(2024, 4, 20, 10, 0, tzinfo=UTC)
PAIR = {"core-router-1", "core-router-2"}


def at(minutes: float = 0, seconds: float = 0) -> datetime:
    return T + timedelta(minutes=minutes, seconds=seconds)


@pytest.fixture(scope="module")
def bundle() -> Bundle:
    return load_config([EXAMPLE]).bundle


@pytest.fixture(scope="module")
def spares(bundle: Bundle) -> list[str]:
    """Nodes that need one of the pair (not the uplinks the routers feed)."""
    return sorted(
        n
        for n in bundle.graph.nodes
        if set(bundle.graph.needs(n)) & PAIR and n not in ("uplink-a", "uplink-b")
    )


def ev(
    fp: str,
    node: str,
    start: datetime,
    end: datetime | None = None,
    severity: Severity = Severity.CRITICAL,
    name: str = "NodeDown",
) -> Event:
    return Event(
        source="test",
        fingerprint=fp,
        labels=(("alertname", name),),
        status=Status.RESOLVED if end is not None else Status.FIRING,
        starts_at=start,
        ends_at=end,
        severity=severity,
        node=node,
    )


def told(e: Event) -> datetime:
    return e.ends_at if e.ends_at is not None else e.starts_at


def run(bundle: Bundle, batches: list[list[Event]], until: datetime | None = None) -> Correlator:
    c = Correlator.of(bundle)
    now = T
    for batch in batches:
        now = max(now, *(told(e) for e in batch))
        c.process(batch, now)
    if until is not None:
        c.tick(until)
    return c


def kept(c: Correlator) -> list[Incident]:
    return [i for i in c.incidents() if i.merged_into is None]


def no_outage_counted_twice(c: Correlator, bundle: Bundle) -> None:
    """For every service and customer, the outages of all incidents never overlap."""
    spans: dict[tuple[str, str], list[tuple[datetime, datetime]]] = {}
    for inc in kept(c):
        for o in outages(inc, bundle):
            spans.setdefault((o.service, o.customer), []).append(
                (o.start, o.end or datetime.max.replace(tzinfo=UTC))
            )
    for key, found in spans.items():
        found.sort()
        for a, b in pairwise(found):
            assert a[1] <= b[0], (key, found)


def summary(c: Correlator) -> list[tuple[object, ...]]:
    return sorted(
        (
            i.id,
            i.root,
            i.detected_at,
            i.resolved_at,
            tuple((s.fingerprint, s.since, s.until, s.reason) for s in i.symptoms),
            tuple((x.node, x.since, x.until, x.fraction) for x in i.impacted),
        )
        for i in kept(c)
    )


def double_failure(spares: list[str]) -> list[Event]:
    events = [ev("r1", "core-router-1", at(0)), ev("r2", "core-router-2", at(0, 30))]
    events += [ev("d-" + n, n, at(0, 45)) for n in spares]
    ends = [ev("r1", "core-router-1", at(0), at(20)), ev("r2", "core-router-2", at(0, 30), at(20))]
    ends += [ev("d-" + n, n, at(0, 45), at(20, 20)) for n in spares]
    return events + ends


def test_both_routers_down_is_one_incident_with_a_co_cause(
    bundle: Bundle, spares: list[str]
) -> None:
    events = double_failure(spares)
    c = run(bundle, [[e] for e in events], at(30))
    (inc,) = kept(c)
    assert inc.root == "core-router-1"
    assert inc.resolved_at == at(20)
    co = next(s for s in inc.symptoms if s.fingerprint == "r2")
    assert co.node == "core-router-2"
    assert co.reason == (
        "core-router-2 failed too: with core-router-1 down, "
        "any of core-router-1, core-router-2 is unmet"
    )
    assert {s.node for s in inc.symptoms} == {*spares, "core-router-2"}
    assert inc.impacted_services
    # Services are down from the second failure, once.
    internet = [x for x in inc.impacted if x.node == "internet-access"]
    assert [(x.since, x.until) for x in internet] == [(at(0, 30), at(20))]
    merged = c.incident(inc.merged_from[0])
    assert merged is not None
    assert any(t.note.startswith("merged into") for t in merged.transitions)
    no_outage_counted_twice(c, bundle)


@pytest.mark.parametrize("order", ["r1 first", "r2 first", "same instant"])
def test_the_double_failure_is_one_incident_whatever_the_order_and_batches(
    bundle: Bundle, spares: list[str], order: str
) -> None:
    first, second = ("core-router-2", "core-router-1") if order == "r2 first" else sorted(PAIR)
    gap = 0 if order == "same instant" else 20
    events = [ev("a", first, at(0)), ev("b", second, at(0, gap))]
    events += [ev("d-" + n, n, at(0, 25 + i)) for i, n in enumerate(spares)]
    events += [ev("a", first, at(0), at(10)), ev("b", second, at(0, gap), at(12))]
    events += [ev("d-" + n, n, at(0, 25 + i), at(12, 30)) for i, n in enumerate(spares)]
    events.sort(key=lambda e: (told(e), e.status is Status.FIRING))
    outcomes = []
    for batches in ([events], [[e] for e in events], [events[:3], events[3:9], events[9:]]):
        c = run(bundle, batches, at(40))
        roots = [i.root for i in kept(c) if i.root in PAIR]
        assert roots[0] == (first if order != "same instant" else "core-router-1")
        no_outage_counted_twice(c, bundle)
        outcomes.append(summary(c))
    assert outcomes[0] == outcomes[1] == outcomes[2]


def test_when_the_first_router_recovers_the_other_waits_the_grace_then_is_its_own(
    bundle: Bundle, spares: list[str]
) -> None:
    events = [ev("r1", "core-router-1", at(0)), ev("r2", "core-router-2", at(1))]
    events += [ev("r1", "core-router-1", at(0), at(10))]
    c = run(bundle, [[e] for e in events], at(30))
    first, second = sorted(kept(c), key=lambda i: i.detected_at)
    assert first.root == "core-router-1"
    assert first.resolved_at == at(10)
    co = next(s for s in first.symptoms if s.fingerprint == "r2")
    assert co.until == at(10)
    # Dependents came back when core-router-1 did; core-router-2 is a fault of its own from
    # then, which takes nothing down and lists the nodes that lost their spare.
    assert all(x.until is not None and x.until <= at(10) for x in first.impacted)
    assert second.root == "core-router-2"
    assert second.detected_at == at(10)
    assert second.resolved_at is None
    assert second.impacted_services == ()
    assert {d.node for d in second.degraded} >= {"internet-access"}
    no_outage_counted_twice(c, bundle)


def test_when_the_co_cause_recovers_first_the_incident_goes_on(
    bundle: Bundle, spares: list[str]
) -> None:
    events = [ev("r1", "core-router-1", at(0)), ev("r2", "core-router-2", at(1))]
    events += [ev("r2", "core-router-2", at(1), at(10))]
    c = run(bundle, [[e] for e in events], at(30))
    (inc,) = kept(c)
    assert inc.root == "core-router-1"
    assert inc.resolved_at is None
    internet = [x for x in inc.impacted if x.node == "internet-access"]
    assert [(x.since, x.until) for x in internet] == [(at(1), at(10))]
    assert next(s for s in inc.symptoms if s.fingerprint == "r2").until == at(10)


@pytest.mark.parametrize("severity", [Severity.WARNING, Severity.CRITICAL])
def test_lost_a_leg_alerts_are_symptoms_that_take_nothing_down(
    bundle: Bundle, spares: list[str], severity: Severity
) -> None:
    events = [ev("r1", "core-router-1", at(0))]
    events += [
        ev("leg-" + n, n, at(0, 20), severity=severity, name="RedundancyLost") for n in spares
    ]
    for batches in ([events], [[e] for e in events]):
        c = run(bundle, batches, at(3))
        (inc,) = kept(c)
        assert inc.root == "core-router-1"
        assert inc.impacted_services == ()
        assert {x.node for x in inc.impacted} <= {"core-router-1", "uplink-a", "uplink-b"}
        assert {s.node for s in inc.symptoms} == set(spares)
        assert {s.node for s in inc.symptoms} <= {d.node for d in inc.degraded}
        leg = next(s for s in inc.symptoms if s.node == "internet-access")
        assert leg.reason.startswith(
            "internet-access lost its redundancy because core-router-1 is down"
        )
        assert outages(inc, bundle) == []


def test_a_lost_a_leg_alert_outliving_its_root_becomes_its_own_after_the_grace(
    bundle: Bundle,
) -> None:
    events = [
        ev("r1", "core-router-1", at(0)),
        ev("leg", "dns-resolver-1", at(0, 20), name="RedundancyLost"),
        ev("r1", "core-router-1", at(0), at(10)),
    ]
    c = run(bundle, [[e] for e in events], at(30))
    first, second = sorted(kept(c), key=lambda i: i.detected_at)
    assert next(s for s in first.symptoms if s.fingerprint == "leg").until == at(10)
    assert second.root == "dns-resolver-1"
    assert second.detected_at == at(10)


def test_a_lost_a_leg_incident_just_before_the_router_fails_is_taken_over(
    bundle: Bundle,
) -> None:
    events = [
        ev("leg", "dns-resolver-1", at(0), name="RedundancyLost"),
        ev("r1", "core-router-1", at(0, 40)),
    ]
    c = run(bundle, [[e] for e in events], at(3))
    (inc,) = kept(c)
    assert inc.root == "core-router-1"
    assert [s.fingerprint for s in inc.symptoms] == ["leg"]
    # Down on its own until the router failed, then only without its spare.
    mine = [(x.since, x.until) for x in inc.impacted if x.node == "dns-resolver-1"]
    assert mine == [(at(0), at(0, 40))]


def test_symptoms_of_a_new_root_do_not_reopen_an_incident_of_another_fault(
    bundle: Bundle,
) -> None:
    # sw-schiltigheim failed on its own and recovered; ten minutes later its alert fires again,
    # 90 s before the cut of what it hangs off: a symptom of the cut, not its old fault back.
    above = sorted(bundle.graph.needs("sw-schiltigheim"))
    assert above
    cut = above[0]
    old = [ev("sw", "sw-schiltigheim", at(-20)), ev("sw", "sw-schiltigheim", at(-20), at(-10))]
    again = ev("sw", "sw-schiltigheim", at(-1, -30))
    root = [ev("cut", cut, at(0))]
    in_order = run(bundle, [[e] for e in [*old, again, *root]], at(1))
    late = run(bundle, [[e] for e in [*old, *root, again]], at(1))
    for c in (in_order, late):
        first, second = sorted(kept(c), key=lambda i: i.detected_at)
        assert first.root == "sw-schiltigheim"
        assert first.resolved_at == at(-10)
        assert first.reopen_count == 0
        assert all(x.until is not None and x.until <= at(-10) for x in first.impacted)
        assert second.root == cut
        assert second.detected_at == at(-1, -30)
        assert [(s.fingerprint, s.since) for s in second.symptoms] == [("sw", at(-1, -30))]
        assert all(x.since >= at(-1, -30) for x in second.impacted)
    assert summary(in_order) == summary(late)
    old_incident = min(kept(in_order), key=lambda i: i.detected_at)
    assert any(t.note.startswith("reopen withdrawn") for t in old_incident.transitions)


def test_a_fault_of_its_own_still_reopens(bundle: Bundle) -> None:
    events = [
        ev("sw", "sw-schiltigheim", at(-20)),
        ev("sw", "sw-schiltigheim", at(-20), at(-10)),
        ev("sw", "sw-schiltigheim", at(0)),
    ]
    c = run(bundle, [[e] for e in events], at(10))
    (inc,) = kept(c)
    assert inc.reopen_count == 1
    assert inc.resolved_at is None


def test_a_restored_correlator_carries_a_double_failure_on(bundle: Bundle) -> None:
    events = [
        ev("sw", "sw-schiltigheim", at(-20)),
        ev("sw", "sw-schiltigheim", at(-20), at(-10)),
        ev("sw", "sw-schiltigheim", at(-1)),
        ev("r1", "core-router-1", at(0)),
        ev("r2", "core-router-2", at(0, 30)),
    ]
    c = run(bundle, [[e] for e in events])
    back = Correlator.restore(
        c.state(),
        bundle.graph,
        nodes=(*bundle.services, *bundle.components),
        calendars=bundle.calendars,
    )
    for corr in (c, back):
        corr.process([ev("r1", "core-router-1", at(0), at(5))], at(5))
        corr.tick(at(20))
    assert summary(back) == summary(c)
