"""A representative SLA report, built by hand, with every figure worked out below.

Acme Logistics takes Internet Access and Business Voice from Rhône Net; the report covers
April 2025 in Europe/Paris (UTC+2 all month: 30 days, T = 2,592,000 s of 24×7 service time).

Internet Access (targets: availability ≥ 99.5 %, weighted availability ≥ 99.5 %):

* planned maintenance 8 Apr 01:00–03:00 local (P = 7,200 s), left out of T;
* a full outage 17 Apr 09:00–10:30 local (5,400 s) inside the dispatch-planning window
  (17 Apr 08:00–12:00 local, 14,400 s, weight 4);
* a partial outage 24 Apr 14:00–16:00 local at half the service: 7,200 × 0.5 = 3,600 s.

Plain: U = 5,400 + 3,600 = 9,000 s; T − P = 2,584,800 s; availability = 2,575,800 / 2,584,800
= 99.65181…% — met. Budget: 0.5 % × 2,584,800 = 12,924 s; 9,000 used; 3,924 left (30.36 %).

Weighted: the window adds (4 − 1) × 14,400 = 43,200 s to the agreed time: 2,628,000 s;
weighted downtime = 5,400 × 4 + 3,600 = 25,200 s; availability = 2,602,800 / 2,628,000
= 99.04109…% — missed, so the 10 % tier (below 99.5 %) of the EUR 450.00 charge: EUR 45.00.
Budget: 0.5 % × 2,628,000 = 13,140 s; 25,200 used; 12,060 over (−91.78 %).

Business Voice: no outage, availability 100 % (met), MTRS without data (no incident).
Customer-wide: satisfaction 3.6 against at least 4 — missed (no credit attached).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from servanda.agreements.metrics import Metric, Unit
from servanda.agreements.model import Comparator, ExcludedTime
from servanda.engagement.model import Review, ReviewAction, ReviewKind
from servanda.measure.results import Breach, Budget, Credit, ObjectiveResult, Verdict
from servanda.reports.sla_model import (
    Closing,
    DailyPoint,
    ExperienceScore,
    FeedbackComment,
    FeedbackMonth,
    FeedbackSummary,
    IncidentEntry,
    Party,
    ReportPeriod,
    ServiceSection,
    SlaReport,
    Standing,
    TimelineEntry,
    TimeWindow,
    WindowKind,
    convention_for,
)

START = datetime(2025, 3, 31, 22, tzinfo=UTC)
"""1 Apr 2025 00:00 in Paris."""
END = datetime(2025, 4, 30, 22, tzinfo=UTC)
"""1 May 2025 00:00 in Paris."""
T = Decimal(2_592_000)
P = Decimal(7_200)
U = Decimal(9_000)
AGREED = T - P
WEIGHTED_AGREED = AGREED + 3 * 14_400
WEIGHTED_DOWN = Decimal(5_400 * 4 + 3_600)
HUNDRED = Decimal(100)

INET_AVAILABILITY = (AGREED - U) / AGREED * HUNDRED
INET_WEIGHTED = (WEIGHTED_AGREED - WEIGHTED_DOWN) / WEIGHTED_AGREED * HUNDRED


def utc(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2025, 4, day, hour, minute, tzinfo=UTC)


def _inet_daily() -> tuple[DailyPoint, ...]:
    points = []
    used = Decimal(0)
    budget = AGREED * Decimal("0.005")
    for n in range(1, 31):
        plain = weighted = HUNDRED
        if n == 17:
            plain = (Decimal(86_400) - 5_400) / 86_400 * HUNDRED  # 93.75
            weighted = (Decimal(129_600) - 21_600) / 129_600 * HUNDRED  # 83.33…
            used += 5_400
        elif n == 24:
            plain = weighted = (Decimal(86_400) - 3_600) / 86_400 * HUNDRED  # 95.83…
            used += 3_600
        points.append(
            DailyPoint(
                day=date(2025, 4, n),
                availability=plain,
                weighted_availability=weighted,
                budget_remaining=(budget - used) / budget * HUNDRED,
            )
        )
    return tuple(points)


def _voice_daily() -> tuple[DailyPoint, ...]:
    return tuple(
        DailyPoint(
            day=date(2025, 4, n),
            availability=HUNDRED,
            weighted_availability=HUNDRED,
            budget_remaining=HUNDRED,
        )
        for n in range(1, 31)
    )


def internet_section() -> ServiceSection:
    plain_budget = AGREED * Decimal("0.005")
    weighted_budget = WEIGHTED_AGREED * Decimal("0.005")
    return ServiceSection(
        service="internet-access",
        name="Internet Access",
        agreements=("acme-internet-sla",),
        results=(
            ObjectiveResult(
                objective="inet-availability",
                metric=Metric.AVAILABILITY,
                target=Decimal("99.5"),
                comparator=Comparator.GE,
                unit=Unit.PERCENT,
                verdict=Verdict.MET,
                actual=INET_AVAILABILITY,
                numerator=AGREED - U,
                denominator=AGREED,
                convention="exclude: (T − P − U) / (T − P)",
                budget=Budget(
                    unit="seconds",
                    allowed=plain_budget,
                    consumed=U,
                    remaining=plain_budget - U,
                    remaining_share=(plain_budget - U) / plain_budget,
                    burn_rate=U / AGREED / Decimal("0.005"),
                ),
                figures=(("planned downtime", "2 h"), ("unplanned downtime", "2 h 30 min")),
                source="acme-internet-sla",
            ),
            ObjectiveResult(
                objective="inet-weighted",
                metric=Metric.WEIGHTED_AVAILABILITY,
                target=Decimal("99.5"),
                comparator=Comparator.GE,
                unit=Unit.PERCENT,
                verdict=Verdict.BREACHED,
                actual=INET_WEIGHTED,
                numerator=WEIGHTED_AGREED - WEIGHTED_DOWN,
                denominator=WEIGHTED_AGREED,
                convention="exclude, weighted by critical windows",
                budget=Budget(
                    unit="seconds",
                    allowed=weighted_budget,
                    consumed=WEIGHTED_DOWN,
                    remaining=weighted_budget - WEIGHTED_DOWN,
                    remaining_share=(weighted_budget - WEIGHTED_DOWN) / weighted_budget,
                    burn_rate=WEIGHTED_DOWN / WEIGHTED_AGREED / Decimal("0.005"),
                ),
                breaches=(
                    Breach(
                        objective="inet-weighted",
                        detail="Internet Access down 1 h 30 min in the dispatch planning "
                        "window, where a minute counts four times: 164 % of the budget",
                        start=utc(17, 7),
                        end=utc(17, 8, 30),
                        incidents=("inc-0417",),
                    ),
                    Breach(
                        objective="inet-weighted",
                        detail="Half of Internet Access down for 2 h: 27 % of the budget",
                        start=utc(24, 12),
                        end=utc(24, 14),
                        incidents=("inc-0424",),
                    ),
                ),
                source="acme-internet-sla",
            ),
        ),
        timeline=(
            TimelineEntry(start=utc(7, 23), end=utc(8, 1), planned=True),
            TimelineEntry(
                start=utc(17, 7),
                end=utc(17, 8, 30),
                incident="inc-0417",
                downtime_seconds=Decimal(5_400),
                weighted_seconds=Decimal(21_600),
            ),
            TimelineEntry(
                start=utc(24, 12),
                end=utc(24, 14),
                fraction=Decimal("0.5"),
                incident="inc-0424",
                downtime_seconds=Decimal(3_600),
                weighted_seconds=Decimal(3_600),
            ),
        ),
        windows=(
            TimeWindow(
                kind=WindowKind.MAINTENANCE, start=utc(7, 23), end=utc(8, 1), label="Monthly"
            ),
            TimeWindow(
                kind=WindowKind.CRITICAL,
                start=utc(17, 6),
                end=utc(17, 10),
                weight=Decimal(4),
                label="Dispatch planning",
            ),
        ),
        daily=_inet_daily(),
        incidents=(
            IncidentEntry(
                id="inc-0424",
                severity="P3",
                title="Packet loss on the Villeurbanne access ring",
                detected=utc(24, 12),
                acknowledged=utc(24, 12, 40),
                restored=utc(24, 14),
                response_met=False,
                resolution_met=True,
            ),
            IncidentEntry(
                id="inc-0417",
                severity="P1",
                title="Core router failure in Lyon",
                detected=utc(17, 7),
                acknowledged=utc(17, 7, 4),
                restored=utc(17, 8, 30),
                response_met=True,
                resolution_met=True,
            ),
        ),
    )


def voice_section() -> ServiceSection:
    return ServiceSection(
        service="business-voice",
        name="Business Voice",
        agreements=("acme-voice-sla",),
        results=(
            ObjectiveResult(
                objective="voice-availability",
                metric=Metric.AVAILABILITY,
                target=Decimal("99.9"),
                comparator=Comparator.GE,
                unit=Unit.PERCENT,
                verdict=Verdict.MET,
                actual=HUNDRED,
                numerator=T,
                denominator=T,
                convention="exclude: (T − P − U) / (T − P)",
                budget=Budget(
                    unit="seconds",
                    allowed=T * Decimal("0.001"),
                    consumed=Decimal(0),
                    remaining=T * Decimal("0.001"),
                    remaining_share=Decimal(1),
                    burn_rate=Decimal(0),
                ),
                source="acme-voice-sla",
            ),
            ObjectiveResult(
                objective="voice-mtrs",
                metric=Metric.MTTR,
                target=Decimal(14_400),
                comparator=Comparator.LE,
                unit=Unit.SECONDS,
                verdict=Verdict.NO_DATA,
                convention="MTRS = total downtime / failures",
                source="acme-voice-sla",
            ),
        ),
        daily=_voice_daily(),
    )


def customer_section() -> ServiceSection:
    return ServiceSection(
        service=None,
        name="All services",
        agreements=("acme-customer-sla",),
        results=(
            ObjectiveResult(
                objective="csat",
                metric=Metric.SATISFACTION,
                target=Decimal(4),
                comparator=Comparator.GE,
                unit=Unit.SCORE,
                verdict=Verdict.BREACHED,
                actual=Decimal("3.6"),
                numerator=Decimal(50),
                denominator=Decimal(14),
                breaches=(
                    Breach(objective="csat", detail="Mean satisfaction 3.6 of 5 from 14 answers"),
                ),
                source="acme-customer-sla",
            ),
        ),
    )


def credit() -> Credit:
    return Credit(
        customer="acme",
        service="internet-access",
        period_start=START,
        period_end=END,
        objective="inet-weighted",
        actual=INET_WEIGHTED,
        target=Decimal("99.5"),
        tier_below=Decimal("99.5"),
        percent=Decimal(10),
        reason="Experience-weighted availability was 99.041 %, below 99.5 %: 10 % of the "
        "monthly charge of Internet Access.",
        charge=Decimal("450.00"),
        amount=Decimal("45.00"),
        currency="EUR",
    )


def feedback() -> FeedbackSummary:
    both_up = (AGREED - U + T) / (AGREED + T) * HUNDRED  # 99.826…
    both_weighted = (WEIGHTED_AGREED - WEIGHTED_DOWN + T) / (WEIGHTED_AGREED + T) * HUNDRED
    return FeedbackSummary(
        count=14,
        csat=Decimal(50) / 14,  # 3.57…, shown 3.6
        nps=Decimal(3 - 4) / 14 * HUNDRED,  # 3 promoters, 4 detractors: −7.14…
        trend=(
            FeedbackMonth(
                month=date(2025, 2, 1),
                count=11,
                csat=Decimal("4.3"),
                nps=Decimal(18),
                availability=Decimal("99.98"),
                weighted_availability=Decimal("99.97"),
            ),
            FeedbackMonth(
                month=date(2025, 3, 1),
                count=12,
                csat=Decimal("4.25"),
                nps=Decimal(17),
                availability=HUNDRED,
                weighted_availability=HUNDRED,
            ),
            FeedbackMonth(
                month=date(2025, 4, 1),
                count=14,
                csat=Decimal(50) / 14,
                nps=Decimal(3 - 4) / 14 * HUNDRED,
                availability=both_up,
                weighted_availability=both_weighted,
            ),
        ),
        recent=(
            FeedbackComment(
                at=utc(17, 9, 20),
                comment="The outage stopped our dispatch planning for the whole morning.",
                service="internet-access",
                csat=1,
            ),
            FeedbackComment(
                at=utc(25, 8),
                comment="Voice quality has been excellent <as usual> & calls connect fast.",
                service="business-voice",
                csat=5,
                nps=9,
            ),
        ),
        experience=ExperienceScore(
            perceived=Decimal(65),
            measured=Decimal(81),
            sentence="You rated your experience lower than the measurements show: the "
            "outage of 17 April fell in your dispatch planning window.",
        ),
    )


def review() -> Review:
    return Review(
        customer="acme",
        held_on=date(2025, 4, 29),
        kind=ReviewKind.SERVICE_REVIEW,
        notes="We went through the outage of 17 April and its root cause.\n\n"
        "Acme asked that maintenance never falls on a Thursday morning.",
        service="internet-access",
        attendees=("Claire Martin (Acme Logistics)", "Hugo Bernard (Rhône Net)"),
        actions=(
            ReviewAction(
                text="Send the incident report for inc-0417",
                owner="Hugo Bernard",
                due=date(2025, 4, 25),
                done=True,
            ),
            ReviewAction(
                text="Add a second uplink at the Lyon core site",
                owner="Rhône Net engineering",
                due=date(2025, 6, 30),
            ),
        ),
    )


def sample_report() -> SlaReport:
    """The report described in the module documentation."""
    return SlaReport(
        provider=Party(id="rhone-net", name="Rhône Net"),
        customer=Party(id="acme", name="Acme Logistics"),
        period=ReportPeriod(label="April 2025", start=START, end=END, timezone="Europe/Paris"),
        generated_at=datetime(2025, 5, 2, 6, tzinfo=UTC),
        convention=convention_for(ExcludedTime.EXCLUDE),
        sections=(internet_section(), voice_section(), customer_section()),
        credits=(credit(),),
        feedback=feedback(),
        reviews=(review(),),
        notes=("Every incident of the period was closed before 2 May 2025.",),
        closing=Closing(
            standing=Standing.FINAL,
            version=1,
            closed_at=datetime(2025, 5, 2, 6, tzinfo=UTC),
            closed_by="billing:tok-7",
        ),
    )
