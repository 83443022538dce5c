"""The HTML report: what a customer reads, worded and rounded as promised, self-contained."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from html.parser import HTMLParser

import pytest

from servanda.agreements.metrics import Metric, Unit
from servanda.agreements.model import ClaimMode
from servanda.measure.results import Budget
from servanda.reports.sla_html import render_sla_html
from servanda.reports.sla_model import ReportPeriod
from servanda.reports.sla_view import (
    actual_text,
    budget_sentence,
    budget_short,
    build_view,
    duration_text,
    one_decimal,
    signed,
)

from .sla_report_fixture import credit, sample_report


@pytest.fixture(scope="module")
def html() -> str:
    return render_sla_html(sample_report())


class _Page(HTMLParser):
    """Ids, local links, resources and tag balance of a page."""

    VOID = frozenset({"meta", "link", "br", "hr", "img", "input", "col"})
    SVG_LEAVES = frozenset({"line", "rect", "path", "circle"})

    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.hrefs: list[str] = []
        self.tags: set[str] = set()
        self.open: list[str] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        found = dict(attrs)
        if found.get("id"):
            self.ids.append(found["id"] or "")
        if found.get("href"):
            self.hrefs.append(found["href"] or "")
        if tag not in self.VOID:
            self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        if tag not in self.VOID | self.SVG_LEAVES:
            self.errors.append(f"<{tag}/>")

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.open[-1:] or 'nothing'}")
        else:
            self.open.pop()


def page(text: str) -> _Page:
    parser = _Page()
    parser.feed(text)
    parser.close()
    return parser


def test_elements_are_balanced(html: str) -> None:
    parsed = page(html)
    assert parsed.errors == []
    assert parsed.open == []


def test_every_local_link_has_its_anchor_and_ids_are_unique(html: str) -> None:
    parsed = page(html)
    assert len(parsed.ids) == len(set(parsed.ids))
    local = [h for h in parsed.hrefs if h.startswith("#")]
    assert local, "the summary links to the sections"
    assert {h[1:] for h in local} <= set(parsed.ids)
    assert "#incident-inc-0417" in local
    assert "#objective-internet-access-inet-weighted" in local


def test_the_page_is_self_contained(html: str) -> None:
    parsed = page(html)
    assert not parsed.tags & {"script", "link", "img", "iframe", "object"}
    assert [h for h in parsed.hrefs if not h.startswith("#")] == []
    assert "url(" not in re.sub(r"url\(#[A-Za-z0-9_-]+\)", "", html)
    # Three charts per service (Business Voice has no outage, but an availability objective:
    # its timeline is drawn, empty); none for the customer-wide objectives; one for feedback.
    assert html.count("<svg ") == 7


def test_the_summary_comes_first_with_words_and_symbols() -> None:
    view = build_view(sample_report())
    rows = [
        (
            r.section.text,
            r.objective.text,
            r.target,
            r.actual,
            r.verdict.symbol,
            r.verdict.word,
            r.budget,
            r.credit,
        )
        for r in view.summary
    ]
    assert rows == [
        # 2,575,800 / 2,584,800 = 99.6518…%; budget 3,924 of 12,924 s left = 30.36 %.
        (
            "Internet Access",
            "Availability",
            "at least 99.5 %",
            "99.651 %",
            "✓",
            "Met",
            "30 % left",
            "—",
        ),
        # 2,602,800 / 2,628,000 = 99.0410…%; budget −12,060 of 13,140 s = −91.78 %.
        (
            "Internet Access",
            "Experience-weighted availability",
            "at least 99.5 %",
            "99.041 %",
            "✗",
            "Missed",
            "overspent by 92 %",
            "10 % (EUR 45.00)",
        ),
        (
            "Business Voice",
            "Availability",
            "at least 99.9 %",
            "100 %",
            "✓",
            "Met",
            "100 % left",
            "—",
        ),
        (
            "Business Voice",
            "Mean time to restore service (MTRS)",
            "at most 4 h",
            "no data",
            "–",
            "No data",
            "—",
            "—",
        ),
        (
            "All services",
            "Customer satisfaction (CSAT, 1–5)",
            "at least 4",
            "3.6",
            "✗",
            "Missed",
            "—",
            "—",
        ),
    ]
    assert view.headline == (
        "Of 5 objectives, 2 met, 2 missed and 1 without data.",
        "One service credit was earned (see Service credits).",
    )


def test_order_of_the_page(html: str) -> None:
    order = [
        html.index('id="summary"'),
        html.index('id="convention"'),
        html.index('id="service-internet-access"'),
        html.index('id="service-business-voice"'),
        html.index('id="customer-wide"'),
        html.index('id="credits"'),
        html.index('id="incidents"'),
        html.index('id="feedback"'),
        html.index('id="reviews"'),
        html.index('id="notes"'),
    ]
    assert order == sorted(order)


def test_the_convention_is_stated(html: str) -> None:
    assert '<p class="formula">Availability = (T − P − U) / (T − P)</p>' in html
    assert "Time inside a maintenance window is left out of the calculation" in html


def test_plain_met_but_weighted_missed_is_explained() -> None:
    (sentence,) = build_view(sample_report()).sections[0].sentences
    assert sentence.startswith(
        "Internet Access met its availability target (99.651 %) but missed its "
        "experience-weighted availability target (99.041 %)"
    )


def test_breaches_link_their_incidents() -> None:
    weighted = build_view(sample_report()).sections[0].objectives[1]
    first = weighted.breaches[0]
    assert first.when == "17 Apr 09:00–10:30"  # 07:00–08:30 UTC in Paris (UTC+2)
    assert [(i.text, i.href) for i in first.incidents] == [("inc-0417", "#incident-inc-0417")]


def test_outages_are_numbered_and_counted() -> None:
    rows = build_view(sample_report()).sections[0].outages
    assert [(r.number, r.when, r.duration, r.kind, r.counted, r.weighted) for r in rows] == [
        (1, "8 Apr 01:00–03:00", "2 h", "Planned maintenance", "0 s", "0 s"),
        (2, "17 Apr 09:00–10:30", "1 h 30 min", "Outage", "1 h 30 min", "6 h"),
        (3, "24 Apr 14:00–16:00", "2 h", "Partial outage (50 % of the service)", "1 h", "1 h"),
    ]


def test_incidents_once_in_time_order() -> None:
    rows = build_view(sample_report()).incidents
    assert [(r.id, r.detected, r.duration) for r in rows] == [
        ("inc-0417", "17 Apr 09:00", "1 h 30 min"),
        ("inc-0424", "24 Apr 14:00", "2 h"),
    ]
    assert rows[1].response is not None
    assert rows[1].response.word == "Missed"


def test_credits_with_their_reason() -> None:
    (row,) = build_view(sample_report()).credits
    assert (row.service, row.objective, row.actual, row.target, row.tier, row.percent) == (
        "Internet Access",
        "Experience-weighted availability",
        "99.041 %",
        "99.5 %",
        "below 99.5 %",
        "10 %",
    )
    assert (row.amount, row.claim) == ("EUR 45.00", "Credited automatically")
    assert row.reason.startswith("Experience-weighted availability was 99.041 %")


def test_credits_to_claim_say_by_when() -> None:
    report = sample_report()
    by = datetime(2025, 5, 31, 21, 59, tzinfo=UTC)  # 31 May 23:59 in Paris
    late = dataclasses.replace(credit(), claim=ClaimMode.ON_CLAIM, claim_by=by)
    (row,) = build_view(dataclasses.replace(report, credits=(late,))).credits
    assert row.claim == "To claim by 31 May 2025"


def test_feedback_beside_availability() -> None:
    fb = build_view(sample_report()).feedback
    assert fb is not None
    # 50 / 14 = 3.57 → 3.6; NPS (3 − 4) / 14 = −7.14 → −7.
    assert fb.sentence == (
        "14 responses in April 2025; average satisfaction 3.6 out of 5; net promoter score −7."
    )
    # April, both services: (2,575,800 + 2,592,000) / (2,584,800 + 2,592,000) = 99.8261…%
    # and (2,602,800 + 2,592,000) / (2,628,000 + 2,592,000) = 99.5172…%.
    assert [(m.month, m.csat, m.nps, m.availability, m.weighted) for m in fb.months] == [
        ("Feb 2025", "4.3", "+18", "99.98 %", "99.97 %"),
        ("Mar 2025", "4.3", "+17", "100 %", "100 %"),
        ("Apr 2025", "3.6", "−7", "99.826 %", "99.517 %"),
    ]
    assert [c.when for c in fb.comments] == ["25 Apr", "17 Apr"]
    assert (fb.perceived, fb.measured) == (
        "65 (on a scale of 0 to 100)",
        "81 (on a scale of 0 to 100)",
    )


def test_text_is_escaped(html: str) -> None:
    assert "excellent &lt;as usual&gt; &amp; calls" in html
    assert "<as usual>" not in html


def test_reviews_with_their_actions() -> None:
    (review,) = build_view(sample_report()).reviews
    assert review.heading == "Service review, 29 Apr 2025"
    assert review.notes == (
        "We went through the outage of 17 April and its root cause.",
        "Acme asked that maintenance never falls on a Thursday morning.",
    )
    assert [(a.owner, a.due, a.status.symbol, a.status.word) for a in review.actions] == [
        ("Hugo Bernard", "25 Apr 2025", "✓", "Done"),
        ("Rhône Net engineering", "30 Jun 2025", "○", "Open"),
    ]


def test_print_layout(html: str) -> None:
    assert "@page { size: A4;" in html
    assert "section.part { break-before: page;" in html
    assert html.count('<section class="part') == 6


def test_a_bare_report_still_reads() -> None:
    bare = dataclasses.replace(
        sample_report(), sections=(), credits=(), feedback=None, reviews=(), notes=()
    )
    text = render_sla_html(bare)
    assert "No objective applied to this period." in text
    assert "No service credit was earned in this period." in text
    assert "No incident touched your services in this period." in text
    assert page(text).errors == []


def test_a_period_over_two_years_shows_years() -> None:
    report = sample_report()
    start = datetime(2024, 11, 30, 23, tzinfo=UTC)
    period = ReportPeriod(
        label="Q4 and January", start=start, end=start + timedelta(days=92), timezone="Europe/Paris"
    )
    view = build_view(dataclasses.replace(report, period=period))
    assert view.sections[0].outages[1].when == "17 Apr 2025, 09:00–10:30"


# --- wording of figures ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "metric", "unit", "text"),
    [
        # Rounded towards the worse side: a miss never reads as the target.
        ("99.89999", Metric.AVAILABILITY, Unit.PERCENT, "99.899 %"),
        ("99.9", Metric.AVAILABILITY, Unit.PERCENT, "99.9 %"),
        ("0.0101", Metric.PACKET_LOSS, Unit.PERCENT, "0.011 %"),
        ("3600.2", Metric.MTTR, Unit.SECONDS, "1 h 1 s"),
        ("5400", Metric.MTTR, Unit.SECONDS, "1 h 30 min"),
        ("90061.9", Metric.MTBF, Unit.SECONDS, "1 d 1 h 1 min 1 s"),
        ("30.001", Metric.LATENCY, Unit.MILLISECONDS, "30.01 ms"),
        ("99999999", Metric.THROUGHPUT, Unit.BITS_PER_SECOND, "99.99 Mbit/s"),
        ("950", Metric.THROUGHPUT, Unit.BITS_PER_SECOND, "950 bit/s"),
        ("3.999", Metric.SATISFACTION, Unit.SCORE, "3.99"),
        ("2", Metric.INCIDENT_COUNT, Unit.COUNT, "2"),
    ],
)
def test_actual_figures(value: str, metric: Metric, unit: Unit, text: str) -> None:
    assert actual_text(Decimal(value), metric, unit) == text


def test_durations_and_scores() -> None:
    assert duration_text(0) == "0 s"
    assert duration_text(59) == "59 s"
    assert duration_text(-90) == "−1 min 30 s"
    assert (signed(Decimal("12.5")), signed(Decimal("-7.14")), signed(Decimal("0.2"))) == (
        "+13",
        "−7",
        "0",
    )
    assert one_decimal(Decimal("4.25")) == "4.3"


def _budget(allowed: str, consumed: str, burn: str | None = None) -> Budget:
    a, c = Decimal(allowed), Decimal(consumed)
    return Budget(
        unit="seconds",
        allowed=a,
        consumed=c,
        remaining=a - c,
        remaining_share=(a - c) / a if a else None,
        burn_rate=None if burn is None else Decimal(burn),
    )


def test_budgets_in_words() -> None:
    assert budget_short(None) == "—"
    assert budget_short(_budget("0", "0")) == "—"
    assert budget_short(_budget("2592", "2592")) == "used up"
    assert budget_short(_budget("2592", "0")) == "100 % left"
    # 1 − 1000 / 2592 = 61.42 % → 61 %.
    assert budget_short(_budget("2592", "1000")) == "61 % left"
    assert budget_sentence(_budget("2592", "0", "0")).startswith(
        "The error budget allowed 43 min 12 s of downtime; none was used, 43 min 12 s are left"
    )
    events = Budget(
        unit="events",
        allowed=Decimal(10),
        consumed=Decimal(11),
        remaining=Decimal(-1),
        remaining_share=Decimal("-0.1"),
        burn_rate=None,
    )
    assert budget_sentence(events) == (
        "The error budget allowed 10 events that may fail; 11 events were used, 1 event more "
        "than allowed (overspent by 10 %)."
    )
