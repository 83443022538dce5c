"""The API's side of the audit log: every request that may write becomes one entry.

A request with a method other than GET, HEAD or OPTIONS is recorded once it is answered, with
the principal its token authenticated (``anonymous`` when none did), the client's address (the
proxy's forwarded one when ``SERVANDA_PROXY_HEADERS`` trusts it), the route, the path asked
and the status answered: refused and failed writes are kept too. The body is never recorded.
The entry is written in a transaction of its own, off the event loop; see
:mod:`servanda.services.audit`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import anyio
from sqlalchemy import Engine
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from servanda.core.access import Principal
from servanda.core.audit import AuditEntry
from servanda.services import audit

READS = frozenset({"GET", "HEAD", "OPTIONS"})
"""Methods that change nothing: not recorded."""


def _actor(principal: Any) -> tuple[str, str | None]:
    if not isinstance(principal, Principal):
        return "anonymous", None
    who = principal.party if principal.scope is not None else principal.token_id
    return f"{principal.role.value}:{who}", principal.role.value


def _route(scope: Scope) -> str:
    """The route's template under the path asked (``/api/v1/tokens/{token_id}``)."""
    path: str = scope.get("path", "")
    template = getattr(scope.get("route"), "path_format", None)
    if not isinstance(template, str):
        return "(no route)"
    params = {k: str(v) for k, v in scope.get("path_params", {}).items()}
    try:
        rendered = template.format(**params)
    except (KeyError, IndexError, ValueError):
        return template
    # A router mounted under a prefix matches the rest of the path: put the prefix back.
    return path[: len(path) - len(rendered)] + template if path.endswith(rendered) else template


class AuditTrail:
    """ASGI middleware recording every request that may write (see the module docs)."""

    def __init__(self, app: ASGIApp, engine: Engine) -> None:
        self.app = app
        self.engine = engine

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in READS:
            await self.app(scope, receive, send)
            return
        answered = 500

        async def watch(message: Message) -> None:
            nonlocal answered
            if message["type"] == "http.response.start":
                answered = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, watch)
        finally:
            actor, role = _actor(scope.get("state", {}).get("principal"))
            client = scope.get("client")
            query = scope.get("query_string", b"").decode("latin-1")
            path = scope.get("path", "") + (f"?{query}" if query else "")
            entry = AuditEntry(
                at=datetime.now(UTC),
                actor=actor,
                role=role,
                interface="api",
                origin=str(client[0]) if client else "unknown",
                action=f"{scope['method']} {_route(scope)}",
                target=path,
                status=answered,
            )
            await anyio.to_thread.run_sync(audit.record, self.engine, entry)
