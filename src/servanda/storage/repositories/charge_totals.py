"""Running totals of party charges, so that a bill run reads and marks totals, not charges.

Every party charge is added, in the transaction that stores it, to the total of its key:
the current **generation**, the usage's billing month, role, debtor, creditor, currency,
category, service, tariff, destination group, band and charging rule (one ``INSERT … ON
CONFLICT DO UPDATE`` per batch, keys sorted so concurrent writers lock them in one order).
The charge points to its total (``total_id``); what each tier of the tariff counted and cost
is summed likewise per total (``charge_tiers``, see :mod:`servanda.accounting.tiers`).

A bill or settlement run first **closes the generation** (:func:`close_generation`): later
charges go to totals of the next one, so the totals of closed generations no longer change
and the run can sum them and mark them taken (``billed_in``, ``settled_in``) without touching
the millions of charges they sum. On PostgreSQL writers hold the generation lock shared until
they commit and closing takes it exclusively, so no writer still adds to a generation once it
is closed; SQLite has one writer at a time. Releasing what a draft or a voided invoice billed
clears the mark on its totals, which the next run takes again.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, Table, func, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from servanda.accounting.tiers import Piece, summed
from servanda.storage.database import transaction
from servanda.storage.tables import ChargeGenerationRow, ChargeTierRow, ChargeTotalRow

KEY = (
    "gen", "month", "role", "debtor", "creditor", "currency", "category", "service", "tariff",
    "destination_group", "band", "rule",
)  # fmt: skip
"""The columns of a total's key."""
NONE = ""
"""A key part that is absent (NULL would make every such key distinct)."""
TOTALS: Table = ChargeTotalRow.__table__  # type: ignore[assignment]
TIERS: Table = ChargeTierRow.__table__  # type: ignore[assignment]
_LOCK = "SELECT pg_advisory_xact_lock{}(hashtextextended('servanda.charge_generation', 0))"
_CHUNK = 1000


def current_generation(session: Session) -> int:
    """The generation charges are added to now (on PostgreSQL, held shared until the
    transaction ends so it cannot be closed under this writer)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(_LOCK.format("_shared")))
    query = select(ChargeGenerationRow.gen).where(ChargeGenerationRow.id == 1)
    gen = session.scalar(query)
    if gen is None:  # the migration makes the row; an emptied database has none
        make = (
            postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
        )
        session.execute(make(ChargeGenerationRow).values(id=1, gen=1).on_conflict_do_nothing())
        gen = session.scalar(query)
    assert gen is not None
    return gen


def close_generation(engine: Engine) -> int:
    """Close the current generation, in a transaction of its own, once no writer adds to it
    any more; the new one. A run takes the totals of generations below it."""
    with transaction(engine) as session:
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text(_LOCK.format("")))
        current = current_generation(session)
        session.execute(
            update(ChargeGenerationRow).where(ChargeGenerationRow.id == 1).values(gen=current + 1)
        )
        return current + 1


def add_to_totals(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Add party charge rows to their totals and set each row's ``total_id``; each row has
    a ``month`` (``YYYY-MM``) and may have ``tiers`` (:class:`~servanda.accounting.tiers.Piece`
    each), which it loses (charges do not store them)."""
    if not rows:
        return
    gen = current_generation(session)
    sums: dict[tuple[Any, ...], list[Any]] = {}
    tiers: dict[tuple[Any, ...], list[Piece]] = {}
    keys = []
    for row in rows:
        key = (
            gen, row.pop("month"), row["role"], row["debtor"], row["creditor"], row["currency"],
            row["category"], row["service"] or NONE, row["tariff"] or NONE,
            row["destination_group"] or NONE, row["band"] or NONE, row["rule"] or NONE,
        )  # fmt: skip
        keys.append(key)
        pieces = row.pop("tiers", None)
        if pieces:
            tiers.setdefault(key, []).extend(pieces)
        count = -1 if row["kind"] == "reversal" else 1
        start: datetime = row["usage_start"]
        found = sums.get(key)
        if found is None:
            sums[key] = [count, row["nanos"], start, start]
        else:
            found[0] += count
            found[1] += row["nanos"]
            found[2] = min(found[2], start)
            found[3] = max(found[3], start)
    ids = _upsert(session, sorted(sums.items()))
    for row, key in zip(rows, keys, strict=True):
        row["total_id"] = ids[key]
    pieces = [(ids[k], p) for k, ps in tiers.items() for p in summed(ps)]
    _add_tiers(session, sorted(pieces, key=lambda x: (x[0], x[1].band, x[1].slot)))


def _add_tiers(session: Session, pieces: Sequence[tuple[int, Piece]]) -> None:
    if not pieces:
        return
    t = TIERS
    make = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    for i in range(0, len(pieces), _CHUNK):
        stmt = make(t).values(
            [
                {"total_id": total, "band": p.band, "slot": p.slot, "quantity": p.quantity,
                 "increments": p.increments, "nanos": p.nanos}
                for total, p in pieces[i : i + _CHUNK]
            ]
        )  # fmt: skip
        session.execute(
            stmt.on_conflict_do_update(
                index_elements=[t.c.total_id, t.c.band, t.c.slot],
                set_={
                    "quantity": t.c.quantity + stmt.excluded.quantity,
                    "increments": t.c.increments + stmt.excluded.increments,
                    "nanos": t.c.nanos + stmt.excluded.nanos,
                },
            )
        )


def _upsert(
    session: Session, sums: Sequence[tuple[tuple[Any, ...], list[Any]]]
) -> dict[tuple[Any, ...], int]:
    dialect = session.get_bind().dialect.name
    t = TOTALS
    lower, upper = (func.least, func.greatest) if dialect == "postgresql" else (func.min, func.max)
    make = postgresql.insert if dialect == "postgresql" else sqlite.insert
    ids: dict[tuple[Any, ...], int] = {}
    for i in range(0, len(sums), _CHUNK):
        values = [
            dict(zip(KEY, key, strict=True))
            | {"records": s[0], "nanos": s[1], "first": s[2], "last": s[3]}
            for key, s in sums[i : i + _CHUNK]
        ]
        stmt = make(t).values(values)
        upsert = stmt.on_conflict_do_update(
            index_elements=[t.c[k] for k in KEY],
            set_={
                "records": t.c.records + stmt.excluded.records,
                "nanos": t.c.nanos + stmt.excluded.nanos,
                "first": lower(t.c.first, stmt.excluded.first),
                "last": upper(t.c.last, stmt.excluded.last),
            },
        )
        for found in session.execute(upsert.returning(t.c.id, *(t.c[k] for k in KEY))):
            ids[tuple(found[1:])] = found[0]
    return ids


def none(value: str) -> str | None:
    """A key part as the charge has it (the empty string is none)."""
    return value or None


__all__ = ["KEY", "NONE", "add_to_totals", "close_generation", "current_generation", "none"]
