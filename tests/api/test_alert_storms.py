"""Alert storms at the Alertmanager webhook, on both database backends: a 100,000-alert group
(about 50 MB) is taken whole through the real server; a notification Alertmanager truncated,
or one refused for its size, is recorded as an unmapped alert of Servanda's own that operators
see, once however often it is sent again."""

from __future__ import annotations

import resource
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from servanda.api import ApiSettings, create_app
from servanda.api.deps import get_clock

from .support import NOW, running_server
from .test_events_api import (
    ALERTMANAGER,
    BODY_LIMIT,
    Clock,
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

STORM = 100_000
WEBHOOK_LIMIT = 256 * 1024


ORDER = (
    "receiver",
    "status",
    "alerts",
    "groupLabels",
    "commonLabels",
    "commonAnnotations",
    "externalURL",
    "version",
    "groupKey",
    "truncatedAlerts",
)
"""The order Alertmanager writes a webhook's fields in (Go's order of its structures)."""


def as_alertmanager_writes(body: dict[str, Any]) -> bytes:
    """``body`` as JSON in Alertmanager's order: the receiver first, the group key last."""
    return orjson.dumps({k: body[k] for k in ORDER if k in body})


def unmapped(api: TestClient, auth: Tokens) -> list[dict[str, Any]]:
    page = api.get("/api/v1/events/unmapped", headers=auth["operator"]).json()
    events: list[dict[str, Any]] = page["events"]
    return events


def notices(api: TestClient, auth: Tokens) -> list[dict[str, Any]]:
    """The unmapped events of source servanda."""
    return [e for e in unmapped(api, auth) if e["source"] == "servanda"]


def rootless(api: TestClient, auth: Tokens) -> list[dict[str, Any]]:
    listed = api.get("/api/v1/incidents", headers=auth["operator"]).json()
    return [i for i in listed if i["root"] is None]


def test_a_truncated_notification_is_recorded_once(
    api: TestClient, auth: Tokens, network: Engine
) -> None:
    body = webhook(*[alert(f"sw-{i}", NOW - timedelta(minutes=i)) for i in range(1, 4)])
    body["truncatedAlerts"] = 1200
    first = api.post(ALERTMANAGER, headers=auth["ingest"], json=body)
    assert first.status_code == 200, first.text
    assert (first.json()["received"], first.json()["new"], first.json()["unmapped"]) == (4, 4, 1)

    [notice] = notices(api, auth)
    assert notice["labels"]["alertname"] == "ServandaNotificationTruncated"
    assert notice["labels"]["receiver"] == "servanda"
    assert len(notice["labels"]["group_key"]) == 16
    assert notice["severity"] == "warning"
    assert notice["status"] == "firing"
    assert "left 1,200 of 1,203 alerts out" in notice["summary"]
    assert "max_alerts: 0" in notice["summary"]
    assert notice["starts_at"] == stamp(NOW - timedelta(minutes=3))[:-5] + "Z"
    [incident] = rootless(api, auth)
    assert incident["state"] == "detected"

    # Alertmanager sends it again (a retry, or the repeat interval): nothing new.
    again = api.post(ALERTMANAGER, headers=auth["ingest"], json=body).json()
    assert (again["new"], again["duplicates"]) == (0, 4)
    assert len(notices(api, auth)) == 1
    assert len(rootless(api, auth)) == 1
    assert stored(network)["events"] == 4


@pytest.fixture
def small_webhook(network: Engine, clock: Clock) -> Iterator[TestClient]:
    """A client of an API whose Alertmanager webhook takes 256 KiB at most."""
    settings = ApiSettings(max_body_bytes=BODY_LIMIT, alertmanager_max_body_bytes=WEBHOOK_LIMIT)
    app = create_app(network, settings)
    app.dependency_overrides[get_clock] = lambda: clock
    with TestClient(app) as client:
        yield client


def test_a_notification_over_the_limit_is_413_and_recorded_once(
    small_webhook: TestClient, auth: Tokens, network: Engine
) -> None:
    start = NOW - timedelta(minutes=7)
    many = [alert("sw-1", start, name=f"Port{i}", padding="x" * 200) for i in range(1500)]
    raw = as_alertmanager_writes({**webhook(*many), "receiver": "noc-webhook"})
    assert len(raw) > WEBHOOK_LIMIT
    headers = {**auth["ingest"], "Content-Type": "application/json"}
    response = small_webhook.post(ALERTMANAGER, headers=headers, content=raw)
    assert response.status_code == 413
    assert "SERVANDA_ALERTMANAGER_MAX_BODY_BYTES" in response.json()["detail"]
    assert stored(network)["events"] == 1  # the notice, none of the alerts

    [notice] = notices(small_webhook, auth)
    assert notice["labels"]["alertname"] == "ServandaNotificationTooLarge"
    assert notice["labels"]["receiver"] == "noc-webhook"
    assert f"{len(raw):,} bytes" in notice["summary"]
    assert notice["starts_at"] == start.isoformat().replace("+00:00", "Z")
    assert len(rootless(small_webhook, auth)) == 1

    # Sent again, streamed without a Content-Length this time: refused, and the same notice.
    def chunks() -> Iterator[bytes]:
        for i in range(0, len(raw), 16384):
            yield raw[i : i + 16384]

    assert small_webhook.post(ALERTMANAGER, headers=headers, content=chunks()).status_code == 413
    assert stored(network)["events"] == 1
    assert len(rootless(small_webhook, auth)) == 1

    # Under the limit, the same route takes the group.
    fits = webhook(*many[:100])
    assert small_webhook.post(ALERTMANAGER, headers=headers, json=fits).status_code == 200


def storm(count: int, start: datetime) -> bytes:
    """A webhook body of ``count`` alerts on the network's switches, as Alertmanager writes
    it (receiver first, then the alerts, the group key last)."""
    devices = ("sw-1", "sw-2", "sw-3", "sw-4")
    alerts = []
    for i in range(count):
        one = alert(devices[i % 4], start + timedelta(milliseconds=i), name="PortDown")
        port = f"ge-{i // 48}/0/{i % 48}"
        one["labels"].update(port=port, job="snmp", instance=f"{devices[i % 4]}.metro:161")
        one["annotations"].update(
            description=f"port {port} of {devices[i % 4]} is down",
            runbook_url="https://runbooks.metro.example/network/PortDown",
        )
        alerts.append(one)
    body = webhook(*alerts)
    body["groupKey"] = '{}:{alertname="PortDown"}'
    return as_alertmanager_writes(body)


@pytest.mark.slow
def test_a_100000_alert_group_is_taken_whole_by_the_real_server(
    network: Engine, auth: Tokens
) -> None:
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
    raw = storm(STORM, start)
    assert len(raw) > 40 * 1024 * 1024  # over four times SERVANDA_MAX_BODY_BYTES
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with running_server(network, ApiSettings()) as url, httpx.Client(timeout=300) as http:
        began = time.perf_counter()
        response = http.post(
            url + ALERTMANAGER,
            headers={**auth["ingest"], "Content-Type": "application/json"},
            content=raw,
        )
        took = time.perf_counter() - began
        assert response.status_code == 200, response.text[:500]
        counts = response.json()
        assert (counts["received"], counts["new"], counts["unmapped"]) == (STORM, STORM, 0)
        assert stored(network)["events"] == STORM
        # The same group again (Alertmanager's repeat): nothing new.
        again = http.post(url + ALERTMANAGER, headers=auth["ingest"], content=raw).json()
        assert (again["new"], again["duplicates"]) == (0, STORM)
    grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) / 1024
    print(f"\n{STORM:,} alerts, {len(raw) / 1e6:.1f} MB: {took:.1f} s, peak RSS +{grown:.0f} MiB")
