"""``trusted`` records equal validated ones for valid input; ``strip`` strips as validation."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from servanda.core.records import WHITESPACE, strip, trusted
from servanda.events.incidents import Alert
from servanda.events.model import Event, Severity, Status

T0 = datetime(2024, 4, 2, 10, 0, tzinfo=UTC)


def fields_of(record: object) -> dict[str, object]:
    return {f.name: getattr(record, f.name) for f in dataclasses.fields(record)}  # type: ignore[arg-type]


def test_trusted_event_equals_the_validated_one() -> None:
    values: dict[str, object] = {
        "source": "alertmanager",
        "fingerprint": "0123456789abcdef",
        "labels": (("alertname", "InstanceDown"), ("instance", "db-1:9100")),
        "status": Status.RESOLVED,
        "starts_at": T0,
        "severity": Severity.CRITICAL,
        "ends_at": T0 + timedelta(minutes=5),
        "summary": "db-1 down",
        "node": "db-1",
        "generator_url": "http://prometheus/graph",
    }
    made = trusted(Event, **values)
    validated = Event(**values)  # type: ignore[arg-type]
    assert made == validated
    assert hash(made) == hash(validated)
    assert fields_of(made) == fields_of(validated)
    assert made.key == validated.key


def test_missing_fields_get_their_defaults() -> None:
    made = trusted(
        Event, source="s", fingerprint="f", labels=(), status=Status.FIRING, starts_at=T0
    )
    assert made == Event(source="s", fingerprint="f", labels=(), status=Status.FIRING, starts_at=T0)
    assert made.severity is Severity.WARNING
    assert made.node is None


def test_defaults_of_pydantic_fields() -> None:
    values: dict[str, object] = {
        "fingerprint": "f",
        "source": "s",
        "node": "n",
        "alertname": "a",
        "severity": Severity.MINOR,
        "status": Status.FIRING,
        "starts_at": T0,
        "first_seen": T0,
        "last_seen": T0,
    }
    made = trusted(Alert, **values)
    assert made == Alert(**values)  # type: ignore[arg-type]
    assert made.count == 1


def test_unknown_and_missing_fields_are_errors() -> None:
    with pytest.raises(TypeError, match="unknown fields"):
        trusted(
            Event,
            source="s",
            fingerprint="f",
            labels=(),
            status=Status.FIRING,
            starts_at=T0,
            colour="red",
        )
    with pytest.raises(TypeError, match="missing field 'starts_at'"):
        trusted(Event, source="s", fingerprint="f", labels=(), status=Status.FIRING)


def validated_text(text: str) -> str:
    return Event(source=text, fingerprint="f", labels=(), status=Status.FIRING, starts_at=T0).source


def test_strip_strips_every_character_as_validation_does() -> None:
    for code in range(0x3100):
        text = f"{chr(code)}x{chr(code)}"
        assert strip(text) == validated_text(text), hex(code)
    assert "\x1f" not in WHITESPACE
    assert "\u3000" in WHITESPACE


@given(st.text())
def test_strip_matches_validation(text: str) -> None:
    assert strip(text) == validated_text(text)
