"""Settlement: debts netted per pair of accounts; across all statements of a period the
positions add up to zero, and each statement's lines sum exactly the debts they list (a
property test)."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from servanda.accounting.settlement import Debt, positions, statements

ACCOUNTS = ["metro-isp", "lumiere-tv", "arena-sports", "alpine-transit", "hospital"]


def test_a_pair_is_netted_and_the_payer_named() -> None:
    found = statements([
        Debt(1, "metro-isp", "lumiere-tv", Decimal("1.20"), "EUR", "share", "lumiere"),
        Debt(2, "metro-isp", "lumiere-tv", Decimal("0.30"), "EUR", "share", "lumiere"),
        Debt(3, "lumiere-tv", "metro-isp", Decimal("0.50"), "EUR", "cost", "cdn"),
    ])  # fmt: skip
    [s] = found
    assert (s.first, s.second, s.first_owes, s.second_owes) == (
        "lumiere-tv",
        "metro-isp",
        Decimal("0.50"),
        Decimal("1.50"),
    )
    assert (s.payer, s.payee, s.net) == ("metro-isp", "lumiere-tv", Decimal("1.00"))
    assert [line.charges for line in s.lines] == [(3,), (1, 2)]


debts = st.lists(
    st.tuples(
        st.sampled_from(ACCOUNTS), st.sampled_from(ACCOUNTS),
        st.decimals(min_value=0, max_value=1000, places=4, allow_nan=False),
        st.sampled_from(["EUR", "CHF"]), st.sampled_from(["share", "cost"]),
    ),
    max_size=60,
)  # fmt: skip


@given(debts)
def test_statements_balance_to_zero_and_trace_back(
    raw: list[tuple[str, str, Decimal, str, str]],
) -> None:
    given_debts = [Debt(i, d, c, a, cur, role, None) for i, (d, c, a, cur, role) in enumerate(raw)]
    found = statements(given_debts)
    for currency in ("EUR", "CHF"):
        assert sum(v for (_, cur), v in positions(found).items() if cur == currency) == 0
    by_id = {d.id: d for d in given_debts}
    listed = [i for s in found for line in s.lines for i in line.charges]
    assert sorted(listed) == sorted(d.id for d in given_debts if d.debtor != d.creditor)
    for s in found:
        for line in s.lines:
            assert line.amount == sum(by_id[i].amount for i in line.charges)
        assert s.first_owes - s.second_owes == sum(
            (by_id[i].amount if by_id[i].debtor == s.first else -by_id[i].amount)
            for line in s.lines for i in line.charges
        )  # fmt: skip
