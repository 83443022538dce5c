"""Customer scoping: a customer party sees only what concerns it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy.orm import Session

from servanda.catalog.model import PartyRole
from servanda.declared.bundle import Bundle
from servanda.storage.repositories import (
    AgreementRepository,
    BundleRepository,
    CatalogRepository,
)

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def stored(session: Session, bundle: Bundle) -> Session:
    BundleRepository(session).save(bundle, now=NOW)
    session.commit()
    return session


def ids(records: Sequence[Any]) -> list[str]:
    return [getattr(r, "id") for r in records]  # noqa: B009


def test_staff_see_everything(stored: Session, bundle: Bundle) -> None:
    catalog = CatalogRepository(stored)
    assert ids(catalog.list_parties()) == sorted(p.id for p in bundle.parties)
    assert ids(catalog.list_parties(PartyRole.CUSTOMER)) == ["globex", "initech"]
    assert ids(catalog.list_parties(PartyRole.CARRIER)) == ["carrier-x"]
    assert ids(catalog.list_services()) == ["internet", "transit", "voip"]
    assert ids(catalog.list_services(provider="other-isp")) == ["transit"]
    assert ids(catalog.list_components()) == ["core-1", "core-2", "dns-1", "uplink-a"]
    assert len(catalog.list_subscriptions()) == 3
    assert ids(catalog.list_calendars()) == ["always", "business", "initech-hours"]
    service = catalog.get_service("internet")
    assert service == bundle.service_by_id["internet"]
    assert catalog.get_component("dns-1") == bundle.component_by_id["dns-1"]
    assert catalog.get_component("internet") is None
    assert catalog.get_service("core-1") is None
    assert catalog.dependents("core-1") == ["dns-1", "internet", "voip"]


def test_a_customer_sees_itself_its_providers_and_its_services(stored: Session) -> None:
    catalog = CatalogRepository(stored)
    assert ids(catalog.list_parties(party="globex")) == ["acme", "globex"]
    assert ids(catalog.list_parties(PartyRole.CUSTOMER, party="globex")) == ["globex"]
    assert catalog.get_party("initech", party="globex") is None
    assert catalog.get_party("globex", party="globex") is not None
    assert ids(catalog.list_parties(party="initech")) == ["acme", "initech", "other-isp"]

    services = catalog.list_services(party="globex")
    assert ids(services) == ["internet"]
    assert services[0].depends_on == (), "the provider's wiring stays hidden"
    assert catalog.get_service("voip", party="globex") is None
    assert catalog.list_components(party="globex") == []
    assert catalog.get_component("core-1", party="globex") is None

    subs = catalog.list_subscriptions(party="globex")
    assert [(s.customer, s.service) for s in subs] == [("globex", "internet")]
    assert catalog.list_subscriptions(customer="initech", party="globex") == []
    assert ids(catalog.list_calendars(party="globex")) == ["business"]
    assert ids(catalog.list_calendars(party="initech")) == ["initech-hours"]
    assert catalog.get_calendar("always", party="globex") is None


def test_a_customer_sees_its_agreements_and_its_providers_corporate_ones(stored: Session) -> None:
    agreements = AgreementRepository(stored)
    assert sorted({a.id for a in agreements.list_agreements()}) == [
        "acme-corporate",
        "globex-internet",
        "globex-terms",
        "initech-voip",
        "other-corporate",
    ]
    globex = agreements.list_agreements(party="globex")
    assert [a.key for a in globex] == [
        ("acme-corporate", date(2024, 1, 1)),
        ("globex-internet", date(2024, 1, 1)),
        ("globex-internet", date(2025, 1, 1)),
        ("globex-terms", date(2024, 1, 1)),
    ]
    assert agreements.list_agreements(customer="globex") == globex
    # Of what applies to initech, globex sees only the corporate terms they share.
    shared = agreements.list_agreements(customer="initech", party="globex")
    assert [a.id for a in shared] == ["acme-corporate"]
    assert {a.id for a in agreements.list_agreements(party="initech")} == {
        "acme-corporate",
        "initech-voip",
        "other-corporate",
    }
    assert agreements.versions("initech-voip", party="globex") == []
    assert agreements.get("initech-voip", party="globex") is None


def test_versions_and_the_version_in_force(stored: Session, bundle: Bundle) -> None:
    agreements = AgreementRepository(stored)
    versions = agreements.versions("globex-internet", party="globex")
    assert versions == bundle.versions("globex-internet")
    assert agreements.get("globex-internet") == versions[-1]
    assert agreements.get("globex-internet", date(2024, 7, 1)) == versions[0]
    assert agreements.get("globex-internet", date(2023, 7, 1)) is None
    assert agreements.versions("nope") == []
    in_force = agreements.in_force(date(2024, 7, 1), party="globex")
    assert [a.key for a in in_force] == [
        ("acme-corporate", date(2024, 1, 1)),
        ("globex-internet", date(2024, 1, 1)),
        ("globex-terms", date(2024, 1, 1)),
    ]
