"""Closed reporting periods: when a customer's results and credits become final.

Looking at a report stores nothing. Closing a period that has ended (:func:`close_period`)
evaluates each customer once more and stores the results, the credits and the report as they
are then, with who closed it and when: those are the period's *final* figures, the only
credits billing is offered (:func:`final_credits`). A closed period does not change silently:
outages, measurements or incident corrections that arrive later are listed as *pending
adjustments* (:func:`adjustments`: what a new evaluation finds different from the final
figures) and shown on the report. :func:`reopen_period` marks the close reopened, keeping it
and its figures; the next close is a new version, and the difference between the credits of
two versions (:func:`versions`) is what accounting bills or credits.

Reading a report (:func:`report_of`) gives the closed document of a closed period (with its
pending adjustments) and a provisional evaluation of an open one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from servanda.core.access import Action, Principal
from servanda.core.problems import InvalidInput, NotFound, Problem, ServandaError
from servanda.declared.bundle import Bundle
from servanda.events.lifecycle import actor_name
from servanda.measure.closure import Closure
from servanda.measure.periods import ReportingPeriod
from servanda.measure.results import Credit, ObjectiveResult, Verdict
from servanda.reports import sla_model as rm
from servanda.reports.sla_json import report_from_json, report_to_json
from servanda.reports.sla_view import actual_text
from servanda.services import notices, sla
from servanda.storage.database import transaction
from servanda.storage.repositories import BundleRepository
from servanda.storage.repositories.results import ResultRepository, StoredResult


class PeriodNotOver(ServandaError):
    """A period cannot be closed before it ends."""


class PeriodClosed(ServandaError):
    """The period is closed (reopen it first)."""


class PeriodOpen(ServandaError):
    """The period is not closed (nothing to reopen)."""


@dataclass(frozen=True, slots=True)
class Closed:
    """What closing did for one customer."""

    customer: str
    closure: Closure
    new: bool
    """False: the period was closed already (this is its final close)."""
    credits: tuple[Credit, ...]


@dataclass(frozen=True, slots=True)
class ResultChange:
    """An objective whose result a new evaluation finds different from the final one."""

    service: str | None
    objective: str
    final: ObjectiveResult | None
    """None: the objective is new since the close."""
    now: ObjectiveResult | None
    """None: the objective is gone since the close."""

    def sentence(self) -> str:
        """The change in words."""
        where = f"{self.service}: " if self.service else ""
        return f"{where}{self.objective} {_result_words(self.final)} → {_result_words(self.now)}"


@dataclass(frozen=True, slots=True)
class CreditChange:
    """A credit a new evaluation finds different from the final one."""

    service: str | None
    objective: str
    final: Credit | None
    now: Credit | None

    @property
    def difference(self) -> Decimal | None:
        """The change in amount (positive: more credit is owed), when amounts are known."""
        before = Decimal(0) if self.final is None else self.final.amount
        after = Decimal(0) if self.now is None else self.now.amount
        if before is None or after is None:
            return None
        return after - before

    @property
    def currency(self) -> str | None:
        found = self.now or self.final
        return None if found is None else found.currency

    def sentence(self) -> str:
        """The change in words."""
        where = f"{self.service}: " if self.service else ""
        before = _credit_words(self.final)
        after = _credit_words(self.now)
        return f"{where}credit for {self.objective} {before} → {after}"


@dataclass(frozen=True, slots=True)
class Adjustments:
    """What changed for one closed period since it was closed."""

    closure: Closure
    results: tuple[ResultChange, ...]
    credits: tuple[CreditChange, ...]

    @property
    def pending(self) -> bool:
        return bool(self.results or self.credits)

    def sentences(self) -> tuple[str, ...]:
        return tuple(c.sentence() for c in self.results) + tuple(c.sentence() for c in self.credits)


@dataclass(frozen=True, slots=True)
class FinalCredit:
    """A credit of a closed period, with the close that made it final."""

    credit: Credit
    closure: Closure


@dataclass(frozen=True, slots=True)
class Version:
    """One close of a period, its credits, and the difference from the close before."""

    closure: Closure
    credits: tuple[Credit, ...]
    difference: tuple[CreditChange, ...]
    """Against the previous version (all of them new for version 1)."""


# -- closing --------------------------------------------------------------------------------


def close_period(
    engine: Engine,
    principal: Principal,
    period: str,
    now: datetime,
    customer: str | None = None,
) -> list[Closed]:
    """Close ``period`` for ``customer`` (or for every customer with a subscription): store
    its results, credits and report as final, closed by ``principal`` at ``now``. A period
    that has not ended is refused (:class:`PeriodNotOver`); one closed already is left alone
    (``new`` False), or refused (:class:`PeriodClosed`) when ``customer`` is named."""
    principal.require(Action.CLOSE_PERIODS)
    by = actor_name(principal)
    with transaction(engine) as session:
        bundle = BundleRepository(session).load()
        customers = [customer] if customer else _customers(bundle)
        chosen = {c: sla.period_of_customer(bundle, c, period, now) for c in customers}
    late = [c for c in customers if chosen[c].end > now]
    if late:
        span = chosen[late[0]]
        raise PeriodNotOver(
            f"{span.label} of {late[0]} ends {span.end.isoformat()}: a period is closed once "
            "it has ended"
        )
    done: list[Closed] = []
    for name in customers:
        with transaction(engine) as session:  # one customer at a time: each close is whole
            done.append(_close_one(session, bundle, name, chosen[name], now, by, customer))
    return done


def _close_one(
    session: Session,
    bundle: Bundle,
    customer: str,
    chosen: ReportingPeriod,
    now: datetime,
    by: str,
    named: str | None,
) -> Closed:
    repo = ResultRepository(session)
    repo.lock(customer)
    latest = repo.closure(customer, chosen.start, chosen.end)
    if latest is not None and latest.final:
        if named is not None:
            raise PeriodClosed(
                f"{chosen.label} of {customer} is closed (version {latest.version}, "
                f"{latest.closed_at.isoformat()}, by {latest.closed_by}); reopen it first"
            )
        return Closed(
            customer, latest, False, tuple(c.credit for c in repo.credits(closure=latest))
        )
    evaluated = sla.evaluate_in(session, bundle, customer, chosen, now)
    version = 1 if latest is None else latest.version + 1
    report = sla.build_report(
        evaluated,
        now,
        rm.Closing(standing=rm.Standing.FINAL, version=version, closed_at=now, closed_by=by),
    )
    results, credits = sla.stored_rows(evaluated, now)
    closure = repo.close(
        provider=report.provider.id,
        customer=customer,
        period_label=chosen.label,
        period_start=chosen.start,
        period_end=chosen.end,
        at=now,
        by=by,
        report=report_to_json(report),
        results=results,
        credits=credits,
    )
    breaches = [
        (r.service, r.result.objective, _result_words(r.result))
        for r in results
        if r.result.verdict is Verdict.BREACHED
    ]
    notices.queue(
        session,
        notices.period_closed(
            customer, chosen.label, chosen.start, chosen.end, version, now, breaches
        ),
        now,
        bundle.notification_rules,
    )
    return Closed(customer, closure, True, tuple(c.credit for c in credits))


def reopen_period(
    engine: Engine,
    principal: Principal,
    customer: str,
    period: str,
    now: datetime,
    reason: str,
) -> Closure:
    """Reopen ``customer``'s closed ``period`` (a correction is due): its close and figures
    are kept, marked reopened by ``principal`` at ``now`` for ``reason``; closing again makes
    the next version."""
    principal.require(Action.CLOSE_PERIODS)
    why = reason.strip()
    if not why:
        raise InvalidInput([Problem("say why the period is reopened", path=("reason",))])
    with transaction(engine) as session:
        bundle = BundleRepository(session).load()
        chosen = sla.period_of_customer(bundle, customer, period, now)
        repo = ResultRepository(session)
        repo.lock(customer)
        latest = repo.closure(customer, chosen.start, chosen.end)
        if latest is None or not latest.final:
            raise PeriodOpen(f"{chosen.label} of {customer} is not closed")
        return repo.reopen(latest, now, actor_name(principal), why)


# -- reading --------------------------------------------------------------------------------


def report_of(
    engine: Engine, principal: Principal, customer: str, period: str, now: datetime
) -> rm.SlaReport:
    """The report a reader sees: the closed document (with any pending adjustments) of a
    closed period, a provisional evaluation as of ``now`` otherwise (also when ``now`` is
    before the close: a replay as of then). Stores nothing."""
    sla.check_reader(principal, customer)
    with transaction(engine) as session:
        bundle = BundleRepository(session).load()
        chosen = sla.period_of_customer(bundle, customer, period, now)
        repo = ResultRepository(session)
        closure = repo.closure(customer, chosen.start, chosen.end)
        evaluated = sla.evaluate_in(session, bundle, customer, chosen, now)
        if closure is None or not closure.final or closure.closed_at > now:
            return sla.build_report(evaluated, now)  # open, or not yet closed as of ``now``
        closed = report_from_json(repo.report(closure), file=f"closure {closure.id}")
        found = _differences(repo, closure, evaluated, now)
    pending = found.sentences()
    if not pending:
        return closed
    return _with_pending(closed, pending)


def adjustments(
    engine: Engine,
    principal: Principal,
    period: str,
    now: datetime,
    customer: str | None = None,
) -> list[Adjustments]:
    """For each closed ``period`` (of ``customer``, or every customer; a customer principal
    its own), what a new evaluation as of ``now`` finds different from the final figures."""
    principal.require(Action.READ)
    if principal.scope is not None:
        if customer not in (None, principal.scope):
            raise NotFound(f"no customer {customer!r}")
        customer = principal.scope
    found: list[Adjustments] = []
    with transaction(engine) as session:
        bundle = BundleRepository(session).load()
        customers = [customer] if customer else _customers(bundle)
        repo = ResultRepository(session)
        for name in customers:
            chosen = sla.period_of_customer(bundle, name, period, now)
            closure = repo.closure(name, chosen.start, chosen.end)
            if closure is None or not closure.final:
                continue
            evaluated = sla.evaluate_in(session, bundle, name, chosen, now)
            found.append(_differences(repo, closure, evaluated, now))
    return found


def final_credits(
    engine: Engine,
    principal: Principal,
    customer: str | None = None,
    period: tuple[datetime, datetime] | None = None,
) -> list[FinalCredit]:
    """The credits of closed periods (the input of billing), oldest period first; a customer
    principal reads its own."""
    principal.require(Action.READ)
    scope = principal.scope
    if scope is not None and customer not in (None, scope):
        raise NotFound(f"no customer {customer!r}")
    with transaction(engine) as session:
        repo = ResultRepository(session)
        found: list[FinalCredit] = []
        for closure in repo.closures(scope or customer, period, party=scope, final=True):
            found += [FinalCredit(c.credit, closure) for c in repo.credits(closure=closure)]
    return found


def versions(
    engine: Engine, principal: Principal, customer: str, period: str, now: datetime
) -> list[Version]:
    """Every close of ``customer``'s ``period``, oldest first, each with its credits and the
    difference from the one before (what a correction bills or credits)."""
    sla.check_reader(principal, customer)
    with transaction(engine) as session:
        bundle = BundleRepository(session).load()
        chosen = sla.period_of_customer(bundle, customer, period, now)
        repo = ResultRepository(session)
        found: list[Version] = []
        before: list[Credit] = []
        for closure in repo.closures(customer, (chosen.start, chosen.end)):
            if (closure.period_start, closure.period_end) != (chosen.start, chosen.end):
                continue
            credits = [c.credit for c in repo.credits(closure=closure)]
            found.append(Version(closure, tuple(credits), _credit_changes(before, credits)))
            before = credits
    return found


# -- inside ---------------------------------------------------------------------------------


def _customers(bundle: Bundle) -> list[str]:
    return sorted({s.customer for s in bundle.subscriptions})


def _differences(
    repo: ResultRepository, closure: Closure, evaluated: sla.Evaluated, now: datetime
) -> Adjustments:
    results, credits = sla.stored_rows(evaluated, now)
    return Adjustments(
        closure,
        _result_changes(repo.results(closure=closure), results),
        _credit_changes(
            [c.credit for c in repo.credits(closure=closure)], [c.credit for c in credits]
        ),
    )


def _result_changes(
    final: Sequence[StoredResult], now: Sequence[StoredResult]
) -> tuple[ResultChange, ...]:
    def key(r: StoredResult) -> tuple[str, str, str]:
        return (r.service or "", r.result.source or "", r.result.objective)

    before = {key(r): r for r in final}
    after = {key(r): r for r in now}
    changes = []
    for k in sorted(before.keys() | after.keys()):
        old, new = before.get(k), after.get(k)
        if old is not None and new is not None and _same_result(old.result, new.result):
            continue
        shown = old or new
        assert shown is not None
        changes.append(
            ResultChange(
                shown.service,
                shown.result.objective,
                None if old is None else old.result,
                None if new is None else new.result,
            )
        )
    return tuple(changes)


def _same_result(a: ObjectiveResult, b: ObjectiveResult) -> bool:
    return (a.verdict, a.actual, a.target) == (b.verdict, b.actual, b.target)


def _credit_changes(final: Sequence[Credit], now: Sequence[Credit]) -> tuple[CreditChange, ...]:
    def key(c: Credit) -> tuple[str, str]:
        return (c.service or "", c.objective)

    before = {key(c): c for c in final}
    after = {key(c): c for c in now}
    changes = []
    for k in sorted(before.keys() | after.keys()):
        old, new = before.get(k), after.get(k)
        if (
            old is not None
            and new is not None
            and (old.percent, old.amount)
            == (
                new.percent,
                new.amount,
            )
        ):
            continue
        shown = old or new
        assert shown is not None
        changes.append(CreditChange(shown.service, shown.objective, old, new))
    return tuple(changes)


def _result_words(result: ObjectiveResult | None) -> str:
    if result is None:
        return "(none)"
    return f"{actual_text(result.actual, result.metric, result.unit)} ({result.verdict.value})"


def _credit_words(credit: Credit | None) -> str:
    if credit is None:
        return "none"
    if credit.amount is not None:
        return f"{credit.amount} {credit.currency or ''}".strip() + f" ({credit.percent} %)"
    return f"{credit.percent} %"


def _with_pending(report: rm.SlaReport, pending: tuple[str, ...]) -> rm.SlaReport:
    return replace(report, closing=replace(report.closing, pending=pending))
