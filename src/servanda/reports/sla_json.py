"""The SLA report as JSON data, and back.

The document is ``{"format": "servanda.sla-report", "version": 1, "report": {...}}``. Inside,
keys follow the records' field order (stable from one run to the next), numbers that are
:class:`~decimal.Decimal` are strings in plain notation (``"99.95"``, never ``9.995E+1``) so
no reader turns them into binary floats, timestamps are RFC 3339 in UTC with a ``Z``
(``"2025-04-17T07:00:00Z"``), days are ``YYYY-MM-DD``, and enumerations are their values.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from pydantic import ValidationError

from servanda.core.problems import InvalidInput, Location, Problem
from servanda.core.records import from_jsonable
from servanda.reports.sla_model import SlaReport

FORMAT = "servanda.sla-report"
"""The ``format`` key of the document."""
VERSION = 2
"""The ``version`` key of the document (2 added ``closing``); readers refuse versions they
do not know."""
READABLE = (1, 2)
"""Versions this reader reads (a version 1 document is provisional)."""


def _decimal(value: Decimal) -> str:
    if not value.is_finite():
        raise ValueError(f"{value} cannot be written to a report")
    return format(value.copy_abs() if value.is_zero() else value, "f")


def _timestamp(value: datetime) -> str:
    text = value.astimezone(UTC).isoformat()
    return text.removesuffix("+00:00") + "Z"


def encode(value: Any) -> Any:
    """``value`` (a record, or anything inside one) as JSON-compatible data, as described in
    the module documentation."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return _decimal(value)
    if isinstance(value, datetime):
        return _timestamp(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [encode(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
    raise TypeError(f"cannot write {type(value).__name__} to a report")


def report_to_json(report: SlaReport) -> dict[str, Any]:
    """The report as JSON-compatible data (see the module documentation)."""
    return {"format": FORMAT, "version": VERSION, "report": encode(report)}


def report_to_json_text(report: SlaReport) -> str:
    """The report as JSON text: two-space indent, UTF-8 characters as they are, one final
    newline."""
    return json.dumps(report_to_json(report), indent=2, ensure_ascii=False) + "\n"


def _problems(exc: ValidationError, file: str) -> list[Problem]:
    out = []
    for err in exc.errors(include_url=False):
        path = ("report", *(p for p in err["loc"] if isinstance(p, int) or "[" not in p))
        if err["type"] in ("extra_forbidden", "unexpected_keyword_argument"):
            message = f"unknown field {path[-1]!r}"
        elif err["type"] in ("missing", "missing_argument"):
            message = "this field is required"
        else:
            message = str(err["msg"]).removeprefix("Value error, ")
        out.append(Problem(message, Location(file), path))
    return out


def report_from_json(data: Any, *, file: str = "<input>") -> SlaReport:
    """Read a report written by :func:`report_to_json` (or parsed from its text).

    Raises :class:`~servanda.core.problems.InvalidInput` with every problem and its field path
    when ``data`` is not such a report.
    """
    if not isinstance(data, dict):
        raise InvalidInput([Problem("expected a JSON object", Location(file))])
    if data.get("format") != FORMAT:
        raise InvalidInput(
            [Problem(f"not an SLA report (format must be {FORMAT!r})", Location(file), ("format",))]
        )
    if data.get("version") not in READABLE:
        raise InvalidInput(
            [
                Problem(
                    f"unknown report version {data.get('version')!r}; this reader knows "
                    f"{', '.join(map(str, READABLE))}",
                    Location(file),
                    ("version",),
                )
            ]
        )
    extra = sorted(set(data) - {"format", "version", "report"})
    if extra:
        raise InvalidInput([Problem(f"unknown field {extra[0]!r}", Location(file), (extra[0],))])
    try:
        return from_jsonable(SlaReport, data.get("report"))
    except ValidationError as exc:
        raise InvalidInput(_problems(exc, file)) from None
