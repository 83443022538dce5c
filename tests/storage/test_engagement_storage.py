"""Customer feedback and reviews in storage, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from sqlalchemy import Engine

from servanda.engagement.model import (
    Channel,
    Feedback,
    Review,
    ReviewAction,
    ReviewKind,
    StoredFeedback,
)
from servanda.storage.database import transaction
from servanda.storage.repositories import EngagementRepository

T0 = datetime(2024, 4, 2, 10, 0, tzinfo=UTC)
STORED = datetime(2024, 4, 30, 12, 0, tzinfo=UTC)
PARIS = timezone(timedelta(hours=2))

HAPPY = Feedback(customer="globex", service="internet", at=T0, csat=5, nps=10)
GRUMPY = Feedback(
    customer="globex",
    service="internet",
    at=T0 + timedelta(days=7),
    csat=2,
    comment="Down during our product launch, again.",
    channel=Channel.PHONE,
    incident="inc-42",
    respondent="IT manager",
)
OVERALL = Feedback(customer="globex", at=T0 + timedelta(days=1), nps=7)
INITECH = Feedback(customer="initech", service="voip", at=T0, csat=4)


def answer_key(f: Feedback) -> str:
    """An idempotency key as an adapter would compute it: who answered, when."""
    who = f"{f.customer}/{f.service}/{f.respondent}/{f.at.astimezone(UTC).isoformat()}"
    return hashlib.sha256(who.encode()).hexdigest()


def keyed(*items: Feedback) -> list[tuple[str, Feedback]]:
    return [(answer_key(f), f) for f in items]


def test_feedback_is_stored_once_and_read_back(engine: Engine) -> None:
    with transaction(engine) as session:
        repo = EngagementRepository(session)
        assert repo.add_feedback(keyed(HAPPY, GRUMPY, OVERALL, INITECH), STORED) == 4
    with transaction(engine) as session:
        repo = EngagementRepository(session)
        # The same answers again store nothing, even with another score under the same key.
        assert repo.add_feedback(keyed(replace(HAPPY, csat=4), GRUMPY), STORED) == 0

    with transaction(engine) as session:
        repo = EngagementRepository(session)
        everything = repo.feedback()
        assert [s.feedback for s in everything] == [HAPPY, INITECH, OVERALL, GRUMPY]
        first = everything[0]
        assert first == StoredFeedback(answer_key(HAPPY), HAPPY, STORED)
        assert first.feedback.at.tzinfo is UTC
        assert first.stored_at.tzinfo is UTC
        assert [s.feedback for s in repo.feedback("globex", "internet")] == [HAPPY, GRUMPY]
        # Half-open period: the answer given at its end is left out.
        week = repo.feedback("globex", since=T0, until=GRUMPY.at)
        assert [s.feedback for s in week] == [HAPPY, OVERALL]
        assert [s.feedback for s in repo.feedback(service="voip")] == [INITECH]


def test_feedback_sent_again_may_replace_the_stored_answer(engine: Engine) -> None:
    corrected = replace(HAPPY, csat=4, comment="Fine, one glitch.")
    with transaction(engine) as session:
        repo = EngagementRepository(session)
        repo.add_feedback(keyed(HAPPY, OVERALL), STORED)
        later = STORED + timedelta(days=1)
        # Overwritten or new: the corrected answer and INITECH's; the last of a key wins.
        twice = [(answer_key(HAPPY), replace(HAPPY, csat=1)), *keyed(corrected, INITECH)]
        assert repo.add_feedback(twice, later.astimezone(PARIS), replace=True) == 2
    with transaction(engine) as session:
        back = EngagementRepository(session).feedback("globex")
    assert [s.feedback for s in back] == [corrected, OVERALL]
    assert [s.stored_at for s in back] == [later, STORED]


def test_a_customer_sees_only_its_own_feedback(engine: Engine) -> None:
    with transaction(engine) as session:
        EngagementRepository(session).add_feedback(keyed(HAPPY, INITECH), STORED)
    with transaction(engine) as session:
        repo = EngagementRepository(session)
        assert [s.feedback for s in repo.feedback(party="initech")] == [INITECH]
        assert repo.feedback("globex", party="initech") == []
        assert repo.feedback(service="internet", party="initech") == []


def test_a_failing_batch_writes_nothing(engine: Engine) -> None:
    with pytest.raises(ValueError, match="item 1: the key 'nope'"), transaction(engine) as session:
        EngagementRepository(session).add_feedback([*keyed(HAPPY), ("nope", GRUMPY)], STORED)

    def write_then_fail() -> None:
        with transaction(engine) as session:
            repo = EngagementRepository(session)
            assert repo.add_feedback(keyed(HAPPY, GRUMPY), STORED) == 2
            repo.add_reviews([Review(customer="globex", held_on=date(2024, 4, 3))], STORED)
            raise RuntimeError("the caller fails after writing")

    with pytest.raises(RuntimeError):
        write_then_fail()
    with transaction(engine) as session:
        repo = EngagementRepository(session)
        assert repo.feedback() == []
        assert repo.reviews() == []


def test_reviews_round_trip(engine: Engine) -> None:
    session_review = Review(
        customer="globex",
        held_on=date(2024, 4, 15),
        kind=ReviewKind.LISTENING_SESSION,
        notes="Launch days matter more than nights.",
        actions=(
            ReviewAction(text="Declare launch days as critical windows", owner="acme", due=None),
            ReviewAction(
                text="Send the outage report", owner="noc", due=date(2024, 4, 20), done=True
            ),
        ),
        service="internet",
        attendees=("Globex IT manager", "ACME account manager"),
    )
    quarterly = Review(customer="globex", held_on=date(2024, 4, 1))
    other = Review(customer="initech", held_on=date(2024, 4, 10), notes="All fine.")
    with transaction(engine) as session:
        ids = EngagementRepository(session).add_reviews(
            [session_review, quarterly, other], STORED.astimezone(PARIS)
        )
    assert len(set(ids)) == 3
    assert ids == sorted(ids)
    with transaction(engine) as session:
        repo = EngagementRepository(session)
        everything = repo.reviews()
        assert [r.review for r in everything] == [quarterly, other, session_review]
        assert [r.id for r in everything] == [ids[1], ids[2], ids[0]]
        assert everything[2].created_at == STORED
        assert everything[2].created_at.tzinfo is UTC
        assert [r.review for r in repo.reviews("globex")] == [quarterly, session_review]
        assert [r.review for r in repo.reviews(service="internet")] == [session_review]
        april_2_to_15 = repo.reviews(since=date(2024, 4, 2), until=date(2024, 4, 15))
        assert [r.review for r in april_2_to_15] == [other]
        assert [r.review for r in repo.reviews(party="initech")] == [other]
        assert repo.reviews("globex", party="initech") == []
    with transaction(engine) as session:
        assert EngagementRepository(session).add_reviews([], STORED) == []
