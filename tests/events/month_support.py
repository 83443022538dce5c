"""The example's month of alerts as one list of distinct observations, mapped to its nodes."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from servanda.config.bundle import Bundle
from servanda.config.loader import load_config
from servanda.events.mapping import NodeMapper
from servanda.events.model import Event
from servanda.ingest.alertmanager import parse_alertmanager
from servanda.ingest.event_files import read_event_file

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "metro-isp"
EVENTS = EXAMPLE / "events"
RECEIVED = datetime(2024, 5, 1, tzinfo=UTC)


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
