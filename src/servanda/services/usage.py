"""Usage use cases: store metered usage once, rate it, quarantine what cannot be taken, and
retry the quarantine after a fix.

Storing a batch (:func:`ingest_usage`) is one transaction:

* each record's *version* is the first 16 hex characters of the SHA-256 of its canonical JSON;
* a key (``source``, ``record_id``) not stored yet is stored; the same record again changes
  nothing (the same file, packet or message twice);
* a record that differs from the stored version of its key is a **correction** when it says
  so (``corrects: <stored version>``): the stored version is superseded, the new one stored,
  its charge reversed and the new one charged. Otherwise it is refused and quarantined with
  the reason (a differing record under a stored key is a conflict, never silently taken);
* every stored version is rated with the declared tariffs (the same
  :class:`~servanda.accounting.rating.rater.Rater` as ``servanda rate``); one that cannot be
  rated stays stored and is quarantined with why, to be rated by :func:`retry_rejected` once
  the tariffs are fixed.

Writers of the same sources take turns (:meth:`UsageRepository.take_turn`), and the database
holds one current version per key and one charge per version, so two servers ingesting the
same records store and charge them once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

import orjson
from pydantic import ValidationError
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from servanda.accounting.stored import Charge, Rejected
from servanda.accounting.usage import UsageRecord
from servanda.core.access import Action, Principal
from servanda.core.records import from_jsonable, to_jsonable
from servanda.services import telemetry
from servanda.services.pricing import (
    Pricing,
    party_charge_rows,
    stored_pricing,
    usage_table,
)
from servanda.storage.database import transaction
from servanda.storage.repositories import BundleRepository
from servanda.storage.repositories.usage import UsageRepository

ATTEMPTS = 3
"""Transactions tried when a concurrent writer stored the same key first."""


@dataclass(frozen=True, slots=True)
class NewCharge:
    """A charge just made for a stored usage version."""

    usage_id: int
    account: str
    amount: Decimal
    currency: str


@dataclass
class UsageSummary:
    """What storing a batch did."""

    received: int = 0
    stored: int = 0
    unchanged: int = 0
    corrected: int = 0
    rejected: int = 0
    rated: int = 0
    not_rated: int = 0
    charged: dict[str, Decimal] = field(default_factory=dict)
    """Charges less reversals of this batch, per currency."""
    reasons: list[str] = field(default_factory=list)
    """Why records were rejected or not rated (the first 20)."""
    ids: list[int] = field(default_factory=list, repr=False)
    """The ids of the versions this batch stored, in the order of its records."""
    charges: list[NewCharge] = field(default_factory=list, repr=False)
    """The charges this batch made (not reversals), for who debits balances as usage comes."""

    def as_dict(self) -> dict[str, Any]:
        """JSON-compatible data."""
        return {
            "received": self.received,
            "stored": self.stored,
            "unchanged": self.unchanged,
            "corrected": self.corrected,
            "rejected": self.rejected,
            "rated": self.rated,
            "not_rated": self.not_rated,
            "charged": {c: str(v) for c, v in sorted(self.charged.items())},
            "reasons": self.reasons,
        }


def version_of(record: UsageRecord) -> str:
    """The version of a record: what identifies its content."""
    data = to_jsonable(record)
    text = orjson.dumps(data, option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(text).hexdigest()[:16]


# -- storing ------------------------------------------------------------------------------


def ingest_usage(
    engine: Engine,
    principal: Principal,
    records: Sequence[UsageRecord],
    now: datetime,
    *,
    origins: Sequence[str] | str = "api",
) -> UsageSummary:
    """Store, rate and charge a batch of usage (see the module); ``origins`` says where each
    record came from (``file:line``), or one place for all."""
    principal.require(Action.INGEST_USAGE)
    where = [origins] * len(records) if isinstance(origins, str) else list(origins)
    for attempt in range(ATTEMPTS):
        try:
            with transaction(engine) as session:
                return store_in(session, records, where, now)
        except IntegrityError:
            if attempt == ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


@telemetry.timed(telemetry.INGEST_SECONDS, "usage_records")
def store_in(
    session: Any, records: Sequence[UsageRecord], where: list[str], now: datetime
) -> UsageSummary:
    """:func:`ingest_usage` in the caller's transaction (the RADIUS sink stores the session's
    state and its usage together)."""
    repo = UsageRepository(session)
    summary = UsageSummary(received=len(records))
    telemetry.INGESTED.labels("usage_records").inc(len(records))
    repo.take_turn({r.source for r in records})
    stored = repo.current([r.key for r in records])
    seen: dict[tuple[str, str], str] = {}
    new_rows: list[dict[str, Any]] = []
    new_records: list[UsageRecord] = []
    superseded: list[int] = []
    quarantine: list[dict[str, Any]] = []
    for record, origin in zip(records, where, strict=True):
        version = version_of(record)
        current = seen.get(record.key) or (
            stored[record.key].version if record.key in stored else None
        )
        if current == version:
            summary.unchanged += 1
            continue
        if current is not None and record.corrects != current:
            reason = (
                f"{record.source}/{record.record_id} differs from its stored version {current}; "
                f"send it with corrects: {current} to correct it"
            )
            quarantine.append(_rejection("mediation", record, origin, reason, now))
            summary.rejected += 1
            _note(summary, f"{origin}: {reason}")
            continue
        if current is not None:
            if record.key in stored and stored[record.key].version == current:
                superseded.append(stored[record.key].id)
            else:  # corrects a version of this same batch, not stored yet
                index = next(
                    i for i, r in enumerate(new_rows)
                    if (r["source"], r["record_id"]) == record.key and r["version"] == current
                )  # fmt: skip
                del new_rows[index]
                del new_records[index]
                summary.stored -= 1
            summary.corrected += 1
        seen[record.key] = version
        new_rows.append(
            {
                "source": record.source,
                "record_id": record.record_id,
                "version": version,
                "account": record.account,
                "category": record.category.value,
                "service": record.service,
                "start": record.start,
                "record": to_jsonable(record),
                "received_at": now,
                "origin": origin,
            }
        )
        new_records.append(record)
        summary.stored += 1
    if superseded:
        repo.supersede(superseded, now)
        _reverse(repo, superseded, now, summary)
    ids = repo.add(new_rows)
    summary.ids = list(ids)
    repo.quarantine(quarantine)
    pricing = stored_pricing(BundleRepository(session))
    _rate(repo, pricing, list(zip(ids, new_records, strict=True)), [r["origin"] for r in new_rows],
          now, summary)  # fmt: skip
    return summary


def _note(summary: UsageSummary, reason: str) -> None:
    if len(summary.reasons) < 20:
        summary.reasons.append(reason)


def _rejection(
    stage: str,
    record: UsageRecord,
    origin: str,
    reason: str,
    now: datetime,
    usage_id: int | None = None,
) -> dict[str, Any]:
    return {
        "stage": stage,
        "source": record.source,
        "record_id": record.record_id,
        "usage_id": usage_id,
        "payload": to_jsonable(record),
        "origin": origin,
        "reason": reason,
        "received_at": now,
    }


def _reverse(
    repo: UsageRepository, superseded: Sequence[int], now: datetime, summary: UsageSummary
) -> None:
    """Reverse the charges of superseded versions, and their party charges."""
    rows = []
    reversed_charges = repo.unreversed(superseded)
    for c in reversed_charges:
        rows.append(
            {
                "usage_id": c.usage_id,
                "kind": "reversal",
                "account": c.account,
                "tariff": c.tariff,
                "tariff_version": c.tariff_version,
                "amount": -c.amount,
                "currency": c.currency,
                "detail": {"reverses": c.id},
                "rated_at": now,
            }
        )
        summary.charged[c.currency] = summary.charged.get(c.currency, Decimal(0)) - c.amount
    ids = repo.add_charges(rows)
    repo.reverse_party_charges(
        {c.id: new for c, new in zip(reversed_charges, ids, strict=True)}, now
    )


def _rate(
    repo: UsageRepository,
    pricing: Pricing,
    stored: list[tuple[int, UsageRecord]],
    origins: list[str],
    now: datetime,
    summary: UsageSummary,
    *,
    quarantine_failures: bool = True,
) -> dict[int, str]:
    """Charge stored versions; the reason of each one not rated (quarantined unless told)."""
    if not stored:
        return {}
    failed: dict[int, str] = {}
    rater = pricing.rater
    if rater is None:
        failed = {i: "no tariff is declared (section 'tariffs')" for i, _ in stored}
    else:
        with telemetry.timing(telemetry.RATING_SECONDS):
            rated = rater.rate_table(usage_table([r for _, r in stored])).to_pylist()
        telemetry.RATED.inc(len(stored))
        charges = []
        charged: list[tuple[int, UsageRecord, dict[str, Any]]] = []
        for (usage_id, record), row in zip(stored, rated, strict=True):
            if row["cost"] is None:
                failed[usage_id] = str(row["not_rated"])
                continue
            charges.append(
                {
                    "usage_id": usage_id,
                    "kind": "charge",
                    "account": record.account,
                    "tariff": row["tariff"],
                    "tariff_version": row["tariff_version"],
                    "amount": row["cost"],
                    "currency": row["currency"],
                    "detail": _detail(row),
                    "rated_at": now,
                }
            )
            summary.rated += 1
            cur = str(row["currency"])
            summary.charges.append(NewCharge(usage_id, record.account, row["cost"], cur))
            summary.charged[cur] = summary.charged.get(cur, Decimal(0)) + row["cost"]
            charged.append((usage_id, record, row))
        ids = repo.add_charges(charges)
        with_ids = [(u, i, r, row) for (u, r, row), i in zip(charged, ids, strict=True)]
        repo.add_party_charges(party_charge_rows(pricing, with_ids, now))
    summary.not_rated += len(failed)
    if failed and quarantine_failures:
        already = repo.open_rating_rejections(list(failed))
        by_id = dict(stored)
        where = {usage_id: origin for (usage_id, _), origin in zip(stored, origins, strict=True)}
        rows = []
        for usage_id, reason in failed.items():
            _note(summary, f"{where[usage_id]}: not rated: {reason}")
            if usage_id not in already:
                rows.append(
                    _rejection("rating", by_id[usage_id], where[usage_id], reason, now, usage_id)
                )
        repo.quarantine(rows)
    return failed


def _detail(row: dict[str, Any]) -> dict[str, Any]:
    """What a charge keeps of its rating, as JSON."""
    keys = ("destination_group", "prefix", "band", "disconnected", "connect_fee", "adjustment",
            "rounding", "parts")  # fmt: skip
    data: dict[str, Any] = orjson.loads(orjson.dumps({k: row[k] for k in keys}, default=str))
    return data


def quarantine_payload(
    engine: Engine, principal: Principal, payload: bytes, origin: str, reason: str, now: datetime
) -> None:
    """Quarantine something received that is no usage record (not JSON, invalid fields),
    with its reason and the payload as it came (as text, or as hex when it is not text).
    Quarantined once per origin and reason: the same message delivered again (its
    acknowledgement lost) adds nothing."""
    principal.require(Action.INGEST_USAGE)
    try:
        kept: dict[str, Any] = {"text": payload.decode("utf-8")}
    except UnicodeDecodeError:
        kept = {"hex": payload.hex()}
    with transaction(engine) as session:
        repo = UsageRepository(session)
        repo.take_turn([origin])
        if repo.quarantined(origin, reason):
            return
        repo.quarantine(
            [
                {
                    "stage": "mediation", "source": None, "record_id": None, "usage_id": None,
                    "payload": kept, "origin": origin, "reason": reason, "received_at": now,
                }
            ]
        )  # fmt: skip


# -- reading and retrying -----------------------------------------------------------------


def rejected(
    engine: Engine, principal: Principal, *, include_resolved: bool = False
) -> list[Rejected]:
    """Quarantined usage, oldest first."""
    principal.require(Action.INGEST_USAGE)
    with transaction(engine) as session:
        return UsageRepository(session).rejected(include_resolved=include_resolved)


def charges(engine: Engine, principal: Principal, usage_ids: Sequence[int]) -> list[Charge]:
    """The charges of some usage versions."""
    principal.require(Action.INGEST_USAGE)
    with transaction(engine) as session:
        return UsageRepository(session).charges(usage_ids)


@dataclass
class RetrySummary:
    """What a retry of the quarantine did."""

    tried: int = 0
    resolved: int = 0
    still: int = 0
    reasons: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """JSON-compatible data."""
        return {
            "tried": self.tried,
            "resolved": self.resolved,
            "still_rejected": self.still,
            "reasons": self.reasons,
        }


def retry_rejected(
    engine: Engine,
    principal: Principal,
    now: datetime,
    ids: Sequence[int] | None = None,
    *,
    as_corrections: bool = False,
) -> RetrySummary:
    """Process quarantined usage again (all, or the given ids): stored usage not rated is
    rated with the tariffs as they are now; a record refused because it differs from the
    stored version is resolved once the stored version is the same, or, ``as_corrections``,
    taken as the correction of the stored version (the old charge reversed, the new one
    charged)."""
    principal.require(Action.INGEST_USAGE)
    result = RetrySummary()
    with transaction(engine) as session:
        repo = UsageRepository(session)
        todo = repo.rejected_by_id(ids) if ids is not None else repo.rejected()
        pricing = stored_pricing(BundleRepository(session))
        for item in todo:
            result.tried += 1
            if item.stage == "rating" and item.usage_id is not None:
                if not repo.uncharged_current([item.usage_id]):
                    repo.resolve(item.id, now, "charged, or superseded by a correction")
                    result.resolved += 1
                    continue
                record = from_jsonable(UsageRecord, item.payload)
                scratch = UsageSummary()
                failed = _rate(repo, pricing, [(item.usage_id, record)], [item.origin], now,
                               scratch, quarantine_failures=False)  # fmt: skip
                if failed:
                    reason = failed[item.usage_id]
                    repo.explain(item.id, reason)
                    result.still += 1
                    result.reasons.append(f"{item.origin}: not rated: {reason}")
                else:
                    repo.resolve(item.id, now, "rated")
                    result.resolved += 1
                continue
            try:
                record = from_jsonable(UsageRecord, item.payload)
            except ValidationError as exc:
                repo.explain(item.id, f"invalid: {exc.errors()[0]['msg']}")
                result.still += 1
                continue
            stored = repo.current([record.key]).get(record.key)
            if stored is not None and stored.version == version_of(record):
                repo.resolve(item.id, now, f"the stored version is {stored.version}")
                result.resolved += 1
                continue
            if as_corrections:
                correction = replace(record, corrects=stored.version if stored else None)
                done = store_in(session, [correction], [item.origin], now)
                if done.stored:
                    repo.resolve(item.id, now, f"taken as version {version_of(correction)}")
                    result.resolved += 1
                    continue
            result.still += 1
            result.reasons.append(f"{item.origin}: {item.reason}")
    return result
