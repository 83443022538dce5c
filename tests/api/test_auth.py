"""Bearer tokens: who gets in, who is turned away, and what each role may do."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from servanda.storage.database import transaction
from servanda.storage.tokens import TokenRepository

from .support import NOW, Tokens, bearer

READ_PATHS = [
    "/api/v1/parties",
    "/api/v1/services",
    "/api/v1/components",
    "/api/v1/agreements",
    "/api/v1/customers/alpha/agreement",
    "/api/v1/customers/alpha/services/internet/agreement",
    "/api/v1/customers/alpha/services/internet/agreement/document",
]


@pytest.mark.parametrize("path", [*READ_PATHS, "/api/v1/me", "/api/v1/tokens"])
def test_every_endpoint_needs_a_token(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert "Bearer" in response.json()["detail"]


@pytest.mark.parametrize(
    "header",
    [
        "Bearer svd_nosuchid_secret",
        "Bearer not-a-token",
        "Bearer ",
        "Basic YWRtaW46YWRtaW4=",
    ],
)
def test_bad_credentials_are_401(client: TestClient, header: str) -> None:
    response = client.get("/api/v1/me", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_wrong_secret_is_401(client: TestClient, tokens: Tokens) -> None:
    forged = tokens.admin[:-4] + ("AAAA" if not tokens.admin.endswith("AAAA") else "BBBB")
    response = client.get("/api/v1/me", headers=bearer(forged))
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'


def test_a_revoked_token_is_401(client: TestClient, tokens: Tokens) -> None:
    response = client.get("/api/v1/parties", headers=bearer(tokens.revoked))
    assert response.status_code == 401
    assert response.json() == {"detail": "invalid, revoked or expired token"}


def test_me_says_role_party_and_permissions(client: TestClient, tokens: Tokens) -> None:
    me = client.get("/api/v1/me", headers=bearer(tokens.alpha)).json()
    assert me == {
        "role": "customer",
        "party": "alpha",
        "token_id": tokens.alpha_id,
        "permissions": ["read", "record_feedback"],
    }
    admin = client.get("/api/v1/me", headers=bearer(tokens.admin)).json()
    assert admin["role"] == "admin"
    assert admin["party"] is None
    assert "manage_tokens" in admin["permissions"]


def test_ingest_tokens_read_nothing(client: TestClient, tokens: Tokens) -> None:
    for path in READ_PATHS:
        response = client.get(path, headers=bearer(tokens.ingest))
        assert response.status_code == 403, path
        assert "may not read" in response.json()["detail"]
    assert client.get("/api/v1/me", headers=bearer(tokens.ingest)).status_code == 200


@pytest.mark.parametrize("role", ["operator", "billing", "alpha", "ingest"])
def test_only_admins_manage_tokens(client: TestClient, tokens: Tokens, role: str) -> None:
    headers = bearer(getattr(tokens, role))
    assert client.get("/api/v1/tokens", headers=headers).status_code == 403
    created = client.post("/api/v1/tokens", headers=headers, json={"role": "admin"})
    assert created.status_code == 403
    assert client.delete(f"/api/v1/tokens/{tokens.alpha_id}", headers=headers).status_code == 403


@pytest.mark.parametrize("role", ["admin", "operator", "billing"])
def test_staff_roles_read_everything(client: TestClient, tokens: Tokens, role: str) -> None:
    for path in READ_PATHS:
        assert client.get(path, headers=bearer(getattr(tokens, role))).status_code == 200, path


def test_a_request_records_the_tokens_last_use(
    client: TestClient, tokens: Tokens, loaded: Engine
) -> None:
    # Even a request that fails after authentication counts as a use.
    assert client.get("/api/v1/parties/nobody", headers=bearer(tokens.alpha)).status_code == 404
    with transaction(loaded) as session:
        token = TokenRepository(session).get(tokens.alpha_id)
    assert token is not None
    assert token.last_used_at == NOW
