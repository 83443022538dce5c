"""Every route of the OpenAPI document with every kind of principal, on SQLite and PostgreSQL,
so a new route is covered without anyone remembering to add it here.

* No token, a malformed one, a revoked one and an expired one: 401 on every route but the
  public ones.
* Each role and a customer, on paths and queries naming another customer: never a server
  error, and the customer never sees the other customer's data (404, 403, or an answer
  without it) nor changes it.
* A role refused on a route is refused before anything is written.
"""

from __future__ import annotations

import re
import warnings
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine

from servanda.api.app import create_app
from servanda.api.deps import get_clock
from servanda.api.settings import ApiSettings
from servanda.core.access import Role
from servanda.storage.database import transaction
from servanda.storage.tokens import TokenRepository

from .support import NOW, FixedClock, Tokens, bearer

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", r"Using `httpx` with `starlette\.testclient`")
    from fastapi.testclient import TestClient

PUBLIC = {"/healthz"}
"""Routes that need no token."""
SELF = {"/api/v1/me"}
"""Routes about the caller itself, open to every role."""
PATH_VALUES = {
    "customer": "beta",
    "service": "internet",
    "incident_id": "inc-0000000000000000",
    "series": "beta-latency",
    "token_id": "0000000000000000",
}
"""What path parameters are filled with: ``customer`` names the customer the probing
customer token is not."""
QUERY_VALUES = {"period": "2024-06", "customer": "beta", "reason": "probe", "format": "json"}


def routes(client: TestClient) -> list[tuple[str, str, dict[str, Any]]]:
    """(method, path, operation) of every operation in the OpenAPI document."""
    document = client.get("/openapi.json").json()
    return [
        (method.upper(), path, operation)
        for path, item in sorted(document["paths"].items())
        for method, operation in sorted(item.items())
    ]


def request(client: TestClient, method: str, path: str, operation: dict[str, Any],
            headers: dict[str, str]) -> Any:  # fmt: skip
    url = re.sub(r"\{(\w+)\}", lambda m: PATH_VALUES.get(m[1], "x"), path)
    params = {
        p["name"]: QUERY_VALUES.get(p["name"], "x")
        for p in operation.get("parameters", [])
        if p["in"] == "query" and (p.get("required") or p["name"] == "customer")
    }
    body = {} if "requestBody" in operation else None
    return client.request(method, url, params=params, json=body, headers=headers)


@pytest.fixture
def probe(loaded: Engine, tokens: Tokens) -> tuple[TestClient, dict[str, str]]:
    """A client (throttling off: it fails on purpose) and every kind of credential."""
    with transaction(loaded) as session:
        _, expired = TokenRepository(session).create(
            Role.ADMIN, None, "expired", NOW - timedelta(days=2), NOW - timedelta(days=1)
        )
    app = create_app(loaded, ApiSettings(auth_failures=0))
    app.dependency_overrides[get_clock] = FixedClock
    credentials = {
        "malformed": "Bearer not-a-token",
        "revoked": f"Bearer {tokens.revoked}",
        "expired": f"Bearer {expired}",
    }
    return TestClient(app), credentials


def test_without_a_valid_token_every_route_is_401(
    probe: tuple[TestClient, dict[str, str]],
) -> None:
    client, credentials = probe
    with client:
        found = routes(client)
        assert len(found) > 40
        for method, path, operation in found:
            if path in PUBLIC:
                continue
            for kind, header in [("none", None), *credentials.items()]:
                headers = {} if header is None else {"Authorization": header}
                response = request(client, method, path, operation, headers)
                assert response.status_code == 401, (kind, method, path, response.text)


@pytest.mark.parametrize("who", ["admin", "operator", "billing", "ingest", "alpha"])
def test_every_role_on_every_route(
    probe: tuple[TestClient, dict[str, str]], tokens: Tokens, who: str
) -> None:
    client, _ = probe
    with client:
        for method, path, operation in routes(client):
            response = request(client, method, path, operation, bearer(getattr(tokens, who)))
            assert response.status_code < 500, (who, method, path, response.text)
            if who == "alpha" and response.status_code < 300:
                # another customer's data: never shown (nor changed: no 2xx)
                assert "beta" not in response.text, (method, path, response.text)
                assert method == "GET" or "{customer}" not in path, (method, path)
            if who == "ingest" and method == "GET" and path not in PUBLIC | SELF:
                assert response.status_code in (403, 404, 405), (method, path, response.text)
