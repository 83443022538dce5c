"""The example's month of alerts as one list of distinct observations, mapped to its nodes,
and deliveries of observations out of order within a lateness."""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from servanda.config.loader import load_config
from servanda.declared.bundle import Bundle
from servanda.events.mapping import NodeMapper
from servanda.events.model import Event
from servanda.events.watermark import event_time
from servanda.ingest.alertmanager import parse_alertmanager
from servanda.ingest.event_files import read_event_file

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "metro-isp"
EVENTS = EXAMPLE / "events"
RECEIVED = datetime(2024, 5, 1, tzinfo=UTC)
SPAN = timedelta(seconds=30)
"""The longest stretch of event time one delivered batch covers."""


def month_events() -> tuple[Bundle, list[Event]]:
    """The bundle, and every distinct observation of April (Alertmanager's payloads and the
    SIP probe's generic events), as the engine keeps them: a repeat is stored once."""
    result = load_config([EXAMPLE])
    assert [str(p) for p in result.problems] == []
    bundle = result.bundle
    mapper = NodeMapper(bundle.mappings, [*bundle.service_by_id, *bundle.component_by_id])
    found, problems = read_event_file(
        EVENTS / "2024-04.generic.json", "generic", received_at=RECEIVED
    )
    assert problems == []
    events = list(found)
    for line in (EVENTS / "2024-04.alertmanager.jsonl").read_text(encoding="utf-8").splitlines():
        parsed, problems = parse_alertmanager(json.loads(line), received_at=RECEIVED)
        assert problems == []
        events.extend(parsed)
    distinct = list({e.key: e for e in events}.values())
    return bundle, mapper.map_all(distinct)


def out_of_order(
    events: Sequence[Event], rng: random.Random | None, lateness: timedelta, span: timedelta = SPAN
) -> list[list[Event]]:
    """``events`` in event-time order cut into batches of at most ``span`` of event time; with
    ``rng``, a batch also ends early at random, and the batches are delivered out of order:
    each at its first event's time plus a random delay under ``lateness - span``, so that every
    event arrives within the lateness of the latest one delivered before it."""
    batches: list[list[Event]] = []
    for ev in sorted(events, key=event_time):
        joins = rng is None or rng.random() < 0.8
        if batches and event_time(ev) - event_time(batches[-1][0]) <= span and joins:
            batches[-1].append(ev)
        else:
            batches.append([ev])
    if rng is None:
        return batches
    slack = (lateness - span).total_seconds()
    keyed = sorted(
        (event_time(b[0]) + timedelta(seconds=rng.uniform(0, slack)), n, b)
        for n, b in enumerate(batches)
    )
    return [b for _, _, b in keyed]
