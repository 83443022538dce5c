"""``servanda incidents``: list with filters, show with reasons and trail, lifecycle steps."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .cli_support import no_traceback, ok, ok_json, run


@pytest.fixture
def storm(loaded: str, tmp_path: Path) -> str:
    """core-router-1 fails at 10:00; the DNS resolvers behind it alert at 10:01."""
    path = tmp_path / "storm.jsonl"
    events = [
        {"source": "nms", "labels": {"node": "core-router-1", "alertname": "Down"},
         "status": "firing", "start": "2024-04-02T10:00:00Z", "severity": "critical"},
        *(
            {"source": "nms", "labels": {"node": f"dns-resolver-{n}", "alertname": "DnsDown"},
             "status": "firing", "start": "2024-04-02T10:01:00Z"}
            for n in (1, 2, 3)
        ),
    ]  # fmt: skip
    path.write_text("\n".join(json.dumps(e) for e in events), encoding="utf-8")
    ok("events", "ingest", "-i", "generic", path, db=loaded)
    return loaded


def root_incident(db: str) -> str:
    [found] = ok_json("incidents", "list", "--root", "core-router-1", "--format", "json", db=db)
    return str(found["id"])


def test_list_and_filters(storm: str) -> None:
    everything = ok_json("incidents", "list", "--format", "json", db=storm)
    assert everything
    inc = root_incident(storm)
    assert inc in {i["id"] for i in everything}
    detected = ok_json("incidents", "list", "--state", "detected", "--format", "json", db=storm)
    assert {i["id"] for i in detected} == {i["id"] for i in everything}
    assert ok_json("incidents", "list", "--state", "closed", "--format", "json", db=storm) == []
    assert ok_json("incidents", "list", "--until", "2024-04-01", "--format", "json", db=storm) == []
    assert "Incidents" in ok("incidents", "list", db=storm).stdout
    assert run("incidents", "list", "--state", "sleeping", db=storm).exit_code == 2


def test_show_explains_symptoms_and_keeps_the_trail(storm: str) -> None:
    inc = root_incident(storm)
    text = ok("incidents", "show", inc, db=storm).stdout
    assert "root: core-router-1" in text
    assert "Audit trail" in text
    data = ok_json("incidents", "show", inc, "--format", "json", db=storm)
    assert data["root"] == "core-router-1"
    for symptom in data["symptoms"]:
        assert "core-router-1" in symptom["reason"]
    assert data["transitions"][0]["to_state"] == "detected"
    assert isinstance(data["outages"], list)


def test_lifecycle_steps(storm: str) -> None:
    inc = root_incident(storm)
    acked = ok("incidents", "ack", inc, "--note", "on it", "--by", "alice", db=storm)
    assert f"incident {inc} is acknowledged (by alice)" in acked.stdout
    again = run("incidents", "ack", inc, db=storm)
    assert again.exit_code == 1
    assert "acknowledged" in again.stderr
    no_traceback(again)
    ok("incidents", "correct", inc, "--by", "bob", "--note", "power restored", db=storm)
    data = ok_json("incidents", "show", inc, "--format", "json", db=storm)
    assert data["state"] == "corrected"
    assert [(t["to_state"], t["by"], t["note"]) for t in data["transitions"][-2:]] == [
        ("acknowledged", "alice", "on it"),
        ("corrected", "bob", "power restored"),
    ]
    reopened = ok_json("incidents", "reopen", inc, "--by", "carol", "--format", "json", db=storm)
    assert reopened["state"] == "detected"


def test_unknown_incident(storm: str) -> None:
    for args in (("show", "inc-nope"), ("ack", "inc-nope")):
        result = run("incidents", *args, db=storm)
        assert result.exit_code == 1
        assert "no incident 'inc-nope'" in result.stderr
        no_traceback(result)
