"""Reading the stored catalog and agreements, as far as the principal may see them."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy.orm import Session

from servanda.agreements.model import Agreement, Level
from servanda.catalog.model import Component, Party, PartyRole, Service
from servanda.config.bundle import Bundle
from servanda.core.access import Action, Principal
from servanda.core.problems import NotFound
from servanda.storage.repositories import BundleRepository


def scoped(bundle: Bundle, party: str | None) -> Bundle:
    """What a customer ``party`` may see of ``bundle`` (everything when ``party`` is None).

    A customer sees itself and its providers, its own subscriptions, the services it takes (not
    the provider's internal components), the corporate agreements of its providers and its own
    customer and service agreements.
    """
    if party is None:
        return bundle
    subs = tuple(s for s in bundle.subscriptions if s.customer == party)
    service_ids = {s.service for s in subs}
    services = tuple(s for s in bundle.services if s.id in service_ids)
    providers = {s.provider for s in services}
    parties = tuple(p for p in bundle.parties if p.id == party or p.id in providers)
    agreements = tuple(
        a
        for a in bundle.agreements
        if a.customer == party or (a.level is Level.CORPORATE and a.provider in providers)
    )
    # Requirements name internal components; a customer sees the services, not the wiring.
    services = tuple(replace(s, depends_on=()) for s in services)
    calendar_ids = {a.calendar for a in agreements} | {s.calendar for s in services}
    calendar_ids |= {o.calendar for a in agreements for o in a.objectives}
    calendars = tuple(c for c in bundle.calendars if c.id in calendar_ids)
    return Bundle(
        parties=parties,
        services=services,
        components=(),
        subscriptions=subs,
        calendars=calendars,
        agreements=agreements,
    )


def visible_bundle(session: Session, principal: Principal) -> Bundle:
    """The stored bundle as ``principal`` may see it."""
    principal.require(Action.READ)
    return scoped(BundleRepository(session).load(), principal.scope)


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
