"""The application factory."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, Depends, FastAPI
from sqlalchemy import Engine

from servanda import __version__
from servanda.api import docs, errors, outward
from servanda.api.audit import AuditTrail
from servanda.api.guard import guard_input
from servanda.api.headers import SecurityHeaders
from servanda.api.routers import API_ROUTERS, events, health, incidents, sla
from servanda.api.routers.billing import router as billing_router
from servanda.api.routers.engagement import feedback_router, reviews_router
from servanda.api.routers.measurements import attestations_router
from servanda.api.routers.measurements import router as measurements_router
from servanda.api.routers.sessions import router as sessions_router
from servanda.api.routers.usage import router as usage_router
from servanda.api.settings import ApiSettings
from servanda.api.throttle import AuthThrottle
from servanda.storage.database import make_engine
from servanda.web import pages

API_PREFIX = "/api/v1"
OWN_LIMIT = sys.maxsize
"""The framework's body limit for a route that applies its own as it streams the body (the
Alertmanager webhook: ``alertmanager_max_body_bytes``, so it can record what it refuses)."""

DESCRIPTION = """\
Service level agreements, as stored by Servanda: the catalog (parties, services, components),
agreement versions, and the terms in effect for a customer, with the provenance of each term.

Every endpoint but `/healthz` needs `Authorization: Bearer svd_<id>_<secret>`. A customer
token reads only its own party's data; an ingest token reads nothing.
"""

TAGS: list[dict[str, Any]] = [
    {"name": "health", "description": "Liveness and database check (no token)."},
    {"name": "me", "description": "The token in use."},
    {"name": "parties", "description": "Providers, customers, content providers, carriers."},
    {"name": "services", "description": "The services providers offer."},
    {"name": "components", "description": "What services are built from (not for customers)."},
    {
        "name": "agreements",
        "description": "Agreement versions and the effective terms for a customer and service.",
    },
    {"name": "tokens", "description": "API tokens (admin only)."},
    {"name": "audit", "description": "The audit log of writes (admin only)."},
    {
        "name": "events",
        "description": "Monitoring events in (Alertmanager webhooks, generic JSON), unmapped "
        "events and saturation figures.",
    },
    {
        "name": "incidents",
        "description": "Correlated incidents: root, symptoms, impact, outages and lifecycle.",
    },
    {
        "name": "sla",
        "description": "Service level reports (JSON, HTML, PDF) and the credits they earn.",
    },
    {
        "name": "measurements",
        "description": "Measurements of declared series (latency, loss, throughput …) in, "
        "summaries out.",
    },
    {"name": "attestations", "description": "Attestations that policy controls were met."},
    {"name": "feedback", "description": "Customer satisfaction (CSAT, NPS) and comments."},
    {"name": "reviews", "description": "Listening sessions and service reviews, with actions."},
    {
        "name": "billing",
        "description": "The month's bill run, invoices (issue, pay, void with a credit note) "
        "and settlement statements between parties.",
    },
]


def create_app(engine: Engine | None = None, settings: ApiSettings | None = None) -> FastAPI:
    """The API on ``engine`` (by default one on ``settings.database_url``).

    An engine made here is disposed of when the application shuts down; one passed in
    belongs to the caller.
    """
    settings = settings if settings is not None else ApiSettings()
    owned = engine is None
    db = engine if engine is not None else make_engine(settings.database_url)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        engines: events.EventEngines = _app.state.events
        engines.start_clock()
        outward.start(_app)
        try:
            yield
        finally:
            await outward.stop(_app)
            engines.close()
            if owned:
                db.dispose()

    app = FastAPI(
        title="Servanda",
        version=__version__,
        description=DESCRIPTION,
        openapi_tags=TAGS,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        max_body_size=settings.max_body_bytes,
        dependencies=[Depends(guard_input)],
    )
    app.state.settings = settings
    app.state.auth_throttle = AuthThrottle(settings.auth_failures, settings.auth_window)
    app.state.engine = db
    app.state.events = events.EventEngines(db)
    errors.install(app)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(AuditTrail, engine=db)
    app.include_router(health.router)
    outward.install(app, db)
    api = APIRouter(prefix=API_PREFIX)
    for router in API_ROUTERS:
        api.include_router(router)
    api.include_router(events.router)
    api.include_router(events.webhook_router, max_body_size=OWN_LIMIT)
    api.include_router(incidents.router)
    api.include_router(sla.router)
    for router in (
        measurements_router,
        attestations_router,
        feedback_router,
        reviews_router,
        usage_router,
        sessions_router,
        billing_router,
    ):
        api.include_router(router)
    app.include_router(api)
    docs.install(app)
    pages.install(app)
    return app
