"""An invoice as an HTML page and as a Factur-X PDF: the page printed to PDF/A-3 by WeasyPrint,
with its EN 16931 XML (:mod:`~servanda.reports.invoice_cii`) embedded, so one file is both
the invoice a person reads and the one an accounting system imports."""

from __future__ import annotations

import gc
import warnings
from decimal import Decimal
from typing import Any

from drafthorse.pdf import attach_xml

from servanda.reports.invoice_cii import cii_xml
from servanda.reports.invoice_text import party_lines, tier_amount
from servanda.reports.sla_html import environment
from servanda.reports.sla_pdf import load_weasyprint


def _money(value: Any, currency: str) -> str:
    return f"{Decimal(value):,.2f} {currency}"


def render_invoice_html(invoice: dict[str, Any]) -> str:
    """``invoice`` (an :meth:`~servanda.services.billing.InvoiceView.as_dict`) as HTML."""
    cur = invoice["currency"]
    number = invoice["number"] or f"draft {invoice['id']}"
    document = invoice.get("document") or {}
    lines = [
        {
            "position": line["position"], "kind": line["kind"],
            "description": line["description"],
            "rate": f"{Decimal(line['tax_rate']):g} %" if line["tax_category"] else "–",
            "amount": _money(line["amount"], cur),
            "report": (line.get("detail") or {}).get("report"),
            "tiers": [
                {"label": t["label"], "quantity": t["quantity"], "amount": tier_amount(t)}
                for t in (line.get("detail") or {}).get("tiers", ())
            ],
        }
        for line in invoice["lines"]
    ]  # fmt: skip
    taxes = [
        {
            "label": f"{t['name'] or t['category']} on {_money(t['base'], cur)}",
            "amount": _money(t["tax"], cur), "exemption": t.get("exemption"),
        }
        for t in invoice["taxes"]
    ]  # fmt: skip
    prepaid = Decimal(invoice["prepaid"])
    totals = {
        "net": _money(invoice["net"], cur), "tax": _money(invoice["tax"], cur),
        "gross": _money(invoice["gross"], cur),
        "prepaid": _money(-prepaid, cur) if prepaid else None,
        "due": _money(invoice["due"], cur),
    }  # fmt: skip
    template = environment().get_template("invoice.html.j2")
    return template.render(
        invoice=invoice, number=number,
        title="Credit note" if invoice["kind"] == "credit_note" else "Invoice",
        cancels=document.get("cancels"), reason=document.get("reason"),
        seller=party_lines(invoice.get("seller"), registration=True),
        buyer=party_lines(invoice.get("buyer"), registration=True),
        lines=lines, taxes=taxes, totals=totals,
        iban=(invoice.get("seller") or {}).get("iban"),
    )  # fmt: skip


def render_invoice_pdf(invoice: dict[str, Any]) -> bytes:
    """``invoice`` as a Factur-X PDF: PDF/A-3b with its EN 16931 XML embedded."""
    weasyprint = load_weasyprint()
    html = render_invoice_html(invoice)
    with warnings.catch_warnings():
        # WeasyPrint's PDF/A output leaves its colour profile file for the collector to close
        warnings.simplefilter("ignore", ResourceWarning)
        pdf: bytes = weasyprint.HTML(string=html).write_pdf(pdf_variant="pdf/a-3b")
        gc.collect()
    embedded: bytes = attach_xml(pdf, cii_xml(invoice), level="EN 16931")
    return embedded
