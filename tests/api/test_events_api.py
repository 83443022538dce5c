"""Events over HTTP: Alertmanager webhooks and generic batches in, unmapped events and
saturation figures out, on both database backends.

The fixtures here (a small network with a core router, switches, redundant uplinks and a
partial dependency, tokens of every role, a client with a settable clock, and payload
builders) are shared with ``test_incidents_api.py``.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from servanda.api import ApiSettings, create_app
from servanda.api.deps import get_clock
from servanda.config.loader import load_config
from servanda.core.access import Role
from servanda.storage.database import transaction
from servanda.storage.repositories import BundleRepository
from servanda.storage.tables import AlertRow, EventRow, IncidentRow
from servanda.storage.tokens import TokenRepository

from .support import NOW, bearer

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", r"Using `httpx` with `starlette\.testclient`")
    from fastapi.testclient import TestClient

SAMPLES = Path(__file__).parents[1] / "ingest" / "samples" / "alertmanager"
ALERTMANAGER = "/api/v1/events/alertmanager"
GENERIC = "/api/v1/events"
SETTLE = "/api/v1/events/settle"
BODY_LIMIT = 64 * 1024

NETWORK = """\
parties:
  - {id: metro, name: Metro Fibre, roles: [provider]}
  - {id: alpha, name: Alpha Trading, roles: [customer]}
  - {id: beta, name: Beta Bakery, roles: [customer]}
components:
  - {id: core-1, kind: router}
  - {id: core-2, kind: router}
  - {id: uplink-a, kind: link}
  - {id: uplink-b, kind: link}
  - {id: edge, kind: router, depends_on: [{any_of: [uplink-a, uplink-b]}]}
  - {id: sw-1, kind: switch, depends_on: [core-1]}
  - {id: sw-2, kind: switch, depends_on: [core-1]}
  - {id: sw-3, kind: switch, depends_on: [core-1]}
  - {id: sw-4, kind: switch, depends_on: [core-1]}
services:
  - {id: internet, name: Internet, provider: metro, depends_on: [sw-1, edge]}
  - {id: voice, name: Voice, provider: metro, depends_on: [sw-3]}
  - id: tv
    name: Television
    provider: metro
    depends_on: [sw-4, {all_of: [core-2], share: 50%}]
subscriptions:
  - {customer: alpha, service: internet, start: 2024-01-01}
  - {customer: beta, service: voice, start: 2024-01-01}
  - {customer: beta, service: tv, start: 2024-01-01}
agreements:
  - id: metro-terms
    level: corporate
    provider: metro
    effective_from: 2024-01-01
    objectives:
      - {metric: availability, target: 99.5%}
  - id: alpha
    level: customer
    provider: metro
    customer: alpha
    effective_from: 2024-01-01
    responsibilities: {validates_correction: customer}
mappings:
  - match: {device: "~(?P<name>[a-z0-9-]+)"}
    node: "{name}"
"""
"""core-1 carries sw-1…sw-4; internet (alpha) needs sw-1 and edge (any of two uplinks);
voice (beta) needs sw-3; tv (beta) needs sw-4, and core-2 for half of it. alpha's agreement
says the customer validates corrections."""


class Clock:
    """A clock the test moves."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at


class Tokens:
    """Plaintext tokens by name: admin, operator, billing, ingest, alpha, beta."""

    def __init__(self, made: dict[str, str]) -> None:
        self.made = made

    def __getitem__(self, name: str) -> dict[str, str]:
        return bearer(self.made[name])


@pytest.fixture
def network(engine: Engine, tmp_path: Path) -> Engine:
    """``engine`` with :data:`NETWORK` stored."""
    path = tmp_path / "network.yaml"
    path.write_text(NETWORK, encoding="utf-8")
    result = load_config([path])
    assert result.problems == []
    with transaction(engine) as session:
        BundleRepository(session).save(result.bundle, result.files, now=NOW - timedelta(days=1))
    return engine


@pytest.fixture
def auth(network: Engine) -> Tokens:
    """A token per role, and one per customer."""
    with transaction(network) as session:
        repo = TokenRepository(session)
        made = {
            name: repo.create(role, party, name, NOW)[1]
            for name, role, party in (
                ("admin", Role.ADMIN, None),
                ("operator", Role.OPERATOR, None),
                ("billing", Role.BILLING, None),
                ("ingest", Role.INGEST, None),
                ("alpha", Role.CUSTOMER, "alpha"),
                ("beta", Role.CUSTOMER, "beta"),
            )
        }
    return Tokens(made)


@pytest.fixture
def clock() -> Clock:
    """The API's clock, at :data:`NOW` until a test moves it."""
    return Clock(NOW)


@pytest.fixture
def api(network: Engine, clock: Clock) -> Iterator[TestClient]:
    """A client of the API on :data:`NETWORK`, bodies limited to 64 KiB."""
    app = create_app(network, ApiSettings(max_body_bytes=BODY_LIMIT))
    app.dependency_overrides[get_clock] = lambda: clock
    with TestClient(app) as test_client:
        yield test_client


def stamp(at: datetime) -> str:
    """RFC 3339, as Alertmanager writes it."""
    return at.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def alert(
    device: str,
    start: datetime,
    *,
    name: str = "Down",
    end: datetime | None = None,
    **labels: str,
) -> dict[str, Any]:
    """One alert of a webhook body, about ``device``."""
    return {
        "status": "resolved" if end is not None else "firing",
        "labels": {"alertname": name, "device": device, "severity": "critical", **labels},
        "annotations": {"summary": f"{device} {name.lower()}"},
        "startsAt": stamp(start),
        "endsAt": stamp(end) if end is not None else "0001-01-01T00:00:00Z",
        "generatorURL": "http://prometheus:9090/graph?g0.expr=up+%3D%3D+0",
    }


def webhook(*alerts: dict[str, Any]) -> dict[str, Any]:
    """A version 4 webhook body around ``alerts``, with the newer keys."""
    firing = any(a["status"] == "firing" for a in alerts)
    return {
        "version": "4",
        "groupKey": '{}:{alertname="Down"}',
        "truncatedAlerts": 0,
        "status": "firing" if firing else "resolved",
        "receiver": "servanda",
        "groupLabels": {"alertname": "Down"},
        "commonLabels": {"alertname": "Down"},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager:9093",
        "notification_reason": "first notification",
        "routeLabels": {},
        "alerts": list(alerts),
    }


def stored(engine: Engine) -> dict[str, int]:
    """How many events, alert states and incidents are stored."""
    with transaction(engine) as session:
        return {
            name: session.execute(select(func.count()).select_from(table)).scalar_one()
            for name, table in (
                ("events", EventRow),
                ("alerts", AlertRow),
                ("incidents", IncidentRow),
            )
        }


def send(
    api: TestClient, auth: Tokens, body: dict[str, Any], who: str = "ingest"
) -> dict[str, Any]:
    """POST a webhook body; it must be accepted."""
    response = api.post(ALERTMANAGER, headers=auth[who], json=body)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


# --- Alertmanager ----------------------------------------------------------------------------


@pytest.mark.parametrize("sample", sorted(p.name for p in SAMPLES.glob("*.json")))
def test_every_shared_alertmanager_sample_is_accepted(
    api: TestClient, auth: Tokens, network: Engine, sample: str
) -> None:
    raw = (SAMPLES / sample).read_bytes()
    headers = {**auth["ingest"], "Content-Type": "application/json"}
    response = api.post(ALERTMANAGER, headers=headers, content=raw)
    assert response.status_code == 200, response.text
    counts = response.json()
    sent = len(json.loads(raw)["alerts"])
    assert counts["received"] == sent
    assert counts["new"] + counts["duplicates"] == sent
    assert counts["new"] >= 1
    # None of the samples' hosts is in the network: kept, listed as unmapped.
    assert counts["unmapped"] == counts["new"]
    assert stored(network)["events"] == counts["new"]

    again = api.post(ALERTMANAGER, headers=headers, content=raw).json()
    assert again["new"] == 0
    assert again["duplicates"] == sent
    assert again["incidents_opened"] == 0


def test_the_same_batch_twice_changes_nothing(
    api: TestClient, auth: Tokens, network: Engine
) -> None:
    body = webhook(
        alert("sw-1", NOW - timedelta(minutes=5)), alert("sw-2", NOW - timedelta(minutes=4))
    )
    first = send(api, auth, body)
    assert first["received"] == 2
    assert first["new"] == 2
    assert first["duplicates"] == 0
    assert first["unmapped"] == 0
    assert first["incidents_opened"] >= 1
    before = stored(network)
    listed = api.get("/api/v1/incidents", headers=auth["operator"]).json()

    second = send(api, auth, body)
    assert second == {
        **second,
        "received": 2,
        "new": 0,
        "duplicates": 2,
        "unmapped": 0,
        "incidents_opened": 0,
        "incidents_updated": 0,
    }
    assert stored(network) == before
    assert api.get("/api/v1/incidents", headers=auth["operator"]).json() == listed


def test_a_malformed_payload_is_422_with_the_path_and_nothing_is_stored(
    api: TestClient, auth: Tokens, network: Engine
) -> None:
    good = [alert(f"sw-{i % 4 + 1}", NOW - timedelta(minutes=i), name=f"A{i}") for i in range(5)]
    bad = dict(good[3], startsAt="yesterday")
    response = api.post(ALERTMANAGER, headers=auth["ingest"], json=webhook(*good[:3], bad, good[4]))
    assert response.status_code == 422
    (problem,) = response.json()["detail"]
    assert problem["loc"] == ["body", "alerts", 3, "startsAt"]
    assert "RFC 3339" in problem["msg"]
    assert stored(network) == {"events": 0, "alerts": 0, "incidents": 0}

    # Every problem is reported, each at its own path.
    broken = webhook(
        dict(good[0], labels="x"),
        dict(good[1], endsAt=stamp(NOW - timedelta(hours=2)), status="resolved"),
    )
    del broken["alerts"][0]["startsAt"]
    detail = api.post(ALERTMANAGER, headers=auth["ingest"], json=broken).json()["detail"]
    locs = [d["loc"] for d in detail]
    assert ["body", "alerts", 0, "labels"] in locs
    assert ["body", "alerts", 0, "startsAt"] in locs
    assert ["body", "alerts", 1, "endsAt"] in locs
    assert stored(network)["events"] == 0


@pytest.mark.parametrize(
    ("payload", "loc"),
    [
        ({"alerts": "none"}, ["body", "alerts"]),
        ({"status": "firing"}, ["body", "alerts"]),
        ([], ["body"]),
        (
            {"alerts": [{"labels": {}, "startsAt": "0001-01-01T00:00:00Z"}]},
            ["body", "alerts", 0, "startsAt"],
        ),
        (
            {"alerts": [{"labels": {}, "startsAt": "2024-07-01T09:00:00Z", "status": "pending"}]},
            ["body", "alerts", 0, "status"],
        ),
    ],
)
def test_payload_problems_name_their_field(
    api: TestClient, auth: Tokens, payload: Any, loc: list[Any]
) -> None:
    response = api.post(ALERTMANAGER, headers=auth["ingest"], json=payload)
    assert response.status_code == 422
    assert loc in [d["loc"] for d in response.json()["detail"]]


def test_invalid_json_is_422_with_line_and_column(api: TestClient, auth: Tokens) -> None:
    text = '{\n  "version": "4",\n  "alerts": [\n    {"labels": {"a": "b"},, }\n  ]\n}'
    headers = {**auth["ingest"], "Content-Type": "application/json"}
    response = api.post(ALERTMANAGER, headers=headers, content=text)
    assert response.status_code == 422
    (problem,) = response.json()["detail"]
    assert problem["loc"] == ["body"]
    assert problem["msg"].startswith("invalid JSON")
    assert (problem["line"], problem["column"]) == (4, 27)  # the second comma

    for body in (b"", b"   ", b"\xff\xfe{}"):
        response = api.post(GENERIC, headers=headers, content=body)
        assert response.status_code == 422
        assert response.json()["detail"][0]["loc"] == ["body"]


def test_a_body_over_the_limit_is_413_and_nothing_is_stored(
    api: TestClient, auth: Tokens, network: Engine
) -> None:
    many = [
        alert("sw-1", NOW - timedelta(minutes=1), name=f"Alert{i}", padding="x" * 200)
        for i in range(300)
    ]
    body = json.dumps(webhook(*many)).encode()
    assert len(body) > BODY_LIMIT
    headers = {**auth["ingest"], "Content-Type": "application/json"}
    assert api.post(GENERIC, headers=headers, content=body).status_code == 413

    # Streamed without a Content-Length, the limit still holds.
    def chunks() -> Iterator[bytes]:
        for i in range(0, len(body), 4096):
            yield body[i : i + 4096]

    assert api.post(GENERIC, headers=headers, content=chunks()).status_code == 413
    assert stored(network)["events"] == 0

    # The Alertmanager webhook has a limit of its own, sized for a storm (test_alert_storms).
    response = api.post(ALERTMANAGER, headers=headers, content=body)
    assert response.status_code == 200, response.text
    assert response.json()["received"] == len(many)


def test_unmapped_events_are_kept_and_listed(api: TestClient, auth: Tokens) -> None:
    body = webhook(
        alert("sw-1", NOW - timedelta(minutes=3)),
        {
            **alert("x", NOW - timedelta(minutes=2), name="PrinterOnFire"),
            "labels": {"alertname": "PrinterOnFire", "instance": "printer-3:9100"},
        },
    )
    result = send(api, auth, body)
    assert result["new"] == 2
    assert result["unmapped"] == 1

    page = api.get("/api/v1/events/unmapped", headers=auth["operator"])
    assert page.status_code == 200
    listed = page.json()
    assert listed["total"] == 1
    (event,) = listed["events"]
    assert event["labels"] == {"alertname": "PrinterOnFire", "instance": "printer-3:9100"}
    assert event["source"] == "alertmanager"
    assert event["status"] == "firing"

    # An unmapped alert is its own incident, root-less: still visible to staff.
    incidents = api.get("/api/v1/incidents", headers=auth["operator"]).json()
    assert any(i["root"] is None for i in incidents)

    assert api.get("/api/v1/events/unmapped", headers=auth["ingest"]).status_code == 403
    assert api.get("/api/v1/events/unmapped", headers=auth["alpha"]).status_code == 404


# --- Generic ---------------------------------------------------------------------------------


def test_generic_batches(api: TestClient, auth: Tokens, network: Engine) -> None:
    batch = {
        "events": [
            {
                "source": "nagios",
                "labels": {"host": "sw-2", "check": "ping"},
                "severity": "critical",
                "status": "firing",
                "start": stamp(NOW - timedelta(minutes=10)),
                "summary": "sw-2 unreachable",
            },
            {
                "source": "nagios",
                "fingerprint": "nag-77",
                "labels": {"host": "lab-9"},
                "status": "resolved",
                "start": stamp(NOW - timedelta(minutes=30)),
                "end": stamp(NOW - timedelta(minutes=20)),
            },
        ]
    }
    response = api.post(GENERIC, headers=auth["operator"], json=batch)
    assert response.status_code == 200, response.text
    counts = response.json()
    assert (counts["received"], counts["new"], counts["unmapped"]) == (2, 2, 1)
    again = api.post(GENERIC, headers=auth["operator"], json=batch).json()
    assert (again["new"], again["duplicates"]) == (0, 2)

    bad = {"events": [batch["events"][0], {**batch["events"][1], "colour": "red"}]}
    response = api.post(GENERIC, headers=auth["operator"], json=bad)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "events", 1, "colour"]
    assert stored(network)["events"] == 2

    firing_with_end = {"events": [{**batch["events"][0], "end": stamp(NOW)}]}
    detail = api.post(GENERIC, headers=auth["operator"], json=firing_with_end).json()["detail"]
    assert detail[0]["loc"] == ["body", "events", 0, "end"]


def test_generic_fingerprint_labels(api: TestClient, auth: Tokens) -> None:
    def event(summary: str) -> dict[str, Any]:
        return {
            "source": "zabbix",
            "labels": {"host": "sw-2", "check": "ping", "value": summary},
            "status": "firing",
            "start": stamp(NOW - timedelta(minutes=1)),
        }

    url = GENERIC + "?fingerprint_labels=host&fingerprint_labels=check"
    first = api.post(url, headers=auth["ingest"], json={"events": [event("10%")]}).json()
    second = api.post(url, headers=auth["ingest"], json={"events": [event("20%")]}).json()
    assert first["new"] == 1
    assert second["duplicates"] == 1  # same fingerprint, status and start: the same observation


# --- Roles -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "code"),
    [("ingest", 200), ("operator", 200), ("admin", 200), ("billing", 403), ("alpha", 403)],
)
def test_who_may_send_events(api: TestClient, auth: Tokens, who: str, code: int) -> None:
    body = webhook(alert("sw-1", NOW - timedelta(minutes=1)))
    assert api.post(ALERTMANAGER, headers=auth[who], json=body).status_code == code
    generic = {
        "events": [
            {"source": "s", "labels": {"host": "sw-1"}, "status": "firing", "start": stamp(NOW)}
        ]
    }
    assert api.post(GENERIC, headers=auth[who], json=generic).status_code == code


def test_an_import_is_settled_over_http(
    network: Engine, auth: Tokens, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the default lateness an alert waits for the watermark; ``POST /events/settle``
    says the import is complete: it is correlated at once. Who may send events may settle."""
    monkeypatch.setenv("SERVANDA_EVENTS_LATENESS", "5m")
    app = create_app(network, ApiSettings(max_body_bytes=BODY_LIMIT))
    app.dependency_overrides[get_clock] = lambda: clock
    with TestClient(app) as api:
        settled_over_http(api, auth)


def settled_over_http(api: TestClient, auth: Tokens) -> None:
    sent = api.post(
        ALERTMANAGER,
        headers=auth["ingest"],
        json=webhook(alert("sw-1", NOW - timedelta(minutes=1))),
    ).json()
    assert (sent["held"], sent["opened"]) == (1, [])
    assert api.post(SETTLE, headers=auth["billing"]).status_code == 403
    assert api.post(SETTLE, headers=auth["alpha"]).status_code == 403
    assert api.post(SETTLE).status_code == 401
    settled = api.post(SETTLE, headers=auth["ingest"])
    assert settled.status_code == 200, settled.text
    [incident] = settled.json()["opened"]
    log = api.get("/api/v1/events/log", headers=auth["operator"]).json()
    assert log["held_events"] == 0
    assert api.post(SETTLE, headers=auth["operator"]).json()["opened"] == []
    shown = api.get(f"/api/v1/incidents/{incident}", headers=auth["operator"]).json()
    assert shown["root"] == "sw-1"


def test_events_need_a_token(api: TestClient) -> None:
    body = webhook(alert("sw-1", NOW - timedelta(minutes=1)))
    response = api.post(ALERTMANAGER, json=body)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    bad = api.post(ALERTMANAGER, json=body, headers={"Authorization": "Bearer svd_x_y"})
    assert bad.status_code == 401


# --- Saturation ------------------------------------------------------------------------------


def test_saturation_figures(api: TestClient, auth: Tokens, clock: Clock) -> None:
    start = NOW - timedelta(minutes=10)
    symptoms = [alert(f"sw-{i}", start + timedelta(seconds=10 * i)) for i in range(1, 5)]
    send(api, auth, webhook(*symptoms, alert("core-1", start)))
    send(api, auth, webhook(alert("printer", start, instance="printer-9")))

    response = api.get(
        "/api/v1/events/stats",
        headers=auth["operator"],
        params={
            "since": stamp(NOW - timedelta(hours=1)),
            "until": stamp(NOW + timedelta(minutes=1)),
        },
    )
    assert response.status_code == 200, response.text
    figures = response.json()
    assert figures["alerts_in"] == 6
    assert figures["incidents_out"] == 2  # core-1 with its four switches; the unmapped printer
    assert figures["reduction"] == pytest.approx(1 - 2 / 6)
    assert figures["unmapped"] == 1
    assert figures["sources"] == [{"name": "alertmanager", "count": 6}]
    assert {"name": "core-1", "count": 1} in figures["nodes"]
    assert figures["flapping"] == []

    # Defaults: the day up to now.
    assert api.get("/api/v1/events/stats", headers=auth["admin"]).json()["alerts_in"] == 6
    clock.at = NOW + timedelta(days=3)
    assert api.get("/api/v1/events/stats", headers=auth["admin"]).json()["alerts_in"] == 0

    backwards = {"since": stamp(NOW), "until": stamp(NOW - timedelta(hours=1))}
    assert (
        api.get("/api/v1/events/stats", headers=auth["admin"], params=backwards).status_code == 422
    )
    assert api.get("/api/v1/events/stats", headers=auth["ingest"]).status_code == 403
    assert api.get("/api/v1/events/stats", headers=auth["beta"]).status_code == 404


def test_flapping_alerts_are_reported(api: TestClient, auth: Tokens, clock: Clock) -> None:
    base = NOW - timedelta(minutes=30)
    for i in range(6):
        begin = base + timedelta(minutes=4 * i)
        clock.at = begin + timedelta(minutes=2)
        send(
            api,
            auth,
            webhook(alert("sw-2", begin, name="PortFlap", end=begin + timedelta(minutes=1))),
        )
    figures = api.get(
        "/api/v1/events/stats",
        headers=auth["operator"],
        params={
            "since": stamp(base - timedelta(hours=1)),
            "until": stamp(NOW + timedelta(hours=1)),
        },
    ).json()
    assert len(figures["flapping"]) == 1
    incidents = api.get(
        "/api/v1/incidents", headers=auth["operator"], params={"root": "sw-2"}
    ).json()
    assert len(incidents) == 1  # flapping does not open an incident each time


# --- OpenAPI ---------------------------------------------------------------------------------


def test_openapi_lists_the_event_and_incident_endpoints(api: TestClient) -> None:
    document = api.get("/openapi.json").json()
    paths = document["paths"]
    assert set(paths["/api/v1/events/alertmanager"]) == {"post"}
    assert set(paths["/api/v1/events"]) == {"post"}
    assert set(paths["/api/v1/events/unmapped"]) == {"get"}
    assert set(paths["/api/v1/events/stats"]) == {"get"}
    assert set(paths["/api/v1/events/settle"]) == {"post"}
    assert set(paths["/api/v1/incidents"]) == {"get"}
    assert set(paths["/api/v1/incidents/{incident_id}"]) == {"get"}
    for step in ("ack", "correct", "validate", "close", "reopen"):
        operation = paths[f"/api/v1/incidents/{{incident_id}}/{step}"]["post"]
        assert operation["security"] == [{"bearerAuth": []}]
        assert "409" in operation["responses"]
    webhook_op = paths["/api/v1/events/alertmanager"]["post"]
    schema = webhook_op["requestBody"]["content"]["application/json"]["schema"]
    assert "alerts" in schema["properties"]
    assert "startsAt" in schema["properties"]["alerts"]["items"]["properties"]
    assert {"413", "422", "401", "403"} <= set(webhook_op["responses"])
    assert {t["name"] for t in document["tags"]} >= {"events", "incidents"}


def test_a_configuration_loaded_later_is_used_at_once(
    api: TestClient, auth: Tokens, network: Engine, tmp_path: Path
) -> None:
    printer = {
        **alert("x", NOW - timedelta(minutes=5)),
        "labels": {"alertname": "Jam", "instance": "printer-3:9100"},
    }
    assert send(api, auth, webhook(printer))["unmapped"] == 1

    # The printer joins the catalog while the server runs: the shared engine rebuilds itself.
    path = tmp_path / "more.yaml"
    core = "  - {id: core-1, kind: router}\n"
    more = NETWORK.replace(core, core + "  - {id: printer-3, kind: printer}\n")
    path.write_text(more, encoding="utf-8")
    result = load_config([path])
    assert result.problems == []
    with transaction(network) as session:
        BundleRepository(session).save(result.bundle, result.files, now=NOW)

    again = {**printer, "labels": {"alertname": "Offline", "instance": "printer-3:9100"}}
    assert send(api, auth, webhook(again))["unmapped"] == 0
    roots = {i["root"] for i in api.get("/api/v1/incidents", headers=auth["operator"]).json()}
    assert "printer-3" in roots
