"""Dependencies shared by the routes, each declared once as an ``Annotated`` type.

* :data:`SessionDep` — one database transaction per request, committed before the response is
  sent (rolled back when the route raises).
* :data:`ClockDep` — where "now" comes from; tests override :func:`get_clock`.
* :data:`PrincipalDep` — who holds the bearer token; 401 when it is missing, malformed, unknown
  or revoked.
* :func:`require` — a dependency that answers 403 unless the principal's role allows an action.
* :data:`VisibleBundleDep` — the stored catalog and agreements as far as the principal may see
  them (customers: their own party only), from :func:`servanda.services.catalog.visible_bundle`.
* :data:`DayDep` — the ``?on=YYYY-MM-DD`` query parameter, today (UTC) by default.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from typing import Annotated, Protocol

from fastapi import Depends, HTTPException, Query, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from servanda.api.guard import Day
from servanda.api.settings import ApiSettings
from servanda.api.throttle import AuthThrottle
from servanda.core.access import Action, Principal
from servanda.core.tokens import parse_token
from servanda.declared.bundle import Bundle
from servanda.services import tokens
from servanda.services.catalog import visible_bundle
from servanda.storage.database import transaction


class Clock(Protocol):
    """Where the API reads the current instant."""

    def now(self) -> datetime:
        """The current instant, timezone-aware."""
        ...


class SystemClock:
    """The real clock, in UTC."""

    def now(self) -> datetime:
        """The current instant, UTC."""
        return datetime.now(UTC)


SYSTEM_CLOCK = SystemClock()


def get_clock() -> Clock:
    """The clock of this request (override it in tests with ``app.dependency_overrides``)."""
    return SYSTEM_CLOCK


ClockDep = Annotated[Clock, Depends(get_clock)]


def get_settings(request: Request) -> ApiSettings:
    """The settings the application was created with."""
    settings: ApiSettings = request.app.state.settings
    return settings


SettingsDep = Annotated[ApiSettings, Depends(get_settings)]


def get_engine(request: Request) -> Engine:
    """The database engine of the application."""
    engine: Engine = request.app.state.engine
    return engine


EngineDep = Annotated[Engine, Depends(get_engine)]


def get_session(engine: EngineDep) -> Iterator[Session]:
    """A session in one transaction for the whole request."""
    with transaction(engine) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session, scope="function")]
"""Committed when the route returns, before the response is sent; rolled back on error."""

bearer_scheme = HTTPBearer(
    auto_error=False,
    scheme_name="bearerAuth",
    description="An API token `svd_<id>_<secret>`, created with `servanda token create` "
    "or `POST /api/v1/tokens`.",
)

BearerDep = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)]


def _unauthorized(detail: str, error: str | None = None) -> HTTPException:
    challenge = "Bearer" if error is None else f'Bearer error="{error}"'
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED, detail=detail, headers={"WWW-Authenticate": challenge}
    )


def get_principal(
    request: Request, engine: EngineDep, clock: ClockDep, credentials: BearerDep
) -> Principal:
    """The principal of the request's bearer token.

    The token is checked (and its last use recorded) outside the request's transaction
    (:func:`servanda.services.tokens.authenticate`), so a failed request still counts as a
    use. Failed attempts are throttled per client and per token id
    (:mod:`servanda.api.throttle`): 429 with ``Retry-After`` once too many failed.
    """
    now = clock.now()
    throttle: AuthThrottle = request.app.state.auth_throttle
    client = request.client.host if request.client is not None else "unknown"
    keys = [f"client:{client}"]
    if credentials is not None and (parsed := parse_token(credentials.credentials)) is not None:
        keys.append(f"token:{parsed[0]}")
    wait = throttle.retry_after(keys, now)
    if wait is not None:
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            detail=f"too many failed authentications: try again in {wait} s",
            headers={"Retry-After": str(wait)},
        )
    if credentials is None:
        throttle.failed(keys, now)
        raise _unauthorized("not authenticated: send 'Authorization: Bearer <token>'")
    principal = tokens.authenticate(engine, credentials.credentials, now)
    if principal is None:
        throttle.failed(keys, now)
        raise _unauthorized("invalid, revoked or expired token", "invalid_token")
    request.state.principal = principal  # for the audit log (servanda.api.audit)
    return principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def require(action: Action) -> Callable[[Principal], Principal]:
    """A dependency answering 403 unless the principal's role allows ``action``."""

    def check(principal: PrincipalDep) -> Principal:
        principal.require(action)
        return principal

    check.__name__ = f"require_{action.value}"
    return check


def get_visible_bundle(engine: EngineDep, principal: PrincipalDep) -> Bundle:
    """What the principal may read of the stored catalog and agreements (403 if nothing)."""
    return visible_bundle(engine, principal)


VisibleBundleDep = Annotated[Bundle, Depends(get_visible_bundle)]


def get_day(
    clock: ClockDep,
    on: Annotated[
        Day | None, Query(description="The day the terms apply to, YYYY-MM-DD; today (UTC).")
    ] = None,
) -> date:
    """The ``on`` query parameter, or today in UTC."""
    return on if on is not None else clock.now().astimezone(UTC).date()


DayDep = Annotated[date, Depends(get_day)]
