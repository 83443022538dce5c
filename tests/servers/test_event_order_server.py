"""Real servers with the default lateness (5 minutes): the example's month posted to the
Alertmanager webhook out of order, each batch within the lateness, stores what the month posted
in event-time order stores; ``servanda events settle`` from another process, or
``POST /api/v1/events/settle``, completes it."""

from __future__ import annotations

import json
import random
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine
from tests.events.month_support import month_events, out_of_order
from tests.services.event_log_support import reset

from servanda.events.model import Event, Status
from servanda.storage.database import make_engine

from .processes import cli, prepare, running, wait_applied
from .test_event_log_servers import _diff, comparable

ORDERED = {"SERVANDA_EVENTS_LATENESS": "5m"}


def payload(batch: list[Event]) -> str:
    """An Alertmanager webhook body carrying these observations."""
    alerts = [
        {
            "status": ev.status.value,
            "labels": dict(ev.labels),
            "annotations": {"summary": ev.summary},
            "startsAt": ev.starts_at.isoformat(),
            "endsAt": ev.ends_at.isoformat()
            if ev.status is Status.RESOLVED and ev.ends_at
            else "0001-01-01T00:00:00Z",
            "generatorURL": "",
            "fingerprint": ev.fingerprint,
        }
        for ev in batch
    ]
    firing = any(a["status"] == "firing" for a in alerts)
    return json.dumps(
        {
            "version": "4",
            "groupKey": "{}:{}",
            "truncatedAlerts": 0,
            "status": "firing" if firing else "resolved",
            "receiver": "servanda",
            "groupLabels": {},
            "commonLabels": {},
            "commonAnnotations": {},
            "externalURL": "http://alertmanager.example",
            "alerts": alerts,
        }
    )


def batches(rng: random.Random | None) -> list[str]:
    """The month's Alertmanager observations in batches of at most 30 s of event time; in
    event-time order, or (``rng``) out of order within the lateness."""
    events = [e for e in month_events()[1] if e.source == "alertmanager"]
    return [payload(b) for b in out_of_order(events, rng, timedelta(minutes=5))]


def run(db: str, token: str, bodies: list[str], over_http: bool) -> tuple[dict[str, Any], int]:
    with running(db, token, ORDERED) as server:
        late = sum(server.post(body)["late"] for body in bodies)
        status = wait_applied(server)
        assert status["held_events"] > 0  # the last five minutes wait for the watermark
        if over_http:  # the server holds the lease: settled before it answers
            settled = server.http.post("/api/v1/events/settle")
            assert settled.status_code == 200, settled.text
            assert settled.json()["queued_for"] is None
        else:
            cli(db, "events", "settle", env=ORDERED)
            wait_applied(server)
        assert server.get("/api/v1/events/log")["held_events"] == 0
    return comparable(db), late


def test_the_month_out_of_order_through_real_servers(db_url: str) -> None:
    token = prepare(db_url)
    expected, late = run(db_url, token, batches(None), over_http=False)
    assert late == 0
    engine: Engine = make_engine(db_url)
    reset(engine)
    engine.dispose()
    found, late = run(db_url, token, batches(random.Random(4)), over_http=True)
    assert late == 0
    assert found == expected, _diff(found, expected)
    assert len(expected["incidents"]) > 15
