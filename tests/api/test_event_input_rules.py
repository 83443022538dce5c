"""Bad input at the event ingestion edge answers 4xx with located problems, never 500, and
stores nothing: JSON nested thousands of levels deep, lone surrogates, NUL characters, and
what Alertmanager 0.25's own validation of an alert refuses (empty label set, invalid label or
annotation names, an end before the start), on both database backends."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from .support import NOW
from .test_events_api import (
    ALERTMANAGER,
    GENERIC,
    Tokens,
    alert,
    api,
    auth,
    clock,
    network,
    stamp,
    stored,
    webhook,
)

__all__ = ["api", "auth", "clock", "network"]  # fixtures

DEEP = 5000
NOTHING = {"events": 0, "alerts": 0, "incidents": 0}


def post_raw(api: TestClient, auth: Tokens, url: str, body: bytes) -> Any:
    """POST raw bytes; the answer must be 4xx with a JSON body."""
    headers = {**auth["ingest"], "Content-Type": "application/json"}
    response = api.post(url, headers=headers, content=body)
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:300])
    return response


def good_alerts() -> list[dict[str, Any]]:
    return [alert(f"sw-{i}", NOW - timedelta(minutes=i), name=f"A{i}") for i in range(1, 4)]


def generic_event(**change: Any) -> dict[str, Any]:
    event = {
        "source": "nagios",
        "labels": {"host": "sw-2", "check": "ping"},
        "severity": "critical",
        "status": "firing",
        "start": stamp(NOW - timedelta(minutes=10)),
        "summary": "sw-2 unreachable",
    }
    return {**event, **change}


# --- JSON nested thousands of levels deep -----------------------------------------------------


@pytest.mark.parametrize("url", [ALERTMANAGER, GENERIC])
def test_a_body_nested_thousands_deep_is_422_with_its_line_and_column(
    api: TestClient, auth: Tokens, network: Engine, url: str
) -> None:
    body = b"\n" + b"[" * DEEP + b"]" * DEEP
    response = post_raw(api, auth, url, body)
    assert response.status_code == 422
    (problem,) = response.json()["detail"]
    assert problem["loc"] == ["body"]
    assert "nest deeper than 1024" in problem["msg"]
    assert problem["line"] == 2
    assert problem["column"] > 1000
    assert stored(network) == NOTHING


def test_a_label_value_nested_thousands_deep_is_422(
    api: TestClient, auth: Tokens, network: Engine
) -> None:
    body = (
        b'{"version": "4", "alerts": [{"labels": {"alertname": "X", "device": '
        + b"[" * DEEP
        + b"]" * DEEP
        + b'}, "startsAt": "2024-07-01T09:00:00Z"}]}'
    )
    response = post_raw(api, auth, ALERTMANAGER, body)
    assert response.status_code == 422
    (problem,) = response.json()["detail"]
    assert "nest deeper than 1024" in problem["msg"]
    start = body.index(b"[")
    assert problem["line"] == 1
    assert start < problem["column"] <= start + DEEP  # where the brackets go too deep
    generic = (
        b'{"events": [{"source": "s", "status": "firing", "start": "2024-07-01T09:00:00Z", '
        b'"labels": {"host": ' + b"[" * DEEP + b"]" * DEEP + b"}}]}"
    )
    assert post_raw(api, auth, GENERIC, generic).status_code == 422
    assert stored(network) == NOTHING


# --- Lone surrogates and NUL characters --------------------------------------------------------

ESCAPES = {"surrogate": ("\\ud800", "lone surrogate"), "nul": ("\\u0000", "NUL character")}


def with_escape(body: dict[str, Any], marker: str, escape: str) -> bytes:
    """``body`` as JSON with ``marker`` replaced by a JSON escape sequence."""
    return json.dumps(body).replace(marker, escape).encode()


@pytest.mark.parametrize("kind", sorted(ESCAPES))
@pytest.mark.parametrize(
    ("where", "loc"),
    [
        (("labels", "device"), ["labels", "device"]),
        (("annotations", "summary"), ["annotations", "summary"]),
        (("generatorURL",), ["generatorURL"]),
    ],
)
def test_bad_characters_in_an_alert_are_422_at_the_field(
    api: TestClient,
    auth: Tokens,
    network: Engine,
    kind: str,
    where: tuple[str, ...],
    loc: list[str],
) -> None:
    escape, words = ESCAPES[kind]
    alerts = good_alerts()
    target: dict[str, Any] = alerts[1]
    for key in where[:-1]:
        target = target[key]
    target[where[-1]] = "MARK-here"
    response = post_raw(api, auth, ALERTMANAGER, with_escape(webhook(*alerts), "MARK", escape))
    assert response.status_code == 422
    (problem,) = response.json()["detail"]
    assert problem["loc"] == ["body", "alerts", 1, *loc]
    assert words in problem["msg"]
    assert stored(network) == NOTHING


@pytest.mark.parametrize("kind", sorted(ESCAPES))
def test_bad_characters_in_a_label_name_are_422_at_the_field(
    api: TestClient, auth: Tokens, network: Engine, kind: str
) -> None:
    escape, words = ESCAPES[kind]
    alerts = good_alerts()
    alerts[2]["labels"]["bad_MARK"] = "x"
    response = post_raw(api, auth, ALERTMANAGER, with_escape(webhook(*alerts), "MARK", escape))
    assert response.status_code == 422
    [problem] = response.json()["detail"]
    assert problem["loc"][:4] == ["body", "alerts", 2, "labels"]
    assert problem["loc"][4].startswith("bad_")  # the name, its bad character escaped
    assert "invalid name" in problem["msg"] or words in problem["msg"]
    assert stored(network) == NOTHING


@pytest.mark.parametrize("kind", sorted(ESCAPES))
@pytest.mark.parametrize("field", ["summary", "source", "labels"])
def test_bad_characters_in_a_generic_event_are_422_at_the_field(
    api: TestClient, auth: Tokens, network: Engine, kind: str, field: str
) -> None:
    escape, words = ESCAPES[kind]
    value: Any = {"host": "MARK"} if field == "labels" else "MARK"
    batch = {"events": [generic_event(), generic_event(**{field: value})]}
    response = post_raw(api, auth, GENERIC, with_escape(batch, "MARK", escape))
    assert response.status_code == 422
    (problem,) = response.json()["detail"]
    loc = ["body", "events", 1, field] + (["host"] if field == "labels" else [])
    assert problem["loc"] == loc
    assert words in problem["msg"]
    assert stored(network) == NOTHING


# --- Alertmanager's validation of an alert -----------------------------------------------------


def test_alertmanager_validation_of_an_alert_applies(
    api: TestClient, auth: Tokens, network: Engine
) -> None:
    alerts = good_alerts() + good_alerts()[:2]
    alerts[0] = {**alerts[0], "labels": {}}
    alerts[1] = {**alerts[1], "labels": {**alerts[1]["labels"], "2fast": "x", "with-dash": "y"}}
    alerts[2] = {**alerts[2], "annotations": {"runbook url": "http://x"}}
    alerts[3] = {**alerts[3], "endsAt": stamp(NOW - timedelta(hours=3))}  # firing, ends first
    alerts[4] = {**alerts[4], "labels": {**alerts[4]["labels"], "ok_name_9": "fine", "_x": ""}}
    response = api.post(ALERTMANAGER, headers=auth["ingest"], json=webhook(*alerts))
    assert response.status_code == 422
    found = {tuple(d["loc"]): d["msg"] for d in response.json()["detail"]}
    assert set(found) == {
        ("body", "alerts", 0, "labels"),
        ("body", "alerts", 1, "labels", "2fast"),
        ("body", "alerts", 1, "labels", "with-dash"),
        ("body", "alerts", 2, "annotations", "runbook url"),
        ("body", "alerts", 3, "endsAt"),
    }
    assert "at least one label" in found[("body", "alerts", 0, "labels")]
    assert "^[a-zA-Z_][a-zA-Z0-9_]*$" in found[("body", "alerts", 1, "labels", "2fast")]
    assert "before startsAt" in found[("body", "alerts", 3, "endsAt")]
    assert stored(network) == NOTHING

    # The same alerts, fixed, are accepted: the rule refuses nothing Alertmanager accepts.
    fixed = [*good_alerts(), alerts[4]]
    assert api.post(ALERTMANAGER, headers=auth["ingest"], json=webhook(*fixed)).status_code == 200


def test_generic_events_follow_the_same_label_rules(
    api: TestClient, auth: Tokens, network: Engine
) -> None:
    batch = {
        "events": [
            generic_event(),
            generic_event(labels={}, fingerprint="nag-1"),
            generic_event(labels={"host.name": "sw-2"}),
        ]
    }
    response = api.post(GENERIC, headers=auth["ingest"], json=batch)
    assert response.status_code == 422
    locs = [d["loc"] for d in response.json()["detail"]]
    assert locs == [["body", "events", 1, "labels"], ["body", "events", 2, "labels", "host.name"]]
    assert stored(network) == NOTHING
