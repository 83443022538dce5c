"""Online charging over HTTP on both backends: a top-up, a session initiated, updated and
terminated with a final-unit indication, a request sent again, one out of order, and who may
do it."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
from sqlalchemy import Engine

from servanda.config.loader import load_config
from servanda.storage.database import transaction
from servanda.storage.repositories import BundleRepository

from .support import CONFIG, NOW, Tokens, bearer

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", r"Using `httpx` with `starlette\.testclient`")
    from fastapi.testclient import TestClient

TARIFFS = """\
tariffs:
  - id: voice
    active_from: 2024-01-01T00:00:00Z
    currency: EUR
    destinations:
      - {id: france, prefixes: ["+33"]}
    rates:
      - destinations: [france]
        slots:
          - {price: "0.60", unit: 60s, increment: 1s}
"""


@pytest.fixture
def loaded(engine: Engine, tmp_path: Path) -> Engine:
    """The API tests' declaration with a tariff of 0.01 a second."""
    (tmp_path / "servanda.yaml").write_text(CONFIG, encoding="utf-8")
    (tmp_path / "tariffs.yaml").write_text(TARIFFS, encoding="utf-8")
    result = load_config([tmp_path / "servanda.yaml", tmp_path / "tariffs.yaml"])
    assert result.problems == []
    with transaction(engine) as session:
        BundleRepository(session).save(result.bundle, result.files, now=NOW)
    return engine


def test_a_session_charged_while_it_runs(client: TestClient, tokens: Tokens) -> None:
    billing, ingest = bearer(tokens.billing), bearer(tokens.ingest)
    topped = client.post(
        "/api/v1/balances",
        json={"account": "alpha", "kind": "money", "amount": "1.50", "currency": "EUR",
              "reference": "voucher-1"},
        headers=billing,
    )  # fmt: skip
    assert topped.status_code == 200, topped.text
    client.post(
        "/api/v1/balances",
        json={"account": "alpha", "kind": "money", "amount": "1.50", "currency": "EUR",
              "reference": "voucher-1"},
        headers=billing,
    )  # fmt: skip  # the same voucher twice: once
    start = {"account": "alpha", "category": "call", "destination": "+33142000000",
             "requested": 60, "session_id": "call-1"}  # fmt: skip
    first = client.post("/api/v1/sessions", json=start, headers=ingest).json()
    assert (first["granted"], first["final"], first["reserved"], first["balance"]) == (
        60, False, "0.60", "0.90",
    )  # fmt: skip
    second = client.post("/api/v1/sessions/call-1/update",
                         json={"request_number": 1, "used": 60, "requested": 120},
                         headers=ingest).json()  # fmt: skip
    assert (second["granted"], second["final"], second["debited"]) == (90, True, "0.60")
    again = client.post("/api/v1/sessions/call-1/update",
                        json={"request_number": 1, "used": 60, "requested": 120},
                        headers=ingest).json()  # fmt: skip
    assert again == second
    out_of_order = {"request_number": 5, "used": 1, "requested": 1}
    late = client.post("/api/v1/sessions/call-1/update", json=out_of_order, headers=ingest)
    assert late.status_code == 409
    end = client.post("/api/v1/sessions/call-1/terminate",
                      json={"request_number": 2, "used": 90}, headers=ingest).json()  # fmt: skip
    assert (end["state"], end["used"], end["debited"]) == ("terminated", 150, "1.50")
    left = client.get("/api/v1/balances/alpha", headers=billing).json()
    assert [(b["amount"], b["currency"]) for b in left] == [("0.00", "EUR")]


@pytest.mark.parametrize("who", ["operator", "alpha"])
def test_operators_and_customers_neither_charge_nor_read_balances(
    client: TestClient, tokens: Tokens, who: str
) -> None:
    auth = bearer(getattr(tokens, who))
    start = {"account": "alpha", "category": "call", "requested": 60}
    assert client.post("/api/v1/sessions", json=start, headers=auth).status_code == 403
    assert client.get("/api/v1/balances/alpha", headers=auth).status_code == 403
