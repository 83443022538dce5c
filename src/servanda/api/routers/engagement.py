"""``/api/v1/feedback`` and ``/api/v1/reviews``: customer feedback (CSAT, NPS, comments) and
notes of listening sessions and service reviews, in and listed.

Feedback comes in batches read from the raw body, as measurements do (see
:mod:`servanda.api.routers.measurements`): all or nothing, every problem at the path of its
field. A review is one JSON object. A customer token records and reads only its own party's
feedback and reviews; naming another customer answers 404, as for one that does not exist.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, status
from fastapi.concurrency import run_in_threadpool
from pydantic import ValidationError
from sqlalchemy import Engine

from servanda.api.deps import ClockDep, EngineDep, PrincipalDep, require
from servanda.api.errors import ERROR_RESPONSES, UNLOCATED_FILE
from servanda.api.guard import Day, Instant
from servanda.api.routers.events import read_json
from servanda.api.routers.measurements import bad_body, request_body, under_body
from servanda.api.schemas_measure import (
    FeedbackBatch,
    FeedbackCountsPublic,
    FeedbackPublic,
    ReviewCreate,
    ReviewPublic,
)
from servanda.core.access import Action, Principal
from servanda.core.problems import InvalidInput, Problem
from servanda.ingest.feedback import parse_feedback_json
from servanda.services import engagement as cases
from servanda.services.engagement import FeedbackCounts

feedback_router = APIRouter(prefix="/feedback", tags=["feedback"], responses=ERROR_RESPONSES)
reviews_router = APIRouter(prefix="/reviews", tags=["reviews"], responses=ERROR_RESPONSES)

FeedbackPrincipal = Annotated[Principal, Depends(require(Action.RECORD_FEEDBACK))]

NOT_VISIBLE: dict[int | str, dict[str, Any]] = {
    404: {"description": "A customer token named another customer."},
}


def _record(engine: Engine, principal: Principal, body: bytes, now: datetime) -> FeedbackCounts:
    """Parse the body and store its feedback (all of it, or nothing)."""
    found, problems = parse_feedback_json(read_json(body), file=UNLOCATED_FILE)
    if problems:
        raise InvalidInput(under_body(problems))
    try:
        return cases.record_feedback(engine, principal, found, now)
    except InvalidInput as exc:
        raise InvalidInput(under_body(exc.problems)) from None


@feedback_router.post(
    "",
    summary="Record customer feedback",
    response_model=FeedbackCountsPublic,
    responses={**bad_body('["body", "feedback", 2, "csat"]'), **NOT_VISIBLE},
    openapi_extra=request_body(FeedbackBatch),
)
async def post_feedback(
    request: Request, principal: FeedbackPrincipal, clock: ClockDep, engine: EngineDep
) -> FeedbackCountsPublic:
    """`{"feedback": [...]}`: each answer names a customer and when it was given, and gives a
    CSAT score (1–5), an NPS score (0–10) or a comment; optionally the service (one the
    customer takes), the incident it is about, the channel and the respondent. An answer is
    identified by its customer, time, service, respondent and channel: importing the same
    answers again stores nothing new. Operator, admin, and customer tokens (their own)."""
    body = await request.body()
    now = clock.now()
    counts = await run_in_threadpool(_record, engine, principal, body, now)
    return FeedbackCountsPublic.of_counts(counts)


@feedback_router.get(
    "", summary="List feedback", response_model=list[FeedbackPublic], responses=NOT_VISIBLE
)
def get_feedback(
    engine: EngineDep,
    principal: PrincipalDep,
    customer: Annotated[str | None, Query(description="Only this customer's.")] = None,
    service: Annotated[str | None, Query(description="Only about this service.")] = None,
    since: Annotated[Instant | None, Query(description="Given at or after this.")] = None,
    until: Annotated[Instant | None, Query(description="Given before this.")] = None,
) -> list[FeedbackPublic]:
    """Feedback, oldest first. A customer token sees only its own."""
    found = cases.list_feedback(
        engine, principal, customer=customer, service=service, since=since,
        until=until,
    )  # fmt: skip
    return [FeedbackPublic.of_stored(s) for s in found]


def _review_problems(exc: ValidationError) -> list[Problem]:
    return [
        Problem(str(e["msg"]).removeprefix("Value error, "), path=("body", *e["loc"]))
        for e in exc.errors(include_url=False)
    ]


@reviews_router.post(
    "",
    summary="Record a review",
    response_model=ReviewPublic,
    status_code=status.HTTP_201_CREATED,
    responses={
        **NOT_VISIBLE,
        422: {"description": "A bad field, an unknown customer or a service it does not take."},
    },
)
def post_review(
    body: ReviewCreate, engine: EngineDep, principal: FeedbackPrincipal, clock: ClockDep
) -> ReviewPublic:
    """Notes of a listening session or service review with a customer, with the actions agreed
    (`{"text", "owner", "due"}`). Each call records a new review. Operator, admin, and customer
    tokens (their own)."""
    try:
        review = body.to_review()
    except ValidationError as exc:
        raise InvalidInput(_review_problems(exc)) from None
    try:
        stored = cases.record_review(engine, principal, review, clock.now())
    except InvalidInput as exc:
        raise InvalidInput(under_body(exc.problems)) from None
    return ReviewPublic.of_stored(stored)


@reviews_router.get(
    "", summary="List reviews", response_model=list[ReviewPublic], responses=NOT_VISIBLE
)
def get_reviews(
    engine: EngineDep,
    principal: PrincipalDep,
    customer: Annotated[str | None, Query(description="Only with this customer.")] = None,
    service: Annotated[str | None, Query(description="Only about this service.")] = None,
    since: Annotated[Day | None, Query(description="Held on or after this day.")] = None,
    until: Annotated[Day | None, Query(description="Held before this day.")] = None,
) -> list[ReviewPublic]:
    """Reviews, oldest first. A customer token sees only its own."""
    found = cases.list_reviews(
        engine, principal, customer=customer, service=service, since=since, until=until
    )
    return [ReviewPublic.of_stored(s) for s in found]
