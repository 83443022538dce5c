"""Roll-ups of a period's results: per service (over its customers), per customer (over its
services) and per provider (over everything it provides).

Each customer's results are its final ones when its period is closed
(:mod:`servanda.services.closing`), a provisional evaluation otherwise (one result per
objective and service, with its numerator and denominator); nothing is stored. A roll-up adds
numerators and denominators of the same objective (:func:`servanda.measure.rollup.rollup`),
never averages percentages, so a provider's availability is its agreed seconds up over its
agreed seconds, whoever the customers. Corporate objectives apply to every customer and
service, so they appear in every roll-up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Engine

from servanda.core.access import Action, Principal
from servanda.measure.results import ObjectiveResult
from servanda.measure.rollup import rollup
from servanda.services.sla import evaluate_in, period_of, stored_rows
from servanda.storage.database import transaction
from servanda.storage.repositories import BundleRepository
from servanda.storage.repositories.results import ResultRepository, StoredResult


class RollupBy(StrEnum):
    """What a roll-up groups by."""

    SERVICE = "service"
    CUSTOMER = "customer"
    PROVIDER = "provider"


@dataclass(frozen=True, slots=True)
class Rollup:
    """One group's objectives over the period."""

    key: str
    """The service, customer or provider."""
    members: int
    """Results rolled up."""
    final: int
    """Of them, results of closed periods (the others are provisional)."""
    results: tuple[ObjectiveResult, ...]


def rollups(
    engine: Engine, principal: Principal, period: str, by: RollupBy, now: datetime
) -> list[Rollup]:
    """The roll-ups of ``period``'s results as of ``now`` (final where the period is closed,
    provisional elsewhere). A customer principal rolls up its own results only."""
    principal.require(Action.READ)
    stored: list[StoredResult] = []
    final: set[str] = set()
    with transaction(engine) as session:
        bundle = BundleRepository(session).load()
        repo = ResultRepository(session)
        for customer in sorted({s.customer for s in bundle.subscriptions}):
            if principal.scope is not None and customer != principal.scope:
                continue
            span = period_of(bundle, customer, period, now)
            closure = repo.closure(customer, span.start, span.end)
            if closure is not None and closure.final:
                stored += repo.results(closure=closure)
                final.add(customer)
            else:
                stored += stored_rows(evaluate_in(session, bundle, customer, span, now), now)[0]
    groups: dict[str, list[StoredResult]] = {}
    for r in stored:
        if by is RollupBy.SERVICE:
            key = r.service or "(customer-wide)"
        elif by is RollupBy.CUSTOMER:
            key = r.customer
        else:
            key = r.provider or "(no provider)"
        groups.setdefault(key, []).append(r)
    return [
        Rollup(
            key,
            len(members),
            sum(1 for m in members if m.customer in final),
            tuple(rollup(m.result for m in members)),
        )
        for key, members in sorted(groups.items())
    ]
