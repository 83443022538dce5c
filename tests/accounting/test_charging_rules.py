"""Charging rules: who pays a rated record and who else is owed for it; splits exact to the
last decimal of the cost, by the largest remainder (a property test)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from servanda.accounting.charging_rules import (
    ChargingRule,
    ChargingRules,
    PartyCharge,
    RatedUsage,
    Role,
    split,
)
from servanda.accounting.usage import Category
from servanda.core.records import from_jsonable

T0 = datetime(2024, 1, 1, tzinfo=UTC)
AT = datetime(2024, 4, 17, 8, tzinfo=UTC)


def rule(**data: object) -> ChargingRule:
    return from_jsonable(ChargingRule, {"active_from": T0.isoformat(), **data})


def usage(**changes: object) -> RatedUsage:
    values: dict[str, object] = {
        "usage_id": 1, "account": "quai-capital", "category": Category.CALL, "start": AT,
        "cost": Decimal("0.8130"), "currency": "EUR", "service": "ip-telephony",
        "destination": "+33142790000", "tariff": "voice-business",
    }  # fmt: skip
    return RatedUsage(**(values | changes))  # type: ignore[arg-type]


def charged(rules: list[ChargingRule], record: RatedUsage, **kw: object) -> list[PartyCharge]:
    return ChargingRules(rules, lambda service: "metro-isp").charges(record, **kw)  # type: ignore[arg-type]


def paid(charges: list[PartyCharge]) -> dict[str, Decimal]:
    return {c.debtor: c.amount for c in charges if c.role is Role.PAYS}


def test_without_a_rule_the_caller_pays_the_provider() -> None:
    [c] = charged([], usage())
    assert (c.debtor, c.creditor, c.amount, c.rule) == (
        "quai-capital",
        "metro-isp",
        Decimal("0.8130"),
        None,
    )


def test_a_freephone_number_is_paid_by_its_owner_and_not_by_the_caller() -> None:
    freephone = rule(id="hospital-0800", model="owner_pays", owner="hospital",
                     match={"destinations": ["+33800751424"]})  # fmt: skip
    charges = charged([freephone], usage(destination="+33800751424"))
    assert paid(charges) == {"hospital": Decimal("0.8130")}
    assert charges[0].rule == "hospital-0800"
    assert paid(charged([freephone], usage())) == {"quai-capital": Decimal("0.8130")}


def test_a_split_by_percent_adds_up_exactly() -> None:
    halves = rule(id="shared-line", model="split",
                  shares=[{"account": "caller", "percent": 50},
                          {"account": "bertin-associes", "percent": 50}])  # fmt: skip
    assert paid(charged([halves], usage(cost=Decimal("0.0661")))) == {
        "quai-capital": Decimal("0.0331"), "bertin-associes": Decimal("0.0330")
    }  # fmt: skip


def test_conference_legs_split_equally_organiser_pays_or_each_leg() -> None:
    equal = rule(id="board", model="conference", conference="equal")
    leg = usage(category=Category.CONFERENCE_LEG, cost=Decimal("0.1000"),
                attributes={"participants": "quai-capital, bertin-associes, hospital"})  # fmt: skip
    assert paid(charged([equal], leg)) == {
        "quai-capital": Decimal("0.0334"), "bertin-associes": Decimal("0.0333"),
        "hospital": Decimal("0.0333"),
    }  # fmt: skip
    organiser = rule(id="board", model="conference", conference="organiser")
    leg2 = usage(account="hospital", attributes={"organiser": "quai-capital"})
    assert paid(charged([organiser], leg2)) == {"quai-capital": Decimal("0.8130")}
    [alone] = charged([organiser], usage(account="hospital"))
    assert alone.debtor == "hospital"
    assert alone.note == "no organiser attribute: the leg's account pays"


def test_a_revenue_share_and_a_carrier_cost_beside_the_payment() -> None:
    share = rule(id="lumiere-share", model="revenue_share", partner="lumiere-tv",
                 partner_percent="70", match={"destinations": ["lumiere/"]})  # fmt: skip
    transit = rule(id="pstn", model="carrier_cost", carrier="alpine-transit",
                   tariff="alpine-termination", match={"categories": ["call"]})  # fmt: skip
    stream = usage(category=Category.STREAM, destination="lumiere/film-42",
                   cost=Decimal("1.0850"))  # fmt: skip
    charges = charged([share, transit], stream)
    assert [(c.role, c.debtor, c.creditor, c.amount) for c in charges] == [
        (Role.PAYS, "quai-capital", "metro-isp", Decimal("1.0850")),
        (Role.SHARE, "metro-isp", "lumiere-tv", Decimal("0.7595")),
    ]
    call = charged([share, transit], usage(), carrier_costs={"pstn": Decimal("0.3100")})
    assert [(c.role, c.creditor, c.amount) for c in call] == [
        (Role.PAYS, "metro-isp", Decimal("0.8130")),
        (Role.COST, "alpine-transit", Decimal("0.3100")),
    ]


def test_the_highest_priority_then_the_longest_prefix_says_who_pays() -> None:
    broad = rule(id="a-0800", model="owner_pays", owner="bertin-associes",
                 match={"destinations": ["+33800"]})  # fmt: skip
    narrow = rule(id="b-0800", model="owner_pays", owner="hospital",
                  match={"destinations": ["+33800751"]})  # fmt: skip
    call = usage(destination="+33800751424")
    assert paid(charged([broad, narrow], call)) == {"hospital": Decimal("0.8130")}
    urgent = rule(id="c", model="caller_pays", priority=5)
    assert paid(charged([broad, narrow, urgent], call)) == {"quai-capital": Decimal("0.8130")}


def test_a_record_is_charged_by_the_versions_active_at_its_start() -> None:
    old = rule(id="line", model="owner_pays", owner="hospital")
    new = from_jsonable(ChargingRule, {
        "id": "line", "active_from": "2024-04-17T10:00:00+02:00", "model": "owner_pays",
        "owner": "bertin-associes",
    })  # fmt: skip
    assert paid(charged([old, new], usage(start=datetime(2024, 4, 17, 7, 59, tzinfo=UTC)))) == {
        "hospital": Decimal("0.8130")
    }
    assert paid(charged([old, new], usage())) == {"bertin-associes": Decimal("0.8130")}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"model": "owner_pays"}, "a owner_pays rule gives owner"),
        ({"model": "split", "shares": [{"account": "a", "percent": 60}]}, "add up to 100"),
        ({"model": "caller_pays", "owner": "x"}, "does not take owner"),
        ({"model": "revenue_share", "partner": "x"}, "gives partner_percent"),
    ],
)
def test_incomplete_rules_are_refused(data: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        rule(id="r", **data)


@given(
    cost=st.decimals(min_value=0, max_value=10_000, places=4, allow_nan=False),
    weights=st.lists(st.integers(min_value=1, max_value=100), min_size=1, max_size=7),
)
def test_the_parts_of_a_split_add_up_to_the_cost(cost: Decimal, weights: list[int]) -> None:
    parts = split(cost, "EUR", weights)
    assert sum(parts) == cost
    unit = Decimal("0.0001")
    total = sum(weights)
    for part, weight in zip(parts, weights, strict=True):
        assert part >= 0
        assert abs(part - cost * weight / total) < unit
