"""The HTML and PDF report are bounded whatever the data: the most a customer may write (each
review, action and note at its bound, as many reviews as anyone likes) and thousands of
incidents make a page of bounded size, which says what it left out; the JSON is complete."""

from __future__ import annotations

import dataclasses
import time
from datetime import date, timedelta

from servanda.core.limits import LIST_ITEMS, NAME_CHARS, TEXT_CHARS
from servanda.engagement.model import Review, ReviewAction
from servanda.reports.sla_html import render_sla_html
from servanda.reports.sla_json import report_to_json_text
from servanda.reports.sla_pdf import render_sla_pdf
from servanda.reports.sla_view import MAX_ACTIONS, MAX_REVIEWS, MAX_ROWS, build_view, shown

from .sla_report_fixture import sample_report


def heaviest_review(day: int) -> Review:
    return Review(
        customer="acme",
        held_on=date(2025, 4, 1) + timedelta(days=day % 29),
        notes="n" * TEXT_CHARS,
        actions=tuple(ReviewAction(text="a " * (TEXT_CHARS // 2)) for _ in range(LIST_ITEMS)),
        attendees=tuple(f"{i:03d}" + "p" * (NAME_CHARS - 3) for i in range(LIST_ITEMS)),
    )


def test_the_heaviest_reviews_make_a_bounded_page() -> None:
    one = heaviest_review(0)
    report = dataclasses.replace(sample_report(), reviews=(one,) * 40)
    view = build_view(report)
    assert len(view.reviews) == MAX_REVIEWS
    assert all(len(r.actions) == MAX_ACTIONS for r in view.reviews)
    assert any("12 most recent of 40" in n for n in view.notes)
    assert any("the first 50 of 200 are shown" in n for n in view.notes)
    html = render_sla_html(report)
    assert len(html) < 2_000_000, len(html)  # the data is 40 × 2 MB
    assert "the JSON report holds every one" in html
    assert len(report_to_json_text(report)) > 40 * LIST_ITEMS * TEXT_CHARS  # complete


def test_the_pdf_of_the_heaviest_reviews_renders_in_bounded_time() -> None:
    report = dataclasses.replace(sample_report(), reviews=(heaviest_review(0),) * 40)
    started = time.monotonic()
    pdf = render_sla_pdf(report)
    assert pdf.startswith(b"%PDF")
    assert time.monotonic() - started < 120  # minutes and 6 GB before the bounds


def test_shown_keeps_the_first_rows_and_says_how_many_it_left_out() -> None:
    cuts: list[str] = []
    assert shown(tuple(range(MAX_ROWS)), MAX_ROWS, "Incidents", cuts) == tuple(range(MAX_ROWS))
    assert cuts == []
    assert shown(tuple(range(1000)), 3, "Incidents", cuts) == (0, 1, 2)
    assert cuts == ["Incidents: the first 3 of 1,000 are shown; the JSON report holds every one."]
