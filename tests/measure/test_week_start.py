"""Weeks that start on Sunday as well as Monday, per calendar (``week_start``): labels, year
boundaries and daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest

from servanda.agreements.model import PeriodKind
from servanda.calendars.model import Calendar, WeekStart
from servanda.core.records import from_jsonable
from servanda.measure.periods import parse_period, periods_between

SUNDAY, MONDAY = WeekStart.SUNDAY, WeekStart.MONDAY


def local(period_start: datetime, zone: str = "UTC") -> date:
    return period_start.astimezone(ZoneInfo(zone)).date()


def test_a_sunday_week_is_the_iso_week_shifted_back_a_day() -> None:
    iso = parse_period("2024-W14", "UTC")
    us = parse_period("2024-W14", "UTC", SUNDAY)
    assert (local(iso.start), local(iso.end)) == (date(2024, 4, 1), date(2024, 4, 8))
    assert (local(us.start), local(us.end)) == (date(2024, 3, 31), date(2024, 4, 7))
    assert us.label == iso.label == "2024-W14"


@pytest.mark.parametrize(
    ("day", "start", "label"),
    [
        (date(2024, 3, 31), date(2024, 3, 31), "2024-W14"),  # a Sunday opens its week
        (date(2024, 4, 6), date(2024, 3, 31), "2024-W14"),  # Saturday closes it
        (date(2024, 4, 7), date(2024, 4, 7), "2024-W15"),
        (date(2023, 12, 31), date(2023, 12, 31), "2024-W01"),  # across the new year
        (date(2020, 12, 27), date(2020, 12, 27), "2020-W53"),  # a 53-week ISO year
    ],
)
def test_the_sunday_week_holding_a_day(day: date, start: date, label: str) -> None:
    moment = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
    (found,) = periods_between(PeriodKind.WEEK, moment, moment + timedelta(hours=1), "UTC",
                               week_start=SUNDAY)  # fmt: skip
    assert (local(found.start), found.label) == (start, label)
    assert found.end - found.start == timedelta(days=7)


def test_sunday_weeks_follow_daylight_saving_and_tile_a_month() -> None:
    zone = "America/New_York"
    start = datetime(2024, 3, 1, tzinfo=ZoneInfo(zone))
    end = datetime(2024, 4, 1, tzinfo=ZoneInfo(zone))
    weeks = periods_between(PeriodKind.WEEK, start, end, zone, week_start=SUNDAY)
    assert [local(w.start, zone).weekday() for w in weeks] == [6] * len(weeks)  # all Sundays
    assert all(a.end == b.start for a, b in pairwise(weeks))
    spring = next(w for w in weeks if local(w.start, zone) == date(2024, 3, 10))
    assert spring.end - spring.start == timedelta(hours=167)  # the clocks went forward


def test_a_calendar_says_when_its_weeks_start() -> None:
    cal = from_jsonable(Calendar, {"id": "us", "timezone": "America/New_York",
                                   "week_start": "sunday"})  # fmt: skip
    assert cal.week_start is SUNDAY
    assert from_jsonable(Calendar, {"id": "eu", "timezone": "UTC"}).week_start is MONDAY
    with pytest.raises(ValueError, match="week_start"):
        from_jsonable(Calendar, {"id": "x", "timezone": "UTC", "week_start": "friday"})
