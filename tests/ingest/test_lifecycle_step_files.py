"""Lifecycle step files: the sample export reads; CSV problems are located at line and column;
JSON Lines and JSON documents read the same rows."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from servanda.core.problems import Location, Problem
from servanda.ingest.lifecycle_steps import (
    locate_in_csv,
    parse_steps,
    parse_steps_json,
    read_steps_file,
)

SAMPLE = Path(__file__).parent / "samples" / "lifecycle" / "ticket-export.csv"


def test_the_sample_export_reads() -> None:
    rows, problems, text = read_steps_file(SAMPLE)
    assert problems == []
    assert text is not None
    assert len(rows) == 8
    first = rows[0]
    assert (first.step, first.alert, first.incident) == ("acknowledge", "probe/origin-arena/http",
                                                         None)  # fmt: skip
    assert first.at == datetime(2024, 5, 6, 17, 7, 40, tzinfo=UTC)
    assert first.note == "NOC-5120: Arena's origin unreachable, their on-call called"
    assert (first.location.file, first.location.line) == (str(SAMPLE), 2)
    validated = rows[5]
    assert (validated.step, validated.on_behalf_of) == ("validate", "horizon-sport")


def test_csv_problems_are_located_at_their_cell() -> None:
    text = (
        "incident,alert,step,time,by,note\n"
        'inc-1,,Fix,2024-04-11T12:05:00,"bob, ""the"" agent",x\n'
        ',,ack,2024-04-11T12:05:00Z,,"two\nlines"\n'
        "inc-2,fp-2,ACK,2024-04-11T12:05:00Z,,\n"
    )
    rows, problems = parse_steps(text, "csv", file="t.csv")
    assert rows == []
    assert [str(p) for p in problems] == [
        "t.csv:2:8: step: 'Fix' is not a step; steps are ack, acknowledge, correct, validate, "
        "close, reopen",
        "t.csv:2:12: time: timestamp '2024-04-11T12:05:00' has no timezone; add Z for UTC or an "
        "offset like +02:00",
        "t.csv:3:1: incident: name the incident (its id) or one of its alerts (alert)",
        "t.csv:5:7: alert: name the incident or one of its alerts, not both",
    ]
    # A problem found later, at a cell after a quoted cell spanning two lines.
    later = Problem("later", Location("t.csv", 3), ("note",))
    (moved,) = locate_in_csv([later], text)
    assert (moved.location.line, moved.location.column) == (3, 29)


def test_json_lines_and_json_read_the_same_rows() -> None:
    items = [
        {"incident": "inc-1", "step": "ack", "time": "2024-04-11T12:05:00+02:00", "by": "al"},
        {"alert": "fp", "step": "Reopen", "time": "2024-04-11T13:00:00Z", "note": " back "},
    ]
    lines, wrong = parse_steps("\n".join(json.dumps(i) for i in items), "jsonl", file="t.jsonl")
    assert wrong == []
    whole, wrong = parse_steps_json({"steps": items})
    assert wrong == []
    assert [(r.step, r.at, r.by, r.note) for r in lines] == [
        (r.step, r.at, r.by, r.note) for r in whole
    ]
    assert [r.step for r in whole] == ["acknowledge", "reopen"]
    assert whole[1].note == "back"
    assert whole[1].path == ("steps", 1)
    _, problems = parse_steps_json({"steps": [{"incident": "x", "step": "ack"}]})
    assert [(p.path, p.message) for p in problems] == [
        (("steps", 0, "time"), "this field is required")
    ]
