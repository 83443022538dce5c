"""Usage over HTTP, on both backends: a batch stored and charged once, a bad batch refused
with the path of each bad field and nothing stored, corrections, the quarantine listed and
retried, and which tokens may do it."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from servanda.config.loader import load_config
from servanda.storage.database import transaction
from servanda.storage.repositories import BundleRepository

from .support import CONFIG, NOW, Tokens, bearer

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", r"Using `httpx` with `starlette\.testclient`")
    from fastapi.testclient import TestClient

USAGE = "/api/v1/usage"
TARIFFS = """\
tariffs:
  - id: voice
    active_from: 2024-01-01T00:00:00Z
    currency: EUR
    destinations:
      - {id: france, prefixes: ["+33"]}
    rates:
      - destinations: [france]
        connect_fee: "0.10"
        slots:
          - {price: "0.06", unit: 60s, increment: 1s}
"""


@pytest.fixture
def loaded(engine: Engine, tmp_path: Path) -> Engine:
    """The API tests' declaration with a tariff."""
    (tmp_path / "servanda.yaml").write_text(CONFIG, encoding="utf-8")
    (tmp_path / "tariffs.yaml").write_text(TARIFFS, encoding="utf-8")
    result = load_config([tmp_path / "servanda.yaml", tmp_path / "tariffs.yaml"])
    assert result.problems == []
    with transaction(engine) as session:
        BundleRepository(session).save(result.bundle, result.files, now=NOW)
    return engine


def record(n: int, seconds: int = 60, **extra: Any) -> dict[str, Any]:
    return {
        "source": "sbc-1",
        "record_id": f"cdr-{n}",
        "account": "alpha",
        "category": "call",
        "start": "2024-04-02T10:00:00+02:00",
        "destination": "+33142000000",
        "duration": seconds,
        **extra,
    }


def test_a_batch_is_stored_and_charged_once(client: TestClient, tokens: Tokens) -> None:
    body = {"usage": [record(1), record(2, 30)]}
    first = client.post(USAGE, json=body, headers=bearer(tokens.ingest))
    assert first.status_code == 200, first.text
    # 0.10 + 0.06 and 0.10 + 0.03
    assert first.json() | {"reasons": []} == {
        "received": 2, "stored": 2, "unchanged": 0, "corrected": 0, "rejected": 0,
        "rated": 2, "not_rated": 0, "charged": {"EUR": "0.29"}, "reasons": [],
    }  # fmt: skip
    again = client.post(USAGE, json=body, headers=bearer(tokens.ingest)).json()
    assert (again["stored"], again["unchanged"], again["charged"]) == (0, 2, {})


def test_a_bad_batch_stores_nothing_and_says_where(client: TestClient, tokens: Tokens) -> None:
    body = {"usage": [record(1), record(2, start="yesterday"), record(3, category="fax")]}
    answer = client.post(USAGE, json=body, headers=bearer(tokens.ingest))
    assert answer.status_code == 422
    locs = [tuple(d["loc"]) for d in answer.json()["detail"]]
    assert ("body", "usage", 1, "start") in locs
    assert ("body", "usage", 2, "category") in locs
    good = client.post(USAGE, json={"usage": [record(1)]}, headers=bearer(tokens.ingest))
    assert good.json()["stored"] == 1


def test_corrections_conflicts_and_the_quarantine(client: TestClient, tokens: Tokens) -> None:
    auth = bearer(tokens.billing)
    client.post(USAGE, json={"usage": [record(1), record(2, destination="+4930")]}, headers=auth)
    conflict = client.post(USAGE, json={"usage": [record(1, 120)]}, headers=auth).json()
    assert conflict["rejected"] == 1
    listed = client.get(f"{USAGE}/rejected", headers=auth).json()
    assert sorted((r["stage"], r["record_id"]) for r in listed) == [
        ("mediation", "cdr-1"), ("rating", "cdr-2"),
    ]  # fmt: skip
    retried = client.post(f"{USAGE}/retry?as_corrections=true", headers=auth).json()
    assert (retried["tried"], retried["resolved"], retried["still_rejected"]) == (2, 1, 1)
    assert "no prefix matches" in retried["reasons"][0]


@pytest.mark.parametrize("who", ["operator", "alpha"])
def test_operators_and_customers_send_no_usage(
    client: TestClient, tokens: Tokens, who: str
) -> None:
    answer = client.post(USAGE, json={"usage": [record(1)]}, headers=bearer(getattr(tokens, who)))
    assert answer.status_code == 403


def test_collectors_send_usage_but_do_not_read_the_quarantine(
    client: TestClient, tokens: Tokens
) -> None:
    assert client.get(f"{USAGE}/rejected", headers=bearer(tokens.ingest)).status_code == 403
    assert client.post(f"{USAGE}/retry", headers=bearer(tokens.ingest)).status_code == 403
    assert client.get(f"{USAGE}/rejected", headers=bearer(tokens.operator)).status_code == 403
