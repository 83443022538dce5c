"""Reporting periods: parsing, local midnights across clock changes, calendar runs, elapsed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from servanda.agreements.model import PeriodKind
from servanda.measure.periods import ReportingPeriod, elapsed, parse_period, periods_between

PARIS = ZoneInfo("Europe/Paris")
HOUR = timedelta(hours=1)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("text", "label", "start", "end"),
    [
        # CEST is UTC+2 from 31 March 2024, CET (UTC+1) before and from 27 October.
        ("2024-04", "2024-04", utc(2024, 3, 31, 22), utc(2024, 4, 30, 22)),
        ("2024-Q2", "2024-Q2", utc(2024, 3, 31, 22), utc(2024, 6, 30, 22)),
        ("2024-q2", "2024-Q2", utc(2024, 3, 31, 22), utc(2024, 6, 30, 22)),
        ("2024-W14", "2024-W14", utc(2024, 3, 31, 22), utc(2024, 4, 7, 22)),
        ("2024", "2024", utc(2023, 12, 31, 23), utc(2024, 12, 31, 23)),
        ("2024-04-02", "2024-04-02", utc(2024, 4, 1, 22), utc(2024, 4, 2, 22)),
        (
            " 2024-04-01..2024-04-15 ",
            "2024-04-01..2024-04-15",
            utc(2024, 3, 31, 22),
            utc(2024, 4, 15, 22),
        ),
    ],
)
def test_forms_are_bounded_by_local_midnight(
    text: str, label: str, start: datetime, end: datetime
) -> None:
    period = parse_period(text, "Europe/Paris")
    assert (period.label, period.start, period.end) == (label, start, end)
    assert period.timezone == "Europe/Paris"
    assert period.start.astimezone(PARIS).hour == 0


@pytest.mark.parametrize(
    ("text", "hours"),
    [("2024-03", 31 * 24 - 1), ("2024-04", 30 * 24), ("2024-10", 31 * 24 + 1)],
)
def test_months_follow_daylight_saving(text: str, hours: int) -> None:
    assert parse_period(text, "Europe/Paris").length == hours * HOUR


def test_same_text_in_another_zone_is_another_period() -> None:
    tokyo = parse_period("2024-04", "Asia/Tokyo")
    assert tokyo.start == utc(2024, 3, 31, 15)
    assert tokyo.length == 30 * 24 * HOUR
    assert parse_period("2024-04", "UTC").start == utc(2024, 4, 1)


def test_iso_week_one_can_start_in_the_previous_year() -> None:
    week = parse_period("2025-W01", "UTC")
    assert (week.start, week.end) == (utc(2024, 12, 30), utc(2025, 1, 6))


def test_a_run_of_days_includes_its_last_day() -> None:
    one = parse_period("2024-04-02..2024-04-02", "UTC")
    assert one.length == 24 * HOUR
    assert parse_period("2024-04-01..2024-04-15", "UTC").length == 15 * 24 * HOUR


@pytest.mark.parametrize(
    "text",
    ["", "April", "2024-13", "2024-Q5", "2024-W53", "2024-02-30", "2024-04-10..2024-04-01", "24"],
)
def test_bad_text_lists_the_accepted_forms(text: str) -> None:
    with pytest.raises(ValueError, match=r"not a period: .*2024-W14 \(an ISO week\)"):
        parse_period(text, "UTC")


def test_unknown_timezone_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown time zone"):
        parse_period("2024-04", "Mars/Olympus")


def test_a_period_needs_aware_ordered_bounds() -> None:
    with pytest.raises(ValidationError, match="timezone"):
        ReportingPeriod(label="x", start=datetime(2024, 4, 1), end=utc(2024, 5, 1), timezone="UTC")  # noqa: DTZ001
    with pytest.raises(ValidationError, match="before it starts"):
        ReportingPeriod(label="x", start=utc(2024, 5, 1), end=utc(2024, 4, 1), timezone="UTC")


def test_months_overlapping_a_span() -> None:
    found = periods_between(PeriodKind.MONTH, utc(2024, 2, 15), utc(2024, 4, 1), "UTC")
    assert [p.label for p in found] == ["2024-02", "2024-03"]
    # The same span seen from Paris touches April: 1 April 00:00 UTC is 02:00 there.
    paris = periods_between(PeriodKind.MONTH, utc(2024, 2, 15), utc(2024, 4, 1), "Europe/Paris")
    assert [p.label for p in paris] == ["2024-02", "2024-03", "2024-04"]


def test_calendar_kinds_label_their_periods() -> None:
    start, end = utc(2024, 3, 30, 12), utc(2024, 4, 2)
    labels = {
        kind: [p.label for p in periods_between(kind, start, end, "UTC")]
        for kind in (PeriodKind.DAY, PeriodKind.WEEK, PeriodKind.QUARTER, PeriodKind.YEAR)
    }
    assert labels == {
        PeriodKind.DAY: ["2024-03-30", "2024-03-31", "2024-04-01"],
        PeriodKind.WEEK: ["2024-W13", "2024-W14"],
        PeriodKind.QUARTER: ["2024-Q1", "2024-Q2"],
        PeriodKind.YEAR: ["2024"],
    }


def test_nothing_between_an_empty_span() -> None:
    assert periods_between(PeriodKind.DAY, utc(2024, 4, 2), utc(2024, 4, 2), "UTC") == []


def test_rolling_is_the_one_window_ending_at_end() -> None:
    (window,) = periods_between(
        PeriodKind.ROLLING, utc(2024, 1, 1), utc(2024, 4, 30), "UTC", timedelta(days=28)
    )
    assert (window.start, window.end) == (utc(2024, 4, 2), utc(2024, 4, 30))
    assert window.label == "28d to 2024-04-30T00:00:00+00:00"
    with pytest.raises(ValueError, match="positive length"):
        periods_between(PeriodKind.ROLLING, utc(2024, 1, 1), utc(2024, 4, 30), "UTC")
    with pytest.raises(ValueError, match="takes no length"):
        periods_between(PeriodKind.DAY, utc(2024, 1, 1), utc(2024, 1, 2), "UTC", HOUR)


def test_elapsed_stops_at_now() -> None:
    april = parse_period("2024-04", "UTC")
    mid = elapsed(april, utc(2024, 4, 11, 6))
    assert (mid.label, mid.start, mid.end) == ("2024-04", utc(2024, 4, 1), utc(2024, 4, 11, 6))
    assert elapsed(april, utc(2024, 6, 1)) == april
    before = elapsed(april, utc(2024, 3, 1))
    assert before.start == before.end == utc(2024, 4, 1)


@given(
    st.sampled_from([PeriodKind.DAY, PeriodKind.WEEK, PeriodKind.MONTH, PeriodKind.QUARTER]),
    st.sampled_from(["Europe/Paris", "America/New_York", "Australia/Lord_Howe", "UTC"]),
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2030, 1, 1)),  # noqa: DTZ001
    st.integers(min_value=1, max_value=200 * 24),
)
def test_periods_tile_the_span_without_gaps(
    kind: PeriodKind, zone: str, start: datetime, hours: int
) -> None:
    a = start.replace(tzinfo=UTC)
    b = a + hours * HOUR
    found = periods_between(kind, a, b, zone)
    assert found[0].start <= a < found[0].end
    assert found[-1].start < b <= found[-1].end
    for first, second in pairwise(found):
        assert first.end == second.start
    assert all(p.contains(p.start) and not p.contains(p.end) for p in found)
