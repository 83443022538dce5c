"""Roll-ups over the stored results of a period: per service (over its customers), per
customer (over its services) and per provider (over everything it provides).

Evaluating a customer (``servanda report sla``, the API) stores one result per objective and
service with its numerator and denominator; :func:`evaluate_all` evaluates every customer of a
period first. A roll-up adds numerators and denominators of the same objective
(:func:`servanda.measure.rollup.rollup`), never averages percentages, so a provider's
availability is its agreed seconds up over its agreed seconds, whoever the customers.
Corporate objectives apply to every customer and service, so they appear in every roll-up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Engine

from servanda.core.access import Action, Principal
from servanda.measure.results import ObjectiveResult
from servanda.measure.rollup import rollup
from servanda.services.sla import evaluate_stored, period_of
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
    """Stored results rolled up."""
    results: tuple[ObjectiveResult, ...]


def evaluate_all(engine: Engine, principal: Principal, period: str, now: datetime) -> list[str]:
    """Evaluate (and store) every customer with a subscription over ``period``; returns them."""
    principal.require(Action.READ)
    if principal.scope is not None:
        return [
            evaluate_stored(engine, principal, principal.scope, period, now).evaluation.customer
        ]
    with transaction(engine) as session:
        bundle = BundleRepository(session).load()
    customers = sorted({s.customer for s in bundle.subscriptions})
    for customer in customers:
        evaluate_stored(engine, principal, customer, period, now)
    return customers


def rollups(
    engine: Engine, principal: Principal, period: str, by: RollupBy, now: datetime
) -> list[Rollup]:
    """The roll-ups of the stored results of ``period`` (evaluate first: :func:`evaluate_all`).
    A customer principal rolls up its own results only."""
    principal.require(Action.READ)
    with transaction(engine) as session:
        bundle = BundleRepository(session).load()
        customers = sorted({s.customer for s in bundle.subscriptions})
        stored: list[StoredResult] = []
        repo = ResultRepository(session)
        for customer in customers:
            if principal.scope is not None and customer != principal.scope:
                continue
            span = period_of(bundle, customer, period, now)
            stored += [
                r
                for r in repo.results(customer, (span.start, span.end), party=principal.scope)
                if r.period_label == span.label
            ]
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
        Rollup(key, len(members), tuple(rollup(m.result for m in members)))
        for key, members in sorted(groups.items())
    ]
