"""One customer over a period (``servanda.measure.evaluate.evaluate_customer``): the period cut
where an agreement starts, each part against its own agreement, credits per part, the
roll-up over services, and component outages composed through the dependency map.

The provider and the internet outages are those of ``test_objectives.py`` (see its
documentation for the calendar arithmetic); here globex's voice, measured 24×7, also fails for
an hour at night (inc-v, 22 April 03:00–04:00).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from servanda.agreements.metrics import Metric
from servanda.agreements.model import ClaimMode, Period, PeriodKind
from servanda.catalog.model import Subscription
from servanda.core.problems import NotFound
from servanda.declared.bundle import Bundle
from servanda.measure.evaluate import CustomerEvaluation, PartResult, evaluate_customer
from servanda.measure.objectives import Evidence
from servanda.measure.periods import ReportingPeriod, parse_period
from servanda.measure.results import ObjectiveResult, Verdict

from .test_objectives import (
    AFTER,
    EVIDENCE,
    INCIDENTS,
    OUTAGES,
    SIXTEENTH,
    at,
    incident,
    outage,
    sla_bundle,
)

APRIL = parse_period("2024-04", "UTC")
VOICE_OUTAGE = outage("inc-v", at(22, 3), at(22, 4), service="voice")
EVIDENCE_WITH_VOICE = replace(
    EVIDENCE,
    outages=(*OUTAGES, VOICE_OUTAGE),
    incidents={**INCIDENTS, "inc-v": incident("inc-v", at(22, 3), acknowledged=at(22, 3, 5))},
)


def evaluate(
    evidence: Evidence = EVIDENCE_WITH_VOICE,
    *,
    bundle: Bundle | None = None,
    customer: str = "globex",
    period: ReportingPeriod = APRIL,
    now: datetime = AFTER,
) -> CustomerEvaluation:
    return evaluate_customer(bundle or sla_bundle(), customer, period, evidence, now)


def parts_of(ev: CustomerEvaluation, service: str) -> list[PartResult]:
    return [p for p in ev.parts if p.service == service]


def result(part: PartResult, objective: str) -> ObjectiveResult:
    (found,) = [r for r in part.results if r.objective == objective]
    return found


def fraction(r: ObjectiveResult) -> tuple[Decimal | None, Decimal | None]:
    return r.numerator, r.denominator


# --- Parts ------------------------------------------------------------------------------------


def test_the_month_is_cut_where_the_service_agreement_starts() -> None:
    ev = evaluate()
    first, second = parts_of(ev, "internet")
    assert (first.start, first.end) == (APRIL.start, SIXTEENTH)
    assert (second.start, second.end) == (SIXTEENTH, APRIL.end)
    assert first.agreements == ("acme-terms", "globex")
    assert second.agreements == ("acme-terms", "globex", "globex-internet")
    (voice,) = parts_of(ev, "voice")
    assert (voice.start, voice.end) == (APRIL.start, APRIL.end)


def test_each_part_is_measured_against_its_own_agreement_over_its_own_days() -> None:
    first, second = parts_of(evaluate(), "internet")
    a1, a2 = result(first, "availability"), result(second, "availability")
    # 1–15 April against the corporate 99.5 %: 379 080 / 387 000 = 97.95 %, missed
    assert (a1.target, a1.source) == (Decimal("99.5"), "acme-terms")
    assert fraction(a1) == (Decimal(379_080), Decimal(387_000))
    assert a1.verdict is Verdict.BREACHED
    # 16–30 April against globex-internet's 99.9 %, over those 11 office days alone:
    # 395 700 / 396 000 = 99.924 %, met (the whole month's agreed time is not its denominator)
    assert (a2.target, a2.source) == (Decimal("99.9"), "globex-internet")
    assert fraction(a2) == (Decimal(395_700), Decimal(396_000))
    assert a2.verdict is Verdict.MET
    # the weighted figure follows the customer agreement in both parts, and misses in the
    # second though the plain one is met (inc-e fell in the Friday window)
    w2 = result(second, "weighted-availability")
    assert fraction(w2) == (Decimal(522_600), Decimal(525_600))
    assert w2.verdict is Verdict.BREACHED


def test_voice_is_measured_around_the_clock() -> None:
    (voice,) = parts_of(evaluate(), "voice")
    a = result(voice, "availability")
    # 30 × 86 400 = 2 592 000 s, 3 600 of them down at night: 2 588 400 / 2 592 000 = 99.861 %
    assert fraction(a) == (Decimal(2_588_400), Decimal(2_592_000))
    assert a.verdict is Verdict.MET
    assert voice.agreements == ("acme-terms", "globex", "globex-voice")


def test_a_monthly_objective_in_the_second_part_covers_that_part_only() -> None:
    _, second = parts_of(evaluate(), "internet")
    mtta = result(second, "mtta")
    # inc-e alone (detected 19 April, acknowledged after 180 s): 1–15 April's are not read
    assert (mtta.numerator, mtta.denominator, mtta.actual) == (
        Decimal(180),
        Decimal(1),
        Decimal(180),
    )


def test_a_quarterly_objective_is_measured_over_its_quarter_to_date() -> None:
    bundle = sla_bundle()
    quarterly = [
        replace(a, objectives=tuple(
            replace(o, period=Period(kind=PeriodKind.QUARTER))
            if o.metric is Metric.SATISFACTION else o for o in a.objectives
        )) if a.id == "globex" else a
        for a in bundle.agreements
    ]  # fmt: skip
    ev = evaluate(bundle=replace(bundle, agreements=tuple(quarterly)),
                  period=parse_period("2024-05", "UTC"))  # fmt: skip
    (internet,) = parts_of(ev, "internet")
    csat = result(internet, "satisfaction")
    # The May report reads the quarter from 1 April: April's 5, 2 and 4 about internet or the
    # provider; none in May.
    assert fraction(csat) == (Decimal(11), Decimal(3))


def test_an_unknown_customer_is_not_found() -> None:
    with pytest.raises(NotFound):
        evaluate(customer="hooli")


# --- Credits ----------------------------------------------------------------------------------


def test_credits_follow_each_parts_schedule_and_prorate_the_charge() -> None:
    ev = evaluate()
    first, second = parts_of(ev, "internet")
    credit = first.credit
    assert credit is not None
    # 97.95 % is below the 99.5 % tier: 25 %, under the 50 % cap. The charge for 15 of
    # April's 30 days is 1 234.57 × 15 / 30 = 617.285, and 25 % of it is 154.32125 → 154.32.
    assert (credit.objective, credit.tier_below, credit.percent) == (
        "availability",
        Decimal("99.5"),
        Decimal(25),
    )
    assert credit.charge == Decimal("617.285")
    assert credit.amount == Decimal("154.32")
    assert (credit.currency, credit.claim) == ("EUR", ClaimMode.AUTOMATIC)
    assert (credit.period_start, credit.period_end) == (APRIL.start, SIXTEENTH)
    assert credit.reason.startswith("availability was 97.95")
    # 99.924 % is above every tier: nothing for the second half
    assert second.credit is None
    (voice,) = parts_of(ev, "voice")
    # 99.861 % is below 99.9 %: 10 % of the whole month's 300.00
    assert voice.credit is not None
    assert (voice.credit.percent, voice.credit.charge, voice.credit.amount) == (
        Decimal(10),
        Decimal("300.00"),
        Decimal("30.00"),
    )
    assert ev.credits == (credit, voice.credit)


def test_the_credit_is_capped() -> None:
    # internet down two whole days in the second half (Monday 22 and Tuesday 23 April): 20 of
    # its 110 office hours, availability 81.8 % — below 95 %, 100 %, capped at 50 %.
    down = replace(EVIDENCE, outages=(outage("inc-z", at(22, 0), at(24, 0)),))
    (_, second) = parts_of(evaluate(down), "internet")
    a = result(second, "availability")
    assert fraction(a) == (Decimal(324_000), Decimal(396_000))
    credit = second.credit
    assert credit is not None
    assert (credit.tier_below, credit.percent) == (Decimal(95), Decimal(50))
    assert credit.amount == Decimal("308.64")  # 617.285 × 50 % = 308.6425
    assert credit.reason.endswith("50 % of the charge (capped)")


# --- Roll-up over the customer's services -----------------------------------------------------


def test_the_overall_figures_add_numerators_and_denominators() -> None:
    ev = evaluate()
    overall = {r.objective: r for r in ev.overall}
    a = overall["availability"]
    # (379 080 + 395 700 + 2 588 400) / (387 000 + 396 000 + 2 592 000) = 3 363 180 / 3 375 000
    # = 99.650 %, against the strictest target rolled up, 99.9 %: missed. (The mean of the
    # three percentages, 99.246 %, would be another figure.)
    assert fraction(a) == (Decimal(3_363_180), Decimal(3_375_000))
    assert a.actual == Decimal(3_363_180) / Decimal(3_375_000) * 100
    assert (a.target, a.verdict) == (Decimal("99.9"), Verdict.BREACHED)
    assert ("rolled up over", "3") in a.figures
    mttr = overall["mttr"]
    # failures: inc-a, inc-c, inc-d (11 520 s) in the first half, inc-e (300 s) in the second,
    # inc-v (3 600 s) on voice: 15 420 s over 5
    assert fraction(mttr) == (Decimal(15_420), Decimal(5))


# --- Mid-period ---------------------------------------------------------------------------------


def test_a_period_still_running_is_measured_up_to_now() -> None:
    ev = evaluate(now=at(19, 15))
    _, second = parts_of(ev, "internet")
    a = result(second, "availability")
    assert fraction(a) == (Decimal(132_900), Decimal(133_200))
    assert a.budget is not None
    assert a.budget.remaining == Decimal(96)
    (voice,) = parts_of(ev, "voice")
    # voice so far: 18 days and 15 hours, nothing down yet (inc-v is on the 22nd)
    assert fraction(result(voice, "availability")) == (Decimal(1_609_200), Decimal(1_609_200))
    assert voice.credit is None


# --- Subscriptions ----------------------------------------------------------------------------


def test_a_subscription_starting_mid_month_is_measured_and_charged_from_its_start() -> None:
    bundle = sla_bundle()
    later = tuple(
        Subscription(customer="globex", service="voice", start=date(2024, 4, 21),
                     monthly_charge=Decimal("300.00"))
        if s.customer == "globex" and s.service == "voice" else s
        for s in bundle.subscriptions
    )  # fmt: skip
    ev = evaluate(bundle=replace(bundle, subscriptions=later))
    (voice,) = parts_of(ev, "voice")
    assert (voice.start, voice.end) == (datetime(2024, 4, 21, tzinfo=UTC), APRIL.end)
    a = result(voice, "availability")
    # 10 days, 864 000 s, one hour down: 860 400 / 864 000 = 99.583 % (below 99.9: 10 %)
    assert fraction(a) == (Decimal(860_400), Decimal(864_000))
    assert voice.credit is not None
    assert voice.credit.charge == Decimal(100)  # 300.00 × 10 / 30
    assert voice.credit.amount == Decimal("10.00")


# --- Component outages composed into service outages ------------------------------------------


def components(*rows: tuple[str, datetime, datetime, bool]) -> Evidence:
    return Evidence(
        outages=tuple(
            outage(f"inc-{node}-{start:%d%H%M}", start, end, service=node, planned=planned)
            for node, start, end, planned in rows
        )
    )


def test_one_uplink_down_takes_no_internet_down_but_voice_needs_it() -> None:
    ev = evaluate(components(("uplink-1", at(8, 10), at(8, 11), False)))
    internet = parts_of(ev, "internet")
    assert all(p.outages == () for p in internet)
    # 396 000 office seconds less the 7 200 s maintenance window, all up
    assert fraction(result(internet[0], "availability")) == (Decimal(388_800), Decimal(388_800))
    (voice,) = parts_of(ev, "voice")
    (down,) = voice.outages
    assert (down.start, down.end, down.fraction, down.planned) == (at(8, 10), at(8, 11), 1.0, False)
    assert fraction(result(voice, "availability")) == (Decimal(2_588_400), Decimal(2_592_000))


def test_both_uplinks_down_take_internet_down_for_every_customer() -> None:
    evidence = components(
        ("uplink-1", at(9, 10), at(9, 10, 30), False),
        ("uplink-2", at(9, 9, 50), at(9, 10, 40), False),
    )
    first, _ = parts_of(evaluate(evidence), "internet")
    (down,) = first.outages
    # down while both are: 10:00–10:30
    assert (down.start, down.end, down.planned) == (at(9, 10), at(9, 10, 30), False)
    assert fraction(result(first, "availability")) == (Decimal(387_000), Decimal(388_800))
    (other,) = parts_of(evaluate(evidence, customer="initech"), "internet")
    assert [(o.start, o.end) for o in other.outages] == [(at(9, 10), at(9, 10, 30))]


def test_an_outage_of_one_customer_counts_for_that_customer_only() -> None:
    # What correlation yields when globex's access switch fails: globex alone is down.
    evidence = Evidence(outages=(outage("inc-sw", at(9, 10), at(9, 11), customer="globex"),))
    first, _ = parts_of(evaluate(evidence), "internet")
    assert [o.incident_id for o in first.outages] == ["inc-sw"]
    assert fraction(result(first, "availability")) == (Decimal(385_200), Decimal(388_800))
    (other,) = parts_of(evaluate(evidence, customer="initech"), "internet")
    assert other.outages == ()
    whole = result(other, "availability")
    assert whole.numerator == whole.denominator


def test_a_service_down_only_through_planned_work_is_planned_downtime() -> None:
    # uplink-2 is in planned work while uplink-1 fails: internet is down 10:00–10:30, but it
    # would not be without the planned work, so the time is excluded, not lost.
    evidence = components(
        ("uplink-1", at(9, 10), at(9, 10, 30), False),
        ("uplink-2", at(9, 9, 50), at(9, 10, 40), True),
    )
    first, _ = parts_of(evaluate(evidence), "internet")
    (down,) = first.outages
    assert down.planned
    # excluded like the maintenance window: 388 800 − 1 800 agreed seconds, all up
    assert fraction(result(first, "availability")) == (Decimal(387_000), Decimal(387_000))


def test_an_open_component_outage_lasts_until_now() -> None:
    evidence = Evidence(outages=(outage("inc-u", at(19, 17), None, service="uplink-1"),))
    (voice,) = parts_of(evaluate(evidence, now=at(19, 17, 30)), "voice")
    (down,) = voice.outages
    assert (down.start, down.end) == (at(19, 17), at(19, 17, 30))


def test_the_composed_outages_have_incidents_for_reliability() -> None:
    ev = evaluate(components(("uplink-1", at(8, 10), at(8, 11), False)))
    (voice,) = parts_of(ev, "voice")
    assert fraction(result(voice, "mttr")) == (Decimal(3600), Decimal(1))


def test_incidents_and_outages_are_kept_on_their_part() -> None:
    first, second = parts_of(evaluate(), "internet")
    assert {o.incident_id for o in first.outages} == {"inc-a", "inc-b", "inc-c", "inc-d", "inc-f"}
    assert {o.incident_id for o in second.outages} == {"inc-e"}
