"""SLA results and service credits, final per customer and closed period.

Results and credits are stored only when a customer's period is *closed*
(:meth:`ResultRepository.close`): one closure row (``sla_closures``: who closed it, when, the
report as closed) and the period's results and credits with its ``closure_id``, in the
caller's transaction. Nothing replaces them: reopening marks the closure reopened and keeps it
and its rows (what was final when), and the next close of the period is the next version.
Reads return the *final* ones, those of closures not reopened, unless a closure is named.

No ratio is stored. A result keeps its ``numerator`` and ``denominator`` and its ``actual`` is
recomputed from them when read back (:func:`actual_of`, the rule is in
:class:`~servanda.storage.tables.ResultRow`), so a result stored reads back as the same
numbers; one whose ``actual`` is not what its numerator and denominator give is refused
(:func:`stored_fraction`) instead of coming back changed.

Customer scope: results and credits belong to their customer; queries take ``party`` and, when
given (a customer principal), return only that party's rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, Table, insert, select, text, update
from sqlalchemy.orm import Session

from servanda.agreements.metrics import Metric, Unit
from servanda.agreements.model import ClaimMode, Comparator
from servanda.core.records import to_jsonable
from servanda.measure.closure import Closure
from servanda.measure.results import Breach, Budget, Credit, ObjectiveResult, Verdict
from servanda.storage.repositories.events import insert_rows
from servanda.storage.repositories.mapping import read
from servanda.storage.tables import ClosureRow, CreditRow, ResultRow

RESULTS: Table = ResultRow.__table__  # type: ignore[assignment]
CREDITS: Table = CreditRow.__table__  # type: ignore[assignment]
CLOSURES: Table = ClosureRow.__table__  # type: ignore[assignment]

_HUNDRED = Decimal(100)
_ONE = Decimal(1)


def scale_of(metric: Metric, unit: Unit) -> Decimal:
    """What ``numerator / denominator`` is multiplied by to give ``actual``: 100 for a
    percentage (unit ``percent``) and for NPS (the share of promoters minus the share of
    detractors, in points from −100 to 100), 1 for everything else."""
    return _HUNDRED if unit is Unit.PERCENT or metric is Metric.NPS else _ONE


def actual_of(
    numerator: Decimal | None,
    denominator: Decimal | None,
    metric: Metric,
    unit: Unit,
    verdict: Verdict,
) -> Decimal | None:
    """The ``actual`` a stored result reads back with: ``numerator × scale / denominator``
    (see :func:`scale_of`); None without data (verdict ``no_data``, a missing numerator or
    denominator, or a denominator of 0)."""
    if verdict is Verdict.NO_DATA or numerator is None or denominator is None or not denominator:
        return None
    return numerator * scale_of(metric, unit) / denominator


def stored_fraction(result: ObjectiveResult) -> tuple[Decimal | None, Decimal | None]:
    """The numerator and denominator stored for ``result``.

    Its own when it has them; ``actual`` over the scale when it has neither (a percentile, a
    jitter, a count: ``actual`` over 1). Raises :class:`ValueError` when the
    result would not read back with the same ``actual`` (see :func:`actual_of`).
    """
    numerator, denominator = result.numerator, result.denominator
    if numerator is None and denominator is None and result.actual is not None:
        numerator, denominator = result.actual, scale_of(result.metric, result.unit)
    back = actual_of(numerator, denominator, result.metric, result.unit, result.verdict)
    if back != result.actual:
        raise ValueError(
            f"objective {result.objective}: actual {result.actual} is not what its numerator "
            f"{numerator} and denominator {denominator} give ({back}: {result.metric}, "
            f"{result.unit}, verdict {result.verdict}); results are stored as numerator and "
            "denominator, unrounded"
        )
    return numerator, denominator


@dataclass(frozen=True, slots=True)
class StoredResult:
    """One objective result of one customer over one evaluated period, with its scope."""

    provider: str
    customer: str
    service: str | None
    """None for an objective of a customer-level (or corporate) agreement."""
    period_label: str
    """How reports name the period."""
    period_start: datetime
    period_end: datetime
    result: ObjectiveResult
    """``result.source`` is the agreement the objective comes from."""
    computed_at: datetime


@dataclass(frozen=True, slots=True)
class StoredCredit:
    """A credit as stored, with when it was computed."""

    credit: Credit
    computed_at: datetime


def _check_period(
    what: str,
    customer: str,
    period_start: datetime,
    period_end: datetime,
    found: Sequence[tuple[str, datetime, datetime]],
    *,
    within: bool = False,
) -> None:
    """Raise :class:`ValueError` unless every item is of ``customer`` over exactly the period
    (``within``: inside it, as a credit of a subscription that began in the period): what is
    closed is that customer's period, nothing else."""
    for n, (owner, start, end) in enumerate(found):
        inside = (
            period_start <= start < end <= period_end
            if within
            else (start == period_start and end == period_end)
        )
        if owner != customer or not inside:
            raise ValueError(
                f"{what} {n} is for {owner} over {start.isoformat()} – {end.isoformat()}, not "
                f"for {customer} over {period_start.isoformat()} – {period_end.isoformat()}"
            )


def _period_conditions(
    table: Table, customer: str | None, period: tuple[datetime, datetime] | None, party: str | None
) -> list[ColumnElement[bool]]:
    c = table.c
    conditions: list[ColumnElement[bool]] = []
    if party is not None:
        conditions.append(c.customer == party)
    if customer is not None:
        conditions.append(c.customer == customer)
    if period is not None:
        start, end = period
        conditions.extend([c.period_start >= start, c.period_start < end])
    return conditions


def _utc_breach(breach: Breach) -> dict[str, Any]:
    data: dict[str, Any] = to_jsonable(breach)
    for name in ("start", "end"):
        value: datetime | None = getattr(breach, name)
        if value is not None:
            data[name] = value.astimezone(UTC).isoformat()
    return data


class ResultRepository:
    """SLA results and credits, in the caller's session and transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def lock(self, customer: str) -> None:
        """Make concurrent closes and reopens of one customer's periods take turns, so that
        two never both find a period open: on PostgreSQL a transaction-scoped advisory lock
        per customer; on SQLite the database's write lock, taken at once by a write that
        changes nothing (deferred transactions would otherwise take it only at the insert)."""
        if self.session.get_bind().dialect.name == "postgresql":
            self.session.execute(
                text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
                {"key": f"servanda.sla_results:{customer}"},
            )
        else:
            self.session.execute(update(CLOSURES).where(CLOSURES.c.id == -1).values(version=0))

    # -- closures --------------------------------------------------------------------------

    def close(
        self,
        *,
        provider: str,
        customer: str,
        period_label: str,
        period_start: datetime,
        period_end: datetime,
        at: datetime,
        by: str,
        report: dict[str, Any],
        results: Sequence[StoredResult],
        credits: Sequence[StoredCredit],
    ) -> Closure:
        """Close ``customer``'s period ``[period_start, period_end)``: store ``results`` and
        ``credits`` (each of that customer and exactly that period) as final, with the report
        document as closed. The version is one more than the period's latest. Raises
        :class:`ValueError` before writing anything for a result or credit of another customer
        or period, one that would not read back the same (:func:`stored_fraction`), or a period
        whose latest close is still final (reopen it first)."""
        _check_period(
            "result", customer, period_start, period_end,
            [(r.customer, r.period_start, r.period_end) for r in results],
        )  # fmt: skip
        _check_period(
            "credit", customer, period_start, period_end,
            [(s.credit.customer, s.credit.period_start, s.credit.period_end) for s in credits],
            within=True,
        )  # fmt: skip
        result_rows = [_result_row(r) for r in results]
        credit_rows = [_credit_row(s) for s in credits]
        self.lock(customer)
        latest = self.closure(customer, period_start, period_end)
        if latest is not None and latest.final:
            raise ValueError(
                f"{customer}'s period {latest.period_label} is closed (version {latest.version});"
                " reopen it first"
            )
        values: dict[str, Any] = {
            "provider": provider,
            "customer": customer,
            "period_label": period_label,
            "period_start": period_start,
            "period_end": period_end,
            "version": 1 if latest is None else latest.version + 1,
            "closed_at": at,
            "closed_by": by,
            "report": report,
        }
        closure_id = self.session.execute(
            insert(CLOSURES).values(**values).returning(CLOSURES.c.id)
        ).scalar_one()
        insert_rows(self.session, RESULTS, [{**r, "closure_id": closure_id} for r in result_rows])
        insert_rows(self.session, CREDITS, [{**r, "closure_id": closure_id} for r in credit_rows])
        del values["report"]
        return Closure(id=closure_id, **values)

    def reopen(self, closure: Closure, at: datetime, by: str, reason: str) -> Closure:
        """Mark ``closure`` reopened (kept, with its results and credits: the audit of what was
        final until ``at``). Raises :class:`ValueError` when it is not the period's latest
        close or was reopened already."""
        self.lock(closure.customer)
        latest = self.closure(closure.customer, closure.period_start, closure.period_end)
        if latest is None or latest.id != closure.id or not latest.final:
            raise ValueError(
                f"version {closure.version} of {closure.customer}'s period "
                f"{closure.period_label} is not the final one"
            )
        self.session.execute(
            update(CLOSURES)
            .where(CLOSURES.c.id == closure.id)
            .values(reopened_at=at, reopened_by=by, reopen_reason=reason)
        )
        return replace(closure, reopened_at=at, reopened_by=by, reopen_reason=reason)

    def closure(
        self, customer: str, period_start: datetime, period_end: datetime
    ) -> Closure | None:
        """The latest close of ``customer``'s period (final or reopened), or None."""
        c = CLOSURES.c
        row = (
            self.session.connection()
            .execute(
                select(*_CLOSURE_COLUMNS)
                .where(
                    c.customer == customer,
                    c.period_start == period_start,
                    c.period_end == period_end,
                )
                .order_by(c.version.desc())
                .limit(1)
            )
            .mappings()
            .first()
        )
        return None if row is None else _closure(row)

    def closures(
        self,
        customer: str | None = None,
        period: tuple[datetime, datetime] | None = None,
        *,
        party: str | None = None,
        final: bool = False,
    ) -> list[Closure]:
        """Closes (of ``customer``, of periods that start in the half-open ``period``; only
        the final ones with ``final``), by period start, customer, then version."""
        conditions = _period_conditions(CLOSURES, customer, period, party)
        c = CLOSURES.c
        if final:
            conditions.append(c.reopened_at.is_(None))
        query = (
            select(*_CLOSURE_COLUMNS)
            .where(*conditions)
            .order_by(c.period_start, c.customer, c.version)
        )
        return [_closure(r) for r in self.session.connection().execute(query).mappings()]

    def report(self, closure: Closure) -> dict[str, Any]:
        """The report document as ``closure`` closed it."""
        found: dict[str, Any] = self.session.execute(
            select(CLOSURES.c.report).where(CLOSURES.c.id == closure.id)
        ).scalar_one()
        return found

    # -- results ---------------------------------------------------------------------------

    def results(
        self,
        customer: str | None = None,
        period: tuple[datetime, datetime] | None = None,
        *,
        service: str | None = None,
        party: str | None = None,
        closure: Closure | None = None,
    ) -> list[StoredResult]:
        """Final results (of ``customer``, about ``service``, of periods that start in the
        half-open ``period``, so that consecutive periods never both return one row), or those
        ``closure`` stored, by period start, customer, then the order they were stored in;
        ``party`` keeps only that customer's."""
        conditions = _period_conditions(RESULTS, customer, period, party)
        c = RESULTS.c
        if service is not None:
            conditions.append(c.service == service)
        query = _of_closure(select(RESULTS), RESULTS, closure)
        query = query.where(*conditions).order_by(c.period_start, c.customer, c.id)
        return [_stored_result(r) for r in self.session.connection().execute(query).mappings()]

    # -- credits ---------------------------------------------------------------------------

    def credits(
        self,
        customer: str | None = None,
        period: tuple[datetime, datetime] | None = None,
        *,
        party: str | None = None,
        closure: Closure | None = None,
    ) -> list[StoredCredit]:
        """Final credits (of ``customer``, of periods that start in the half-open ``period``:
        a credit belongs to the one period of a series of consecutive ones that its own period
        starts in), or those ``closure`` stored, by period start, customer, then the order they
        were stored in; ``party`` keeps only that customer's."""
        conditions = _period_conditions(CREDITS, customer, period, party)
        c = CREDITS.c
        query = _of_closure(select(CREDITS), CREDITS, closure)
        query = query.where(*conditions).order_by(c.period_start, c.customer, c.id)
        return [_stored_credit(r) for r in self.session.connection().execute(query).mappings()]


_CLOSURE_COLUMNS = [col for col in CLOSURES.c if col.name != "report"]


def _of_closure(query: Select[Any], table: Table, closure: Closure | None) -> Select[Any]:
    """``query`` kept to the rows of ``closure``, or of closures not reopened."""
    if closure is not None:
        return query.where(table.c.closure_id == closure.id)
    return query.join(CLOSURES, table.c.closure_id == CLOSURES.c.id).where(
        CLOSURES.c.reopened_at.is_(None)
    )


def _closure(row: Any) -> Closure:
    return Closure(**{f: row[f] for f in Closure.__dataclass_fields__})


def _result_row(stored: StoredResult) -> dict[str, Any]:
    r = stored.result
    numerator, denominator = stored_fraction(r)
    return {
        "provider": stored.provider,
        "customer": stored.customer,
        "service": stored.service,
        "agreement": r.source,
        "objective": r.objective,
        "period_label": stored.period_label,
        "period_start": stored.period_start,
        "period_end": stored.period_end,
        "metric": r.metric.value,
        "target": r.target,
        "comparator": r.comparator.value,
        "unit": r.unit.value,
        "verdict": r.verdict.value,
        "numerator": numerator,
        "denominator": denominator,
        "convention": r.convention,
        "budget": None if r.budget is None else to_jsonable(r.budget),
        "breaches": [_utc_breach(b) for b in r.breaches],
        "figures": [[label, value] for label, value in r.figures],
        "computed_at": stored.computed_at,
    }


def _stored_result(row: Any) -> StoredResult:
    metric, unit = Metric(row["metric"]), Unit(row["unit"])
    verdict = Verdict(row["verdict"])
    numerator, denominator = row["numerator"], row["denominator"]
    budget = row["budget"]
    result = ObjectiveResult(
        objective=row["objective"],
        metric=metric,
        target=row["target"],
        comparator=Comparator(row["comparator"]),
        unit=unit,
        verdict=verdict,
        actual=actual_of(numerator, denominator, metric, unit, verdict),
        numerator=numerator,
        denominator=denominator,
        convention=row["convention"],
        budget=None if budget is None else read(Budget, budget),
        breaches=tuple(read(Breach, b) for b in row["breaches"]),
        figures=tuple((str(label), str(value)) for label, value in row["figures"]),
        source=row["agreement"],
    )
    return StoredResult(
        provider=row["provider"],
        customer=row["customer"],
        service=row["service"],
        period_label=row["period_label"],
        period_start=row["period_start"],
        period_end=row["period_end"],
        result=result,
        computed_at=row["computed_at"],
    )


def _credit_row(stored: StoredCredit) -> dict[str, Any]:
    c = stored.credit
    return {
        "customer": c.customer,
        "service": c.service,
        "period_start": c.period_start,
        "period_end": c.period_end,
        "objective": c.objective,
        "actual": c.actual,
        "target": c.target,
        "tier_below": c.tier_below,
        "percent": c.percent,
        "charge": c.charge,
        "amount": c.amount,
        "currency": c.currency,
        "claim": c.claim.value,
        "claim_by": c.claim_by,
        "reason": c.reason,
        "computed_at": stored.computed_at,
    }


def _stored_credit(row: Any) -> StoredCredit:
    credit = Credit(
        customer=row["customer"],
        service=row["service"],
        period_start=row["period_start"],
        period_end=row["period_end"],
        objective=row["objective"],
        actual=row["actual"],
        target=row["target"],
        tier_below=row["tier_below"],
        percent=row["percent"],
        reason=row["reason"],
        claim=ClaimMode(row["claim"]),
        claim_by=row["claim_by"],
        charge=row["charge"],
        amount=row["amount"],
        currency=row["currency"],
    )
    return StoredCredit(credit=credit, computed_at=row["computed_at"])
