"""Real servers, killed, restarted and side by side on one database: the stored outcome of
correlation is exactly that of one uninterrupted server (the example's month of alerts)."""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine
from tests.services.event_log_support import outcome, reset

from servanda.storage.database import make_engine

from .processes import cli, month_lines, prepare, running, wait_applied


def comparable(db: str) -> dict[str, Any]:
    engine: Engine = make_engine(db)
    try:
        found = outcome(engine)
    finally:
        engine.dispose()
    # Times set from the wall clock (automatic transitions at receipt) differ between runs.
    found.pop("transitions")
    found.pop("records")
    return found


def reference(db: str, token: str, lines: list[str]) -> dict[str, Any]:
    with running(db, token) as server:
        for line in lines:
            server.post(line)
        wait_applied(server)
    found = comparable(db)
    engine = make_engine(db)
    reset(engine)
    engine.dispose()
    return found


def test_a_killed_server_and_its_successor_give_the_uninterrupted_result(db_url: str) -> None:
    token = prepare(db_url)
    lines = month_lines()
    expected = reference(db_url, token, lines)
    cut = len(lines) // 2
    with running(db_url, token) as first:
        for line in lines[:cut]:
            first.post(line)
        first.kill()
    with running(db_url, token) as second:
        queued = [second.post(line)["queued_for"] for line in lines[cut:]]
        wait_applied(second)
    found = comparable(db_url)
    assert found == expected, _diff(found, expected)
    # The successor waited for the killed server's lease to run out (1 s here) or not at all.
    assert all(q is None or q.endswith(tuple("0123456789")) for q in queued)


def test_a_graceful_restart_gives_the_uninterrupted_result(db_url: str) -> None:
    token = prepare(db_url)
    lines = month_lines()
    expected = reference(db_url, token, lines)
    cuts = sorted(random.Random(3).sample(range(1, len(lines)), 3))
    for a, b in zip([0, *cuts], [*cuts, len(lines)], strict=True):
        with running(db_url, token) as server:
            for line in lines[a:b]:
                server.post(line)
            wait_applied(server)
    found = comparable(db_url)
    assert found == expected, _diff(found, expected)


def test_two_servers_on_one_database_give_the_one_server_result(db_url: str) -> None:
    token = prepare(db_url)
    lines = month_lines()
    expected = reference(db_url, token, lines)
    rng = random.Random(5)
    with running(db_url, token) as a, running(db_url, token) as b:
        queued = 0
        for line in lines:
            answer = (a if rng.random() < 0.5 else b).post(line)
            queued += answer["queued_for"] is not None
        wait_applied(a)
    assert queued > 0, "one of the two only appended"
    found = comparable(db_url)
    assert found == expected, _diff(found, expected)


def _flapping(now: datetime) -> str:
    """One warning alert of an unmapped host flapping in the last 4 seconds."""
    import json

    def alert(start: float, end: float | None) -> dict[str, Any]:
        return {
            "status": "resolved" if end is not None else "firing",
            "labels": {
                "alertname": "LinkFlap",
                "instance": "flappy.example:1",
                "severity": "warning",
            },
            "annotations": {"summary": "flaps"},
            "startsAt": (now + timedelta(seconds=start)).isoformat(),
            "endsAt": (now + timedelta(seconds=end)).isoformat()
            if end is not None
            else "0001-01-01T00:00:00Z",
        }

    body = {
        "version": "4", "status": "firing", "receiver": "servanda", "groupKey": "{}:{}",
        "groupLabels": {}, "commonLabels": {}, "commonAnnotations": {}, "externalURL": "x",
        "alerts": [alert(-4, -3.5), alert(-3, -2.5), alert(-2, -1.5), alert(-1, -0.5)],
    }  # fmt: skip
    return json.dumps(body)


def test_the_clock_resolves_a_quiet_flapping_incident_without_another_alert(
    db_url: str,
) -> None:
    token = prepare(db_url)
    env = {"SERVANDA_EVENTS_FLAP_QUIET": "4s", "SERVANDA_EVENTS_FLAP_CHANGES": "4"}
    with running(db_url, token, env) as server:
        now = datetime.now(UTC)
        answer = server.post(_flapping(now))
        assert answer["flapping"], answer
        [incident] = answer["opened"]
        detail = server.get(f"/api/v1/incidents/{incident}")
        assert detail["resolved_at"] is None  # flapping: held open until quiet
        deadline = time.monotonic() + 20
        while server.get(f"/api/v1/incidents/{incident}")["resolved_at"] is None:
            assert time.monotonic() < deadline, "the clock did not resolve it"
            time.sleep(0.2)
        resolved = datetime.fromisoformat(
            server.get(f"/api/v1/incidents/{incident}")["resolved_at"]
        )
        assert resolved == now - timedelta(seconds=0.5)  # at its last end, not when noticed


def test_events_tick_from_cron_applies_what_was_queued(db_url: str) -> None:
    token = prepare(db_url)
    lines = month_lines()[:5]
    with running(db_url, token) as server:
        server.post(lines[0])
        server.kill()  # dies holding the lease
    time.sleep(1.2)  # the lease (1 s) runs out
    for line in lines[1:]:
        import tempfile
        from pathlib import Path

        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "one.json"
            path.write_text(line, encoding="utf-8")
            cli(db_url, "events", "ingest", str(path), env={"SERVANDA_EVENTS_LEASE": "1s"})
    status = cli(db_url, "events", "log", "--format", "json")
    assert '"waiting": 0' in status
    cli(db_url, "events", "tick")


def _diff(a: dict[str, Any], b: dict[str, Any]) -> str:
    lines = []
    for key in a:
        x, y = set(a[key]), set(b[key])
        for row in sorted(x - y, key=str)[:4]:
            lines.append(f"{key} only now: {row}")
        for row in sorted(y - x, key=str)[:4]:
            lines.append(f"{key} only before: {row}")
    return "\n".join(lines)
