"""An invoice as plain text, for the terminal and for e-mail bodies: the parties, the lines
with their tax rate, the taxes by rate, the totals."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

WIDTH = 96


def _money(value: Decimal, currency: str) -> str:
    return f"{value:,.2f} {currency}"


def tier_amount(tier: dict[str, Any]) -> str:
    """A tier's amount as computed (finer than the cent: the line is rounded, its tiers
    are not), with at least two decimals."""
    value = Decimal(tier["amount"])
    exponent = value.as_tuple().exponent
    places = -exponent if isinstance(exponent, int) else 0
    return f"{value:,.2f}" if places <= 2 else f"{value:,f}"


def party_lines(data: dict[str, Any] | None, *, registration: bool = False) -> list[str]:
    """A seller's or buyer's identity as printed: name, address, VAT id (and registration)."""
    if not data:
        return []
    out = [str(data.get("name") or data.get("account"))]
    address = data.get("address")
    if address:
        out += list(address["lines"])
        out.append(f"{address['postcode']} {address['city']} {address['country']}")
    if data.get("vat_id"):
        out.append(f"VAT {data['vat_id']}")
    if registration and data.get("legal_id"):
        out.append(f"Registration {data['legal_id']}")
    return out


def invoice_text(invoice: dict[str, Any]) -> str:
    """``invoice`` (an :meth:`~servanda.services.billing.InvoiceView.as_dict`) as text."""
    cur = invoice["currency"]
    title = "CREDIT NOTE" if invoice["kind"] == "credit_note" else "INVOICE"
    number = invoice["number"] or f"draft {invoice['id']}"
    lines = [
        f"{title} {number}  ({invoice['state']})",
        f"Period {invoice['period']}   issued {invoice['issue_date'] or '-'}   "
        f"due {invoice['due_date'] or '-'}",
        "",
    ]
    document = invoice.get("document") or {}
    if document.get("cancels"):
        lines[1:1] = [f"Cancels invoice {document['cancels']}: {document.get('reason', '')}"]
    seller, buyer = party_lines(invoice.get("seller")), party_lines(invoice.get("buyer"))
    for i in range(max(len(seller), len(buyer))):
        left = seller[i] if i < len(seller) else ""
        right = buyer[i] if i < len(buyer) else ""
        lines.append(f"{left:<48}{right}")
    lines += ["", f"{'#':>3}  {'Description':<64}{'VAT':>7}{'Amount':>20}", "-" * WIDTH]
    for line in invoice["lines"]:
        rate = f"{Decimal(line['tax_rate']):g} %" if line["tax_category"] else "-"
        text = line["description"]
        first = True
        while text or first:
            cut = len(text) if len(text) <= 62 else (text.rfind(" ", 0, 62) + 1 or 62)
            chunk, text = text[:cut].rstrip(), text[cut:]
            lines.append(
                f"{line['position']:>3}  {chunk:<64}{rate:>7}"
                f"{_money(Decimal(line['amount']), cur):>20}"
                if first else f"{'':>5}{chunk}"
            )  # fmt: skip
            first = False
        for tier in (line.get("detail") or {}).get("tiers", ()):
            lines.append(
                f"{'':>7}{tier['label']:<50}{tier['quantity']:>18} {tier_amount(tier):>20}"
            )
    lines.append("-" * WIDTH)
    for t in invoice["taxes"]:
        name = t["name"] or f"{t['category']} {Decimal(t['rate']):g} %"
        lines.append(
            f"{'':>5}{name + ' on ' + _money(Decimal(t['base']), cur):<71}"
            f"{_money(Decimal(t['tax']), cur):>20}"
        )
        if t.get("exemption"):
            lines.append(f"{'':>7}{t['exemption']}")
    for label, key in (("Net", "net"), ("Tax", "tax"), ("Total", "gross")):
        lines.append(f"{'':>5}{label:<71}{_money(Decimal(invoice[key]), cur):>20}")
    if Decimal(invoice["prepaid"]):
        lines.append(
            f"{'':>5}{'Paid in advance':<71}{_money(-Decimal(invoice['prepaid']), cur):>20}"
        )
    lines.append(f"{'':>5}{'Due':<71}{_money(Decimal(invoice['due']), cur):>20}")
    iban = (invoice.get("seller") or {}).get("iban")
    if iban:
        lines += ["", f"Pay to IBAN {iban}, reference {number}."]
    return "\n".join(lines) + "\n"
