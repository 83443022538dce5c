"""The audit log seen through the API: every write (done, refused or failed) is one entry,
with who, what, when and from where; only administrators read it; bodies are never kept."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from .support import Tokens, bearer

AUDIT = "/api/v1/audit"


def log(client: TestClient, tokens: Tokens, **params: Any) -> list[dict[str, Any]]:
    response = client.get(AUDIT, headers=bearer(tokens.admin), params=params)
    assert response.status_code == 200, response.text
    entries: list[dict[str, Any]] = response.json()
    return entries


def test_every_write_is_logged_with_who_what_and_how_it_ended(
    client: TestClient, tokens: Tokens
) -> None:
    made = client.post("/api/v1/tokens", headers=bearer(tokens.admin),
                       json={"role": "operator", "name": "night shift"})  # fmt: skip
    assert made.status_code == 201
    secret = made.json()["token"]
    refused = client.post("/api/v1/tokens", headers=bearer(tokens.alpha), json={"role": "admin"})
    assert refused.status_code == 403
    anonymous = client.delete("/api/v1/tokens/abc")
    assert anonymous.status_code == 401
    client.get("/api/v1/parties", headers=bearer(tokens.admin))  # a read: not logged

    newest = log(client, tokens)
    assert [(e["actor"].split(":")[0], e["action"], e["status"]) for e in newest] == [
        ("anonymous", "DELETE /api/v1/tokens/{token_id}", 401),
        ("customer", "POST /api/v1/tokens", 403),
        ("admin", "POST /api/v1/tokens", 201),
    ]
    assert newest[1]["actor"] == "customer:alpha"
    assert newest[2]["role"] == "admin"
    assert newest[0]["target"] == "/api/v1/tokens/abc"
    assert {e["interface"] for e in newest} == {"api"}
    assert all(e["origin"] for e in newest)
    assert [e["succeeded"] for e in newest] == [False, False, True]
    assert secret not in str(newest)  # answers and bodies are never kept
    assert "night shift" not in str(newest)
    ids = [e["id"] for e in newest]
    assert ids == sorted(ids, reverse=True)


def test_the_log_filters_and_is_for_administrators_only(client: TestClient, tokens: Tokens) -> None:
    client.post("/api/v1/tokens", headers=bearer(tokens.admin), json={"role": "operator"})
    client.post("/api/v1/tokens", headers=bearer(tokens.operator), json={"role": "operator"})
    assert [e["status"] for e in log(client, tokens, failed=True)] == [403]
    assert [e["status"] for e in log(client, tokens, failed=False)] == [201]
    assert len(log(client, tokens, limit=1)) == 1
    assert log(client, tokens, actor="nobody") == []
    assert log(client, tokens, since="2999-01-01T00:00:00Z") == []
    for who in (tokens.operator, tokens.billing, tokens.alpha, tokens.ingest):
        assert client.get(AUDIT, headers=bearer(who)).status_code == 403
    assert client.get(AUDIT).status_code == 401
