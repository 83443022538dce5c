"""Customer feedback and reviews: recording them (checked against the catalog and the stored
incidents) and listing them, with the principal's rights enforced.

* **Feedback** (:func:`record_feedback`, needs ``record_feedback``): a batch is stored all or
  nothing. Its customer must be a known customer party, its service one the customer takes,
  its incident a stored one; anything else is a problem at its path (``feedback[2].service``).
  Each answer is stored once under its idempotency key
  (:func:`~servanda.ingest.feedback.feedback_key`: customer, time, service, respondent,
  channel): a survey export imported twice stores nothing new.
* **Reviews** (:func:`record_review`, same right): notes of a listening session or service
  review, with the actions agreed. Each one recorded is a new review.
* **Reading** (:func:`list_feedback`, :func:`list_reviews`) needs ``read``.

A customer principal records and reads only its own party's feedback and reviews: naming
another customer answers :class:`~servanda.core.problems.NotFound`, exactly as for a customer
that does not exist, and an incident it names must be one it sees (one with an outage for it).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Engine, exists, select
from sqlalchemy.orm import Session

from servanda.catalog.model import PartyRole
from servanda.core.access import Action, Principal
from servanda.core.problems import InvalidInput, Location, NotFound, Problem
from servanda.declared.bundle import Bundle
from servanda.engagement.model import Feedback, Review, StoredFeedback, StoredReview
from servanda.ingest.feedback import feedback_key, feedback_reader
from servanda.ingest.record_files import RecordReader, Row
from servanda.services.catalog import visible_bundle
from servanda.services.measurements import UNLOCATED
from servanda.storage.database import transaction
from servanda.storage.repositories import (
    BundleRepository,
    EngagementRepository,
)
from servanda.storage.repositories.incidents import INCIDENTS, OUTAGES


@dataclass(frozen=True, slots=True)
class FeedbackCounts:
    """What one batch of feedback did: ``received == new + duplicates``."""

    received: int
    """Answers in the batch."""
    new: int
    """Answers stored (their key was not stored yet)."""
    duplicates: int
    """Answers already stored, or repeated within the batch: ignored."""

    def as_dict(self) -> dict[str, int]:
        """JSON-compatible data."""
        return {"received": self.received, "new": self.new, "duplicates": self.duplicates}


def _own_only(principal: Principal, customers: Iterable[str]) -> None:
    """:class:`NotFound` when a customer principal names another customer than itself."""
    party = principal.scope
    if party is None:
        return
    for customer in customers:
        if customer != party:
            raise NotFound(f"no customer {customer!r}")


def _visible_incidents(session: Session, ids: set[str], party: str | None) -> set[str]:
    """Those of ``ids`` that are stored incidents (with an outage for ``party`` when given)."""
    if not ids:
        return set()
    query = select(INCIDENTS.c.id).where(INCIDENTS.c.id.in_(sorted(ids)))
    if party is not None:
        mine = select(OUTAGES.c.id).where(
            OUTAGES.c.incident_id == INCIDENTS.c.id, OUTAGES.c.customer == party
        )
        query = query.where(exists(mine))
    return set(session.execute(query).scalars())


class _References:
    """Checks of the customer, service and incident a record names against the catalog."""

    def __init__(self, bundle: Bundle, incidents: set[str] | None = None) -> None:
        self.bundle = bundle
        self.subscribed = {(s.customer, s.service) for s in bundle.subscriptions}
        self.incidents = incidents or set()

    def problems(
        self,
        customer: str,
        service: str | None,
        incident: str | None,
        where: Location,
        prefix: tuple[str | int, ...],
    ) -> list[Problem]:
        """What is wrong with the references, each at ``prefix`` + its field."""
        found: list[Problem] = []
        party = self.bundle.party_by_id.get(customer)
        if party is None:
            found.append(Problem(f"unknown party {customer!r}", where, (*prefix, "customer")))
        elif PartyRole.CUSTOMER not in party.roles:
            message = f"party {customer!r} is not a customer"
            found.append(Problem(message, where, (*prefix, "customer")))
        if service is not None:
            if service not in self.bundle.service_by_id:
                found.append(Problem(f"unknown service {service!r}", where, (*prefix, "service")))
            elif party is not None and (customer, service) not in self.subscribed:
                message = f"customer {customer!r} has no subscription to {service!r}"
                found.append(Problem(message, where, (*prefix, "service")))
        if incident is not None and incident not in self.incidents:
            found.append(Problem(f"unknown incident {incident!r}", where, (*prefix, "incident")))
        return found


def check_feedback(
    session: Session,
    principal: Principal,
    feedback: Sequence[Feedback],
    bundle: Bundle,
    *,
    file: str = UNLOCATED,
    key: str = "feedback",
) -> list[Problem]:
    """Every unknown customer (or a party that is no customer), unknown service or service
    the customer does not take, and unknown incident (or one the principal does not see) of
    ``feedback``, as a problem at ``(key, index, field)``."""
    wanted = {f.incident for f in feedback if f.incident is not None}
    refs = _References(bundle, _visible_incidents(session, wanted, principal.scope))
    where = Location(file)
    problems: list[Problem] = []
    for i, f in enumerate(feedback):
        problems += refs.problems(f.customer, f.service, f.incident, where, (key, i))
    return problems


def feedback_file_reader(engine: Engine, principal: Principal) -> RecordReader[Feedback]:
    """How feedback files are read for ``principal``: the checks of
    :func:`~servanda.ingest.feedback.feedback_reader` against the catalog the principal sees,
    and an incident that is not stored (or not visible to the principal) as a problem at its
    line, looked up once per incident named."""
    base = feedback_reader(visible_bundle(engine, principal))
    known: dict[str, bool] = {}

    def build(row: Row) -> Feedback | None:
        made = base.build(row)
        if made is None or made.incident is None:
            return made
        found = known.get(made.incident)
        if found is None:
            with transaction(engine) as session:
                visible = _visible_incidents(session, {made.incident}, principal.scope)
            found = known[made.incident] = bool(visible)
        if not found:
            row.problem("incident", f"unknown incident {made.incident!r}")
            return None
        return made

    return RecordReader(base.spec, build)


def record_feedback(
    engine: Engine,
    principal: Principal,
    feedback: Sequence[Feedback],
    now: datetime,
    *,
    file: str = UNLOCATED,
) -> FeedbackCounts:
    """Store a batch of feedback, all of it or none; ``now`` is stored as when.

    Raises :class:`~servanda.core.problems.Forbidden` unless the principal may record
    feedback, :class:`NotFound` when a customer principal names another customer, and
    :class:`InvalidInput` (every problem at ``feedback[i].field`` of ``file``) for unknown
    customers, services and incidents. An answer already stored is not stored again.
    """
    principal.require(Action.RECORD_FEEDBACK)
    _own_only(principal, (f.customer for f in feedback))
    with transaction(engine) as session:
        bundle = BundleRepository(session).load()
        problems = check_feedback(session, principal, feedback, bundle, file=file)
        if problems:
            raise InvalidInput(problems)
        if not feedback:
            return FeedbackCounts(0, 0, 0)
        keyed = [(feedback_key(f), f) for f in feedback]
        new = EngagementRepository(session).add_feedback(keyed, now)
    return FeedbackCounts(len(feedback), new, len(feedback) - new)


def list_feedback(
    engine: Engine,
    principal: Principal,
    customer: str | None = None,
    service: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[StoredFeedback]:
    """Feedback (of ``customer``, about ``service``, given in ``[since, until)``), oldest
    first. A customer principal sees only its own; asking for another customer is
    :class:`NotFound`."""
    principal.require(Action.READ)
    if customer is not None:
        _own_only(principal, (customer,))
    with transaction(engine) as session:
        return EngagementRepository(session).feedback(
            customer, service, since, until, party=principal.scope
        )


def record_review(
    engine: Engine,
    principal: Principal,
    review: Review,
    now: datetime,
    *,
    file: str = UNLOCATED,
) -> StoredReview:
    """Store one review (a new one each time); ``now`` is stored as when it was recorded.

    Raises :class:`~servanda.core.problems.Forbidden` unless the principal may record
    feedback, :class:`NotFound` when a customer principal names another customer, and
    :class:`InvalidInput` (at ``customer`` or ``service``) for an unknown customer or a service
    it does not take.
    """
    principal.require(Action.RECORD_FEEDBACK)
    _own_only(principal, (review.customer,))
    with transaction(engine) as session:
        refs = _References(BundleRepository(session).load())
        problems = refs.problems(review.customer, review.service, None, Location(file), ())
        if problems:
            raise InvalidInput(problems)
        (review_id,) = EngagementRepository(session).add_reviews([review], now)
    return StoredReview(id=review_id, review=review, created_at=now)


def list_reviews(
    engine: Engine,
    principal: Principal,
    customer: str | None = None,
    service: str | None = None,
    since: date | None = None,
    until: date | None = None,
) -> list[StoredReview]:
    """Reviews (with ``customer``, about ``service``, held on days in ``[since, until)``),
    oldest first. A customer principal sees only its own; asking for another customer is
    :class:`NotFound`."""
    principal.require(Action.READ)
    if customer is not None:
        _own_only(principal, (customer,))
    with transaction(engine) as session:
        return EngagementRepository(session).reviews(
            customer, service, since, until, party=principal.scope
        )
