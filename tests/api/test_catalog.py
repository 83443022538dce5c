"""Parties, services and components, as each role sees them."""

from __future__ import annotations

from fastapi.testclient import TestClient

from .support import Tokens, bearer


def ids(items: list[dict[str, object]]) -> list[object]:
    return [item["id"] for item in items]


def test_parties(client: TestClient, tokens: Tokens) -> None:
    response = client.get("/api/v1/parties", headers=bearer(tokens.operator))
    assert response.status_code == 200
    assert ids(response.json()) == ["alpha", "beta", "metro"]
    metro = client.get("/api/v1/parties/metro", headers=bearer(tokens.operator)).json()
    assert metro == {
        "id": "metro",
        "name": "Metro Fibre",
        "roles": ["provider"],
        "contact": "noc@metro.example",
        "description": None,
    }


def test_parties_filtered_by_role(client: TestClient, tokens: Tokens) -> None:
    headers = bearer(tokens.admin)
    customers = client.get("/api/v1/parties", params={"role": "customer"}, headers=headers)
    assert ids(customers.json()) == ["alpha", "beta"]
    providers = client.get("/api/v1/parties?role=provider", headers=headers)
    assert ids(providers.json()) == ["metro"]


def test_an_unknown_party_role_is_a_standard_422(client: TestClient, tokens: Tokens) -> None:
    response = client.get("/api/v1/parties?role=king", headers=bearer(tokens.admin))
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["loc"] == ["query", "role"]
    assert error["type"] == "enum"


def test_an_unknown_party_is_404(client: TestClient, tokens: Tokens) -> None:
    response = client.get("/api/v1/parties/nobody", headers=bearer(tokens.admin))
    assert response.status_code == 404
    assert response.json() == {"detail": "no party 'nobody'"}


def test_a_customer_sees_itself_and_its_provider(client: TestClient, tokens: Tokens) -> None:
    headers = bearer(tokens.alpha)
    assert ids(client.get("/api/v1/parties", headers=headers).json()) == ["alpha", "metro"]
    assert client.get("/api/v1/parties/beta", headers=headers).status_code == 404


def test_services(client: TestClient, tokens: Tokens) -> None:
    headers = bearer(tokens.billing)
    assert ids(client.get("/api/v1/services", headers=headers).json()) == ["internet", "voice"]
    internet = client.get("/api/v1/services/internet", headers=headers).json()
    assert internet == {
        "id": "internet",
        "name": "Internet Access",
        "provider": "metro",
        "calendar": "ops",
        "description": "Fibre Internet access.",
        "depends_on": [{"mode": "any_of", "nodes": ["router-1", "router-2"], "k": None}],
    }
    assert client.get("/api/v1/services/fax", headers=headers).status_code == 404


def test_services_of_one_provider(client: TestClient, tokens: Tokens) -> None:
    headers = bearer(tokens.admin)
    assert len(client.get("/api/v1/services?provider=metro", headers=headers).json()) == 2
    assert client.get("/api/v1/services?provider=other", headers=headers).json() == []


def test_a_customer_sees_its_services_without_their_wiring(
    client: TestClient, tokens: Tokens
) -> None:
    beta = bearer(tokens.beta)
    services = client.get("/api/v1/services", headers=beta).json()
    assert ids(services) == ["internet"]
    assert services[0]["depends_on"] == []
    assert client.get("/api/v1/services/voice", headers=beta).status_code == 404


def test_components(client: TestClient, tokens: Tokens) -> None:
    response = client.get("/api/v1/components", headers=bearer(tokens.operator))
    assert response.status_code == 200
    router = response.json()[0]
    assert router == {
        "id": "router-1",
        "name": None,
        "kind": "router",
        "depends_on": [],
        "calendar": "ops",
        "owner": None,
        "site": "Saint-Denis",
        "description": None,
    }
    assert ids(response.json()) == ["router-1", "router-2"]


def test_customers_see_no_components(client: TestClient, tokens: Tokens) -> None:
    response = client.get("/api/v1/components", headers=bearer(tokens.alpha))
    assert response.status_code == 200
    assert response.json() == []
