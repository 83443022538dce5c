"""The report's records refuse what no renderer could show honestly."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from pydantic import ValidationError

from servanda.agreements.model import ExcludedTime
from servanda.reports.sla_model import (
    FeedbackMonth,
    ReportPeriod,
    TimelineEntry,
    TimeWindow,
    WindowKind,
    convention_for,
)

from .sla_report_fixture import END, START, sample_report


def test_the_sample_report_builds() -> None:
    report = sample_report()
    assert [s.service for s in report.sections] == ["internet-access", "business-voice", None]
    assert report.credits[0].amount == Decimal("45.00")


def test_a_period_must_end_after_it_starts() -> None:
    with pytest.raises(ValidationError, match="end after it starts"):
        ReportPeriod(label="x", start=END, end=START, timezone="UTC")


def test_a_period_needs_a_known_timezone() -> None:
    with pytest.raises(ValidationError, match="unknown timezone 'Mars/Olympus'"):
        ReportPeriod(label="x", start=START, end=END, timezone="Mars/Olympus")


def test_timestamps_need_their_timezone() -> None:
    with pytest.raises(ValidationError, match="timezone"):
        TimelineEntry(start=datetime(2025, 4, 1), end=None)  # noqa: DTZ001 - the point of the test


@pytest.mark.parametrize("fraction", ["0", "-0.5", "1.01"])
def test_a_fraction_is_a_share_above_zero(fraction: str) -> None:
    with pytest.raises(ValidationError):
        TimelineEntry(start=START, end=END, fraction=Decimal(fraction))


def test_an_outage_cannot_end_before_it_starts() -> None:
    with pytest.raises(ValidationError, match="end before it starts"):
        TimelineEntry(start=END, end=START)


def test_a_window_must_not_be_empty() -> None:
    with pytest.raises(ValidationError, match="end after it starts"):
        TimeWindow(kind=WindowKind.CRITICAL, start=START, end=START)


def test_a_month_is_given_by_its_first_day() -> None:
    with pytest.raises(ValidationError, match="first day"):
        FeedbackMonth(month=date(2025, 4, 2), count=1)
    assert FeedbackMonth(month=date(2025, 4, 1), count=0).count == 0


def test_downtime_cannot_be_negative() -> None:
    with pytest.raises(ValidationError):
        TimelineEntry(start=START, end=END, downtime_seconds=Decimal(-1))


@pytest.mark.parametrize(
    ("name", "formula"),
    [
        (ExcludedTime.EXCLUDE, "Availability = (T − P − U) / (T − P)"),
        (ExcludedTime.FORGIVE, "Availability = (T − U) / T"),
        (ExcludedTime.NAIVE, "Availability = (T − D) / T"),
    ],
)
def test_conventions_carry_the_agreements_wording(name: ExcludedTime, formula: str) -> None:
    convention = convention_for(name)
    assert convention.name is name
    assert convention.formula == formula
    assert convention.explanation
    assert convention.legend.startswith("T is the agreed service time")


def test_an_ongoing_outage_has_no_end() -> None:
    entry = TimelineEntry(start=datetime(2025, 4, 30, 21, tzinfo=UTC), end=None)
    assert entry.end is None
    assert entry.fraction == 1
