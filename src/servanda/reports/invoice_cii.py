"""An invoice as an EN 16931 electronic invoice: UN/CEFACT Cross Industry Invoice XML in the
Factur-X / ZUGFeRD EN 16931 profile, built with drafthorse and validated against the XSD it
ships (an invalid document raises instead of being written).

How Servanda's invoice maps onto the standard:

* invoice → type code 380, credit note → 381 (its amounts stated positive, as a credit note
  does); the number is BT-1 (a draft has ``DRAFT-<id>``), the issue date BT-2, the due date
  BT-9, the billing month BG-14;
* seller and buyer → their names, postal addresses, VAT ids (``VA``) and registration ids
  (SIREN: scheme ``0002``); the seller's IBAN is the payment means (SEPA credit transfer, 58);
* each line → one line item of quantity 1 (``C62``), its net price the line's amount: usage
  summed over many records is one priced item (the record count is in its name). A negative
  line (an SLA credit, a package) has quantity −1 and a positive price, since EN 16931 forbids
  a negative item price;
* VAT → one breakdown per category and rate, with the exemption reason where no VAT is due;
* totals → line total, tax basis, tax, grand total, prepaid amount, amount due.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from drafthorse.models.accounting import ApplicableTradeTax
from drafthorse.models.document import Document
from drafthorse.models.party import TaxRegistration
from drafthorse.models.payment import PaymentMeans, PaymentTerms
from drafthorse.models.tradelines import LineItem

PROFILE = "urn:cen.eu:en16931:2017"
"""BT-24: the EN 16931 profile of Factur-X."""
SCHEMA = "FACTUR-X_EN16931"
"""The XSD drafthorse validates against."""
CENT = Decimal("0.01")


def _money(value: Decimal) -> Decimal:
    return Decimal(value).quantize(CENT)


def _party(target: Any, data: dict[str, Any] | None) -> None:
    data = data or {}
    target.name = data.get("name") or data.get("account") or "?"
    address = data.get("address")
    if address:
        lines = [*list(address["lines"]), "", ""]
        target.address.line_one = lines[0]
        if lines[1]:
            target.address.line_two = lines[1]
        target.address.postcode = address["postcode"]
        target.address.city_name = address["city"]
        target.address.country_id = address["country"]
    else:
        target.address.country_id = "FR"
    if data.get("legal_id"):
        target.legal_organization.id = ("0002", data["legal_id"])
    if data.get("vat_id"):
        target.tax_registrations.add(TaxRegistration(id=("VA", data["vat_id"])))


def cii_xml(invoice: dict[str, Any]) -> bytes:
    """``invoice`` (an :meth:`~servanda.services.billing.InvoiceView.as_dict`) as Factur-X
    EN 16931 XML, validated against the schema drafthorse ships."""
    credit_note = invoice["kind"] == "credit_note"
    sign = Decimal(-1) if credit_note else Decimal(1)
    doc = Document()
    doc.context.guideline_parameter.id = PROFILE
    number = invoice["number"] or f"DRAFT-{invoice['id']}"
    doc.header.id = number
    doc.header.type_code = "381" if credit_note else "380"
    doc.header.issue_date_time = date.fromisoformat(invoice["issue_date"] or "1970-01-01")

    _party(doc.trade.agreement.seller, invoice.get("seller"))
    _party(doc.trade.agreement.buyer, invoice.get("buyer"))
    doc.trade.agreement.buyer_reference = invoice["account"]

    settlement = doc.trade.settlement
    settlement.currency_code = invoice["currency"]
    settlement.payment_reference = number
    iban = (invoice.get("seller") or {}).get("iban")
    if iban:
        means = PaymentMeans()
        means.type_code = "58"
        means.payee_account.iban = iban
        settlement.payment_means.add(means)
    if invoice.get("due_date"):
        terms = PaymentTerms()
        terms.due = date.fromisoformat(invoice["due_date"])
        settlement.terms.add(terms)
    period = (invoice.get("document") or {}).get("period") or {}
    if period.get("start"):
        settlement.period.start = date.fromisoformat(period["start"])
        settlement.period.end = date.fromisoformat(period["end"])

    for line in invoice["lines"]:
        amount = _money(Decimal(line["amount"])) * sign
        item = LineItem()
        item.document.line_id = str(line["position"])
        item.product.name = line["description"][:500]
        item.agreement.net.amount = abs(amount)
        item.delivery.billed_quantity = (Decimal(1) if amount >= 0 else Decimal(-1), "C62")
        item.settlement.trade_tax.type_code = "VAT"
        item.settlement.trade_tax.category_code = line["tax_category"] or "O"
        if line["tax_category"] != "O":
            item.settlement.trade_tax.rate_applicable_percent = Decimal(line["tax_rate"])
        item.settlement.monetary_summation.total_amount = amount
        doc.trade.items.add(item)

    for group in invoice["taxes"]:
        tax = ApplicableTradeTax()
        tax.type_code = "VAT"
        tax.category_code = group["category"] or "O"
        tax.basis_amount = _money(Decimal(group["base"])) * sign
        tax.calculated_amount = _money(Decimal(group["tax"])) * sign
        if tax.category_code != "O":
            tax.rate_applicable_percent = Decimal(group["rate"])
        if group.get("exemption"):
            tax.exemption_reason = group["exemption"]
        elif tax.category_code == "O":
            tax.exemption_reason = "Not subject to VAT"
        settlement.trade_tax.add(tax)

    totals = settlement.monetary_summation
    totals.line_total = _money(Decimal(invoice["net"])) * sign
    totals.charge_total = Decimal("0.00")
    totals.allowance_total = Decimal("0.00")
    totals.tax_basis_total = _money(Decimal(invoice["net"])) * sign
    totals.tax_total = (_money(Decimal(invoice["tax"])) * sign, invoice["currency"])
    totals.grand_total = _money(Decimal(invoice["gross"])) * sign
    totals.prepaid_total = _money(Decimal(invoice["prepaid"])) * sign
    totals.due_amount = _money(Decimal(invoice["due"])) * sign
    xml: bytes = doc.serialize(schema=SCHEMA)
    return xml
