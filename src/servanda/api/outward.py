"""What the API says outward, beside its routes: ``GET /metrics`` for Prometheus, the latency
of every request, and the scheduler of periodic jobs that runs with the application
(:func:`install` adds them; the application's lifespan calls :func:`start` and :func:`stop`).

``/metrics`` needs, in this order of precedence: the token of ``SERVANDA_METRICS_TOKEN``
(``Authorization: Bearer …``, as Prometheus sends with ``authorization.credentials``), or
nothing when ``SERVANDA_METRICS_PUBLIC=1`` (a scrape network nobody else reaches), or else an
API token of a role that manages incidents (admin, operator).
"""

from __future__ import annotations

import asyncio
import hmac
import time
from typing import Any

from fastapi import APIRouter, FastAPI, HTTPException, Request, Response, status
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import Engine
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from servanda.api.deps import BearerDep, ClockDep, EngineDep, get_principal
from servanda.core.access import Action
from servanda.services import telemetry
from servanda.services.jobs import SchedulerSettings, server_jobs
from servanda.services.scheduler import Scheduler


class MetricsSettings(BaseSettings):
    """Who may read ``/metrics`` (see the module)."""

    model_config = SettingsConfigDict(env_prefix="SERVANDA_", extra="ignore")

    metrics_token: str | None = None
    """``SERVANDA_METRICS_TOKEN``: the bearer token Prometheus sends."""
    metrics_public: bool = False
    """``SERVANDA_METRICS_PUBLIC=1``: no token needed."""


router = APIRouter(tags=["metrics"])
EXPOSITION = "text/plain; version=0.0.4; charset=utf-8"
"""The classic text format, which every Prometheus version reads."""


@router.get("/metrics", include_in_schema=False)
def metrics(
    request: Request, engine: EngineDep, clock: ClockDep, credentials: BearerDep
) -> Response:
    """Prometheus exposition of Servanda's counters and of the stored state."""
    settings: MetricsSettings = request.app.state.metrics_settings
    if settings.metrics_token:
        given = credentials.credentials if credentials is not None else ""
        if not hmac.compare_digest(given.encode(), settings.metrics_token.encode()):
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                detail="send 'Authorization: Bearer <SERVANDA_METRICS_TOKEN>'",
                headers={"WWW-Authenticate": "Bearer"},
            )
    elif not settings.metrics_public:
        get_principal(request, engine, clock, credentials).require(Action.MANAGE_INCIDENTS)
    return Response(telemetry.exposition(engine), media_type=EXPOSITION)


class RequestTiming:
    """Observe every HTTP request's duration by method, route template and status."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        answered = [500]

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                answered[0] = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            template = _template(scope)
            telemetry.HTTP_SECONDS.labels(scope["method"], template, str(answered[0])).observe(
                time.perf_counter() - start
            )


def _template(scope: Scope) -> str:
    """The request's path with each path parameter's value put back as ``{name}`` (the
    route's template, so the label stays bounded); ``unmatched`` when no route took it."""
    if scope.get("route") is None:
        return "unmatched"
    parts = str(scope["path"]).split("/")
    values: dict[str, Any] = {str(v): k for k, v in scope.get("path_params", {}).items()}
    return "/".join(f"{{{values[p]}}}" if p in values else p for p in parts)


def install(app: FastAPI, engine: Engine) -> None:
    """Add ``/metrics``, request timing and the scheduler (not started) to ``app``."""
    app.state.metrics_settings = MetricsSettings()
    app.state.scheduler = Scheduler(engine, server_jobs(engine, app.state.events.get))
    app.add_middleware(RequestTiming)
    app.include_router(router)


def start(app: FastAPI) -> None:
    """Start the scheduler's threads."""
    app.state.scheduler.start()


async def stop(app: FastAPI) -> None:
    """Stop the scheduler (a run in progress may finish first)."""
    await asyncio.to_thread(app.state.scheduler.stop)


__all__ = ["SchedulerSettings", "install", "start", "stop"]
