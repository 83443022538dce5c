"""What every request must hold before a route sees it, checked in one place.

Hostile or broken clients send what JSON and URLs can carry but no route can use: the NUL
character (PostgreSQL cannot store it in text), lone UTF-16 surrogates (no character at all:
they cannot be encoded to store or to answer), integers beyond 64 bits (no database column
holds them), numbers too large for a float (``1e400`` reads as infinity) and instants outside
the calendar once converted to UTC. :func:`guard_input` runs before every route (an application
dependency) and refuses them with a 422 located at the path parameter, query parameter or body
field, so nothing is half-done and nothing answers 500. The Alertmanager and generic event
routes read their bodies themselves, with the same rules (:mod:`servanda.ingest.text_rules`).

:data:`Instant` and :data:`Day` are the types of time query parameters: a time without an
offset is UTC, and only years :data:`EARLIEST` to :data:`LATEST` are accepted, so the periods
and windows computed around them stay in the calendar.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import Request
from fastapi.routing import APIRoute
from pydantic import AfterValidator

from servanda.core.problems import InvalidInput, Problem

MAX_INT = 2**63 - 1
"""The largest integer a request may hold (a signed 64-bit column's)."""
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
"""The earliest instant a request may name."""
LATEST = datetime(9000, 1, 1, tzinfo=UTC)
"""The latest instant a request may name (windows and periods around it stay in year 9999)."""

NUL = "holds a NUL character (\\u0000), which cannot be stored"
SURROGATE = "not valid Unicode text: it holds a lone surrogate (such as \\ud800)"


def text_problem(value: str) -> str | None:
    """Why ``value`` cannot be taken as text, or None."""
    if "\x00" in value:
        return NUL
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return SURROGATE
    return None


def value_problems(data: Any, path: tuple[str | int, ...]) -> list[Problem]:
    """Problems of decoded JSON ``data`` (keys and values, however deep), located under
    ``path``."""
    found: list[Problem] = []
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(data, path)]
    while stack:
        value, where = stack.pop()
        if isinstance(value, str):
            why = text_problem(value)
            if why is not None:
                found.append(Problem(why, path=where))
        elif isinstance(value, bool) or value is None:
            continue
        elif isinstance(value, int):
            if not -MAX_INT - 1 <= value <= MAX_INT:
                found.append(Problem(f"integer out of range (at most {MAX_INT})", path=where))
        elif isinstance(value, float):
            if not math.isfinite(value):
                found.append(Problem("number out of range (too large for a number)", path=where))
        elif isinstance(value, dict):
            for key, item in value.items():
                name = str(key)
                why = text_problem(name)
                if why is not None:
                    found.append(Problem(f"field name {why}", path=(*where, _shown(name))))
                    continue
                stack.append((item, (*where, name)))
        elif isinstance(value, list):
            stack.extend((item, (*where, n)) for n, item in enumerate(value))
    found.sort(key=lambda p: [str(x) for x in p.path])
    return found


async def guard_input(request: Request) -> None:
    """Refuse a request whose path parameters, query parameters or JSON body hold what no
    route can take (see the module)."""
    found: list[Problem] = []
    for name, value in request.path_params.items():
        if isinstance(value, str) and (why := text_problem(value)) is not None:
            found.append(Problem(why, path=("path", name)))
    for name, value in request.query_params.multi_items():
        why = text_problem(name) or text_problem(value)
        if why is not None:
            found.append(Problem(why, path=("query", _shown(name))))
    route = request.scope.get("route")
    content = request.headers.get("content-type", "")
    if (
        isinstance(route, APIRoute)
        and route.body_field is not None
        and content.startswith("application/json")
        and await request.body()
    ):
        found += value_problems(await request.json(), ("body",))
    if found:
        raise InvalidInput(found)


def _shown(text: str) -> str:
    return text.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\u0000")


def _instant(value: datetime) -> datetime:
    moment = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    try:
        utc = moment.astimezone(UTC)
    except OverflowError:
        utc = None
    if utc is None or not EARLIEST <= utc <= LATEST:
        raise ValueError(
            f"must lie between {EARLIEST:%Y-%m-%d} and {LATEST:%Y-%m-%d} (UTC)"
        ) from None
    return utc


def _day(value: date) -> date:
    if not EARLIEST.date() <= value <= LATEST.date():
        raise ValueError(f"must lie between {EARLIEST:%Y-%m-%d} and {LATEST:%Y-%m-%d}")
    return value


Instant = Annotated[datetime, AfterValidator(_instant)]
"""A time query parameter: UTC when it has no offset, within :data:`EARLIEST`–:data:`LATEST`."""
Day = Annotated[date, AfterValidator(_day)]
"""A day query parameter, within the years of :data:`Instant`."""
