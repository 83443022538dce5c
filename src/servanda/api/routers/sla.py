"""``/api/v1/sla``: a customer's service level report over a period (JSON, HTML or PDF), the
credits stored by earlier evaluations, and burn-rate checks raised as events.

Evaluating reads the stored configuration, outages, incidents, measurements, attestations and
feedback, and replaces the stored results and credits of that customer and period (so the
accounting side reads credits without evaluating again). A customer token gets its own report
only; another customer's answers 404.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from fastapi.concurrency import run_in_threadpool

from servanda.api.deps import ClockDep, EngineDep, PrincipalDep
from servanda.api.errors import ERROR_RESPONSES
from servanda.api.routers.events import EventEngineDep
from servanda.core.access import Action, Principal
from servanda.core.problems import NotFound
from servanda.reports.sla_html import render_sla_html
from servanda.reports.sla_json import report_to_json
from servanda.reports.sla_pdf import render_sla_pdf
from servanda.services import burn, rollups, sla
from servanda.services.rollups import RollupBy
from servanda.storage.database import transaction
from servanda.storage.repositories.results import ResultRepository

router = APIRouter(prefix="/sla", tags=["sla"], responses=ERROR_RESPONSES)


class ReportFormat(StrEnum):
    """What ``GET /sla/{customer}/report`` returns."""

    JSON = "json"
    HTML = "html"
    PDF = "pdf"


PeriodQuery = Annotated[
    str,
    Query(description="2024-04, 2024-Q2, 2024-W14, 2024 or 2024-04-01..2024-04-15 (local days)."),
]


@router.get(
    "/{customer}/report",
    summary="A customer's SLA report",
    responses={
        200: {
            "content": {"text/html": {}, "application/pdf": {}},
            "description": "The report (JSON by default).",
        },
        404: {"description": "No such customer, or not visible to this token."},
        422: {"description": "A period that cannot be read."},
    },
)
async def customer_report(
    customer: str,
    period: PeriodQuery,
    principal: PrincipalDep,
    clock: ClockDep,
    engine: EngineDep,
    format: Annotated[ReportFormat, Query(description="json, html or pdf.")] = ReportFormat.JSON,
) -> Any:
    """Per objective the target, the actual, met or not, the error budget, breaches with their
    incidents, credits, feedback and its trend; charts of availability over time, budget
    burn-down and the outage timeline, plain and weighted side by side (HTML and PDF)."""
    now = clock.now()
    return await run_in_threadpool(_report, engine, principal, customer, period, now, format)


def _report(
    engine: Any, principal: Principal, customer: str, period: str, now: datetime, fmt: ReportFormat
) -> Any:
    evaluated = sla.evaluate_stored(engine, principal, customer, period, now)
    report = sla.build_report(evaluated, now)
    if fmt is ReportFormat.HTML:
        return Response(render_sla_html(report), media_type="text/html; charset=utf-8")
    if fmt is ReportFormat.PDF:
        name = f"sla-{customer}-{evaluated.evaluation.period.label}.pdf"
        return Response(
            render_sla_pdf(report),
            media_type="application/pdf",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    return report_to_json(report)


@router.get("/credits", summary="Stored service credits")
def stored_credits(
    principal: PrincipalDep,
    engine: EngineDep,
    customer: Annotated[str | None, Query(description="Only this customer.")] = None,
) -> list[dict[str, Any]]:
    """Credits computed by earlier evaluations (the input of invoicing), newest period last.
    A customer token sees its own."""
    principal.require(Action.READ)
    scope = principal.scope
    if scope is not None and customer not in (None, scope):
        raise NotFound(f"no customer {customer!r}")
    with transaction(engine) as session:
        found = ResultRepository(session).credits(customer=scope or customer)
    return [
        {
            "customer": c.credit.customer,
            "service": c.credit.service,
            "period_start": c.credit.period_start.isoformat(),
            "period_end": c.credit.period_end.isoformat(),
            "objective": c.credit.objective,
            "actual": str(c.credit.actual),
            "target": str(c.credit.target),
            "tier_below": str(c.credit.tier_below),
            "percent": str(c.credit.percent),
            "charge": None if c.credit.charge is None else str(c.credit.charge),
            "amount": None if c.credit.amount is None else str(c.credit.amount),
            "currency": c.credit.currency,
            "claim": c.credit.claim.value,
            "claim_by": None if c.credit.claim_by is None else c.credit.claim_by.isoformat(),
            "reason": c.credit.reason,
            "computed_at": c.computed_at.isoformat(),
        }
        for c in found
    ]


@router.post("/burn-check", summary="Raise burn-rate warnings as events")
def burn_check(
    principal: PrincipalDep, clock: ClockDep, engine: EngineDep, events: EventEngineDep
) -> dict[str, Any]:
    """Evaluate the burn-rate rules of every availability objective over the last complete
    minutes and send each warning to event management (source ``servanda-slo``), where it is
    de-duplicated and correlated like any alert. Call it every few minutes; a check repeated
    stores nothing new. Needs the right to ingest events."""
    found = burn.check_burn_rates(engine, events, principal, clock.now())
    return {
        "objectives": found.objectives,
        "events": [
            {
                "fingerprint": e.fingerprint,
                "status": e.status.value,
                "severity": e.severity.value,
                "starts_at": e.starts_at.isoformat(),
                "ends_at": None if e.ends_at is None else e.ends_at.isoformat(),
                "summary": e.summary,
                "labels": dict(e.labels),
            }
            for e in found.events
        ],
        "ingested": None if found.ingested is None else found.ingested.as_dict(),
    }


@router.get("/rollup", summary="Roll-ups per provider, service or customer")
def rollup(
    period: PeriodQuery,
    principal: PrincipalDep,
    clock: ClockDep,
    engine: EngineDep,
    by: Annotated[RollupBy, Query(description="provider, service or customer.")] = (
        RollupBy.PROVIDER
    ),
) -> list[dict[str, Any]]:
    """Every customer evaluated over the period (results and credits stored), then each
    objective rolled up per provider, service or customer: numerators and denominators added,
    never a mean of percentages. A customer token rolls up its own results only."""
    now = clock.now()
    rollups.evaluate_all(engine, principal, period, now)
    return [
        {
            "key": r.key,
            "members": r.members,
            "results": [
                {
                    "objective": x.objective,
                    "metric": x.metric.value,
                    "target": str(x.target),
                    "actual": None if x.actual is None else str(x.actual),
                    "numerator": None if x.numerator is None else str(x.numerator),
                    "denominator": None if x.denominator is None else str(x.denominator),
                    "verdict": x.verdict.value,
                }
                for x in r.results
            ],
        }
        for r in rollups.rollups(engine, principal, period, by, now)
    ]
