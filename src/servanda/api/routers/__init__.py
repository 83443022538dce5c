"""One router per resource; :data:`API_ROUTERS` are mounted under ``/api/v1``."""

from servanda.api.routers import (
    agreements,
    audit,
    components,
    health,
    me,
    parties,
    services,
    tokens,
)

API_ROUTERS = (
    me.router,
    parties.router,
    services.router,
    components.router,
    agreements.router,
    tokens.router,
    audit.router,
)
"""Routers that need a bearer token, in the order of the OpenAPI document."""

__all__ = ["API_ROUTERS", "health"]
