"""Invoice arithmetic: lines rounded once, tax per VAT category and rate on the rounded base,
totals that are sums of rounded amounts (a property test: an invoice equals the sum of its
lines, whatever the lines)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from servanda.accounting.billing_accounts import TaxProfile
from servanda.accounting.invoices import Line, LineKind, priced
from servanda.core.money import Rounding, RoundingMethod, RoundingPoint
from servanda.core.records import from_jsonable

PROFILE = from_jsonable(
    TaxProfile,
    {"id": "fr", "rates": [
        {"rate": "20", "category": "S"},
        {"rate": "5.5", "category": "S", "services": ["video-streaming"]},
    ]},
)  # fmt: skip


def line(amount: str, service: str | None = "internet-access") -> Line:
    return Line(LineKind.USAGE, "x", Decimal(amount), service=service)


def test_tax_is_computed_per_rate_on_the_rounded_lines() -> None:
    totals = priced(
        [line("0.004"), line("0.004"), line("10.005"), line("3.333", "video-streaming")],
        "EUR", PROFILE,
    )  # fmt: skip
    assert [p.amount for p in totals.lines] == [Decimal("0.00"), Decimal("0.00"),
                                                Decimal("10.01"), Decimal("3.33")]  # fmt: skip
    assert [(t.rate, t.base, t.tax) for t in totals.taxes] == [
        (Decimal("5.5"), Decimal("3.33"), Decimal("0.18")),
        (Decimal("20"), Decimal("10.01"), Decimal("2.00")),
    ]
    assert (totals.net, totals.tax, totals.gross) == (
        Decimal("13.34"),
        Decimal("2.18"),
        Decimal("15.52"),
    )


def test_no_profile_no_tax() -> None:
    totals = priced([line("12.345")], "EUR", None)
    assert (totals.net, totals.tax, totals.taxes[0].category) == (Decimal("12.35"), 0, None)


def test_a_line_is_rounded_as_its_tariff_says_never_finer_than_the_minor_unit() -> None:
    def by(method: RoundingMethod, decimals: int | None = None) -> Line:
        rule = Rounding(method=method, decimals=decimals, point=RoundingPoint.LINE)
        return replace(line("1.2312"), rounding=rule)

    totals = priced(
        [by(RoundingMethod.UP), by(RoundingMethod.DOWN), by(RoundingMethod.HALF_EVEN, 4),
         line("1.2312"), replace(by(RoundingMethod.UP), amount=Decimal("-1.2312"))],
        "EUR", None,
    )  # fmt: skip
    assert [p.amount for p in totals.lines] == [
        Decimal("1.24"), Decimal("1.23"), Decimal("1.23"), Decimal("1.23"), Decimal("-1.24")
    ]  # fmt: skip
    assert priced([by(RoundingMethod.UP)], "JPY", None).lines[0].amount == Decimal("2")


@given(
    st.lists(
        st.tuples(
            st.decimals(min_value=-10_000, max_value=10_000, places=4, allow_nan=False),
            st.sampled_from(["internet-access", "video-streaming", None]),
        ),
        min_size=1, max_size=30,
    ),
    st.decimals(min_value=0, max_value=100, places=2, allow_nan=False),
)  # fmt: skip
def test_an_invoice_equals_the_sum_of_its_lines(
    lines: list[tuple[Decimal, str | None]], prepaid: Decimal
) -> None:
    totals = priced([line(str(a), s) for a, s in lines], "EUR", PROFILE, prepaid)
    assert totals.net == sum(p.amount for p in totals.lines)
    assert totals.tax == sum(t.tax for t in totals.taxes)
    assert sum(t.base for t in totals.taxes) == totals.net
    assert totals.gross == totals.net + totals.tax
    assert totals.due == totals.gross - totals.prepaid
    for p in totals.lines:
        assert abs(p.amount - p.line.amount) <= Decimal("0.005")
