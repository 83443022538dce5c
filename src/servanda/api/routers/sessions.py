"""``/api/v1/sessions`` and ``/api/v1/balances``: online charging of ongoing sessions, in the
spirit of Diameter credit control (RFC 4006), and prepaid balances.

``POST /sessions`` initiates (authorise and reserve the first interval), ``…/{id}/update``
reports use since the last request and asks for the next, ``…/{id}/terminate`` reports the
last use and releases the rest. Quantities are seconds for calls, conference legs, streams and
QoS links, octets for data, units for messages. Each request after the first carries its
number (1, 2 …): a request sent again gets the same answer; one out of order answers 409.
Ingest, billing and admin tokens charge; balances are topped up by billing and admin tokens.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.concurrency import run_in_threadpool
from pydantic import Field

from servanda.accounting.charging import BucketKind
from servanda.api.deps import ClockDep, EngineDep, require
from servanda.api.errors import ERROR_RESPONSES
from servanda.api.routers.measurements import UsagePrincipal
from servanda.api.schemas import PublicModel
from servanda.core.access import Action, Principal
from servanda.ingest.charging_requests import SessionCreate, SessionEnd, SessionReport, TopUp
from servanda.services import charging
from servanda.services.charging import Answer, SessionRequest

router = APIRouter(tags=["online charging"], responses=ERROR_RESPONSES)

REPORTED: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such session."},
    409: {"description": "A request out of its order, or a session that ended."},
}

BillingPrincipal = Annotated[Principal, Depends(require(Action.READ))]


class AnswerPublic(PublicModel):
    """A credit-control answer."""

    session: str
    state: str = Field(description="`open`, `terminated` or `expired`.")
    granted: int = Field(description="Granted for the next interval (seconds, octets, units).")
    validity: int = Field(description="Seconds the grant holds without a report.")
    final: bool = Field(description="The final-unit indication: no more will be granted.")
    reason: str | None
    used: int
    debited: Decimal
    reserved: Decimal
    currency: str | None
    balance: Decimal | None = Field(description="Money left to the account (null: postpaid).")

    @classmethod
    def of(cls, a: Answer) -> AnswerPublic:
        """The public view."""
        return cls(**a.as_dict())


class BucketPublic(PublicModel):
    """A prepaid balance."""

    id: int
    account: str
    kind: BucketKind
    amount: Decimal
    currency: str | None
    expires_at: datetime | None


@router.post(
    "/sessions",
    summary="Initiate a charged session",
    response_model=AnswerPublic,
    responses={409: {"description": "The session id is taken by another session."}},
)
async def post_session(
    body: SessionCreate, principal: UsagePrincipal, clock: ClockDep, engine: EngineDep
) -> AnswerPublic:
    """Authorise the session and reserve its first interval."""
    now = clock.now()
    request = SessionRequest(
        account=body.account, category=body.category, start=body.start or now,
        service=body.service, subject=body.subject, destination=body.destination,
    )  # fmt: skip
    answer = await run_in_threadpool(
        charging.initiate, engine, principal, request, body.requested, now,
        session_id=body.session_id,
    )  # fmt: skip
    return AnswerPublic.of(answer)


@router.post(
    "/sessions/{session_id}/update",
    summary="Report use, ask for more",
    response_model=AnswerPublic,
    responses=REPORTED,
)
async def post_update(
    session_id: str,
    body: SessionReport,
    principal: UsagePrincipal,
    clock: ClockDep,
    engine: EngineDep,
) -> AnswerPublic:
    """Debit the use since the last request and reserve the next interval."""
    answer = await run_in_threadpool(
        charging.update_session, engine, principal, session_id, body.request_number,
        body.used, body.requested, clock.now(),
    )  # fmt: skip
    return AnswerPublic.of(answer)


@router.post(
    "/sessions/{session_id}/terminate",
    summary="End a charged session",
    response_model=AnswerPublic,
    responses=REPORTED,
)
async def post_terminate(
    session_id: str, body: SessionEnd, principal: UsagePrincipal, clock: ClockDep, engine: EngineDep
) -> AnswerPublic:
    """Debit the last use, release the rest, store the session's usage."""
    answer = await run_in_threadpool(
        charging.terminate, engine, principal, session_id, body.request_number, body.used,
        clock.now(),
    )  # fmt: skip
    return AnswerPublic.of(answer)


@router.post("/balances", summary="Top up an account", response_model=BucketPublic)
async def post_balance(
    body: TopUp, principal: BillingPrincipal, clock: ClockDep, engine: EngineDep
) -> BucketPublic:
    """Add money or units (a top-up with a `reference` sent twice is stored once)."""
    bucket = await run_in_threadpool(
        charging.top_up, engine, principal, body.account, body.kind, body.amount, clock.now(),
        currency=body.currency, expires_at=body.expires_at, reference=body.reference,
    )  # fmt: skip
    return BucketPublic(**{k: getattr(bucket, k) for k in BucketPublic.model_fields})


@router.get("/balances/{account}", summary="An account's balances",
            response_model=list[BucketPublic])  # fmt: skip
async def get_balances(
    account: str, principal: BillingPrincipal, engine: EngineDep
) -> list[BucketPublic]:
    """Every bucket of the account."""
    found = await run_in_threadpool(charging.balances, engine, principal, account)
    return [BucketPublic(**{k: getattr(b, k) for k in BucketPublic.model_fields}) for b in found]
