"""Domain errors as HTTP answers.

=========================  ====  ==========================================================
Raised                     Code  Body
=========================  ====  ==========================================================
``NotFound``               404   ``{"detail": "no customer 'x'"}``
``Forbidden``              403   ``{"detail": "role ingest may not read"}``
``InvalidInput``           422   ``{"detail": [{"type", "loc", "msg", "file", "line", …}]}``
``UnreadableRecord``       500   ``{"detail": "..."}`` (stored data no longer validates)
other ``ServandaError``    409   ``{"detail": "..."}`` (e.g. two agreements compete)
=========================  ====  ==========================================================

Request validation by FastAPI keeps its standard 422 shape; ``InvalidInput`` uses the same
``detail`` list so clients read both alike, with ``file``/``line``/``column`` added where the
problem has them. Missing or bad tokens are 401 (see :mod:`servanda.api.deps`).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from servanda.core.problems import (
    Forbidden,
    InvalidInput,
    NotFound,
    Problem,
    ServandaError,
    UnreadableRecord,
)

UNLOCATED_FILE = "<input>"
"""The file name of a problem whose file is unknown."""


def problem_detail(problem: Problem) -> dict[str, Any]:
    """One located problem in the shape of a FastAPI validation error."""
    detail: dict[str, Any] = {
        "type": "invalid_input",
        "loc": list(problem.path),
        "msg": problem.message,
        "severity": str(problem.severity),
    }
    location = problem.location
    if location.file != UNLOCATED_FILE:
        detail["file"] = location.file
    if location.line is not None:
        detail["line"] = location.line
    if location.column is not None:
        detail["column"] = location.column
    return detail


def _message(status_code: int, exc: Exception) -> JSONResponse:
    return JSONResponse({"detail": str(exc)}, status_code=status_code)


async def not_found(_request: Request, exc: Exception) -> JSONResponse:
    """404: the thing does not exist, or the caller may not know it does."""
    return _message(status.HTTP_404_NOT_FOUND, exc)


async def forbidden(_request: Request, exc: Exception) -> JSONResponse:
    """403: the caller's role does not allow this."""
    return _message(status.HTTP_403_FORBIDDEN, exc)


async def invalid_input(_request: Request, exc: Exception) -> JSONResponse:
    """422: every problem, with its location."""
    problems = exc.problems if isinstance(exc, InvalidInput) else ()
    return JSONResponse(
        {"detail": [problem_detail(p) for p in problems]},
        status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
    )


async def conflict(_request: Request, exc: Exception) -> JSONResponse:
    """409: the stored data does not allow an answer (e.g. two agreements compete)."""
    return _message(status.HTTP_409_CONFLICT, exc)


async def unreadable(_request: Request, exc: Exception) -> JSONResponse:
    """500: a stored record does not validate any more; the operator must reload it."""
    return _message(status.HTTP_500_INTERNAL_SERVER_ERROR, exc)


def install(app: FastAPI) -> None:
    """Register the handlers on ``app``."""
    app.add_exception_handler(NotFound, not_found)
    app.add_exception_handler(Forbidden, forbidden)
    app.add_exception_handler(InvalidInput, invalid_input)
    app.add_exception_handler(UnreadableRecord, unreadable)
    app.add_exception_handler(ServandaError, conflict)


class ProblemsPublic(BaseModel):
    """A 422 answer: every problem, located (``loc``), as FastAPI words validation errors."""

    detail: list[dict[str, Any]]


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"description": "The body could not be read (not UTF-8 text)."},
    401: {"description": "Missing, malformed, unknown or revoked bearer token."},
    403: {"description": "The token's role does not allow this."},
    422: {
        "description": "Input refused, every problem located (see servanda.api.guard).",
        "model": ProblemsPublic,
    },
    429: {"description": "Too many failed authentications from this client or for this token."},
}
"""Responses every authenticated route may give, for the OpenAPI document."""
