"""Events as every source is normalised to, and the label-to-node mapping rules."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, Field, model_validator

from servanda.core.records import input_fields, record


class Status(StrEnum):
    """Whether the condition an alert reports holds."""

    FIRING = "firing"
    RESOLVED = "resolved"


class Severity(StrEnum):
    """Normalised severities, most severe first."""

    CRITICAL = "critical"
    MAJOR = "major"
    MINOR = "minor"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        """0 for critical … 4 for info (lower is more severe)."""
        return list(Severity).index(self)


SEVERITY_ALIASES: dict[str, Severity] = {
    "critical": Severity.CRITICAL,
    "crit": Severity.CRITICAL,
    "page": Severity.CRITICAL,
    "emergency": Severity.CRITICAL,
    "fatal": Severity.CRITICAL,
    "high": Severity.MAJOR,
    "major": Severity.MAJOR,
    "error": Severity.MAJOR,
    "err": Severity.MAJOR,
    "medium": Severity.MINOR,
    "minor": Severity.MINOR,
    "low": Severity.WARNING,
    "warning": Severity.WARNING,
    "warn": Severity.WARNING,
    "info": Severity.INFO,
    "informational": Severity.INFO,
    "notice": Severity.INFO,
    "none": Severity.INFO,
    "ok": Severity.INFO,
}
"""How source severities map to Servanda's; unknown ones become ``warning``."""


def normalise_severity(value: object) -> Severity:
    """A source's severity word as a :class:`Severity` (unknown words: warning)."""
    if isinstance(value, Severity):
        return value
    return SEVERITY_ALIASES.get(str(value).strip().lower(), Severity.WARNING)


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("timestamp needs a timezone (e.g. 2024-04-02T10:02:00Z)")
    return value


AwareDatetime = Annotated[datetime, AfterValidator(_aware)]
"""A timestamp that must carry its timezone."""

Labels = tuple[tuple[str, str], ...]
"""Labels as sorted (name, value) pairs, so records stay hashable and comparable."""


def labels_of(mapping: dict[str, Any]) -> Labels:
    """Sorted label pairs from a mapping (values as text)."""
    return tuple(sorted((str(k), str(v)) for k, v in mapping.items()))


def fingerprint_of(labels: Labels, keys: tuple[str, ...] | None = None) -> str:
    """A stable fingerprint: SHA-256 (first 16 hex digits) of the chosen labels, sorted.

    With ``keys``, only those labels count (e.g. ``alertname`` and ``instance``), so an alert
    whose other labels change keeps its identity.
    """
    chosen = [(k, v) for k, v in labels if keys is None or k in keys]
    text = "\x1f".join(f"{k}\x1e{v}" for k, v in chosen)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


@record
class Event:
    """One observation of an alert, normalised from any source."""

    source: str
    """Where it came from: ``alertmanager``, or the generic format's ``source``."""
    fingerprint: str
    """Identity of the alert: repeats of one alert share it."""
    labels: Labels
    """The labels naming the resource and the condition."""
    status: Status
    """firing or resolved."""
    starts_at: AwareDatetime
    """When the condition started."""
    severity: Severity = Severity.WARNING
    """Normalised severity."""
    ends_at: AwareDatetime | None = None
    """When it ended (resolved events); None while firing."""
    summary: str = ""
    """One line for people."""
    node: str | None = None
    """The catalog node it maps to; None when no mapping rule matched (kept, listed as
    unmapped)."""
    generator_url: str | None = None
    """A link back to the source."""

    @model_validator(mode="after")
    def _order(self) -> Event:
        if self.ends_at is not None and self.ends_at < self.starts_at:
            raise ValueError(f"ends_at {self.ends_at} is before starts_at {self.starts_at}")
        return self

    def label(self, name: str) -> str | None:
        """The value of one label."""
        for k, v in self.labels:
            if k == name:
                return v
        return None

    @property
    def key(self) -> tuple[str, str, datetime, datetime | None]:
        """Idempotency key: the same observation sent twice has the same key."""
        return (self.fingerprint, self.status.value, self.starts_at, self.ends_at)


@record
class NodeMapping:
    """A rule that maps an event's labels to a catalog node.

    ``match`` lists labels that must all equal the given values (or, for values written as
    ``~regex``, fully match the regular expression). ``node`` is the node id; it may use
    ``{label}`` placeholders and the regex's named groups, e.g. ``node: "{host}"`` with
    ``match: {instance: "~(?P<host>[^:]+):\\d+"}``. Rules are tried in order; the first that
    matches and names a known node wins.
    """

    match: Annotated[tuple[tuple[str, str], ...], Field(min_length=1)]
    """Label conditions."""
    node: str
    """The node id, or a template of it."""
    source: str | None = None
    """Only events from this source."""
    description: str | None = None
    """Why this rule exists."""

    @model_validator(mode="before")
    @classmethod
    def _match_mapping(cls, data: Any) -> Any:
        fields = input_fields(data)
        if fields is not None and isinstance(fields.get("match"), dict):
            fields["match"] = [(str(k), str(v)) for k, v in fields["match"].items()]
            return fields
        return data


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """An event as stored: the event, its key, and when it was received."""

    key: str
    event: Event
    received_at: datetime
