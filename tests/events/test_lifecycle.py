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
    pending_validation,
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
    inc = validate(inc, at(50), ACME, "works for us", rules={"acme": "customer"})
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
            validated_for=("acme",),
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
    assert validate(corrected(), at(20), OPERATOR, rules={"acme": None}).validated_at == at(20)
    with pytest.raises(InvalidTransition, match="the provider validates"):
        validate(corrected(), at(20), ACME)
    with pytest.raises(InvalidTransition, match="validated for acme by the provider"):
        validate(corrected(), at(20), ACME, rules={"acme": "provider"})


def test_when_the_customer_validates_only_that_customer_may() -> None:
    rules = {"acme": "customer"}
    done = validate(corrected(), at(20), ACME, rules=rules)
    assert done.validated_at == at(20)
    assert done.transitions[-1].validated_for == ("acme",)
    with pytest.raises(InvalidTransition, match="globex may not validate"):
        validate(corrected(), at(20), GLOBEX, rules=rules)
    with pytest.raises(InvalidTransition, match="on behalf of"):
        validate(corrected(), at(20), OPERATOR, rules=rules)
    with pytest.raises(InvalidTransition, match="on behalf of"):
        validate(corrected(), at(20), ADMIN, rules=rules)


def test_an_admin_may_validate_for_the_customer_and_the_trail_says_so() -> None:
    inc = validate(
        corrected(), at(20), ADMIN, "customer confirmed by phone",
        rules={"acme": "customer"}, on_behalf_of="acme",
    )  # fmt: skip
    last = inc.transitions[-1]
    assert (last.by, last.on_behalf_of, last.validated_for) == ("admin:tok-1", "acme", ("acme",))
    with pytest.raises(InvalidTransition, match="globex may not validate"):
        validate(corrected(), at(20), ADMIN, rules={"acme": "customer"}, on_behalf_of="globex")


def test_only_an_administrator_acts_on_behalf_of_a_party() -> None:
    """A customer naming another customer (or itself) is refused, never recorded."""
    rules = {"acme": "customer", "globex": "customer"}
    for who in (ACME, GLOBEX, OPERATOR):
        with pytest.raises(InvalidTransition, match="only an administrator"):
            validate(corrected(), at(20), who, rules=rules, on_behalf_of="globex")


def test_validation_is_per_impacted_customer() -> None:
    """One customer's validation validates for that customer only; the incident is validated
    once every impacted customer is covered, and the trail says for whom each step counted."""
    rules = {"acme": "customer", "globex": "customer", "initech": "provider"}
    inc = validate(corrected(), at(20), ACME, "fine here", rules=rules)
    assert (inc.state, inc.validated_at) == (IncidentState.CORRECTED, None)
    assert inc.transitions[-1].to_state is IncidentState.CORRECTED
    assert inc.transitions[-1].validated_for == ("acme",)
    assert pending_validation(inc, rules) == ("globex", "initech")
    with pytest.raises(InvalidTransition, match="already validated for acme"):
        validate(inc, at(21), ACME, rules=rules)
    with pytest.raises(InvalidTransition, match="validated"):
        close(inc, at(21), OPERATOR)
    inc = validate(inc, at(22), OPERATOR, rules=rules)
    assert inc.transitions[-1].validated_for == ("initech",)
    assert pending_validation(inc, rules) == ("globex",)
    inc = validate(inc, at(23), ADMIN, "by phone", rules=rules, on_behalf_of="globex")
    assert (inc.state, inc.validated_at) == (IncidentState.VALIDATED, at(23))
    assert pending_validation(inc, rules) == ()
    assert close(inc, at(24), OPERATOR).state is IncidentState.CLOSED


def test_a_reopened_incident_needs_every_validation_again() -> None:
    rules = {"acme": "customer", "globex": "both"}
    inc = validate(corrected(), at(20), ACME, rules=rules)
    inc = reopen(inc, at(21), OPERATOR)
    inc = correct(acknowledge(inc, at(22), OPERATOR), at(23), OPERATOR)
    assert pending_validation(inc, rules) == ("acme", "globex")
    inc = validate(inc, at(24), OPERATOR, rules=rules)
    assert inc.transitions[-1].validated_for == ("globex",)
    assert inc.state is IncidentState.CORRECTED


def test_both_and_a_named_party() -> None:
    assert may_validate(OPERATOR, {"acme": "both"}) == ("acme",)
    assert may_validate(ACME, {"acme": "both"}) == ("acme",)
    assert may_validate(ACME, {"globex": "acme"}) == ("globex",)
    with pytest.raises(InvalidTransition):
        may_validate(GLOBEX, {"acme": "acme"})
    assert may_validate("cli-user", {"acme": "acme"}, on_behalf_of="acme") == ("acme",)
