"""Reading the stored catalog: parties, services, components, subscriptions, calendars."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from servanda.calendars.model import Calendar
from servanda.catalog.model import Component, Party, PartyRole, Service, Subscription
from servanda.storage.repositories import mapping, visibility
from servanda.storage.tables import (
    CalendarRow,
    NodeRow,
    PartyRoleRow,
    PartyRow,
    RequirementMemberRow,
    RequirementRow,
    SubscriptionRow,
)


class CatalogRepository:
    """Catalog queries; ``party`` restricts them to what that customer may see."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def list_parties(
        self, role: PartyRole | None = None, *, party: str | None = None
    ) -> list[Party]:
        """Parties by id, optionally only those playing ``role``."""
        query = select(PartyRow.record).where(visibility.parties(party)).order_by(PartyRow.id)
        if role is not None:
            query = query.where(
                PartyRow.id.in_(
                    select(PartyRoleRow.party_id).where(PartyRoleRow.role == PartyRole(role).value)
                )
            )
        return [mapping.read(Party, r) for r in self.session.scalars(query)]

    def get_party(self, party_id: str, *, party: str | None = None) -> Party | None:
        """One party, or None when unknown or not visible."""
        query = select(PartyRow.record).where(PartyRow.id == party_id, visibility.parties(party))
        found = self.session.scalar(query)
        return mapping.read(Party, found) if found is not None else None

    def list_services(
        self, provider: str | None = None, *, party: str | None = None
    ) -> list[Service]:
        """Services by id, optionally of one provider."""
        condition = _services(party)
        if provider is not None:
            condition = condition & (NodeRow.provider == provider)
        return self._services(condition, party)

    def get_service(self, service_id: str, *, party: str | None = None) -> Service | None:
        """One service, or None when unknown or not visible."""
        found = self._services(_services(party) & (NodeRow.id == service_id), party)
        return found[0] if found else None

    def list_components(self, *, party: str | None = None) -> list[Component]:
        """Components by id (none for a customer)."""
        query = (
            select(NodeRow.record)
            .where(NodeRow.kind == "component", visibility.components(party))
            .order_by(NodeRow.id)
        )
        return [mapping.read(Component, r) for r in self.session.scalars(query)]

    def get_component(self, component_id: str, *, party: str | None = None) -> Component | None:
        """One component, or None when unknown or not visible."""
        query = select(NodeRow.record).where(
            NodeRow.kind == "component", NodeRow.id == component_id, visibility.components(party)
        )
        found = self.session.scalar(query)
        return mapping.read(Component, found) if found is not None else None

    def list_subscriptions(
        self, customer: str | None = None, *, party: str | None = None
    ) -> list[Subscription]:
        """Subscriptions in the order they were first stored, optionally of one customer."""
        query = (
            select(SubscriptionRow.record)
            .where(visibility.subscriptions(party))
            .order_by(SubscriptionRow.id)
        )
        if customer is not None:
            query = query.where(SubscriptionRow.customer == customer)
        return [mapping.read(Subscription, r) for r in self.session.scalars(query)]

    def list_calendars(self, *, party: str | None = None) -> list[Calendar]:
        """Calendars by id."""
        query = (
            select(CalendarRow.record).where(visibility.calendars(party)).order_by(CalendarRow.id)
        )
        return [mapping.read(Calendar, r) for r in self.session.scalars(query)]

    def get_calendar(self, calendar_id: str, *, party: str | None = None) -> Calendar | None:
        """One calendar, or None when unknown or not visible."""
        query = select(CalendarRow.record).where(
            CalendarRow.id == calendar_id, visibility.calendars(party)
        )
        found = self.session.scalar(query)
        return mapping.read(Calendar, found) if found is not None else None

    def dependents(self, node_id: str) -> list[str]:
        """Ids of the services and components with a requirement naming ``node_id``."""
        query = (
            select(RequirementRow.node_id)
            .join(RequirementMemberRow, RequirementMemberRow.requirement_id == RequirementRow.id)
            .where(RequirementMemberRow.node_id == node_id)
            .distinct()
            .order_by(RequirementRow.node_id)
        )
        return list(self.session.scalars(query))

    def _services(self, condition: ColumnElement[bool], party: str | None) -> list[Service]:
        query = select(NodeRow.record).where(condition).order_by(NodeRow.id)
        found = [mapping.read(Service, r) for r in self.session.scalars(query)]
        if party is not None:
            # A customer sees the services it takes, not the provider's wiring behind them.
            found = [replace(s, depends_on=()) for s in found]
        return found


def _services(party: str | None) -> ColumnElement[bool]:
    return (NodeRow.kind == "service") & visibility.services(party)
