"""Fixtures of the service tests: a small provider stored in the database, and an engine."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine

from servanda.services.events import EventEngine
from servanda.storage.database import transaction
from servanda.storage.repositories import BundleRepository

from .services_support import T0, small_provider


@pytest.fixture
def stored(engine: Engine) -> Engine:
    """The database with :func:`small_provider` loaded."""
    with transaction(engine) as session:
        BundleRepository(session).save(small_provider(), now=T0 - timedelta(days=1))
    return engine


@pytest.fixture
def events(stored: Engine) -> EventEngine:
    """An event engine on the stored provider."""
    return EventEngine(stored)
