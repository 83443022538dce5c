"""Event-time order through the engine and the database: the example's month delivered out of
order (each batch within the lateness), with restarts and two writing processes, stores
exactly what the month delivered in event-time order stores."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from sqlalchemy import Engine, select, update

from servanda.core.access import LOCAL_ADMIN
from servanda.events.model import Event
from servanda.events.watermark import event_time
from servanda.services.events import EventEngine
from servanda.services.journal import JournalSettings
from servanda.storage.tables import AlertRow, CorrelatorSnapshotRow

from ..events.month_support import month_events, out_of_order
from .event_log_support import END, load_example, outcome, reset

LATENESS = timedelta(minutes=5)
SETTINGS = JournalSettings(snapshot_entries=40, lateness=LATENESS)


@pytest.fixture(scope="module")
def events() -> list[Event]:
    return month_events()[1]


@pytest.fixture
def example(engine: Engine) -> Engine:
    load_example(engine)
    return engine


def in_order(db: Engine, events: list[Event]) -> dict[str, object]:
    """The reference: the month in event-time order, a batch per instant, then settled."""
    engine = EventEngine(db, journal=SETTINGS)
    by_instant: dict[object, list[Event]] = {}
    for ev in sorted(events, key=event_time):
        by_instant.setdefault(event_time(ev), []).append(ev)
    for instant, batch in by_instant.items():
        engine.ingest(LOCAL_ADMIN, batch, instant)  # type: ignore[arg-type]
    engine.settle(END)
    engine.close()
    found = outcome(db)
    reset(db)
    return found


def shuffled(events: list[Event], rng: random.Random) -> list[list[Event]]:
    """Batches delivered out of order within the lateness (see :func:`out_of_order`)."""
    return out_of_order(events, rng, LATENESS)


@pytest.mark.parametrize("seed", [1, 2])
def test_the_month_out_of_order_stores_the_month_in_order(
    example: Engine, events: list[Event], seed: int
) -> None:
    expected = in_order(example, events)
    rng = random.Random(seed)
    engine = EventEngine(example, journal=SETTINGS)
    late = 0
    for batch in shuffled(events, rng):
        received = max(event_time(e) for e in batch) + timedelta(minutes=1)
        late += engine.ingest(LOCAL_ADMIN, batch, received).late
    engine.settle(END)
    engine.close()
    assert late == 0
    assert outcome(example) == expected
    assert len(expected["incidents"]) > 15  # type: ignore[arg-type]


def test_out_of_order_with_restarts_and_two_writers(example: Engine, events: list[Event]) -> None:
    """Two processes append (one holds the lease and correlates), and they restart at random
    points, gracefully or not: what waits for the watermark survives in the snapshot and the
    journal."""
    expected = in_order(example, events)
    rng = random.Random(11)

    def process(name: str) -> EventEngine:
        made = EventEngine(example, journal=SETTINGS)
        made.holder = name
        return made

    engines = [process("server-a:1"), process("server-b:2")]
    batches = shuffled(events, rng)
    for n, batch in enumerate(batches):
        if rng.random() < 0.01:
            who = rng.randrange(2)
            if rng.random() < 0.5:
                engines[who].close()
            # else killed: it just stops (restarted under the same name, it takes its
            # lease back at once; a new name would wait for the lease to run out)
            engines[who] = process(engines[who].holder)
        received = max(event_time(e) for e in batch) + timedelta(minutes=1)
        rng.choice(engines).ingest(LOCAL_ADMIN, batch, received)
        if n % 50 == 0:
            engines[0].tick(received)
    engines[0].settle(END)
    engines[0].close()
    engines[1].close()
    # Whoever holds the lease last applies what the other appended.
    final = process("server-c:3")
    final.tick(END)
    final.close()
    assert outcome(example) == expected


def test_the_log_reports_the_watermark_and_what_waits(example: Engine, events: list[Event]) -> None:
    engine = EventEngine(example, journal=SETTINGS)
    first = sorted(events, key=event_time)[:30]
    received = max(event_time(e) for e in first)
    result = engine.ingest(LOCAL_ADMIN, first, received)
    assert result.held > 0
    assert result.late == 0
    status = engine.status()
    assert status.lateness == LATENESS
    assert status.held == result.held
    assert status.watermark is not None
    assert status.watermark <= received - LATENESS
    settled = engine.settle(END)
    assert settled.updated
    assert engine.status().held == 0
    engine.close()


def test_what_waits_survives_a_rebuild_from_stored_state(
    example: Engine, events: list[Event]
) -> None:
    """When no snapshot fits (new code, or a new configuration), the correlator is rebuilt
    from stored state: the events it held back are offered again from the journal."""
    engine = EventEngine(example, journal=SETTINGS)
    ordered = sorted(events, key=event_time)
    first = ordered[:200]
    held = engine.ingest(LOCAL_ADMIN, first, max(event_time(e) for e in first)).held
    assert held > 0
    engine.close()
    with example.begin() as c:  # the snapshot was taken by other code
        c.execute(update(CorrelatorSnapshotRow).values(code="older code"))
    engine = EventEngine(example, journal=SETTINGS)
    engine.settle(END)
    engine.close()
    with example.connect() as c:
        stored = {r[0] for r in c.execute(select(AlertRow.fingerprint))}
    assert stored == {e.fingerprint for e in first}
