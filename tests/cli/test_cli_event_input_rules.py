"""``servanda events ingest`` refuses what the HTTP API refuses, with a located problem and exit
1, never a traceback: JSON nested thousands deep, lone surrogates, NUL characters, and what
Alertmanager's validation of an alert refuses. A notification Alertmanager truncated adds its
notice."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .cli_support import LOCATED, no_traceback, ok_json, run
from .test_cli_events import alert, payload

DEEP = 5000


def refused(path: Path, db: str, *options: str) -> list[str]:
    """The problem lines of a refused file (exit 1, nothing stored)."""
    result = run("events", "ingest", *options, path, db=db)
    assert result.exit_code == 1, result.stdout + result.stderr
    no_traceback(result)
    lines = result.stderr.strip().splitlines()
    assert lines
    assert all(LOCATED.match(line) for line in lines), lines
    assert "not ingested" in result.stdout
    unmapped = ok_json("events", "unmapped", "--format", "json", db=db)
    assert unmapped["total"] == 0
    return lines


def test_a_document_nested_thousands_deep(loaded: str, tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text("\n\n" + "[" * DEEP + "]" * DEEP, encoding="utf-8")
    [line] = refused(path, loaded)
    match = LOCATED.match(line)
    assert match is not None
    assert match["line"] == "3"
    assert int(match["column"]) > 1000
    assert "nest deeper than 1024" in line


def test_a_json_lines_line_nested_thousands_deep(loaded: str, tmp_path: Path) -> None:
    path = tmp_path / "deep.jsonl"
    good = json.dumps(payload(alert("printer-1:9100", "Jam")))
    deep = '{"alerts": [{"labels": {"a": ' + "[" * DEEP + "]" * DEEP + "}}]}"
    path.write_text(good + "\n" + deep + "\n", encoding="utf-8")
    [line] = refused(path, loaded)
    assert line.startswith(f"{path}:2:")
    assert "nest deeper than 1024" in line


@pytest.mark.parametrize(
    ("escape", "words"), [("\\ud800", "lone surrogate"), ("\\u0000", "NUL character")]
)
def test_bad_characters_are_located_at_their_field(
    loaded: str, tmp_path: Path, escape: str, words: str
) -> None:
    sent = payload(alert("printer-1:9100", "Jam"), alert("printer-2:9100", "Jam"))
    sent["alerts"][1]["annotations"]["summary"] = "MARK"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(sent, indent=2).replace("MARK", escape), encoding="utf-8")
    [line] = refused(path, loaded)
    assert ": alerts[1].annotations.summary: " in line
    assert words in line
    text = path.read_text(encoding="utf-8").splitlines()
    match = LOCATED.match(line)
    assert match is not None
    assert escape in text[int(match["line"]) - 1]


def test_alertmanager_validation_applies_to_files(loaded: str, tmp_path: Path) -> None:
    sent = payload(alert("printer-1:9100", "Jam"), alert("printer-2:9100", "Jam"))
    sent["alerts"][0]["labels"] = {}
    sent["alerts"][1]["labels"]["bad-name"] = "x"
    path = tmp_path / "invalid.json"
    path.write_text(json.dumps(sent, indent=2), encoding="utf-8")
    lines = refused(path, loaded)
    assert any(": alerts[0].labels: " in line and "at least one label" in line for line in lines)
    assert any(": alerts[1].labels.bad-name: invalid name" in line for line in lines)


def test_a_truncated_notification_adds_its_notice_once(loaded: str, tmp_path: Path) -> None:
    sent = payload(alert("printer-1:9100", "Jam"), alert("printer-2:9100", "Jam"))
    sent["truncatedAlerts"] = 40
    path = tmp_path / "truncated.json"
    path.write_text(json.dumps(sent), encoding="utf-8")
    first = ok_json("events", "ingest", path, "--format", "json", db=loaded)["files"][0]
    assert (first["received"], first["new"]) == (3, 3)
    again = ok_json("events", "ingest", path, "--format", "json", db=loaded)["files"][0]
    assert (again["new"], again["duplicates"]) == (0, 3)
    unmapped = ok_json("events", "unmapped", "--format", "json", db=loaded)["events"]
    [notice] = [e for e in unmapped if e["source"] == "servanda"]
    assert notice["labels"]["alertname"] == "ServandaNotificationTruncated"
    assert notice["labels"]["receiver"] == "servanda"
    assert "left 40 of 42 alerts out" in notice["summary"]
    assert "max_alerts: 0" in notice["summary"]
