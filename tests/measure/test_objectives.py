"""One objective over one window (``servanda.measure.objectives.measure_objective``), on a small
hand-built provider whose every figure is worked out by hand below.

The provider (:func:`sla_bundle`, shared with ``test_evaluate.py``), all in UTC:

* calendars: ``round-the-clock`` (24×7) and ``office`` (Monday–Friday 08:00–18:00, a one-off
  maintenance window on Wednesday 10 April 08:00–10:00, and a critical window ×10 every Friday
  14:00–16:00);
* ``globex`` takes ``internet`` (any of two uplinks; 1234.57 a month) and ``voice`` (sip-1 and
  uplink-1; 300.00 a month); ``initech`` takes ``internet`` too;
* agreements: the corporate ``acme-terms`` (calendar ``office``; availability 99.5 %, MTRS 4 h,
  MTTA 15 min, control compliance 100 % over two controls; credits below 99.9 % → 10 %, below
  99.5 % → 25 %, below 95 % → 100 %, capped at 50 %); the customer agreement ``globex``
  (experience-weighted availability 99.8 %, satisfaction 4); ``globex-voice`` (24×7); and
  ``globex-internet`` from **16 April**, tightening availability to 99.9 %.

April 2024 starts on a Monday. Office hours: 22 weekdays × 10 h; 1–15 April holds 11 of them
(1–5, 8–12, 15) and 16–30 April the other 11 (16–19, 22–26, 29–30): S = 11 × 36 000 =
**396 000 s** in each half. The Friday windows fall on 5 and 12 April (first half) and 19 and
26 April (second half): 2 × 7 200 = 14 400 s ×10 in each half, so a half weighs
396 000 + 9 × 14 400 = **525 600** weighted seconds.

The outages of globex's internet (:data:`OUTAGES`):

======  =====================  ==========  ================================================
 inc    when (UTC)             kind        what it costs in office hours
======  =====================  ==========  ================================================
 inc-a  10 Apr 09:00–11:00     full        09–10 inside the maintenance window, 10–11: 3 600
 inc-b  3 Apr 12:00–12:30      planned     excluded whole: 1 800 s of excluded time
 inc-c  4 Apr 10:00–12:00      half        2 h × 0.5 = 3 600
 inc-d  12 Apr 14:00–14:12     full        720 s, in the Friday window: 7 200 weighted
 inc-f  9 Apr 02:00–03:00      full        at night: nothing
 inc-e  19 Apr 14:00–14:05     full        300 s, Friday window: 3 000 weighted
======  =====================  ==========  ================================================
"""

from __future__ import annotations

import functools
import tempfile
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from servanda.agreements.effective import EffectiveAgreement, Sourced, effective_agreement
from servanda.agreements.metrics import Metric
from servanda.agreements.model import ExcludedTime, Objective
from servanda.config.loader import load_config
from servanda.core.records import from_jsonable
from servanda.declared.bundle import Bundle
from servanda.engagement.model import Feedback
from servanda.events.incidents import Incident, IncidentState
from servanda.events.model import Severity
from servanda.events.outages import Outage
from servanda.measure.inputs import Attestation, Measurement
from servanda.measure.objectives import Evidence, Window, measure_objective
from servanda.measure.results import ObjectiveResult, Verdict

CONFIG = """\
parties:
  - {id: acme, name: ACME Networks, roles: [provider]}
  - {id: globex, name: Globex Corporation, roles: [customer]}
  - {id: initech, name: Initech, roles: [customer]}
calendars:
  - id: round-the-clock
    timezone: UTC
  - id: office
    timezone: UTC
    service_hours: {mon-fri: "08:00-18:00"}
    maintenance:
      - {id: switch-upgrade, reason: Core switch upgrade, start: 2024-04-10T08:00, duration: 2h}
    critical:
      - id: friday-close
        name: Friday close
        weight: 10
        start: 2024-04-05T14:00
        duration: 2h
        rrule: FREQ=WEEKLY;BYDAY=FR
components:
  - {id: uplink-1, kind: link}
  - {id: uplink-2, kind: link}
  - {id: sip-1, kind: sip-proxy}
services:
  - id: internet
    name: Internet Access
    provider: acme
    depends_on: [{any_of: [uplink-1, uplink-2]}]
  - {id: voice, name: Voice, provider: acme, depends_on: [sip-1, uplink-1]}
subscriptions:
  - {customer: globex, service: internet, monthly_charge: "1234.57"}
  - {customer: globex, service: voice, monthly_charge: "300.00"}
  - {customer: initech, service: internet, monthly_charge: "500.00"}
series:
  - {id: globex-latency, kind: latency, node: internet, customer: globex}
  - {id: globex-loss, kind: loss, node: internet, customer: globex}
  - {id: voice-calls, kind: good_total, node: voice}
agreements:
  - id: acme-terms
    level: corporate
    provider: acme
    effective_from: 2024-01-01
    calendar: office
    objectives:
      - {metric: availability, target: 99.5%}
      - {metric: mttr, target: 4h}
      - {metric: mtta, target: 15m}
      - {metric: control_compliance, target: 100%}
    responsibilities:
      severities:
        - {severity: critical, response: 15m, resolution: 4h}
    credits:
      tiers:
        - {below: 99.9%, credit: 10%}
        - {below: 99.5%, credit: 25%}
        - {below: 95%, credit: 100%}
      cap: 50%
    policies:
      - id: security
        title: Security
        text: Passwords have at least 8 characters; badges carry a photo.
        controls:
          - {id: password-length, text: Passwords have at least 8 characters.}
          - {id: badge-photo, text: Every badge carries a printed photo.}
  - id: globex
    level: customer
    provider: acme
    customer: globex
    effective_from: 2024-01-01
    objectives:
      - {metric: weighted_availability, target: 99.8%}
      - {metric: satisfaction, target: 4}
  - id: globex-voice
    level: service
    provider: acme
    customer: globex
    service: voice
    effective_from: 2024-01-01
    calendar: round-the-clock
  - id: globex-internet
    level: service
    provider: acme
    customer: globex
    service: internet
    effective_from: 2024-04-16
    objectives:
      - {metric: availability, target: 99.9%}
"""

APRIL = (datetime(2024, 4, 1, tzinfo=UTC), datetime(2024, 5, 1, tzinfo=UTC))
SIXTEENTH = datetime(2024, 4, 16, tzinfo=UTC)
AFTER = datetime(2024, 5, 1, tzinfo=UTC)
"""``now`` once April is over."""


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """An instant of April 2024, UTC."""
    return datetime(2024, 4, day, hour, minute, tzinfo=UTC)


@functools.cache
def sla_bundle() -> Bundle:
    """The provider described in the module documentation (checked: no problem)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "acme.yaml"
        path.write_text(CONFIG, encoding="utf-8")
        result = load_config([path])
    assert [str(p) for p in result.problems] == []
    return result.bundle


def outage(
    incident: str,
    start: datetime,
    end: datetime | None,
    *,
    service: str = "internet",
    customer: str = "globex",
    fraction: float = 1.0,
    planned: bool = False,
) -> Outage:
    return Outage(
        incident_id=incident, service=service, customer=customer, start=start, end=end,
        fraction=fraction, planned=planned,
    )  # fmt: skip


def incident(
    ident: str,
    detected: datetime,
    severity: Severity = Severity.CRITICAL,
    *,
    acknowledged: datetime | None = None,
    corrected: datetime | None = None,
    planned: bool = False,
) -> Incident:
    return Incident(
        id=ident,
        root="uplink-1",
        root_fingerprints=(f"fp-{ident}",),
        state=IncidentState.ACKNOWLEDGED if acknowledged else IncidentState.DETECTED,
        severity=severity,
        detected_at=detected,
        planned=planned,
        acknowledged_at=acknowledged,
        corrected_at=corrected,
    )


OUTAGES = (
    outage("inc-a", at(10, 9), at(10, 11)),
    outage("inc-b", at(3, 12), at(3, 12, 30), planned=True),
    outage("inc-c", at(4, 10), at(4, 12), fraction=0.5),
    outage("inc-d", at(12, 14), at(12, 14, 12)),
    outage("inc-f", at(9, 2), at(9, 3)),
    outage("inc-e", at(19, 14), at(19, 14, 5)),
)
INCIDENTS = {
    i.id: i
    for i in (
        # acknowledged after 10 min, corrected after 1 h 55 min
        incident("inc-a", at(10, 9), acknowledged=at(10, 9, 10), corrected=at(10, 10, 55)),
        incident("inc-b", at(3, 12), Severity.MINOR, planned=True),
        # acknowledged after 20 min, corrected after 1 h 30 min
        incident(
            "inc-c", at(4, 10), Severity.MAJOR, acknowledged=at(4, 10, 20), corrected=at(4, 11, 30)
        ),
        # never acknowledged; corrected after 20 min
        incident("inc-d", at(12, 14), corrected=at(12, 14, 20)),
        # at night: acknowledged after 5 min
        incident("inc-f", at(9, 2), Severity.MINOR, acknowledged=at(9, 2, 5)),
        # acknowledged after 3 min
        incident("inc-e", at(19, 14), acknowledged=at(19, 14, 3)),
    )
}

LATENCIES = (12, 15, 11, 30, 14, 13, 16, 12, 18, 45, 17, 14, 13, 19, 21, 16, 15, 14, 22, 60)
"""Milliseconds, one sample every six hours from 2 April 00:00. Sorted: 11 12 12 13 13 14 14
14 15 15 16 16 17 18 19 21 22 30 45 60; their sum is 397."""


def latency_samples() -> tuple[Measurement, ...]:
    start = at(2, 0)
    return tuple(
        Measurement(series="globex-latency", at=start + timedelta(hours=6 * i), value=Decimal(v))
        for i, v in enumerate(LATENCIES)
    )


def counts(series: str, *rows: tuple[datetime, datetime, int, int]) -> tuple[Measurement, ...]:
    return tuple(Measurement(series=series, start=s, at=e, good=g, total=t) for s, e, g, t in rows)


MEASUREMENTS = {
    "globex-latency": latency_samples(),
    # 1 000 frames with 10 lost, then a quiet 5 minutes: 10 frames with 5 lost.
    "globex-loss": counts(
        "globex-loss", (at(2, 10), at(2, 10, 5), 990, 1000), (at(2, 10, 5), at(2, 10, 10), 5, 10)
    ),
    # Three hours of calls: 995, 980 and 1 000 of 1 000 set up.
    "voice-calls": counts(
        "voice-calls",
        (at(2, 10), at(2, 11), 995, 1000),
        (at(2, 11), at(2, 12), 980, 1000),
        (at(2, 12), at(2, 13), 1000, 1000),
    ),
}
FEEDBACK = (
    Feedback(customer="globex", at=at(5, 9), csat=5, nps=10, service="internet"),
    Feedback(
        customer="globex",
        at=at(12, 16),
        csat=2,
        nps=3,
        service="internet",
        comment="Down during our Friday close.",
    ),
    Feedback(customer="globex", at=at(20, 9), csat=4, nps=9),
    Feedback(customer="globex", at=at(22, 9), nps=7, service="internet"),
    Feedback(customer="globex", at=at(23, 9), csat=1, service="voice"),  # another service
    Feedback(customer="initech", at=at(5, 9), csat=1, nps=0, service="internet"),  # another one
    Feedback(customer="globex", at=datetime(2024, 3, 28, 9, tzinfo=UTC), csat=1),  # March
)
ATTESTATIONS = (
    Attestation(
        control="password-length", policy="security", period_start=APRIL[0],
        period_end=APRIL[1], met=True, attested_by="ciso", attested_at=at(30, 12),
    ),
    # March's attestation of the badges does not cover April.
    Attestation(
        control="badge-photo", policy="security", period_start=datetime(2024, 3, 1, tzinfo=UTC),
        period_end=APRIL[0], met=True, attested_by="ciso", attested_at=at(1, 8),
    ),
)  # fmt: skip
EVIDENCE = Evidence(
    outages=OUTAGES,
    incidents=INCIDENTS,
    measurements=MEASUREMENTS,
    attestations=ATTESTATIONS,
    feedback=FEEDBACK,
)


def agreement(service: str = "internet", on: date = date(2024, 4, 1)) -> EffectiveAgreement:
    bundle = sla_bundle()
    return effective_agreement(bundle.agreements, "acme", "globex", service, on)


def objective(**fields: Any) -> Objective:
    return from_jsonable(Objective, fields)


def measure(
    goal: Objective,
    start: datetime = APRIL[0],
    end: datetime = SIXTEENTH,
    *,
    now: datetime = AFTER,
    service: str = "internet",
    convention: ExcludedTime | None = None,
    evidence: Evidence = EVIDENCE,
    on: date = date(2024, 4, 1),
) -> ObjectiveResult:
    eff = agreement(service, on)
    if convention is not None:
        eff = replace(eff, excluded_time=Sourced(convention, None))
    mine = tuple(o for o in evidence.outages if o.service == service and o.customer == "globex")
    window = Window(sla_bundle(), eff, "globex", service, start, end, now, mine, evidence)
    return measure_objective(goal, window)


AVAILABILITY = objective(metric="availability", target="99.5%")
WEIGHTED = objective(metric="weighted_availability", target="99.8%")


# --- Availability: the three conventions ------------------------------------------------------


@pytest.mark.parametrize(
    ("convention", "numerator", "denominator"),
    [
        # S = 396 000; E = maintenance 7 200 + planned 1 800 = 9 000; U = 3 600 (inc-a after
        # the window) + 3 600 (inc-c, half) + 720 (inc-d) = 7 920.
        # exclude: (S − E − U) / (S − E) = 379 080 / 387 000
        (ExcludedTime.EXCLUDE, 379_080, 387_000),
        # forgive: (S − U) / S = 388 080 / 396 000 = 98 %
        (ExcludedTime.FORGIVE, 388_080, 396_000),
        # naive: every downtime in S: 7 200 (inc-a whole) + 1 800 + 3 600 + 720 = 13 320,
        # (396 000 − 13 320) / 396 000 = 382 680 / 396 000
        (ExcludedTime.NAIVE, 382_680, 396_000),
    ],
)
def test_plain_availability_under_each_convention(
    convention: ExcludedTime, numerator: int, denominator: int
) -> None:
    r = measure(AVAILABILITY, convention=convention)
    assert (r.numerator, r.denominator) == (Decimal(numerator), Decimal(denominator))
    assert r.actual == Decimal(numerator) * 100 / Decimal(denominator)
    assert r.verdict is Verdict.BREACHED
    assert r.convention is not None
    assert r.convention.startswith(convention.value)


def test_forgive_gives_exactly_98_percent() -> None:
    assert measure(AVAILABILITY, convention=ExcludedTime.FORGIVE).actual == Decimal(98)


@pytest.mark.parametrize(
    ("convention", "numerator", "denominator"),
    [
        # S_w = 525 600; maintenance on a Wednesday weighs 7 200, planned 1 800: E_w = 9 000;
        # U_w = 3 600 + 3 600 + 10 × 720 = 14 400.
        (ExcludedTime.EXCLUDE, 502_200, 516_600),
        (ExcludedTime.FORGIVE, 511_200, 525_600),
        # D_all,w = 7 200 + 1 800 + 3 600 + 7 200 = 19 800
        (ExcludedTime.NAIVE, 505_800, 525_600),
    ],
)
def test_weighted_availability_under_each_convention(
    convention: ExcludedTime, numerator: int, denominator: int
) -> None:
    r = measure(WEIGHTED, convention=convention)
    assert (r.numerator, r.denominator) == (Decimal(numerator), Decimal(denominator))
    assert r.verdict is Verdict.BREACHED


def test_breaches_name_the_incidents_that_cost_agreed_time_costliest_first() -> None:
    plain = measure(AVAILABILITY)
    # inc-c and inc-a both cost 3 600 s (inc-c first: it started earlier), inc-d 720 s;
    # inc-f (at night) cost nothing and inc-b was planned.
    assert [b.incidents for b in plain.breaches] == [("inc-c",), ("inc-a",), ("inc-d",)]
    assert plain.breaches[0].detail == "internet 50% down for 2 h (inc-c)"
    assert plain.breaches[1].detail == "internet down for 2 h (inc-a)"
    weighted = measure(WEIGHTED)
    # Weighted, inc-d's 12 minutes in the Friday window cost 7 200: it comes first.
    assert [b.incidents for b in weighted.breaches] == [("inc-d",), ("inc-c",), ("inc-a",)]


def test_a_met_objective_lists_no_breach() -> None:
    r = measure(AVAILABILITY, SIXTEENTH, APRIL[1], on=date(2024, 4, 16))
    # 16–30 April: only inc-e, 300 s of 396 000: 99.924 % ≥ 99.5 %
    assert (r.numerator, r.denominator) == (Decimal(395_700), Decimal(396_000))
    assert r.verdict is Verdict.MET
    assert r.breaches == ()


def test_plain_availability_meets_its_target_while_the_weighted_one_does_not() -> None:
    second_half = {"start": SIXTEENTH, "end": APRIL[1], "on": date(2024, 4, 16)}
    plain = measure(objective(metric="availability", target="99.9%"), **second_half)
    weighted = measure(WEIGHTED, **second_half)
    # inc-e: 300 s of 396 000 agreed seconds, 395 700 / 396 000 = 99.924 % ≥ 99.9 %
    assert (plain.numerator, plain.denominator) == (Decimal(395_700), Decimal(396_000))
    assert plain.verdict is Verdict.MET
    # ... but inside the Friday window: 3 000 of 525 600 weighted seconds, 99.429 % < 99.8 %
    assert (weighted.numerator, weighted.denominator) == (Decimal(522_600), Decimal(525_600))
    assert weighted.verdict is Verdict.BREACHED
    assert [b.incidents for b in weighted.breaches] == [("inc-e",)]


def test_an_open_outage_lasts_until_now() -> None:
    running = Evidence(outages=(outage("inc-x", at(17, 17), None),))
    r = measure(AVAILABILITY, SIXTEENTH, APRIL[1], now=at(17, 17, 30), evidence=running,
                on=date(2024, 4, 16))  # fmt: skip
    # Elapsed office time: 16 April 10 h + 17 April 08:00–17:30 = 9.5 h: 70 200 s, of which
    # the last 30 min are down: 68 400 / 70 200.
    assert (r.numerator, r.denominator) == (Decimal(68_400), Decimal(70_200))
    assert r.breaches[0].end is None


# --- Budgets ----------------------------------------------------------------------------------


def test_time_budget_is_allowed_minus_consumed() -> None:
    r = measure(AVAILABILITY)
    assert r.budget is not None
    # allowed = 0.5 % of 387 000 = 1 935 s; consumed = U = 7 920; remaining = −5 985
    assert (r.budget.allowed, r.budget.consumed, r.budget.remaining) == (
        Decimal(1935),
        Decimal(7920),
        Decimal(-5985),
    )
    assert r.budget.unit == "seconds"


def test_budget_in_the_middle_of_the_period() -> None:
    goal = objective(metric="availability", target="99.9%")
    now = at(19, 15)
    r = measure(goal, SIXTEENTH, APRIL[1], now=now, on=date(2024, 4, 16))
    # Elapsed office time: 16, 17, 18 April (30 h) and 19 April 08:00–15:00 (7 h) = 133 200 s;
    # inc-e took 300 of them: availability so far 132 900 / 133 200.
    assert (r.numerator, r.denominator) == (Decimal(132_900), Decimal(133_200))
    assert r.verdict is Verdict.BREACHED
    b = r.budget
    assert b is not None
    # allowed over the whole half month: 0.1 % of 396 000 = 396 s; 300 consumed, 96 left,
    # which is what the remaining 11 days and 3 hours may still lose and the target hold.
    assert (b.allowed, b.consumed, b.remaining) == (Decimal(396), Decimal(300), Decimal(96))
    assert b.remaining_share == Decimal(96) / Decimal(396)
    # burn rate = (300 / 133 200) / 0.001 = 2.2522…: the budget goes twice as fast as it may.
    assert b.burn_rate == Decimal(300) * 100 / (Decimal(133_200) * Decimal("0.1"))
    assert b.burn_rate is not None
    assert round(b.burn_rate, 4) == Decimal("2.2523")


def test_before_the_period_starts_there_is_nothing_to_measure() -> None:
    r = measure(AVAILABILITY, now=datetime(2024, 3, 20, tzinfo=UTC))
    assert r.verdict is Verdict.NO_DATA
    assert (r.actual, r.numerator, r.denominator) == (None, None, None)


# --- Reliability ------------------------------------------------------------------------------


def test_mtrs_mtbf_mtbsi_numerators_and_denominators() -> None:
    # Agreed time of 1–15 April: 396 000 − 7 200 (maintenance) = 388 800 s. Failures: inc-a
    # (3 600 s after the window), inc-c (7 200 s: a restoration time counts a partial outage
    # whole) and inc-d (720 s); inc-f at night is no failure, inc-b is planned (1 800 s,
    # neither up nor down). Downtime 11 520 s; uptime 388 800 − 11 520 − 1 800 = 375 480 s.
    mttr = measure(objective(metric="mttr", target="4h"))
    assert (mttr.numerator, mttr.denominator) == (Decimal(11_520), Decimal(3))
    assert mttr.actual == Decimal(3840)  # 1 h 4 min
    assert mttr.verdict is Verdict.MET
    assert mttr.breaches == ()
    mtbf = measure(objective(metric="mtbf", target="5d"))
    assert (mtbf.numerator, mtbf.denominator) == (Decimal(375_480), Decimal(3))
    assert mtbf.actual == Decimal(125_160)  # 34 h 46 min: less than 5 days
    assert mtbf.verdict is Verdict.BREACHED
    mtbsi = measure(objective(metric="mtbsi", target="1d"))
    # (uptime + downtime) / failures = 387 000 / 3 = 129 000 s = MTBF + MTRS
    assert (mtbsi.numerator, mtbsi.denominator) == (Decimal(387_000), Decimal(3))
    assert mtbsi.actual == mtbf.actual + mttr.actual
    count = measure(objective(metric="incident_count", target=2))
    assert (count.actual, count.verdict) == (Decimal(3), Verdict.BREACHED)


def test_a_missed_mtrs_names_the_longest_failures() -> None:
    r = measure(objective(metric="mttr", target="30m"))
    assert r.verdict is Verdict.BREACHED
    assert [b.incidents for b in r.breaches] == [("inc-c",), ("inc-a",), ("inc-d",)]
    assert r.breaches[0].detail == "inc-c: down 2 h"


def test_without_failures_a_mean_has_no_value_and_is_met() -> None:
    r = measure(objective(metric="mttr", target="4h"), evidence=Evidence())
    assert (r.actual, r.numerator, r.denominator, r.verdict) == (None, None, None, Verdict.MET)
    assert ("MTRS", "no failures in the period") in r.figures


def test_outages_without_their_incident_still_count_as_failures() -> None:
    # An outages file names incidents by id only.
    alone = Evidence(outages=(outage("ticket-7", at(2, 10), at(2, 10, 30)),))
    r = measure(objective(metric="mttr", target="4h"), evidence=alone)
    assert (r.numerator, r.denominator) == (Decimal(1800), Decimal(1))


def test_mtta_from_acknowledged_incidents() -> None:
    # Detected 1–15 April, not planned: inc-a (acknowledged after 600 s), inc-c (1 200 s),
    # inc-d (never) and inc-f (300 s; MTTA does not read the calendar).
    # MTTA = (600 + 1 200 + 300) / 3 = 700 s.
    r = measure(objective(metric="mtta", target="15m"))
    assert (r.numerator, r.denominator, r.actual) == (Decimal(2100), Decimal(3), Decimal(700))
    assert r.verdict is Verdict.MET
    assert ("incidents", "4") in r.figures


def test_mtta_without_acknowledgement_has_no_data() -> None:
    lone = Evidence(outages=OUTAGES[3:4], incidents={"inc-d": INCIDENTS["inc-d"]})
    r = measure(objective(metric="mtta", target="15m"), evidence=lone)
    assert (r.actual, r.verdict) == (None, Verdict.NO_DATA)


def test_response_time_per_severity_counts_an_unacknowledged_incident_past_its_deadline() -> None:
    critical = objective(metric="response_time", target="15m", severity="critical")
    r = measure(critical)
    # Critical incidents detected 1–15 April: inc-a answered in 600 s; inc-d never, its
    # deadline (14:15 on 12 April) long past at ``now`` (1 May): it has waited 18 d 10 h =
    # 1 591 200 s so far.
    assert r.actual == Decimal(1_591_200)
    assert r.verdict is Verdict.BREACHED
    assert [b.incidents for b in r.breaches] == [("inc-d",)]
    assert r.breaches[0].objective == critical.id
    assert r.breaches[0].detail.startswith("inc-d critical: not acknowledged 18 d 10 h")
    major = measure(objective(metric="response_time", target="30m", severity="major"))
    assert (major.actual, major.verdict) == (Decimal(1200), Verdict.MET)  # inc-c: 20 min
    minor = measure(objective(metric="response_time", target="4h", severity="minor"))
    assert (minor.actual, minor.verdict) == (Decimal(300), Verdict.MET)  # inc-f; inc-b planned


def test_an_incident_still_inside_its_deadline_is_pending() -> None:
    critical = objective(metric="response_time", target="15m", severity="critical")
    r = measure(critical, now=at(12, 14, 10))
    # At 14:10 on 12 April inc-d has 5 more minutes: pending, so inc-a's 600 s is the figure.
    assert (r.actual, r.verdict) == (Decimal(600), Verdict.MET)
    assert ("pending", "1") in r.figures


def test_resolution_time_lists_only_resolution_misses() -> None:
    r = measure(objective(metric="resolution_time", target="1h", severity="critical"))
    # inc-a corrected after 1 h 55 min (6 900 s), inc-d after 20 min: the longest is the figure.
    assert (r.actual, r.verdict) == (Decimal(6900), Verdict.BREACHED)
    assert [b.detail for b in r.breaches] == [
        "inc-a critical: corrected after 1 h 55 min, target 1 h"
    ]
    assert measure(objective(metric="resolution_time", target="2h", severity="critical")).verdict \
        is Verdict.MET  # fmt: skip


# --- Measurement series -----------------------------------------------------------------------


def test_latency_percentile_by_nearest_rank() -> None:
    april = {"start": APRIL[0], "end": APRIL[1]}
    r = measure(objective(metric="latency", target="50ms", percentile=95), **april)
    # rank ⌈0.95 × 20⌉ = 19 of the sorted samples: 45 ms, a value that was observed
    assert (r.actual, r.verdict) == (Decimal(45), Verdict.MET)
    assert ("series", "globex-latency") in r.figures
    assert ("samples", "20") in r.figures
    tight = measure(objective(metric="latency", target="40ms", percentile=95), **april)
    assert tight.verdict is Verdict.BREACHED
    p50 = measure(objective(metric="latency", target="20ms", percentile=50), **april)
    assert p50.actual == Decimal(15)  # rank 10
    mean = measure(objective(metric="latency", target="20ms"), **april)
    assert mean.actual == Decimal("19.85")  # 397 / 20


def test_latency_only_reads_samples_inside_the_window() -> None:
    # Samples every 6 h from 2 April 00:00: those before 4 April are the first 8.
    r = measure(objective(metric="latency", target="50ms", percentile=95), APRIL[0], at(4, 0))
    assert ("samples", "8") in r.figures
    assert r.actual == Decimal(30)  # 11 12 12 13 14 15 16 30: rank ⌈7.6⌉ = 8


def test_packet_loss_is_a_ratio_of_sums() -> None:
    r = measure(objective(metric="packet_loss", target="2%"), APRIL[0], APRIL[1])
    # (10 + 5) lost of (1 000 + 10) sent = 1.485 %: met. The mean of the two ratios, 25.5 %,
    # would weigh the quiet 5 minutes like the busy ones.
    assert (r.numerator, r.denominator) == (Decimal(15), Decimal(1010))
    assert r.actual == Decimal(1500) / Decimal(1010)
    assert r.verdict is Verdict.MET
    assert r.budget is not None
    assert (r.budget.allowed, r.budget.consumed) == (Decimal("20.2"), Decimal(15))  # 2 % of 1 010


def test_good_ratio_over_events_and_over_time_slices() -> None:
    voice = {"start": APRIL[0], "end": APRIL[1], "service": "voice"}
    events = measure(objective(metric="good_ratio", target="99%", budgeting="events"), **voice)
    # 2 975 of 3 000 calls: 99.17 % ≥ 99 %
    assert (events.numerator, events.denominator) == (Decimal(2975), Decimal(3000))
    assert events.verdict is Verdict.MET
    sliced = measure(
        objective(metric="good_ratio", target="99%", budgeting="timeslices", timeslice="1h",
                  timeslice_target="99%"),
        **voice,
    )  # fmt: skip
    # hourly slices: 99.5 % good, 98 % bad, 100 % good: 2 of the 3 slices with data = 66.7 %
    assert (sliced.numerator, sliced.denominator) == (Decimal(2), Decimal(3))
    assert sliced.verdict is Verdict.BREACHED
    assert [(b.start, b.end) for b in sliced.breaches] == [(at(2, 11), at(2, 12))]


def test_a_series_metric_without_samples_has_no_data() -> None:
    r = measure(objective(metric="packet_loss", target="2%"), evidence=Evidence())
    assert (r.actual, r.numerator, r.denominator, r.verdict) == (None, None, None, Verdict.NO_DATA)


# --- Satisfaction and controls ----------------------------------------------------------------


def test_satisfaction_and_nps_from_the_customers_feedback() -> None:
    april = {"start": APRIL[0], "end": APRIL[1]}
    csat = measure(objective(metric="satisfaction", target=4), **april)
    # globex's April answers about internet or the provider as a whole: 5, 2, 4 → 11 / 3
    # (voice's answer, initech's and March's are not read)
    assert (csat.numerator, csat.denominator) == (Decimal(11), Decimal(3))
    assert csat.verdict is Verdict.BREACHED
    nps = measure(objective(metric="nps", target=0), **april)
    # 10, 3, 9, 7: promoters 2, detractors 1, of 4: NPS = 100 × (2 − 1) / 4 = 25
    assert (nps.numerator, nps.denominator, nps.actual) == (Decimal(1), Decimal(4), Decimal(25))
    assert nps.verdict is Verdict.MET


def test_control_compliance_counts_a_missing_attestation_as_not_met() -> None:
    r = measure(objective(metric="control_compliance", target="100%"), APRIL[0], APRIL[1])
    # password-length attested met for April; badge-photo's attestation covers March only
    assert (r.numerator, r.denominator, r.actual) == (Decimal(1), Decimal(2), Decimal(50))
    assert r.verdict is Verdict.BREACHED
    assert [b.detail for b in r.breaches] == [
        "control badge-photo of security: no attestation for the period"
    ]


def test_a_control_attested_as_not_met_is_a_breach_too() -> None:
    failed = replace(ATTESTATIONS[0], met=False, attested_at=at(30, 13))
    evidence = replace(EVIDENCE, attestations=(*ATTESTATIONS, failed))
    r = measure(objective(metric="control_compliance", target="50%"), APRIL[0], APRIL[1],
                evidence=evidence)  # fmt: skip
    # the latest attestation of password-length says not met: 0 of 2
    assert (r.numerator, r.denominator) == (Decimal(0), Decimal(2))
    assert next(b.detail for b in r.breaches) == (
        "control password-length of security: attested as not met"
    )


def test_results_name_the_agreement_their_objective_comes_from() -> None:
    eff = agreement(on=date(2024, 4, 16))
    window = Window(sla_bundle(), eff, "globex", "internet", SIXTEENTH, APRIL[1], AFTER,
                    OUTAGES, EVIDENCE)  # fmt: skip
    found = {o.value.id: measure_objective(o.value, window).source for o in eff.objectives}
    assert found["availability"] == "globex-internet"
    assert found["weighted-availability"] == "globex"
    assert found["mttr"] == "acme-terms"
    assert {o.value.metric for o in eff.objectives} >= {Metric.AVAILABILITY, Metric.MTTA}
