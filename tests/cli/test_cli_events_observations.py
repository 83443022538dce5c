"""``servanda events ingest`` of one file holding several observations of one alert."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .cli_support import ok_json


def alert(status: str, starts: str, ends: str | None = None) -> dict[str, Any]:
    return {
        "status": status,
        "labels": {"alertname": "LinkFlap", "instance": "nowhere.example:1", "severity": "warning"},
        "annotations": {"summary": "link flaps"},
        "startsAt": f"2024-04-03T{starts}Z",
        "endsAt": f"2024-04-03T{ends}Z" if ends else "0001-01-01T00:00:00Z",
    }


def test_resolved_firing_refired_resolved_in_one_file_is_ingested(
    loaded: str, tmp_path: Path
) -> None:
    body = {
        "version": "4",
        "status": "firing",
        "receiver": "servanda",
        "groupKey": "{}:{}",
        "groupLabels": {},
        "commonLabels": {},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager",
        "alerts": [
            alert("resolved", "03:24:30", "03:25:00"),
            alert("firing", "04:37:30"),
            alert("firing", "04:41:30"),
            alert("resolved", "04:57:30", "04:58:00"),
        ],
    }
    path = tmp_path / "flap.json"
    path.write_text(json.dumps(body), encoding="utf-8")
    out = ok_json("events", "ingest", "-i", "alertmanager", path, db=loaded)
    [counts] = out["files"]
    assert (counts["received"], counts["new"], counts["unmapped"]) == (4, 4, 4)
    listed = ok_json(
        "incidents", "list", "--since", "2024-04-03", "--until", "2024-04-04", db=loaded
    )
    rows = listed if isinstance(listed, list) else listed["incidents"]
    assert rows, "the unmapped alert is seen as incidents"
    assert all(r["root"] is None for r in rows)
    # The clock is far past the flapping quiet period: every incident has resolved.
    assert all(r["resolved_at"] for r in rows if r.get("merged_into") is None)
