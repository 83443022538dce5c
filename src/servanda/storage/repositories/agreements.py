"""Reading stored agreements and their versions."""

from __future__ import annotations

from datetime import date

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from servanda.agreements import effective
from servanda.agreements.model import Agreement
from servanda.storage.repositories import mapping, visibility
from servanda.storage.tables import AgreementRow, AgreementVersionRow


class AgreementRepository:
    """Agreement queries; ``party`` restricts them to what that customer may see."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def list_agreements(
        self, customer: str | None = None, *, party: str | None = None
    ) -> list[Agreement]:
        """Every version of every agreement, by id then oldest first.

        With ``customer``: the agreements that apply to that customer — its own customer and
        service agreements and the corporate agreements of its providers.
        """
        condition = visibility.agreements(party)
        if customer is not None:
            condition = condition & visibility.agreements(customer)
        return self._versions(condition)

    def versions(self, agreement_id: str, *, party: str | None = None) -> list[Agreement]:
        """Every version of one agreement, oldest first (empty when unknown or not visible)."""
        return self._versions(visibility.agreements(party) & (AgreementRow.id == agreement_id))

    def get(
        self, agreement_id: str, on: date | None = None, *, party: str | None = None
    ) -> Agreement | None:
        """The latest version of an agreement, or the latest one starting on or before ``on``."""
        found = self.versions(agreement_id, party=party)
        if on is not None:
            found = [a for a in found if a.effective_from <= on]
        return found[-1] if found else None

    def in_force(
        self, on: date, customer: str | None = None, *, party: str | None = None
    ) -> list[Agreement]:
        """Per agreement, the latest version starting on or before ``on``, if it covers ``on``."""
        return effective.in_force(self.list_agreements(customer, party=party), on)

    def _versions(self, condition: ColumnElement[bool]) -> list[Agreement]:
        query = (
            select(AgreementVersionRow.record)
            .join(AgreementRow, AgreementRow.id == AgreementVersionRow.agreement_id)
            .where(condition)
            .order_by(AgreementVersionRow.agreement_id, AgreementVersionRow.effective_from)
        )
        return [mapping.read(Agreement, r) for r in self.session.scalars(query)]
