"""Notices queued where things happen, with the example's rules (examples/metro-isp/
notifications.yaml), on SQLite and PostgreSQL: incident steps as alerts come in and people
move incidents on, closed periods with their breaches, issued invoices; the hospital's own
rule hears only of the hospital."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from servanda.core.access import LOCAL_ADMIN
from servanda.ingest.event_files import read_event_file
from servanda.notify.outbox import Queued
from servanda.services import configuration
from servanda.services.closing import close_period
from servanda.services.events import EventEngine
from servanda.services.notifications import outbox

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "metro-isp"
RECEIVED = datetime(2024, 5, 1, tzinfo=UTC)
NOW = datetime(2024, 5, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def example(engine: Engine) -> tuple[Engine, EventEngine]:
    """The example loaded and its April Alertmanager alerts ingested."""
    configuration.load(engine, [EXAMPLE], RECEIVED - timedelta(days=40))
    events = EventEngine(engine)
    found, problems = read_event_file(
        EXAMPLE / "events" / "2024-04.alertmanager.jsonl", "alertmanager", received_at=RECEIVED
    )
    assert problems == []
    events.ingest(LOCAL_ADMIN, found, RECEIVED)
    return engine, events


def queued(engine: Engine) -> list[Queued]:
    return outbox(engine, LOCAL_ADMIN, limit=10_000)


def test_incidents_opening_queue_notices_for_the_rules_that_want_them(
    example: tuple[Engine, EventEngine],
) -> None:
    engine, _ = example
    found = queued(engine)
    opened = [q for q in found if q.event == "incident.opened"]
    assert opened
    assert {q.rule for q in found} <= {"noc-incidents", "service-desk-critical", "hospital-own"}
    noc = [q for q in opened if q.rule == "noc-incidents"]
    # every opened incident goes to the NOC's webhook and chat
    assert Counter(q.channel.kind.value for q in noc) == {
        "webhook": len(noc) // 2, "chat": len(noc) // 2,
    }  # fmt: skip
    for q in found:
        if q.rule == "hospital-own":
            assert q.payload["customers"] == ["hospital"]
            assert "root" not in q.payload["detail"]  # the provider's wiring stays inside
        if q.rule == "service-desk-critical":
            assert q.payload["severity"] in {"critical", "major"}
            assert set(q.payload["services"]) & {"internet-access", "ip-telephony"}
    assert any(q.rule == "hospital-own" for q in found)


def test_a_lifecycle_step_queues_its_notice_once(example: tuple[Engine, EventEngine]) -> None:
    engine, events = example
    before = queued(engine)
    incident = next(q for q in before if q.rule == "noc-incidents").payload["detail"]["incident"]
    events.act(LOCAL_ADMIN, incident, "acknowledge", NOW, "on it")
    new = [q for q in queued(engine) if q.id not in {b.id for b in before}]
    assert {(q.rule, q.event) for q in new} == {("noc-incidents", "incident.acknowledged")}
    assert {q.payload["detail"]["by"] for q in new} == {"admin"}
    # the engine forgetting its memory and reading the trail back queues nothing again
    events.reload()
    events.tick(NOW + timedelta(minutes=1))
    assert len(queued(engine)) == len(before) + len(new)


def test_closing_a_period_queues_the_close_and_its_breaches(
    example: tuple[Engine, EventEngine],
) -> None:
    engine, _ = example
    before = {q.id for q in queued(engine)}
    close_period(engine, LOCAL_ADMIN, "2024-04", NOW, "hospital")
    new = [q for q in queued(engine) if q.id not in before]
    closed = [q for q in new if q.event == "period.closed"]
    assert {q.rule for q in closed} == {"billing-office"}  # hospital-own does not ask for it
    assert closed[0].payload["customers"] == ["hospital"]
    breaches = [q for q in new if q.event == "sla.breach"]
    assert {q.rule for q in breaches} <= {"billing-office", "hospital-own"}
    assert closed[0].payload["detail"]["breaches"] == len(
        [q for q in breaches if q.rule == "billing-office"]
    )
