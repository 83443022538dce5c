"""The incident lifecycle: legal moves, audit trail, MTTA/MTRS, and who validates."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from servanda.core.access import Principal, Role
from servanda.events.incidents import Incident, IncidentState, Transition
from servanda.events.lifecycle import (
    InvalidTransition,
    acknowledge,
    close,
    correct,
    may_validate,
    reopen,
    validate,
)
from servanda.events.model import Severity

T = datetime(2024, 4, 2, 10, 0, tzinfo=UTC)
OPERATOR = Principal(Role.OPERATOR, token_id="tok-7")
ADMIN = Principal(Role.ADMIN, token_id="tok-1")
ACME = Principal(Role.CUSTOMER, party="acme")
GLOBEX = Principal(Role.CUSTOMER, party="globex")


def at(minutes: int) -> datetime:
    return T + timedelta(minutes=minutes)


def incident() -> Incident:
    return Incident(
        id="inc-1",
        root="core-2",
        root_fingerprints=("c2",),
        state=IncidentState.DETECTED,
        severity=Severity.MAJOR,
        detected_at=T,
        resolved_at=at(40),
    )


def test_the_full_lifecycle_keeps_who_when_and_why() -> None:
    inc = acknowledge(incident(), at(5), OPERATOR, "looking")
    inc = correct(inc, at(30), "alice", "replaced the line card")
    inc = validate(
        inc, at(50), ACME, "works for us", validates_correction="customer", customers={"acme"}
    )
    inc = close(inc, at(60), OPERATOR)
    assert inc.state is IncidentState.CLOSED
    assert inc.transitions == (
        Transition(
            IncidentState.DETECTED, IncidentState.ACKNOWLEDGED, at(5), "operator:tok-7", "looking"
        ),
        Transition(
            IncidentState.ACKNOWLEDGED,
            IncidentState.CORRECTED,
            at(30),
            "alice",
            "replaced the line card",
        ),
        Transition(
            IncidentState.CORRECTED,
            IncidentState.VALIDATED,
            at(50),
            "customer:acme",
            "works for us",
        ),
        Transition(IncidentState.VALIDATED, IncidentState.CLOSED, at(60), "operator:tok-7"),
    )
    assert (inc.acknowledged_at, inc.corrected_at, inc.validated_at, inc.closed_at) == (
        at(5),
        at(30),
        at(50),
        at(60),
    )
    assert inc.mtta == timedelta(minutes=5)
    assert inc.mtrs == timedelta(minutes=40)


@pytest.mark.parametrize(
    ("move", "message"),
    [
        (lambda i: correct(i, at(1), "bob"), "can become corrected only when acknowledged"),
        (lambda i: close(i, at(1), "bob"), "can become closed only when validated"),
        (lambda i: validate(i, at(1), "bob"), "can become validated only when corrected"),
    ],
)
def test_illegal_moves_say_why(move: object, message: str) -> None:
    with pytest.raises(InvalidTransition, match=message):
        move(incident())  # type: ignore[operator]


def test_acknowledging_twice_is_refused_and_times_must_be_sane() -> None:
    inc = acknowledge(incident(), at(5), "bob")
    with pytest.raises(InvalidTransition, match="is acknowledged"):
        acknowledge(inc, at(6), "bob")
    with pytest.raises(InvalidTransition, match="before detection"):
        acknowledge(incident(), at(-5), "bob")
    with pytest.raises(InvalidTransition, match="timezone"):
        acknowledge(incident(), datetime(2024, 4, 2, 11), "bob")  # noqa: DTZ001
    with pytest.raises(InvalidTransition, match="empty"):
        acknowledge(incident(), at(5), " ")


def test_close_without_validation_when_none_is_required() -> None:
    inc = correct(acknowledge(incident(), at(5), "bob"), at(10), "bob")
    with pytest.raises(InvalidTransition):
        close(inc, at(11), "bob")
    assert close(inc, at(11), "bob", validation_required=False).state is IncidentState.CLOSED


def test_reopen_clears_the_latest_fix_but_keeps_the_first_acknowledgement() -> None:
    inc = correct(acknowledge(incident(), at(5), "bob"), at(10), "bob")
    inc = close(inc, at(11), "bob", validation_required=False)
    inc = reopen(inc, at(20), "carol", "it is back")
    assert inc.state is IncidentState.DETECTED
    assert inc.reopen_count == 1
    assert (inc.corrected_at, inc.closed_at) == (None, None)
    assert inc.acknowledged_at == at(5)
    inc = acknowledge(inc, at(25), "bob")
    assert inc.acknowledged_at == at(5)
    assert [t.to_state for t in inc.transitions][-2:] == [
        IncidentState.DETECTED,
        IncidentState.ACKNOWLEDGED,
    ]
    with pytest.raises(InvalidTransition, match="still open"):
        reopen(replace(incident(), resolved_at=None), at(5), "bob")


def test_a_merged_incident_accepts_no_moves() -> None:
    merged = replace(incident(), merged_into="inc-2")
    with pytest.raises(InvalidTransition, match="merged into inc-2"):
        acknowledge(merged, at(5), "bob")


def corrected() -> Incident:
    return correct(acknowledge(incident(), at(5), "bob"), at(10), "bob")


def test_the_provider_validates_by_default() -> None:
    assert validate(corrected(), at(20), OPERATOR).state is IncidentState.VALIDATED
    with pytest.raises(InvalidTransition, match="the provider validates"):
        validate(corrected(), at(20), ACME)


def test_when_the_customer_validates_only_that_customer_may() -> None:
    rule = {"validates_correction": "customer", "customers": {"acme"}}
    assert validate(corrected(), at(20), ACME, **rule).validated_at == at(20)  # type: ignore[arg-type]
    with pytest.raises(InvalidTransition, match="not globex"):
        validate(corrected(), at(20), GLOBEX, **rule)  # type: ignore[arg-type]
    with pytest.raises(InvalidTransition, match="on behalf of"):
        validate(corrected(), at(20), OPERATOR, **rule)  # type: ignore[arg-type]
    with pytest.raises(InvalidTransition, match="on behalf of"):
        validate(corrected(), at(20), ADMIN, **rule)  # type: ignore[arg-type]


def test_an_admin_may_validate_for_the_customer_and_the_trail_says_so() -> None:
    inc = validate(
        corrected(),
        at(20),
        ADMIN,
        "customer confirmed by phone",
        validates_correction="customer",
        customers={"acme"},
        on_behalf_of="acme",
    )
    last = inc.transitions[-1]
    assert (last.by, last.on_behalf_of) == ("admin:tok-1", "acme")
    with pytest.raises(InvalidTransition, match="not for globex"):
        validate(
            corrected(),
            at(20),
            ADMIN,
            validates_correction="customer",
            customers={"acme"},
            on_behalf_of="globex",
        )


def test_both_and_a_named_party() -> None:
    assert may_validate(OPERATOR, "both", {"acme"}) is None
    assert may_validate(ACME, "both", {"acme"}) is None
    assert may_validate(ACME, "acme") is None
    assert may_validate(GLOBEX, "acme") is not None
    assert may_validate("cli-user", "acme", on_behalf_of="acme") is None
