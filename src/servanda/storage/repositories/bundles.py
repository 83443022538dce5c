"""Saving a whole declaration (a :class:`Bundle`) and reading it back.

Saving upserts: records are matched by their key (id; for subscriptions customer, service,
start and reference; for agreement versions id and ``effective_from``) and rewritten only when
their content hash changed. Nothing is deleted: a record missing from the bundle stays stored,
and every agreement version is kept, so the history of agreements survives new versions.

Mapping rules (``Bundle.mappings``) are an ordered list, not records with keys: a bundle that
declares any replaces the stored list (rule ``i`` is stored at position ``i``; only positions
whose rule changed are rewritten; stored rules past the end are removed and counted as updated).
A bundle that declares none leaves the stored rules as they are, like any record it leaves out.

Measurement series (``Bundle.series``) are records with an id, saved like calendars: a series
left out of a bundle stays stored (its measurements still name it).

A ``load_runs`` row audits each save that changed something. A save that changes nothing writes
nothing at all, not even a load run: saving the same bundle twice leaves the database as it was.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from os import PathLike
from typing import Any, TypeVar

from sqlalchemy import delete, insert, select, text, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from servanda.agreements.model import Agreement
from servanda.calendars.model import Calendar
from servanda.catalog.model import Component, Party, Service, Subscription
from servanda.core.problems import InvalidInput, Location, Problem
from servanda.core.records import to_jsonable
from servanda.declared.bundle import KIND_BY_SECTION, KINDS, Bundle
from servanda.declared.kinds import DeclaredKind, Storage
from servanda.events.model import NodeMapping
from servanda.measure.inputs import Series
from servanda.storage.repositories import mapping
from servanda.storage.tables import (
    AgreementRow,
    AgreementVersionRow,
    CalendarRow,
    Declared,
    DeclaredDocumentRow,
    LoadRunRow,
    NodeMappingRow,
    NodeRow,
    PartyRow,
    SeriesRow,
    SubscriptionRow,
)

R = TypeVar("R", bound=Declared)
K = TypeVar("K")

_DATABASE = Location(file="<database>")
_DOCUMENT_KINDS = [k for k in KINDS if k.storage is Storage.DOCUMENT]


@dataclass(slots=True)
class KindCounts:
    """What a save did to the records of one kind."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def changed(self) -> int:
        """Records created or updated."""
        return self.created + self.updated

    def as_dict(self) -> dict[str, int]:
        """``{"created": n, "updated": n, "unchanged": n}``."""
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged}


def _no_counts() -> dict[str, KindCounts]:
    return {k.section: KindCounts() for k in KINDS}


@dataclass(slots=True)
class LoadSummary:
    """What :meth:`BundleRepository.save` did, per declared kind (mapping rules are counted
    by position)."""

    counts: dict[str, KindCounts] = field(default_factory=_no_counts)
    """Counts by the kind's section, in saving order."""
    run_id: int | None = None
    """The ``load_runs`` row of this save; None when nothing changed (no row is written)."""

    def kinds(self) -> dict[str, KindCounts]:
        """The counts by kind, in saving order."""
        return self.counts

    @property
    def changed(self) -> bool:
        """Whether anything was created or updated."""
        return any(c.changed for c in self.kinds().values())

    def as_dict(self) -> dict[str, Any]:
        """JSON-compatible data: ``{"run_id", "changed", "counts": {kind: {...}}}``."""
        return {
            "run_id": self.run_id,
            "changed": self.changed,
            "counts": {kind: c.as_dict() for kind, c in self.kinds().items()},
        }

    def __str__(self) -> str:
        kinds = self.kinds()
        if not self.changed:
            total = sum(c.unchanged for c in kinds.values())
            return f"nothing changed ({total} records unchanged)"
        parts = []
        for kind, c in kinds.items():
            if c.changed:
                parts.append(f"{kind}: {c.created} created, {c.updated} updated")
        return "; ".join(parts)


_PRICING_DOCUMENTS = ("tariffs", "rating_profiles", "charging_rules", "billing_accounts")
"""The declared documents rating and charging read."""


class BundleRepository:
    """Saves and reads whole bundles in the caller's session and transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def save(
        self, bundle: Bundle, sources: Sequence[str | PathLike[str]] = (), *, now: datetime
    ) -> LoadSummary:
        """Upsert every record of ``bundle``; ``sources`` name where it was read from.

        Records must refer only to records in the bundle or already stored (parties, services,
        calendars …); the database's foreign keys enforce it. Raises :class:`InvalidInput` when
        the bundle declares one key twice or gives a stored agreement another level or scope.
        Flushes but does not commit. Loads take turns (:meth:`_take_turn`): a second load waits
        for the first to commit, then compares with what it stored.
        """
        self._take_turn()
        self._check(bundle)
        summary = LoadSummary()
        sync = self._sync
        summary.counts["calendars"] = sync(
            CalendarRow, CalendarRow.id, bundle.calendars, _id, mapping.fill_calendar, now=now
        )
        summary.counts["parties"] = sync(
            PartyRow, PartyRow.id, bundle.parties, _id, mapping.fill_party, _clear_roles, now=now
        )
        nodes: list[tuple[NodeRow, Any]] = []
        summary.counts["services"] = sync(
            NodeRow, NodeRow.id, bundle.services, _id, mapping.fill_node, _clear_requirements,
            now=now, changed=nodes,
        )  # fmt: skip
        summary.counts["components"] = sync(
            NodeRow, NodeRow.id, bundle.components, _id, mapping.fill_node, _clear_requirements,
            now=now, changed=nodes,
        )  # fmt: skip
        # Requirements name other nodes, so they go in once every node is there.
        for row, node in nodes:
            mapping.fill_requirements(row, node)
        self.session.flush()
        summary.counts["subscriptions"] = sync(
            SubscriptionRow, SubscriptionRow.key, bundle.subscriptions,
            mapping.subscription_key, mapping.fill_subscription, now=now,
        )  # fmt: skip
        summary.counts["agreements"] = self._sync_agreements(bundle.agreements, now)
        summary.counts["mappings"] = self._sync_mappings(bundle.mappings, now)
        summary.counts["series"] = sync(
            SeriesRow, SeriesRow.id, bundle.series, _id, _fill_series, now=now
        )
        for kind in KINDS:
            if kind.storage is Storage.DOCUMENT:
                summary.counts[kind.section] = self._sync_documents(kind, bundle, now)
        if summary.changed:
            run = LoadRunRow(
                loaded_at=now,
                sources=[str(s) for s in sources],
                counts={kind: c.as_dict() for kind, c in summary.kinds().items()},
            )
            self.session.add(run)
            self.session.flush()
            summary.run_id = run.id
        return summary

    def _take_turn(self) -> None:
        """Make loads take turns for the rest of the transaction, before anything is read: on
        PostgreSQL a transaction-scoped advisory lock, on SQLite the database's write lock,
        taken at once by a write that changes nothing. Without it two loads both read the
        same stored hashes, and rows could end with their columns from one load and their
        record and hash from the other."""
        if self.session.get_bind().dialect.name == "postgresql":
            self.session.execute(
                text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
                {"key": "servanda.load"},
            )
        else:
            self.session.execute(update(LoadRunRow).where(LoadRunRow.id == -1).values(id=-1))

    def load(self) -> Bundle:
        """Every stored record, as a bundle (sorted by id; agreement versions oldest first)."""
        s = self.session
        documents: dict[str, list[Any]] = {}
        for section, data in s.execute(
            select(DeclaredDocumentRow.kind, DeclaredDocumentRow.record)
            .where(DeclaredDocumentRow.kind.in_([k.section for k in _DOCUMENT_KINDS]))
            .order_by(DeclaredDocumentRow.kind, DeclaredDocumentRow.key)
        ):
            documents.setdefault(section, []).append(
                mapping.read(KIND_BY_SECTION[section].record, data)
            )
        return Bundle(
            **{section: tuple(records) for section, records in documents.items()},
            parties=tuple(
                mapping.read(Party, r)
                for r in s.scalars(select(PartyRow.record).order_by(PartyRow.id))
            ),
            services=tuple(
                mapping.read(Service, r)
                for r in s.scalars(
                    select(NodeRow.record).where(NodeRow.kind == "service").order_by(NodeRow.id)
                )
            ),
            components=tuple(
                mapping.read(Component, r)
                for r in s.scalars(
                    select(NodeRow.record).where(NodeRow.kind == "component").order_by(NodeRow.id)
                )
            ),
            subscriptions=tuple(
                mapping.read(Subscription, r)
                for r in s.scalars(select(SubscriptionRow.record).order_by(SubscriptionRow.id))
            ),
            calendars=tuple(
                mapping.read(Calendar, r)
                for r in s.scalars(select(CalendarRow.record).order_by(CalendarRow.id))
            ),
            agreements=tuple(
                mapping.read(Agreement, r)
                for r in s.scalars(
                    select(AgreementVersionRow.record).order_by(
                        AgreementVersionRow.agreement_id, AgreementVersionRow.effective_from
                    )
                )
            ),
            mappings=tuple(
                mapping.read_node_mapping(row)
                for row in s.scalars(select(NodeMappingRow).order_by(NodeMappingRow.position))
            ),
            series=tuple(
                mapping.read(Series, r)
                for r in s.scalars(select(SeriesRow.record).order_by(SeriesRow.id))
            ),
        )

    def load_rating(self) -> Bundle:
        """Only what rating and charging read: calendars, tariffs, rating profiles, charging
        rules, billing accounts, and the parties and services (who provides what)."""
        s = self.session
        calendars = tuple(
            mapping.read(Calendar, r)
            for r in s.scalars(select(CalendarRow.record).order_by(CalendarRow.id))
        )
        documents: dict[str, list[Any]] = {section: [] for section in _PRICING_DOCUMENTS}
        for section, data in s.execute(
            select(DeclaredDocumentRow.kind, DeclaredDocumentRow.record)
            .where(DeclaredDocumentRow.kind.in_(list(documents)))
            .order_by(DeclaredDocumentRow.kind, DeclaredDocumentRow.key)
        ):
            documents[section].append(mapping.read(KIND_BY_SECTION[section].record, data))
        return Bundle(
            calendars=calendars,
            parties=tuple(
                mapping.read(Party, r)
                for r in s.scalars(select(PartyRow.record).order_by(PartyRow.id))
            ),
            services=tuple(
                mapping.read(Service, r)
                for r in s.scalars(
                    select(NodeRow.record).where(NodeRow.kind == "service").order_by(NodeRow.id)
                )
            ),
            **{section: tuple(records) for section, records in documents.items()},
        )

    def rating_fingerprint(self) -> str:
        """A digest of what :meth:`load_rating` reads: it changes exactly when that does."""
        digest = hashlib.sha256()
        for query in (
            select(CalendarRow.content_hash).order_by(CalendarRow.id),
            select(PartyRow.content_hash).order_by(PartyRow.id),
            select(NodeRow.content_hash).where(NodeRow.kind == "service").order_by(NodeRow.id),
        ):
            for (value,) in self.session.execute(query):
                digest.update(value.encode())
            digest.update(b"\x01")
        for kind, key, value in self.session.execute(
            select(
                DeclaredDocumentRow.kind, DeclaredDocumentRow.key, DeclaredDocumentRow.content_hash
            )
            .where(DeclaredDocumentRow.kind.in_(_PRICING_DOCUMENTS))
            .order_by(DeclaredDocumentRow.kind, DeclaredDocumentRow.key)
        ):
            digest.update(f"{kind}\x00{key}\x00{value}".encode())
        return digest.hexdigest()

    def load_runs(self) -> list[LoadRun]:
        """The audit of saves that changed something, oldest first."""
        rows = self.session.scalars(select(LoadRunRow).order_by(LoadRunRow.id))
        return [
            LoadRun(id=r.id, loaded_at=r.loaded_at, sources=tuple(r.sources), counts=r.counts)
            for r in rows
        ]

    # -- saving ---------------------------------------------------------------------------

    def _sync(
        self,
        table: type[R],
        key_column: InstrumentedAttribute[K],
        records: Iterable[Any],
        key_of: Callable[[Any], K],
        fill: Callable[[R, Any], None],
        clear: Callable[[R], None] = lambda row: None,
        *,
        now: datetime,
        changed: list[tuple[R, Any]] | None = None,
    ) -> KindCounts:
        """Upsert ``records`` into ``table``; appends the rows written and their records to
        ``changed``."""
        stored: dict[Any, str] = dict(
            self.session.execute(select(key_column, table.content_hash)).all()
        )
        counts = KindCounts()
        updates: list[tuple[Any, Any, dict[str, Any], str]] = []
        for rec in records:
            data = mapping.document(rec)
            digest = mapping.content_hash(data)
            key = key_of(rec)
            old = stored.get(key)
            if old is None:
                row = table()
                setattr(row, key_column.key, key)
                fill(row, rec)
                _stamp(row, data, digest, now)
                self.session.add(row)
                if changed is not None:
                    changed.append((row, rec))
                counts.created += 1
            elif old != digest:
                updates.append((key, rec, data, digest))
                counts.updated += 1
            else:
                counts.unchanged += 1
        if updates:
            rows = {
                key_of_row: row
                for row in self.session.scalars(
                    select(table).where(key_column.in_([u[0] for u in updates]))
                )
                for key_of_row in [getattr(row, key_column.key)]
            }
            # Old children go first: new ones may reuse their keys (role, position …).
            for row in rows.values():
                clear(row)
            self.session.flush()
            for key, rec, data, digest in updates:
                row = rows[key]
                fill(row, rec)
                _stamp(row, data, digest, now)
                if changed is not None:
                    changed.append((row, rec))
        self.session.flush()
        return counts

    def _sync_documents(self, kind: DeclaredKind, bundle: Bundle, now: datetime) -> KindCounts:
        """Upsert the records of a kind stored as documents, keyed by their key's JSON."""
        assert kind.key is not None
        stored: dict[str, str] = dict(
            self.session.execute(
                select(DeclaredDocumentRow.key, DeclaredDocumentRow.content_hash).where(
                    DeclaredDocumentRow.kind == kind.section
                )
            ).all()
        )
        counts = KindCounts()
        for rec in getattr(bundle, kind.section):
            data = mapping.document(rec)
            digest = mapping.content_hash(data)
            key = document_key(kind.key(rec))
            old = stored.get(key)
            if old == digest:
                counts.unchanged += 1
                continue
            row = (
                DeclaredDocumentRow(kind=kind.section, key=key)
                if old is None
                else self.session.get(DeclaredDocumentRow, (kind.section, key))
            )
            assert row is not None
            _stamp(row, data, digest, now)
            if old is None:
                self.session.add(row)
                counts.created += 1
            else:
                counts.updated += 1
        self.session.flush()
        return counts

    def _sync_agreements(self, versions: Sequence[Agreement], now: datetime) -> KindCounts:
        heads = {
            row.id: row
            for row in self.session.scalars(
                select(AgreementRow).where(AgreementRow.id.in_({a.id for a in versions}))
            )
        }
        for a in versions:
            if a.id not in heads:
                heads[a.id] = AgreementRow(
                    id=a.id,
                    level=a.level.value,
                    provider=a.provider,
                    customer=a.customer,
                    service=a.service,
                )
                self.session.add(heads[a.id])
        self.session.flush()
        stored: dict[tuple[str, date], str] = {
            (agreement_id, day): digest
            for agreement_id, day, digest in self.session.execute(
                select(
                    AgreementVersionRow.agreement_id,
                    AgreementVersionRow.effective_from,
                    AgreementVersionRow.content_hash,
                ).where(AgreementVersionRow.agreement_id.in_(list(heads)))
            )
        }
        counts = KindCounts()
        updates: list[tuple[AgreementVersionRow, Agreement, dict[str, Any], str]] = []
        for a in versions:
            data = mapping.document(a)
            digest = mapping.content_hash(data)
            old = stored.get(a.key)
            if old is None:
                row = AgreementVersionRow(agreement_id=a.id, effective_from=a.effective_from)
                mapping.fill_version(row, a)
                _record_version(row, data, digest, now)
                self.session.add(row)
                counts.created += 1
            elif old != digest:
                found = self.session.get(AgreementVersionRow, a.key)
                assert found is not None
                found.objectives = []
                updates.append((found, a, data, digest))
                counts.updated += 1
            else:
                counts.unchanged += 1
        if updates:
            self.session.flush()
            for row, a, data, digest in updates:
                mapping.fill_version(row, a)
                _record_version(row, data, digest, now)
        self.session.flush()
        return counts

    def _sync_mappings(self, rules: Sequence[NodeMapping], now: datetime) -> KindCounts:
        counts = KindCounts()
        if not rules:
            return counts
        stored: dict[int, str] = dict(
            self.session.execute(select(NodeMappingRow.position, NodeMappingRow.content_hash)).all()
        )
        rows: list[dict[str, Any]] = []
        for position, rule in enumerate(rules):
            values = mapping.node_mapping_values(rule)
            old = stored.get(position)
            if old == values["content_hash"]:
                counts.unchanged += 1
                continue
            if old is None:
                counts.created += 1
            else:
                counts.updated += 1
            rows.append({"position": position, **values, "updated_at": now})
        beyond = [p for p in stored if p >= len(rules)]
        if beyond:
            self.session.execute(
                delete(NodeMappingRow).where(NodeMappingRow.position >= len(rules))
            )
            counts.updated += len(beyond)
        if rows:
            changed = [r["position"] for r in rows]
            self.session.execute(delete(NodeMappingRow).where(NodeMappingRow.position.in_(changed)))
            self.session.execute(insert(NodeMappingRow), rows)
        return counts

    def _check(self, bundle: Bundle) -> None:
        problems: list[Problem] = []
        for kind in KINDS:
            for key, n in kind.duplicates(getattr(bundle, kind.section)):
                problems.append(
                    Problem(f"{kind.section}: {key} declared {n} times", _DATABASE, (kind.section,))
                )
        scopes: dict[str, set[tuple[str, str, str | None, str | None]]] = {}
        for a in bundle.agreements:
            scopes.setdefault(a.id, set()).add(
                _scope(a.level.value, a.provider, a.customer, a.service)
            )
        stored = {
            row.id: _scope(row.level, row.provider, row.customer, row.service)
            for row in self.session.scalars(
                select(AgreementRow).where(AgreementRow.id.in_(list(scopes)))
            )
        }
        for agreement_id, found in sorted(scopes.items()):
            if agreement_id in stored:
                found = found | {stored[agreement_id]}
            if len(found) > 1:
                described = "; ".join(sorted(_describe(s) for s in found))
                problems.append(
                    Problem(
                        f"agreement {agreement_id} has versions of different level or scope "
                        f"({described}); give the new one another id",
                        _DATABASE,
                        ("agreements", agreement_id),
                    )
                )
        if problems:
            raise InvalidInput(problems)


@dataclass(frozen=True, slots=True)
class LoadRun:
    """One save that changed something."""

    id: int
    loaded_at: datetime
    """The ``now`` of the save (UTC)."""
    sources: tuple[str, ...]
    """Where the bundle was read from."""
    counts: dict[str, dict[str, int]]
    """``{kind: {"created": n, "updated": n, "unchanged": n}}``."""


def _scope(
    level: str, provider: str, customer: str | None, service: str | None
) -> tuple[str, str, str | None, str | None]:
    return (level, provider, customer, service)


def _describe(scope: tuple[str, str, str | None, str | None]) -> str:
    level, provider, customer, service = scope
    text = f"{level} of {provider}"
    if customer:
        text += f" for {customer}"
    if service:
        text += f" on {service}"
    return text


def _stamp(row: Declared, data: dict[str, Any], digest: str, now: datetime) -> None:
    row.record = data
    row.content_hash = digest
    row.updated_at = now


def _record_version(
    row: AgreementVersionRow, data: dict[str, Any], digest: str, now: datetime
) -> None:
    row.record = data
    row.content_hash = digest
    row.recorded_at = now


def document_key(key: Any) -> str:
    """A declared record's key as the canonical JSON text it is stored under (dates and times
    in ISO 8601)."""
    return json.dumps(to_jsonable(key), sort_keys=True, separators=(",", ":"))


def _id(record: Any) -> str:
    key: str = record.id
    return key


def _fill_series(row: SeriesRow, series: Series) -> None:
    row.kind = series.kind.value
    row.node = series.node
    row.customer = series.customer


def _clear_roles(row: PartyRow) -> None:
    row.roles = []


def _clear_requirements(row: NodeRow) -> None:
    row.requirements = []
