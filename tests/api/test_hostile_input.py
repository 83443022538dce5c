"""Input no route can take answers 422 at its place, on SQLite and PostgreSQL, and nothing is
stored (``servanda.api.guard``): the NUL character, lone surrogates, integers beyond 64 bits,
numbers beyond a float, times outside the calendar once in UTC, JSON nested thousands deep.
Each of these answered 500 once (and closed the client's connection)."""

from __future__ import annotations

import warnings
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from servanda.storage.database import transaction
from servanda.storage.tables import ApiTokenRow, FeedbackRow, MeasurementRow, ReviewRow

from .support import Tokens, bearer

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", r"Using `httpx` with `starlette\.testclient`")
    from fastapi.testclient import TestClient

BIG = 2**63


def located(response: Any, *where: str | int) -> str:
    """The message of the problem at ``where``; the answer must be a 422 listing it."""
    assert response.status_code == 422, response.text
    found = {tuple(d["loc"]): d["msg"] for d in response.json()["detail"]}
    assert tuple(where) in found, found
    return found[tuple(where)]


def count(engine: Engine, table: Any) -> int:
    with transaction(engine) as session:
        return int(session.scalar(select(func.count()).select_from(table)) or 0)


@pytest.mark.parametrize(
    ("path", "params", "where"),
    [
        ("/api/v1/reviews", {"customer": "a\x00"}, "customer"),
        ("/api/v1/feedback", {"service": "\x00"}, "service"),
        ("/api/v1/incidents", {"root": "x\x00y"}, "root"),
        ("/api/v1/sla/alpha/report", {"period": "2024-06\x00"}, "period"),
    ],
)
def test_nul_and_surrogates_in_queries(
    client: TestClient, tokens: Tokens, path: str, params: dict[str, str], where: str
) -> None:
    response = client.get(path, params=params, headers=bearer(tokens.admin))
    assert "NUL" in located(response, "query", where) or "surrogate" in located(
        response, "query", where
    )


def test_invalid_utf8_in_a_query_is_no_500(client: TestClient, tokens: Tokens) -> None:
    response = client.get("/api/v1/agreements?customer=%ED%A0%80", headers=bearer(tokens.admin))
    assert response.status_code == 200, response.text  # read as U+FFFD: no such customer


def test_nul_in_a_path(client: TestClient, tokens: Tokens) -> None:
    response = client.get("/api/v1/sla/al%00pha/versions", params={"period": "2024-06"},
                          headers=bearer(tokens.admin))  # fmt: skip
    assert "NUL" in located(response, "path", "customer")


@pytest.mark.parametrize("path", ["/api/v1/incidents", "/api/v1/events/unmapped"])
def test_offsets_beyond_64_bits(client: TestClient, tokens: Tokens, path: str) -> None:
    response = client.get(path, params={"offset": BIG}, headers=bearer(tokens.admin))
    located(response, "query", "offset")
    assert client.get(path, params={"offset": BIG - 1}, headers=bearer(tokens.admin)).json() == (
        [] if path.endswith("incidents") else {"total": 0, "events": []}
    )


@pytest.mark.parametrize(
    ("path", "params", "where"),
    [
        ("/api/v1/incidents", {"since": "0001-01-01T00:00:00+01:00"}, "since"),
        ("/api/v1/incidents", {"until": "9999-12-31T23:59:59-14:00"}, "until"),
        ("/api/v1/events/stats", {"until": "0001-01-01T00:00:00Z"}, "until"),
        ("/api/v1/feedback", {"since": "1066-10-14T09:00:00Z"}, "since"),
        ("/api/v1/reviews", {"until": "9999-12-31"}, "until"),
        ("/api/v1/customers/alpha/agreement", {"on": "0001-01-01"}, "on"),
    ],
)
def test_times_outside_the_calendar(
    client: TestClient, tokens: Tokens, path: str, params: dict[str, str], where: str
) -> None:
    message = located(client.get(path, params=params, headers=bearer(tokens.admin)),
                      "query", where)  # fmt: skip
    assert "must lie between 1900-01-01 and 9000-01-01" in message


@pytest.mark.parametrize("period", ["0001", "9999-12", "1850-04", "0001-01-01..0001-01-03"])
def test_periods_outside_the_calendar(client: TestClient, tokens: Tokens, period: str) -> None:
    response = client.get("/api/v1/sla/alpha/report", params={"period": period},
                          headers=bearer(tokens.admin))  # fmt: skip
    assert "not a period" in located(response, "period")


def test_bodies_read_by_the_api(client: TestClient, tokens: Tokens, loaded: Engine) -> None:
    """A token's name (a body FastAPI reads) and the bodies routes read themselves."""
    admin = bearer(tokens.admin)
    before = count(loaded, ApiTokenRow)
    bad_name = client.post("/api/v1/tokens", json={"role": "operator", "name": "a\x00b"},
                           headers=admin)  # fmt: skip
    assert "NUL" in located(bad_name, "body", "name")
    surrogate = client.post(
        "/api/v1/tokens",
        content=b'{"role": "operator", "name": "\\ud800"}',
        headers={**admin, "Content-Type": "application/json"},
    )
    assert "surrogate" in located(surrogate, "body", "name")
    assert count(loaded, ApiTokenRow) == before

    huge = client.post(
        "/api/v1/measurements",
        content=b'{"measurements": [{"series": "s", "start": "2024-06-01T00:00:00Z", '
        b'"value": 1e400}]}',
        headers={**admin, "Content-Type": "application/json"},
    )
    assert "number out of range" in located(huge, "body", "measurements", 0, "value")
    big = client.post(
        "/api/v1/measurements",
        json={
            "measurements": [
                {"series": "s", "start": "2024-06-01T00:00:00Z", "good": BIG, "total": BIG + 1}
            ]
        },
        headers=admin,
    )
    assert "integer out of range" in located(big, "body", "measurements", 0, "good")
    assert count(loaded, MeasurementRow) == 0

    review = client.post(
        "/api/v1/reviews",
        content=b'{"customer": "alpha", "held_on": "2024-06-03", "kind": "service_review", '
        b'"notes": "fine \\ud800"}',
        headers={**admin, "Content-Type": "application/json"},
    )
    assert "surrogate" in located(review, "body", "notes")
    feedback = client.post(
        "/api/v1/feedback",
        json={
            "feedback": [
                {"customer": "alpha", "at": "2024-06-03T10:00:00Z", "csat": 4, "comment": "ok\x00"}
            ]
        },
        headers=admin,
    )
    assert "NUL" in located(feedback, "body", "feedback", 0, "comment")
    assert count(loaded, ReviewRow) == count(loaded, FeedbackRow) == 0
    steps = client.post(
        "/api/v1/incidents/steps",
        content=b'{"steps": [{"incident": "inc-1", "step": "ack", "time": '
        b'"2024-06-01T00:00:00Z", "by": "\\udfff"}]}',
        headers={**admin, "Content-Type": "application/json"},
    )
    assert "surrogate" in located(steps, "body", "steps", 0, "by")


@pytest.mark.parametrize("path", ["/api/v1/tokens", "/api/v1/measurements", "/api/v1/feedback"])
def test_json_nested_thousands_deep(client: TestClient, tokens: Tokens, path: str) -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    headers = {**bearer(tokens.admin), "Content-Type": "application/json"}
    response = client.post(path, content=deep, headers=headers)
    assert 400 <= response.status_code < 500, response.text
    # the connection stays usable
    assert client.get("/api/v1/me", headers=bearer(tokens.admin)).status_code == 200
