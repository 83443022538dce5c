"""Roll-ups of a period's results (final where closed, provisional elsewhere): per service,
per customer and per provider, from numerators and denominators (never a mean of
percentages)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Engine

from servanda.agreements.model import Agreement
from servanda.core.access import LOCAL_ADMIN, Principal, Role
from servanda.core.records import from_jsonable
from servanda.services.closing import close_period
from servanda.services.events import EventEngine
from servanda.services.rollups import RollupBy, rollups
from servanda.storage.database import transaction
from servanda.storage.repositories import BundleRepository, ResultRepository

from .services_support import T0, fire, resolve, small_provider

NOW = datetime(2024, 5, 2, tzinfo=UTC)
CORPORATE = from_jsonable(
    Agreement,
    {
        "id": "acme-corporate",
        "level": "corporate",
        "provider": "acme",
        "effective_from": "2024-01-01",
        "objectives": [{"metric": "availability", "target": "99.9%"}],
    },
)


@pytest.fixture
def measured(engine: Engine) -> Engine:
    """acme's provider with a corporate 99.9 % availability objective; core-1 down 50 min
    on 2 April (internet, which needs core-1, down for globex; voip survives on core-2)."""
    bundle = small_provider()
    bundle = replace(bundle, agreements=(*bundle.agreements, CORPORATE))
    with transaction(engine) as session:
        BundleRepository(session).save(bundle, now=T0 - timedelta(days=30))
    events = EventEngine(engine)
    root = fire("root", "core-1")
    events.ingest(LOCAL_ADMIN, [root], T0 + timedelta(minutes=1))
    events.ingest(LOCAL_ADMIN, [resolve(root, 50)], T0 + timedelta(minutes=51))
    return engine


def test_the_provider_rolls_up_agreed_seconds_not_percentages(measured: Engine) -> None:
    by_customer = {
        r.key: r for r in rollups(measured, LOCAL_ADMIN, "2024-04", RollupBy.CUSTOMER, NOW)
    }
    [provider] = rollups(measured, LOCAL_ADMIN, "2024-04", RollupBy.PROVIDER, NOW)
    assert provider.key == "acme"
    month = Decimal(30 * 86400)  # April in UTC (no calendar: every second is agreed)
    globex = next(r for r in by_customer["globex"].results if r.objective == "availability")
    initech = next(r for r in by_customer["initech"].results if r.objective == "availability")
    total = next(r for r in provider.results if r.objective == "availability")
    # globex's internet was down 50 min = 3,000 s; initech's voip never.
    assert (globex.numerator, globex.denominator) == (month - 3000, month)
    assert (initech.numerator, initech.denominator) == (month, month)
    assert (total.numerator, total.denominator) == (2 * month - 3000, 2 * month)
    assert (
        total.actual == (2 * month - 3000) / (2 * month) * 100
    )  # 99.942 %, not a mean of 99.884 and 100
    assert globex.actual is not None
    assert globex.actual < Decimal("99.9") < total.actual  # 99.9 % missed by globex alone
    assert provider.final == 0  # provisional: nothing is closed, and nothing was stored
    with transaction(measured) as session:
        assert ResultRepository(session).closures() == []
    close_period(measured, LOCAL_ADMIN, "2024-04", NOW, "globex")
    [after] = rollups(measured, LOCAL_ADMIN, "2024-04", RollupBy.PROVIDER, NOW)
    assert after.results == provider.results  # the final figures are those evaluated
    assert (after.members, after.final) == (provider.members, by_customer["globex"].members)


def test_per_service_and_a_customer_sees_only_itself(measured: Engine) -> None:
    services = {r.key for r in rollups(measured, LOCAL_ADMIN, "2024-04", RollupBy.SERVICE, NOW)}
    assert services == {"internet", "voip"}
    own = Principal(Role.CUSTOMER, party="initech")
    mine = rollups(measured, own, "2024-04", RollupBy.CUSTOMER, NOW)
    assert [r.key for r in mine] == ["initech"]
