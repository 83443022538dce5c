"""Feedback, listening sessions and service reviews, as records.

Scores are the usual ones: CSAT on 1–5 (5 best), NPS on 0–10 (promoters 9–10, passives 7–8,
detractors 0–6). A feedback gives either or both, and may name the incident it is about.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import Field, field_validator, model_validator

from servanda.catalog.model import Identifier
from servanda.core.limits import LIST_ITEMS, Name, Text
from servanda.core.records import record


class Channel(StrEnum):
    """How the feedback reached the provider."""

    SURVEY = "survey"
    EMAIL = "email"
    PHONE = "phone"
    PORTAL = "portal"
    MEETING = "meeting"
    OTHER = "other"


@record
class Feedback:
    """One customer's say on a service (or on the provider as a whole)."""

    customer: Identifier
    at: datetime
    """When it was given."""
    csat: Annotated[int, Field(ge=1, le=5)] | None = None
    """Satisfaction, 1 (very dissatisfied) to 5 (very satisfied)."""
    nps: Annotated[int, Field(ge=0, le=10)] | None = None
    """Likelihood to recommend, 0 to 10."""
    service: Identifier | None = None
    """The service it is about; None: the provider as a whole."""
    comment: Text = ""
    channel: Channel = Channel.SURVEY
    incident: Name | None = None
    """The incident it is about, if any."""
    respondent: Name | None = None
    """Who answered (a name or a role), when known."""

    @field_validator("at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("a timestamp needs its timezone, e.g. 2024-04-02T10:00:00Z")
        return value

    @model_validator(mode="after")
    def _scored(self) -> Feedback:
        if self.csat is None and self.nps is None and not self.comment:
            raise ValueError("feedback needs a csat score, an nps score or a comment")
        return self


class ReviewKind(StrEnum):
    """A conversation with the customer, kept as dated notes."""

    LISTENING_SESSION = "listening_session"
    SERVICE_REVIEW = "service_review"


@record
class ReviewAction:
    """Something agreed in a review, to be done by someone."""

    text: Text = Field(min_length=1)
    owner: Name | None = None
    due: date | None = None
    done: bool = False


@record
class Review:
    """A listening session or service review with a customer."""

    customer: Identifier
    held_on: date
    kind: ReviewKind = ReviewKind.SERVICE_REVIEW
    notes: Text = ""
    actions: tuple[ReviewAction, ...] = Field(default=(), max_length=LIST_ITEMS)
    service: Identifier | None = None
    attendees: tuple[Name, ...] = Field(default=(), max_length=LIST_ITEMS)


@dataclass(frozen=True, slots=True)
class StoredFeedback:
    """Feedback as stored: its key, the feedback, and when the server stored it."""

    key: str
    feedback: Feedback
    stored_at: datetime


@dataclass(frozen=True, slots=True)
class StoredReview:
    """A review as stored: its generated id, the review, and when it was recorded."""

    id: int
    review: Review
    created_at: datetime
