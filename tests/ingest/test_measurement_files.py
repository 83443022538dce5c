"""Measurement files: CSV, JSON Lines and JSON; every problem at file:line; all or nothing."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from servanda.core.problems import Problem
from servanda.ingest.generic import parse_timestamp
from servanda.ingest.measurements import (
    MEASUREMENT_COLUMNS,
    measurement_key,
    measurement_reader,
    parse_measurements,
    parse_measurements_json,
    read_measurement_file,
)
from servanda.ingest.record_files import Row, to_timestamp
from servanda.measure.inputs import Measurement, Series, SeriesKind

SERIES = {
    s.id: s
    for s in (
        Series(id="vpn-latency", kind=SeriesKind.LATENCY, node="vpn"),
        Series(id="vpn-loss", kind=SeriesKind.LOSS, node="vpn"),
        Series(id="voice-packets", kind=SeriesKind.PACKETS, node="voice"),
        Series(id="delay", kind=SeriesKind.ONE_WAY_DELAY, node="voice"),
    )
}
T0 = datetime(2024, 4, 2, 10, 0, tzinfo=UTC)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def shown(problems: list[Problem]) -> list[str]:
    return [str(p) for p in problems]


# --- CSV ------------------------------------------------------------------------------------------

GOOD_CSV = """\
series,at,start,value,good,total
vpn-latency,2024-04-02T10:00:00Z,,12.40,,
vpn-latency,2024-04-02T12:01:00.5+02:00,,0,,

vpn-loss,2024-04-02T10:05:00Z,2024-04-02T10:00:00Z,,29991,30000
"""


def test_csv_measurements_are_exact_and_utc(tmp_path: Path) -> None:
    path = write(tmp_path, "m.csv", GOOD_CSV)
    found, problems = read_measurement_file(path, series_by_id=SERIES)
    assert problems == []
    assert found == [
        Measurement(series="vpn-latency", at=T0, value=Decimal("12.40")),
        Measurement(
            series="vpn-latency", at=T0 + timedelta(minutes=1, microseconds=500000), value=0
        ),
        Measurement(
            series="vpn-loss",
            at=T0 + timedelta(minutes=5),
            start=T0,
            good=29991,
            total=30000,
        ),
    ]
    assert str(found[0].value) == "12.40"
    assert all(m.at.tzinfo is UTC for m in found)


def test_columns_come_in_any_order_and_absent_ones_are_empty() -> None:
    text = (
        "received_at , SEQUENCE,sent_at,series,at\n"
        "2024-04-02T10:00:00.020Z,7,2024-04-02T10:00:00Z,voice-packets,2024-04-02T10:00:00.020Z\n"
    )
    (m,), problems = parse_measurements(text, "csv", series_by_id=SERIES)
    assert problems == []
    assert (m.sent_at, m.received_at, m.sequence) == (T0, T0 + timedelta(milliseconds=20), 7)
    assert m.value is None
    assert m.start is None


def test_a_byte_order_mark_and_crlf_are_read(tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_bytes("\ufeffseries,at,value\r\nvpn-latency,2024-04-02T10:00:00Z,3\r\n".encode())
    found, problems = read_measurement_file(path, series_by_id=SERIES)
    assert problems == []
    assert [m.value for m in found] == [3]


def test_every_bad_row_is_located_and_nothing_is_returned(tmp_path: Path) -> None:
    text = (
        "series,at,start,value,good,total\n"  # 1
        "vpn-latency,2024-04-02T10:00:00Z,,12.4,,\n"  # 2: fine
        "vpn-latncy,2024-04-02T10:00:00Z,,12.4,,\n"  # 3
        "vpn-latency,2024-04-02T10:00:00Z,,fast,,\n"  # 4
        "vpn-latency,2024-04-02T10:00:00Z,,-1.5,,\n"  # 5
        "vpn-loss,2024-04-02T10:00:00Z,2024-04-02T10:05:00Z,,1,2\n"  # 6
        "vpn-latency,2024-04-02T10:00:00,,1,,\n"  # 7
        "vpn-loss,2024-04-02T10:05:00Z,2024-04-02T10:00:00Z,,3,2\n"  # 8
        "vpn-loss,2024-04-02T10:05:00Z,2024-04-02T10:00:00Z,,3,\n"  # 9
        "vpn-loss,2024-04-02T10:05:00Z,,12,,\n"  # 10
        ",2024-04-02T10:05:00Z,,12,,\n"  # 11
        "vpn-latency,2024-04-02T10:00:00Z,,1\n"  # 12
        "vpn-latency,2024-04-02T10:00:00Z,,,,\n"  # 13
        "vpn-loss,2024-04-02T10:05:00Z,,,2.5,-3\n"  # 14
    )
    path = write(tmp_path, "m.csv", text)
    found, problems = read_measurement_file(path, series_by_id=SERIES)
    assert found == []
    assert shown(problems) == [
        f"{path}:3: series: unknown series 'vpn-latncy'; declared: delay, voice-packets, "
        "vpn-latency, vpn-loss",
        f"{path}:4: value: 'fast' is not a number",
        f"{path}:5: value: a measured value cannot be negative (-1.5)",
        f"{path}:6: at: the interval stops (2024-04-02T10:00:00+00:00) before it starts "
        "(2024-04-02T10:05:00+00:00)",
        f"{path}:7: at: timestamp '2024-04-02T10:00:00' has no timezone; add Z for UTC or an "
        "offset like +02:00",
        f"{path}:8: good: good (3) is more than total (2)",
        f"{path}:9: total: good and total go together",
        f"{path}:10: good: series 'vpn-loss' is loss: a loss measurement needs good and total",
        f"{path}:11: series: this field is required",
        f"{path}:12: <document>: expected 6 cells, as the header on line 1 names, found 4",
        f"{path}:13: <document>: a measurement needs a value, good and total, or sent_at and "
        "received_at",
        f"{path}:14: good: '2.5' is not a whole number",
        f"{path}:14: total: a count cannot be negative (-3)",
    ]


def test_without_the_declared_series_any_series_is_taken() -> None:
    text = "series,at,value\nanything,2024-04-02T10:00:00Z,1\n"
    (m,), problems = parse_measurements(text, "csv")
    assert problems == []
    assert m.series == "anything"


def test_no_series_declared_says_so() -> None:
    text = "series,at,value\nanything,2024-04-02T10:00:00Z,1\n"
    _, (problem,) = parse_measurements(text, "csv", series_by_id={})
    assert problem.message == "unknown series 'anything'; no series is declared"


def test_a_one_way_delay_takes_a_value_or_packet_times() -> None:
    text = (
        "series,at,value,sent_at,received_at\n"
        "delay,2024-04-02T10:00:00Z,4.5,,\n"
        "delay,2024-04-02T10:00:00Z,,2024-04-02T10:00:00Z,2024-04-02T10:00:00.004Z\n"
        "voice-packets,2024-04-02T10:00:00Z,4.5,,\n"
    )
    found, problems = parse_measurements(text, "csv", series_by_id=SERIES, file="d.csv")
    assert found == []
    assert shown(problems) == [
        "d.csv:4: sent_at: series 'voice-packets' is packets: a packets measurement needs "
        "sent_at and received_at"
    ]
    found, problems = parse_measurements(text.rsplit("voice", 1)[0], "csv", series_by_id=SERIES)
    assert problems == []
    assert len(found) == 2


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "series,when,value\n",
            [
                "f.csv:1: when: unknown column 'when'; columns are series, at, "
                "start, value, good, total, sent_at, received_at, sequence",
                "f.csv:1: at: missing column 'at' (required: series, at)",
            ],
        ),
        ("series,at,at\n", ["f.csv:1: at: column 'at' appears twice"]),
        (
            "",
            [
                "f.csv: <document>: no header row; columns are series, at, start, value, good, "
                "total, sent_at, received_at, sequence"
            ],
        ),
        (
            'series,at,value\nvpn-latency,2024-04-02T10:00:00Z,"12\n',
            [
                "f.csv:2: <document>: CSV syntax error: unexpected end of data (a quoted cell that "
                "starts in this row is never closed)"
            ],
        ),
    ],
)
def test_header_and_syntax_problems(text: str, expected: list[str]) -> None:
    found, problems = parse_measurements(text, "csv", series_by_id=SERIES, file="f.csv")
    assert found == []
    assert shown(problems) == expected


def test_a_quoted_cell_over_two_lines_keeps_the_line_it_starts_on() -> None:
    text = (
        'series,at,value\n"vpn-\nlatency",2024-04-02T10:00:00Z,1\nvpn-latency,'
        "2024-04-02T10:00:00Z,x\n"
    )
    _, problems = parse_measurements(text, "csv", series_by_id=SERIES, file="f.csv")
    assert shown(problems) == [
        "f.csv:2: series: unknown series 'vpn-\\nlatency'; declared: delay, voice-packets, "
        "vpn-latency, vpn-loss",
        "f.csv:4: value: 'x' is not a number",
    ]


def test_rows_of_empty_cells_are_skipped() -> None:
    text = "series,at,value\n,,\nvpn-latency,2024-04-02T10:00:00Z,1\n , , \n"
    found, problems = parse_measurements(text, "csv", series_by_id=SERIES)
    assert problems == []
    assert len(found) == 1


def test_reading_stops_after_enough_problems() -> None:
    text = "series,at,value\n" + "vpn-latency,2024-04-02T10:00:00Z,x\n" * 10
    _, problems = parse_measurements(text, "csv", file="f.csv", max_problems=3)
    assert shown(problems) == [
        "f.csv:2: value: 'x' is not a number",
        "f.csv:3: value: 'x' is not a number",
        "f.csv:4: value: 'x' is not a number",
        "f.csv: <document>: stopped after 3 problems; fix these and read the file again",
    ]


# --- JSON Lines and JSON ------------------------------------------------------------------------


def test_json_lines_are_located_at_line_and_column(tmp_path: Path) -> None:
    lines = [
        '{"series": "vpn-latency", "at": "2024-04-02T10:00:00Z", "value": 12.5}',
        "",
        '{"series": "vpn-latency", "at": "2024-04-02T10:00:00Z", "value": "slow"}',
        '{"series": "vpn-latency", "at": "2024-04-02T10:00:00Z", "colour": 1, "value": 1}',
        '{"series": "vpn-latency", "at": 1712052000, "value": 1}',
        "[1, 2]",
        '{"series": "vpn-latency",',
    ]
    path = write(tmp_path, "m.jsonl", "\n".join(lines) + "\n")
    found, problems = read_measurement_file(path, series_by_id=SERIES)
    assert found == []
    column = lines[2].index('"slow"') + 1
    colour = lines[3].index("1,") + 1
    at = lines[4].index("1712") + 1
    assert shown(problems) == [
        f"{path}:3:{column}: value: 'slow' is not a number",
        f"{path}:4:{colour}: colour: unknown field 'colour'; fields are "
        + ", ".join(MEASUREMENT_COLUMNS),
        f"{path}:5:{at}: at: expected an RFC 3339 timestamp as text, e.g. 2024-04-02T10:02:00Z",
        f"{path}:6:1: <document>: expected a JSON object",
        f"{path}:7:26: <document>: invalid JSON: Expecting property name enclosed in double quotes",
    ]


def test_json_numbers_are_read_exactly(tmp_path: Path) -> None:
    lines = [
        '{"series": "vpn-latency", "at": "2024-04-02T10:00:00Z", "value": 0.1}',
        '{"series": "vpn-latency", "at": "2024-04-02T10:00:00Z", "value": 12}',
        '{"series": "vpn-loss", "at": "2024-04-02T10:00:00Z", "good": 9, "total": 10.0}',
    ]
    path = write(tmp_path, "m.ndjson", "\n".join(lines))
    found, problems = read_measurement_file(path, series_by_id=SERIES)
    assert problems == []
    assert [str(m.value) for m in found[:2]] == ["0.1", "12"]
    assert (found[2].good, found[2].total) == (9, 10)


def test_the_api_body_has_paths() -> None:
    body: dict[str, Any] = {
        "measurements": [
            {"series": "vpn-latency", "at": "2024-04-02T10:00:00Z", "value": 0.1},
            {"series": "vpn-latency", "at": "2024-04-02T10:00:00Z", "value": True},
            {"series": "vpn-latency", "at": "2024-04-02T10:00:00Z"},
            {"series": "vpn-latency", "at": "2024-04-02T10:00:00Z", "value": -2},
            "not an object",
        ],
        "extra": 1,
    }
    found, problems = parse_measurements_json(body, series_by_id=SERIES)
    assert found == []
    assert [(p.path, p.message) for p in problems] == [
        (("extra",), "unknown field 'extra'; expected 'measurements'"),
        (("measurements", 1, "value"), "expected a number, not true"),
        (
            ("measurements", 2),
            "a measurement needs a value, good and total, or sent_at and received_at",
        ),
        (("measurements", 3, "value"), "a measured value cannot be negative (-2)"),
        (("measurements", 4), "expected a JSON object"),
    ]
    assert all(p.location.file == "<request>" for p in problems)
    (m,), problems = parse_measurements_json(body["measurements"][:1], series_by_id=SERIES)
    assert problems == []
    assert m.value == Decimal("0.1")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "measurements: this field is required"),
        ({"measurements": {}}, "measurements: expected a JSON array"),
        ("text", 'expected a JSON object {"measurements": [...]} or a JSON array'),
    ],
)
def test_the_api_body_shape(body: object, message: str) -> None:
    found, problems = parse_measurements_json(body)
    assert found == []
    assert [f"{p.dotted_path}: {p.message}".removeprefix("<document>: ") for p in problems] == [
        message
    ]


def test_a_json_file_is_located_at_line_and_column(tmp_path: Path) -> None:
    text = json.dumps(
        {
            "measurements": [
                {"series": "vpn-latency", "at": "2024-04-02T10:00:00Z", "value": 1},
                {"series": "vpn-latency", "at": "2024-04-02T10:00:00Z", "start": "soon"},
            ]
        },
        indent=2,
    )
    path = write(tmp_path, "m.json", text)
    found, problems = read_measurement_file(path, series_by_id=SERIES)
    line = next(i for i, row in enumerate(text.splitlines(), 1) if '"soon"' in row)
    column = text.splitlines()[line - 1].index('"soon"') + 1
    assert found == []
    assert shown(problems) == [
        f"{path}:{line}:{column}: measurements[1].start: 'soon' is not an RFC 3339 timestamp "
        "(e.g. 2024-04-02T10:02:00Z)"
    ]
    _, (syntax,) = parse_measurements('{"measurements": [', "json", file="m.json")
    assert str(syntax) == "m.json:1:19: <document>: invalid JSON: Expecting value"


# --- Files ----------------------------------------------------------------------------------------


def test_the_format_comes_from_the_name_or_is_given(tmp_path: Path) -> None:
    path = write(tmp_path, "m.txt", "series,at,value\nvpn-latency,2024-04-02T10:00:00Z,1\n")
    _, (problem,) = read_measurement_file(path)
    assert problem.message == (
        "cannot tell the format from the file name; name it .csv, .jsonl, .ndjson, .json or give it"
    )
    found, problems = read_measurement_file(path, fmt="csv")
    assert problems == []
    assert len(found) == 1
    with pytest.raises(ValueError, match="unknown format 'xml'"):
        read_measurement_file(path, fmt="xml")  # type: ignore[arg-type]


def test_unreadable_files(tmp_path: Path) -> None:
    _, (missing,) = read_measurement_file(tmp_path / "gone.csv")
    assert missing.message == "cannot read: No such file or directory"
    path = tmp_path / "latin1.csv"
    path.write_bytes(
        "series,at,value\nlatence-\xe9t\xe9,2024-04-02T10:00:00Z,1\n".encode("latin-1")
    )
    _, (binary,) = read_measurement_file(path)
    assert binary.message == "not UTF-8 text: invalid continuation byte"


# --- Idempotency keys ---------------------------------------------------------------------------


def test_the_key_is_the_identity_of_a_measurement() -> None:
    m = Measurement(series="vpn-latency", at=T0, value=Decimal("12.4"))
    text = "vpn-latency\x1f2024-04-02T10:00:00.000000+00:00\x1f\x1f\x1f"
    assert measurement_key(m) == hashlib.sha256(text.encode()).hexdigest()
    paris = T0.astimezone(timezone(timedelta(hours=2)))
    same = Measurement(series="vpn-latency", at=paris, value=Decimal(13))
    assert measurement_key(same) == measurement_key(m)  # a corrected value replaces the first
    others = [
        Measurement(series="vpn-loss", at=T0, value=1),
        Measurement(series="vpn-latency", at=T0 + timedelta(microseconds=1), value=1),
        Measurement(series="vpn-latency", at=T0, start=T0, value=1),
        Measurement(series="vpn-latency", at=T0, sent_at=T0, received_at=T0),
        Measurement(series="vpn-latency", at=T0, sent_at=T0, received_at=T0, sequence=1),
    ]
    keys = {measurement_key(o) for o in others}
    assert len(keys) == len(others)
    assert measurement_key(m) not in keys


def test_the_same_line_twice_has_the_same_key() -> None:
    line = "vpn-loss,2024-04-02T10:05:00Z,2024-04-02T10:00:00Z,,29991,30000\n"
    found, _ = parse_measurements("series,at,start,value,good,total\n" + line * 2, "csv")
    assert measurement_key(found[0]) == measurement_key(found[1])


# --- The fast way agrees with the careful way -------------------------------------------------


def test_a_built_measurement_has_every_field_of_the_record() -> None:
    assert tuple(Measurement.__dataclass_fields__) == MEASUREMENT_COLUMNS
    (m,), _ = parse_measurements(GOOD_CSV.splitlines()[0] + "\n" + GOOD_CSV.splitlines()[4], "csv")
    checked = Measurement(**{name: getattr(m, name) for name in MEASUREMENT_COLUMNS})
    assert m == checked
    assert hash(m) == hash(checked)


CELLS = {
    "series": st.sampled_from(["vpn-latency", "vpn-loss", "voice-packets", "delay", "x", " ", ""]),
    "at": st.sampled_from(
        [
            "2024-04-02T10:00:00Z",
            "2024-04-02T10:00:00.5+02:00",
            "2024-04-02t10:00:00z",
            "2024-04-02T10:00:00",
            "2024-02-30T10:00:00Z",
            "",
        ]
    ),
    "start": st.sampled_from(["", "2024-04-02T09:55:00Z", "2024-04-02T10:05:00Z", "x"]),
    "value": st.sampled_from(["", "12.5", "0", "-1", "NaN", "1e3", " 4 ", "x", "1_0"]),
    "good": st.sampled_from(["", "0", "5", "10", "-1", "+3", " 7", "2.0", "x", "1_0"]),
    "total": st.sampled_from(["", "10", "5", "0"]),
    "sent_at": st.sampled_from(["", "2024-04-02T10:00:00Z"]),
    "received_at": st.sampled_from(["", "2024-04-02T10:00:00.01Z", "x"]),
    "sequence": st.sampled_from(["", "1", "-2", "x"]),
}


def careful(fields: dict[str, Any], declared: dict[str, Series] | None) -> Measurement | None:
    problems: list[Problem] = []
    made = measurement_reader(declared).build(Row(fields, "f", 1, (), problems))
    return made if not problems else None


VALID_ROWS = [
    {"series": "vpn-latency", "at": "2024-04-02T10:00:00Z", "value": "12.5"},
    {
        "series": "vpn-loss",
        "at": "2024-04-02T10:00:00Z",
        "start": "2024-04-02T09:55:00Z",
        "good": "5",
        "total": "10",
    },
    {
        "series": "voice-packets",
        "at": "2024-04-02T10:00:00.01Z",
        "sent_at": "2024-04-02T10:00:00Z",
        "received_at": "2024-04-02T10:00:00.01Z",
        "sequence": "1",
    },
    {"series": "delay", "at": "2024-04-02T10:00:00.5+02:00", "value": "0"},
]
"""Rows the careful way takes; the strategies below change some of their cells."""


@st.composite
def csv_rows(draw: st.DrawFn) -> dict[str, str]:
    row = dict.fromkeys(MEASUREMENT_COLUMNS, "") | draw(st.sampled_from(VALID_ROWS))
    for name in draw(st.lists(st.sampled_from(MEASUREMENT_COLUMNS), max_size=3)):
        row[name] = draw(CELLS[name])
    return row


@given(csv_rows(), st.booleans())
def test_the_fast_csv_way_takes_only_what_the_careful_way_takes(
    cells: dict[str, str], check_series: bool
) -> None:
    declared = SERIES if check_series else None
    reader = measurement_reader(declared)
    assert reader.fast_csv is not None
    header = tuple(cells)
    fast = reader.fast_csv(header)([cells[h] for h in header])
    slow = careful({k: v for k, v in cells.items() if v}, declared)
    if fast is not None:
        assert fast == slow
    if (
        slow is not None
        and "z" not in cells["at"]
        and all(
            v == v.strip() and "_" not in v and not v.startswith(("+", "-")) for v in cells.values()
        )
    ):
        assert fast == slow  # the common forms do not need the careful way


def test_the_valid_rows_take_the_fast_way() -> None:
    reader = measurement_reader(SERIES)
    assert reader.fast_csv is not None
    for row in VALID_ROWS:
        cells = dict.fromkeys(MEASUREMENT_COLUMNS, "") | row
        assert reader.fast_csv(MEASUREMENT_COLUMNS)([cells[h] for h in MEASUREMENT_COLUMNS])


JSON_VALUES = {
    "series": st.sampled_from(["vpn-latency", "vpn-loss", "voice-packets", 5, None]),
    "at": st.sampled_from(["2024-04-02T10:00:00Z", "2024-04-02T10:00:00", 1712052000, None, ""]),
    "start": st.sampled_from([None, "2024-04-02T09:55:00Z", "2024-04-02T10:05:00Z"]),
    "value": st.sampled_from(
        [None, Decimal("12.5"), 3, -1, Decimal("-0.5"), 0.25, "7", True, Decimal("NaN")]
    ),
    "good": st.sampled_from([None, 0, 5, 11, -1, True, Decimal("3.0"), "4"]),
    "total": st.sampled_from([None, 10, 5]),
    "sent_at": st.sampled_from([None, "2024-04-02T10:00:00Z"]),
    "received_at": st.sampled_from([None, "2024-04-02T10:00:00.01Z"]),
    "sequence": st.sampled_from([None, 1, "2", False]),
}


@st.composite
def json_objects(draw: st.DrawFn) -> dict[str, Any]:
    base = draw(st.sampled_from(VALID_ROWS))
    item: dict[str, Any] = {
        k: int(v) if k in ("good", "total", "sequence") else v for k, v in base.items()
    }
    if "value" in item:
        item["value"] = Decimal(item["value"])
    for name in draw(st.lists(st.sampled_from(MEASUREMENT_COLUMNS), max_size=3)):
        item[name] = draw(JSON_VALUES[name])
    return item


@given(json_objects(), st.booleans(), st.booleans())
def test_the_fast_json_way_takes_only_what_the_careful_way_takes(
    item: dict[str, Any], check_series: bool, extra: bool
) -> None:
    declared = SERIES if check_series else None
    reader = measurement_reader(declared)
    assert reader.fast_object is not None
    if extra:
        item = {**item, "colour": "red"}
    fast = reader.fast_object(item)
    if fast is not None:
        assert not extra
        assert fast == careful(item, declared)
    made, _ = parse_measurements_json([item], series_by_id=declared)
    if fast is not None:
        assert made == [fast]
    natural = {
        "value": (Decimal, int),
        "good": (int,),
        "total": (int,),
        "sequence": (int,),
    }
    if (
        made
        and not extra
        and all(v is None or type(v) in natural.get(k, (str,)) for k, v in item.items())
    ):
        assert made == [fast]  # JSON as it is usually written does not need the careful way


offsets = st.one_of(
    st.just("Z"),
    st.builds(
        lambda sign, h, m: f"{sign}{h:02d}:{m:02d}",
        st.sampled_from("+-"),
        st.integers(0, 23),
        st.integers(0, 59),
    ),
)


@given(
    st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1)),  # noqa: DTZ001
    st.integers(0, 9),
    offsets,
)
def test_timestamps_read_as_the_house_parser_reads_them(
    moment: datetime, digits: int, offset: str
) -> None:
    fraction = f"{moment.microsecond:06d}{moment.microsecond % 1000:03d}"[:digits]
    text = moment.strftime("%Y-%m-%dT%H:%M:%S") + (f".{fraction}" if digits else "") + offset
    assert to_timestamp(text) == parse_timestamp(text)
    assert to_timestamp(text).tzinfo is UTC
