"""Event files: JSON and JSON Lines, all or nothing per file, problems at file:line:column."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from servanda.events.model import Status
from servanda.ingest.event_files import json_marks, read_event_file

SAMPLES = Path(__file__).parent / "samples" / "alertmanager"
NOW = datetime(2026, 9, 1, tzinfo=UTC)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def generic(host: str, **changes: str) -> str:
    item = {
        "source": "nagios",
        "labels": {"host": host},
        "status": "firing",
        "start": "2024-04-02T10:02:00Z",
        **changes,
    }
    return json.dumps(item)


def test_alertmanager_json_file(tmp_path: Path) -> None:
    name = "prom2teams__tests__data__jsons__all_ok_multiple.json"
    path = tmp_path / name
    shutil.copy(SAMPLES / name, path)
    events, problems = read_event_file(path, "alertmanager", received_at=NOW)
    assert problems == []
    assert [e.label("instance") for e in events] == ["cs30.evilcorp", "cs31.evilcorp"]


def test_field_problem_is_located_at_its_line_and_column(tmp_path: Path) -> None:
    text = (SAMPLES / "servanda__reference__alertmanager-webhook.json").read_text("utf-8")
    bad = text.replace('"2026-08-22T14:03:27.143Z"', '"2026-08-22 14:03"')
    path = write(tmp_path, "hook.json", bad)
    events, problems = read_event_file(path, "alertmanager", received_at=NOW)
    assert events == []
    [problem] = problems
    line = next(i for i, row in enumerate(bad.splitlines(), 1) if '"startsAt"' in row)
    column = bad.splitlines()[line - 1].index('"2026') + 1
    assert str(problem) == (
        f"{path}:{line}:{column}: alerts[0].startsAt: '2026-08-22 14:03' is not an RFC 3339 "
        "timestamp (e.g. 2024-04-02T10:02:00Z)"
    )


def test_missing_field_is_located_at_its_object(tmp_path: Path) -> None:
    text = '{\n  "alerts": [\n    {"startsAt": "2024-04-02T10:00:00Z"}\n  ]\n}\n'
    path = write(tmp_path, "hook.json", text)
    _, problems = read_event_file(path, "alertmanager", received_at=NOW)
    assert [(p.location.line, p.location.column, p.dotted_path) for p in problems] == [
        (3, 5, "alerts[0].labels")
    ]


def test_json_syntax_error_has_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, "hook.json", '{\n  "alerts": [\n    {"labels": }\n  ]\n}\n')
    events, problems = read_event_file(path, "alertmanager", received_at=NOW)
    assert events == []
    assert [str(p) for p in problems] == [f"{path}:3:16: <document>: invalid JSON: Expecting value"]


def test_generic_json_batch_and_bare_list(tmp_path: Path) -> None:
    batch = write(tmp_path, "batch.json", '{"events": [' + generic("db-1") + "]}")
    bare = write(tmp_path, "bare.json", "[" + generic("db-1") + "," + generic("db-2") + "]")
    assert len(read_event_file(batch, "generic", received_at=NOW)[0]) == 1
    assert len(read_event_file(bare, "generic", received_at=NOW)[0]) == 2


def test_jsonl_generic_every_line_an_event(tmp_path: Path) -> None:
    resolved = generic("db-2", status="resolved", end="2024-04-02T10:05:00Z")
    path = write(tmp_path, "events.jsonl", f"{generic('db-1')}\n\n{resolved}\r\n")
    events, problems = read_event_file(path, "generic", received_at=NOW)
    assert problems == []
    assert [(e.label("host"), e.status) for e in events] == [
        ("db-1", Status.FIRING),
        ("db-2", Status.RESOLVED),
    ]


def test_jsonl_bad_lines_reject_the_file_and_are_all_reported(tmp_path: Path) -> None:
    lines = [
        generic("db-1"),
        generic("db-2", start="2024-04-02T10:02:00"),
        generic("db-3"),
        '{"source": "nagios", "labels": {"host": "db-4"}',
        generic("db-5", status="down"),
    ]
    path = write(tmp_path, "events.jsonl", "\n".join(lines) + "\n")
    events, problems = read_event_file(path, "generic", received_at=NOW)
    assert events == []
    start = lines[1].index('"2024') + 1
    status = lines[4].index('"down"') + 1
    assert [(p.location.line, p.location.column, p.dotted_path) for p in problems] == [
        (2, start, "start"),
        (4, len(lines[3]) + 1, "<document>"),
        (5, status, "status"),
    ]
    assert all(p.location.file == str(path) for p in problems)
    assert "has no timezone" in problems[0].message
    assert problems[1].message.startswith("invalid JSON: Expecting ',' delimiter")
    assert problems[2].message == "unknown status 'down'; expected firing or resolved"


def test_jsonl_alertmanager_one_payload_per_line(tmp_path: Path) -> None:
    names = sorted(p.name for p in SAMPLES.glob("*.json"))
    lines = [json.dumps(json.loads((SAMPLES / n).read_text("utf-8"))) for n in names]
    path = write(tmp_path, "hooks.ndjson", "\n".join(lines))
    events, problems = read_event_file(path, "alertmanager", received_at=NOW)
    assert problems == []
    assert len(events) == 7
    lines[2] = lines[2].replace('"alerts"', '"alarms"')
    path = write(tmp_path, "hooks.ndjson", "\n".join(lines))
    events, problems = read_event_file(path, "alertmanager", received_at=NOW)
    assert events == []
    assert [(p.location.line, p.location.column, p.dotted_path) for p in problems] == [
        (3, 1, "alerts")
    ]


def test_lines_can_be_forced_either_way(tmp_path: Path) -> None:
    path = write(tmp_path, "events.txt", generic("db-1") + "\n" + generic("db-2") + "\n")
    events, _ = read_event_file(path, "generic", received_at=NOW, lines=True)
    assert len(events) == 2
    _, problems = read_event_file(path, "generic", received_at=NOW)
    assert [p.location.line for p in problems] == [2]  # "Extra data" as one document


def test_unreadable_files(tmp_path: Path) -> None:
    missing = tmp_path / "nope.json"
    _, problems = read_event_file(missing, "generic", received_at=NOW)
    assert [str(p) for p in problems] == [
        f"{missing}: <document>: cannot read: No such file or directory"
    ]
    latin = tmp_path / "latin.json"
    latin.write_bytes(b'{"events": [], "x": "\xe9"}')
    _, problems = read_event_file(latin, "generic", received_at=NOW)
    assert problems[0].message.startswith("not UTF-8 text")


def test_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf[" + generic("db-1").encode() + b"]")
    assert len(read_event_file(path, "generic", received_at=NOW)[0]) == 1


def test_unknown_format_is_a_programming_error(tmp_path: Path) -> None:
    path = write(tmp_path, "x.json", "[]")
    with pytest.raises(ValueError, match="unknown event format 'csv'"):
        read_event_file(path, "csv", received_at=NOW)  # type: ignore[arg-type]


def test_json_marks() -> None:
    text = '{"a": [1, {"b\\"c": "x,y]"}, true],\n "d": {}, "e": null}'
    marks = json_marks(text)
    assert marks[()] == 0
    assert text[marks[("a",)]] == "["
    assert text[marks[("a", 0)]] == "1"
    assert text[marks[("a", 1, 'b"c')]] == '"'
    assert text[marks[("a", 2)]] == "t"
    assert text[marks[("d",)]] == "{"
    assert text[marks[("e",)]] == "n"
