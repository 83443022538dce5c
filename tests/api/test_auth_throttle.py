"""Failed authentication is throttled per client and per token id (``servanda.api.throttle``):
past the allowed failures in the window, 429 with ``Retry-After`` (the token is not even looked
up) until the window has passed; successes are not counted."""

from __future__ import annotations

import warnings
from datetime import datetime, timedelta

from sqlalchemy import Engine

from servanda.api.app import create_app
from servanda.api.deps import get_clock
from servanda.api.settings import ApiSettings

from .support import NOW, Tokens, bearer

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", r"Using `httpx` with `starlette\.testclient`")
    from fastapi.testclient import TestClient


class Clock:
    def __init__(self) -> None:
        self.at = NOW

    def now(self) -> datetime:
        return self.at


def test_failures_are_throttled_per_client_and_per_token(loaded: Engine, tokens: Tokens) -> None:
    clock = Clock()
    app = create_app(loaded, ApiSettings(auth_failures=3, auth_window=timedelta(minutes=1)))
    app.dependency_overrides[get_clock] = lambda: clock
    me = "/api/v1/me"
    with (
        TestClient(app, client=("192.0.2.1", 4000)) as scanner,
        TestClient(app, client=("192.0.2.2", 4000)) as other,
    ):
        for _ in range(10):  # successes do not count
            assert scanner.get(me, headers=bearer(tokens.admin)).status_code == 200
        for _ in range(3):
            assert scanner.get(me, headers=bearer("svd_nope_nope")).status_code == 401
        blocked = scanner.get(me, headers=bearer(tokens.admin))
        assert blocked.status_code == 429
        assert blocked.headers["Retry-After"] == "60"
        assert scanner.get(me).status_code == 429  # no token at all: the client is throttled
        # Another client is not.
        assert other.get(me, headers=bearer(tokens.admin)).status_code == 200
        # A token id whose secret keeps failing is throttled whoever presents it.
        token_id = tokens.operator.split("_")[1]
        for _ in range(3):
            assert other.get(me, headers=bearer(f"svd_{token_id}_wrong")).status_code == 401
        assert other.get(me, headers=bearer(tokens.operator)).status_code == 429
        clock.at = NOW + timedelta(seconds=30)
        assert int(scanner.get(me).headers["Retry-After"]) == 30
        clock.at = NOW + timedelta(minutes=1, seconds=1)  # the window has passed
        assert scanner.get(me, headers=bearer(tokens.admin)).status_code == 200
        assert other.get(me, headers=bearer(tokens.operator)).status_code == 200
