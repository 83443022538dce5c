"""Who a page is for: an API token given once on the login page and kept in a cookie.

The cookie (``servanda_session``) holds the token itself: ``HttpOnly`` (no script reads it),
``SameSite=Lax``, ``Secure`` when the page came over TLS, and it is checked on every request
like a bearer token (revoked or expired tokens log out). Forms carry a **CSRF token** derived
from the session's token (an HMAC of it), so another site cannot post a form in the user's
name: it can neither read the cookie nor compute the field. The login form itself is accepted
only from this site's pages (its ``Origin``, when the browser sends one). Failed logins are
throttled with the API's failed authentications.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime
from urllib.parse import urlsplit

from fastapi import Request
from sqlalchemy import Engine

from servanda.core.access import Principal
from servanda.services import tokens

COOKIE = "servanda_session"


class LoginRequired(Exception):
    """The page needs a logged-in user; the login page follows, then ``next``."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


class Forbidden(Exception):
    """A form without a valid CSRF token, or from another site."""


def token_of(request: Request) -> str | None:
    """The session's token, if a cookie carries one."""
    return request.cookies.get(COOKIE) or None


def csrf_of(token: str) -> str:
    """The CSRF field value of a session's forms."""
    return hmac.new(token.encode(), b"servanda-csrf", hashlib.sha256).hexdigest()[:40]


def principal_of(request: Request) -> Principal | None:
    """The principal of the session's token (None: no session, or the token is no longer
    valid)."""
    token = token_of(request)
    if token is None:
        return None
    engine: Engine = request.app.state.engine
    return tokens.authenticate(engine, token, datetime.now(UTC))


def require_login(request: Request) -> Principal:
    """The page's principal, or :class:`LoginRequired`."""
    principal = principal_of(request)
    if principal is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(target)
    request.state.principal = principal  # for the audit log
    return principal


def check_csrf(request: Request, field: str | None) -> None:
    """Refuse a form whose CSRF field does not match the session."""
    token = token_of(request)
    if token is None or field is None or not hmac.compare_digest(csrf_of(token), field):
        raise Forbidden("the form has expired or did not come from this site: reload the page")


def same_origin(request: Request) -> None:
    """Refuse a form posted from another site (its ``Origin`` names another host)."""
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return
    if urlsplit(origin).netloc != request.headers.get("host", ""):
        raise Forbidden("the form did not come from this site")


def login(request: Request, token: str) -> Principal | None:
    """The principal of ``token`` if it is valid (a failure counts for throttling)."""
    engine: Engine = request.app.state.engine
    throttle = request.app.state.auth_throttle  # the API's (servanda.api.throttle)
    now = datetime.now(UTC)
    client = request.client.host if request.client is not None else "unknown"
    keys = [f"client:{client}"]
    if throttle.retry_after(keys, now) is not None:
        return None
    principal = tokens.authenticate(engine, token.strip(), now)
    if principal is None:
        throttle.failed(keys, now)
    return principal


def safe_next(path: str | None) -> str:
    """Where to go after logging in: a path of this site only."""
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path:
        return "/board"
    return path


__all__ = [
    "COOKIE", "Forbidden", "LoginRequired", "check_csrf", "csrf_of", "login", "principal_of",
    "require_login", "safe_next", "same_origin", "token_of",
]  # fmt: skip
