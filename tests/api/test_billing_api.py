"""Billing over HTTP, on both backends: a month billed, issued, shown as JSON and text, paid
and voided with a credit note; settlement; who may do what (billing staff bill, operators do
not, customers read only their own issued invoices)."""

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

BILLING = """\
tax_profiles:
  - id: fr
    rates: [{rate: "20", category: S, name: "TVA 20 %"}]
billing_accounts:
  - {id: metro, party: metro, currency: EUR, invoice_prefix: MET, timezone: Europe/Paris,
     iban: FR7630006000011234567890189}
  - {id: alpha, party: alpha, currency: EUR, tax_profile: fr}
  - {id: beta, party: beta, currency: EUR, tax_profile: fr}
"""


@pytest.fixture
def loaded(engine: Engine, tmp_path: Path) -> Engine:
    """The API tests' declaration with billing accounts."""
    (tmp_path / "servanda.yaml").write_text(CONFIG, encoding="utf-8")
    (tmp_path / "billing.yaml").write_text(BILLING, encoding="utf-8")
    result = load_config([tmp_path / "servanda.yaml", tmp_path / "billing.yaml"])
    assert result.problems == []
    with transaction(engine) as session:
        BundleRepository(session).save(result.bundle, result.files, now=NOW)
    return engine


def test_a_month_billed_issued_shown_paid_and_voided(client: TestClient, tokens: Tokens) -> None:
    staff = bearer(tokens.billing)
    assert client.post("/api/v1/bill", json={"period": "2024-06"},
                       headers=bearer(tokens.operator)).status_code == 403  # fmt: skip
    run = client.post("/api/v1/bill", json={"period": "2024-06", "issue": True}, headers=staff)
    assert run.status_code == 200, run.text
    assert run.json()["issued"] == ["MET-2024-000001", "MET-2024-000002"]
    listed = client.get("/api/v1/invoices", params={"period": "2024-06"}, headers=staff).json()
    alpha = next(i for i in listed if i["account"] == "alpha")
    assert (alpha["net"], alpha["tax"], alpha["gross"]) == ("120.10", "24.02", "144.12")

    # the customer reads its own, as JSON and as text; not the other's
    mine = client.get("/api/v1/invoices", headers=bearer(tokens.alpha)).json()
    assert [i["account"] for i in mine] == ["alpha"]
    text = client.get(f"/api/v1/invoices/{alpha['id']}", params={"format": "text"},
                      headers=bearer(tokens.alpha))  # fmt: skip
    assert text.status_code == 200
    assert "INVOICE MET-2024-000001" in text.text
    assert "Internet Access, 2024-06" in text.text
    beta = next(i for i in listed if i["account"] == "beta")
    assert client.get(f"/api/v1/invoices/{beta['id']}",
                      headers=bearer(tokens.alpha)).status_code == 404  # fmt: skip
    assert client.post(f"/api/v1/invoices/{alpha['id']}/pay",
                       headers=bearer(tokens.alpha)).status_code == 403  # fmt: skip

    # paid; then voided by a credit note, and billed again
    assert client.post(f"/api/v1/invoices/{beta['id']}/pay", headers=staff).status_code == 204
    note = client.post(f"/api/v1/invoices/{alpha['id']}/void", json={"reason": "wrong address"},
                       headers=staff)  # fmt: skip
    assert note.status_code == 200, note.text
    assert (note.json()["kind"], note.json()["number"], note.json()["gross"]) == (
        "credit_note",
        "MET-2024-000003",
        "-144.12",
    )
    assert client.post(f"/api/v1/invoices/{alpha['id']}/void", json={"reason": "again"},
                       headers=staff).status_code == 409  # fmt: skip
    again = client.post("/api/v1/bill", json={"period": "2024-06"}, headers=staff).json()
    assert len(again["drafts"]) == 1
    assert again["skipped"] == ["beta"]
    assert client.post("/api/v1/settle", json={"period": "2024-06"}, headers=staff).json() == []
    assert client.get("/api/v1/settlements/1", headers=staff).status_code == 404
    assert client.get("/api/v1/invoices/999999", headers=staff).status_code == 404
