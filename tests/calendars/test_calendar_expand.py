"""Calendars expanded into UTC interval sets: DST days, holidays, maintenance, critical windows."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from servanda.calendars import (
    Calendar,
    agreed_time,
    critical_weights,
    holiday_days,
    maintenance_occurrences,
    maintenance_time,
    service_time,
)
from servanda.calendars.localtime import naive_to_wall_us, wall_to_utc
from servanda.core.intervals import IntervalSet, to_us
from servanda.core.records import from_jsonable

PARIS = ZoneInfo("Europe/Paris")
NEW_YORK = ZoneInfo("America/New_York")
HOUR = 3600.0


def cal(**fields: Any) -> Calendar:
    return from_jsonable(Calendar, {"id": "c", "timezone": "Europe/Paris", **fields})


def local(tz: ZoneInfo, *args: int) -> datetime:
    return datetime(*args, tzinfo=tz)  # type: ignore[misc]


def day_hours(c: Calendar, tz: ZoneInfo, day: date) -> float:
    start = datetime(day.year, day.month, day.day, tzinfo=tz)
    nxt = day + timedelta(days=1)
    return service_time(c, start, datetime(nxt.year, nxt.month, nxt.day, tzinfo=tz)).total_seconds()


@pytest.mark.parametrize(
    ("zone", "day"),
    [
        ("Europe/Paris", date(2024, 3, 31)),
        ("Europe/Paris", date(2024, 10, 27)),
        ("America/New_York", date(2024, 3, 10)),
        ("America/New_York", date(2024, 11, 3)),
    ],
)
def test_nine_to_five_is_eight_hours_on_dst_days(zone: str, day: date) -> None:
    tz = ZoneInfo(zone)
    c = cal(timezone=zone, service_hours={"daily": "09:00-17:00"})
    assert day_hours(c, tz, day) == 8 * HOUR
    ((start, end),) = service_time(c, local(tz, 2024, 1, 1), local(tz, 2025, 1, 1)).clip(
        local(tz, day.year, day.month, day.day), local(tz, day.year, day.month, day.day, 23)
    )
    assert start.astimezone(tz).hour == 9
    assert end.astimezone(tz).hour == 17


def test_whole_days_follow_the_clock_change() -> None:
    c = cal(service_hours={"daily": "00:00-24:00"}, holidays={"dates": ["2024-01-01"]})
    assert day_hours(c, PARIS, date(2024, 3, 31)) == 23 * HOUR
    assert day_hours(c, PARIS, date(2024, 10, 27)) == 25 * HOUR


def test_24x7_is_the_whole_period() -> None:
    c = cal()
    a, b = datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 2, 1, tzinfo=UTC)
    assert service_time(c, a, b) == IntervalSet.span(a, b)


def test_overnight_range_spills_into_the_next_day() -> None:
    c = cal(service_hours={"mon": "22:00-06:00"})
    week = service_time(c, local(PARIS, 2024, 1, 1), local(PARIS, 2024, 1, 8))
    assert week.to_pairs() == ((local(PARIS, 2024, 1, 1, 22), local(PARIS, 2024, 1, 2, 6)),)
    # A period starting mid-range still sees the spill from the day before.
    tuesday = service_time(c, local(PARIS, 2024, 1, 2), local(PARIS, 2024, 1, 3))
    assert tuesday.total_seconds() == 6 * HOUR


def test_overnight_across_new_year() -> None:
    c = cal(service_hours={"daily": "22:00-06:00"})
    got = service_time(c, local(PARIS, 2024, 12, 31, 23), local(PARIS, 2025, 1, 1, 3))
    assert got.total_seconds() == 4 * HOUR


def test_country_holidays_explicit_dates_and_exclusions() -> None:
    c = cal(
        service_hours={"mon-fri": "08:00-18:00"},
        holidays={"country": "FR", "dates": ["2024-05-02"], "exclude": ["2024-05-08"]},
    )
    days = holiday_days(c.holidays, 2024)
    assert date(2024, 5, 1) in days
    assert date(2024, 5, 2) in days
    assert date(2024, 5, 8) not in days
    assert day_hours(c, PARIS, date(2024, 5, 1)) == 0  # Labour Day, a Wednesday
    assert day_hours(c, PARIS, date(2024, 5, 2)) == 0  # explicit date
    assert day_hours(c, PARIS, date(2024, 5, 8)) == 10 * HOUR  # excluded: worked anyway
    assert day_hours(c, PARIS, date(2024, 5, 3)) == 10 * HOUR


def test_subdivision_holidays() -> None:
    bavaria = cal(timezone="Europe/Berlin", holidays={"country": "DE", "subdivision": "BY"})
    berlin = cal(timezone="Europe/Berlin", holidays={"country": "DE", "subdivision": "BE"})
    epiphany = date(2024, 1, 6)
    assert epiphany in holiday_days(bavaria.holidays, 2024)
    assert epiphany not in holiday_days(berlin.holidays, 2024)
    tz = ZoneInfo("Europe/Berlin")
    assert day_hours(bavaria, tz, epiphany) == 0
    assert day_hours(berlin, tz, epiphany) == 24 * HOUR


def test_us_holidays_in_new_york() -> None:
    c = cal(
        timezone="America/New_York",
        service_hours={"daily": "09:00-17:00"},
        holidays={"country": "US"},
    )
    assert day_hours(c, NEW_YORK, date(2024, 7, 4)) == 0
    assert day_hours(c, NEW_YORK, date(2024, 7, 5)) == 8 * HOUR


def test_a_holiday_removes_the_spill_into_it() -> None:
    c = cal(service_hours={"daily": "22:00-06:00"}, holidays={"dates": ["2024-01-10"]})
    got = service_time(c, local(PARIS, 2024, 1, 9), local(PARIS, 2024, 1, 12))
    assert got.to_pairs() == (
        (local(PARIS, 2024, 1, 9), local(PARIS, 2024, 1, 9, 6)),
        (local(PARIS, 2024, 1, 9, 22), local(PARIS, 2024, 1, 10)),
        (local(PARIS, 2024, 1, 11), local(PARIS, 2024, 1, 11, 6)),
        (local(PARIS, 2024, 1, 11, 22), local(PARIS, 2024, 1, 12)),
    )


WEEKLY_PATCHING = {
    "id": "sunday-patching",
    "reason": "Weekly security patching",
    "start": "2024-01-07T02:00",
    "duration": "2h",
    "rrule": "FREQ=WEEKLY;BYDAY=SU",
}


def test_weekly_maintenance_stays_at_local_time_across_dst() -> None:
    c = cal(maintenance=[{**WEEKLY_PATCHING, "start": "2024-01-07T01:00"}])
    occ = maintenance_occurrences(c, local(PARIS, 2024, 3, 20), local(PARIS, 2024, 4, 10))
    assert [o.start.astimezone(PARIS).hour for o in occ] == [1, 1, 1]
    assert [o.end - o.start for o in occ] == [timedelta(hours=2)] * 3
    assert occ[0].window_id == "sunday-patching"
    assert occ[0].reason == "Weekly security patching"
    # UTC moves by an hour once summer time has started (after 02:00 on 31 March).
    assert [o.start.hour for o in occ] == [0, 0, 23]


def test_maintenance_in_the_spring_gap_moves_forward_and_in_the_overlap_is_the_first() -> None:
    c = cal(maintenance=[WEEKLY_PATCHING])
    spring = maintenance_time(c, local(PARIS, 2024, 3, 31), local(PARIS, 2024, 4, 1))
    # 02:00 does not exist on 31 March: the window starts at 03:00 summer time (01:00 UTC).
    assert spring.to_pairs() == (
        (datetime(2024, 3, 31, 1, tzinfo=UTC), datetime(2024, 3, 31, 3, tzinfo=UTC)),
    )
    autumn = maintenance_time(c, local(PARIS, 2024, 10, 27), local(PARIS, 2024, 10, 28))
    # 02:00 happens twice on 27 October: the first (summer time, 00:00 UTC) is used.
    assert autumn.to_pairs() == (
        (datetime(2024, 10, 27, 0, tzinfo=UTC), datetime(2024, 10, 27, 2, tzinfo=UTC)),
    )


def test_maintenance_by_node_and_agreed_time() -> None:
    c = cal(
        service_hours={"daily": "00:00-24:00"},
        maintenance=[
            {**WEEKLY_PATCHING, "nodes": ["core-router-1"]},
            {
                "id": "one-off",
                "reason": "Fibre move",
                "start": "2024-01-10T12:00",
                "duration": "30m",
            },
        ],
    )
    a, b = local(PARIS, 2024, 1, 8), local(PARIS, 2024, 1, 15)
    assert maintenance_time(c, a, b).total_seconds() == 2.5 * HOUR
    assert maintenance_time(c, a, b, node="core-router-1").total_seconds() == 2.5 * HOUR
    assert maintenance_time(c, a, b, node="edge-2").total_seconds() == 0.5 * HOUR
    assert agreed_time(c, a, b, node="edge-2").total_seconds() == (7 * 24 - 0.5) * HOUR
    assert [o.window_id for o in maintenance_occurrences(c, a, b)] == ["one-off", "sunday-patching"]
    assert [o.window_id for o in maintenance_occurrences(c, a, b, node="x")] == ["one-off"]


def test_one_off_window_with_an_aware_start() -> None:
    c = cal(
        maintenance=[
            {"id": "m", "reason": "r", "start": "2024-06-01T10:00:00+00:00", "duration": "1h"}
        ]
    )
    got = maintenance_time(c, datetime(2024, 6, 1, tzinfo=UTC), datetime(2024, 6, 2, tzinfo=UTC))
    assert got.to_pairs() == (
        (datetime(2024, 6, 1, 10, tzinfo=UTC), datetime(2024, 6, 1, 11, tzinfo=UTC)),
    )


def test_occurrences_overlapping_the_period_edge_are_listed_whole_but_clipped_in_time() -> None:
    c = cal(maintenance=[WEEKLY_PATCHING])
    a = local(PARIS, 2024, 1, 7, 3)
    occ = maintenance_occurrences(c, a, local(PARIS, 2024, 1, 8))
    assert occ[0].start == local(PARIS, 2024, 1, 7, 2)
    assert maintenance_time(c, a, local(PARIS, 2024, 1, 8)).total_seconds() == HOUR


def test_critical_weights_take_the_larger_weight_and_default_to_one() -> None:
    c = cal(
        critical=[
            {
                "id": "close",
                "name": "Month-end close",
                "weight": 10,
                "start": "2024-01-31T16:00",
                "duration": "8h",
                "rrule": "FREQ=MONTHLY;BYMONTHDAY=-1",
            },
            {
                "id": "evening",
                "weight": "2.5",
                "start": "2024-01-01T18:00",
                "duration": "4h",
                "rrule": "FREQ=DAILY",
            },
        ]
    )
    w = critical_weights(c, local(PARIS, 2024, 1, 1), local(PARIS, 2024, 3, 1))
    assert w.weight_at(local(PARIS, 2024, 2, 29, 17)) == 10
    assert w.weight_at(local(PARIS, 2024, 2, 29, 23)) == 10
    assert w.weight_at(local(PARIS, 2024, 2, 28, 19)) == 2.5
    assert w.weight_at(local(PARIS, 2024, 2, 28, 12)) == 1.0
    down = IntervalSet.span(local(PARIS, 2024, 1, 31, 15), local(PARIS, 2024, 1, 31, 17))
    # 1 hour at the default weight, 1 hour inside the month-end close.
    assert w.weighted_seconds(down) == 11 * HOUR


def test_no_critical_windows_is_weight_one_everywhere() -> None:
    w = critical_weights(cal(), datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 2, 1, tzinfo=UTC))
    assert not w
    assert w.default == 1.0


def test_periods_must_be_aware_and_ordered() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        service_time(cal(), datetime(2024, 1, 1), datetime(2024, 2, 1, tzinfo=UTC))  # noqa: DTZ001
    with pytest.raises(ValueError, match="ends before it starts"):
        agreed_time(cal(), datetime(2024, 2, 1, tzinfo=UTC), datetime(2024, 1, 1, tzinfo=UTC))


@pytest.mark.parametrize(
    "zone", ["Europe/Paris", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "UTC"]
)
def test_wall_to_utc_agrees_with_zoneinfo_fold_zero(zone: str) -> None:
    tz = ZoneInfo(zone)
    rng = np.random.default_rng(7)
    base = datetime(2023, 1, 1)  # noqa: DTZ001
    minutes = rng.integers(0, 2 * 366 * 24 * 60, size=400)
    # Around every clock change too, minute by minute.
    naive = [base + timedelta(minutes=int(m)) for m in minutes]
    for d in (
        date(2024, 3, 31),
        date(2024, 10, 27),
        date(2024, 3, 10),
        date(2024, 11, 3),
        date(2024, 4, 7),
        date(2024, 10, 6),
    ):
        naive += [
            datetime(d.year, d.month, d.day) + timedelta(minutes=m)  # noqa: DTZ001
            for m in range(0, 4 * 60, 10)
        ]
    got = wall_to_utc(zone, [naive_to_wall_us(t) for t in naive])
    expected = [to_us(t.replace(tzinfo=tz, fold=0)) for t in naive]
    assert got.tolist() == expected


def test_a_year_of_business_hours_is_fast_and_cached() -> None:
    c = cal(service_hours={"mon-fri": "08:00-18:00"}, holidays={"country": "FR"})
    a, b = local(PARIS, 2030, 1, 1), local(PARIS, 2031, 1, 1)
    first = service_time(c, a, b)
    assert service_time(c, a, b) is first
    assert 240 <= len(first) <= 255


periods = st.tuples(
    st.integers(0, 3 * 366 * 24), st.integers(0, 60 * 24), st.integers(0, 60 * 24)
).map(lambda t: (t[0], t[0] + t[1], t[0] + t[1] + t[2]))

PROPERTY_CALENDAR = cal(
    service_hours={
        "mon-fri": ["08:00-12:00", "13:00-18:00"],
        "sat": "22:00-06:00",
        "sun": "01:30-03:30",
    },
    holidays={"country": "FR", "dates": ["2024-05-02"]},
    maintenance=[
        WEEKLY_PATCHING,
        {
            "id": "daily",
            "reason": "backup",
            "start": "2023-12-30T11:30",
            "duration": "1h",
            "rrule": "FREQ=DAILY;INTERVAL=3",
        },
    ],
)


@settings(max_examples=60, deadline=None)
@given(periods)
def test_agreed_within_service_within_period_and_periods_split(hours: tuple[int, int, int]) -> None:
    origin = datetime(2023, 1, 1, tzinfo=UTC)
    a, b, c = (origin + timedelta(hours=h, minutes=7 * h % 60) for h in hours)
    whole = service_time(PROPERTY_CALENDAR, a, c)
    agreed = agreed_time(PROPERTY_CALENDAR, a, c)
    assert not (agreed - whole)
    assert not (whole - IntervalSet.span(a, c))
    assert whole == service_time(PROPERTY_CALENDAR, a, b) | service_time(PROPERTY_CALENDAR, b, c)
    assert agreed == agreed_time(PROPERTY_CALENDAR, a, b) | agreed_time(PROPERTY_CALENDAR, b, c)
