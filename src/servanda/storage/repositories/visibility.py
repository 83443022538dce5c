"""What a customer party may see, as SQL conditions shared by every query.

A customer sees: itself and its providers (the providers of the services it takes and of its
agreements); its own subscriptions; the services it takes, without their requirements (the
provider's internal wiring); no components; its own customer and service agreements and the
corporate agreements of its providers; the calendars those services and agreements name.
``party=None`` means no restriction (staff roles).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, and_, or_, select, true, union

from servanda.storage.tables import (
    AgreementRow,
    AgreementVersionRow,
    CalendarRow,
    NodeRow,
    ObjectiveRow,
    PartyRow,
    SubscriptionRow,
)


def subscribed_services(party: str) -> Select[Any]:
    """Ids of the services ``party`` takes."""
    return select(SubscriptionRow.service).where(SubscriptionRow.customer == party)


def providers_of(party: str) -> Select[Any]:
    """Ids of the providers of ``party``: of the services it takes and of its agreements."""
    by_service = select(NodeRow.provider).where(NodeRow.id.in_(subscribed_services(party)))
    by_agreement = select(AgreementRow.provider).where(AgreementRow.customer == party)
    return select(union(by_service, by_agreement).subquery().c[0])


def parties(party: str | None) -> ColumnElement[bool]:
    """Parties ``party`` may see."""
    if party is None:
        return true()
    return or_(PartyRow.id == party, PartyRow.id.in_(providers_of(party)))


def services(party: str | None) -> ColumnElement[bool]:
    """Services ``party`` may see (apply to ``nodes`` rows of kind ``service``)."""
    if party is None:
        return true()
    return NodeRow.id.in_(subscribed_services(party))


def components(party: str | None) -> ColumnElement[bool]:
    """Components ``party`` may see: none for a customer."""
    return true() if party is None else NodeRow.id.is_(None)


def subscriptions(party: str | None) -> ColumnElement[bool]:
    """Subscriptions ``party`` may see: its own."""
    return true() if party is None else SubscriptionRow.customer == party


def agreements(party: str | None) -> ColumnElement[bool]:
    """Agreements ``party`` may see: its own and the corporate ones of its providers."""
    if party is None:
        return true()
    return or_(
        AgreementRow.customer == party,
        and_(AgreementRow.level == "corporate", AgreementRow.provider.in_(providers_of(party))),
    )


def calendars(party: str | None) -> ColumnElement[bool]:
    """Calendars ``party`` may see: those its services, agreements and objectives name."""
    if party is None:
        return true()
    visible_agreements = select(AgreementRow.id).where(agreements(party))
    named = union(
        select(NodeRow.calendar).where(NodeRow.kind == "service", services(party)),
        select(AgreementVersionRow.calendar).where(
            AgreementVersionRow.agreement_id.in_(visible_agreements)
        ),
        select(ObjectiveRow.calendar).where(ObjectiveRow.agreement_id.in_(visible_agreements)),
    ).subquery()
    return CalendarRow.id.in_(select(named.c[0]))
