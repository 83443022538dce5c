"""Calendars read from the YAML shape users write, and the errors they get when it is wrong."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from servanda.calendars import ALWAYS, Calendar
from servanda.core.records import from_jsonable, to_jsonable

PARIS: dict[str, Any] = {
    "id": "business-paris",
    "name": "Paris business hours",
    "timezone": "Europe/Paris",
    "service_hours": {"mon-fri": "08:00-18:00", "sat": ["09:00-12:00", "14:00-17:00"]},
    "holidays": {
        "country": "FR",
        "subdivision": None,
        "dates": [date(2024, 5, 2)],
        "exclude": [date(2024, 5, 8)],
    },
    "maintenance": [
        {
            "id": "sunday-patching",
            "reason": "Weekly security patching",
            "start": "2024-01-07T02:00",
            "duration": "2h",
            "rrule": "FREQ=WEEKLY;BYDAY=SU",
            "nodes": ["core-router-1"],
        }
    ],
    "critical": [
        {
            "id": "month-end-close",
            "name": "Month-end close",
            "weight": 10,
            "start": "2024-01-31T16:00",
            "duration": "8h",
            "rrule": "FREQ=MONTHLY;BYMONTHDAY=-1",
        }
    ],
}


def calendar(**changes: Any) -> Calendar:
    return from_jsonable(Calendar, {**PARIS, **changes})


def error_text(**changes: Any) -> str:
    with pytest.raises(ValidationError) as caught:
        calendar(**changes)
    return str(caught.value)


def test_the_documented_shape_is_accepted() -> None:
    cal = calendar()
    assert cal.timezone == "Europe/Paris"
    assert cal.maintenance[0].duration == timedelta(hours=2)
    assert cal.maintenance[0].start == datetime(2024, 1, 7, 2, 0)  # noqa: DTZ001
    assert cal.maintenance[0].nodes == ("core-router-1",)
    assert cal.critical[0].weight == Decimal(10)
    assert cal.holidays is not None
    assert cal.holidays.dates == (date(2024, 5, 2),)
    by_day = cal.service_hours.by_day()
    assert by_day[0] == ((480, 1080),)
    assert by_day[5] == ((540, 720), (840, 1020))
    assert by_day[6] == ()


def test_calendars_are_hashable_and_compare_by_value() -> None:
    assert hash(calendar()) == hash(calendar())
    assert calendar() == calendar()
    # The same week written another way is the same calendar.
    other = calendar(
        service_hours={
            "mon": "08:00-18:00",
            "tue-fri": ["08:00-18:00"],
            "sat": ["14:00-17:00", "09:00-12:00"],
        }
    )
    assert other == calendar()


def test_round_trip_through_json() -> None:
    dumped = to_jsonable(calendar())
    assert dumped["service_hours"] == {
        "mon-fri": "08:00-18:00",
        "sat": ["09:00-12:00", "14:00-17:00"],
    }
    assert dumped["maintenance"][0]["duration"] == "2h"
    assert from_jsonable(Calendar, dumped) == calendar()


@pytest.mark.parametrize("hours", [None, "24x7", "24X7"])
def test_absent_or_24x7_hours_are_always(hours: Any) -> None:
    assert calendar(service_hours=hours).service_hours == ALWAYS
    assert ALWAYS.always
    assert to_jsonable(calendar(service_hours=hours))["service_hours"] == "24x7"
    minimal = from_jsonable(Calendar, {"id": "x", "timezone": "UTC"})
    assert minimal.service_hours.always


def test_daily_and_wrapping_day_ranges() -> None:
    daily = calendar(service_hours={"daily": "00:00-24:00"})
    assert daily.service_hours.always
    wrap = calendar(service_hours={"fri-mon": "10:00-11:00"})
    assert [bool(d) for d in wrap.service_hours.by_day()] == [1, 0, 0, 0, 1, 1, 1]


def test_overnight_ranges_spill_into_the_next_day() -> None:
    cal = calendar(service_hours={"mon": "22:00-06:00"})
    assert cal.service_hours.by_day()[0] == ((1320, 1800),)
    assert to_jsonable(cal)["service_hours"] == {"mon": "22:00-06:00"}


def test_bad_timezone() -> None:
    text = error_text(timezone="Europe/Pariss")
    assert "unknown time zone 'Europe/Pariss'" in text
    assert "IANA" in text


@pytest.mark.parametrize(
    ("hours", "message"),
    [
        ({"mon-fri": "18:00-08:00x"}, "not a time range: '18:00-08:00x'"),
        ({"mon-fri": "25:00-26:00"}, "not a time of day"),
        ({"mon-fri": "08:00-08:00"}, "empty time range"),
        ({"mon-fry": "08:00-18:00"}, "unknown day 'mon-fry'"),
        ({"funday": "08:00-18:00"}, "unknown day 'funday'"),
        ({"mon": 8}, "a time range must be text"),
        ({}, "service hours are empty"),
        ("business", "service hours must be"),
    ],
)
def test_bad_service_hours(hours: Any, message: str) -> None:
    text = error_text(service_hours=hours)
    assert message in text
    assert "service_hours" in text


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("FREQ=WEEKLY;BYDAY=XX", "invalid RRULE"),
        ("BYDAY=SU", "has no FREQ"),
        ("FREQ=MINUTELY", "repeats too often"),
        ("FREQ=DAILY;DTSTART=20240101", "must not carry DTSTART"),
        ("FREQ=DAILY;UNTIL=20241231T000000Z", "without Z"),
        ("nonsense", "has no FREQ"),
        ("", "empty RRULE"),
    ],
)
def test_bad_rrule(rule: str, message: str) -> None:
    window = {**PARIS["maintenance"][0], "rrule": rule}
    text = error_text(maintenance=[window])
    assert message in text
    assert "maintenance.0.rrule" in text


def test_rrule_is_tidied() -> None:
    window = {**PARIS["maintenance"][0], "rrule": "RRULE:freq=weekly;byday=su"}
    assert calendar(maintenance=[window]).maintenance[0].rrule == "FREQ=WEEKLY;BYDAY=SU"


def test_window_checks() -> None:
    crit = PARIS["critical"][0]
    assert "above zero" in error_text(critical=[{**crit, "weight": 0}])
    assert "longer than zero" in error_text(critical=[{**crit, "duration": "0s"}])
    assert "not a duration" in error_text(critical=[{**crit, "duration": "soon"}])
    maint = PARIS["maintenance"][0]
    assert "reason" in error_text(maintenance=[{k: v for k, v in maint.items() if k != "reason"}])
    assert "at least one node" in error_text(maintenance=[{**maint, "nodes": []}])
    assert "used twice" in error_text(maintenance=[maint, maint])
    assert "Unexpected keyword argument" in error_text(maintenance=[{**maint, "colour": 1}])


def test_holiday_checks() -> None:
    assert "unknown holiday country 'XX'" in error_text(holidays={"country": "XX"})
    text = error_text(holidays={"country": "DE", "subdivision": "ZZ"})
    assert "unknown subdivision 'ZZ' of DE" in text
    assert "BY" in text
    assert "needs its country" in error_text(holidays={"subdivision": "BY"})
    assert calendar(holidays={"country": "de", "subdivision": "by"}).holidays is not None


def test_unknown_fields_are_errors() -> None:
    assert "Unexpected keyword argument" in error_text(colour="blue")


YAML_TEXT = """
calendars:
  - id: business-paris
    name: Paris business hours
    timezone: Europe/Paris
    service_hours:
      mon-fri: "08:00-18:00"
      sat: ["09:00-12:00", "14:00-17:00"]
    holidays:
      country: FR
      subdivision: null
      dates: [2024-05-02]
      exclude: [2024-05-08]
    maintenance:
      - id: sunday-patching
        reason: Weekly security patching
        start: 2024-01-07T02:00
        duration: 2h
        rrule: FREQ=WEEKLY;BYDAY=SU
        nodes: [core-router-1]
    critical:
      - id: month-end-close
        name: Month-end close
        weight: 10
        start: 2024-01-31T16:00
        duration: 8h
        rrule: FREQ=MONTHLY;BYMONTHDAY=-1
  - id: always
    timezone: UTC
    service_hours: 24x7
"""


def test_the_yaml_users_write() -> None:
    items = yaml.safe_load(YAML_TEXT)["calendars"]
    paris, always = (from_jsonable(Calendar, item) for item in items)
    assert paris == calendar()
    assert always.service_hours.always
