"""The example's month of alerts as the inputs of an event engine, and the stored outcome of
correlation in a form two runs can be compared by."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from servanda.config.loader import load_config
from servanda.core.access import LOCAL_ADMIN
from servanda.events.model import Event, Status
from servanda.ingest.alertmanager import parse_alertmanager
from servanda.services.events import EventEngine
from servanda.storage.database import transaction
from servanda.storage.repositories import BundleRepository
from servanda.storage.tables import (
    AlertRow,
    CorrelatorSnapshotRow,
    EventEngineRow,
    EventJournalRow,
    EventRow,
    IncidentImpactRow,
    IncidentRow,
    IncidentSymptomRow,
    IncidentTransitionRow,
    OutageRow,
)

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "metro-isp"
MONTH = EXAMPLE / "events" / "2024-04.alertmanager.jsonl"
END = datetime(2024, 5, 1, tzinfo=UTC)

EVENT_TABLES = (
    OutageRow,
    IncidentImpactRow,
    IncidentSymptomRow,
    IncidentTransitionRow,
    IncidentRow,
    AlertRow,
    EventRow,
    EventJournalRow,
    CorrelatorSnapshotRow,
    EventEngineRow,
)


def event_time(e: Event) -> datetime:
    return e.ends_at if e.status is Status.RESOLVED and e.ends_at else e.starts_at


@dataclass(frozen=True)
class Input:
    """One call on the engine: a batch (events) or a tick (no events)."""

    now: datetime
    events: tuple[Event, ...] | None


def load_example(engine: Engine) -> None:
    result = load_config([EXAMPLE])
    assert not result.problems
    with transaction(engine) as session:
        BundleRepository(session).save(result.bundle, now=datetime(2024, 3, 1, tzinfo=UTC))


def month_inputs(ticks_every: int = 0) -> list[Input]:
    """Each Alertmanager payload of the month, in file order, with the clock at the latest
    time it mentions (a tick after every ``ticks_every`` batches when given), then a tick at
    the end of the month."""
    inputs: list[Input] = []
    now = datetime(2024, 4, 1, tzinfo=UTC)
    for n, line in enumerate(MONTH.read_text(encoding="utf-8").splitlines(), 1):
        events, problems = parse_alertmanager(json.loads(line), received_at=END)
        assert problems == []
        batch = tuple(events)
        now = max(now, *(event_time(e) for e in batch))
        inputs.append(Input(now, batch))
        if ticks_every and n % ticks_every == 0:
            inputs.append(Input(now, None))
    inputs.append(Input(END, None))
    return inputs


def feed(engine: EventEngine, item: Input) -> None:
    if item.events is None:
        engine.tick(item.now)
    else:
        engine.ingest(LOCAL_ADMIN, list(item.events), item.now)


def outcome(engine: Engine) -> dict[str, Any]:
    """What correlation stored: incidents with their symptoms, impacts and trail, alert
    states with their counts, and outages — everything but write times."""
    with engine.connect() as c:

        def rows(table: Any, *skip: str) -> list[tuple[Any, ...]]:
            cols = [col for col in table.__table__.columns if col.name not in skip]
            return sorted((tuple(str(v) for v in r) for r in c.execute(select(*cols))), key=str)

        return {
            "incidents": rows(IncidentRow, "updated_at", "record"),
            "records": rows(IncidentRow, "updated_at"),
            "symptoms": rows(IncidentSymptomRow),
            "impacts": rows(IncidentImpactRow),
            "transitions": rows(IncidentTransitionRow),
            "alerts": rows(AlertRow),
            "outages": rows(OutageRow, "id"),
        }


def reset(engine: Engine) -> None:
    """Empty every table of event management (the configuration stays)."""
    with engine.begin() as c:
        for table in EVENT_TABLES:
            c.execute(table.__table__.delete())  # type: ignore[attr-defined]
