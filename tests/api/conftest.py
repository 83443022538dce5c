"""API fixtures: a small declaration stored on each backend, tokens of every role, a client.

The declaration is :data:`.support.CONFIG`; the clock is fixed at :data:`.support.NOW`.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from servanda.api import ApiSettings, create_app
from servanda.api.deps import get_clock
from servanda.config.loader import load_config
from servanda.core.access import Role
from servanda.storage.database import transaction
from servanda.storage.repositories import BundleRepository
from servanda.storage.tokens import TokenRepository

from .support import CONFIG, NOW, FixedClock, Tokens

with warnings.catch_warnings():
    # Starlette prefers httpx2 for its test client; httpx (a dev dependency) still works.
    warnings.filterwarnings("ignore", r"Using `httpx` with `starlette\.testclient`")
    from fastapi.testclient import TestClient


@pytest.fixture
def loaded(engine: Engine, tmp_path: Path) -> Engine:
    """``engine`` with the declaration stored."""
    path = tmp_path / "servanda.yaml"
    path.write_text(CONFIG, encoding="utf-8")
    result = load_config([path])
    assert result.problems == []
    with transaction(engine) as session:
        BundleRepository(session).save(result.bundle, result.files, now=NOW)
    return engine


@pytest.fixture
def tokens(loaded: Engine) -> Tokens:
    """One token per role, two customer tokens and a revoked one."""
    with transaction(loaded) as session:
        repo = TokenRepository(session)
        made = {
            name: repo.create(role, party, name, NOW)
            for name, role, party in (
                ("admin", Role.ADMIN, None),
                ("operator", Role.OPERATOR, None),
                ("billing", Role.BILLING, None),
                ("ingest", Role.INGEST, None),
                ("alpha", Role.CUSTOMER, "alpha"),
                ("beta", Role.CUSTOMER, "beta"),
                ("revoked", Role.ADMIN, None),
            )
        }
        repo.revoke(made["revoked"][0].id, NOW)
    plain = {name: text for name, (_, text) in made.items()}
    return Tokens(**plain, alpha_id=made["alpha"][0].id, revoked_id=made["revoked"][0].id)


@pytest.fixture
def client(loaded: Engine) -> Iterator[TestClient]:
    """A client of the API on the loaded database, with the clock fixed at :data:`NOW`."""
    app = create_app(loaded, ApiSettings(max_body_bytes=64 * 1024))
    app.dependency_overrides[get_clock] = FixedClock
    with TestClient(app) as test_client:
        yield test_client
