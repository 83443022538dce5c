"""The status board: every customer × service objective of a month, met, at risk or
breached, with its error budget, burn rate and the open incidents of the service.

Each visible customer is evaluated over the month from storage, as the SLA report would be,
in one transaction for the whole board; the evidence of every customer is read at once
(:mod:`servanda.services.evidence`), so the queries do not grow with the customers. An
objective is **at risk** when it is met so far but its budget burns faster than the period
allows (burn rate above 1) or less than a quarter of it is left; **breached** and **met** are
the evaluation's verdicts, and **no data** says there was nothing to measure yet.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from servanda.catalog.model import PartyRole
from servanda.core.access import Action, Principal
from servanda.core.problems import InvalidInput, Location, Problem
from servanda.events.incidents import IncidentState
from servanda.measure.evaluate import evaluate_customer
from servanda.measure.results import ObjectiveResult, Verdict
from servanda.services.evidence import gather_many
from servanda.services.sla import customer_timezone, evidence_start, period_of
from servanda.storage.database import transaction
from servanda.storage.repositories import BundleRepository
from servanda.storage.repositories.incidents import IncidentFilter, IncidentRepository

AT_RISK_SHARE = Decimal("0.25")
"""Less than this share of the budget left puts a met objective at risk."""
OPEN = (
    IncidentState.DETECTED, IncidentState.ACKNOWLEDGED, IncidentState.CORRECTED,
    IncidentState.VALIDATED,
)  # fmt: skip


class Status(StrEnum):
    """Where an objective stands."""

    MET = "met"
    AT_RISK = "at_risk"
    BREACHED = "breached"
    NO_DATA = "no_data"


@dataclass(frozen=True, slots=True)
class BoardRow:
    """One objective of one customer and service."""

    customer: str
    customer_name: str
    service: str | None
    service_name: str
    objective: str
    metric: str
    target: Decimal
    actual: Decimal | None
    unit: str
    status: Status
    budget_left: Decimal | None
    """The share of the error budget left (0–1; negative when overspent), when it has one."""
    burn_rate: Decimal | None
    open_incidents: int
    period: str

    def as_dict(self) -> dict[str, Any]:
        """JSON-compatible data."""
        return {
            "customer": self.customer, "customer_name": self.customer_name,
            "service": self.service, "service_name": self.service_name,
            "objective": self.objective, "metric": self.metric, "target": str(self.target),
            "actual": None if self.actual is None else str(self.actual), "unit": self.unit,
            "status": self.status.value,
            "budget_left": None if self.budget_left is None else str(self.budget_left),
            "burn_rate": None if self.burn_rate is None else str(self.burn_rate),
            "open_incidents": self.open_incidents, "period": self.period,
        }  # fmt: skip


def status_of(result: ObjectiveResult) -> Status:
    """Where one result stands (see the module)."""
    if result.verdict is Verdict.BREACHED:
        return Status.BREACHED
    if result.verdict is Verdict.NO_DATA:
        return Status.NO_DATA
    budget = result.budget
    if budget is not None:
        burning = budget.burn_rate is not None and budget.burn_rate > 1
        low = budget.remaining_share is not None and budget.remaining_share < AT_RISK_SHARE
        if burning or low:
            return Status.AT_RISK
    return Status.MET


def status_board(
    engine: Any, principal: Principal, now: datetime, month: str | None = None
) -> list[BoardRow]:
    """The board of ``month`` (``YYYY-MM``; by default each customer's current month), as
    of ``now``; a customer principal sees its own rows only."""
    principal.require(Action.READ)
    rows: list[BoardRow] = []
    with transaction(engine) as session:
        bundle = BundleRepository(session).load()
        customers = [
            p for p in bundle.parties
            if PartyRole.CUSTOMER in p.roles
            and (principal.scope is None or p.id == principal.scope)
        ]  # fmt: skip
        incidents = IncidentRepository(session).find(
            IncidentFilter(states=OPEN, party=principal.scope, limit=10_000)
        )
        open_by: Counter[str] = Counter()
        for incident in incidents:
            for service in {n.node for n in incident.impacted if n.kind == "service"}:
                open_by[service] += 1
        chosen_by = {}
        for party in customers:
            zone = ZoneInfo(customer_timezone(bundle, party.id, now.date()))
            text = month or now.astimezone(zone).strftime("%Y-%m")
            chosen = period_of(bundle, party.id, text, now)
            if chosen.start > now:
                raise InvalidInput([Problem(f"{text} has not begun", Location(), ("period",))])
            chosen_by[party.id] = chosen
        evidence = gather_many(
            session, bundle,
            {c: (evidence_start(bundle, p), p.end) for c, p in chosen_by.items()},
        )  # fmt: skip
        for party in sorted(customers, key=lambda p: p.id):
            chosen = chosen_by[party.id]
            evaluation = evaluate_customer(bundle, party.id, chosen, evidence[party.id], now)
            for part in evaluation.parts:
                svc = bundle.service_by_id.get(part.service) if part.service else None
                for result in part.results:
                    budget = result.budget
                    rows.append(
                        BoardRow(
                            customer=party.id,
                            customer_name=party.name or party.id,
                            service=part.service,
                            service_name=svc.name if svc else "all services",
                            objective=result.objective,
                            metric=result.metric.value,
                            target=result.target,
                            actual=result.actual,
                            unit=result.unit.value,
                            status=status_of(result),
                            budget_left=budget.remaining_share if budget else None,
                            burn_rate=budget.burn_rate if budget else None,
                            open_incidents=open_by[part.service or ""],
                            period=chosen.label,
                        )
                    )
    return rows


__all__ = ["BoardRow", "Status", "status_board", "status_of"]
