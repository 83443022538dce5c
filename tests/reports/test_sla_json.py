"""The report as JSON: stable keys, exact numbers as text, RFC 3339 times, and back."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from servanda.core.problems import InvalidInput
from servanda.reports.sla_json import (
    FORMAT,
    VERSION,
    encode,
    report_from_json,
    report_to_json,
    report_to_json_text,
)
from servanda.reports.sla_model import (
    Closing,
    DailyPoint,
    ServiceSection,
    SlaReport,
    Standing,
    TimelineEntry,
)

from .sla_report_fixture import sample_report, utc


def test_round_trip_gives_the_same_report() -> None:
    report = sample_report()
    assert report_from_json(report_to_json(report)) == report


def test_round_trip_through_text() -> None:
    report = sample_report()
    text = report_to_json_text(report)
    assert text.endswith("}\n")
    assert report_from_json(json.loads(text)) == report
    assert report_to_json_text(report_from_json(json.loads(text))) == text


def test_the_document_names_its_format() -> None:
    data = report_to_json(sample_report())
    assert list(data) == ["format", "version", "report"]
    assert (data["format"], data["version"]) == (FORMAT, VERSION)


def test_keys_follow_the_field_order() -> None:
    report = sample_report()
    data = report_to_json(report)["report"]
    assert list(data) == [f.name for f in dataclasses.fields(SlaReport)]
    section = data["sections"][0]
    assert list(section) == [f.name for f in dataclasses.fields(ServiceSection)]


def test_decimals_are_plain_text() -> None:
    assert encode(Decimal("1E+2")) == "100"
    assert encode(Decimal("99.950")) == "99.950"
    assert encode(Decimal("-0.00")) == "0.00"
    assert encode(Decimal("0.0000001")) == "0.0000001"
    data = report_to_json(sample_report())["report"]
    result = data["sections"][0]["results"][0]
    assert result["target"] == "99.5"
    # 2,575,800 / 2,584,800 × 100 = 99.6518105849…
    assert result["actual"].startswith("99.65181058")
    assert data["credits"][0]["amount"] == "45.00"


def test_decimals_that_are_not_numbers_are_refused() -> None:
    with pytest.raises(ValueError, match="NaN"):
        encode(Decimal("NaN"))


def test_timestamps_are_rfc3339_in_utc() -> None:
    paris = timezone(timedelta(hours=2))
    assert encode(datetime(2025, 4, 17, 9, tzinfo=paris)) == "2025-04-17T07:00:00Z"
    assert encode(datetime(2025, 4, 17, 7, 0, 0, 5, tzinfo=UTC)) == "2025-04-17T07:00:00.000005Z"
    assert encode(date(2025, 4, 1)) == "2025-04-01"
    data = report_to_json(sample_report())["report"]
    assert data["period"]["start"] == "2025-03-31T22:00:00Z"
    assert data["sections"][0]["timeline"][1]["start"] == "2025-04-17T07:00:00Z"


def test_enums_are_their_values() -> None:
    data = report_to_json(sample_report())["report"]
    assert data["convention"]["name"] == "exclude"
    assert data["sections"][0]["results"][0]["comparator"] == ">="
    assert data["sections"][0]["results"][1]["verdict"] == "breached"


def test_encoding_refuses_unknown_types() -> None:
    with pytest.raises(TypeError, match="float"):
        encode(0.5)


def _bad(data: Any) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        report_from_json(data, file="report.json")
    return caught.value


def test_reading_refuses_other_documents() -> None:
    assert "expected a JSON object" in str(_bad([]))
    assert "not an SLA report" in str(_bad({"format": "x", "version": 1, "report": {}}))
    assert "unknown report version 3; this reader knows 1, 2" in str(
        _bad({"format": FORMAT, "version": 3, "report": {}})
    )
    extra = {**report_to_json(sample_report()), "extra": 1}
    assert "unknown field 'extra'" in str(_bad(extra))


def test_a_version_1_document_reads_as_provisional() -> None:
    """Documents written before reports said whether they are final."""
    data = report_to_json(sample_report())
    body = {k: v for k, v in data["report"].items() if k != "closing"}
    read = report_from_json({**data, "version": 1, "report": body})
    assert read.closing == Closing()
    assert read.closing.standing is Standing.PROVISIONAL


def test_a_final_report_names_its_close() -> None:
    closed = Closing(standing=Standing.FINAL, version=2, closed_at=sample_report().generated_at,
                     closed_by="billing:tok-1", pending=("a late outage",))  # fmt: skip
    report = replace(sample_report(), closing=closed)
    assert report_from_json(report_to_json(report)).closing == closed
    with pytest.raises(ValueError, match="a final report names its close"):
        Closing(standing=Standing.FINAL)
    with pytest.raises(ValueError, match="only a closed period has pending adjustments"):
        Closing(pending=("x",))


def test_reading_locates_every_problem() -> None:
    data = report_to_json(sample_report())
    data["report"]["sections"][0]["timeline"][1]["fraction"] = "2"
    data["report"]["customer"]["colour"] = "blue"
    problems = _bad(data).problems
    paths = sorted(p.dotted_path for p in problems)
    assert paths == ["report.customer.colour", "report.sections[0].timeline[1].fraction"]
    assert all(p.location.file == "report.json" for p in problems)
    assert any(p.message == "unknown field 'colour'" for p in problems)


decimals = st.decimals(
    allow_nan=False, allow_infinity=False, places=4, min_value=-1000, max_value=1000
)


@settings(max_examples=60)
@given(
    st.lists(
        st.tuples(decimals | st.none(), decimals | st.none(), decimals | st.none()), max_size=5
    ),
    st.integers(min_value=-12, max_value=14),
    st.decimals(min_value=Decimal("0.0001"), max_value=1, places=4),
)
def test_any_daily_series_and_offset_round_trip(
    values: list[tuple[Decimal | None, Decimal | None, Decimal | None]],
    hours: int,
    fraction: Decimal,
) -> None:
    zone = timezone(timedelta(hours=hours))
    daily = tuple(
        DailyPoint(
            day=date(2025, 4, i + 1), availability=a, weighted_availability=w, budget_remaining=b
        )
        for i, (a, w, b) in enumerate(values)
    )
    entry = TimelineEntry(start=utc(3, 1).astimezone(zone), end=None, fraction=fraction)
    base = sample_report()
    section = dataclasses.replace(base.sections[0], daily=daily, timeline=(entry,))
    report = dataclasses.replace(base, sections=(section,))
    assert report_from_json(json.loads(report_to_json_text(report))) == report


def test_a_missing_field_is_named() -> None:
    data = report_to_json(sample_report())
    del data["report"]["period"]["timezone"]
    (problem,) = _bad(data).problems
    assert problem.dotted_path == "report.period.timezone"
    assert problem.message == "this field is required"
