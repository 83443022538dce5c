"""The event log: correlation is a function of the journal, so a restart anywhere (graceful or
a kill), and a second process writing to the same database, give exactly the result of one
uninterrupted process."""

from __future__ import annotations

import random
import time
from datetime import timedelta

import pytest
from sqlalchemy import Engine

from servanda.core.access import LOCAL_ADMIN
from servanda.services.events import EventEngine
from servanda.services.journal import JournalSettings

from .event_log_support import Input, feed, load_example, month_inputs, outcome, reset

SETTINGS = JournalSettings(snapshot_entries=25)
"""Snapshots every 25 entries, so that restarts land between them and after them."""


@pytest.fixture(scope="module")
def inputs() -> list[Input]:
    return month_inputs(ticks_every=10)


@pytest.fixture
def example(engine: Engine) -> Engine:
    load_example(engine)
    return engine


def uninterrupted(db: Engine, inputs: list[Input]) -> dict[str, object]:
    engine = EventEngine(db, journal=SETTINGS)
    for item in inputs:
        feed(engine, item)
    engine.close()
    found = outcome(db)
    reset(db)
    return found


def test_the_month_through_the_engine_stores_incidents(
    example: Engine, inputs: list[Input]
) -> None:
    found = uninterrupted(example, inputs)
    assert len(found["incidents"]) > 10  # type: ignore[arg-type]
    assert any(int(a[5]) > 1 for a in found["alerts"])  # type: ignore[union-attr]


@pytest.mark.parametrize("graceful", [True, False], ids=["graceful", "killed"])
@pytest.mark.parametrize("seed", [1, 2])
def test_restarts_anywhere_give_the_uninterrupted_result(
    example: Engine, inputs: list[Input], graceful: bool, seed: int
) -> None:
    expected = uninterrupted(example, inputs)
    rng = random.Random(seed)
    restarts = set(rng.sample(range(len(inputs)), 12))
    engine = EventEngine(example, journal=SETTINGS)
    for i, item in enumerate(inputs):
        if i in restarts:
            if graceful:
                engine.close()
            engine = EventEngine(example, journal=SETTINGS)  # a killed one just stops
        feed(engine, item)
    engine.close()
    assert outcome(example) == expected


def test_a_second_process_appends_and_the_holder_correlates(
    example: Engine, inputs: list[Input]
) -> None:
    expected = uninterrupted(example, inputs)
    holder = EventEngine(example, journal=SETTINGS)
    holder.holder = "server-a:1"
    other = EventEngine(example, journal=SETTINGS)
    other.holder = "server-b:2"
    rng = random.Random(7)
    queued = 0
    feed(holder, inputs[0])  # server-a takes the lease
    for item in inputs[1:]:
        if item.events is not None and rng.random() < 0.5:
            result = other.ingest(LOCAL_ADMIN, list(item.events), item.now)
            queued += result.queued_for == "server-a:1"
        else:
            feed(holder, item)
    holder.close()
    assert queued > 10
    assert outcome(example) == expected


def test_a_holder_that_dies_is_replaced_when_its_lease_runs_out(
    example: Engine, inputs: list[Input]
) -> None:
    expected = uninterrupted(example, inputs)
    short = JournalSettings(snapshot_entries=25, lease=timedelta(milliseconds=300))
    first = EventEngine(example, journal=short)
    first.holder = "server-a:1"
    second = EventEngine(example, journal=short)
    second.holder = "server-b:2"
    half = len(inputs) // 2
    for item in inputs[:half]:
        feed(first, item)
    # server-a is killed: it never closes. server-b's batches wait in the journal …
    assert second.status().holder == "server-a:1"
    for item in inputs[half : half + 5]:
        feed(second, item)
    time.sleep(0.4)
    # … until the lease runs out: server-b takes over, restores and applies them.
    for item in inputs[half + 5 :]:
        feed(second, item)
    second.close()
    assert second.status().holder is None
    assert outcome(example) == expected
