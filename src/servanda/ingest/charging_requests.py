"""Online-charging requests: the bodies of the credit-control API (:mod:`servanda.api.routers.
sessions`) and a file of them replayed in order.

A requests file (``*.online.jsonl``) holds one JSON object a line: the API body of a request,
plus ``request`` (``top_up``, ``initiate``, ``update``, ``terminate``), ``at`` (when it was
made, timezone-aware: a replay runs on the requests' clock, so validities and expiries are
those of the day) and, after the first, the ``session_id`` it is about::

    {"request": "top_up", "at": "2024-04-01T08:00:00+02:00", "account": "kiosk-17",
     "kind": "money", "amount": "1.00", "currency": "EUR", "reference": "kiosk-17-2024-04"}
    {"request": "initiate", "at": "2024-04-12T14:00:00+02:00", "session_id": "k17-1",
     "account": "kiosk-17", "category": "call", "destination": "+33612345678", "requested": 300}
    {"request": "update", "at": "2024-04-12T14:05:00+02:00", "session_id": "k17-1",
     "request_number": 1, "used": 300, "requested": 300}

(each on one line in the file).

Requests are idempotent as over the API (top-ups by reference, session requests by number),
so replaying a file again changes nothing. A file is all or nothing, problems located
``file:line`` at their field.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from servanda.accounting.charging import BucketKind
from servanda.accounting.usage import Category
from servanda.core.problems import Location, Problem
from servanda.ingest.generic import validation_problems
from servanda.ingest.json_input import decode_json

STRICT = ConfigDict(extra="forbid", str_strip_whitespace=True)
SessionId = Annotated[str, Field(max_length=64, pattern=r"^[A-Za-z0-9._:-]+$")]


class SessionCreate(BaseModel):
    """A session to charge, and what it asks for first."""

    model_config = STRICT

    account: str = Field(min_length=1, max_length=200)
    category: Category
    start: datetime | None = Field(None, description="When it began (default: now).")
    service: str | None = Field(None, max_length=200)
    subject: str | None = Field(None, max_length=200)
    destination: str | None = Field(None, max_length=200)
    requested: int = Field(ge=0, le=10**15, description="Seconds, octets or units asked for.")
    session_id: SessionId | None = Field(None, description="The client's own id.")


class SessionReport(BaseModel):
    """Use since the last request, and what is asked for next."""

    model_config = STRICT

    request_number: int = Field(ge=1, le=10**9)
    used: int = Field(ge=0, le=10**15)
    requested: int = Field(0, ge=0, le=10**15)


class SessionEnd(BaseModel):
    """The last use."""

    model_config = STRICT

    request_number: int = Field(ge=1, le=10**9)
    used: int = Field(ge=0, le=10**15)


class TopUp(BaseModel):
    """Money or units added to an account."""

    model_config = STRICT

    account: str = Field(min_length=1, max_length=200)
    kind: BucketKind
    amount: Decimal = Field(gt=0, max_digits=18, decimal_places=6)
    currency: str | None = Field(None, pattern=r"^[A-Z]{3}$")
    expires_at: AwareDatetime | None = None
    reference: str | None = Field(None, max_length=200, description="Stored once.")


class TopUpLine(TopUp):
    """A top-up in a requests file."""

    request: Literal["top_up"]
    at: AwareDatetime


class InitiateLine(SessionCreate):
    """An initiate request in a requests file."""

    request: Literal["initiate"]
    at: AwareDatetime
    session_id: SessionId


class UpdateLine(SessionReport):
    """An update request in a requests file."""

    request: Literal["update"]
    at: AwareDatetime
    session_id: SessionId


class TerminateLine(SessionEnd):
    """A terminate request in a requests file."""

    request: Literal["terminate"]
    at: AwareDatetime
    session_id: SessionId


ChargingRequest = Annotated[
    TopUpLine | InitiateLine | UpdateLine | TerminateLine, Field(discriminator="request")
]
_LINE: TypeAdapter[TopUpLine | InitiateLine | UpdateLine | TerminateLine] = TypeAdapter(
    ChargingRequest
)


def read_charging_requests(
    path: str | Path,
) -> tuple[list[TopUpLine | InitiateLine | UpdateLine | TerminateLine], list[Problem]]:
    """The requests of a file, in order (see the module); nothing when a line is wrong."""
    where = str(path)
    found: list[TopUpLine | InitiateLine | UpdateLine | TerminateLine] = []
    problems: list[Problem] = []
    text = Path(path).read_text(encoding="utf-8")
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        data, wrong = decode_json(line, where)
        if wrong:
            problems += [
                Problem(p.message, Location(where, number, p.location.column), p.path)
                for p in wrong
            ]
            continue
        try:
            found.append(_LINE.validate_python(data))
        except ValidationError as exc:
            tag = data.get("request") if isinstance(data, dict) else None
            problems += [
                # the path without the union's tag pydantic puts first
                Problem(
                    p.message,
                    Location(where, number),
                    p.path[1:] if p.path[:1] == (tag,) else p.path,
                )
                for p in validation_problems(exc, where)
            ]
    return ([] if problems else found), problems
