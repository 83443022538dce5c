"""Inline SVG charts: valid XML, the elements the data calls for, coordinates worked out by hand,
and never NaN."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from servanda.reports.charts import (
    availability_chart,
    budget_chart,
    feedback_chart,
    timeline_chart,
)
from servanda.reports.sla_model import (
    DailyPoint,
    FeedbackMonth,
    TimelineEntry,
    TimeWindow,
    WindowKind,
)

SVG = "{http://www.w3.org/2000/svg}"
START = datetime(2025, 4, 1, tzinfo=UTC)
END = START + timedelta(days=10)


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    return root


def with_class(root: ET.Element, cls: str) -> list[ET.Element]:
    return [e for e in root.iter() if cls in (e.get("class") or "").split()]


def texts(root: ET.Element) -> list[str]:
    return [e.text or "" for e in root.iter(f"{SVG}text")]


def no_bad_numbers(svg: str) -> None:
    """Every number in an attribute is finite and has at most two decimals."""
    for element in parse(svg).iter():
        for value in element.attrib.values():
            assert not re.search(r"\b(nan|inf)", value, re.IGNORECASE), value
            for number in re.findall(r"-?\d+(?:\.\d+)?", value):
                assert len(number.partition(".")[2]) <= 2, (number, value)


def day(
    n: int, plain: str | None, weighted: str | None = None, budget: str | None = None
) -> DailyPoint:
    return DailyPoint(
        day=date(2025, 4, n),
        availability=None if plain is None else Decimal(plain),
        weighted_availability=None if weighted is None else Decimal(weighted),
        budget_remaining=None if budget is None else Decimal(budget),
    )


# --- availability ----------------------------------------------------------------------------


def test_availability_lines_by_hand() -> None:
    # Plot: x from 70 over 590 units, y from 16 (top) over 170 units. Lowest value 99 → the axis
    # floor is 98: y(100) = 16, y(99) = 186 − 170 × 1/2 = 101, y(99.5) = 186 − 170 × 3/4 = 58.5.
    # Three days, 590/3 = 196.67 each, points in the middle: 168.33, 365, 561.67.
    svg = availability_chart(
        [day(3, "100", "100"), day(1, "100", "100"), day(2, "99", "100")],
        [("target", Decimal("99.5"))],
    )
    root = parse(svg)
    (plain,) = with_class(root, "line-plain")
    assert plain.get("d") == "M168.33,16 L365,101 L561.67,16"
    (weighted,) = with_class(root, "line-weighted")
    assert weighted.get("d") == "M168.33,16 L365,16 L561.67,16"
    (target,) = with_class(root, "target")
    assert (target.get("y1"), target.get("y2")) == ("58.5", "58.5")
    labels = texts(root)
    assert {"98 %", "98.5 %", "99 %", "99.5 %", "100 %"} <= set(labels)
    assert {"1 Apr", "2 Apr", "3 Apr"} <= set(labels)
    assert "Availability per day" in labels
    assert "target 99.5 %" in labels
    no_bad_numbers(svg)


def test_gaps_split_the_line_and_a_lone_day_is_a_dot() -> None:
    root = parse(availability_chart([day(1, "99"), day(2, None), day(3, "98"), day(4, "97")]))
    paths = [e for e in with_class(root, "line-plain") if e.tag == f"{SVG}path"]
    dots = [e for e in with_class(root, "line-plain") if e.tag == f"{SVG}circle"]
    assert (len(paths), len(dots)) == (1, 1)
    assert with_class(root, "line-weighted") == []


def test_one_target_line_each() -> None:
    root = parse(
        availability_chart(
            [day(1, "99.9")], [("availability", Decimal("99.5")), ("weighted", Decimal("99"))]
        )
    )
    assert len(with_class(root, "target")) == 2


def test_availability_without_data_draws_an_empty_frame() -> None:
    svg = availability_chart([])
    root = parse(svg)
    assert "No daily figures for this period." in texts(root)
    assert with_class(root, "line-plain") == []
    no_bad_numbers(svg)


# --- budget ----------------------------------------------------------------------------------


def test_budget_line_by_hand() -> None:
    # Values 50 and −20: axis −20 to 100 in steps of 20 (six steps).
    # y(v) = 186 − 170 × (v + 20) / 120: y(100) = 16, y(50) = 86.83, y(−20) = 186, y(0) = 157.67.
    # Two days of 295 units; each value sits at the end of its day, after 100 % at the start.
    svg = budget_chart([day(1, None, budget="50"), day(2, None, budget="-20")])
    root = parse(svg)
    (line,) = with_class(root, "line-budget")
    assert line.get("d") == "M70,16 L365,86.83 L660,186"
    (zero,) = with_class(root, "zero")
    assert zero.get("y1") == "157.67"
    (even,) = with_class(root, "even")
    assert (even.get("y1"), even.get("y2")) == ("16", "157.67")
    labels = texts(root)
    assert {"-20 %", "0 %", "20 %", "100 %"} <= set(labels)
    assert "0 %: budget used up" in labels
    assert "Budget left" in labels


def test_budget_without_data() -> None:
    svg = budget_chart([day(1, "100")])
    root = parse(svg)
    assert "No error budget figures for this period." in texts(root)
    assert with_class(root, "line-budget") == []
    no_bad_numbers(svg)


# --- timeline --------------------------------------------------------------------------------


def entries() -> list[TimelineEntry]:
    return [
        # Full, a whole day: counted twice (a critical day).
        TimelineEntry(
            start=START + timedelta(days=1),
            end=START + timedelta(days=2),
            incident="inc-1",
            downtime_seconds=Decimal(86_400),
            weighted_seconds=Decimal(172_800),
        ),
        # Half the service for 6 h: 10,800 s, at normal weight: 0.5 per wall-clock second.
        TimelineEntry(
            start=START + timedelta(days=4),
            end=START + timedelta(days=4, hours=6),
            fraction=Decimal("0.5"),
            downtime_seconds=Decimal(10_800),
            weighted_seconds=Decimal(10_800),
        ),
        # Planned: counts nothing.
        TimelineEntry(
            start=START + timedelta(days=7), end=START + timedelta(days=7, hours=2), planned=True
        ),
    ]


def test_timeline_bars_by_hand() -> None:
    # Ten days over 510 units from x = 150: 51 a day. Upper band 18–74, lower band 96–152.
    # Weights: 2 and 0.5, so the lower band runs to ×2 and ×1 sits half way, at 124.
    svg = timeline_chart(entries(), START, END, "UTC")
    root = parse(svg)
    full, partial, planned = with_class(root, "outage")
    assert [full.get(a) for a in ("x", "y", "width", "height")] == ["201", "18", "51", "56"]
    assert [partial.get(a) for a in ("x", "y", "width", "height")] == ["354", "46", "12.75", "28"]
    assert planned.get("fill") == "url(#timeline-hatch)"
    assert "outage-planned" in (planned.get("class") or "")
    first, second = with_class(root, "weighted")
    assert [first.get(a) for a in ("y", "height")] == ["96", "56"]
    assert [second.get(a) for a in ("y", "height")] == ["138", "14"]
    (unit,) = with_class(root, "unit-line")
    assert unit.get("y1") == "124"
    assert [e.text for e in with_class(root, "marker")] == ["1", "2", "3"]
    labels = texts(root)
    assert {"Downtime", "How much it counted", "×1", "×2", "1 Apr", "3 Apr", "9 Apr"} <= set(labels)
    assert "planned maintenance" in labels
    no_bad_numbers(svg)


def test_timeline_keeps_short_outages_visible_and_inside() -> None:
    last = TimelineEntry(start=END - timedelta(seconds=30), end=END)
    root = parse(timeline_chart([last], START, END, "UTC"))
    (bar,) = with_class(root, "outage")
    assert (bar.get("x"), bar.get("width")) == ("656", "4")


def test_an_ongoing_outage_runs_to_the_end_and_outside_ones_are_left_out() -> None:
    ongoing = TimelineEntry(start=START + timedelta(days=9), end=None)
    before = TimelineEntry(start=START - timedelta(days=2), end=START - timedelta(days=1))
    root = parse(timeline_chart([ongoing, before], START, END, "UTC"))
    (bar,) = with_class(root, "outage")
    assert (bar.get("x"), bar.get("width")) == ("609", "51")
    (title,) = bar.iter(f"{SVG}title")
    assert "ongoing" in (title.text or "")
    assert [e.text for e in with_class(root, "marker")] == ["2"]


def test_windows_are_drawn_in_their_band() -> None:
    windows = [
        TimeWindow(
            kind=WindowKind.CRITICAL,
            start=START,
            end=START + timedelta(days=1),
            weight=Decimal(3),
            label="Month-end <close>",
        ),
        TimeWindow(kind=WindowKind.MAINTENANCE, start=START, end=START + timedelta(hours=4)),
    ]
    svg = timeline_chart([], START, END, "Europe/Paris", windows)
    root = parse(svg)
    (critical,) = with_class(root, "window-critical")
    (maintenance,) = with_class(root, "window-maintenance")
    assert (critical.get("y"), maintenance.get("y")) == ("96", "18")
    assert "Month-end &lt;close&gt;: critical business window, counts 3×" in svg
    labels = texts(root)
    assert "No outages in this period." in labels
    assert {"critical business window", "maintenance window"} <= set(labels)


def test_day_labels_follow_the_timezone() -> None:
    # 1 Apr 00:00 UTC is 2 Apr 09:00 in Tokyo: the first local midnight inside is 2 Apr.
    root = parse(timeline_chart([], START, END, "Asia/Tokyo"))
    assert "2 Apr" in texts(root)
    assert "1 Apr" not in texts(root)


def test_text_is_escaped() -> None:
    entry = TimelineEntry(start=START, end=START + timedelta(hours=1), incident='<b>&"x"</b>')
    svg = timeline_chart([entry], START, END, "UTC", ident='t"1')
    root = parse(svg)
    (bar,) = with_class(root, "outage")
    (title,) = bar.iter(f"{SVG}title")
    assert '(<b>&"x"</b>)' in (title.text or "")
    assert root.get("id") == "t-1"
    assert availability_chart([], title="A & <B>").count("A &amp; &lt;B&gt;") == 1


def test_a_period_must_not_be_empty() -> None:
    with pytest.raises(ValueError, match="end after it starts"):
        timeline_chart([], START, START, "UTC")


# --- feedback --------------------------------------------------------------------------------


def test_feedback_beside_availability_by_hand() -> None:
    # Upper panel 16–96 for 1 to 5: y(4) = 96 − 80 × 3/4 = 36, y(3) = 56. Lower panel 122–202;
    # lowest availability 99 → floor 98: y(100) = 122, y(99) = 162. Two months of 295 units.
    svg = feedback_chart(
        [
            FeedbackMonth(
                month=date(2025, 4, 1),
                count=9,
                csat=Decimal("3.04"),
                availability=Decimal(99),
                weighted_availability=None,
            ),
            FeedbackMonth(
                month=date(2025, 3, 1),
                count=5,
                csat=Decimal(4),
                availability=Decimal(100),
                weighted_availability=Decimal(100),
            ),
        ]
    )
    root = parse(svg)
    (csat,) = with_class(root, "line-csat")
    assert csat.get("d") == "M217.5,36 L512.5,55.2"
    (plain,) = with_class(root, "line-plain")
    assert plain.get("d") == "M217.5,122 L512.5,162"
    (weighted,) = with_class(root, "line-weighted")
    assert weighted.tag == f"{SVG}circle"  # one month only: a dot
    assert [e.text for e in with_class(root, "csat-label")] == ["4", "3"]
    labels = texts(root)
    assert {"Mar 2025", "Apr 2025", "Satisfaction", "Availability", "1", "5", "98 %"} <= set(labels)
    no_bad_numbers(svg)


def test_feedback_without_months() -> None:
    svg = feedback_chart([])
    assert "No feedback yet." in texts(parse(svg))
    no_bad_numbers(svg)


# --- properties ------------------------------------------------------------------------------

figures = st.none() | st.decimals(min_value=-500, max_value=100, places=3)
moments = st.integers(min_value=-3 * 86_400, max_value=13 * 86_400).map(
    lambda s: START + timedelta(seconds=s)
)


@st.composite
def outage(draw: st.DrawFn) -> TimelineEntry:
    start = draw(moments)
    length = draw(st.none() | st.integers(min_value=0, max_value=5 * 86_400))
    return TimelineEntry(
        start=start,
        end=None if length is None else start + timedelta(seconds=length),
        fraction=draw(st.decimals(min_value=Decimal("0.01"), max_value=1, places=2)),
        planned=draw(st.booleans()),
        weighted_seconds=draw(st.decimals(min_value=0, max_value=10**6, places=1)),
    )


@settings(max_examples=80)
@given(st.lists(st.tuples(figures, figures, figures), max_size=40), st.lists(outage(), max_size=8))
def test_charts_are_always_valid_and_finite(
    values: list[tuple[Decimal | None, Decimal | None, Decimal | None]],
    outages: list[TimelineEntry],
) -> None:
    points = [
        DailyPoint(
            day=date(2025, 1, 1) + timedelta(days=i),
            availability=a,
            weighted_availability=w,
            budget_remaining=b,
        )
        for i, (a, w, b) in enumerate(values)
    ]
    for svg in (
        availability_chart(points, [("target", Decimal("99.9"))]),
        budget_chart(points),
        timeline_chart(outages, START, END, "Europe/Paris"),
        feedback_chart(
            [
                FeedbackMonth(
                    month=date(2024 + i // 12, i % 12 + 1, 1),
                    count=1,
                    csat=a,
                    availability=w,
                    weighted_availability=b,
                )
                for i, (a, w, b) in enumerate(values)
                if a is None or 1 <= a <= 5
            ]
        ),
    ):
        parse(svg)
        no_bad_numbers(svg)
    root = parse(timeline_chart(outages, START, END, "UTC"))
    inside = [o for o in outages if (o.end is None or o.end > START) and o.start < END]
    assert len(with_class(root, "outage")) == len(inside)
    for bar in with_class(root, "outage") + with_class(root, "weighted"):
        x, width = float(bar.get("x") or "nan"), float(bar.get("width") or "nan")
        assert x >= 150
        assert x + width <= 660.01
