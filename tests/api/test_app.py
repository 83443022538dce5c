"""The application itself: health, OpenAPI document, settings, and domain errors."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine

from servanda import __version__
from servanda.api import ApiSettings, create_app
from servanda.api.errors import problem_detail
from servanda.core.problems import (
    Forbidden,
    InvalidInput,
    Location,
    NotFound,
    Problem,
    ServandaError,
    Severity,
    UnreadableRecord,
)


def test_health_needs_no_token(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "version": __version__}


def test_health_says_when_the_database_is_down() -> None:
    broken = create_engine("sqlite:////nonexistent-dir/servanda.db")
    with TestClient(create_app(broken)) as client:
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"


def test_openapi_declares_bearer_auth(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    assert document["info"]["title"] == "Servanda"
    assert document["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": document["components"]["securitySchemes"]["bearerAuth"]["description"],
    }
    paths = document["paths"]
    assert "security" not in paths["/healthz"]["get"]
    for path, operations in paths.items():
        for method, operation in operations.items():
            assert operation["summary"], (method, path)
            assert operation["tags"], (method, path)
            if path != "/healthz":
                assert operation["security"] == [{"bearerAuth": []}], (method, path)
    assert {t["name"] for t in document["tags"]} >= {"agreements", "tokens", "parties"}


def test_openapi_shows_decimals_as_strings(client: TestClient) -> None:
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    target = schemas["ObjectivePublic"]["properties"]["target"]
    assert target["type"] == "string"


def test_docs_are_served(client: TestClient) -> None:
    response = client.get("/docs")
    assert response.status_code == 200
    assert "swagger" in response.text.lower()


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SERVANDA_DATABASE_URL", "sqlite:///elsewhere.db")
    monkeypatch.setenv("SERVANDA_MAX_BODY_BYTES", "1024")
    settings = ApiSettings()
    assert settings.database_url == "sqlite:///elsewhere.db"
    assert settings.max_body_bytes == 1024
    monkeypatch.delenv("SERVANDA_MAX_BODY_BYTES")
    assert ApiSettings().max_body_bytes == 10 * 1024 * 1024


def test_app_uses_the_settings_database(engine: Engine) -> None:
    url = engine.url.render_as_string(hide_password=False)
    app = create_app(settings=ApiSettings(database_url=url))
    assert app.state.engine.url == engine.url
    with TestClient(app) as client:
        assert client.get("/healthz").json()["status"] == "ok"


def test_problems_keep_their_location() -> None:
    located = Problem(
        "not a percentage", Location("agreements.yaml", 12, 5), ("agreements", 0, "target")
    )
    assert problem_detail(located) == {
        "type": "invalid_input",
        "loc": ["agreements", 0, "target"],
        "msg": "not a percentage",
        "severity": "error",
        "file": "agreements.yaml",
        "line": 12,
        "column": 5,
    }
    warning = Problem("odd", path=("x",), severity=Severity.WARNING)
    assert problem_detail(warning) == {
        "type": "invalid_input",
        "loc": ["x"],
        "msg": "odd",
        "severity": "warning",
    }


def test_domain_errors_map_to_status_codes(engine: Engine) -> None:
    app = create_app(engine)
    raised: dict[str, Exception] = {
        "missing": NotFound("no such thing"),
        "forbidden": Forbidden("not for you"),
        "invalid": InvalidInput([Problem("bad", Location("a.yaml", 3), ("x", 1))]),
        "conflict": ServandaError("two agreements compete"),
        "unreadable": UnreadableRecord("stored agreement x does not read back"),
    }

    @app.get("/raise/{kind}")
    def raise_(kind: str) -> None:
        raise raised[kind]

    with TestClient(app) as client:
        answers = {kind: client.get(f"/raise/{kind}") for kind in raised}
    assert {k: r.status_code for k, r in answers.items()} == {
        "missing": 404,
        "forbidden": 403,
        "invalid": 422,
        "conflict": 409,
        "unreadable": 500,
    }
    assert answers["missing"].json() == {"detail": "no such thing"}
    assert answers["invalid"].json()["detail"] == [
        {
            "type": "invalid_input",
            "loc": ["x", 1],
            "msg": "bad",
            "severity": "error",
            "file": "a.yaml",
            "line": 3,
        }
    ]
