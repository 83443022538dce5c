"""``/api/v1/events``: monitoring events in (Alertmanager webhooks, the generic JSON format),
the events no rule mapped, and saturation figures.

The ingestion routes read the raw body themselves: the parsers
(:mod:`servanda.ingest.alertmanager`, :mod:`servanda.ingest.generic`) report every problem at
the path of its field, and a batch is all or nothing, so a malformed payload answers 422 with
``loc`` such as ``["body", "alerts", 3, "startsAt"]`` and stores nothing. Invalid JSON (nested
too deep included) answers 422 with the line and column; a body over ``max_body_bytes``
answers 413 before it is read.

The Alertmanager webhook is on :data:`webhook_router`, with a limit of its own
(``alertmanager_max_body_bytes``, 256 MiB by default) that the route applies as it streams the
body: a storm's group must arrive whole, since Alertmanager never sends again a notification
answered 4xx. A notification over that limit, or one Alertmanager truncated (``max_alerts``),
is recorded as an alert of Servanda's own (:mod:`servanda.ingest.notices`).

Parsing, correlation and storage run in the thread pool, off the event loop. One
:class:`~servanda.services.events.EventEngine` per application does the correlation (see
:class:`EventEngines`); it serialises batches, so concurrent senders queue on it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from sqlalchemy import Engine

from servanda.api.body import Oversize, read_body
from servanda.api.deps import ClockDep, EngineDep, PrincipalDep, require
from servanda.api.errors import ERROR_RESPONSES, UNLOCATED_FILE
from servanda.api.guard import MAX_INT, Instant, value_problems
from servanda.api.schemas_events import (
    EventLogPublic,
    IngestResultPublic,
    SaturationPublic,
    UnmappedEventPublic,
    UnmappedPagePublic,
    inline_schema,
)
from servanda.core.access import Action, Principal
from servanda.core.problems import InvalidInput, Problem
from servanda.events.correlate import CorrelationSettings
from servanda.events.model import Event
from servanda.ingest.alertmanager import (
    AlertmanagerFormat,
    AlertmanagerPayload,
    parse_alertmanager,
)
from servanda.ingest.generic import GenericBatch, parse_generic
from servanda.ingest.json_input import decode_json
from servanda.ingest.notices import oversize_notice, truncation_notice
from servanda.services import incidents as cases
from servanda.services.event_clock import EventClock
from servanda.services.events import EventEngine, IngestResult

router = APIRouter(prefix="/events", tags=["events"], responses=ERROR_RESPONSES)
webhook_router = APIRouter(prefix="/events", tags=["events"], responses=ERROR_RESPONSES)
"""The Alertmanager webhook, included with a body limit of its own (see the module)."""


class EventEngines:
    """The application's one event engine, made on first use and shared by every request.

    The engine notices a configuration loaded by any process (a new load run) and rebuilds its
    state from storage; :meth:`reload` makes it do so at once (after loading in this process).
    """

    def __init__(self, engine: Engine, settings: CorrelationSettings | None = None) -> None:
        self._db = engine
        self._settings = settings
        self._lock = threading.Lock()
        self._engine: EventEngine | None = None
        self._clock: EventClock | None = None

    def get(self) -> EventEngine:
        """The engine (created on first call)."""
        found = self._engine
        if found is None:
            with self._lock:
                if self._engine is None:
                    self._engine = EventEngine(self._db, self._settings)
                found = self._engine
        return found

    def reload(self) -> None:
        """Rebuild the engine's state from storage on its next use."""
        if self._engine is not None:
            self._engine.reload()

    def start_clock(self) -> None:
        """Take time-based decisions on time (every ``SERVANDA_EVENTS_TICK``) from now on."""
        if self._clock is None:
            self._clock = EventClock(self.get, self.get().journal.tick)
            self._clock.start()

    def close(self) -> None:
        """Stop the clock, save a snapshot and give the correlator lease up."""
        if self._clock is not None:
            self._clock.stop()
            self._clock = None
        if self._engine is not None:
            try:
                self._engine.close()
            except Exception:  # the database is down: the lease runs out by itself
                logging.getLogger(__name__).warning("could not give the correlator lease up")


async def get_event_engine(request: Request) -> EventEngine:
    """The event engine of the application."""
    engines: EventEngines = request.app.state.events
    return engines.get()


EventEngineDep = Annotated[EventEngine, Depends(get_event_engine)]
IngestPrincipal = Annotated[Principal, Depends(require(Action.INGEST_EVENTS))]

Body = bytes | bytearray
Parser = Callable[[Body, datetime], tuple[list[Event], list[Problem]]]
"""A raw body and the receiving time, to events or problems."""

BAD_BODY: dict[int | str, dict[str, Any]] = {
    413: {"description": "The body is larger than the server's `max_body_bytes`."},
    422: {
        "description": "Invalid JSON (with line and column) or a malformed payload: every "
        'problem with the path of its field, e.g. `["body", "alerts", 3, "startsAt"]`. '
        "Nothing of the batch is stored."
    },
}


def read_json(body: Body, *, checked: bool = True) -> Any:
    """The JSON document of a request body, or :class:`InvalidInput` at its line and column
    (never an exception of the decoder, however deep or broken the body). ``checked``: its
    strings, integers and numbers are checked as :mod:`servanda.api.guard` checks every
    request (the event routes' parsers check their own, cheaper on a storm's body)."""
    if not body.strip():
        raise InvalidInput([Problem("the body is empty; send a JSON document", path=("body",))])
    data, problems = decode_json(body, UNLOCATED_FILE, ("body",))
    if not problems and checked:
        problems = value_problems(data, ("body",))
    if problems:
        raise InvalidInput(problems)
    return data


def parse_body(body: Body, parser: Parser, received_at: datetime) -> list[Event]:
    """The events of a raw body, or :class:`InvalidInput` with every problem under ``body``."""
    events, problems = parser(body, received_at)
    if problems:
        raise InvalidInput([replace(p, path=("body", *p.path)) for p in problems])
    return events


def ingest_body(
    events: EventEngine, principal: Principal, body: Body, parser: Parser, now: datetime
) -> IngestResult:
    """Parse, then store and correlate the batch (all of it, or nothing)."""
    return events.ingest(principal, parse_body(body, parser, now), now)


def _alertmanager(body: Body, received_at: datetime) -> tuple[list[Event], list[Problem]]:
    """The alerts of a webhook body, and the notice of a truncated notification."""
    try:  # pydantic reads the JSON itself: twice as fast as decoding, then validating
        payload = AlertmanagerPayload.model_validate_json(body)
    except ValidationError:  # read again to locate and word every problem
        return parse_alertmanager(
            read_json(body, checked=False), received_at=received_at, file=UNLOCATED_FILE
        )
    events, problems = AlertmanagerFormat.from_payload(
        payload, received_at=received_at, file=UNLOCATED_FILE
    )
    notice = truncation_notice(payload)
    if notice is not None and not problems:
        events.append(notice)
    return events, problems


def _too_large(
    events: EventEngine, principal: Principal, body: Oversize, limit: int, now: datetime
) -> JSONResponse:
    """413 for a webhook over ``limit``, once the notice of it is stored."""
    events.ingest(principal, [oversize_notice(body.head, body.size, limit, now)], now)
    message = (
        f"the notification is {body.size:,} bytes, over the limit of {limit:,} "
        "(SERVANDA_ALERTMANAGER_MAX_BODY_BYTES); it is recorded as an alert "
        "(ServandaNotificationTooLarge): raise the limit or set max_alerts"
    )
    return JSONResponse({"detail": message}, status_code=status.HTTP_413_CONTENT_TOO_LARGE)


@webhook_router.post(
    "/alertmanager",
    summary="Receive an Alertmanager webhook",
    response_model=IngestResultPublic,
    responses={
        **BAD_BODY,
        413: {
            "description": "The body is larger than `alertmanager_max_body_bytes` (256 MiB by "
            "default); the refusal is recorded as an alert `ServandaNotificationTooLarge`."
        },
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": inline_schema(AlertmanagerPayload)}},
        }
    },
)
async def alertmanager_webhook(
    request: Request, principal: IngestPrincipal, clock: ClockDep, events: EventEngineDep
) -> IngestResultPublic | JSONResponse:
    """The webhook body Prometheus Alertmanager sends (version 4; unknown keys are ignored),
    from an ordinary `webhook_configs` receiver with a bearer token. Each alert is mapped to a
    catalog node, de-duplicated and correlated; sending the same body twice changes nothing.
    A notification Alertmanager truncated (`truncatedAlerts`) adds an alert
    `ServandaNotificationTruncated` of source `servanda` to the batch."""
    limit: int = request.app.state.settings.alertmanager_max_body_bytes
    body = await read_body(request, limit)
    now = clock.now()
    if isinstance(body, Oversize):
        return await run_in_threadpool(_too_large, events, principal, body, limit, now)
    found = await run_in_threadpool(parse_body, body, _alertmanager, now)
    del body  # the events are all that is needed now: let the raw body go
    result = await run_in_threadpool(events.ingest, principal, found, now)
    return IngestResultPublic.of_result(result)


@router.post(
    "",
    summary="Receive a batch of generic events",
    response_model=IngestResultPublic,
    responses=BAD_BODY,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": inline_schema(GenericBatch)}},
        }
    },
)
async def generic_events(
    request: Request,
    principal: IngestPrincipal,
    clock: ClockDep,
    events: EventEngineDep,
    fingerprint_labels: Annotated[
        list[str],
        Query(description="Events without a fingerprint: the labels that make one (repeat)."),
    ] = [],  # noqa: B006 - FastAPI copies query defaults
) -> IngestResultPublic:
    """Servanda's generic format, `{"events": [...]}`: each event with `source`, optional
    `fingerprint`, `labels`, `severity`, `status` (firing/resolved), `start`, `end`, `summary`
    and `url`. Strict: unknown fields are errors."""
    body = await request.body()
    now = clock.now()
    labels = tuple(fingerprint_labels)

    def parser(body: Body, received_at: datetime) -> tuple[list[Event], list[Problem]]:
        return parse_generic(
            read_json(body, checked=False), received_at=received_at, fingerprint_labels=labels,
            file=UNLOCATED_FILE,
        )  # fmt: skip

    result = await run_in_threadpool(ingest_body, events, principal, body, parser, now)
    return IngestResultPublic.of_result(result)


@router.post(
    "/settle",
    summary="Say the events sent so far are complete",
    response_model=IngestResultPublic,
)
async def settle_events(
    principal: IngestPrincipal, clock: ClockDep, events: EventEngineDep
) -> IngestResultPublic:
    """A replay or back-fill is complete up to now: every event held back for the event-time
    watermark is correlated and the decisions due now are taken (`servanda events settle`
    over HTTP). The server holding the correlator lease answers with what changed; another
    one journals it for the holder and answers `queued_for`."""
    result = await run_in_threadpool(events.settle, clock.now(), principal)
    return IngestResultPublic.of_result(result)


STAFF_ONLY: dict[int | str, dict[str, Any]] = {
    404: {"description": "Not visible to customer tokens."},
}


@router.get(
    "/unmapped",
    summary="List unmapped events",
    response_model=UnmappedPagePublic,
    responses=STAFF_ONLY,
)
def unmapped_events(
    engine: EngineDep,
    principal: PrincipalDep,
    since: Annotated[Instant | None, Query(description="Received since then.")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_INT)] = 0,
) -> UnmappedPagePublic:
    """Events no mapping rule tied to a catalog node, newest received first: they are kept,
    never dropped, and listed here until a rule is added."""
    found, total = cases.unmapped_events(engine, principal, since=since, limit=limit, offset=offset)
    return UnmappedPagePublic(total=total, events=[UnmappedEventPublic.of_stored(s) for s in found])


@router.get(
    "/stats",
    summary="Event saturation figures",
    response_model=SaturationPublic,
    responses={**STAFF_ONLY, 422: {"description": "The period ends before it starts."}},
)
def saturation(
    engine: EngineDep,
    principal: PrincipalDep,
    clock: ClockDep,
    since: Annotated[Instant | None, Query(description="Start (default: a day before).")] = None,
    until: Annotated[Instant | None, Query(description="End, excluded (default: now).")] = None,
    top: Annotated[int, Query(ge=1, le=100, description="How many noisiest to list.")] = 5,
) -> SaturationPublic:
    """Over `[since, until)`: alerts in, incidents out, the reduction ratio, the noisiest
    sources, nodes and alert names, and the alerts that started flapping."""
    end = until or clock.now()
    start = since or end - timedelta(days=1)
    figures = cases.saturation_figures(engine, principal, start, end, top=top)
    return SaturationPublic.of_saturation(figures)


@router.get(
    "/log",
    summary="The event log and the correlator lease",
    response_model=EventLogPublic,
    responses=STAFF_ONLY,
)
def event_log(principal: PrincipalDep, engine: EventEngineDep) -> EventLogPublic:
    """Which process holds the correlator lease, how far the journal is applied (entries
    waiting for the holder), and the latest snapshot a restart would start from."""
    return EventLogPublic.of_status(engine.status(principal))
