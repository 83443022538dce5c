"""Reading the stored catalog and agreements, as far as the principal may see them."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from servanda.agreements.model import Agreement, Level
from servanda.catalog.model import Component, Party, PartyRole, Service
from servanda.core.access import Action, Principal
from servanda.core.problems import NotFound
from servanda.declared.bundle import Bundle
from servanda.storage.database import transaction
from servanda.storage.repositories import AgreementRepository, BundleRepository, CatalogRepository


def visible_bundle(engine: Engine, principal: Principal) -> Bundle:
    """The stored bundle as ``principal`` may see it (see :func:`bundle_seen_by`)."""
    with transaction(engine) as session:
        return bundle_seen_by(session, principal)


def bundle_seen_by(session: Session, principal: Principal) -> Bundle:
    """The stored bundle as ``principal`` may see it, read in the caller's transaction.

    A customer sees itself and its providers, its own subscriptions, the services it takes (not
    the provider's internal components), the corporate agreements of its providers, its own
    customer and service agreements, and the calendars those name.
    """
    principal.require(Action.READ)
    party = principal.scope
    if party is None:
        return BundleRepository(session).load()
    # One rule of what a customer may see: the storage queries' visibility conditions.
    catalog = CatalogRepository(session)
    return Bundle(
        parties=tuple(catalog.list_parties(party=party)),
        services=tuple(catalog.list_services(party=party)),
        components=tuple(catalog.list_components(party=party)),
        subscriptions=tuple(catalog.list_subscriptions(party=party)),
        calendars=tuple(catalog.list_calendars(party=party)),
        agreements=tuple(AgreementRepository(session).list_agreements(party=party)),
    )


def list_parties(bundle: Bundle, role: PartyRole | None = None) -> list[Party]:
    """Parties, optionally only those playing ``role``."""
    return sorted(
        (p for p in bundle.parties if role is None or role in p.roles), key=lambda p: p.id
    )


def get_party(bundle: Bundle, party_id: str) -> Party:
    """One party, or :class:`NotFound`."""
    found = bundle.party_by_id.get(party_id)
    if found is None:
        raise NotFound(f"no party {party_id!r}")
    return found


def list_services(bundle: Bundle, provider: str | None = None) -> list[Service]:
    """Services, optionally of one provider."""
    return sorted(
        (s for s in bundle.services if provider is None or s.provider == provider),
        key=lambda s: s.id,
    )


def get_service(bundle: Bundle, service_id: str) -> Service:
    """One service, or :class:`NotFound`."""
    found = bundle.service_by_id.get(service_id)
    if found is None:
        raise NotFound(f"no service {service_id!r}")
    return found


def list_components(bundle: Bundle) -> list[Component]:
    """Components (empty for customers, who do not see the provider's wiring)."""
    return sorted(bundle.components, key=lambda c: c.id)


def list_agreements(bundle: Bundle, customer: str | None = None) -> list[Agreement]:
    """Every stored version, optionally of agreements that apply to ``customer``."""
    found = [
        a
        for a in bundle.agreements
        if customer is None or a.customer == customer or a.level is Level.CORPORATE
    ]
    return sorted(found, key=lambda a: (a.id, a.effective_from))


def agreement_versions(bundle: Bundle, agreement_id: str) -> list[Agreement]:
    """Every version of one agreement, oldest first, or :class:`NotFound`."""
    found = bundle.versions(agreement_id)
    if not found:
        raise NotFound(f"no agreement {agreement_id!r}")
    return found
