"""Servanda's generic JSON event format: batches, fingerprints, and every problem at its path."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from servanda.events.model import Severity, Status, fingerprint_of, labels_of
from servanda.ingest.generic import GenericFormat, parse_generic

NOW = datetime(2024, 4, 2, 12, 0, tzinfo=UTC)


def event(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "source": "nagios",
        "labels": {"host": "db-1", "check": "ping"},
        "severity": "critical",
        "status": "firing",
        "start": "2024-04-02T10:02:00Z",
        "summary": "db-1 does not answer",
    }
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


def problems_of(data: Any, **kwargs: Any) -> list[tuple[str, str]]:
    events, problems = parse_generic(data, received_at=NOW, **kwargs)
    assert events == []
    assert problems
    return [(p.dotted_path, p.message) for p in problems]


def test_batch_reads_into_events() -> None:
    resolved = event(
        status="resolved",
        end="2024-04-02T10:12:00+02:00",
        start="2024-04-02T07:58:00Z",
        fingerprint="nagios-db-1-ping",
        severity="low",
        url="https://nagios/db-1",
    )
    events, problems = parse_generic({"events": [event(), resolved]}, received_at=NOW)
    assert problems == []
    firing, done = events
    assert firing.source == "nagios"
    assert firing.status is Status.FIRING
    assert firing.severity is Severity.CRITICAL
    assert firing.starts_at == datetime(2024, 4, 2, 10, 2, tzinfo=UTC)
    assert firing.ends_at is None
    assert firing.summary == "db-1 does not answer"
    assert firing.labels == (("check", "ping"), ("host", "db-1"))
    assert firing.fingerprint == fingerprint_of(firing.labels)
    assert done.status is Status.RESOLVED
    assert done.fingerprint == "nagios-db-1-ping"
    assert done.ends_at == datetime(2024, 4, 2, 8, 12, tzinfo=UTC)
    assert done.severity is Severity.WARNING
    assert done.generator_url == "https://nagios/db-1"


def test_bare_list_of_events() -> None:
    events, problems = parse_generic([event(), event(labels={"host": "db-2"})], received_at=NOW)
    assert problems == []
    assert [e.label("host") for e in events] == ["db-1", "db-2"]


def test_fingerprint_labels_choose_the_identity() -> None:
    one = event(labels={"host": "db-1", "check": "ping", "value": "12ms"})
    two = event(labels={"host": "db-1", "check": "ping", "value": "40ms"})
    events, _ = parse_generic([one, two], received_at=NOW, fingerprint_labels=("host", "check"))
    assert events[0].fingerprint == events[1].fingerprint
    expected = fingerprint_of(labels_of({"host": "db-1", "check": "ping"}))
    assert events[0].fingerprint == expected
    events, _ = parse_generic([one, two], received_at=NOW)
    assert events[0].fingerprint != events[1].fingerprint


def test_severity_defaults_to_warning_and_summary_to_empty() -> None:
    [e], _ = parse_generic([event(severity=None, summary=None)], received_at=NOW)
    assert e.severity is Severity.WARNING
    assert e.summary == ""


def test_a_fingerprint_without_labels_is_refused_as_alertmanager_does() -> None:
    events, problems = parse_generic([event(labels={}, fingerprint="x1")], received_at=NOW)
    assert events == []
    assert [p.dotted_path for p in problems] == ["[0].labels"]
    assert "at least one label" in problems[0].message


def test_empty_batch() -> None:
    assert parse_generic({"events": []}, received_at=NOW) == ([], [])
    assert parse_generic([], received_at=NOW) == ([], [])


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            {"start": "2024-04-02T10:02:00"},
            "events[1].start: timestamp '2024-04-02T10:02:00' has no timezone; add Z for UTC or "
            "an offset like +02:00",
        ),
        (
            {"status": "resolved", "end": "2024-04-02T10:00:00Z"},
            "events[1].end: end 2024-04-02T10:00:00+00:00 is before start "
            "2024-04-02T10:02:00+00:00",
        ),
        (
            {"status": "ok"},
            "events[1].status: unknown status 'ok'; expected firing or resolved",
        ),
        (
            {"end": "2024-04-02T11:00:00Z"},
            "events[1].end: a firing event has no end; send status resolved with its end",
        ),
        ({"status": None}, "events[1].status: this field is required"),
        ({"source": None}, "events[1].source: this field is required"),
        ({"source": ""}, "events[1].source: String should have at least 1 character"),
        ({"start": None}, "events[1].start: this field is required"),
        ({"labels": ["host", "db-1"]}, "events[1].labels: expected a JSON object"),
        ({"labels": {"port": 22}}, "events[1].labels.port: expected text (a JSON string)"),
        ({"lables": {"host": "x"}}, "events[1].lables: unknown field 'lables'"),
        (
            {"labels": {"host-name": "x"}},
            "events[1].labels.host-name: invalid name 'host-name': label and annotation names "
            "must match ^[a-zA-Z_][a-zA-Z0-9_]*$ (Alertmanager 0.25's rule)",
        ),
        (
            {"summary": "db\x00down"},
            "events[1].summary: holds a NUL character (\\u0000), which cannot be stored",
        ),
        (
            {"labels": {"host": "db-\ud800"}},
            "events[1].labels.host: not valid Unicode text: it holds a lone surrogate (such as "
            "\\ud800)",
        ),
        (
            {"labels": {}},
            "events[1].labels: an event needs at least one label (as Alertmanager, an empty "
            "label set is refused)",
        ),
        (
            {"start": 1712052120},
            "events[1].start: expected an RFC 3339 timestamp as text, e.g. 2024-04-02T10:02:00Z",
        ),
    ],
)
def test_one_bad_event_rejects_the_batch(change: dict[str, Any], expected: str) -> None:
    bad = event()
    bad.update(change)
    bad = {k: v for k, v in bad.items() if v is not None}
    found = problems_of({"events": [event(), bad, event()]})
    assert [f"{path}: {message}" for path, message in found] == [expected]


def test_every_bad_event_is_reported() -> None:
    found = problems_of([event(start="now"), event(), "event", event(status="up", labels=[])])
    assert [path for path, _ in found] == ["[0].start", "[2]", "[3].labels", "[3].status"]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({}, [("events", "this field is required")]),
        ({"events": {}}, [("events", "expected a JSON array")]),
        (
            {"events": [], "source": "x"},
            [("source", "unknown field 'source'")],
        ),
        (
            "events",
            [
                (
                    "<document>",
                    'a generic event batch is a JSON object {"events": [...]} or a JSON array',
                )
            ],
        ),
        (
            None,
            [
                (
                    "<document>",
                    'a generic event batch is a JSON object {"events": [...]} or a JSON array',
                )
            ],
        ),
    ],
)
def test_malformed_batches(data: Any, expected: list[tuple[str, str]]) -> None:
    assert problems_of(data) == expected


def test_one_event_alone_with_a_path_prefix() -> None:
    found, problems = GenericFormat.parse_one(event(start="x"), prefix=("line",), file="f.jsonl")
    assert found is None
    assert [str(p) for p in problems] == [
        "f.jsonl: line.start: 'x' is not an RFC 3339 timestamp (e.g. 2024-04-02T10:02:00Z)"
    ]
    found, problems = GenericFormat.parse_one(event())
    assert problems == []
    assert found is not None
    assert found.source == "nagios"
