"""Request bodies read as they arrive, into one buffer, up to a limit.

A route that takes large bodies (an Alertmanager storm: 100,000 alerts are about 50 MB) reads
them here rather than with ``Request.body()``, which keeps every chunk and then joins them (two
copies at once): the chunks go into one growing buffer. A body over the limit is not read
further than its first :data:`HEAD_BYTES`, kept so the route can say what was refused.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

HEAD_BYTES = 64 * 1024
"""How much of a body over the limit is read and kept."""


@dataclass(frozen=True, slots=True)
class Oversize:
    """A body over the limit: its first bytes and its size (at least ``size`` bytes)."""

    head: bytes
    size: int


def declared_length(request: Request) -> int | None:
    """The request's Content-Length, when it gives a valid one."""
    value = request.headers.get("content-length", "")
    return int(value) if value.isdigit() else None


async def read_body(request: Request, limit: int) -> bytearray | Oversize:
    """The whole body, or :class:`Oversize` as soon as it is known to exceed ``limit`` bytes
    (from its Content-Length, or while it streams)."""
    declared = declared_length(request)
    over = declared is not None and declared > limit
    buffer = bytearray()
    seen = 0
    async for chunk in request.stream():
        seen += len(chunk)
        over = over or seen > limit
        if not over:
            buffer += chunk
            continue
        room = HEAD_BYTES - len(buffer)
        if room > 0:
            buffer += chunk[:room]
        if len(buffer) >= HEAD_BYTES:
            break
    if over:
        return Oversize(bytes(buffer[:HEAD_BYTES]), max(seen, declared or 0))
    return buffer
