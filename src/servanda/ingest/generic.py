"""Servanda's generic JSON event format, and the RFC 3339 timestamps every event source writes.

A batch is ``{"events": [...]}`` (or a bare list of events); each event is::

    {"source": "nagios", "fingerprint": "optional", "labels": {"host": "db-1"},
     "severity": "critical", "status": "firing", "start": "2024-04-02T10:02:00Z",
     "end": null, "summary": "db-1 down", "url": "optional link back"}

It is Servanda's own format, so it is strict: unknown fields, timestamps without a timezone, an
unknown status, a firing event with an end, and an end before the start are all errors.
Labels follow the rules of :mod:`servanda.ingest.text_rules` (as Alertmanager's: at least one
label, names by ``^[a-zA-Z_][a-zA-Z0-9_]*$``), and no text holds a NUL character or a lone
surrogate. A batch is all or nothing: when any event is malformed, no event is returned and
every problem is, each with the path of its field (``events[3].start``), so an HTTP API can
answer 422 and a command can print them all.

When an event has no fingerprint, it is :func:`~servanda.events.model.fingerprint_of` its
labels (only ``fingerprint_labels`` when given, so an event whose other labels change keeps its
identity).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, PlainValidator, ValidationError, field_validator

from servanda.core.problems import Location, Problem
from servanda.core.records import strip, trusted
from servanda.events.model import (
    Event,
    Status,
    fingerprint_of,
    labels_of,
    normalise_severity,
)
from servanda.ingest.text_rules import LabelSet, Text, printable, rule_message

PathPart = str | int
Path = tuple[PathPart, ...]

# -- timestamps -----------------------------------------------------------------------------

_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?"
    r"(?:([Zz])|([+-])(\d{2}):(\d{2}))?"
)
EXAMPLE_TIMESTAMP = "2024-04-02T10:02:00Z"


def parse_timestamp(value: object) -> datetime:
    """An RFC 3339 timestamp as an aware datetime in UTC.

    Any number of fractional digits is read (Go writes up to nine, ``.803000000Z``; Python
    keeps microseconds, so the rest is cut, never rounded). A timestamp without a timezone is
    an error: it would mean a different instant on every server.
    """
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"timestamp needs a timezone (e.g. {EXAMPLE_TIMESTAMP})")
        return value.astimezone(UTC)
    if not isinstance(value, str):
        raise ValueError(f"expected an RFC 3339 timestamp as text, e.g. {EXAMPLE_TIMESTAMP}")
    return _parse_text(value)


@functools.lru_cache(maxsize=8192)
def _parse_text(value: str) -> datetime:
    """:func:`parse_timestamp` of text; cached, as alerts repeat their timestamps (a firing
    alert resent every minute, Go's zero time for "not set")."""
    m = _RFC3339.fullmatch(value.strip())
    if m is None:
        raise ValueError(f"{value!r} is not an RFC 3339 timestamp (e.g. {EXAMPLE_TIMESTAMP})")
    year, month, day, hour, minute, second, fraction, zulu, sign, off_h, off_m = m.groups()
    if zulu is None and sign is None:
        raise ValueError(
            f"timestamp {value!r} has no timezone; add Z for UTC or an offset like +02:00"
        )
    micro = int(fraction[:6].ljust(6, "0")) if fraction else 0
    try:
        moment = datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second), micro, UTC
        )
        if sign is not None:
            if int(off_h) > 23 or int(off_m) > 59:
                raise ValueError("bad offset")
            offset = timedelta(hours=int(off_h), minutes=int(off_m))
            moment = moment - offset if sign == "+" else moment + offset
    except (ValueError, OverflowError):
        raise ValueError(f"{value!r} is not a valid date and time") from None
    return moment


Timestamp = Annotated[datetime, PlainValidator(parse_timestamp, json_schema_input_type=str)]
"""An RFC 3339 timestamp with its timezone, read as UTC."""

# -- problems -------------------------------------------------------------------------------

_MESSAGES = {
    "missing": "this field is required",
    "dict_type": "expected a JSON object",
    "model_type": "expected a JSON object",
    "model_attributes_type": "expected a JSON object",
    "list_type": "expected a JSON array",
    "string_type": "expected text (a JSON string)",
    "int_type": "expected an integer",
    "int_parsing": "expected an integer",
}


def validation_problems(exc: ValidationError, file: str, prefix: Path = ()) -> list[Problem]:
    """Pydantic's errors as problems at the path of their field, under ``prefix``."""
    out = []
    for err in exc.errors(include_url=False):
        path = tuple(
            p if isinstance(p, int) else printable(p)
            for p in (*prefix, *(p for p in err["loc"] if isinstance(p, int) or "[" not in p))
        )
        kind = err["type"]
        if kind == "extra_forbidden":
            message = f"unknown field {path[-1]!r}"
        else:
            message = (
                rule_message(err)
                or _MESSAGES.get(kind)
                or str(err["msg"]).removeprefix("Value error, ")
            )
        out.append(Problem(printable(message), Location(file), path))
    return out


def check_received_at(received_at: datetime) -> None:
    """``received_at`` is the caller's clock reading; it must be aware."""
    if received_at.tzinfo is None or received_at.utcoffset() is None:
        raise ValueError("received_at must be timezone-aware")


def lookup_status(table: dict[str, Status], value: object) -> Status:
    """``value`` through a format's status table (case-insensitive)."""
    if isinstance(value, str):
        found = table.get(value) or table.get(value.strip().lower())
        if found is not None:
            return found
    words = " or ".join(sorted(table))
    raise ValueError(f"unknown status {value!r}; expected {words}")


# -- the format -----------------------------------------------------------------------------


class GenericEvent(BaseModel):
    """One event of the generic format, as sent."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: Text = Field(min_length=1, description="Where the event comes from, e.g. nagios.")
    fingerprint: Text | None = Field(
        default=None, description="Identity of the alert; computed from the labels when absent."
    )
    labels: LabelSet = Field(
        default_factory=dict,
        description="Labels naming the resource and the condition: at least one, names by "
        "^[a-zA-Z_][a-zA-Z0-9_]*$.",
    )
    severity: Text | None = Field(
        default=None, description="The source's severity word (critical, major, warning …)."
    )
    status: Status = Field(description="firing or resolved.")
    start: Timestamp = Field(description="When the condition started (RFC 3339, with timezone).")
    end: Timestamp | None = Field(default=None, description="When it ended (resolved only).")
    summary: Text = Field(default="", description="One line for people.")
    url: Text | None = Field(default=None, description="A link back to the source.")

    @field_validator("status", mode="before")
    @classmethod
    def _status(cls, value: object) -> Status:
        return lookup_status(GenericFormat.STATUS_MAP, value)


class GenericBatch(BaseModel):
    """A batch of the generic format: ``{"events": [...]}``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    events: list[GenericEvent]


class GenericFormat:
    """Servanda's generic JSON events: mapping tables and the parse function."""

    STATUS_MAP: ClassVar[dict[str, Status]] = {
        "firing": Status.FIRING,
        "resolved": Status.RESOLVED,
    }
    """The format's status words."""

    @classmethod
    def parse(
        cls,
        data: Any,
        *,
        received_at: datetime,
        fingerprint_labels: tuple[str, ...] = (),
        file: str = "<request>",
    ) -> tuple[list[Event], list[Problem]]:
        """A batch (``{"events": [...]}`` or a bare list) as events, or no events and every
        problem."""
        check_received_at(received_at)
        prefix: Path = ()
        if isinstance(data, dict):
            unknown = [printable(k) for k in data if k != "events"]
            problems = [Problem(f"unknown field {k!r}", Location(file), (k,)) for k in unknown]
            if "events" not in data:
                problems.append(Problem("this field is required", Location(file), ("events",)))
                return [], problems
            items, prefix = data["events"], ("events",)
            if not isinstance(items, list):
                problems.append(Problem("expected a JSON array", Location(file), prefix))
                return [], problems
        elif isinstance(data, list):
            items, problems = data, []
        else:
            message = 'a generic event batch is a JSON object {"events": [...]} or a JSON array'
            return [], [Problem(message, Location(file))]
        events: list[Event] = []
        for i, item in enumerate(items):
            event, found = cls.parse_one(
                item, fingerprint_labels=fingerprint_labels, file=file, prefix=(*prefix, i)
            )
            problems.extend(found)
            if event is not None:
                events.append(event)
        return ([], problems) if problems else (events, [])

    @classmethod
    def parse_one(
        cls,
        data: Any,
        *,
        fingerprint_labels: tuple[str, ...] = (),
        file: str = "<request>",
        prefix: Path = (),
    ) -> tuple[Event | None, list[Problem]]:
        """One event object, or None and its problems (at paths under ``prefix``)."""
        if not isinstance(data, dict):
            return None, [Problem("an event is a JSON object", Location(file), prefix)]
        try:
            sent = GenericEvent.model_validate(data)
        except ValidationError as exc:
            return None, validation_problems(exc, file, prefix)
        return cls.event(sent, fingerprint_labels=fingerprint_labels, file=file, prefix=prefix)

    @classmethod
    def event(
        cls,
        sent: GenericEvent,
        *,
        fingerprint_labels: Sequence[str] = (),
        file: str = "<request>",
        prefix: Path = (),
    ) -> tuple[Event | None, list[Problem]]:
        """The checks that span fields, then the normalised event."""
        problems = []
        if not sent.labels:
            problems.append(
                Problem(
                    "an event needs at least one label (as Alertmanager, an empty label set "
                    "is refused)",
                    Location(file),
                    (*prefix, "labels"),
                )
            )
        if sent.end is not None:
            if sent.status is Status.FIRING:
                problems.append(
                    Problem(
                        "a firing event has no end; send status resolved with its end",
                        Location(file),
                        (*prefix, "end"),
                    )
                )
            elif sent.end < sent.start:
                problems.append(
                    Problem(
                        f"end {sent.end.isoformat()} is before start {sent.start.isoformat()}",
                        Location(file),
                        (*prefix, "end"),
                    )
                )
        if problems:
            return None, problems
        labels = labels_of(sent.labels)
        fingerprint = sent.fingerprint
        if fingerprint is None:
            fingerprint = fingerprint_of(labels, tuple(fingerprint_labels) or None)
        # The values are validated and the end checked against the start, so the event is
        # built as Event's validation would make it, without running it again.
        url = sent.url or None
        event = trusted(
            Event,
            source=strip(sent.source),
            fingerprint=strip(fingerprint),
            labels=tuple((strip(k), strip(v)) for k, v in labels),
            status=sent.status,
            starts_at=sent.start,
            severity=normalise_severity(sent.severity or "warning"),
            ends_at=sent.end,
            summary=strip(sent.summary),
            generator_url=None if url is None else strip(url),
        )
        return event, []


def parse_generic(
    data: Any,
    *,
    received_at: datetime,
    fingerprint_labels: tuple[str, ...] = (),
    file: str = "<request>",
) -> tuple[list[Event], list[Problem]]:
    """A generic-format batch as events; all or nothing (see :class:`GenericFormat`).

    ``received_at`` is when the batch arrived (it must be aware); the generic format states each
    event's status, so, unlike Alertmanager's, nothing is derived from it.
    """
    return GenericFormat.parse(
        data, received_at=received_at, fingerprint_labels=fingerprint_labels, file=file
    )
