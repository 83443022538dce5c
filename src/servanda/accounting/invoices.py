"""Invoices: lines, taxes by rate, totals — and how each amount is rounded.

An invoice belongs to one billing account and one billing period (a calendar month). Its
lines are recurring fees, usage (by service, tariff, destination group, band and charging
rule), package allowances and commitment true-ups, SLA credits (negative, with their reason
and the report they come from), and adjustments (usage of earlier periods that arrived after
their invoice, credit differences of reopened periods).

Rounding, in this order, each stated once:

1. **Lines**: a line's amount is the exact sum of what it bills (usage charges already carry
   their tariff's rounding), rounded half-up to the currency's minor unit — once per line.
2. **Taxes**: lines are grouped by VAT category and rate; each group's tax is its rounded
   base × rate, rounded half-up to the minor unit (EN 16931 computes VAT per category, not
   per line).
3. **Totals**: net = the sum of the rounded lines; tax = the sum of the groups' taxes;
   gross = net + tax; due = gross − what prepaid balances already paid. No total is rounded
   again: they are sums of rounded amounts, so an invoice equals the sum of its lines.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any

from servanda.accounting.billing_accounts import TaxProfile, VatCategory
from servanda.core.money import Rounding, minor_unit


class LineKind(StrEnum):
    """What an invoice line bills."""

    RECURRING = "recurring"
    USAGE = "usage"
    PACKAGE = "package"
    """Usage within a package's free units (negative)."""
    COMMITMENT = "commitment"
    """What usage fell short of a minimum commitment."""
    CREDIT = "credit"
    """An SLA service credit (negative)."""
    ADJUSTMENT = "adjustment"
    """Usage of an earlier period, or a credit difference of a reopened period."""


class InvoiceState(StrEnum):
    """Where an invoice is in its life."""

    DRAFT = "draft"
    """Made by a bill run; made again by the next run of its period until issued."""
    ISSUED = "issued"
    """Numbered and sent: never altered again (a correction is a credit note)."""
    PAID = "paid"
    VOID = "void"
    """Cancelled by a credit note; what it billed is billed again by the next run."""


class InvoiceKind(StrEnum):
    """An invoice, a credit note cancelling one, or a self-billing statement."""

    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"


def round_money(value: Decimal, currency: str) -> Decimal:
    """Half-up to the currency's minor unit."""
    return value.quantize(Decimal(1).scaleb(-minor_unit(currency)), ROUND_HALF_UP)


def rounded(line: Line, currency: str) -> Decimal:
    """The line's amount rounded: by its tariff's rule when it has one, else half-up; never
    finer than the currency's minor unit (an invoice states payable amounts)."""
    rule = line.rounding
    if rule is None:
        return round_money(line.amount, currency)
    minor = minor_unit(currency)
    places = minor if rule.decimals is None else min(rule.decimals, minor)
    return Rounding(method=rule.method, decimals=places).apply(line.amount, currency)


@dataclass(frozen=True, slots=True)
class Line:
    """One invoice line, its amount exact (rounded by :func:`priced`)."""

    kind: LineKind
    description: str
    amount: Decimal
    service: str | None = None
    quantity: Decimal | None = None
    unit: str | None = None
    """``s`` (seconds), ``B`` (octets), ``record``, ``month`` …"""
    detail: dict[str, Any] = field(default_factory=dict)
    """What it sums (tariff, band, rule, records, the credit's reason and report …)."""
    key: str | None = None
    """What it bills once (a credit's key, a subscription's month), for later differences."""
    rounding: Rounding | None = None
    """How the line is rounded when its tariff says so (rounding at the ``line`` point: its
    method, to at most the currency's minor unit); None: half-up to the minor unit."""


@dataclass(frozen=True, slots=True)
class PricedLine:
    """A line rounded, with its tax."""

    line: Line
    amount: Decimal
    tax_category: VatCategory | None
    tax_rate: Decimal
    tax_name: str | None
    exemption: str | None


@dataclass(frozen=True, slots=True)
class TaxGroup:
    """The tax of one VAT category and rate."""

    category: VatCategory | None
    rate: Decimal
    base: Decimal
    tax: Decimal
    name: str | None
    exemption: str | None


@dataclass(frozen=True, slots=True)
class Totals:
    """What an invoice comes to."""

    lines: tuple[PricedLine, ...]
    taxes: tuple[TaxGroup, ...]
    net: Decimal
    tax: Decimal
    gross: Decimal
    prepaid: Decimal
    due: Decimal


def priced(
    lines: Sequence[Line],
    currency: str,
    profile: TaxProfile | None,
    prepaid: Decimal = Decimal(0),
) -> Totals:
    """Round the lines, tax them by ``profile`` (None: no tax) and total them (see the
    module). ``prepaid`` is what balances already paid of it."""
    out: list[PricedLine] = []
    for line in lines:
        rate = profile.rate_for(line.service) if profile is not None else None
        out.append(
            PricedLine(
                line=line,
                amount=rounded(line, currency),
                tax_category=rate.category if rate else None,
                tax_rate=rate.rate if rate else Decimal(0),
                tax_name=rate.name if rate else None,
                exemption=rate.exemption if rate else None,
            )
        )
    groups: dict[tuple[VatCategory | None, Decimal], list[PricedLine]] = {}
    for p in out:
        groups.setdefault((p.tax_category, p.tax_rate), []).append(p)
    taxes = []
    for (category, percent), members in sorted(
        groups.items(), key=lambda kv: (kv[0][0] or "", kv[0][1])
    ):
        base = sum((m.amount for m in members), Decimal(0))
        taxes.append(
            TaxGroup(
                category=category,
                rate=percent,
                base=base,
                tax=round_money(base * percent / 100, currency),
                name=members[0].tax_name,
                exemption=members[0].exemption,
            )
        )
    net = sum((p.amount for p in out), Decimal(0))
    tax = sum((t.tax for t in taxes), Decimal(0))
    paid = round_money(prepaid, currency)
    return Totals(tuple(out), tuple(taxes), net, tax, net + tax, paid, net + tax - paid)


def due_date(issued: date, terms_days: int) -> date:
    """When an invoice issued on ``issued`` is due."""
    return issued + timedelta(days=terms_days)
