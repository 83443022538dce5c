"""Customer feedback, listening sessions and service reviews.

Feedback is stored once per idempotency key, computed by the caller (e.g. from the customer,
the time and the respondent of an answer), so a survey export loaded twice stores each answer
once. Reviews are notes of a conversation: each one added is a new row with a generated id.

Customer scope: feedback and reviews belong to their customer. Every query takes ``party``; when
given (a customer principal), only that party's rows are returned, whatever else is asked.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Table, insert, select
from sqlalchemy.orm import Session

from servanda.core.records import to_jsonable
from servanda.engagement.model import (
    Channel,
    Feedback,
    Review,
    ReviewAction,
    ReviewKind,
    StoredFeedback,
    StoredReview,
)
from servanda.storage.repositories.mapping import read
from servanda.storage.repositories.measurements import check_keys, insert_keyed
from servanda.storage.tables import FeedbackRow, ReviewRow

FEEDBACK: Table = FeedbackRow.__table__  # type: ignore[assignment]
REVIEWS: Table = ReviewRow.__table__  # type: ignore[assignment]


class EngagementRepository:
    """Feedback and reviews, in the caller's session and transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session

    # -- feedback --------------------------------------------------------------------------

    def add_feedback(
        self, items: Sequence[tuple[str, Feedback]], stored_at: datetime, *, replace: bool = False
    ) -> int:
        """Store ``(key, feedback)`` pairs; returns how many were new. A key already stored or
        repeated is skipped, or with ``replace`` overwrites (see
        :meth:`~servanda.storage.repositories.measurements.MeasurementRepository.add`); a key
        that is no 64-character lowercase hex hash raises :class:`ValueError` before anything
        is written."""
        check_keys(key for key, _ in items)
        fs = [f for _, f in items]
        columns: dict[str, list[Any]] = {
            "key": [key for key, _ in items],
            "customer": [f.customer for f in fs],
            "service": [f.service for f in fs],
            "at": [f.at for f in fs],
            "csat": [f.csat for f in fs],
            "nps": [f.nps for f in fs],
            "comment": [f.comment for f in fs],
            "channel": [f.channel.value for f in fs],
            "incident": [f.incident for f in fs],
            "respondent": [f.respondent for f in fs],
            "stored_at": [stored_at] * len(fs),
        }
        return insert_keyed(self.session, FEEDBACK, columns, ["key"], replace=replace)

    def feedback(
        self,
        customer: str | None = None,
        service: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        *,
        party: str | None = None,
    ) -> list[StoredFeedback]:
        """Feedback (of ``customer``, about ``service``, given in ``[since, until)``), oldest
        first, then by customer; ``party`` keeps only that customer's. Feedback about the
        provider as a whole has no service: asking for a service leaves it out."""
        c = FEEDBACK.c
        conditions: list[ColumnElement[bool]] = []
        if party is not None:
            conditions.append(c.customer == party)
        if customer is not None:
            conditions.append(c.customer == customer)
        if service is not None:
            conditions.append(c.service == service)
        if since is not None:
            conditions.append(c.at >= since)
        if until is not None:
            conditions.append(c.at < until)
        query = select(FEEDBACK).where(*conditions).order_by(c.at, c.customer, c.key)
        return [
            StoredFeedback(
                key=r["key"],
                feedback=Feedback(
                    customer=r["customer"],
                    at=r["at"],
                    csat=r["csat"],
                    nps=r["nps"],
                    service=r["service"],
                    comment=r["comment"],
                    channel=Channel(r["channel"]),
                    incident=r["incident"],
                    respondent=r["respondent"],
                ),
                stored_at=r["stored_at"],
            )
            for r in self.session.connection().execute(query).mappings()
        ]

    # -- reviews ---------------------------------------------------------------------------

    def add_reviews(self, reviews: Sequence[Review], created_at: datetime) -> list[int]:
        """Store reviews; returns their generated ids, in the order given."""
        if not reviews:
            return []
        rows = [
            {
                "customer": r.customer,
                "service": r.service,
                "kind": r.kind.value,
                "held_on": r.held_on,
                "notes": r.notes,
                "actions": [to_jsonable(a) for a in r.actions],
                "attendees": list(r.attendees),
                "created_at": created_at,
            }
            for r in reviews
        ]
        statement = insert(REVIEWS).returning(REVIEWS.c.id, sort_by_parameter_order=True)
        return [int(i) for i in self.session.connection().execute(statement, rows).scalars()]

    def reviews(
        self,
        customer: str | None = None,
        service: str | None = None,
        since: date | None = None,
        until: date | None = None,
        *,
        party: str | None = None,
    ) -> list[StoredReview]:
        """Reviews (with ``customer``, about ``service``, held in ``[since, until)``), oldest
        first; ``party`` keeps only that customer's."""
        c = REVIEWS.c
        conditions: list[ColumnElement[bool]] = []
        if party is not None:
            conditions.append(c.customer == party)
        if customer is not None:
            conditions.append(c.customer == customer)
        if service is not None:
            conditions.append(c.service == service)
        if since is not None:
            conditions.append(c.held_on >= since)
        if until is not None:
            conditions.append(c.held_on < until)
        query = select(REVIEWS).where(*conditions).order_by(c.held_on, c.id)
        return [
            StoredReview(
                id=r["id"],
                review=Review(
                    customer=r["customer"],
                    held_on=r["held_on"],
                    kind=ReviewKind(r["kind"]),
                    notes=r["notes"],
                    actions=tuple(read(ReviewAction, a) for a in r["actions"]),
                    service=r["service"],
                    attendees=tuple(r["attendees"]),
                ),
                created_at=r["created_at"],
            )
            for r in self.session.connection().execute(query).mappings()
        ]
