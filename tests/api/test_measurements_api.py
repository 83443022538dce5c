"""Measurements and attestations over HTTP, on both database backends: batches in (all or
nothing, idempotent, problems at the path of their field), a series summarised, attestations
listed, and which tokens may do what.

The declaration is the one of :mod:`.support` with three series and two controls on the
corporate security policy (``loaded`` is overridden here, so ``tokens`` and ``client`` use it).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from servanda.config.loader import load_config
from servanda.storage.database import transaction
from servanda.storage.repositories import BundleRepository
from servanda.storage.tables import AttestationRow, MeasurementRow

from .support import CONFIG, NOW, Tokens, bearer

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", r"Using `httpx` with `starlette\.testclient`")
    from fastapi.testclient import TestClient

MEASUREMENTS = "/api/v1/measurements"
ATTESTATIONS = "/api/v1/attestations"

SECURITY = "      - {id: security, title: Security, text: Passwords have at least 8 characters.}\n"
CONTROLS = """\
      - id: security
        title: Security
        text: Passwords have at least 8 characters; badges carry a photo.
        controls:
          - {id: password-length, text: Passwords of 8 characters or more}
          - {id: photo-badges, text: Every badge has a printed photo}
"""
SERIES = """\
series:
  - {id: alpha-latency, kind: latency, node: internet, customer: alpha, interval: 1m}
  - {id: internet-loss, kind: loss, node: internet, interval: 5m}
  - {id: voice-packets, kind: packets, node: voice, customer: alpha}
"""


@pytest.fixture
def loaded(engine: Engine, tmp_path: Path) -> Engine:
    """``engine`` with the API tests' declaration, its series and policy controls stored."""
    assert CONFIG.count(SECURITY) == 1
    (tmp_path / "servanda.yaml").write_text(CONFIG.replace(SECURITY, CONTROLS), encoding="utf-8")
    (tmp_path / "series.yaml").write_text(SERIES, encoding="utf-8")
    result = load_config([tmp_path / "servanda.yaml", tmp_path / "series.yaml"])
    assert result.problems == []
    with transaction(engine) as session:
        BundleRepository(session).save(result.bundle, result.files, now=NOW)
    return engine


def count(engine: Engine, table: type[Any]) -> int:
    with transaction(engine) as session:
        return int(session.execute(select(func.count()).select_from(table)).scalar_one())


def latency(minute: int, value: Any) -> dict[str, Any]:
    return {"series": "alpha-latency", "at": f"2024-07-01T08:{minute:02d}:00Z", "value": value}


def post(client: TestClient, token: str, body: Any, path: str = MEASUREMENTS) -> Any:
    """POST ``body``; it must be accepted."""
    response = client.post(path, headers=bearer(token), json=body)
    assert response.status_code == 200, response.text
    return response.json()


# -- measurements ----------------------------------------------------------------------------


def test_a_batch_is_stored_once(client: TestClient, tokens: Tokens, loaded: Engine) -> None:
    body = {
        "measurements": [
            latency(0, 12.4),
            latency(1, "13.25"),
            latency(0, 12.4),
            {
                "series": "internet-loss",
                "start": "2024-07-01T08:00:00Z",
                "at": "2024-07-01T10:05:00+02:00",
                "good": 29_991,
                "total": 30_000,
            },
        ]
    }
    first = post(client, tokens.ingest, body)
    assert first == {"received": 4, "new": 3, "duplicates": 1, "replaced": 0}
    again = post(client, tokens.ingest, body)
    assert again == {"received": 4, "new": 0, "duplicates": 4, "replaced": 0}
    assert count(loaded, MeasurementRow) == 3


def test_replace_overwrites_what_was_stored(client: TestClient, tokens: Tokens) -> None:
    post(client, tokens.ingest, {"measurements": [latency(0, 12.4)]})
    kept = post(client, tokens.ingest, {"measurements": [latency(0, 99)]})
    assert (kept["new"], kept["replaced"]) == (0, 0)
    summary = client.get(
        f"{MEASUREMENTS}/alpha-latency/summary", headers=bearer(tokens.operator)
    ).json()
    assert summary["values"]["maximum"] == "12.4"

    response = client.post(
        f"{MEASUREMENTS}?replace=true",
        headers=bearer(tokens.ingest),
        json={"measurements": [latency(0, 15.5)]},
    )
    assert response.json() == {"received": 1, "new": 0, "duplicates": 1, "replaced": 1}
    summary = client.get(
        f"{MEASUREMENTS}/alpha-latency/summary", headers=bearer(tokens.operator)
    ).json()
    assert (summary["count"], summary["values"]["maximum"]) == (1, "15.5")


def test_bad_measurements_are_422_at_their_path_and_nothing_is_stored(
    client: TestClient, tokens: Tokens, loaded: Engine
) -> None:
    body = {
        "measurements": [
            latency(0, 10),
            {"series": "alpha-jitter", "at": "2024-07-01T08:01:00Z", "value": 3},
            {"series": "internet-loss", "at": "2024-07-01T08:05:00Z", "good": 5, "total": 4},
            latency(3, -1),
            latency(4, 11),
            {"series": "internet-loss", "at": "2024-07-01T08:10:00Z", "value": 1},
        ]
    }
    response = client.post(MEASUREMENTS, headers=bearer(tokens.ingest), json=body)
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert [d["loc"] for d in detail] == [
        ["body", "measurements", 1, "series"],
        ["body", "measurements", 2, "good"],
        ["body", "measurements", 3, "value"],
        ["body", "measurements", 5, "good"],
    ]
    assert "unknown series 'alpha-jitter'" in detail[0]["msg"]
    assert "good (5) is more than total (4)" in detail[1]["msg"]
    assert "cannot be negative" in detail[2]["msg"]
    assert "series 'internet-loss' is loss" in detail[3]["msg"]
    assert all(d["type"] == "invalid_input" for d in detail)
    assert count(loaded, MeasurementRow) == 0


@pytest.mark.parametrize(
    ("payload", "loc"),
    [
        ({"measurements": "none"}, ["body", "measurements"]),
        ({"samples": []}, ["body", "samples"]),
        (
            {"measurements": [{"series": "alpha-latency", "value": 1}]},
            ["body", "measurements", 0, "at"],
        ),
        (
            {"measurements": [dict(latency(0, 1), colour="red")]},
            ["body", "measurements", 0, "colour"],
        ),
        ({"measurements": [latency(0, "fast")]}, ["body", "measurements", 0, "value"]),
        (42, ["body"]),
    ],
)
def test_malformed_bodies_name_their_field(
    client: TestClient, tokens: Tokens, payload: Any, loc: list[Any]
) -> None:
    response = client.post(MEASUREMENTS, headers=bearer(tokens.ingest), json=payload)
    assert response.status_code == 422
    assert loc in [d["loc"] for d in response.json()["detail"]]


def test_invalid_json_is_422_with_line_and_column(client: TestClient, tokens: Tokens) -> None:
    headers = {**bearer(tokens.ingest), "Content-Type": "application/json"}
    text = '{"measurements": [\n  {"series": "alpha-latency",, "at": "x"}\n]}'
    response = client.post(MEASUREMENTS, headers=headers, content=text)
    assert response.status_code == 422
    (problem,) = response.json()["detail"]
    # The second comma.
    assert (problem["loc"], problem["line"], problem["column"]) == (["body"], 2, 30)
    assert client.post(MEASUREMENTS, headers=headers, content=b"").status_code == 422


def test_a_body_over_the_limit_is_413_and_nothing_is_stored(
    client: TestClient, tokens: Tokens, loaded: Engine
) -> None:
    many = [latency(i % 60, i) for i in range(2000)]
    body = json.dumps({"measurements": many}).encode()
    assert len(body) > 64 * 1024
    headers = {**bearer(tokens.ingest), "Content-Type": "application/json"}
    assert client.post(MEASUREMENTS, headers=headers, content=body).status_code == 413
    assert count(loaded, MeasurementRow) == 0


@pytest.mark.parametrize(
    ("who", "code"),
    [("ingest", 200), ("billing", 200), ("admin", 200), ("operator", 403), ("alpha", 403)],
)
def test_who_may_send_measurements(client: TestClient, tokens: Tokens, who: str, code: int) -> None:
    token = getattr(tokens, who)
    body = {"measurements": [latency(0, 1)]}
    assert client.post(MEASUREMENTS, headers=bearer(token), json=body).status_code == code
    assert client.post(MEASUREMENTS, json=body).status_code == 401


def test_a_series_summary(client: TestClient, tokens: Tokens) -> None:
    values = [latency(0, 10), latency(30, 12.5), latency(59, "30.000")]
    post(client, tokens.ingest, {"measurements": values})
    url = f"{MEASUREMENTS}/alpha-latency/summary"
    query = {"since": "2024-07-01T08:00:00Z", "until": "2024-07-01T09:00:00Z"}
    summary = client.get(url, headers=bearer(tokens.alpha), params=query).json()
    assert summary["count"] == 3
    assert (summary["first"], summary["last"]) == ("2024-07-01T08:00:00Z", "2024-07-01T08:59:00Z")
    # (10 + 12.5 + 30) / 3 = 17.5
    assert summary["values"] == {
        "unit": "ms",
        "count": 3,
        "minimum": "10",
        "mean": 17.5,
        "maximum": "30.000",
    }
    assert summary["counts"] is None
    # Without a period: the day before the clock (NOW is 09:30): all three.
    assert client.get(url, headers=bearer(tokens.operator)).json()["count"] == 3
    before = {"since": "2024-07-01T08:00:00", "until": "2024-07-01T08:30:00"}  # naive: UTC
    assert client.get(url, headers=bearer(tokens.operator), params=before).json()["count"] == 1

    assert client.get(url, headers=bearer(tokens.beta)).status_code == 404
    assert client.get(url, headers=bearer(tokens.ingest)).status_code == 403
    shared = f"{MEASUREMENTS}/internet-loss/summary"
    assert client.get(shared, headers=bearer(tokens.beta)).status_code == 200
    missing = f"{MEASUREMENTS}/nope/summary"
    assert client.get(missing, headers=bearer(tokens.operator)).status_code == 404
    backwards = {"since": "2024-07-01T09:00:00Z", "until": "2024-07-01T08:00:00Z"}
    assert client.get(url, headers=bearer(tokens.operator), params=backwards).status_code == 422


# -- attestations ----------------------------------------------------------------------------


def attestation(control: str, met: bool = True, month: int = 6, **kw: Any) -> dict[str, Any]:
    return {
        "policy": "security",
        "control": control,
        "period_start": f"2024-{month:02d}-01T00:00:00+02:00",
        "period_end": f"2024-{month + 1:02d}-01T00:00:00+02:00",
        "met": met,
        "attested_by": "CISO",
        "attested_at": "2024-07-01T09:00:00Z",
        **kw,
    }


def test_attestations_in_and_listed(client: TestClient, tokens: Tokens, loaded: Engine) -> None:
    body = {"attestations": [attestation("password-length"), attestation("photo-badges", False)]}
    first = post(client, tokens.operator, body, ATTESTATIONS)
    assert first == {"received": 2, "new": 2, "updated": 0, "unchanged": 0}
    assert post(client, tokens.operator, body, ATTESTATIONS)["unchanged"] == 2
    fixed = {"attestations": [attestation("photo-badges", True, evidence="badge register")]}
    assert post(client, tokens.admin, fixed, ATTESTATIONS)["updated"] == 1
    assert count(loaded, AttestationRow) == 2

    listed = client.get(ATTESTATIONS, headers=bearer(tokens.alpha)).json()
    assert [(a["control"], a["met"], a["evidence"]) for a in listed] == [
        ("password-length", True, ""),
        ("photo-badges", True, "badge register"),
    ]
    assert listed[0]["period_start"] == "2024-05-31T22:00:00Z"
    query = {"control": "photo-badges"}
    assert len(client.get(ATTESTATIONS, headers=bearer(tokens.operator), params=query).json()) == 1
    july = {"since": "2024-07-01T00:00:00+02:00"}
    assert client.get(ATTESTATIONS, headers=bearer(tokens.operator), params=july).json() == []


def test_bad_attestations_are_422_and_nothing_is_stored(
    client: TestClient, tokens: Tokens, loaded: Engine
) -> None:
    body = {
        "attestations": [
            attestation("password-length"),
            attestation("password-rotation"),
            attestation("password-length", policy="hygiene"),
            attestation("photo-badges", met="perhaps"),
        ]
    }
    response = client.post(ATTESTATIONS, headers=bearer(tokens.operator), json=body)
    assert response.status_code == 422
    assert [d["loc"] for d in response.json()["detail"]] == [
        ["body", "attestations", 3, "met"]
    ]  # the format first: references are checked once every record reads
    body["attestations"].pop()
    response = client.post(ATTESTATIONS, headers=bearer(tokens.operator), json=body)
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert [d["loc"] for d in detail] == [
        ["body", "attestations", 1, "control"],
        ["body", "attestations", 2, "policy"],
    ]
    assert "its controls: password-length, photo-badges" in detail[0]["msg"]
    assert count(loaded, AttestationRow) == 0


@pytest.mark.parametrize(
    ("who", "code"),
    [("operator", 200), ("admin", 200), ("billing", 403), ("ingest", 403), ("alpha", 403)],
)
def test_who_may_attest(client: TestClient, tokens: Tokens, who: str, code: int) -> None:
    body = {"attestations": [attestation("password-length")]}
    token = getattr(tokens, who)
    assert client.post(ATTESTATIONS, headers=bearer(token), json=body).status_code == code
    reading = client.get(ATTESTATIONS, headers=bearer(token)).status_code
    assert reading == (403 if who == "ingest" else 200)


def test_openapi_documents_the_measurement_endpoints(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    paths = document["paths"]
    assert set(paths[MEASUREMENTS]) == {"post"}
    assert set(paths[f"{MEASUREMENTS}/{{series}}/summary"]) == {"get"}
    assert set(paths[ATTESTATIONS]) == {"get", "post"}
    operation = paths[MEASUREMENTS]["post"]
    assert operation["summary"] == "Receive a batch of measurements"
    assert {"200", "401", "403", "413", "422"} <= set(operation["responses"])
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    item = schema["properties"]["measurements"]["items"]["properties"]
    assert {"series", "at", "value", "good", "total", "sent_at"} <= set(item)
    ok = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok == {"$ref": "#/components/schemas/MeasurementCountsPublic"}
    listed = paths[ATTESTATIONS]["get"]["responses"]["200"]["content"]["application/json"]
    assert listed["schema"]["items"] == {"$ref": "#/components/schemas/AttestationPublic"}
    assert {t["name"] for t in document["tags"]} >= {"measurements", "attestations"}
