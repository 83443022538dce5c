"""The stored prices: the rater of the declared tariffs and the charging rules that say who
pays, compiled once per change of what they read, and the party charges of rated usage.

:func:`stored_pricing` gives the :class:`Pricing` of the stored declarations (compiled again
only when the stored calendars, tariffs, rating profiles, charging rules, billing accounts,
parties or services change). :func:`party_charge_rows` turns usage just charged into the rows
of ``party_charges`` (:mod:`servanda.accounting.charging_rules`): who owes whom for each
record. Party charges are made only once billing is declared (at least one billing account):
before that there is no account to owe anything to.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow as pa

from servanda.accounting.billing_accounts import billed_account, issuer_account
from servanda.accounting.charging_rules import (
    ChargingRules,
    PartyCharge,
    RatedUsage,
    Role,
    RuleModel,
)
from servanda.accounting.rating.rater import Rater
from servanda.accounting.tariffs import RatingProfile
from servanda.accounting.tiers import tiers_of
from servanda.accounting.usage import Category, UsageRecord
from servanda.catalog.model import PartyRole
from servanda.declared.bundle import Bundle
from servanda.storage.repositories import BundleRepository

NANOS = Decimal(10) ** 9


def usage_table(records: Sequence[UsageRecord]) -> pa.Table:
    """Usage records as the columns rating reads."""
    millis = timedelta(milliseconds=1)
    return pa.table(
        {
            "source": pa.array([r.source for r in records], pa.string()),
            "record_id": pa.array([r.record_id for r in records], pa.string()),
            "account": pa.array([r.account for r in records], pa.string()),
            "category": pa.array([r.category.value for r in records], pa.string()),
            "service": pa.array([r.service for r in records], pa.string()),
            "destination": pa.array([r.destination for r in records], pa.string()),
            "start": pa.array([r.start for r in records], pa.timestamp("us", tz="UTC")),
            "duration": pa.array(
                [Decimal(r.duration // millis).scaleb(-3) for r in records], pa.decimal128(18, 3)
            ),
            "volume_up": pa.array([r.volume_up for r in records], pa.int64()),
            "volume_down": pa.array([r.volume_down for r in records], pa.int64()),
            "units": pa.array([r.units for r in records], pa.int64()),
            "declared_mean": pa.array(
                [dict(r.attributes).get("declared_mean") for r in records], pa.string()
            ),
        }
    )


@dataclass
class Pricing:
    """The stored tariffs and charging rules, compiled."""

    bundle: Bundle
    rater: Rater | None
    charging: ChargingRules | None
    """None: no billing account is declared, so nothing is charged to parties."""
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    """The provider's billing clock: a charge belongs to the month its usage started in."""
    _carriers: dict[str, Rater] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def carrier_rater(self, tariff: str) -> Rater:
        """A rater pricing every record on ``tariff`` (a carrier's prices)."""
        with self._lock:
            if tariff not in self._carriers:
                b = self.bundle
                self._carriers[tariff] = Rater(
                    b.tariffs, (RatingProfile(tariff=tariff),), b.calendars
                )
            return self._carriers[tariff]


def _compile(bundle: Bundle) -> Pricing:
    rater = (
        Rater(bundle.tariffs, bundle.rating_profiles, bundle.calendars) if bundle.tariffs else None
    )
    if not bundle.billing_accounts:
        return Pricing(bundle, rater, None)
    accounts = bundle.billing_accounts
    providers = [p.id for p in bundle.parties if PartyRole.PROVIDER in p.roles]
    default = billed_account(accounts, providers[0]) if len(providers) == 1 else None
    by_service = {s.id: billed_account(accounts, s.provider) or s.provider for s in bundle.services}

    def provider_of(service: str | None) -> str:
        found = by_service.get(service) if service is not None else None
        return found or default or "provider"

    issuer = issuer_account(accounts, providers)
    zone = issuer.timezone if issuer is not None else "UTC"
    return Pricing(bundle, rater, ChargingRules(bundle.charging_rules, provider_of), ZoneInfo(zone))


_cache: dict[tuple[str, str], Pricing] = {}
_cache_lock = threading.Lock()


def stored_pricing(repo: BundleRepository) -> Pricing:
    """The pricing of the stored declarations (see the module)."""
    bind = repo.session.get_bind()
    key = (str(bind.engine.url), repo.rating_fingerprint())
    with _cache_lock:
        if key not in _cache:
            if len(_cache) > 16:
                _cache.clear()
            _cache[key] = _compile(repo.load_rating())
        return _cache[key]


def stored_rater(repo: BundleRepository) -> Rater | None:
    """The rater of the stored tariffs (None when none is declared)."""
    return stored_pricing(repo).rater


def party_charge_rows(
    pricing: Pricing,
    charged: Sequence[tuple[int, int, UsageRecord, dict[str, Any]]],
    now: datetime,
) -> list[dict[str, Any]]:
    """The ``party_charges`` rows of usage just charged: ``(usage id, charge id, record,
    rated row)`` each (see the module)."""
    charging = pricing.charging
    if charging is None or not charged:
        return []
    usages = [
        RatedUsage(
            usage_id=usage_id,
            account=record.account,
            category=record.category,
            start=record.start,
            cost=Decimal(row["cost"]),
            currency=str(row["currency"]),
            service=record.service,
            destination=record.destination,
            tariff=row["tariff"],
            destination_group=row["destination_group"],
            band=row["band"],
            attributes=dict(record.attributes),
        )
        for usage_id, _, record, row in charged
    ]
    costs = _carrier_costs(pricing, charging, usages, [c[2] for c in charged])
    rows: list[dict[str, Any]] = []
    for (usage_id, charge_id, record, rated), usage in zip(charged, usages, strict=True):
        month = record.start.astimezone(pricing.zone).strftime("%Y-%m")
        for c in charging.charges(usage, costs.get(usage_id)):
            row = _row(c, charge_id, "charge", usage, record, now)
            whole = c.amount == usage.cost
            pieces = tiers_of(rated, row["nanos"], whole) if c.role is Role.PAYS else []
            rows.append(row | {"month": month, "tiers": pieces})
    return rows


def _carrier_costs(
    pricing: Pricing,
    charging: ChargingRules,
    usages: Sequence[RatedUsage],
    records: Sequence[UsageRecord],
) -> dict[int, dict[str, Decimal]]:
    """Each record's cost on the tariff of each carrier rule matching it, rated in one call
    per rule."""
    wanted: dict[tuple[str, str], list[int]] = {}
    for i, usage in enumerate(usages):
        for rule in charging.beside(usage, RuleModel.CARRIER_COST):
            assert rule.tariff is not None
            wanted.setdefault((rule.id, rule.tariff), []).append(i)
    costs: dict[int, dict[str, Decimal]] = {}
    for (rule_id, tariff), rows in wanted.items():
        rated = pricing.carrier_rater(tariff).rate_table(usage_table([records[i] for i in rows]))
        for i, cost in zip(rows, rated.column("cost").to_pylist(), strict=True):
            if cost is not None:
                costs.setdefault(usages[i].usage_id, {})[rule_id] = Decimal(cost)
    return costs


def quantity_of(record: UsageRecord) -> Decimal:
    """What a record used, as packages of free units count it: seconds for what is measured
    in time, octets for data, units otherwise."""
    if record.category is Category.DATA:
        return Decimal((record.volume_up or 0) + (record.volume_down or 0))
    if record.category in (Category.SMS, Category.OTHER):
        return Decimal(record.units or 0)
    return Decimal(record.duration.total_seconds()).quantize(Decimal("0.001"))


def _row(
    c: PartyCharge,
    charge_id: int,
    kind: str,
    usage: RatedUsage,
    record: UsageRecord,
    now: datetime,
) -> dict[str, Any]:
    return {
        "usage_id": c.usage_id, "charge_id": charge_id, "kind": kind, "role": c.role.value,
        "debtor": c.debtor, "creditor": c.creditor, "amount": c.amount,
        "nanos": int(c.amount * NANOS), "currency": c.currency, "rule": c.rule,
        "rule_version": c.rule_version, "category": record.category.value,
        "service": record.service, "tariff": usage.tariff,
        "destination_group": usage.destination_group, "band": usage.band,
        "quantity": quantity_of(record), "usage_start": record.start, "note": c.note,
        "created_at": now,
    }  # fmt: skip
