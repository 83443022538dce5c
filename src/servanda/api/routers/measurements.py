"""``/api/v1/measurements`` and ``/api/v1/attestations``: measurements of declared series in, a
series summarised; attestations of policy controls in and listed.

The POST routes read the raw body themselves, as the event routes do: the parsers
(:mod:`servanda.ingest.measurements`, :mod:`servanda.ingest.attestations`) report every
problem at the path of its field, and a batch is all or nothing, so a malformed one answers
422 with ``loc`` such as ``["body", "measurements", 3, "value"]`` and stores nothing. Invalid
JSON answers 422 with its line and column; a body over ``max_body_bytes`` answers 413 before it
is read. Parsing and storage run in the thread pool, off the event loop.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import Engine

from servanda.api.deps import ClockDep, EngineDep, PrincipalDep, require
from servanda.api.errors import ERROR_RESPONSES, UNLOCATED_FILE
from servanda.api.guard import Instant
from servanda.api.routers.events import read_json
from servanda.api.schemas_events import inline_schema
from servanda.api.schemas_measure import (
    AttestationBatch,
    AttestationCountsPublic,
    AttestationPublic,
    MeasurementBatch,
    MeasurementCountsPublic,
    SeriesSummaryPublic,
)
from servanda.core.access import Action, Principal
from servanda.core.problems import InvalidInput, Problem
from servanda.ingest.attestations import parse_attestations_json
from servanda.ingest.measurements import parse_measurements_json
from servanda.services import measurements as cases
from servanda.services.measurements import AttestationCounts, MeasurementCounts

router = APIRouter(prefix="/measurements", tags=["measurements"], responses=ERROR_RESPONSES)
attestations_router = APIRouter(
    prefix="/attestations", tags=["attestations"], responses=ERROR_RESPONSES
)

UsagePrincipal = Annotated[Principal, Depends(require(Action.INGEST_USAGE))]
AttestPrincipal = Annotated[Principal, Depends(require(Action.ATTEST))]


def bad_body(example: str) -> dict[int | str, dict[str, Any]]:
    """The 413 and 422 answers of a route reading a batch, for the OpenAPI document."""
    return {
        413: {"description": "The body is larger than the server's `max_body_bytes`."},
        422: {
            "description": "Invalid JSON (with line and column) or a bad record: every problem "
            f"with the path of its field, e.g. `{example}`. Nothing of the batch is stored."
        },
    }


def under_body(problems: Iterable[Problem]) -> list[Problem]:
    """``problems`` located under the request body (``loc`` starting with ``"body"``)."""
    return [dataclasses.replace(p, path=("body", *p.path)) for p in problems]


def request_body(schema: type[Any]) -> dict[str, Any]:
    """``openapi_extra`` documenting a JSON body the route reads itself."""
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": inline_schema(schema)}},
        }
    }


# -- measurements ----------------------------------------------------------------------------


def _ingest(
    engine: Engine, principal: Principal, body: bytes, now: datetime, replace: bool
) -> MeasurementCounts:
    """Parse the body against the declared series and store it (all of it, or nothing)."""
    data = read_json(body)
    series = cases.series_by_id(engine)
    found, problems = parse_measurements_json(data, series_by_id=series, file=UNLOCATED_FILE)
    if problems:
        raise InvalidInput(under_body(problems))
    try:  # checked again against the series declared then, in the transaction that stores
        return cases.ingest_measurements(engine, principal, found, now, replace=replace)
    except InvalidInput as exc:
        raise InvalidInput(under_body(exc.problems)) from None


@router.post(
    "",
    summary="Receive a batch of measurements",
    response_model=MeasurementCountsPublic,
    responses=bad_body('["body", "measurements", 3, "value"]'),
    openapi_extra=request_body(MeasurementBatch),
)
async def post_measurements(
    request: Request,
    principal: UsagePrincipal,
    clock: ClockDep,
    engine: EngineDep,
    replace: Annotated[
        bool,
        Query(description="Overwrite a measurement stored under the same key (a correction)."),
    ] = False,
) -> MeasurementCountsPublic:
    """`{"measurements": [...]}`, each naming a declared series and carrying what its kind
    needs. A measurement is identified by its series, `at`, `start`, `sent_at` and `sequence`:
    sending the same batch again stores nothing new. An unknown series, a missing or negative
    value, `good` over `total` are problems at the path of their field. Ingest, billing and
    admin tokens."""
    body = await request.body()
    now = clock.now()
    counts = await run_in_threadpool(_ingest, engine, principal, body, now, replace)
    return MeasurementCountsPublic.of_counts(counts)


@router.get(
    "/{series}/summary",
    summary="Summarise a series",
    response_model=SeriesSummaryPublic,
    responses={
        404: {"description": "No such series, or not visible to this token."},
        422: {"description": "The period ends before it starts."},
    },
)
def series_summary(
    series: str,
    engine: EngineDep,
    principal: PrincipalDep,
    clock: ClockDep,
    since: Annotated[Instant | None, Query(description="Start (default: a day before).")] = None,
    until: Annotated[Instant | None, Query(description="End, excluded (default: now).")] = None,
) -> SeriesSummaryPublic:
    """The measurements of a series taken in `[since, until)`: how many, the first and last,
    and the minimum, mean and maximum of their values (for count series Σgood, Σtotal and
    their ratio). Customers read the series about themselves or the services they take."""
    end = until or clock.now()
    start = since or end - timedelta(days=1)
    summary = cases.summarise_series(engine, principal, series, start, end)
    return SeriesSummaryPublic.of_summary(summary)


# -- attestations ----------------------------------------------------------------------------


def _attest(engine: Engine, principal: Principal, body: bytes) -> AttestationCounts:
    """Parse the body and store its attestations (all of them, or nothing)."""
    principal.require(Action.ATTEST)
    found, problems = parse_attestations_json(read_json(body), file=UNLOCATED_FILE)
    if problems:
        raise InvalidInput(under_body(problems))
    try:
        return cases.record_attestations(engine, principal, found)
    except InvalidInput as exc:
        raise InvalidInput(under_body(exc.problems)) from None


@attestations_router.post(
    "",
    summary="Record attestations of policy controls",
    response_model=AttestationCountsPublic,
    responses=bad_body('["body", "attestations", 0, "control"]'),
    openapi_extra=request_body(AttestationBatch),
)
async def post_attestations(
    request: Request, principal: AttestPrincipal, engine: EngineDep
) -> AttestationCountsPublic:
    """`{"attestations": [...]}`: that a control of a declared policy clause was (or was not)
    met over `[period_start, period_end)`. A later attestation of the same control and period
    replaces the earlier one; sending one again unchanged changes nothing. Operator and admin
    tokens."""
    body = await request.body()
    counts = await run_in_threadpool(_attest, engine, principal, body)
    return AttestationCountsPublic.of_counts(counts)


@attestations_router.get("", summary="List attestations", response_model=list[AttestationPublic])
def get_attestations(
    engine: EngineDep,
    principal: PrincipalDep,
    policy: Annotated[str | None, Query(description="Only of this policy clause.")] = None,
    control: Annotated[str | None, Query(description="Only of this control.")] = None,
    since: Annotated[Instant | None, Query(description="Periods ending after this.")] = None,
    until: Annotated[Instant | None, Query(description="Periods starting before this.")] = None,
) -> list[AttestationPublic]:
    """Attestations by policy clause, control and period. Customers see those of the policy
    clauses of the agreements they see."""
    found = cases.list_attestations(
        engine, principal, policy=policy, control=control, since=since,
        until=until,
    )  # fmt: skip
    return [AttestationPublic.of_attestation(a) for a in found]
