"""Feedback and review use cases on SQLite and PostgreSQL: references checked and located,
all or nothing, idempotent feedback, and customers limited to their own party."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import Engine

from servanda.core.access import LOCAL_ADMIN, Principal, Role
from servanda.core.problems import Forbidden, InvalidInput, NotFound
from servanda.engagement.model import Channel, Feedback, Review, ReviewAction, ReviewKind
from servanda.ingest.record_files import parse_records
from servanda.services.engagement import (
    feedback_file_reader,
    list_feedback,
    list_reviews,
    record_feedback,
    record_review,
)
from servanda.services.events import EventEngine

from .services_support import T0, fire

OPERATOR = Principal(Role.OPERATOR)
INGEST = Principal(Role.INGEST)
BILLING = Principal(Role.BILLING)
GLOBEX = Principal(Role.CUSTOMER, "globex")
INITECH = Principal(Role.CUSTOMER, "initech")
NOW = T0 + timedelta(days=2)


def answer(customer: str = "globex", hours: int = 0, **kw: object) -> Feedback:
    fields: dict[str, object] = {"customer": customer, "at": T0 + timedelta(hours=hours)}
    fields.update(kw)
    if not {"csat", "nps", "comment"} & set(kw):
        fields["csat"] = 4
    return Feedback(**fields)  # type: ignore[arg-type]


@pytest.fixture
def incident(events: EventEngine) -> str:
    """core-1 down: an incident with an outage of internet for globex (initech's voice has
    core-2 to fall back on)."""
    return events.ingest(LOCAL_ADMIN, [fire("a", "core-1")], T0).opened[0]


# -- feedback --------------------------------------------------------------------------------


def test_feedback_is_stored_once_and_listed(stored: Engine) -> None:
    batch = [
        answer(csat=5, nps=9, service="internet", comment="fast"),
        answer("initech", 1, nps=3, service="voip", channel=Channel.PHONE),
        answer(hours=2, comment="no score, just a word"),
        answer(csat=5, nps=9, service="internet", comment="fast"),  # the same answer again
    ]
    first = record_feedback(stored, OPERATOR, batch, NOW)
    assert first.as_dict() == {"received": 4, "new": 3, "duplicates": 1}
    again = record_feedback(stored, OPERATOR, batch, NOW + timedelta(days=1))
    assert (again.new, again.duplicates) == (0, 4)

    found = list_feedback(stored, OPERATOR)
    assert [(s.feedback.customer, s.feedback.csat, s.feedback.nps) for s in found] == [
        ("globex", 5, 9),
        ("initech", None, 3),
        ("globex", None, None),
    ]
    assert {s.stored_at for s in found} == {NOW}
    assert found[1].feedback.channel is Channel.PHONE
    assert len(list_feedback(stored, OPERATOR, customer="globex")) == 2
    assert len(list_feedback(stored, OPERATOR, service="internet")) == 1
    window = list_feedback(stored, OPERATOR, since=T0 + timedelta(hours=1), until=NOW)
    assert [s.feedback.customer for s in window] == ["initech", "globex"]


def test_unknown_references_are_located_and_nothing_is_stored(
    stored: Engine, incident: str
) -> None:
    batch = [
        answer(incident=incident, service="internet"),
        answer("umbrella"),
        answer("acme"),
        answer(service="fax"),
        answer(service="voip"),
        answer(incident="inc-nope"),
    ]
    with pytest.raises(InvalidInput) as caught:
        record_feedback(stored, OPERATOR, batch, NOW, file="survey.csv")
    found = [(p.path, p.message) for p in caught.value.problems]
    assert found == [
        (("feedback", 1, "customer"), "unknown party 'umbrella'"),
        (("feedback", 2, "customer"), "party 'acme' is not a customer"),
        (("feedback", 3, "service"), "unknown service 'fax'"),
        (("feedback", 4, "service"), "customer 'globex' has no subscription to 'voip'"),
        (("feedback", 5, "incident"), "unknown incident 'inc-nope'"),
    ]
    assert {p.location.file for p in caught.value.problems} == {"survey.csv"}
    assert list_feedback(stored, OPERATOR) == []

    # The first one alone is fine: the incident is stored.
    assert record_feedback(stored, OPERATOR, batch[:1], NOW).new == 1
    (kept,) = list_feedback(stored, OPERATOR)
    assert kept.feedback.incident == incident


def test_customers_record_and_read_only_their_own_feedback(stored: Engine, incident: str) -> None:
    record_feedback(stored, OPERATOR, [answer("initech", service="voip")], NOW)
    mine = answer(incident=incident, comment="back quickly", channel=Channel.PORTAL)
    assert record_feedback(stored, GLOBEX, [mine], NOW).new == 1

    with pytest.raises(NotFound, match="no customer 'initech'"):
        record_feedback(stored, GLOBEX, [answer(hours=5), answer("initech", 5)], NOW)
    with pytest.raises(NotFound):  # exactly as for a customer that does not exist
        record_feedback(stored, GLOBEX, [answer("umbrella")], NOW)
    # Initech does not see the incident (no outage for it): for Initech it does not exist.
    with pytest.raises(InvalidInput) as caught:
        record_feedback(stored, INITECH, [answer("initech", incident=incident)], NOW)
    assert caught.value.problems[0].path == ("feedback", 0, "incident")

    assert [s.feedback for s in list_feedback(stored, GLOBEX)] == [mine]
    assert [s.feedback.customer for s in list_feedback(stored, INITECH)] == ["initech"]
    assert list_feedback(stored, GLOBEX, customer="globex")[0].feedback == mine
    with pytest.raises(NotFound):
        list_feedback(stored, GLOBEX, customer="initech")
    assert len(list_feedback(stored, OPERATOR)) == 2


def test_who_may_record_and_read_feedback(stored: Engine) -> None:
    for principal in (INGEST, BILLING):
        with pytest.raises(Forbidden):
            record_feedback(stored, principal, [answer()], NOW)
    with pytest.raises(Forbidden):
        list_feedback(stored, INGEST)
    assert list_feedback(stored, BILLING) == []
    assert list_feedback(stored, OPERATOR) == []


# -- reviews ---------------------------------------------------------------------------------


def review(customer: str = "globex", day: int = 10, **kw: object) -> Review:
    fields: dict[str, object] = {"customer": customer, "held_on": date(2024, 4, day)}
    fields.update(kw)
    return Review(**fields)  # type: ignore[arg-type]


def test_reviews_are_recorded_each_time_and_listed(stored: Engine) -> None:
    actions = (
        ReviewAction(text="Add a second uplink", owner="NOC", due=date(2024, 5, 1)),
        ReviewAction(text="Send the April report"),
    )
    quarterly = review(
        kind=ReviewKind.SERVICE_REVIEW,
        notes="Outage of 2 April discussed",
        actions=actions,
        service="internet",
        attendees=("Alice", "Bob"),
    )
    first = record_review(stored, OPERATOR, quarterly, NOW)
    second = record_review(stored, OPERATOR, quarterly, NOW)
    assert second.id != first.id  # notes of two meetings, even when alike
    listening = review("initech", 20, kind=ReviewKind.LISTENING_SESSION, notes="Calls fine")
    record_review(stored, LOCAL_ADMIN, listening, NOW)

    found = list_reviews(stored, OPERATOR)
    assert [(s.id, s.review) for s in found] == [
        (first.id, quarterly),
        (second.id, quarterly),
        (found[2].id, listening),
    ]
    assert found[0].created_at == NOW
    assert len(list_reviews(stored, OPERATOR, customer="initech")) == 1
    assert len(list_reviews(stored, OPERATOR, service="internet")) == 2
    after = list_reviews(stored, OPERATOR, since=date(2024, 4, 11), until=date(2024, 4, 21))
    assert [s.review.customer for s in after] == ["initech"]
    assert list_reviews(stored, OPERATOR, until=date(2024, 4, 10)) == []


def test_review_references_are_checked(stored: Engine) -> None:
    with pytest.raises(InvalidInput) as caught:
        record_review(stored, OPERATOR, review("umbrella", service="fax"), NOW)
    assert [(p.path, p.message) for p in caught.value.problems] == [
        (("customer",), "unknown party 'umbrella'"),
        (("service",), "unknown service 'fax'"),
    ]
    with pytest.raises(InvalidInput) as caught:
        record_review(stored, OPERATOR, review(service="voip"), NOW)
    assert caught.value.problems[0].path == ("service",)
    assert list_reviews(stored, OPERATOR) == []


def test_customers_keep_to_their_own_reviews(stored: Engine) -> None:
    record_review(stored, OPERATOR, review("initech"), NOW)
    own = record_review(stored, GLOBEX, review(notes="our view"), NOW)
    with pytest.raises(NotFound):
        record_review(stored, GLOBEX, review("initech"), NOW)
    assert [s.id for s in list_reviews(stored, GLOBEX)] == [own.id]
    with pytest.raises(NotFound):
        list_reviews(stored, GLOBEX, customer="initech")
    with pytest.raises(Forbidden):
        record_review(stored, INGEST, review(), NOW)
    with pytest.raises(Forbidden):
        list_reviews(stored, INGEST)
    assert len(list_reviews(stored, OPERATOR)) == 2


def test_feedback_files_locate_unknown_incidents_at_their_line(
    stored: Engine, incident: str
) -> None:
    text = (
        "customer,at,csat,incident\n"
        f"globex,2024-04-02T12:00:00Z,2,{incident}\n"
        "globex,2024-04-02T13:00:00Z,3,inc-nope\n"
        f"initech,2024-04-02T14:00:00Z,4,{incident}\n"
    )
    staff = feedback_file_reader(stored, OPERATOR)
    found, problems = parse_records(text, "csv", staff, file="survey.csv")
    assert found == []
    assert [str(p) for p in problems] == ["survey.csv:3: incident: unknown incident 'inc-nope'"]
    # For Initech, whose services the incident did not touch, it does not exist.
    initech = feedback_file_reader(stored, INITECH)
    lines = text.splitlines()
    mine = "\n".join([lines[0], lines[3]])
    _, problems = parse_records(mine, "csv", initech, file="survey.csv")
    assert [str(p) for p in problems] == [f"survey.csv:2: incident: unknown incident '{incident}'"]
    good = "\n".join(lines[:2])
    found, problems = parse_records(good, "csv", staff, file="survey.csv")
    assert (len(found), problems) == (1, [])
