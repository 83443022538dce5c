"""Usage records, their charges and the quarantine, in the caller's session and transaction.

Every version of a usage record is kept; the current one of a key (``source``,
``record_id``) has no ``superseded_at``, and the database holds at most one such row per key
(a partial unique index), so two writers cannot both store a first version. Charges are unique
per usage version and kind (``charge``, ``reversal``): nothing is charged twice, whatever
retries or concurrent writers do.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, func, insert, select, text, tuple_, update
from sqlalchemy.orm import Session

from servanda.accounting.stored import Charge, Rejected
from servanda.accounting.tiers import tiers_of
from servanda.storage.repositories.charge_totals import add_to_totals
from servanda.storage.tables import (
    ChargeTotalRow,
    PartyChargeRow,
    UsageChargeRow,
    UsageRejectedRow,
    UsageRow,
)

Key = tuple[str, str]


@dataclass(frozen=True, slots=True)
class StoredVersion:
    """The current version of a usage key."""

    id: int
    version: str


_CHUNK = 500


def _chunks(items: Sequence[Any], size: int = _CHUNK) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


class UsageRepository:
    """Reads and writes usage in one session."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def take_turn(self, sources: Iterable[str]) -> None:
        """Writers of the same sources take turns until the transaction ends: on PostgreSQL a
        transaction-scoped advisory lock per source (in order, so two writers never wait for
        each other in a circle), on SQLite the database's write lock."""
        if self.session.get_bind().dialect.name == "postgresql":
            for source in sorted(set(sources)):
                self.session.execute(
                    text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
                    {"key": f"servanda.usage:{source}"},
                )
        else:
            self.session.execute(update(UsageRow).where(UsageRow.id == -1).values(id=-1))

    def current(self, keys: Sequence[Key]) -> dict[Key, StoredVersion]:
        """The current version of each stored key among ``keys``."""
        found: dict[Key, StoredVersion] = {}
        if self.session.get_bind().dialect.name == "postgresql":
            # One join with the keys as two arrays: planned once whatever their number (a
            # tuple IN of hundreds of keys costs PostgreSQL more to plan than to run).
            unique = sorted(set(keys))
            rows = self.session.execute(
                text(
                    "SELECT u.source, u.record_id, u.id, u.version FROM usage_records u "
                    "JOIN unnest(CAST(:sources AS text[]), CAST(:record_ids AS text[])) "
                    "AS k(source, record_id) "
                    "ON u.source = k.source AND u.record_id = k.record_id "
                    "WHERE u.superseded_at IS NULL"
                ),
                {"sources": [k[0] for k in unique], "record_ids": [k[1] for k in unique]},
            )
            for source, record_id, row_id, version in rows:
                found[(source, record_id)] = StoredVersion(int(row_id), version)
            return found
        for chunk in _chunks(sorted(set(keys))):
            rows = self.session.execute(
                select(UsageRow.source, UsageRow.record_id, UsageRow.id, UsageRow.version).where(
                    tuple_(UsageRow.source, UsageRow.record_id).in_(list(chunk)),
                    UsageRow.superseded_at.is_(None),
                )
            )
            for source, record_id, row_id, version in rows:
                found[(source, record_id)] = StoredVersion(row_id, version)
        return found

    def add(self, rows: Sequence[dict[str, Any]]) -> list[int]:
        """Insert usage versions; their ids, in order."""
        if not rows:
            return []
        statement = insert(UsageRow).returning(UsageRow.id, sort_by_parameter_order=True)
        return [int(i) for i in self.session.scalars(statement, list(rows))]

    def supersede(self, ids: Sequence[int], now: datetime) -> None:
        """Mark versions as replaced by a correction."""
        for chunk in _chunks(list(ids)):
            self.session.execute(
                update(UsageRow).where(UsageRow.id.in_(chunk)).values(superseded_at=now)
            )
        self.session.flush()

    def records(self, ids: Sequence[int]) -> dict[int, UsageRow]:
        """Stored versions by id."""
        found: dict[int, UsageRow] = {}
        for chunk in _chunks(list(ids)):
            for row in self.session.scalars(select(UsageRow).where(UsageRow.id.in_(chunk))):
                found[row.id] = row
        return found

    def charges(self, usage_ids: Sequence[int]) -> list[Charge]:
        """The charges and reversals of some usage versions."""
        out: list[Charge] = []
        for chunk in _chunks(list(usage_ids)):
            rows = self.session.scalars(
                select(UsageChargeRow)
                .where(UsageChargeRow.usage_id.in_(chunk))
                .order_by(UsageChargeRow.id)
            )
            out += [_charge(r) for r in rows]
        return out

    def add_charges(self, rows: Sequence[dict[str, Any]]) -> list[int]:
        """Insert charges (one per usage version and kind: a second one is refused by the
        database); their ids, in order."""
        if not rows:
            return []
        statement = insert(UsageChargeRow).returning(
            UsageChargeRow.id, sort_by_parameter_order=True
        )
        return [int(i) for i in self.session.scalars(statement, list(rows))]

    def add_party_charges(self, rows: Sequence[dict[str, Any]]) -> None:
        """Insert party charges, each added to its running total (each row names its
        billing ``month``; see :mod:`servanda.storage.repositories.charge_totals`)."""
        if rows:
            add_to_totals(self.session, rows)
            self.session.execute(insert(PartyChargeRow), list(rows))

    def reverse_party_charges(self, reversals: dict[int, int], now: datetime) -> None:
        """Reverse the party charges of usage charges: ``{charge id: its reversal's id}``."""
        if not reversals:
            return
        rows = []
        for chunk in _chunks(sorted(reversals)):
            for c, month, rated, cost in self.session.execute(
                select(PartyChargeRow, ChargeTotalRow.month, UsageChargeRow.detail,
                       UsageChargeRow.amount)
                .join(ChargeTotalRow, ChargeTotalRow.id == PartyChargeRow.total_id)
                .join(UsageChargeRow, UsageChargeRow.id == PartyChargeRow.charge_id)
                .where(PartyChargeRow.charge_id.in_(chunk), PartyChargeRow.kind == "charge")
            ):  # fmt: skip
                pieces = (
                    tiers_of(rated, c.nanos, Decimal(c.amount) == Decimal(cost))
                    if c.role == "pays"
                    else []
                )
                amount = -Decimal(c.amount)
                rows.append(
                    {
                        "usage_id": c.usage_id, "charge_id": reversals[c.charge_id],
                        "kind": "reversal", "role": c.role, "debtor": c.debtor,
                        "creditor": c.creditor, "amount": amount, "nanos": -c.nanos,
                        "currency": c.currency, "rule": c.rule, "rule_version": c.rule_version,
                        "category": c.category, "service": c.service, "tariff": c.tariff,
                        "destination_group": c.destination_group, "band": c.band,
                        "quantity": None if c.quantity is None else -Decimal(c.quantity),
                        "usage_start": c.usage_start, "note": c.note, "created_at": now,
                        "month": month,
                        "tiers": [replace(p, quantity=-p.quantity, increments=-p.increments,
                                          nanos=-p.nanos) for p in pieces],
                    }
                )  # fmt: skip
        self.add_party_charges(rows)

    def quarantine(self, rows: Sequence[dict[str, Any]]) -> None:
        """Quarantine usage with its reasons."""
        if rows:
            self.session.execute(insert(UsageRejectedRow), list(rows))

    def quarantined(self, origin: str, reason: str) -> bool:
        """Whether something from ``origin`` is quarantined for ``reason`` already."""
        found = self.session.scalar(
            select(UsageRejectedRow.id)
            .where(UsageRejectedRow.origin == origin, UsageRejectedRow.reason == reason)
            .limit(1)
        )
        return found is not None

    def rejected(self, *, include_resolved: bool = False, limit: int = 1000) -> list[Rejected]:
        """Quarantined usage, oldest first."""
        query = select(UsageRejectedRow).order_by(UsageRejectedRow.id).limit(limit)
        if not include_resolved:
            query = query.where(UsageRejectedRow.resolved_at.is_(None))
        return [_rejected(r) for r in self.session.scalars(query)]

    def rejected_by_id(self, ids: Sequence[int]) -> list[Rejected]:
        """Some quarantined usage, unresolved, by id."""
        rows = self.session.scalars(
            select(UsageRejectedRow)
            .where(UsageRejectedRow.id.in_(list(ids)), UsageRejectedRow.resolved_at.is_(None))
            .order_by(UsageRejectedRow.id)
        )
        return [_rejected(r) for r in rows]

    def open_rating_rejections(self, usage_ids: Sequence[int]) -> set[int]:
        """The usage ids among ``usage_ids`` already quarantined as not rated, unresolved."""
        found: set[int] = set()
        for chunk in _chunks(list(usage_ids)):
            found |= set(
                self.session.scalars(
                    select(UsageRejectedRow.usage_id).where(
                        UsageRejectedRow.usage_id.in_(chunk),
                        UsageRejectedRow.stage == "rating",
                        UsageRejectedRow.resolved_at.is_(None),
                    )
                )
            )
        return found

    def resolve(self, rejected_id: int, now: datetime, resolution: str) -> None:
        """Mark a quarantined record as dealt with."""
        self.session.execute(
            update(UsageRejectedRow)
            .where(UsageRejectedRow.id == rejected_id)
            .values(resolved_at=now, resolution=resolution)
        )

    def explain(self, rejected_id: int, reason: str) -> None:
        """Give a quarantined record a new reason (after a retry that failed again)."""
        self.session.execute(
            update(UsageRejectedRow).where(UsageRejectedRow.id == rejected_id).values(reason=reason)
        )

    def totals(self) -> dict[str, Decimal]:
        """The sum of every charge and reversal, per currency."""
        rows = self.session.execute(select(UsageChargeRow.currency, UsageChargeRow.amount)).all()
        out: dict[str, Decimal] = {}
        for currency, amount in rows:
            out[currency] = out.get(currency, Decimal(0)) + Decimal(amount)
        return out

    def count_current(self) -> int:
        """How many usage keys are stored."""
        return int(
            self.session.scalar(
                select(func.count()).select_from(UsageRow).where(UsageRow.superseded_at.is_(None))
            )
            or 0
        )

    def uncharged_current(self, ids: Sequence[int]) -> list[int]:
        """Among ``ids``, the current versions with no charge yet."""
        out: list[int] = []
        for chunk in _chunks(list(ids)):
            charged = select(UsageChargeRow.usage_id).where(
                and_(UsageChargeRow.usage_id == UsageRow.id, UsageChargeRow.kind == "charge")
            )
            out += list(
                self.session.scalars(
                    select(UsageRow.id).where(
                        UsageRow.id.in_(chunk),
                        UsageRow.superseded_at.is_(None),
                        ~charged.exists(),
                    )
                )
            )
        return out

    def unreversed(self, ids: Sequence[int]) -> list[Charge]:
        """Charges of superseded versions among ``ids`` that have no reversal yet."""
        charges = self.charges(ids)
        reversed_ = {c.usage_id for c in charges if c.kind == "reversal"}
        return [c for c in charges if c.kind == "charge" and c.usage_id not in reversed_]


def _charge(r: UsageChargeRow) -> Charge:
    return Charge(
        id=r.id,
        usage_id=r.usage_id,
        kind=r.kind,
        account=r.account,
        tariff=r.tariff,
        tariff_version=r.tariff_version,
        amount=Decimal(r.amount),
        currency=r.currency,
        detail=r.detail,
    )


def _rejected(r: UsageRejectedRow) -> Rejected:
    return Rejected(
        id=r.id,
        stage=r.stage,
        source=r.source,
        record_id=r.record_id,
        usage_id=r.usage_id,
        origin=r.origin,
        reason=r.reason,
        received_at=r.received_at,
        payload=r.payload,
        resolved_at=r.resolved_at,
        resolution=r.resolution,
    )


__all__ = ["Charge", "Rejected", "StoredVersion", "UsageRepository"]
