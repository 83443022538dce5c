"""Charge models: worked examples at every boundary, validation, and properties of the prices."""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from servanda.accounting.charge_models import (
    Charge,
    GraduatedCharge,
    PackageCharge,
    PartKind,
    PercentageCharge,
    StandardCharge,
    Tier,
    VolumeCharge,
    charge,
    charge_events,
    load_charge_model,
)
from servanda.core.money import Money, Rounding, RoundingMethod, RoundingPoint

D = Decimal

API_TIERS = (
    Tier(up_to=D(100), unit_price=D("1.00")),
    Tier(up_to=D(200), unit_price=D("0.50"), flat_fee=D(2)),
    Tier(up_to=None, unit_price=D("0.10"), flat_fee=D(3)),
)
GRADUATED = GraduatedCharge(tiers=API_TIERS)
VOLUME = VolumeCharge(tiers=API_TIERS)


def total(model: object, quantity: Decimal | int, **kw: object) -> Decimal:
    return charge(model, quantity, currency="EUR", **kw).total  # type: ignore[arg-type]


def parts(found: Charge) -> list[tuple[int | None, Decimal, Decimal, Decimal]]:
    """(tier, units, flat fee, amount) of each part."""
    return [(p.tier, p.units, p.flat_fee, p.amount) for p in found.parts]


# --- standard --------------------------------------------------------------------------------


def test_standard_prices_every_unit_per_thousand() -> None:
    model = StandardCharge(price=D("0.40"), per=D(1000))
    found = charge(model, 2_500_001, currency="EUR")
    assert found.total == D("1000.0004")
    assert found.model == "standard"
    (part,) = found.parts
    assert (part.kind, part.units, part.price, part.per) == (
        PartKind.UNITS, D(2_500_001), D("0.40"), D(1000),
    )  # fmt: skip
    assert found.rounded() == Money(D("1000.00"), "EUR")


def test_standard_zero_charges_nothing() -> None:
    found = charge(StandardCharge(price=D(3)), 0, currency="EUR")
    assert (found.parts, found.total) == ((), D(0))


def test_standard_per_1024_is_exact_and_per_3_is_refused() -> None:
    assert total(StandardCharge(price=D(1), per=D(1024)), 1) == D("0.0009765625")
    with pytest.raises(ValidationError, match="per 3 does not divide prices exactly"):
        StandardCharge(price=D(1), per=D(3))


def test_huge_quantities_stay_exact() -> None:
    quantity = D("123456789012345678901234567890123")
    found = charge(StandardCharge(price=D("0.000001")), quantity, currency="EUR")
    assert found.total == D("123456789012345678901234567.890123")
    assert found.rounded().amount == D("123456789012345678901234567.89")
    # 100 + (50 + 2) + (123…9923 units × 0.10 + 3), beyond the 28 digits of Python's default
    assert total(GRADUATED, quantity) == D("12345678901234567890123456789147.3")


# --- graduated -------------------------------------------------------------------------------


def test_graduated_worked_example() -> None:
    # 100 × 1.00 + (100 × 0.50 + 2) + (50 × 0.10 + 3) = 160
    found = charge(GRADUATED, 250, currency="USD")
    assert parts(found) == [
        (0, D(100), D(0), D(100)), (1, D(100), D(2), D(52)), (2, D(50), D(3), D(8)),
    ]  # fmt: skip
    assert [(p.lower, p.upper) for p in found.parts] == [(0, D(100)), (D(100), D(200)),
                                                         (D(200), None)]  # fmt: skip
    assert found.total == D(160)


@pytest.mark.parametrize(
    ("quantity", "expected", "tiers_entered"),
    [
        (0, D(0), 0),  # nothing, not even a flat fee
        (1, D(1), 1),
        (100, D(100), 1),  # up_to is inclusive: unit 100 is in the first tier
        (101, D("102.50"), 2),  # one above: the second tier and its flat fee
        (200, D(152), 2),
        (201, D("155.10"), 3),
        (D("100.5"), D("102.25"), 2),  # fractional quantities split too
    ],
)
def test_graduated_boundaries(quantity: Decimal, expected: Decimal, tiers_entered: int) -> None:
    found = charge(GRADUATED, quantity, currency="EUR")
    assert found.total == expected
    assert len(found.parts) == tiers_entered


def test_graduated_blocks_round_up_before_tiering() -> None:
    model = GraduatedCharge(tiers=API_TIERS, block=D(10))
    found = charge(model, D("100.01"), currency="EUR")
    assert (found.quantity, found.billed_quantity) == (D("100.01"), D(110))
    assert found.total == D(100) + 10 * D("0.50") + 2
    assert charge(model, 100, currency="EUR").billed_quantity == 100  # already whole
    assert charge(model, 0, currency="EUR").total == 0


# --- volume ----------------------------------------------------------------------------------


def test_volume_lago_example() -> None:
    tiers = load_charge_model({
        "model": "volume",
        "tiers": [
            {"up_to": 10_000, "unit_price": "0.0010", "flat_fee": 10},
            {"up_to": 50_000, "unit_price": "0.0008", "flat_fee": 10},
            {"up_to": 100_000, "unit_price": "0.0006", "flat_fee": 10},
            {"up_to": None, "unit_price": "0.0004", "flat_fee": 10},
        ],
    })  # fmt: skip
    found = charge(tiers, 65_000, currency="USD")
    assert found.total == D(49)
    assert parts(found) == [(2, D(65_000), D(10), D(49))]


@pytest.mark.parametrize(
    ("quantity", "expected", "tier"),
    [
        (0, D(0), None),
        (1, D(1), 0),
        (100, D(100), 0),  # exactly on the boundary: the lower tier
        (101, D("52.50"), 1),  # one above: all 101 units at the second tier, plus its fee
        (200, D(102), 1),
        (201, D("23.10"), 2),
    ],
)
def test_volume_boundaries(quantity: int, expected: Decimal, tier: int | None) -> None:
    found = charge(VOLUME, quantity, currency="EUR")
    assert found.total == expected
    assert [p.tier for p in found.parts] == ([] if tier is None else [tier])


def test_volume_blocks_choose_the_tier_after_rounding_up() -> None:
    model = VolumeCharge(tiers=API_TIERS, block=D(50))
    found = charge(model, 101, currency="EUR")
    assert found.billed_quantity == 150
    assert parts(found) == [(1, D(150), D(2), D(77))]


# --- package ---------------------------------------------------------------------------------

PACKAGE = PackageCharge(price=D(5), package_size=D(100), free_units=D(100))


@pytest.mark.parametrize(
    ("quantity", "expected"),
    [(0, 0), (1, 0), (100, 0), (101, 5), (200, 5), (201, 10), (D("200.5"), 10),
     (10**9, 49_999_995)],
)  # fmt: skip
def test_package_boundaries(quantity: int, expected: int) -> None:
    assert total(PACKAGE, quantity) == expected


def test_package_parts_show_free_units_and_whole_packages() -> None:
    found = charge(PACKAGE, 201, currency="EUR")
    free, paid = found.parts
    assert (free.kind, free.units, free.amount, free.upper) == (PartKind.FREE, 100, 0, 100)
    assert (paid.kind, paid.units, paid.billed, paid.price, paid.amount, paid.lower) == (
        PartKind.PACKAGES, 101, 2, 5, 10, 100,
    )  # fmt: skip


# --- percentage ------------------------------------------------------------------------------

CARD = PercentageCharge(rate=D("2.9"), fixed_fee=D("0.30"), free_units=3)


def test_percentage_aggregate() -> None:
    # 2.9 % of 1,000.00 plus 0.30 for each of the 10 − 3 events not free
    found = charge(CARD, D("1000.00"), currency="USD", events=10)
    assert found.total == D("31.10")
    assert [(p.kind, p.units, p.amount) for p in found.parts] == [
        (PartKind.PERCENTAGE, D(1000), D(29)),
        (PartKind.FREE, D(3), D(0)),
        (PartKind.FIXED_FEE, D(7), D("2.10")),
    ]
    assert found.events == 10


def test_percentage_zero_value_events_still_pay_the_fixed_fee() -> None:
    assert total(CARD, 0, events=5) == D("0.60")
    assert total(CARD, 0, events=0) == 0
    assert total(CARD, 0, events=3) == 0  # all free


def test_percentage_per_event_minimum_and_maximum() -> None:
    model = PercentageCharge(rate=D(2), fixed_fee=D("0.25"), free_units=1,
                             minimum=D("0.50"), maximum=D(10))  # fmt: skip
    # fees: 0.20 (free: no fixed fee) → 0.50; 2.25; 20.25 → 10; 0.25 + 0 → 0.50
    found = charge_events(model, [D(10), D(100), D(1000), D(0)], currency="EUR")
    assert found.total == D("0.50") + D("2.25") + D(10) + D("0.50")
    kinds = {p.kind: (p.billed, p.amount) for p in found.parts}
    assert kinds[PartKind.MINIMUM] == (D(2), D("0.30") + D("0.25"))
    assert kinds[PartKind.MAXIMUM] == (D(1), D("-10.25"))
    assert charge(model, D(1000), currency="EUR").total == 10  # one event: bounded too
    with pytest.raises(ValueError, match="needs each event's value"):
        charge(model, D(1000), currency="EUR", events=2)


def test_percentage_refuses_a_value_without_events() -> None:
    with pytest.raises(ValueError, match="needs at least one event"):
        charge(CARD, 5, currency="EUR", events=0)
    with pytest.raises(ValueError, match="cannot be negative"):
        charge(CARD, 5, currency="EUR", events=-1)


# --- rounding, input -------------------------------------------------------------------------


def test_rounding_at_the_line_or_per_increment() -> None:
    model = StandardCharge(price=D("0.004"))
    three = charge(GraduatedCharge(tiers=(
        Tier(up_to=D(1), unit_price=D("0.004")), Tier(up_to=D(2), unit_price=D("0.004")),
        Tier(up_to=None, unit_price=D("0.004")),
    )), 3, currency="EUR")  # fmt: skip
    assert three.total == D("0.012")
    assert three.rounded() == Money(D("0.01"), "EUR")
    assert three.rounded(Rounding(point=RoundingPoint.INCREMENT)) == Money(D(0), "EUR")
    up = Rounding(method=RoundingMethod.UP, point=RoundingPoint.INCREMENT)
    assert three.rounded(up) == Money(D("0.03"), "EUR")
    assert charge(model, 3, currency="JPY").rounded(Rounding(method=RoundingMethod.UP)).amount == 1


def test_quantities_are_exact_and_not_negative() -> None:
    with pytest.raises(TypeError, match="not float"):
        charge(GRADUATED, 1.5, currency="EUR")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="zero or more"):
        charge(GRADUATED, -1, currency="EUR")
    with pytest.raises(ValueError, match="zero or more"):
        charge(GRADUATED, D("NaN"), currency="EUR")


def test_a_charge_total_must_be_its_parts() -> None:
    found = charge(GRADUATED, 250, currency="EUR")
    with pytest.raises(ValidationError, match="not the sum of the parts"):
        Charge(model="graduated", currency="EUR", quantity=D(250), billed_quantity=D(250),
               parts=found.parts, total=D("160.01"))  # fmt: skip


# --- validation ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tiers", "message"),
    [
        ([], "at least 1 item"),
        ([{"up_to": 100, "unit_price": 1}], "the last tier, tiers\\[0\\], must be open"),
        ([{"up_to": None, "unit_price": 1}, {"up_to": None, "unit_price": 1}],
         "tiers\\[0\\] is open .* only the last tier may be open"),
        ([{"up_to": 100, "unit_price": 1}, {"up_to": 100, "unit_price": 1},
          {"up_to": None, "unit_price": 1}],
         "tiers\\[1\\] ends at 100, not above tiers\\[0\\]'s 100: up_to must strictly increase"),
        ([{"up_to": 100, "unit_price": 1}, {"up_to": 50, "unit_price": 1},
          {"up_to": None, "unit_price": 1}], "tiers\\[1\\] ends at 50"),
        ([{"up_to": 0, "unit_price": 1}, {"up_to": None, "unit_price": 1}], "greater than 0"),
        ([{"up_to": None, "unit_price": -1}], "greater than or equal to 0"),
        ([{"up_to": None, "unit_price": 1, "flat_fee": "-0.01"}], "greater than or equal to 0"),
        ([{"up_to": None, "unit_price": 1, "price": 2}], "Unexpected keyword argument"),
    ],
)  # fmt: skip
@pytest.mark.parametrize("model", ["graduated", "volume"])
def test_tiers_are_validated(model: str, tiers: list[dict[str, object]], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        load_charge_model({"model": model, "tiers": tiers})


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"model": "flat", "price": 1}, "does not match any of the expected tags"),
        ({"price": 1}, "Unable to extract tag using discriminator 'model'"),
        ({"model": "package", "price": 1, "package_size": 0}, "greater than 0"),
        ({"model": "package", "price": 1, "package_size": 1, "free_units": -1}, "greater than"),
        ({"model": "standard", "price": "-0.1"}, "greater than or equal to 0"),
        ({"model": "graduated", "tiers": [{"up_to": None, "unit_price": 1}], "block": 0},
         "greater than 0"),
        ({"model": "percentage", "rate": 1, "minimum": 2, "maximum": 1},
         "the per-event minimum 2 is above the maximum 1"),
        ({"model": "percentage", "rate": 1, "free_units": -1}, "greater than or equal to 0"),
    ],
)  # fmt: skip
def test_models_are_validated(data: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        load_charge_model(data)


def test_yaml_numbers_load_as_decimals() -> None:
    model = load_charge_model({"model": "standard", "price": 0.1, "per": 1000})
    assert model == StandardCharge(price=D("0.1"), per=D(1000))
    assert isinstance(load_charge_model({"model": "volume", "tiers": [
        {"up_to": None, "unit_price": 1}]}), VolumeCharge)  # fmt: skip


# --- properties ------------------------------------------------------------------------------

amounts = st.decimals(min_value=0, max_value=1000, places=4)
quantities = st.decimals(min_value=0, max_value=10**6, places=3)


@st.composite
def tier_lists(draw: st.DrawFn, decreasing: bool = False) -> tuple[Tier, ...]:
    bounds = sorted(draw(st.sets(st.decimals(min_value="0.001", max_value=10**5, places=3),
                                 max_size=5)))  # fmt: skip
    prices = draw(st.lists(amounts, min_size=len(bounds) + 1, max_size=len(bounds) + 1))
    if decreasing:
        prices.sort(reverse=True)
    fees = draw(st.lists(amounts, min_size=len(bounds) + 1, max_size=len(bounds) + 1))
    ups: list[Decimal | None] = [*bounds, None]
    return tuple(Tier(up_to=u, unit_price=p, flat_fee=f)
                 for u, p, f in zip(ups, prices, fees, strict=True))  # fmt: skip


def expected_graduated(tiers: tuple[Tier, ...], q: Decimal) -> Fraction:
    """Σ over tiers of price × the units of q within (lower, up_to], plus the fee of each
    tier q reaches beyond its lower bound: written apart from the module, in fractions."""
    result, lower = Fraction(0), Fraction(0)
    for tier in tiers:
        upper = math.inf if tier.up_to is None else Fraction(tier.up_to)
        inside = max(Fraction(0), min(Fraction(q), upper) - lower)  # type: ignore[type-var]
        if inside > 0:
            result += inside * Fraction(tier.unit_price) + Fraction(tier.flat_fee)
        lower = Fraction(upper) if upper != math.inf else lower
    return result


@given(tier_lists(), quantities)
def test_graduated_is_the_sum_over_tiers(tiers: tuple[Tier, ...], q: Decimal) -> None:
    found = charge(GraduatedCharge(tiers=tiers), q, currency="EUR")
    assert Fraction(found.total) == expected_graduated(tiers, q)
    assert found.total == sum(p.amount for p in found.parts)
    assert sum(p.units for p in found.parts) == q
    assert [p.tier for p in found.parts] == list(range(len(found.parts)))


@given(tier_lists(), quantities, quantities)
def test_graduated_is_monotone(tiers: tuple[Tier, ...], a: Decimal, b: Decimal) -> None:
    model = GraduatedCharge(tiers=tiers)
    low, high = sorted((a, b))
    assert total(model, low) <= total(model, high)


@given(tier_lists(), quantities, st.decimals(min_value="0.01", max_value=500, places=2))
def test_blocks_bill_the_rounded_up_quantity(
    tiers: tuple[Tier, ...], q: Decimal, block: Decimal
) -> None:
    rounded = math.ceil(Fraction(q) / Fraction(block)) * Fraction(block)
    pairs = (
        (GraduatedCharge(tiers=tiers, block=block), GraduatedCharge(tiers=tiers)),
        (VolumeCharge(tiers=tiers, block=block), VolumeCharge(tiers=tiers)),
    )
    for blocked, plain in pairs:
        found = charge(blocked, q, currency="EUR")
        assert Fraction(found.billed_quantity) == rounded
        assert found.billed_quantity >= q
        assert found.total == total(plain, found.billed_quantity)


@given(tier_lists(), quantities)
def test_volume_prices_every_unit_at_the_reached_tier(tiers: tuple[Tier, ...], q: Decimal) -> None:
    found = charge(VolumeCharge(tiers=tiers), q, currency="EUR")
    if q == 0:
        assert found.parts == ()
        return
    reached = next(i for i, t in enumerate(tiers) if t.up_to is None or q <= t.up_to)
    lower = tiers[reached - 1].up_to if reached else 0
    assert lower is not None
    assert lower < q
    tier = tiers[reached]
    assert found.total == q * tier.unit_price + tier.flat_fee
    assert parts(found) == [(reached, q, tier.flat_fee, found.total)]


@given(tier_lists(decreasing=True), quantities)
def test_volume_never_exceeds_graduated_when_prices_fall(
    tiers: tuple[Tier, ...], q: Decimal
) -> None:
    assert total(VolumeCharge(tiers=tiers), q) <= total(GraduatedCharge(tiers=tiers), q)


@given(amounts, st.decimals(min_value="0.001", max_value=1000, places=3),
       st.decimals(min_value=0, max_value=1000, places=3), quantities)  # fmt: skip
def test_package_charges_whole_packages(
    price: Decimal, size: Decimal, free: Decimal, q: Decimal
) -> None:
    found = charge(PackageCharge(price=price, package_size=size, free_units=free), q,
                   currency="EUR")  # fmt: skip
    packages = max(0, math.ceil((Fraction(q) - Fraction(free)) / Fraction(size)))
    assert found.total == packages * price
    assert sum(p.units for p in found.parts) == q
    assert found.total == sum(p.amount for p in found.parts)


@given(amounts, st.sampled_from([D(1), D(1000), D(1024), D("0.5")]), quantities, quantities)
def test_standard_is_linear(price: Decimal, per: Decimal, a: Decimal, b: Decimal) -> None:
    model = StandardCharge(price=price, per=per)
    assert total(model, a) + total(model, b) == total(model, a + b)
    assert Fraction(total(model, a)) == Fraction(a) * Fraction(price) / Fraction(per)


percentage_models = st.builds(
    PercentageCharge, rate=st.decimals(min_value=0, max_value=100, places=2), fixed_fee=amounts,
    free_units=st.integers(0, 5),
)  # fmt: skip
values = st.lists(st.decimals(min_value=0, max_value=10**5, places=2), max_size=12)


@given(percentage_models, values)
def test_events_one_by_one_add_up_to_the_aggregate(
    model: PercentageCharge, events: list[Decimal]
) -> None:
    one_by_one = charge_events(model, events, currency="EUR")
    aggregate = charge(model, sum(events, D(0)), currency="EUR", events=len(events))
    assert one_by_one == aggregate
    fees = max(0, len(events) - model.free_units) * model.fixed_fee
    assert aggregate.total == sum(events, D(0)) * model.rate / 100 + fees


@given(percentage_models, values, amounts, amounts)
def test_each_event_fee_stays_within_its_bounds(
    model: PercentageCharge, events: list[Decimal], a: Decimal, b: Decimal
) -> None:
    low, high = sorted((a, b))
    bounded = PercentageCharge(rate=model.rate, fixed_fee=model.fixed_fee,
                               free_units=model.free_units, minimum=low, maximum=high)  # fmt: skip
    found = charge_events(bounded, events, currency="EUR")
    expected = sum(
        (min(max(v * model.rate / 100 + (model.fixed_fee if i >= model.free_units else 0), low),
             high) for i, v in enumerate(events)),
        D(0),
    )  # fmt: skip
    assert found.total == expected
    assert len(events) * low <= found.total <= len(events) * high
    assert found.total == sum(p.amount for p in found.parts)
