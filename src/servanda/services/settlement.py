"""Settlement use cases: ``settle(period)`` nets the month's unsettled party charges that no
invoice bills (revenue shares, carrier costs: the provider's payables) into one statement per
pair of accounts and currency (:mod:`servanda.accounting.settlement`), in one transaction;
each charge points to its statement, so running it again settles nothing twice, and what
arrives late is settled by the next run, in a statement of its own."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, select, update

from servanda.accounting.settlement import Debt, Statement, positions, statements
from servanda.core.access import Action, Principal
from servanda.core.problems import NotFound
from servanda.services.billing import NANOS, Month, _issuer
from servanda.storage.database import transaction
from servanda.storage.repositories import BundleRepository
from servanda.storage.repositories.charge_totals import close_generation, none
from servanda.storage.tables import ChargeTotalRow, PartyChargeRow, SettlementRow

SETTLED_ROLES = ("share", "cost")
"""Party charges settled between parties (payments to the provider are invoiced)."""


@dataclass(frozen=True, slots=True)
class StatementView:
    """A stored statement."""

    id: int
    period: str
    first: str
    second: str
    currency: str
    first_owes: Decimal
    second_owes: Decimal
    net: Decimal
    payer: str | None
    payee: str | None
    self_billing: bool
    lines: tuple[dict[str, Any], ...]

    def as_dict(self) -> dict[str, Any]:
        """JSON-compatible data."""
        return {
            "id": self.id, "period": self.period, "first": self.first, "second": self.second,
            "currency": self.currency, "first_owes": str(self.first_owes),
            "second_owes": str(self.second_owes), "net": str(self.net), "payer": self.payer,
            "payee": self.payee, "self_billing": self.self_billing, "lines": list(self.lines),
        }  # fmt: skip


def _view(row: SettlementRow) -> StatementView:
    return StatementView(
        id=row.id, period=row.period, first=row.first, second=row.second,
        currency=row.currency, first_owes=Decimal(row.first_owes),
        second_owes=Decimal(row.second_owes), net=Decimal(row.net), payer=row.payer,
        payee=row.payee, self_billing=row.self_billing,
        lines=tuple(row.document.get("lines", [])),
    )  # fmt: skip


def settle(engine: Engine, principal: Principal, period: str, now: datetime) -> list[int]:
    """Make the month's statements (see the module); their ids."""
    principal.require(Action.BILL)
    month = Month.of(period)
    made: list[int] = []
    gen = close_generation(engine)
    with transaction(engine) as session:
        provider = _issuer(BundleRepository(session).load())
        t = ChargeTotalRow
        debts = [
            Debt(r.id, r.debtor, r.creditor, Decimal(r.nanos) / NANOS, r.currency, r.role,
                 none(r.rule), r.records)
            for r in session.execute(
                select(t.id, t.debtor, t.creditor, t.nanos, t.currency, t.role, t.rule,
                       t.records).where(
                    t.role.in_(SETTLED_ROLES), t.settled_in.is_(None), t.gen < gen,
                    t.month <= month.text,
                ).order_by(t.id)
            )
        ]  # fmt: skip
        for statement in statements(debts):
            row = _store(statement, month.text, provider.id, now)
            session.add(row)
            session.flush()
            made.append(row.id)
            ids = [i for line in statement.lines for i in line.charges]
            for i in range(0, len(ids), 500):
                session.execute(
                    update(ChargeTotalRow)
                    .where(ChargeTotalRow.id.in_(ids[i : i + 500]))
                    .values(settled_in=row.id)
                )
    return made


def _store(s: Statement, period: str, provider: str, now: datetime) -> SettlementRow:
    return SettlementRow(
        period=period, first=s.first, second=s.second, currency=s.currency,
        first_owes=s.first_owes, second_owes=s.second_owes, net=s.net, payer=s.payer,
        payee=s.payee, self_billing=s.payer == provider,
        document={
            "lines": [
                {"debtor": x.debtor, "creditor": x.creditor, "role": x.role, "rule": x.rule,
                 "amount": str(x.amount), "charges": x.records}
                for x in s.lines
            ],
        },
        created_at=now,
    )  # fmt: skip


def statements_of(
    engine: Engine, principal: Principal, period: str | None = None
) -> list[StatementView]:
    """Stored statements (a customer principal sees those of its own accounts)."""
    principal.require(Action.READ)
    with transaction(engine) as session:
        query = select(SettlementRow)
        if period is not None:
            query = query.where(SettlementRow.period == Month.of(period).text)
        rows = session.scalars(query.order_by(SettlementRow.period, SettlementRow.id)).all()
        found = [_view(r) for r in rows]
        if principal.scope is not None:
            mine = {
                a.id for a in BundleRepository(session).load().billing_accounts
                if a.party == principal.scope
            }  # fmt: skip
            found = [s for s in found if s.first in mine or s.second in mine]
        return found


def statement(engine: Engine, principal: Principal, statement_id: int) -> StatementView:
    """One statement (a customer principal reads those of its own accounts)."""
    principal.require(Action.READ)
    with transaction(engine) as session:
        row = session.get(SettlementRow, statement_id)
        found = _view(row) if row is not None else None
        if found is not None and principal.scope is not None:
            mine = {
                a.id for a in BundleRepository(session).load().billing_accounts
                if a.party == principal.scope
            }  # fmt: skip
            found = found if found.first in mine or found.second in mine else None
    if found is None:
        raise NotFound(f"no statement {statement_id}")
    return found


def charges_of(engine: Engine, principal: Principal, statement_id: int) -> list[dict[str, Any]]:
    """The party charges a statement sums (billing staff)."""
    principal.require(Action.BILL)
    with transaction(engine) as session:
        if session.get(SettlementRow, statement_id) is None:
            raise NotFound(f"no statement {statement_id}")
        rows = session.scalars(
            select(PartyChargeRow)
            .join(ChargeTotalRow, ChargeTotalRow.id == PartyChargeRow.total_id)
            .where(ChargeTotalRow.settled_in == statement_id)
            .order_by(PartyChargeRow.id)
        ).all()
        return [
            {"id": r.id, "usage_id": r.usage_id, "debtor": r.debtor, "creditor": r.creditor,
             "role": r.role, "rule": r.rule, "amount": str(r.amount), "currency": r.currency}
            for r in rows
        ]  # fmt: skip


__all__ = ["charges_of", "positions", "settle", "statements_of"]
