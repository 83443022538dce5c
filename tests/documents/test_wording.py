"""Plain-language wording of agreement terms."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from servanda.agreements.model import ExcludedTime, Objective, PeriodKind
from servanda.calendars.model import Calendar
from servanda.core.records import from_jsonable
from servanda.documents import wording as w


def objective(**fields: Any) -> Objective:
    return from_jsonable(Objective, fields)


OFFICE = from_jsonable(
    Calendar,
    {
        "id": "office",
        "timezone": "Europe/Paris",
        "service_hours": {"mon-fri": "08:00-18:00"},
        "critical": [
            {
                "id": "close",
                "name": "Month-end close",
                "weight": 10,
                "start": "2025-01-31T08:00:00",
                "duration": "10h",
                "rrule": "FREQ=MONTHLY;BYMONTHDAY=-1",
            },
            {
                "id": "peak",
                "name": "Peak",
                "weight": "1.5",
                "start": "2025-01-06T09:00:00",
                "duration": "1h",
            },
        ],
    },
)
ALWAYS = from_jsonable(Calendar, {"id": "always", "timezone": "UTC"})
OFFICE_HOURS = "Mon–Fri 08:00–18:00 (Europe/Paris)"


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        (
            {"metric": "availability", "target": "99.9%"},
            "Internet Access is available 99.9 % of the time, each calendar month.",
        ),
        (
            {"metric": "availability", "target": "99.9%", "comparator": ">"},
            "Internet Access is available more than 99.9 % of the time, each calendar month.",
        ),
        (
            {"metric": "mttr", "target": "4h"},
            "The mean time to restore service (MTRS) is at most 4 h each calendar month.",
        ),
        (
            {"metric": "mtbf", "target": "30d", "period": "quarter"},
            "The mean time between failures (MTBF) is at least 30 d each calendar quarter.",
        ),
        (
            {"metric": "mtta", "target": "90s", "period": "rolling 28d"},
            "The mean time to acknowledge (MTTA) is at most 1.5 min over any rolling 28 days.",
        ),
        (
            {"metric": "mtbsi", "target": "7d"},
            "The mean time between service incidents (MTBSI) is at least 7 d each calendar month.",
        ),
        (
            {"metric": "incident_count", "target": 3},
            "There are at most 3 incidents each calendar month.",
        ),
        (
            {"metric": "incident_count", "target": 1, "severity": "critical", "period": "year"},
            "There is at most 1 critical incident each calendar year.",
        ),
        (
            {"metric": "response_time", "target": "15m", "severity": "critical"},
            "The response time for critical incidents is at most 15 min each calendar month.",
        ),
        (
            {"metric": "resolution_time", "target": "4h", "percentile": 90},
            "90 % of incidents are resolved within 4 h, each calendar month.",
        ),
        (
            {"metric": "latency", "target": "30ms", "percentile": 95},
            "95 % of round-trip latency measurements are at most 30 ms each calendar month.",
        ),
        (
            {"metric": "one_way_delay", "target": "0.15s", "percentile": "99.9"},
            "99.9 % of one-way delay measurements are at most 150 ms each calendar month.",
        ),
        ({"metric": "jitter", "target": "5ms"}, "The jitter is at most 5 ms each calendar month."),
        (
            {"metric": "throughput", "target": "100Mbit/s"},
            "The throughput is at least 100 Mbit/s each calendar month.",
        ),
        (
            {"metric": "throughput", "target": "1.5Gbit/s", "percentile": 5, "comparator": ">="},
            "5 % of throughput measurements are at least 1.5 Gbit/s each calendar month.",
        ),
        (
            {"metric": "packet_loss", "target": "0.1%"},
            "Packet loss is at most 0.1 % each calendar month.",
        ),
        (
            {"metric": "good_ratio", "target": "99.5%", "budgeting": "events"},
            "At least 99.5 % of events are good each calendar month.",
        ),
        (
            {"metric": "csat", "target": "4.2"},
            "Customer satisfaction (CSAT, 1–5) is at least 4.2 each calendar month.",
        ),
        (
            {"metric": "nps", "target": 30},
            "The net promoter score is at least 30 each calendar month.",
        ),
        (
            {"metric": "control_compliance", "target": "100%"},
            "Every policy control is attested as met each calendar month "
            "(control compliance of 100 %).",
        ),
        (
            {"metric": "control_compliance", "target": "95%", "period": "quarter"},
            "At least 95 % of the policy controls are attested as met each calendar quarter.",
        ),
    ],
)
def test_each_metric_reads_as_one_sentence(fields: dict[str, Any], expected: str) -> None:
    assert w.objective_sentence(objective(**fields), "Internet Access") == expected


def test_availability_is_a_share_of_the_service_hours_of_its_calendar() -> None:
    o = objective(metric="availability", target="99.9%")
    assert w.objective_sentence(o, "Internet Access", OFFICE, OFFICE_HOURS) == (
        "Internet Access is available 99.9 % of the service hours, Mon–Fri 08:00–18:00 "
        "(Europe/Paris), each calendar month."
    )
    assert w.objective_sentence(o, "Voice", ALWAYS, "24 hours a day, 7 days a week (UTC)") == (
        "Voice is available 99.9 % of the time, 24 hours a day, 7 days a week (UTC), "
        "each calendar month."
    )
    assert w.objective_sentence(o, "Each service", None, None, "its service hours") == (
        "Each service is available 99.9 % of its service hours, each calendar month."
    )


def test_weighted_availability_explains_the_weights_of_the_critical_windows() -> None:
    o = objective(metric="weighted_availability", target="99.95%")
    text = w.objective_sentence(o, "Internet Access", OFFICE, OFFICE_HOURS)
    assert text.startswith("Internet Access is available 99.95 % of the service hours")
    assert text.endswith(
        "measured with experience weighting: each minute of downtime counts by the weight of "
        "the critical business window it falls in, so downtime during Month-end close counts "
        "ten times and during Peak counts 1.5 times."
    )
    plain = w.objective_sentence(o, "Voice", ALWAYS, "24 hours a day, 7 days a week (UTC)")
    assert plain.endswith("no critical window is agreed, so every minute counts once.")


def test_budgeting_is_explained_when_it_is_not_elapsed_time() -> None:
    assert w.budgeting_sentence(objective(metric="availability", target="99.9%")) is None
    events = w.budgeting_sentence(objective(metric="good_ratio", target="99%", budgeting="events"))
    assert events is not None
    assert "ratio of sums" in events
    sliced = w.budgeting_sentence(
        objective(
            metric="availability",
            target="99.9%",
            budgeting="timeslices",
            timeslice="5m",
            timeslice_target="95%",
        )
    )
    assert sliced == (
        "Counted in slices of 5 minutes: a slice is good when its own availability is at "
        "least 95 %, and at least 99.9 % of the slices in the period must be good."
    )
    latency = w.budgeting_sentence(
        objective(metric="latency", target="30ms", budgeting="timeslices", timeslice="1m")
    )
    assert latency == (
        "Counted in slices of 1 minute: a slice is good when it meets the target on its own; "
        "the result is the share of good slices in the period."
    )


@pytest.mark.parametrize(
    ("convention", "formula", "phrase"),
    [
        (ExcludedTime.EXCLUDE, "Availability = (T − P − U) / (T − P)", "neither as service time"),
        (ExcludedTime.FORGIVE, "Availability = (T − U) / T", "is forgiven"),
        (ExcludedTime.NAIVE, "Availability = (T − D) / T", "like any other downtime"),
    ],
)
def test_each_maintenance_convention_has_a_sentence_and_a_formula(
    convention: ExcludedTime, formula: str, phrase: str
) -> None:
    assert w.excluded_time_formula(convention) == formula
    assert phrase in w.excluded_time_sentence(convention)
    assert w.excluded_time_legend(convention).startswith("T is the agreed service time")


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        (Decimal("1200"), "EUR 1,200.00"),
        (Decimal("1200.00") * Decimal("10") / 100, "EUR 120.00"),
        (Decimal("279.99") * Decimal("12.5") / 100, "EUR 34.99875"),
        (Decimal("0"), "EUR 0.00"),
        (Decimal("1234567.5"), "EUR 1,234,567.50"),
    ],
)
def test_money_is_shown_exactly(amount: Decimal, text: str) -> None:
    assert w.format_money(amount, "EUR") == text


@pytest.mark.parametrize(
    ("weight", "text"),
    [
        ("1", "once"),
        ("2", "twice"),
        ("3", "three times"),
        ("10", "ten times"),
        ("1.5", "1.5 times"),
        ("25", "25 times"),
        ("0.5", "0.5 times"),
    ],
)
def test_weights_read_as_words(weight: str, text: str) -> None:
    assert w.times_words(Decimal(weight)) == text


def test_durations_read_as_words_in_prose_and_as_units_in_tables() -> None:
    assert w.duration_words(timedelta(days=30)) == "30 days"
    assert w.duration_words(timedelta(hours=1, minutes=30)) == "1 hour 30 minutes"
    assert w.duration_words(timedelta(seconds=45)) == "45 seconds"
    assert w.duration_short(timedelta(minutes=15)) == "15 min"
    assert w.duration_short(timedelta(hours=4)) == "4 h"
    assert w.duration_short(timedelta(days=5)) == "5 d"


def test_period_words() -> None:
    assert w.period_charge(PeriodKind.MONTH) == "the monthly charge"
    assert w.period_charge(PeriodKind.QUARTER) == "the charge for the period"
    assert w.period_noun(PeriodKind.ROLLING) == "window"
    assert w.period_noun(PeriodKind.MONTH) == "month"
