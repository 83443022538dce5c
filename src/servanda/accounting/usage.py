"""A usage record: one use of a network or service, as metered and mediated, before rating.

Its identity is ``(source, record_id)``: the collector that produced it and that collector's
own id for it (a CDR number, a RADIUS session and status, a message sequence). The same record
received twice is the same record (ingestion is idempotent on this key); a *corrected* record
keeps its key and comes with ``corrects`` naming the version it replaces, so rating can reverse
the old charge and book the new one.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated

from pydantic import AwareDatetime, Field, model_validator

from servanda.catalog.model import Id, Identifier
from servanda.core.limits import NAME_CHARS, Name, Text
from servanda.core.records import record


class Category(StrEnum):
    """What kind of use a record is."""

    CALL = "call"
    SMS = "sms"
    DATA = "data"
    STREAM = "stream"
    CONFERENCE_LEG = "conference_leg"
    QOS_LINK = "qos_link"
    OTHER = "other"


Attribute = tuple[Annotated[str, Field(max_length=NAME_CHARS)], Text]


@record
class UsageRecord:
    """One use, metered: who, what, when, how long and how much."""

    source: Id
    """The collector or mediation device that produced it."""
    record_id: Annotated[str, Field(min_length=1, max_length=NAME_CHARS)]
    """The source's own id for it; with ``source``, the idempotency key."""
    account: Identifier
    """The account charged by default (the caller's, the subscriber's)."""
    category: Category
    start: AwareDatetime
    """When the use began (timezone-aware)."""
    service: Identifier | None = None
    subject: Name | None = None
    """Who used it within the account (a calling number, a user name, a device)."""
    destination: Name | None = None
    """Where to (a called number with its prefix, a host, a content provider's stream)."""
    duration: timedelta = timedelta(0)
    volume_up: int = Field(default=0, ge=0)
    """Octets sent by the subject."""
    volume_down: int = Field(default=0, ge=0)
    """Octets received by the subject."""
    units: int = Field(default=0, ge=0)
    """Countable units (messages, requests) for usage measured in neither time nor octets."""
    session_id: Name | None = None
    multi_session_id: Name | None = None
    """Links the records of one multi-party session (a conference, a multilink bundle)."""
    corrects: Name | None = None
    """The version of this record it replaces, when it is a correction."""
    attributes: tuple[Attribute, ...] = Field(default=(), max_length=64)
    """Anything else the source says, as (name, value) pairs, kept for rating rules."""

    @model_validator(mode="after")
    def _sane(self) -> UsageRecord:
        if self.duration < timedelta(0):
            raise ValueError("a duration cannot be negative")
        return self

    @property
    def key(self) -> tuple[str, str]:
        """The idempotency key: the same use sent twice is one record."""
        return self.source, self.record_id

    @property
    def end(self) -> datetime:
        """When the use ended."""
        return self.start + self.duration
