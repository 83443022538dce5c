"""Ingesting events: idempotent, all or nothing, unmapped kept, correlation persisted and
carried on by a new engine (a restart, or another process writing in between)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select

from servanda.core.access import LOCAL_ADMIN, Principal, Role
from servanda.core.problems import Forbidden
from servanda.events.incidents import IncidentState, Transition
from servanda.events.model import Event
from servanda.ingest.generic import GenericFormat
from servanda.services import incidents as cases
from servanda.services.events import EventEngine, IngestResult
from servanda.storage.repositories.events import EventRepository
from servanda.storage.repositories.incidents import IncidentRepository
from servanda.storage.tables import Base, EventEngineRow

from .services_support import T0, fire, resolve

INGEST = Principal(Role.INGEST, token_id="tok-1")


def row_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as c:
        return {
            t.name: c.execute(select(func.count()).select_from(t)).scalar_one()
            for t in Base.metadata.sorted_tables
            if t.name not in ("event_engine",)
        }


def open_incidents(engine: Engine) -> list[tuple[str, str | None, int]]:
    found = cases.list_incidents(engine, LOCAL_ADMIN, states=(IncidentState.DETECTED,))
    return sorted((i.id, i.root, len(i.symptoms)) for i in found)


STORM = [fire("root", "core-1"), *(fire(f"s{n}", "db-1", 0.5 + n / 100) for n in range(5))]


def test_the_same_batch_twice_stores_nothing_new(events: EventEngine, stored: Engine) -> None:
    first = events.ingest(INGEST, STORM, T0 + timedelta(minutes=2))
    assert (first.received, first.new, first.duplicates, first.unmapped) == (6, 6, 0, 0)
    assert len(first.opened) == 1
    before = row_counts(stored)

    again = events.ingest(INGEST, STORM, T0 + timedelta(minutes=3))
    assert (again.received, again.new, again.duplicates) == (6, 0, 6)
    assert again.opened == again.updated == ()
    assert row_counts(stored) == before

    # A fresh engine (a restart) agrees that nothing is new.
    later = EventEngine(stored).ingest(INGEST, STORM, T0 + timedelta(minutes=4))
    assert later.new == 0
    assert row_counts(stored) == before


def test_a_batch_with_one_bad_event_stores_nothing(stored: Engine) -> None:
    before = row_counts(stored)
    payload = {
        "events": [
            {"source": "nms", "labels": {"node": "core-1"}, "status": "firing",
             "start": "2024-04-02T10:00:00Z"},
            {"source": "nms", "labels": {"node": "core-2"}, "status": "firing",
             "start": "not a time"},
        ]
    }  # fmt: skip
    found, problems = GenericFormat.parse(payload, received_at=T0)
    assert found == []
    assert [p.path for p in problems] == [("events", 1, "start")]
    assert row_counts(stored) == before


def test_a_failing_write_rolls_the_batch_back_and_the_engine_recovers(
    events: EventEngine, stored: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(IncidentRepository, "save", broken)
    with pytest.raises(RuntimeError):
        events.ingest(INGEST, STORM, T0 + timedelta(minutes=2))
    monkeypatch.undo()
    assert sum(row_counts(stored)[t] for t in ("events", "alerts", "incidents")) == 0

    result = events.ingest(INGEST, STORM, T0 + timedelta(minutes=2))
    assert result.new == 6
    assert len(result.opened) == 1
    assert [root for _, root, _ in open_incidents(stored)] == ["core-1"]


def test_a_write_the_database_refuses_rolls_the_batch_back(
    events: EventEngine, stored: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # On PostgreSQL the writes go in a pipeline: the refusal surfaces when it ends.
    add = IncidentRepository.add_transitions

    def dangling(self: IncidentRepository, trail: Iterable[tuple[str, int, Transition]]) -> None:
        found = list(trail)
        add(self, [*found, *(("no-such-incident", seq, t) for _, seq, t in found)])

    monkeypatch.setattr(IncidentRepository, "add_transitions", dangling)
    with pytest.raises(Exception, match=r"(?i)foreign key"):
        events.ingest(INGEST, STORM, T0 + timedelta(minutes=2))
    monkeypatch.undo()
    assert sum(row_counts(stored)[t] for t in ("events", "alerts", "incidents")) == 0

    result = events.ingest(INGEST, STORM, T0 + timedelta(minutes=2))
    assert (result.new, len(result.opened)) == (6, 1)
    assert [root for _, root, _ in open_incidents(stored)] == ["core-1"]


def test_unmapped_events_are_kept_and_listed(events: EventEngine, stored: Engine) -> None:
    result = events.ingest(INGEST, [fire("x", "mystery-box")], T0)
    assert result.unmapped == 1
    listed, total = cases.unmapped_events(stored, LOCAL_ADMIN)
    assert total == 1
    assert listed[0].event.fingerprint == "x"
    assert listed[0].event.node is None
    assert [root for _, root, _ in open_incidents(stored)] == [None]


def test_mapping_rules_from_the_bundle_are_used(events: EventEngine, stored: Engine) -> None:
    event = fire("r", "unknown", labels=(("alertname", "Down"), ("device", "core-2")))
    assert events.ingest(INGEST, [event], T0).unmapped == 0
    assert [root for _, root, _ in open_incidents(stored)] == ["core-2"]


def test_ingesting_needs_the_right_role(events: EventEngine) -> None:
    with pytest.raises(Forbidden):
        events.ingest(Principal(Role.CUSTOMER, party="globex"), STORM, T0)


def test_a_restarted_engine_carries_on(events: EventEngine, stored: Engine) -> None:
    events.ingest(INGEST, STORM, T0 + timedelta(minutes=2))
    opened = open_incidents(stored)
    assert [(root, n) for _, root, n in opened] == [("core-1", 5)]

    restarted = EventEngine(stored)
    # A new symptom joins the same incident, then the root recovers.
    more = restarted.ingest(INGEST, [fire("s9", "db-1", 3)], T0 + timedelta(minutes=3))
    assert more.opened == ()
    assert more.updated == (opened[0][0],)
    done = restarted.ingest(
        INGEST,
        [resolve(STORM[0], 10), *(resolve(e, 10) for e in STORM[1:])],
        T0 + timedelta(minutes=11),
    )
    assert done.resolved == (opened[0][0],)
    detail = cases.get_incident(stored, LOCAL_ADMIN, opened[0][0])
    assert detail.incident.resolved_at == T0 + timedelta(minutes=10)
    assert len(detail.incident.symptoms) == 6
    [outage] = detail.outages
    assert (outage.service, outage.customer, outage.end) == (
        "internet", "globex", T0 + timedelta(minutes=10),
    )  # fmt: skip


def test_two_engines_writing_in_turn_stay_consistent(events: EventEngine, stored: Engine) -> None:
    other = EventEngine(stored)  # e.g. the command line while the server runs
    events.ingest(INGEST, STORM[:1], T0)
    other.ingest(INGEST, STORM[1:], T0 + timedelta(minutes=1))  # rebuilds, then adds symptoms
    events.ingest(INGEST, [resolve(STORM[0], 5)], T0 + timedelta(minutes=5))  # rebuilds too
    [(inc_id, root, symptoms)] = sorted((i, r, n) for i, r, n in _all_incidents(stored))
    assert (root, symptoms) == ("core-1", 5)
    assert cases.get_incident(stored, LOCAL_ADMIN, inc_id).incident.resolved_at == T0 + timedelta(
        minutes=5
    )


def _all_incidents(engine: Engine) -> list[tuple[str, str | None, int]]:
    return [(i.id, i.root, len(i.symptoms)) for i in cases.list_incidents(engine, LOCAL_ADMIN)]


def test_saturation_figures(events: EventEngine, stored: Engine) -> None:
    events.ingest(INGEST, [*STORM, fire("x", "mystery-box", 1)], T0 + timedelta(minutes=2))
    figures = cases.saturation_figures(stored, LOCAL_ADMIN, T0, T0 + timedelta(hours=1))
    assert (figures.alerts_in, figures.incidents_out, figures.unmapped) == (7, 2, 1)
    assert figures.reduction == pytest.approx(1 - 2 / 7)
    assert figures.sources[0].name == "alertmanager"
    with pytest.raises(Exception, match="not visible"):
        cases.saturation_figures(
            stored, Principal(Role.CUSTOMER, party="globex"), T0, T0 + timedelta(hours=1)
        )


def _engine_version(engine: Engine) -> int:
    with engine.connect() as c:
        return int(c.execute(select(EventEngineRow.version)).scalar_one())


def _queued(events: EventEngine, batches: list[list[Event]]) -> list[IngestResult | Exception]:
    """Ingest ``batches`` from one thread each, all queued behind a batch being written (the
    engine's lock is held until every one waits), in this order."""
    out: list[IngestResult | Exception] = [RuntimeError("not run")] * len(batches)

    def send(i: int, batch: list[Event]) -> None:
        try:
            out[i] = events.ingest(INGEST, batch, T0 + timedelta(minutes=2))
        except Exception as error:  # reported to the test, as the API would answer it
            out[i] = error

    threads = [threading.Thread(target=send, args=(i, b)) for i, b in enumerate(batches)]
    with events._lock:  # white box: a batch is being written while the others arrive
        for n, thread in enumerate(threads, 1):
            thread.start()
            deadline = time.monotonic() + 10
            while len(events._queue) < n and time.monotonic() < deadline:
                time.sleep(0.001)
            assert len(events._queue) == n
    for thread in threads:
        thread.join(10)
    return out


def test_batches_that_wait_together_are_written_in_one_transaction(
    events: EventEngine, stored: Engine
) -> None:
    events.ingest(INGEST, [fire("other", "mystery")], T0)  # the engine has its state
    before = _engine_version(stored)
    first, second, third, again = _queued(events, [STORM[:1], STORM[1:3], STORM[3:], STORM[1:3]])
    assert _engine_version(stored) == before + 1  # one claim, one commit for all four
    # Each batch's own result, as if they had come one after the other.
    assert isinstance(first, IngestResult)
    assert isinstance(second, IngestResult)
    assert isinstance(third, IngestResult)
    assert isinstance(again, IngestResult)
    assert (first.new, len(first.opened)) == (1, 1)
    assert (second.new, second.opened, second.updated) == (2, (), first.opened)
    assert (third.new, third.updated) == (3, first.opened)
    assert (again.new, again.duplicates, again.updated) == (0, 2, ())
    assert [(root, n) for _, root, n in open_incidents(stored) if root == "core-1"] == [
        ("core-1", 5)
    ]


def test_a_failing_batch_fails_alone_when_it_waited_with_others(
    events: EventEngine, stored: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    add = EventRepository.add_new_events

    def poisoned(
        self: EventRepository,
        found: Sequence[tuple[str, Event]],
        at: datetime,
        journal_seq: int | None = None,
    ) -> set[str]:
        if any(ev.fingerprint == "poison" for _, ev in found):
            raise RuntimeError("refused")
        return add(self, found, at, journal_seq)

    monkeypatch.setattr(EventRepository, "add_new_events", poisoned)
    events.ingest(INGEST, [fire("other", "mystery")], T0)
    good, bad, later = _queued(events, [STORM[:3], [fire("poison", "core-2")], STORM[3:]])
    assert isinstance(bad, RuntimeError)
    assert str(bad) == "refused"
    assert isinstance(good, IngestResult)
    assert isinstance(later, IngestResult)
    assert (good.new, later.new) == (3, 3)
    assert row_counts(stored)["events"] == 1 + 6
    assert [(root, n) for _, root, n in open_incidents(stored) if root == "core-1"] == [
        ("core-1", 5)
    ]
