"""``servanda events``: ingest files (all or nothing per file), unmapped events, statistics."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .cli_support import LOCATED, no_traceback, ok, ok_json, run


def alert(
    instance: str, name: str, status: str = "firing", starts: str = "10:00"
) -> dict[str, Any]:
    return {
        "status": status,
        "labels": {"alertname": name, "instance": instance, "severity": "critical"},
        "annotations": {"summary": f"{name} on {instance}"},
        "startsAt": f"2024-04-02T{starts}:00Z",
        "endsAt": "0001-01-01T00:00:00Z" if status == "firing" else "2024-04-02T11:00:00Z",
        "generatorURL": "http://prometheus/graph",
        "fingerprint": f"{abs(hash((instance, name))) % 10**16:016x}",
    }


def payload(*alerts: dict[str, Any]) -> dict[str, Any]:
    return {
        "version": "4",
        "groupKey": "{}:{}",
        "status": "firing",
        "receiver": "servanda",
        "groupLabels": {},
        "commonLabels": {},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager",
        "alerts": list(alerts),
    }


def storm(tmp_path: Path) -> Path:
    path = tmp_path / "storm.json"
    alerts = [
        alert("core-router-1.metro.example:9100", "NodeDown"),
        alert("printer-3.office:9100", "TonerLow", starts="10:01"),
    ]
    path.write_text(json.dumps(payload(*alerts)), encoding="utf-8")
    return path


def test_ingest_counts_and_is_idempotent(loaded: str, tmp_path: Path) -> None:
    path = storm(tmp_path)
    first = ok_json("events", "ingest", path, "--format", "json", db=loaded)
    assert first["ok"] is True
    [counts] = first["files"]
    assert (counts["received"], counts["new"], counts["unmapped"]) == (2, 2, 1)
    assert counts["incidents_opened"] == 2

    again = ok("events", "ingest", "-i", "alertmanager", path, db=loaded)
    assert "2 events, 0 new, 2 duplicates" in again.stdout
    assert "0 opened, 0 updated" in again.stdout


def test_a_bad_file_is_not_ingested_and_exits_1(loaded: str, tmp_path: Path) -> None:
    good = storm(tmp_path)
    bad = tmp_path / "bad.json"
    broken = payload(alert("core-router-2:9100", "NodeDown"), alert("sw-paris-8", "Down"))
    broken["alerts"][1]["startsAt"] = "yesterday"
    bad.write_text(json.dumps(broken, indent=2), encoding="utf-8")

    result = run("events", "ingest", bad, good, db=loaded)
    assert result.exit_code == 1
    no_traceback(result)
    lines = result.stderr.strip().splitlines()
    assert lines
    assert all(LOCATED.match(line) for line in lines), lines
    assert "bad.json: not ingested" in result.stdout
    assert "storm.json: 2 events, 2 new" in result.stdout
    # Nothing of the bad file was stored: core-router-2 has no incident.
    listed = ok_json("incidents", "list", "--root", "core-router-2", "--format", "json", db=loaded)
    assert listed == []


def test_an_unknown_input_format_is_a_usage_error(loaded: str, tmp_path: Path) -> None:
    result = run("events", "ingest", "--input-format", "csv", storm(tmp_path), db=loaded)
    assert result.exit_code == 2
    assert "--input-format" in result.stderr


def test_generic_json_lines(loaded: str, tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    lines = [
        {"source": "nms", "labels": {"node": "uplink-a"}, "status": "firing",
         "start": "2024-04-02T10:00:00Z", "summary": "uplink-a down"},
        {"source": "nms", "labels": {"node": "lab-7"}, "status": "firing",
         "start": "2024-04-02T10:00:00Z"},
    ]  # fmt: skip
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n", encoding="utf-8")
    counts = ok_json("events", "ingest", "-i", "generic", path, "--format", "json", db=loaded)
    assert counts["files"][0]["new"] == 2
    assert counts["files"][0]["unmapped"] == 1


def test_unmapped_and_stats(loaded: str, tmp_path: Path) -> None:
    ok("events", "ingest", storm(tmp_path), db=loaded)
    unmapped = ok_json("events", "unmapped", "--format", "json", db=loaded)
    assert unmapped["total"] == 1
    assert unmapped["events"][0]["labels"]["instance"] == "printer-3.office:9100"
    assert "Unmapped events (1 in all)" in ok("events", "unmapped", db=loaded).stdout

    period = ["--since", "2024-04-02", "--until", "2024-04-03"]
    stats = ok_json("events", "stats", *period, "--format", "json", db=loaded)
    assert (stats["alerts_in"], stats["incidents_out"], stats["unmapped"]) == (2, 2, 1)
    assert stats["sources"] == [{"name": "alertmanager", "count": 2}]
    text = ok("events", "stats", *period, db=loaded).stdout
    assert "alerts in: 2" in text
    assert "reduction: 0.0%" in text

    wrong = run("events", "stats", "--since", "2024-04-03", "--until", "2024-04-02", db=loaded)
    assert wrong.exit_code == 2
    assert run("events", "stats", "--since", "soon", db=loaded).exit_code == 2
