"""Security headers on every answer.

* ``X-Content-Type-Options: nosniff``: a browser takes the declared content type as it is (a
  JSON answer is never run as a script).
* ``X-Frame-Options: DENY`` and ``frame-ancestors 'none'``: no page of Servanda can be framed by
  another site (clickjacking).
* ``Referrer-Policy: no-referrer``: links in reports do not leak the report's address.
* A ``Content-Security-Policy`` on HTML: a report may use only what it carries inline (its
  style, its SVG charts, data: images) and loads nothing; the interactive API documentation
  (``/docs``) loads its scripts and styles from this site only (the web pages set their own,
  as strict: :data:`servanda.web.pages.PAGE_POLICY`).
* ``Strict-Transport-Security`` when the request came over TLS (directly, or through a reverse
  proxy on the same machine whose ``X-Forwarded-Proto`` the server trusts:
  ``SERVANDA_PROXY_HEADERS=1``, see :class:`~servanda.api.settings.ApiSettings`).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

REPORT_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
"""The policy of HTML answers: nothing loaded, inline style and images only."""
DOCS_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; worker-src blob:; frame-ancestors 'none'; base-uri 'none'"
)
"""The policy of the API documentation pages."""
DOCS_PATHS = ("/docs",)
HSTS = b"max-age=31536000; includeSubDomains"

_COMMON = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
]


class SecurityHeaders:
    """ASGI middleware adding the headers of the module documentation to every answer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        tls = scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [(k, v) for k, v in _COMMON if k not in present]
                content = next((v for k, v in headers if k.lower() == b"content-type"), b"")
                if content.startswith(b"text/html") and b"content-security-policy" not in present:
                    policy = DOCS_POLICY if path.startswith(DOCS_PATHS) else REPORT_POLICY
                    headers.append((b"content-security-policy", policy.encode()))
                if tls:
                    headers.append((b"strict-transport-security", HSTS))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
