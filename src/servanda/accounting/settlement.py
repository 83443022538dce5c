"""Settlement between parties: what each pair of billing accounts owes the other, from the
party charges that invoices do not bill — the provider's payables: content providers' revenue
shares, premium-number owners' shares, carriers' costs — netted per pair and currency.

A statement names its two accounts (in id order), the amount each owes the other, the net and
who pays it, with one line per direction, role and rule; when the provider pays, it is a
**self-billing** statement (the provider writes the invoice its partner would have sent).
Every amount is a sum of debts (running totals of party charges), which the statement lists
by id, so each figure traces back to the charges and records it comes from. Across all
statements of a period, what the accounts are owed and what they owe adds up to zero: every
charge is one account's debt and another's claim (a property test checks it).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class Debt:
    """A sum of party charges to settle (one running total of them)."""

    id: int
    debtor: str
    creditor: str
    amount: Decimal
    currency: str
    role: str
    rule: str | None
    records: int = 1
    """The charges it sums."""


@dataclass(frozen=True, slots=True)
class StatementLine:
    """The debts of one direction, role and rule of a statement."""

    debtor: str
    creditor: str
    role: str
    rule: str | None
    amount: Decimal
    charges: tuple[int, ...]
    """The debts it sums, by id."""
    records: int
    """The party charges they sum."""


@dataclass(frozen=True, slots=True)
class Statement:
    """What two accounts owe each other in one currency."""

    first: str
    second: str
    currency: str
    first_owes: Decimal
    second_owes: Decimal
    lines: tuple[StatementLine, ...]

    @property
    def net(self) -> Decimal:
        """What the one who pays pays (never negative)."""
        return abs(self.first_owes - self.second_owes)

    @property
    def payer(self) -> str | None:
        """Who pays the net (None: it is zero)."""
        if self.first_owes == self.second_owes:
            return None
        return self.first if self.first_owes > self.second_owes else self.second

    @property
    def payee(self) -> str | None:
        """Who is paid the net."""
        payer = self.payer
        if payer is None:
            return None
        return self.second if payer == self.first else self.first

    def position(self, account: str) -> Decimal:
        """What ``account`` is owed by this statement (negative: what it owes)."""
        if account == self.first:
            return self.second_owes - self.first_owes
        if account == self.second:
            return self.first_owes - self.second_owes
        return Decimal(0)


def statements(debts: Iterable[Debt]) -> list[Statement]:
    """The debts netted per pair of accounts and currency, in order of the pair."""
    pairs: dict[tuple[str, str, str], dict[tuple[str, str, str, str | None], list[Debt]]] = {}
    for d in debts:
        if d.debtor == d.creditor:
            continue
        first, second = sorted((d.debtor, d.creditor))
        by_line = pairs.setdefault((first, second, d.currency), {})
        by_line.setdefault((d.debtor, d.creditor, d.role, d.rule), []).append(d)
    out = []
    for (first, second, currency), grouped in sorted(pairs.items()):
        lines = tuple(
            StatementLine(
                debtor,
                creditor,
                role,
                rule,
                sum((d.amount for d in ds), Decimal(0)),
                tuple(sorted(d.id for d in ds)),
                sum(d.records for d in ds),
            )
            for (debtor, creditor, role, rule), ds in sorted(
                grouped.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2], kv[0][3] or "")
            )
        )
        first_owes = sum((x.amount for x in lines if x.debtor == first), Decimal(0))
        second_owes = sum((x.amount for x in lines if x.debtor == second), Decimal(0))
        out.append(Statement(first, second, currency, first_owes, second_owes, lines))
    return out


def positions(found: Sequence[Statement]) -> dict[tuple[str, str], Decimal]:
    """What each account is owed across statements, by account and currency (negative: what
    it owes); they add up to zero in each currency."""
    total: dict[tuple[str, str], Decimal] = {}
    for s in found:
        for account in (s.first, s.second):
            key = (account, s.currency)
            total[key] = total.get(key, Decimal(0)) + s.position(account)
    return total
