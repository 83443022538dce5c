"""Agreement versions, effective terms with their provenance, and documents."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from .support import Tokens, bearer

SERVICE = "/api/v1/customers/alpha/services/internet/agreement"


def test_list_agreement_versions(client: TestClient, tokens: Tokens) -> None:
    response = client.get("/api/v1/agreements", headers=bearer(tokens.admin))
    assert response.status_code == 200
    listed = [(a["id"], a["effective_from"]) for a in response.json()]
    assert listed == [
        ("alpha", "2024-01-01"),
        ("alpha-internet", "2024-01-01"),
        ("alpha-internet", "2024-06-01"),
        ("beta", "2024-01-01"),
        ("metro-terms", "2024-01-01"),
    ]
    assert response.json()[0] == {
        "id": "alpha",
        "level": "customer",
        "provider": "metro",
        "customer": "alpha",
        "service": None,
        "title": "Alpha customer terms",
        "effective_from": "2024-01-01",
        "effective_to": None,
    }


def test_list_agreements_of_one_customer(client: TestClient, tokens: Tokens) -> None:
    response = client.get("/api/v1/agreements?customer=beta", headers=bearer(tokens.operator))
    assert [a["id"] for a in response.json()] == ["beta", "metro-terms"]


def test_an_agreement_with_its_history(client: TestClient, tokens: Tokens) -> None:
    response = client.get("/api/v1/agreements/alpha-internet", headers=bearer(tokens.billing))
    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["level"], body["customer"], body["service"]) == (
        "alpha-internet",
        "service",
        "alpha",
        "internet",
    )
    versions = body["versions"]
    assert [v["effective_from"] for v in versions] == ["2024-01-01", "2024-06-01"]
    assert [v["objectives"][0]["target"] for v in versions] == ["99.9", "99.95"]


def test_agreement_terms_are_exact(client: TestClient, tokens: Tokens) -> None:
    body = client.get("/api/v1/agreements/metro-terms", headers=bearer(tokens.admin)).json()
    (version,) = body["versions"]
    availability, mttr = version["objectives"]
    assert availability["target"] == "99.5"
    assert availability["unit"] == "percent"
    assert availability["comparator"] == ">="
    assert availability["period"] == {"kind": "month", "length": None}
    assert mttr["target"] == "14400"
    assert mttr["unit"] == "seconds"
    assert version["credits"] == {
        "tiers": [{"below": "99.9", "credit": "10"}, {"below": "99", "credit": "25"}],
        "objective": "availability",
        "cap": "50",
        "claim": "automatic",
        "claim_within": None,
        "minimum_amount": "0",
    }
    assert version["responsibilities"]["severities"] == [
        {"severity": "critical", "response": "15m", "resolution": "4h", "description": None}
    ]
    assert version["policies"][0]["id"] == "security"


def test_an_unknown_agreement_is_404(client: TestClient, tokens: Tokens) -> None:
    response = client.get("/api/v1/agreements/nothing", headers=bearer(tokens.admin))
    assert response.status_code == 404
    assert response.json() == {"detail": "no agreement 'nothing'"}


def test_effective_service_agreement_with_provenance(client: TestClient, tokens: Tokens) -> None:
    response = client.get(SERVICE, headers=bearer(tokens.admin))
    assert response.status_code == 200
    body = response.json()
    assert (body["provider"], body["customer"], body["service"], body["on"]) == (
        "metro",
        "alpha",
        "internet",
        "2024-07-01",  # today, by the test clock
    )
    assert [(a["level"], a["id"]) for a in body["agreements"]] == [
        ("corporate", "metro-terms"),
        ("customer", "alpha"),
        ("service", "alpha-internet"),
    ]
    availability = body["objectives"][0]
    assert availability["value"]["target"] == "99.95"
    assert availability["source"] == {
        "level": "service",
        "agreement": "alpha-internet",
        "effective_from": "2024-06-01",
    }
    assert availability["replaces"]["value"]["target"] == "99.5"
    assert availability["replaces"]["source"]["level"] == "corporate"
    assert availability["replaces"]["replaces"] is None
    mttr = body["objectives"][1]
    assert (mttr["value"]["id"], mttr["source"]["level"], mttr["replaces"]) == (
        "mttr",
        "corporate",
        None,
    )
    fault = body["responsibilities"]["fault_reporting"]
    assert (fault["value"], fault["source"]["agreement"]) == ("both", "alpha")
    assert fault["replaces"]["value"] == "customer"
    assert body["calendar"]["value"] == "ops"
    assert body["excluded_time"] == {"value": "exclude", "source": None, "replaces": None}
    assert body["credits"]["value"]["cap"] == "50"
    assert body["policies"][0]["source"]["level"] == "corporate"


def test_effective_agreement_on_an_earlier_day(client: TestClient, tokens: Tokens) -> None:
    body = client.get(SERVICE, params={"on": "2024-03-15"}, headers=bearer(tokens.admin)).json()
    assert body["on"] == "2024-03-15"
    assert body["objectives"][0]["value"]["target"] == "99.9"
    assert body["agreements"][2]["effective_from"] == "2024-01-01"


def test_a_bad_day_is_a_standard_422(client: TestClient, tokens: Tokens) -> None:
    response = client.get(SERVICE, params={"on": "1st of May"}, headers=bearer(tokens.admin))
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "on"]


def test_effective_customer_agreement(client: TestClient, tokens: Tokens) -> None:
    response = client.get("/api/v1/customers/beta/agreement", headers=bearer(tokens.admin))
    assert response.status_code == 200
    body = response.json()
    assert body["service"] is None
    assert [a["id"] for a in body["agreements"]] == ["metro-terms", "beta"]
    fault = body["responsibilities"]["fault_reporting"]
    assert (fault["value"], fault["source"]["level"]) == ("customer", "corporate")


def test_a_customer_reads_its_own_agreements(client: TestClient, tokens: Tokens) -> None:
    alpha = bearer(tokens.alpha)
    assert client.get(SERVICE, headers=alpha).status_code == 200
    assert client.get("/api/v1/customers/alpha/agreement", headers=alpha).status_code == 200
    listed = client.get("/api/v1/agreements", headers=alpha).json()
    assert {a["id"] for a in listed} == {"alpha", "alpha-internet", "metro-terms"}
    assert client.get("/api/v1/agreements/alpha-internet", headers=alpha).status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/customers/beta/agreement",
        "/api/v1/customers/beta/agreement/document",
        "/api/v1/customers/beta/services/internet/agreement",
        "/api/v1/customers/beta/services/internet/agreement/document?format=html",
        "/api/v1/agreements/beta",
    ],
)
def test_another_customers_agreements_do_not_exist_for_a_customer(
    client: TestClient, tokens: Tokens, path: str
) -> None:
    hidden = client.get(path, headers=bearer(tokens.alpha))
    assert hidden.status_code == 404
    # The same answer as for a customer that does not exist at all.
    missing = client.get(path.replace("beta", "gamma"), headers=bearer(tokens.alpha))
    assert missing.status_code == 404
    assert client.get(path, headers=bearer(tokens.beta)).status_code == 200


def test_unknown_customer_or_service_is_404(client: TestClient, tokens: Tokens) -> None:
    admin = bearer(tokens.admin)
    assert client.get("/api/v1/customers/gamma/agreement", headers=admin).status_code == 404
    response = client.get("/api/v1/customers/beta/services/voice/agreement", headers=admin)
    assert response.status_code == 404
    assert response.json() == {"detail": "customer 'beta' does not take service 'voice'"}


def test_markdown_document(client: TestClient, tokens: Tokens) -> None:
    response = client.get(SERVICE + "/document", headers=bearer(tokens.alpha))
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/markdown; charset=utf-8"
    text = response.text
    assert text.startswith("# Alpha internet")
    assert "Internet Access is available 99.95 % of the time" in text
    assert "in force on 1 Jul 2024" in text


def test_html_document(client: TestClient, tokens: Tokens) -> None:
    response = client.get(
        SERVICE + "/document",
        params={"format": "html", "on": "2024-02-01"},
        headers=bearer(tokens.admin),
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert "<html" in response.text
    assert "Internet Access is available 99.9 % of the time" in response.text


def test_customer_level_document(client: TestClient, tokens: Tokens) -> None:
    response = client.get("/api/v1/customers/beta/agreement/document", headers=bearer(tokens.beta))
    assert response.status_code == 200
    assert "Beta Bakery" in response.text


def test_an_unknown_document_format_is_422(client: TestClient, tokens: Tokens) -> None:
    response = client.get(SERVICE + "/document?format=pdf", headers=bearer(tokens.admin))
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "format"]
