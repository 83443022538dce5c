"""Lifecycle steps recorded after the fact over HTTP: ``at`` on a single step, and
``POST /incidents/steps`` for a ticketing export (all or nothing, oldest first, each once);
on both database backends."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from .support import NOW
from .test_events_api import Clock, Tokens, alert, api, auth, clock, network, send, webhook
from .test_incidents_api import INCIDENTS, START, get, move

__all__ = ["api", "auth", "clock", "network"]  # fixtures

STEPS = f"{INCIDENTS}/steps"
FINGERPRINT = "5e1f0c2a9b7d4e63"


def sw4(api: TestClient, auth: Tokens) -> str:
    """sw-4 fails at START and recovers 15 minutes later (tv for beta; no agreement names a
    validator); returns its incident's id."""
    down = {**alert("sw-4", START), "fingerprint": FINGERPRINT}
    send(api, auth, webhook(down))
    up = {**alert("sw-4", START, end=START + timedelta(minutes=15)), "fingerprint": FINGERPRINT}
    send(api, auth, webhook(up))
    (incident_id,) = [i["id"] for i in api.get(INCIDENTS, headers=auth["operator"]).json()]
    return str(incident_id)


def paris(minutes: float) -> str:
    """START + ``minutes``, written in Paris summer time."""
    return (START + timedelta(minutes=minutes, hours=2)).strftime("%Y-%m-%dT%H:%M:%S+02:00")


def test_a_step_made_earlier_is_recorded_at_its_time(api: TestClient, auth: Tokens) -> None:
    incident_id = sw4(api, auth)
    acked = move(api, auth, incident_id, "ack", note="ticket NOC-7", at=paris(3.5))
    assert acked.status_code == 200, acked.text
    shown = acked.json()
    assert shown["mtta_seconds"] == 210
    assert shown["acknowledged_at"] == "2024-07-01T09:13:30Z"
    assert shown["transitions"][-1]["at"] == "2024-07-01T09:13:30Z"
    # A correction made after the root recovered (an automatic note) but before now.
    fixed = move(api, auth, incident_id, "correct", at=paris(16))
    assert fixed.status_code == 200, fixed.text
    assert fixed.json()["corrected_at"] == "2024-07-01T09:26:00Z"


def test_the_time_rules(api: TestClient, auth: Tokens, clock: Clock) -> None:
    incident_id = sw4(api, auth)
    naive = move(api, auth, incident_id, "ack", at="2024-07-01T09:15:00")
    assert naive.status_code == 422
    assert naive.json()["detail"][0]["loc"] == ["body", "at"]
    ahead = move(api, auth, incident_id, "ack", at="2024-07-01T09:32:00Z")
    assert ahead.status_code == 422
    (problem,) = ahead.json()["detail"]
    assert problem["loc"] == ["body", "at"]
    assert "in the future" in problem["msg"]
    before = move(api, auth, incident_id, "ack", at="2024-07-01T09:05:00Z")
    assert before.status_code == 409
    assert "before detection" in before.json()["detail"]
    clock.at = NOW + timedelta(minutes=2)
    assert move(api, auth, incident_id, "ack", at="2024-07-01T09:32:30Z").status_code == 200
    early = move(api, auth, incident_id, "correct", at="2024-07-01T09:20:00Z")
    assert early.status_code == 409
    assert "latest step (acknowledged at" in early.json()["detail"]
    assert get(api, auth, incident_id)["state"] == "acknowledged"


def steps(*rows: dict[str, Any]) -> dict[str, Any]:
    return {"steps": list(rows)}


def test_an_export_is_recorded_in_time_order_and_once(api: TestClient, auth: Tokens) -> None:
    incident_id = sw4(api, auth)
    batch = steps(
        {"incident": incident_id, "step": "close", "time": paris(19), "note": "NOC-7 closed"},
        {"alert": FINGERPRINT, "step": "ack", "time": paris(2), "by": "nadia"},
        {"alert": FINGERPRINT, "step": "correct", "time": paris(15), "by": "nadia"},
        {"incident": incident_id, "step": "validate", "time": paris(18)},
    )
    first = api.post(STEPS, headers=auth["admin"], json=batch)
    assert first.status_code == 200, first.text
    assert first.json() == {
        "received": 4, "applied": 4, "already": 0, "incidents": [incident_id],
    }  # fmt: skip
    shown = get(api, auth, incident_id)
    assert shown["state"] == "closed"
    assert shown["mtta_seconds"] == 120
    trail = [(t["to_state"], t["at"], t["by"].split(":")[0]) for t in shown["transitions"][-4:]]
    assert trail == [
        ("acknowledged", "2024-07-01T09:12:00Z", "nadia"),
        ("corrected", "2024-07-01T09:25:00Z", "nadia"),
        ("validated", "2024-07-01T09:28:00Z", "admin"),
        ("closed", "2024-07-01T09:29:00Z", "admin"),
    ]
    again = api.post(STEPS, headers=auth["admin"], json=batch)
    assert again.json() == {"received": 4, "applied": 0, "already": 4, "incidents": []}
    assert get(api, auth, incident_id)["transitions"] == shown["transitions"]


def test_a_bad_export_is_refused_whole(api: TestClient, auth: Tokens) -> None:
    incident_id = sw4(api, auth)
    assert move(api, auth, incident_id, "ack", at=paris(5)).status_code == 200
    before = get(api, auth, incident_id)["transitions"]
    batch = steps(
        {"incident": incident_id, "step": "correct", "time": paris(6)},  # fine on its own
        {"incident": "inc-0000000000000000", "step": "ack", "time": paris(2)},
        {"alert": "ffffffffffffffff", "step": "ack", "time": paris(2)},
        {"alert": FINGERPRINT, "step": "correct", "time": paris(4)},  # before the ack
        {"incident": incident_id, "step": "ack", "time": paris(8)},  # corrected by then
        {"incident": incident_id, "step": "validate", "time": "2030-01-01T00:00:00Z"},
        {"incident": incident_id, "step": "reopen", "time": paris(9), "on_behalf_of": "beta"},
    )
    response = api.post(STEPS, headers=auth["admin"], json=batch)
    assert response.status_code == 422, response.text
    found = {tuple(d["loc"]): d["msg"] for d in response.json()["detail"]}
    assert set(found) == {
        ("body", "steps", 1, "incident"),
        ("body", "steps", 2, "alert"),
        ("body", "steps", 3, "time"),
        ("body", "steps", 4, "step"),
        ("body", "steps", 5, "time"),
        ("body", "steps", 6, "on_behalf_of"),
    }
    assert "no incident" in found["body", "steps", 1, "incident"]
    assert "latest step (acknowledged at" in found["body", "steps", 3, "time"]
    assert "only when detected" in found["body", "steps", 4, "step"]
    assert "in the future" in found["body", "steps", 5, "time"]
    assert get(api, auth, incident_id)["transitions"] == before

    malformed = api.post(STEPS, headers=auth["admin"], json=steps({"step": "fix", "time": "x"}))
    assert malformed.status_code == 422
    locs = {tuple(d["loc"]) for d in malformed.json()["detail"]}
    assert locs == {("body", "steps", 0, "step"), ("body", "steps", 0, "time")}


def test_who_may_import(api: TestClient, auth: Tokens) -> None:
    incident_id = sw4(api, auth)
    row = {"incident": incident_id, "step": "ack", "time": paris(2)}
    for who in ("ingest", "billing", "beta"):
        assert api.post(STEPS, headers=auth[who], json=steps(row)).status_code == 403
    named = api.post(STEPS, headers=auth["operator"], json=steps({**row, "by": "nadia"}))
    assert named.status_code == 403
    assert api.post(STEPS, headers=auth["operator"], json=steps(row)).json()["applied"] == 1
