"""Time-sliced budgeting of availability measured from outages: the window cut into slices,
each judged on its own availability (agreed time under the convention, downtime), the result
good slices / slices with agreed time. It was once silently measured as plain time.

The provider and outages are those of ``test_objectives.py`` (office hours Monday–Friday
08:00–18:00 UTC; 1–15 April 2024 holds 11 office days), worked out by hand below.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from servanda.agreements.model import ExcludedTime
from servanda.measure.results import Verdict

from .test_objectives import measure, objective

# Each office day of 1–15 April under ``exclude`` (due = service − maintenance − planned):
#   3 Apr: inc-b planned 12:00–12:30 → due 34 200, nothing down: 100 %
#   4 Apr: inc-c half down 10:00–12:00 → 3 600 of 36 000 lost: 90 %
#   9 Apr: inc-f at night: 100 %
#  10 Apr: maintenance 08–10 (inc-a's first hour inside it), inc-a 10–11 → 25 200 / 28 800: 87.5 %
#  12 Apr: inc-d 14:00–14:12 → 35 280 / 36 000: 98 %
#  the other six office days: 100 %; weekends (6, 7, 13, 14) have no agreed time.


@pytest.mark.parametrize(
    ("per_slice", "good"),
    [("99%", 8), ("98%", 9), ("87.5%", 11), ("100%", 8)],
)
def test_daily_slices_are_judged_on_their_own_availability(per_slice: str, good: int) -> None:
    goal = objective(metric="availability", target="99%", budgeting="timeslices",
                     timeslice="1d", timeslice_target=per_slice)  # fmt: skip
    r = measure(goal, convention=ExcludedTime.EXCLUDE)
    assert (r.numerator, r.denominator) == (Decimal(good), Decimal(11))
    assert r.actual == Decimal(good) * 100 / 11
    assert r.verdict is (Verdict.MET if good == 11 else Verdict.BREACHED)
    assert r.budget is not None
    assert r.budget.unit == "slices"
    assert r.budget.consumed == 11 - good
    assert r.convention is not None
    assert "good slices / slices with data" in r.convention


def test_the_documented_five_minute_objective() -> None:
    """docs/configuration.md's ``availability-5m``: 5-minute slices, each good at 99 %.

    Office time holds 11 × 120 = 1 320 slices; 24 lie in the maintenance window and 6 in the
    planned outage (no agreed time left: no data), leaving 1 290. Bad: inc-a 10:00–11:00 (12
    slices), inc-c half down 10:00–12:00 (24 at 50 %) and inc-d 14:00–14:12 (14:00 and 14:05
    down, 14:10–14:15 down 2 of 5 minutes): 39. Plain time says 97.95 %; slices say 96.98 %."""
    goal = objective(metric="availability", id="availability-5m", target="99%",
                     budgeting="timeslices", timeslice="5m", timeslice_target="99%")  # fmt: skip
    r = measure(goal, convention=ExcludedTime.EXCLUDE)
    assert (r.numerator, r.denominator) == (Decimal(1251), Decimal(1290))
    assert r.verdict is Verdict.BREACHED
    plain = measure(objective(metric="availability", target="97%"),
                    convention=ExcludedTime.EXCLUDE)  # fmt: skip
    assert plain.verdict is Verdict.MET  # the same month met on plain time
    assert r.breaches
    assert r.breaches[0].detail == "slice below 99 % available"


def test_weighted_slices_and_the_forgive_convention() -> None:
    """Under ``forgive`` the maintenance window is agreed time that cannot be lost: 10 April
    is (36 000 − 3 600) / 36 000 = 90 %, and the planned outage's day stays 100 %."""
    goal = objective(metric="availability", target="99%", budgeting="timeslices",
                     timeslice="1d", timeslice_target="99%")  # fmt: skip
    r = measure(goal, convention=ExcludedTime.FORGIVE)
    assert (r.numerator, r.denominator) == (Decimal(8), Decimal(11))
    weighted = objective(metric="weighted_availability", target="99%", budgeting="timeslices",
                         timeslice="1d", timeslice_target="99%")  # fmt: skip
    w = measure(weighted, convention=ExcludedTime.EXCLUDE)
    assert w.denominator == Decimal(11)
    assert w.numerator == Decimal(8)  # 12 April: 7 200 weighted lost of 64 800: 88.9 %


def test_ratio_timeslices_average_each_days_availability() -> None:
    """OpenSLO RatioTimeslices: the mean of the slices' own availability. Eight days at
    100 %, 4 April 90 %, 10 April 87.5 %, 12 April 98 %: 1 075.5 / 11 = 97.77 %."""
    goal = objective(metric="availability", target="99%", budgeting="ratio_timeslices",
                     timeslice="1d")  # fmt: skip
    r = measure(goal, convention=ExcludedTime.EXCLUDE)
    assert (r.numerator, r.denominator) == (Decimal("10.755"), Decimal(11))
    assert r.actual == Decimal("10.755") / 11 * 100
    assert r.convention is not None
    assert r.convention.startswith("OpenSLO RatioTimeslices")


def test_ratio_timeslices_of_counts_are_a_mean_of_ratios_not_a_ratio_of_sums() -> None:
    """A quiet hour (99 of 100) weighs as much as a busy one (900 of 1 000): the mean is 94.5 %
    where the ratio of sums says 999 / 1 100 = 90.8 %."""
    from dataclasses import replace

    from .test_objectives import EVIDENCE, at, counts

    calls = counts("voice-calls", (at(2, 10), at(2, 11), 99, 100),
                   (at(2, 11), at(2, 12), 900, 1000))  # fmt: skip
    evidence = replace(EVIDENCE, measurements={**EVIDENCE.measurements, "voice-calls": calls})
    goal = objective(metric="availability", target="99%", series="voice-calls",
                     budgeting="ratio_timeslices", timeslice="1h")  # fmt: skip
    r = measure(goal, at(2, 10), at(2, 12), now=at(2, 12), service="voice", evidence=evidence)
    assert (r.numerator, r.denominator) == (Decimal("1.89"), Decimal(2))
    assert r.actual == Decimal("94.5")
    plain = objective(metric="availability", target="99%", series="voice-calls")
    s = measure(plain, at(2, 10), at(2, 12), now=at(2, 12), service="voice", evidence=evidence)
    assert (s.numerator, s.denominator) == (Decimal(999), Decimal(1100))
