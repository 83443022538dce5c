"""``/api/v1/usage``: metered usage in (JSON batches), the quarantine listed and retried.

The POST route reads the raw body itself, as the measurement routes do: a batch is checked
all or nothing (422 with the path of every bad field, nothing stored), then stored once per
key and rated (:mod:`servanda.services.usage`): ingest, billing and admin tokens. The
quarantine is listed and retried by billing and admin tokens.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import Engine

from servanda.api.deps import ClockDep, EngineDep, require
from servanda.api.errors import ERROR_RESPONSES, UNLOCATED_FILE
from servanda.api.routers.events import read_json
from servanda.api.routers.measurements import UsagePrincipal, bad_body, request_body, under_body
from servanda.api.schemas_usage import RejectedPublic, RetryPublic, UsageBatch, UsageSummaryPublic
from servanda.core.access import Action, Principal
from servanda.core.problems import InvalidInput
from servanda.ingest.record_files import parse_record_data
from servanda.ingest.usage_files import usage_reader
from servanda.services import usage as cases

router = APIRouter(prefix="/usage", tags=["usage"], responses=ERROR_RESPONSES)

StaffPrincipal = Annotated[Principal, Depends(require(Action.READ))]
"""The quarantine is billing staff's work: tokens that read and ingest usage (billing,
admin), not the write-only tokens of collectors."""


def _ingest(engine: Engine, principal: Principal, body: bytes, now: datetime) -> cases.UsageSummary:
    data = read_json(body)
    found, problems = parse_record_data(data, usage_reader(), file=UNLOCATED_FILE)
    if problems:
        raise InvalidInput(under_body(problems))
    return cases.ingest_usage(engine, principal, found, now, origins="api")


@router.post(
    "",
    summary="Receive a batch of usage",
    response_model=UsageSummaryPublic,
    responses=bad_body('["body", "usage", 3, "start"]'),
    openapi_extra=request_body(UsageBatch),
)
async def post_usage(
    request: Request, principal: UsagePrincipal, clock: ClockDep, engine: EngineDep
) -> UsageSummaryPublic:
    """`{"usage": [...]}`. A record is identified by `source` and `record_id`: sending the same
    batch again stores and charges nothing new. A record that differs from the stored version
    of its key is taken only as a correction (`corrects`: the stored version), with the old
    charge reversed; otherwise it is quarantined. Usage no tariff rates is stored and
    quarantined until a retry after the tariffs are fixed."""
    body = await request.body()
    summary = await run_in_threadpool(_ingest, engine, principal, body, clock.now())
    return UsageSummaryPublic.of(summary)


@router.get("/rejected", summary="List quarantined usage", response_model=list[RejectedPublic])
async def get_rejected(
    principal: StaffPrincipal,
    engine: EngineDep,
    include_resolved: Annotated[bool, Query(description="Also those dealt with.")] = False,
) -> list[RejectedPublic]:
    """What was refused or not rated, where it came from and why, oldest first."""
    found = await run_in_threadpool(
        cases.rejected, engine, principal, include_resolved=include_resolved
    )
    return [RejectedPublic.of(r) for r in found]


@router.post("/retry", summary="Retry quarantined usage", response_model=RetryPublic)
async def post_retry(
    principal: StaffPrincipal,
    clock: ClockDep,
    engine: EngineDep,
    ids: Annotated[list[int] | None, Query(description="Only these (default: all).")] = None,
    as_corrections: Annotated[
        bool, Query(description="Take refused records as corrections of the stored version.")
    ] = False,
) -> RetryPublic:
    """Rate stored usage with the tariffs as they are now; take refused records again."""
    result = await run_in_threadpool(
        cases.retry_rejected, engine, principal, clock.now(), ids, as_corrections=as_corrections
    )
    return RetryPublic.of(result)
