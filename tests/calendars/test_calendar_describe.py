"""Calendars in plain words, as agreement documents show them."""

from __future__ import annotations

from typing import Any

import pytest

from servanda.calendars import Calendar, describe_service_hours, describe_window
from servanda.core.records import from_jsonable


def cal(**fields: Any) -> Calendar:
    return from_jsonable(Calendar, {"id": "c", "timezone": "Europe/Paris", **fields})


def window(**fields: Any) -> str:
    base = {
        "id": "w",
        "reason": "Weekly security patching",
        "start": "2024-01-07T02:00",
        "duration": "2h",
    }
    return describe_window(cal(maintenance=[{**base, **fields}]).maintenance[0])


def test_business_hours() -> None:
    c = cal(
        service_hours={"mon-fri": "08:00-18:00", "sat": ["09:00-12:00", "14:00-17:00"]},
        holidays={"country": "FR"},
    )
    assert describe_service_hours(c) == (
        "Mon–Fri 08:00–18:00, Sat 09:00–12:00 and 14:00–17:00 (Europe/Paris), "
        "except public holidays in France"
    )


def test_always() -> None:
    assert describe_service_hours(cal(timezone="UTC")) == "24 hours a day, 7 days a week (UTC)"


def test_holiday_details() -> None:
    c = cal(
        service_hours={"mon-sat": "22:00-06:00", "sun": "00:00-24:00"},
        holidays={
            "country": "US",
            "subdivision": "CA",
            "dates": ["2024-12-24"],
            "exclude": ["2024-11-11"],
        },
    )
    assert describe_service_hours(c) == (
        "Mon–Sat 22:00–06:00, Sun all day (Europe/Paris), except public holidays in "
        "the United States (CA) and on 24 Dec 2024 (working on 11 Nov 2024)"
    )


def test_split_day_groups_use_semicolons() -> None:
    c = cal(service_hours={"mon": "08:00-12:00", "wed": "08:00-12:00", "tue": "10:00-11:00"})
    assert describe_service_hours(c) == "Mon, Wed 08:00–12:00; Tue 10:00–11:00 (Europe/Paris)"


@pytest.mark.parametrize(
    ("fields", "text"),
    [
        ({"rrule": "FREQ=WEEKLY;BYDAY=SU"}, "every Sunday 02:00–04:00 (Weekly security patching)"),
        ({"rrule": "FREQ=WEEKLY"}, "every Sunday 02:00–04:00 (Weekly security patching)"),
        (
            {"rrule": "FREQ=WEEKLY;BYDAY=MO,TH"},
            "every Monday and Thursday 02:00–04:00 (Weekly security patching)",
        ),
        (
            {"rrule": "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"},
            "every weekday 02:00–04:00 (Weekly security patching)",
        ),
        (
            {"rrule": "FREQ=WEEKLY;INTERVAL=2;BYDAY=SU"},
            "every other Sunday 02:00–04:00 (Weekly security patching)",
        ),
        ({"rrule": "FREQ=DAILY"}, "every day 02:00–04:00 (Weekly security patching)"),
        ({"rrule": "FREQ=DAILY;INTERVAL=3"}, "every 3 days 02:00–04:00 (Weekly security patching)"),
        (
            {"rrule": "FREQ=MONTHLY;BYMONTHDAY=-1"},
            "on the last day of every month 02:00–04:00 (Weekly security patching)",
        ),
        (
            {"rrule": "FREQ=MONTHLY;BYMONTHDAY=15"},
            "on the 15th of every month 02:00–04:00 (Weekly security patching)",
        ),
        (
            {"rrule": "FREQ=MONTHLY;BYDAY=1SU"},
            "on the first Sunday of every month 02:00–04:00 (Weekly security patching)",
        ),
        (
            {"rrule": "FREQ=MONTHLY"},
            "on the 7th of every month 02:00–04:00 (Weekly security patching)",
        ),
        ({"rrule": "FREQ=YEARLY"}, "every year on 7 Jan 02:00–04:00 (Weekly security patching)"),
        (
            {"rrule": "FREQ=WEEKLY;BYDAY=SU;UNTIL=20241231T000000"},
            "every Sunday until 31 Dec 2024 02:00–04:00 (Weekly security patching)",
        ),
        (
            {"rrule": "FREQ=WEEKLY;BYDAY=SU;BYHOUR=2"},
            "repeating by RRULE FREQ=WEEKLY;BYDAY=SU;"
            "BYHOUR=2 from 7 Jan 2024, 02:00–04:00 (Weekly security patching)",
        ),
        ({}, "on 7 Jan 2024 02:00–04:00 (Weekly security patching)"),
        ({"duration": "2d"}, "from 7 Jan 2024 02:00 for 2d (Weekly security patching)"),
        ({"start": "2024-01-07T23:00"}, "on 7 Jan 2024 23:00–01:00 (Weekly security patching)"),
    ],
)
def test_windows(fields: dict[str, Any], text: str) -> None:
    assert window(**fields) == text


def test_critical_window() -> None:
    c = cal(
        critical=[
            {
                "id": "month-end-close",
                "name": "Month-end close",
                "weight": "10.0",
                "start": "2024-01-31T16:00",
                "duration": "8h",
                "rrule": "FREQ=MONTHLY;BYMONTHDAY=-1",
            }
        ]
    )
    assert describe_window(c.critical[0]) == (
        "on the last day of every month 16:00–24:00 (Month-end close, weight 10)"
    )


def test_aware_start_shown_on_the_calendar_clock() -> None:
    c = cal(
        maintenance=[
            {"id": "m", "reason": "Move", "start": "2024-06-01T10:00:00+00:00", "duration": "1h"}
        ]
    )
    assert describe_window(c.maintenance[0], c.timezone) == "on 1 Jun 2024 12:00–13:00 (Move)"
