"""Every published Alertmanager webhook sample in ``samples/alertmanager`` reads, with the events
worked out by hand from the files."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from servanda.events.model import Event, Severity, Status
from servanda.ingest.alertmanager import label_set_fingerprint, parse_alertmanager

SAMPLES = Path(__file__).parent / "samples" / "alertmanager"
RECEIVED = datetime(2026, 9, 1, tzinfo=UTC)


def load(name: str) -> Any:
    return json.loads((SAMPLES / name).read_text(encoding="utf-8"))


def read(name: str) -> list[Event]:
    events, problems = parse_alertmanager(load(name), received_at=RECEIVED, file=name)
    assert problems == []
    return events


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def test_every_sample_is_listed_in_sources_and_reads() -> None:
    names = sorted(p.name for p in SAMPLES.glob("*.json"))
    assert len(names) == 5
    notes = (SAMPLES / "SOURCES.md").read_text(encoding="utf-8")
    for name in names:
        assert f"`{name}`" in notes
        assert read(name)


def test_reference_v4_body_with_newer_keys() -> None:
    [event] = read("servanda__reference__alertmanager-webhook.json")
    assert event.source == "alertmanager"
    assert event.fingerprint == "4d3a5b0c1e2f9a77"  # made up, kept as sent
    assert event.status is Status.FIRING
    assert event.severity is Severity.CRITICAL
    assert event.starts_at == datetime(2026, 8, 22, 14, 3, 27, 143000, UTC)
    assert event.ends_at is None  # 0001-01-01T00:00:00Z: not set
    assert event.summary == "db-1:9100 down"
    assert event.generator_url == "http://prometheus:9090/graph?g0.expr=up+%3D%3D+0&g0.tab=1"
    assert event.labels == (
        ("alertname", "InstanceDown"),
        ("instance", "db-1:9100"),
        ("job", "node"),
        ("severity", "critical"),
        ("zone", "eu-1"),
    )
    assert event.node is None


def test_older_style_body_without_status_fingerprint_or_generator_url() -> None:
    [event] = read("prometheus-msteams__alert__testdata__prom_post_request.json")
    assert event.status is Status.FIRING  # derived: endsAt is Go's zero time
    assert event.ends_at is None
    assert event.fingerprint == "b29784719d6a11e6"  # computed as Alertmanager does
    assert event.fingerprint == label_set_fingerprint(dict(event.labels))
    assert event.severity is Severity.WARNING
    # nanoseconds cut to microseconds, the -05:00 offset read and shown in UTC
    assert event.starts_at == datetime(2018, 3, 7, 11, 33, 21, 873077, UTC)
    assert event.starts_at.utcoffset() is not None
    assert event.generator_url is None
    assert event.summary == "Server High Memory usage"
    assert event.label("instance") == "instance-with-hyphen_and_underscore"


def test_hand_made_fingerprint_is_kept_not_rejected() -> None:
    [event] = read("prom2teams__tests__data__json_files__all_ok.json")
    assert event.fingerprint == "dd19ae3d4e06ac55"
    assert label_set_fingerprint(dict(event.labels)) == "d7639280ae704875"  # per SOURCES.md
    assert event.status is Status.RESOLVED
    assert event.severity is Severity.WARNING  # "severe" is no known word
    assert event.starts_at == utc("2017-05-09T07:01:37.803000+00:00")
    assert event.ends_at == utc("2017-05-09T07:08:37.818278+00:00")
    assert event.summary == "Disk usage alert on CS30.evilcorp"
    assert event.generator_url == "my.prometheusserver.url"


def test_mixed_fractional_precisions_and_computed_fingerprints() -> None:
    first, second = read("prom2teams__tests__data__jsons__all_ok_multiple.json")
    assert [e.status for e in (first, second)] == [Status.RESOLVED, Status.RESOLVED]
    assert first.starts_at == utc("2017-05-09T07:01:37.803000+00:00")  # .803000000Z
    assert first.ends_at == utc("2017-05-09T07:08:37.818000+00:00")  # .818Z
    assert second.starts_at == utc("2017-05-09T07:01:37.803000+00:00")  # .803000Z
    assert second.ends_at == utc("2017-05-09T07:08:37.818270+00:00")  # .81827Z
    # the same labels as all_ok.json, whose own fingerprint was made up
    assert first.fingerprint == "d7639280ae704875"
    assert second.fingerprint == "73156dd28f7bde77"
    assert [e.severity for e in (first, second)] == [Severity.WARNING, Severity.CRITICAL]
    assert second.summary == "Disk usage alert on CS31.evilcorp"


def test_grafana_version_1_superset() -> None:
    high_memory, high_cpu = read("grafana__docs__webhook-notifier__example_payload.json")
    assert [e.fingerprint for e in (high_memory, high_cpu)] == [
        "c6eadffa33fcdf37",
        "bc97ff14869b13e3",
    ]  # Grafana's own, not recomputable from the labels
    assert high_memory.fingerprint != label_set_fingerprint(dict(high_memory.labels))
    assert {e.status for e in (high_memory, high_cpu)} == {Status.FIRING}
    assert {e.ends_at for e in (high_memory, high_cpu)} == {None}
    assert high_memory.starts_at == datetime(2021, 10, 12, 7, 51, 3, 157076, UTC)
    assert high_cpu.starts_at == datetime(2021, 10, 12, 7, 56, 3, 157076, UTC)
    assert high_memory.summary == "This alert was triggered for zone us-1"
    assert high_cpu.severity is Severity.WARNING  # no severity label
    assert high_cpu.label("zone") == "eu-1"
    assert high_cpu.generator_url == "https://play.grafana.org/alerting/d1rdpdv7k/edit"


@pytest.mark.parametrize("name", sorted(p.name for p in SAMPLES.glob("*.json")))
def test_reading_twice_gives_the_same_keys(name: str) -> None:
    later = datetime(2027, 1, 1, tzinfo=UTC)
    again, _ = parse_alertmanager(load(name), received_at=later)
    assert [e.key for e in again] == [e.key for e in read(name)]
