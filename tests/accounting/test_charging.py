"""Balances and grants: a debit never takes more than the buckets hold, takes the one
expiring first first, and a grant is the most the money pays for, in whole steps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from servanda.accounting.charging import Bucket, BucketKind, available, draw, grant

NOW = datetime(2024, 4, 2, tzinfo=UTC)
AMOUNTS = st.decimals(min_value=0, max_value=1000, places=2)


def money(i: int, amount: Decimal, days: int | None) -> Bucket:
    expiry = None if days is None else NOW + timedelta(days=days)
    return Bucket(id=i, account="a", kind=BucketKind.MONEY, amount=amount, currency="EUR",
                  expires_at=expiry)  # fmt: skip


@given(
    buckets=st.lists(st.tuples(AMOUNTS, st.one_of(st.none(), st.integers(-3, 30))), max_size=6),
    amount=AMOUNTS,
)
def test_a_debit_never_takes_more_than_is_there(
    buckets: list[tuple[Decimal, int | None]], amount: Decimal
) -> None:
    held = [money(i, a, d) for i, (a, d) in enumerate(buckets)]
    taken = draw(held, BucketKind.MONEY, amount, NOW)
    by_id = {b.id: b for b in held}
    assert all(0 < part <= by_id[i].amount for i, part in taken)
    assert all(by_id[i].usable(NOW) for i, _ in taken)
    assert sum((p for _, p in taken), Decimal(0)) == min(
        amount, available(held, BucketKind.MONEY, NOW)
    )


def test_the_bucket_expiring_first_pays_first() -> None:
    held = [money(1, Decimal(5), None), money(2, Decimal(5), 10), money(3, Decimal(5), 2),
            money(4, Decimal(5), -1)]  # fmt: skip
    assert draw(held, BucketKind.MONEY, Decimal(7), NOW) == [(3, Decimal(5)), (2, Decimal(2))]


@given(
    money_left=AMOUNTS,
    requested=st.integers(1, 5000),
    price=st.decimals(min_value=Decimal("0.001"), max_value=1, places=3),
)
def test_a_grant_is_the_most_the_money_pays_for(
    money_left: Decimal, requested: int, price: Decimal
) -> None:
    def cost(q: int) -> tuple[Decimal, bool]:
        return (Decimal(q) * price / 60).quantize(Decimal("0.0001")), False

    found = grant(requested=requested, step=1, units_left=Decimal(0), money_left=money_left,
                  priced_so_far=0, cost=cost)  # fmt: skip
    assert found.money <= money_left
    assert found.money == cost(found.quantity)[0]
    if found.quantity < requested:
        assert found.final
        assert cost(found.quantity + 1)[0] > money_left
    else:
        assert not found.final
