"""Availability worked out by hand: business hours, maintenance, partial and overlapping
outages, a clock change, the three conventions, and experience weighting."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from servanda.agreements.model import ExcludedTime
from servanda.calendars import Calendar
from servanda.core.intervals import IntervalSet, WeightedIntervals, to_us
from servanda.core.records import from_jsonable
from servanda.events.outages import Outage
from servanda.measure.availability import (
    FRACTION_SCALE,
    OutageColumns,
    Schedule,
    availability,
    convention_text,
    downtime_timeline,
    expand_schedule,
    group_availability,
    measure,
    ratios,
)
from servanda.measure.periods import parse_period

PARIS = ZoneInfo("Europe/Paris")
MINUTE = 60_000_000
EXCLUDE, FORGIVE, NAIVE = ExcludedTime.EXCLUDE, ExcludedTime.FORGIVE, ExcludedTime.NAIVE


@dataclass(frozen=True)
class Down:
    """An outage as records give it."""

    start: datetime
    end: datetime | None
    fraction: float = 1.0
    planned: bool = False
    service: str = "vpn"
    customer: str = "acme"


def cal(**fields: Any) -> Calendar:
    return from_jsonable(Calendar, {"id": "office", "timezone": "Europe/Paris", **fields})


def at(hour: int, minute: int = 0, day: int = 2, month: int = 4) -> datetime:
    return datetime(2024, month, day, hour, minute, tzinfo=PARIS)


def day_schedule(**fields: Any) -> Schedule:
    """Tuesday 2 April 2024, 09:00–17:00 on weekdays, maintenance 12:00–13:00."""
    c = cal(
        service_hours={"mon-fri": "09:00-17:00"},
        maintenance=[
            {"id": "noon", "reason": "patching", "start": "2024-04-02T12:00:00", "duration": "1h"}
        ],
        **fields,
    )
    day = parse_period("2024-04-02", "Europe/Paris")
    return expand_schedule(c, day.start, day.end)


def seconds(minutes: float) -> Decimal:
    return Decimal(str(minutes)) * 60


# S = 480 min, P = 60 min (12:00–13:00).
# a: 11:30–12:30 full, half of it in the window: 30 min counted, 60 min of all downtime.
# b: 14:00–15:00 at 0.5: 30 min.
# c, d: 15:00–15:40 and 15:20–16:00 full, overlapping: their union, 60 min (not 80).
# U = 120 min; D_all = 60 + 30 + 60 = 150 min.
WORKED = [
    Down(at(11, 30), at(12, 30)),
    Down(at(14), at(15), 0.5),
    Down(at(15), at(15, 40)),
    Down(at(15, 20), at(16)),
]


@pytest.mark.parametrize(
    ("convention", "numerator", "denominator"),
    [
        (EXCLUDE, seconds(420 - 120), seconds(480 - 60)),  # 300/420 = 71.43 %
        (FORGIVE, seconds(480 - 120), seconds(480)),  # 360/480 = 75 %
        (NAIVE, seconds(480 - 150), seconds(480)),  # 330/480 = 68.75 %
    ],
)
def test_three_conventions_give_three_numbers(
    convention: ExcludedTime, numerator: Decimal, denominator: Decimal
) -> None:
    assert group_availability(WORKED, day_schedule(), convention) == (numerator, denominator)


def test_figures_of_the_worked_day() -> None:
    sched = day_schedule()
    cols = OutageColumns.from_outages(
        [Outage(incident_id="i", **vars(d)) for d in WORKED], {("vpn", "acme"): 0}, at(17)
    )
    f = measure(cols, [sched], [0])
    assert int(f.service_us[0]) == 480 * MINUTE
    assert int(f.maintenance_us[0]) == 60 * MINUTE
    assert int(f.planned_us[0]) == 0
    assert f.unplanned_us[0] == 120 * MINUTE
    assert f.downtime_all_us[0] == 150 * MINUTE
    num, den = ratios(f, EXCLUDE)
    assert (num[0], den[0]) == (300 * MINUTE, 420 * MINUTE)


def test_two_half_outages_at_once_make_a_full_one() -> None:
    # 10:00–10:30 at 0.5, 10:30–11:00 at 1, 11:00–11:30 at 0.5: 15 + 30 + 15 = 60 min.
    downs = [Down(at(10), at(11), 0.5), Down(at(10, 30), at(11, 30), 0.5)]
    assert group_availability(downs, day_schedule(), FORGIVE) == (seconds(420), seconds(480))
    # A third half outage over the full stretch changes nothing: the level stops at 1.
    more = [*downs, Down(at(10, 30), at(11), 0.5)]
    assert group_availability(more, day_schedule(), FORGIVE) == (seconds(420), seconds(480))


def test_thirds_add_up_to_exactly_one() -> None:
    third = 1 / 3
    downs = [Down(at(10), at(11), third) for _ in range(3)]
    sched = day_schedule()
    cols = OutageColumns.from_arrays(
        [0, 0, 0], [to_us(d.start) for d in downs], [to_us(at(11))] * 3, [third] * 3
    )
    assert measure(cols, [sched], [0]).unplanned_us[0] == 60 * MINUTE
    assert FRACTION_SCALE % 3 == 0


def test_planned_outage_is_excluded_whole_whatever_its_fraction() -> None:
    # Planned 09:00–10:00 at 0.25 stops the clock for the whole hour; the unplanned outage
    # 09:30–10:30 counts from 10:00 only: U = 30 min, S − E = 480 − 60 − 60 = 360 min.
    downs = [Down(at(9), at(10), 0.25, planned=True), Down(at(9, 30), at(10, 30))]
    sched = day_schedule()
    assert group_availability(downs, sched, EXCLUDE) == (seconds(330), seconds(360))
    assert group_availability(downs, sched, FORGIVE) == (seconds(450), seconds(480))
    # naive: 09:00–09:30 at 0.25 (7.5 min), 09:30–10:30 full (60 min).
    assert group_availability(downs, sched, NAIVE) == (seconds(412.5), seconds(480))


def test_planned_outage_inside_the_window_is_not_excluded_twice() -> None:
    downs = [Down(at(11, 30), at(13, 30), planned=True)]
    f_num, f_den = group_availability(downs, day_schedule(), EXCLUDE)
    # The window excludes 12:00–13:00; the planned outage adds 11:30–12:00 and 13:00–13:30.
    assert (f_num, f_den) == (seconds(360), seconds(360))


def test_outages_outside_the_service_hours_or_the_period_cost_nothing() -> None:
    downs = [
        Down(at(7), at(9)),  # before opening
        Down(at(17), at(23)),  # after closing
        Down(at(10, day=1), at(10, day=3)),  # from Monday to Wednesday: the whole Tuesday
    ]
    sched = day_schedule()
    assert group_availability(downs[:2], sched, NAIVE) == (seconds(480), seconds(480))
    assert group_availability(downs, sched, NAIVE) == (seconds(0), seconds(480))


def test_open_outage_lasts_until_the_end_of_the_period() -> None:
    sched = day_schedule()
    assert group_availability([Down(at(16), None)], sched, FORGIVE) == (
        seconds(420),
        seconds(480),
    )
    cols = OutageColumns.from_outages([Down(at(16), None)], {("vpn", "acme"): 0}, at(16, 30))
    assert measure(cols, [sched], [0]).unplanned_us[0] == 30 * MINUTE
    # One that starts after "now" has no length yet.
    later = OutageColumns.from_outages([Down(at(17), None)], {("vpn", "acme"): 0}, at(16, 30))
    assert later.end_us.tolist() == later.start_us.tolist() == [to_us(at(17))]


def test_a_record_ending_before_it_starts_is_refused() -> None:
    with pytest.raises(ValueError, match="outage 0 ends before it starts"):
        OutageColumns.from_outages([Down(at(11), at(10))], {("vpn", "acme"): 0}, at(17))


def test_an_outage_across_a_clock_change_counts_elapsed_time() -> None:
    # Sunday 31 March 2024, service 01:00–05:00 on the Paris clock: 02:00 jumps to 03:00, so
    # the service lasts 3 h. Down from 01:30 CET to 03:30 CEST: 1 h elapsed, not 2.
    c = cal(service_hours={"sun": "01:00-05:00"})
    day = parse_period("2024-03-31", "Europe/Paris")
    sched = expand_schedule(c, day.start, day.end)
    down = Down(at(1, 30, day=31, month=3), at(3, 30, day=31, month=3))
    assert down.end is not None
    assert to_us(down.end) - to_us(down.start) == 60 * MINUTE
    assert group_availability([down], sched, EXCLUDE) == (seconds(120), seconds(180))


def test_a_month_in_paris_is_not_a_multiple_of_24_hours() -> None:
    march = parse_period("2024-03", "Europe/Paris")
    sched = expand_schedule(cal(), march.start, march.end)
    down = Down(at(0, day=31, month=3), at(4, day=31, month=3))  # 3 h elapsed that night
    num, den = group_availability([down], sched, EXCLUDE)
    assert den == (31 * 24 - 1) * 3600
    assert den - num == 3 * 3600


def test_weighted_availability_misses_what_plain_availability_meets() -> None:
    # April 2024, 09:00–17:00 on 22 weekdays: 176 h = 10,560 min. The hour 16:00–17:00 of every
    # weekday weighs 10: weighted S = 176 + 22 × 9 = 374 h = 22,440 weighted minutes.
    # 20 minutes down at 16:10 on 30 April:
    #   plain    (10,560 − 20) / 10,560  = 99.81 %  meets 99.8 %
    #   weighted (22,440 − 200) / 22,440 = 99.11 %  does not.
    c = cal(
        service_hours={"mon-fri": "09:00-17:00"},
        critical=[
            {
                "id": "settlement",
                "weight": 10,
                "start": "2024-04-01T16:00:00",
                "duration": "1h",
                "rrule": "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR",
            }
        ],
    )
    april = parse_period("2024-04", "Europe/Paris")
    sched = expand_schedule(c, april.start, april.end)
    downs = [Down(at(16, 10, day=30), at(16, 30, day=30))]
    plain = group_availability(downs, sched, EXCLUDE)
    weighted = group_availability(downs, sched, EXCLUDE, weighted=True)
    assert plain == (seconds(10_540), seconds(10_560))
    assert weighted == (seconds(22_240), seconds(22_440))
    target = Decimal("0.998")
    assert plain[0] / plain[1] >= target
    assert weighted[0] / weighted[1] < target


def test_weights_apply_to_every_convention() -> None:
    # Day schedule with 16:00–17:00 at weight 10: S_w = 7 + 10 = 17 h; P_w = 1 h.
    weights = {
        "critical": [
            {"id": "close", "weight": 10, "start": "2024-04-02T16:00:00", "duration": "1h"}
        ]
    }
    sched = day_schedule(**weights)
    downs = [Down(at(11, 30), at(12, 30)), Down(at(16), at(16, 30), 0.5)]
    # U_w = 30 + 0.5 × 30 × 10 = 180 weighted min; D_all_w = 60 + 150 = 210.
    assert group_availability(downs, sched, EXCLUDE, True) == (seconds(780), seconds(960))
    assert group_availability(downs, sched, FORGIVE, True) == (seconds(840), seconds(1020))
    assert group_availability(downs, sched, NAIVE, True) == (seconds(810), seconds(1020))


def test_many_groups_share_few_schedules() -> None:
    day = parse_period("2024-04-02", "Europe/Paris")
    office = day_schedule()
    always = Schedule.build(day.start, day.end)
    # Group 0: office; 1: always, no outage; 2: office; 3: always.
    cols = OutageColumns.from_arrays(
        group=[3, 0, 2, 0],
        start_us=[to_us(at(10)), to_us(at(10)), to_us(at(12, 30)), to_us(at(16))],
        end_us=[to_us(at(11)), to_us(at(10, 30)), to_us(at(13, 30)), to_us(at(16, 15))],
        fraction=[1.0, 1.0, 1.0, 0.5],
        planned=[False, False, True, False],
    )
    f = measure(cols, [office, always], [0, 1, 0, 1])
    assert f.service_us.tolist() == [480 * MINUTE, 1440 * MINUTE] * 2
    assert f.unplanned_us.tolist() == [37.5 * MINUTE, 0, 0, 60 * MINUTE]
    assert f.planned_us.tolist() == [0, 0, 30 * MINUTE, 0]
    assert availability(f, 1, EXCLUDE) == (Decimal(86_400), Decimal(86_400))
    assert availability(f, 2, EXCLUDE) == (seconds(390), seconds(390))
    assert availability(f, 0, NAIVE) == (seconds(442.5), seconds(480))


def test_partial_microseconds_are_rounded_once() -> None:
    sched = Schedule.build(0, 10)
    cols = OutageColumns.from_arrays([0], [0], [3], [0.5])
    num, den = availability(measure(cols, [sched], [0]), 0, EXCLUDE)
    # 1.5 µs down rounds to 2 µs; the numerator is the rounded remainder.
    assert (num, den) == (Decimal("0.000008"), Decimal("0.000010"))


def test_nothing_due_gives_a_zero_denominator() -> None:
    sched = Schedule.build(0, 100, IntervalSet.empty())
    f = measure(OutageColumns.from_arrays([0], [0], [50]), [sched], [0])
    assert availability(f, 0, EXCLUDE) == (Decimal(0), Decimal(0))
    assert len(measure(OutageColumns.from_arrays([], [], []), [], [])) == 0


def test_schedule_keeps_maintenance_inside_service_time() -> None:
    sched = Schedule.build(
        0,
        100,
        IntervalSet.from_arrays([10], [50]),
        IntervalSet.from_arrays([0, 40], [20, 200]),
        WeightedIntervals.from_arrays([45], [60], [3.0]),
    )
    assert sched.maintenance == IntervalSet.from_arrays([10, 40], [20, 50])
    assert sched.totals() == (40, 20, 40 + 2 * 5, 20 + 2 * 5)


@pytest.mark.parametrize(
    ("columns", "message"),
    [
        (([0], [10], [5]), "outage 0 ends before it starts"),
        (([0, 0], [0, 0], [1, 1], [1.0, 0.0]), "outage 1 has a fraction outside"),
        (([0], [0], [1], [1.5]), "outage 0 has a fraction outside"),
        (([-1], [0], [1]), "outage 0 has a negative group"),
        (([0, 1], [0], [1]), "start_us has shape"),
    ],
)
def test_bad_columns_are_refused(columns: tuple[Any, ...], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        OutageColumns.from_arrays(*columns)


def test_measure_refuses_unknown_groups_and_schedules() -> None:
    sched = Schedule.build(0, 100)
    with pytest.raises(ValueError, match="group 1 of 1"):
        measure(OutageColumns.from_arrays([1], [0], [1]), [sched], [0])
    with pytest.raises(ValueError, match="schedule index"):
        measure(OutageColumns.from_arrays([], [], []), [sched], [1])


def test_from_outages_keeps_only_the_groups_asked_for() -> None:
    downs = [
        Down(at(10), at(11), service="vpn", customer="acme"),
        Down(at(10), at(11), service="vpn", customer="other"),
        Down(at(10), at(11), 0.5, True, service="voice", customer="acme"),
    ]
    cols = OutageColumns.from_outages(downs, {("vpn", "acme"): 0, ("voice", "acme"): 1}, at(17))
    assert cols.group.tolist() == [0, 1]
    assert cols.fraction.tolist() == [1.0, 0.5]
    assert cols.planned.tolist() == [False, True]
    assert not cols.group.flags.writeable


def test_timeline_gives_the_levels_over_time() -> None:
    t = [to_us(at(h, m)) for h, m in ((10, 0), (10, 30), (11, 0), (11, 30), (12, 0), (13, 0))]
    cols = OutageColumns.from_arrays(
        group=[0, 0, 1, 0],
        start_us=[t[0], t[1], t[0], t[4]],
        end_us=[t[2], t[3], t[3], t[5]],
        fraction=[0.5, 0.5, 1.0, 1.0],
        planned=[False, False, False, True],
    )
    line = downtime_timeline(cols)
    assert line.group.tolist() == [0, 0, 0, 0, 1]
    assert line.start_us.tolist() == [t[0], t[1], t[2], t[4], t[0]]
    assert line.end_us.tolist() == [t[1], t[2], t[3], t[5], t[3]]
    assert line.level.tolist() == [0.5, 1.0, 0.5, 0.0, 1.0]
    assert line.planned.tolist() == [False, False, False, True, False]
    assert len(downtime_timeline(OutageColumns.from_arrays([], [], []))) == 0


def test_touching_outages_make_one_interval_on_the_timeline() -> None:
    cols = OutageColumns.from_arrays([0, 0], [0, 10], [10, 20])
    line = downtime_timeline(cols)
    assert (line.start_us.tolist(), line.end_us.tolist()) == ([0], [20])


def test_convention_is_written_out_for_reports() -> None:
    assert convention_text(EXCLUDE) == "exclude: (S − E − U) / (S − E)"
    assert convention_text(NAIVE, weighted=True).endswith("weighted by critical windows")


def test_large_groups_and_long_periods_fall_back_to_an_index_sort() -> None:
    # A 2**50 µs period (51 bits) and 1,024 groups (10 bits) leave no room for packed keys.
    span = 2**50
    sched = Schedule.build(0, span)
    groups = 2**10
    cols = OutageColumns.from_arrays(
        [groups - 1, groups - 1], [0, span // 4], [span // 2, span], [0.5, 0.5]
    )
    f = measure(cols, [sched], np.zeros(groups, dtype=np.int64))
    # level 0.5 over [0, ¼), 1 over [¼, ½), 0.5 over [½, 1): 0.125 + 0.25 + 0.25 = 0.625.
    assert f.unplanned_us[groups - 1] == span * 0.625
    assert f.unplanned_us[0] == 0
