"""Online charging use cases: top-ups, balances, and sessions charged while they run
(initiate, update, terminate, as RFC 4006 credit control does).

Every request of an account runs in one transaction holding the account's turn (a
PostgreSQL advisory lock per account; SQLite's write lock), so concurrent sessions of one
account see each other's reservations and never spend more than its buckets hold. Each
request carries a number; a request sent again (the same number) gets the stored answer and
changes nothing. Reservations expire: a session silent past its validity is closed at the
next request of its account (or :func:`expire_stale`), its reservation released, the use it
reported debited and stored.

When a session ends, its use is stored as a usage record (source ``ocs``, the session id as
record id) and rated like any usage, with the money debited from the balance as the attribute
``debited``: billing settles prepaid usage against it.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, select, text, update
from sqlalchemy.orm import Session

from servanda.accounting.charging import Bucket, BucketKind, Grant, available, draw, grant
from servanda.accounting.rating.rater import Rater
from servanda.accounting.usage import Category, UsageRecord
from servanda.core.access import Action, Principal
from servanda.core.problems import Conflict, InvalidInput, Location, NotFound, Problem
from servanda.ingest.charging_requests import InitiateLine, TerminateLine, TopUpLine, UpdateLine
from servanda.services.pricing import stored_rater, usage_table
from servanda.services.usage import NewCharge, store_in
from servanda.storage.database import transaction
from servanda.storage.repositories import BundleRepository
from servanda.storage.tables import BalanceMovementRow, BucketRow, ChargingSessionRow

VALIDITY = timedelta(minutes=10)
"""How long a grant holds without news (the Validity-Time)."""

KIND_OF: dict[Category, BucketKind] = {
    Category.CALL: BucketKind.TIME,
    Category.CONFERENCE_LEG: BucketKind.TIME,
    Category.QOS_LINK: BucketKind.TIME,
    Category.STREAM: BucketKind.TIME,
    Category.DATA: BucketKind.VOLUME,
    Category.SMS: BucketKind.UNITS,
    Category.OTHER: BucketKind.UNITS,
}
"""What a session's quantity is, by category: seconds, octets or units."""


@dataclass(frozen=True, slots=True)
class SessionRequest:
    """What a session is: who, what, where to, from when."""

    account: str
    category: Category
    start: datetime
    service: str | None = None
    subject: str | None = None
    destination: str | None = None


def _take_turn(session: Session, account: str) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
            {"key": f"servanda.charging:{account}"},
        )
    else:
        session.execute(update(BucketRow).where(BucketRow.id == -1).values(id=-1))


def _buckets(session: Session, account: str) -> list[Bucket]:
    rows = session.scalars(select(BucketRow).where(BucketRow.account == account)).all()
    return [
        Bucket(
            id=r.id,
            account=r.account,
            kind=BucketKind(r.kind),
            amount=Decimal(r.amount),
            currency=r.currency,
            expires_at=r.expires_at,
        )
        for r in rows
    ]


# -- balances ------------------------------------------------------------------------------


def top_up(
    engine: Engine,
    principal: Principal,
    account: str,
    kind: BucketKind,
    amount: Decimal,
    now: datetime,
    *,
    currency: str | None = None,
    expires_at: datetime | None = None,
    reference: str | None = None,
) -> Bucket:
    """Add a bucket to an account (a top-up sent twice with its ``reference`` is stored
    once); billing staff."""
    principal.require(Action.READ)
    principal.require(Action.INGEST_USAGE)
    if amount <= 0:
        raise InvalidInput([Problem("a top-up is more than zero", Location(), ("amount",))])
    if (kind is BucketKind.MONEY) != (currency is not None):
        raise InvalidInput(
            [Problem("money has a currency, and only money", Location(), ("currency",))]
        )
    with transaction(engine) as session:
        _take_turn(session, account)
        if reference is not None:
            found = session.scalar(
                select(BucketRow).where(
                    BucketRow.account == account, BucketRow.reference == reference
                )
            )
            if found is not None:
                return _buckets_by_id(session, account)[found.id]
        row = BucketRow(
            account=account, kind=kind.value, amount=amount, currency=currency,
            expires_at=expires_at, created_at=now, reference=reference,
        )  # fmt: skip
        session.add(row)
        session.flush()
        session.add(BalanceMovementRow(bucket_id=row.id, amount=amount, at=now))
        return _buckets_by_id(session, account)[row.id]


def _buckets_by_id(session: Session, account: str) -> dict[int, Bucket]:
    return {b.id: b for b in _buckets(session, account)}


def balances(engine: Engine, principal: Principal, account: str) -> list[Bucket]:
    """An account's buckets (billing staff: tokens that read and handle usage)."""
    principal.require(Action.READ)
    principal.require(Action.INGEST_USAGE)
    with transaction(engine) as session:
        return _buckets(session, account)


# -- usage charged as it comes (RADIUS interims of credit-limited accounts) -----------------


@dataclass(frozen=True, slots=True)
class Shortfall:
    """Usage charged to an account beyond what its balance held."""

    account: str
    usage_id: int
    owed: Decimal
    currency: str


def take_turns(session: Session, accounts: Sequence[str]) -> None:
    """Hold the turns of several accounts (always in the same order: no deadlock)."""
    for account in sorted(set(accounts)):
        _take_turn(session, account)


def debit_usage(session: Session, charges: Sequence[NewCharge], now: datetime) -> list[Shortfall]:
    """Debit charges just made from the money buckets of their accounts, as online sessions
    are debited, in the caller's transaction (which holds the accounts' turns: see
    :func:`take_turns`). An account without buckets is postpaid with no limit and is not
    touched; a credit-limited account (its credit limit is a money bucket) is debited what
    its buckets hold in the charge's currency, less what its open online sessions have
    reserved. What is left over is owed and returned: the account has spent its limit."""
    short: list[Shortfall] = []
    for charge in charges:
        if charge.amount <= 0:
            continue
        buckets = [
            b for b in _buckets(session, charge.account)
            if b.kind is BucketKind.MONEY and b.currency == charge.currency
        ]  # fmt: skip
        if not buckets:
            continue
        held = sum((Decimal(o.reserved_money) for o in _open_sessions(session, charge.account)),
                   Decimal(0))  # fmt: skip
        left = max(available(buckets, BucketKind.MONEY, now) - held, Decimal(0))
        paid = min(charge.amount, left)
        for bucket_id, amount in draw(buckets, BucketKind.MONEY, paid, now):
            _move(session, bucket_id, -amount, now, usage_id=charge.usage_id)
        if paid < charge.amount:
            short.append(
                Shortfall(charge.account, charge.usage_id, charge.amount - paid, charge.currency)
            )
    return short


def _move(
    session: Session,
    bucket_id: int,
    amount: Decimal,
    now: datetime,
    *,
    session_id: str | None = None,
    usage_id: int | None = None,
) -> None:
    bucket = session.get(BucketRow, bucket_id)
    assert bucket is not None
    bucket.amount = Decimal(bucket.amount) + amount
    session.add(
        BalanceMovementRow(
            bucket_id=bucket_id, session_id=session_id, usage_id=usage_id, amount=amount, at=now
        )
    )


def _open_sessions(
    session: Session, account: str, but: str | None = None
) -> Sequence[ChargingSessionRow]:
    query = select(ChargingSessionRow).where(
        ChargingSessionRow.account == account, ChargingSessionRow.state == "open"
    )
    if but is not None:
        query = query.where(ChargingSessionRow.id != but)
    return session.scalars(query).all()


# -- sessions ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Answer:
    """The answer to a credit-control request."""

    session: str
    state: str
    granted: int
    """Granted for the next interval (seconds, octets or units); 0 on terminate."""
    validity: int
    """Seconds the grant holds without news."""
    final: bool
    """The final-unit indication."""
    reason: str | None
    used: int
    debited: Decimal
    reserved: Decimal
    currency: str | None
    balance: Decimal | None
    """Money left to the account after this request (None: postpaid)."""

    def as_dict(self) -> dict[str, Any]:
        """JSON-compatible data."""
        return {
            "session": self.session, "state": self.state, "granted": self.granted,
            "validity": self.validity, "final": self.final, "reason": self.reason,
            "used": self.used, "debited": str(self.debited), "reserved": str(self.reserved),
            "currency": self.currency,
            "balance": None if self.balance is None else str(self.balance),
        }  # fmt: skip


def initiate(
    engine: Engine,
    principal: Principal,
    request: SessionRequest,
    requested: int,
    now: datetime,
    *,
    session_id: str | None = None,
) -> Answer:
    """Open a session and grant its first interval."""
    principal.require(Action.INGEST_USAGE)
    sid = session_id or uuid.uuid4().hex
    with transaction(engine) as session:
        _take_turn(session, request.account)
        existing = session.get(ChargingSessionRow, sid)
        if existing is not None:
            if existing.request_number == 0:
                return _answer_of(existing)
            raise Conflict(f"session {sid} exists already")
        _expire(session, request.account, now)
        row = ChargingSessionRow(
            id=sid, account=request.account, record=_record_json(request), tariff=None,
            currency=None, state="open", used=0, units_used=0, debited=Decimal(0),
            reserved_units=0, reserved_money=Decimal(0), granted=0, final=False,
            valid_until=now + VALIDITY, request_number=0, answer={}, updated_at=now,
        )  # fmt: skip
        session.add(row)
        return _grant(session, row, requested, now)


def update_session(
    engine: Engine,
    principal: Principal,
    session_id: str,
    request_number: int,
    used: int,
    requested: int,
    now: datetime,
) -> Answer:
    """Report use since the last request (debited), and ask for the next interval."""
    return _report(engine, principal, session_id, request_number, used, requested, now, False)


def terminate(
    engine: Engine,
    principal: Principal,
    session_id: str,
    request_number: int,
    used: int,
    now: datetime,
) -> Answer:
    """Report the last use (debited), release the rest, store the session's usage."""
    return _report(engine, principal, session_id, request_number, used, 0, now, True)


def _report(
    engine: Engine,
    principal: Principal,
    session_id: str,
    number: int,
    used: int,
    requested: int,
    now: datetime,
    last: bool,
) -> Answer:
    principal.require(Action.INGEST_USAGE)
    if used < 0 or requested < 0:
        raise InvalidInput([Problem("used and requested are not negative", Location())])
    with transaction(engine) as session:
        account = session.scalar(
            select(ChargingSessionRow.account).where(ChargingSessionRow.id == session_id)
        )
        if account is None:
            raise NotFound(f"no charging session {session_id}")
        _take_turn(session, account)
        _expire(session, account, now, keep=session_id)
        row = session.get(ChargingSessionRow, session_id)
        assert row is not None
        if number == row.request_number:
            return _answer_of(row)
        if number != row.request_number + 1:
            raise Conflict(
                f"request {number} of session {session_id} follows request {row.request_number}"
            )
        if row.state != "open":
            raise Conflict(f"session {session_id} is {row.state}")
        row.request_number = number
        pricer = _Pricer(stored_rater(BundleRepository(session)), row)
        _debit(session, row, used, now, pricer, requested)
        if last:
            _close(session, row, "terminated", now)
            return _answer(row, 0, now, _money_left(session, row, now))
        return _grant(session, row, requested, now, pricer)


# -- the work under the account's turn -----------------------------------------------------


def _record_json(request: SessionRequest) -> dict[str, Any]:
    return {
        "category": request.category.value, "start": request.start.isoformat(),
        "service": request.service, "subject": request.subject,
        "destination": request.destination,
    }  # fmt: skip


def _usage(row: ChargingSessionRow, quantity: int, record_id: str | None = None) -> UsageRecord:
    data = row.record
    category = Category(data["category"])
    kind = KIND_OF[category]
    amounts: dict[str, Any] = {}
    if kind is BucketKind.TIME:
        amounts["duration"] = timedelta(seconds=quantity)
    elif kind is BucketKind.VOLUME:
        amounts["volume_down"] = quantity
    else:
        amounts["units"] = quantity
    return UsageRecord(
        source="ocs", record_id=record_id or row.id, account=row.account, category=category,
        start=datetime.fromisoformat(data["start"]), service=data["service"],
        subject=data["subject"], destination=data["destination"], **amounts,
    )  # fmt: skip


class _Pricer:
    """The cost of a session priced for a quantity, with the stored tariffs (rating also
    tells the tariff, its currency and the increment of the slot reached). Costs are
    remembered, and many quantities are priced in one call of the rater."""

    def __init__(self, rater: Rater | None, row: ChargingSessionRow) -> None:
        self.rater = rater
        self.row = row
        self.currency: str | None = None
        self.tariff: str | None = None
        volume = KIND_OF[Category(row.record["category"])] is BucketKind.VOLUME
        self.step = 1000 if volume else 1
        """Grants are whole seconds, units, or kilobytes."""
        self.reason: str | None = None
        self.known: dict[int, tuple[Decimal, bool]] = {}

    def __call__(self, quantity: int) -> tuple[Decimal, bool]:
        return self.many([quantity])[0]

    def many(self, quantities: Sequence[int]) -> list[tuple[Decimal, bool]]:
        """The cost of the session priced for each quantity."""
        missing = sorted({q for q in quantities if q not in self.known})
        if missing:
            self._rate(missing)
        return [self.known[q] for q in quantities]

    def _rate(self, quantities: list[int]) -> None:
        if self.rater is None:
            self.reason = "no tariff is declared"
            self.known.update((q, (Decimal(0), False)) for q in quantities)
            return
        table = usage_table([_usage(self.row, q) for q in quantities])
        rated = self.rater.rate_table(table).select(
            ["cost", "not_rated", "currency", "tariff", "disconnected", "parts"]
        )
        for q, row in zip(quantities, rated.to_pylist(), strict=True):
            if row["cost"] is None:
                self.reason = str(row["not_rated"])
                self.known[q] = (Decimal(0), False)
                continue
            self.currency, self.tariff = row["currency"], row["tariff"]
            # nothing used costs nothing, not even the connect fee
            self.known[q] = (
                (Decimal(0), False) if q == 0 else (Decimal(row["cost"]), bool(row["disconnected"]))
            )


def _money_left(session: Session, row: ChargingSessionRow, now: datetime) -> Decimal | None:
    """Money the account has for this session: its money buckets less what its other open
    sessions hold; None when it has no bucket at all (postpaid)."""
    buckets = _buckets(session, row.account)
    if not buckets:
        return None
    others = _open_sessions(session, row.account, but=row.id)
    held = sum((Decimal(o.reserved_money) for o in others), Decimal(0))
    return available(buckets, BucketKind.MONEY, now) - held


def _units_left(
    session: Session, row: ChargingSessionRow, kind: BucketKind, now: datetime
) -> Decimal:
    buckets = _buckets(session, row.account)
    others = _open_sessions(session, row.account, but=row.id)
    held = sum(
        (o.reserved_units for o in others if KIND_OF[Category(o.record["category"])] is kind), 0
    )
    return max(available(buckets, kind, now) - held, Decimal(0))


def _grant(
    session: Session,
    row: ChargingSessionRow,
    requested: int,
    now: datetime,
    pricer: _Pricer | None = None,
) -> Answer:
    kind = KIND_OF[Category(row.record["category"])]
    pricer = pricer or _Pricer(stored_rater(BundleRepository(session)), row)
    priced = max(row.used - row.units_used, 0)
    pricer.many([priced, priced + requested])  # at once: the tariff, currency, likely costs
    if pricer.reason is not None:
        row.granted, row.final, row.reserved_money, row.reserved_units = 0, True, Decimal(0), 0
        row.valid_until = now + VALIDITY
        row.updated_at = now
        return _answer(row, 0, now, None, reason=f"not rated: {pricer.reason}")
    money = _money_left(session, row, now)
    found: Grant = grant(
        requested=requested,
        step=pricer.step,
        units_left=_units_left(session, row, kind, now),
        money_left=money,
        priced_so_far=row.used - row.units_used,
        cost=pricer,
        costs=pricer.many,
    )
    row.tariff, row.currency = pricer.tariff, pricer.currency
    row.granted = found.quantity
    row.final = found.final
    row.reserved_units = found.from_units
    row.reserved_money = found.money if money is not None else Decimal(0)
    row.valid_until = now + VALIDITY
    row.updated_at = now
    left = None if money is None else money - row.reserved_money
    return _answer(row, found.quantity, now, left, reason=found.reason)


def _debit(
    session: Session,
    row: ChargingSessionRow,
    used: int,
    now: datetime,
    pricer: _Pricer,
    requested: int,
) -> None:
    """Debit reported use: from the reserved units first, then money at the tariff's price
    (never more than the buckets hold)."""
    kind = KIND_OF[Category(row.record["category"])]
    from_units = min(used, row.reserved_units)
    priced_before = row.used - row.units_used
    priced_after = priced_before + used - from_units
    row.used += used
    row.units_used += from_units
    buckets = _buckets(session, row.account)
    moves = [(b, -a) for b, a in draw(buckets, kind, Decimal(from_units), now)]
    if buckets and priced_after > priced_before:
        # One call of the rater prices the debit and the next grant's likely quantity.
        before, after, _ = pricer.many([priced_before, priced_after, priced_after + requested])
        cost = after[0] - before[0]
        money = available(buckets, BucketKind.MONEY, now)
        moves += [(b, -a) for b, a in draw(buckets, BucketKind.MONEY, min(cost, money), now)]
        row.debited = Decimal(row.debited) + min(cost, money)
    for bucket_id, amount in moves:
        _move(session, bucket_id, amount, now, session_id=row.id)
    row.reserved_units, row.reserved_money = 0, Decimal(0)


def _close(session: Session, row: ChargingSessionRow, state: str, now: datetime) -> None:
    """End a session: nothing reserved any more, its use stored as usage."""
    row.state = state
    row.reserved_units, row.reserved_money, row.granted = 0, Decimal(0), 0
    row.updated_at = now
    attributes = (("prepaid", "true"), ("debited", str(row.debited)), ("ended", state))
    record = replace(_usage(row, row.used), attributes=attributes)
    stored = store_in(session, [record], [f"ocs:{row.id}"], now)
    if stored.ids:
        session.execute(
            update(BalanceMovementRow)
            .where(BalanceMovementRow.session_id == row.id)
            .values(usage_id=stored.ids[0])
        )


def _expire(session: Session, account: str, now: datetime, keep: str | None = None) -> None:
    """Close the account's sessions silent past their validity."""
    stale = session.scalars(
        select(ChargingSessionRow).where(
            ChargingSessionRow.account == account,
            ChargingSessionRow.state == "open",
            ChargingSessionRow.valid_until < now,
        )
    ).all()
    for row in stale:
        if row.id != keep:
            _close(session, row, "expired", now)


def expire_stale(engine: Engine, now: datetime) -> int:
    """Close every session silent past its validity; how many."""
    with transaction(engine) as session:
        accounts = set(
            session.scalars(
                select(ChargingSessionRow.account).where(
                    ChargingSessionRow.state == "open", ChargingSessionRow.valid_until < now
                )
            )
        )
    closed = 0
    for account in sorted(accounts):
        with transaction(engine) as session:
            _take_turn(session, account)
            before = session.scalar(
                select(ChargingSessionRow.id).where(
                    ChargingSessionRow.account == account,
                    ChargingSessionRow.state == "open",
                    ChargingSessionRow.valid_until < now,
                )
            )
            if before is not None:
                _expire(session, account, now)
                closed += 1
    return closed


def _answer(
    row: ChargingSessionRow,
    granted: int,
    now: datetime,
    balance: Decimal | None,
    *,
    reason: str | None = None,
) -> Answer:
    answer = Answer(
        session=row.id, state=row.state, granted=granted,
        validity=int(VALIDITY.total_seconds()), final=row.final, reason=reason, used=row.used,
        debited=Decimal(row.debited), reserved=Decimal(row.reserved_money),
        currency=row.currency, balance=balance,
    )  # fmt: skip
    row.answer = answer.as_dict()
    _ = now
    return answer


def _answer_of(row: ChargingSessionRow) -> Answer:
    a = row.answer
    return Answer(
        session=a["session"], state=a["state"], granted=a["granted"], validity=a["validity"],
        final=a["final"], reason=a["reason"], used=a["used"], debited=Decimal(a["debited"]),
        reserved=Decimal(a["reserved"]), currency=a["currency"],
        balance=None if a["balance"] is None else Decimal(a["balance"]),
    )  # fmt: skip


def sessions_of(engine: Engine, principal: Principal, account: str) -> Sequence[Answer]:
    """The last answer of each session of an account."""
    principal.require(Action.READ)
    principal.require(Action.INGEST_USAGE)
    with transaction(engine) as session:
        rows = session.scalars(
            select(ChargingSessionRow).where(ChargingSessionRow.account == account)
        ).all()
        return [_answer_of(r) for r in rows]


# -- requests kept in files ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RequestsReplayed:
    """What replaying a requests file did: the top-ups, and each session's last answer."""

    top_ups: int
    answers: dict[str, Answer]

    def as_dict(self) -> dict[str, Any]:
        """JSON-compatible data."""
        return {
            "top_ups": self.top_ups,
            "sessions": {sid: a.as_dict() for sid, a in sorted(self.answers.items())},
        }


def replay_requests(
    engine: Engine,
    principal: Principal,
    requests: Sequence[TopUpLine | InitiateLine | UpdateLine | TerminateLine],
) -> RequestsReplayed:
    """Run requests read from a file (:mod:`servanda.ingest.charging_requests`) in order, each
    at its own time, as the API would have. A session request already done (its number at or
    below the session's stored one) is skipped, so replaying a file again changes nothing."""
    principal.require(Action.INGEST_USAGE)
    top_ups = 0
    answers: dict[str, Answer] = {}
    for r in requests:
        if isinstance(r, TopUpLine):
            top_up(engine, principal, r.account, r.kind, r.amount, r.at, currency=r.currency,
                   expires_at=r.expires_at, reference=r.reference)  # fmt: skip
            top_ups += 1
            continue
        number = r.request_number if not isinstance(r, InitiateLine) else 0
        with transaction(engine) as session:
            row = session.get(ChargingSessionRow, r.session_id)
            if row is not None and number <= row.request_number:
                answers[r.session_id] = _answer_of(row)
                continue
        if isinstance(r, InitiateLine):
            request = SessionRequest(
                account=r.account, category=r.category, start=r.start or r.at,
                service=r.service, subject=r.subject, destination=r.destination,
            )  # fmt: skip
            answers[r.session_id] = initiate(
                engine, principal, request, r.requested, r.at, session_id=r.session_id
            )
        elif isinstance(r, UpdateLine):
            answers[r.session_id] = update_session(
                engine, principal, r.session_id, r.request_number, r.used, r.requested, r.at
            )
        else:
            answers[r.session_id] = terminate(
                engine, principal, r.session_id, r.request_number, r.used, r.at
            )
    return RequestsReplayed(top_ups, answers)
