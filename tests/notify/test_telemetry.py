"""The gauges read from the database at each scrape, on SQLite and PostgreSQL, with the
example: open incidents by state and severity, the SLA status of every objective of a closed
period, the outbox; in a fixed number of queries whatever the data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine, event

from servanda.core.access import LOCAL_ADMIN
from servanda.ingest.event_files import read_event_file
from servanda.services import configuration, telemetry
from servanda.services.closing import close_period
from servanda.services.events import EventEngine

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "metro-isp"
RECEIVED = datetime(2024, 5, 1, tzinfo=UTC)


def gauges(engine: Engine) -> dict[str, list[tuple[dict[str, str], float]]]:
    found: dict[str, list[tuple[dict[str, str], float]]] = {}
    text = telemetry.exposition(engine).decode()
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            found.setdefault(s.name, []).append((dict(s.labels), s.value))
    return found


def test_the_stored_state_is_scraped_in_four_queries(engine: Engine) -> None:
    configuration.load(engine, [EXAMPLE], RECEIVED - timedelta(days=40))
    found, problems = read_event_file(
        EXAMPLE / "events" / "2024-04.alertmanager.jsonl", "alertmanager", received_at=RECEIVED
    )
    assert problems == []
    EventEngine(engine).ingest(LOCAL_ADMIN, found, RECEIVED)
    close_period(engine, LOCAL_ADMIN, "2024-04", datetime(2024, 5, 2, 9, tzinfo=UTC), "hospital")

    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", count)
    try:
        scraped = gauges(engine)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) == 4, selects

    assert sum(v for _, v in scraped["servanda_open_incidents"]) > 0
    status = scraped["servanda_sla_objective_status"]
    assert {labels["customer"] for labels, _ in status} == {"hospital"}
    assert {labels["period"] for labels, _ in status} == {"2024-04"}
    # each objective has one verdict at 1, the others at 0
    by_objective: dict[tuple[str, str], float] = {}
    for labels, value in status:
        key = (labels["service"], labels["objective"])
        by_objective[key] = by_objective.get(key, 0) + value
    assert set(by_objective.values()) == {1.0}
    actual = {
        (labels["service"], labels["objective"]): value
        for labels, value in scraped["servanda_sla_objective_actual"]
    }
    assert all(0 <= v <= 100 for (_, o), v in actual.items() if "availability" in o)
    assert sum(v for _, v in scraped["servanda_notifications_queued"]) > 0
