"""``/api/v1/incidents``: incidents with filters, one incident in full, and its lifecycle.

    detected → acknowledged → corrected → validated → closed, and reopened

Every step records who, when and a note in the audit trail. Validation follows the
agreement's responsibilities: when the customer's agreement says the customer validates
corrections, that customer's token validates (staff cannot, an administrator may act for the
customer with ``on_behalf_of``). A customer token sees only incidents with an outage for its
party (others answer 404) and of those only what concerns it. A move the state does not allow
answers 409 with the reason.

A step may be recorded after the fact: ``at`` in the body says when it was made (a time in the
future answers 422; one before detection or before the incident's latest step 409), and
``POST /incidents/steps`` records the steps of a ticketing export, all or nothing, oldest
first; a step already in the trail at that time is skipped, so sending the same steps twice
changes nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import Engine

from servanda.api.deps import ClockDep, EngineDep, PrincipalDep
from servanda.api.errors import ERROR_RESPONSES, UNLOCATED_FILE
from servanda.api.guard import MAX_INT, Instant
from servanda.api.routers.events import EventEngineDep, read_json
from servanda.api.routers.measurements import bad_body, request_body, under_body
from servanda.api.schemas_events import (
    IncidentPublic,
    IncidentSummaryPublic,
    LifecycleNote,
    StepBatch,
    StepImportPublic,
    ValidationNote,
)
from servanda.core.access import Principal
from servanda.core.problems import InvalidInput
from servanda.events.incidents import IncidentState
from servanda.events.lifecycle import Move
from servanda.ingest.lifecycle_steps import parse_steps_json
from servanda.services import incidents as cases
from servanda.services import lifecycle_steps as steps
from servanda.services.events import EventEngine
from servanda.services.lifecycle_steps import StepImport

router = APIRouter(prefix="/incidents", tags=["incidents"], responses=ERROR_RESPONSES)

NOT_VISIBLE: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such incident, or not visible to this token."},
}
MOVE_RESPONSES: dict[int | str, dict[str, Any]] = {
    **NOT_VISIBLE,
    409: {"description": "The incident's state (or the agreement) does not allow this move."},
}


@router.get("", summary="List incidents", response_model=list[IncidentSummaryPublic])
def list_incidents(
    engine: EngineDep,
    principal: PrincipalDep,
    state: Annotated[list[IncidentState], Query(description="Only these states (repeat).")] = [],  # noqa: B006
    service: Annotated[str | None, Query(description="Only those with an outage of it.")] = None,
    customer: Annotated[str | None, Query(description="Only those impacting it.")] = None,
    since: Annotated[Instant | None, Query(description="Lasting after this time.")] = None,
    until: Annotated[Instant | None, Query(description="Detected before this time.")] = None,
    root: Annotated[str | None, Query(description="Only those with this root node.")] = None,
    planned: Annotated[bool | None, Query(description="Planned (maintenance) or not.")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_INT)] = 0,
) -> list[IncidentSummaryPublic]:
    """Incidents matching every filter, latest detected first; merged ones are left out."""
    found = cases.list_incidents(
        engine, principal, states=tuple(state), service=service, customer=customer,
        since=since, until=until, root=root, planned=planned, limit=limit,
        offset=offset,
    )  # fmt: skip
    return [IncidentSummaryPublic.of_incident(i) for i in found]


@router.get(
    "/{incident_id}",
    summary="Get an incident",
    response_model=IncidentPublic,
    responses=NOT_VISIBLE,
)
def get_incident(incident_id: str, engine: EngineDep, principal: PrincipalDep) -> IncidentPublic:
    """The root, symptoms each with its reason, impacted services and customers (full or
    partial), degraded redundancy, outages, the planned flag and the audit trail."""
    return IncidentPublic.of_detail(cases.get_incident(engine, principal, incident_id))


def _move(
    events: EventEngine,
    db: Engine,
    principal: Principal,
    incident_id: str,
    action: Move,
    now: datetime,
    body: LifecycleNote | None,
) -> IncidentPublic:
    note = body.note if body is not None else ""
    at = body.at if body is not None else None
    on_behalf_of = body.on_behalf_of if isinstance(body, ValidationNote) else None
    try:
        steps.record_step(events, principal, incident_id, action, now, at=at, note=note,
                          on_behalf_of=on_behalf_of)  # fmt: skip
    except InvalidInput as exc:
        raise InvalidInput(under_body(exc.problems)) from None
    return IncidentPublic.of_detail(cases.get_incident(db, principal, incident_id))


async def _step(
    events: EventEngine,
    db: Engine,
    principal: Principal,
    incident_id: str,
    action: Move,
    now: datetime,
    body: LifecycleNote | None,
) -> IncidentPublic:
    return await run_in_threadpool(_move, events, db, principal, incident_id, action, now, body)


def _import(events: EventEngine, principal: Principal, body: bytes, now: datetime) -> StepImport:
    """Parse the body and record its steps (all of them, or nothing)."""
    rows, problems = parse_steps_json(read_json(body), file=UNLOCATED_FILE)
    if problems:
        raise InvalidInput(under_body(problems))
    try:
        return steps.import_steps(events, principal, rows, now)
    except InvalidInput as exc:
        raise InvalidInput(under_body(exc.problems)) from None


@router.post(
    "/steps",
    summary="Record lifecycle steps from a ticketing export",
    response_model=StepImportPublic,
    responses={
        **bad_body('["body", "steps", 2, "time"]'),
        409: {
            "description": "Another process moved an incident while the steps were recorded; "
            "the steps before stay recorded, sending the batch again records the rest."
        },
    },
    openapi_extra=request_body(StepBatch),
)
async def import_steps(
    request: Request,
    principal: PrincipalDep,
    clock: ClockDep,
    events: EventEngineDep,
) -> StepImportPublic:
    """`{"steps": [...]}`, each naming its incident (`incident`, an id) or one of its alerts
    (`alert`, a fingerprint), the `step` (`ack`, `correct`, `validate`, `close`, `reopen`),
    its `time` with its offset, and optionally `by`, `note` and `on_behalf_of`. All or
    nothing: every bad step is reported at the path of its field (an unknown incident, a time
    in the future or before the incident's latest step, a move the state or the agreement does
    not allow) and nothing is recorded. Steps are recorded oldest first; a step already in
    the trail at that time is skipped and counted. Operator and admin tokens; only an admin
    may name who acted (`by`)."""
    body = await request.body()
    now = clock.now()
    done = await run_in_threadpool(_import, events, principal, body, now)
    return StepImportPublic.of_import(done)


@router.post(
    "/{incident_id}/ack",
    summary="Acknowledge an incident",
    response_model=IncidentPublic,
    responses=MOVE_RESPONSES,
)
async def acknowledge(
    incident_id: str,
    principal: PrincipalDep,
    clock: ClockDep,
    events: EventEngineDep,
    db: EngineDep,
    body: LifecycleNote | None = None,
) -> IncidentPublic:
    """detected → acknowledged: someone is on it (the first acknowledgement gives MTTA)."""
    return await _step(events, db, principal, incident_id, "acknowledge", clock.now(), body)


@router.post(
    "/{incident_id}/correct",
    summary="Mark an incident corrected",
    response_model=IncidentPublic,
    responses=MOVE_RESPONSES,
)
async def correct(
    incident_id: str,
    principal: PrincipalDep,
    clock: ClockDep,
    events: EventEngineDep,
    db: EngineDep,
    body: LifecycleNote | None = None,
) -> IncidentPublic:
    """acknowledged → corrected: the fault is fixed."""
    return await _step(events, db, principal, incident_id, "correct", clock.now(), body)


@router.post(
    "/{incident_id}/validate",
    summary="Validate a correction",
    response_model=IncidentPublic,
    responses=MOVE_RESPONSES,
)
async def validate(
    incident_id: str,
    principal: PrincipalDep,
    clock: ClockDep,
    events: EventEngineDep,
    db: EngineDep,
    body: ValidationNote | None = None,
) -> IncidentPublic:
    """corrected → validated, by whoever the impacted customers' agreements name
    (`validates_correction`): the provider's staff by default, the customer's own token when
    the agreement says the customer validates."""
    return await _step(events, db, principal, incident_id, "validate", clock.now(), body)


@router.post(
    "/{incident_id}/close",
    summary="Close an incident",
    response_model=IncidentPublic,
    responses=MOVE_RESPONSES,
)
async def close(
    incident_id: str,
    principal: PrincipalDep,
    clock: ClockDep,
    events: EventEngineDep,
    db: EngineDep,
    body: LifecycleNote | None = None,
) -> IncidentPublic:
    """validated → closed (corrected → closed when no agreement asks for validation)."""
    return await _step(events, db, principal, incident_id, "close", clock.now(), body)


@router.post(
    "/{incident_id}/reopen",
    summary="Reopen an incident",
    response_model=IncidentPublic,
    responses=MOVE_RESPONSES,
)
async def reopen(
    incident_id: str,
    principal: PrincipalDep,
    clock: ClockDep,
    events: EventEngineDep,
    db: EngineDep,
    body: LifecycleNote | None = None,
) -> IncidentPublic:
    """corrected, validated or closed → detected: the fault is back."""
    return await _step(events, db, principal, incident_id, "reopen", clock.now(), body)
