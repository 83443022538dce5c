"""``/api/v1/sla``: a customer's service level report over a period (JSON, HTML or PDF),
closed periods and their final credits, roll-ups, and burn-rate checks raised as events.

Reading a report stores nothing: a closed period shows the report as closed (with any pending
adjustments), an open one a provisional evaluation. Closing a period (operator, billing or
admin) makes its results and credits final; only final credits are offered to billing (see
:mod:`servanda.services.closing`). A customer token reads its own only; another customer's
answers 404.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from fastapi.concurrency import run_in_threadpool

from servanda.api.deps import ClockDep, EngineDep, PrincipalDep
from servanda.api.errors import ERROR_RESPONSES
from servanda.api.guard import Instant
from servanda.api.routers.events import EventEngineDep
from servanda.api.schemas_sla import (
    AdjustmentsPublic,
    BurnCheckPublic,
    ClosedPublic,
    ClosurePublic,
    CreditPublic,
    FinalCreditPublic,
    RollupPublic,
    VersionPublic,
)
from servanda.core.access import Principal
from servanda.documents.prometheus import rules_yaml
from servanda.reports.sla_html import render_sla_html
from servanda.reports.sla_json import report_to_json
from servanda.reports.sla_pdf import render_sla_pdf
from servanda.services import burn, closing, rollups
from servanda.services.rollups import RollupBy

router = APIRouter(
    prefix="/sla",
    tags=["sla"],
    responses={
        **ERROR_RESPONSES,
        404: {"description": "No such customer, or not visible to this token."},
    },
)


RULE_FILE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["groups"],
    "properties": {
        "groups": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["name", "rules"],
                "properties": {
                    "name": {"type": "string"},
                    "rules": {"type": "array", "items": {"type": "object"}},
                },
            },
        }
    },
}
"""A Prometheus rule file, as the YAML answer of ``GET /sla/rules`` reads."""


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
    as_of: Annotated[
        Instant | None, Query(description="Evaluate as at this time instead of now.")
    ] = None,
) -> Any:
    """Per objective the target, the actual, met or not, the error budget, breaches with their
    incidents, credits, feedback and its trend; charts of availability over time, budget
    burn-down and the outage timeline, plain and weighted side by side (HTML and PDF)."""
    now = as_of or clock.now()
    return await run_in_threadpool(_report, engine, principal, customer, period, now, format)


def _report(
    engine: Any, principal: Principal, customer: str, period: str, now: datetime, fmt: ReportFormat
) -> Any:
    report = closing.report_of(engine, principal, customer, period, now)
    if fmt is ReportFormat.HTML:
        return Response(render_sla_html(report), media_type="text/html; charset=utf-8")
    if fmt is ReportFormat.PDF:
        name = f"sla-{customer}-{period}.pdf"
        return Response(
            render_sla_pdf(report),
            media_type="application/pdf",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    return report_to_json(report)


CLOSE_RESPONSES: dict[int | str, dict[str, Any]] = {
    403: {"description": "Closing needs the operator, billing or admin role."},
    404: {"description": "No such customer."},
    409: {"description": "The period has not ended, or is closed already (reopen it first)."},
    422: {"description": "A period that cannot be read."},
}


@router.post(
    "/close",
    summary="Close a period for every customer",
    response_model=list[ClosedPublic],
    responses=CLOSE_RESPONSES,
)
def close_all(
    period: PeriodQuery, principal: PrincipalDep, clock: ClockDep, engine: EngineDep
) -> list[ClosedPublic]:
    """Each customer's results, credits and report over the ended period become final, with
    who closed it and when; customers whose period is closed already are left alone
    (`new: false`)."""
    done = closing.close_period(engine, principal, period, clock.now())
    return [ClosedPublic.of_closed(d) for d in done]


@router.post(
    "/{customer}/close",
    summary="Close a customer's period",
    response_model=ClosedPublic,
    responses=CLOSE_RESPONSES,
)
def close_one(
    customer: str, period: PeriodQuery, principal: PrincipalDep, clock: ClockDep, engine: EngineDep
) -> ClosedPublic:
    """The customer's results, credits and report over the ended period become final."""
    (done,) = closing.close_period(engine, principal, period, clock.now(), customer)
    return ClosedPublic.of_closed(done)


@router.post(
    "/{customer}/reopen",
    summary="Reopen a customer's closed period",
    response_model=ClosurePublic,
    responses={**CLOSE_RESPONSES, 409: {"description": "The period is not closed."}},
)
def reopen_one(
    customer: str,
    period: PeriodQuery,
    principal: PrincipalDep,
    clock: ClockDep,
    engine: EngineDep,
    reason: Annotated[str, Query(min_length=1, max_length=2000, description="Why.")],
) -> ClosurePublic:
    """A correction is due: the closed version is kept (marked reopened, with the reason);
    closing again makes the next version."""
    found = closing.reopen_period(engine, principal, customer, period, clock.now(), reason)
    return ClosurePublic.of_closure(found)


@router.get(
    "/adjustments",
    summary="Pending adjustments of closed periods",
    response_model=list[AdjustmentsPublic],
)
def pending_adjustments(
    period: PeriodQuery,
    principal: PrincipalDep,
    clock: ClockDep,
    engine: EngineDep,
    customer: Annotated[str | None, Query(description="Only this customer.")] = None,
) -> list[AdjustmentsPublic]:
    """For each closed period, what a new evaluation finds different from its final figures
    (late outages, measurements, corrected incidents). A customer token sees its own."""
    found = closing.adjustments(engine, principal, period, clock.now(), customer)
    return [AdjustmentsPublic.of_adjustments(a) for a in found]


@router.get(
    "/{customer}/versions",
    summary="Every close of a customer's period",
    response_model=list[VersionPublic],
)
def period_versions(
    customer: str, period: PeriodQuery, principal: PrincipalDep, clock: ClockDep, engine: EngineDep
) -> list[VersionPublic]:
    """Oldest first, each with its credits and the difference from the close before (what a
    correction bills or credits)."""
    found = closing.versions(engine, principal, customer, period, clock.now())
    return [VersionPublic.of_version(v) for v in found]


@router.get("/credits", summary="Final service credits", response_model=list[FinalCreditPublic])
def final_credits(
    principal: PrincipalDep,
    engine: EngineDep,
    customer: Annotated[str | None, Query(description="Only this customer.")] = None,
) -> list[FinalCreditPublic]:
    """The credits of closed periods (the input of invoicing), oldest period first. A customer
    token sees its own."""
    return [
        FinalCreditPublic(
            **CreditPublic.of_credit(f.credit).model_dump(),
            version=f.closure.version,
            closed_at=f.closure.closed_at,
        )
        for f in closing.final_credits(engine, principal, customer)
    ]


@router.get(
    "/rules",
    summary="Burn-rate rules for Prometheus",
    response_class=Response,
    responses={
        200: {
            "content": {"application/yaml": {"schema": RULE_FILE_SCHEMA}},
            "description": "A Prometheus rule file (recording and alerting rules).",
        },
        404: {"description": "No such agreement."},
    },
)
def prometheus_rules(
    principal: PrincipalDep,
    engine: EngineDep,
    agreement: Annotated[
        str | None, Query(max_length=200, description="Only this agreement's objectives.")
    ] = None,
) -> Response:
    """The recording and alerting rules Sloth and Pyrra would generate for every objective
    whose series lives in Prometheus (`prometheus: {error_query, total_query}` on its
    series): error ratios per window, and one multiwindow alert per burn-rate rule. Staff
    only."""
    groups = burn.prometheus_rules(engine, principal, agreement)
    return Response(rules_yaml(groups), media_type="application/yaml")


@router.post(
    "/burn-check", summary="Raise burn-rate warnings as events", response_model=BurnCheckPublic
)
def burn_check(
    principal: PrincipalDep, clock: ClockDep, engine: EngineDep, events: EventEngineDep
) -> BurnCheckPublic:
    """Evaluate the burn-rate rules of every availability objective over the last complete
    minutes and send each warning to event management (source ``servanda-slo``), where it is
    de-duplicated and correlated like any alert. Call it every few minutes; a check repeated
    stores nothing new. Needs the right to ingest events."""
    return BurnCheckPublic.of_check(burn.check_burn_rates(engine, events, principal, clock.now()))


@router.get(
    "/rollup",
    summary="Roll-ups per provider, service or customer",
    response_model=list[RollupPublic],
)
def rollup(
    period: PeriodQuery,
    principal: PrincipalDep,
    clock: ClockDep,
    engine: EngineDep,
    by: Annotated[RollupBy, Query(description="provider, service or customer.")] = (
        RollupBy.PROVIDER
    ),
) -> list[RollupPublic]:
    """Each objective rolled up per provider, service or customer over the period (final
    results where it is closed, provisional elsewhere; nothing stored): numerators and
    denominators added, never a mean of percentages. A customer token rolls up its own."""
    found = rollups.rollups(engine, principal, period, by, clock.now())
    return [RollupPublic.of_rollup(r) for r in found]
