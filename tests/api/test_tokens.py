"""Token management over the API: create (shown once), list, revoke, expire."""

from __future__ import annotations

from datetime import datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from servanda.core.access import LOCAL_ADMIN, Role
from servanda.services.tokens import create_token

from .support import NOW, Tokens, bearer


def test_create_a_customer_token_and_use_it(client: TestClient, tokens: Tokens) -> None:
    response = client.post(
        "/api/v1/tokens",
        headers=bearer(tokens.admin),
        json={"role": "customer", "party": "beta", "name": "beta portal"},
    )
    assert response.status_code == 201
    created = response.json()
    assert created["token"].startswith(f"svd_{created['id']}_")
    assert (created["role"], created["party"], created["name"]) == (
        "customer",
        "beta",
        "beta portal",
    )
    assert created["created_at"] == NOW.isoformat().replace("+00:00", "Z")
    assert created["revoked_at"] is None
    me = client.get("/api/v1/me", headers=bearer(created["token"])).json()
    assert (me["role"], me["party"], me["token_id"]) == ("customer", "beta", created["id"])


def test_a_token_gets_a_default_name(client: TestClient, tokens: Tokens) -> None:
    created = client.post(
        "/api/v1/tokens", headers=bearer(tokens.admin), json={"role": "ingest"}
    ).json()
    assert created["name"] == "ingest token"
    assert created["party"] is None


def test_listing_never_shows_secrets(client: TestClient, tokens: Tokens) -> None:
    response = client.get("/api/v1/tokens", headers=bearer(tokens.admin))
    assert response.status_code == 200
    listed = response.json()
    # All were created at the same instant: oldest first, then by id.
    assert sorted(t["name"] for t in listed) == [
        "admin",
        "alpha",
        "beta",
        "billing",
        "ingest",
        "operator",
        "revoked",
    ]
    assert all("token" not in t for t in listed)
    assert tokens.admin not in response.text
    revoked = next(t for t in listed if t["id"] == tokens.revoked_id)
    assert revoked["revoked_at"] is not None
    admin = next(t for t in listed if t["name"] == "admin")
    assert admin["last_used_at"] == NOW.isoformat().replace("+00:00", "Z")


def test_revoke_a_token(client: TestClient, tokens: Tokens) -> None:
    assert client.get("/api/v1/me", headers=bearer(tokens.alpha)).status_code == 200
    response = client.delete(f"/api/v1/tokens/{tokens.alpha_id}", headers=bearer(tokens.admin))
    assert response.status_code == 200
    assert response.json()["id"] == tokens.alpha_id
    assert response.json()["revoked_at"] is not None
    assert client.get("/api/v1/me", headers=bearer(tokens.alpha)).status_code == 401
    again = client.delete(f"/api/v1/tokens/{tokens.alpha_id}", headers=bearer(tokens.admin))
    assert again.status_code == 200
    assert again.json()["revoked_at"] == response.json()["revoked_at"]


def test_revoke_an_unknown_token_is_404(client: TestClient, tokens: Tokens) -> None:
    response = client.delete("/api/v1/tokens/nope", headers=bearer(tokens.admin))
    assert response.status_code == 404


def test_a_customer_token_needs_a_known_party(client: TestClient, tokens: Tokens) -> None:
    admin = bearer(tokens.admin)
    for body, message in [
        ({"role": "customer"}, "a customer token needs the party it belongs to"),
        ({"role": "customer", "party": "gamma"}, "no party 'gamma'"),
        ({"role": "admin", "party": "alpha"}, "admin tokens belong to no party (got 'alpha')"),
    ]:
        response = client.post("/api/v1/tokens", headers=admin, json=body)
        assert response.status_code == 422, body
        assert response.json() == {
            "detail": [
                {
                    "type": "invalid_input",
                    "loc": ["party"],
                    "msg": message,
                    "severity": "error",
                }
            ]
        }
    assert len(client.get("/api/v1/tokens", headers=admin).json()) == 7


def test_an_unknown_role_is_a_standard_422(client: TestClient, tokens: Tokens) -> None:
    response = client.post("/api/v1/tokens", headers=bearer(tokens.admin), json={"role": "emperor"})
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["loc"] == ["body", "role"]
    assert error["type"] == "enum"


def test_a_body_over_the_limit_is_413(client: TestClient, tokens: Tokens) -> None:
    # The client fixture limits bodies to 64 KiB.
    huge = {"role": "ingest", "name": "x" * (65 * 1024)}
    response = client.post("/api/v1/tokens", headers=bearer(tokens.admin), json=huge)
    assert response.status_code == 413


def test_tokens_expire(client: TestClient, tokens: Tokens, loaded: Engine) -> None:
    week = {"role": "operator", "name": "for a week", "expires_in": "7d"}
    made = client.post("/api/v1/tokens", headers=bearer(tokens.admin), json=week)
    assert made.status_code == 201, made.text
    body = made.json()
    created = datetime.fromisoformat(body["created_at"])
    assert datetime.fromisoformat(body["expires_at"]) - created == timedelta(days=7)
    assert client.get("/api/v1/me", headers=bearer(body["token"])).status_code == 200
    # A token made two hours ago, valid for one: refused like a revoked one.
    made_at = NOW - timedelta(hours=2)  # the API's clock is at NOW
    _, old = create_token(
        loaded, LOCAL_ADMIN, Role.OPERATOR, None, "old", made_at, timedelta(hours=1)
    )
    refused = client.get("/api/v1/me", headers=bearer(old))
    assert refused.status_code == 401
    assert refused.json() == {"detail": "invalid, revoked or expired token"}
    for bad in ("0s", "soon", "-1h"):
        answer = client.post("/api/v1/tokens", headers=bearer(tokens.admin),
                             json={"role": "operator", "expires_in": bad})  # fmt: skip
        assert answer.status_code == 422, answer.text
        assert answer.json()["detail"][0]["loc"][-1] == "expires_in"


def test_a_token_does_not_revoke_itself(client: TestClient, tokens: Tokens) -> None:
    """Consistently refused (409, saying how), so an administrator never locks itself out in
    the middle of its own request; another administrator token revokes it."""
    made = client.post("/api/v1/tokens", headers=bearer(tokens.admin), json={"role": "admin"})
    second = made.json()
    own = client.delete(f"/api/v1/tokens/{second['id']}", headers=bearer(second["token"]))
    assert own.status_code == 409
    assert "is the one making this request" in own.json()["detail"]
    assert client.get("/api/v1/me", headers=bearer(second["token"])).status_code == 200
    other = client.delete(f"/api/v1/tokens/{second['id']}", headers=bearer(tokens.admin))
    assert other.status_code == 200
    assert client.get("/api/v1/me", headers=bearer(second["token"])).status_code == 401
