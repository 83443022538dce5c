"""A person's lifecycle step keeps when it was made (``at``) and when it was recorded."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from servanda.core.access import LOCAL_ADMIN
from servanda.services.events import EventEngine
from servanda.storage.database import transaction
from servanda.storage.repositories.incidents import IncidentRepository

from .services_support import T0, fire


def test_a_step_made_in_april_and_recorded_today_keeps_both_times(
    events: EventEngine, stored: Engine
) -> None:
    [opened] = events.ingest(LOCAL_ADMIN, [fire("root", "core-1")], T0).opened
    made = T0 + timedelta(minutes=4)
    before = datetime.now(UTC)
    moved = events.act(LOCAL_ADMIN, opened, "acknowledge", made, "on it")
    step = moved.transitions[-1]
    assert step.at == made
    assert step.recorded_at is not None
    assert step.recorded_at >= before
    assert moved.mtta == timedelta(minutes=4)
    assert all(t.recorded_at is None for t in moved.transitions[:-1])  # automatic entries
    with transaction(stored) as session:
        [kept] = [t for t in IncidentRepository(session).transitions(opened) if t.by != "servanda"]
    assert (kept.at, kept.recorded_at) == (step.at, step.recorded_at)
