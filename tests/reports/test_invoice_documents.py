"""Invoices as documents: text and HTML against golden files; the EN 16931 XML (Factur-X EN 16931
profile, validated against the schema drafthorse ships) read back with the same totals; the
PDF a PDF/A-3 file with that XML embedded; a credit note is type 381 with positive amounts.

Set ``SERVANDA_UPDATE_GOLDEN=1`` to rewrite the golden files after an intended change."""

from __future__ import annotations

import io
import json
import os
import xml.etree.ElementTree as ET
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from drafthorse.models.document import Document
from pypdf import PdfReader

from servanda.reports.invoice_cii import cii_xml
from servanda.reports.invoice_html import render_invoice_html, render_invoice_pdf
from servanda.reports.invoice_text import invoice_text

HERE = Path(__file__).parent / "invoices"
INVOICE = HERE / "institut-rhenan-2024-04.json"


def invoice() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(INVOICE.read_text(encoding="utf-8"))
    return data


def golden(name: str, text: str) -> None:
    path = HERE / name
    if os.environ.get("SERVANDA_UPDATE_GOLDEN") == "1":
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


def test_text_and_html_match_their_golden_files() -> None:
    golden("institut-rhenan-2024-04.txt", invoice_text(invoice()))
    golden("institut-rhenan-2024-04.html", render_invoice_html(invoice()))


NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
}
TOTALS = ".//ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:"


def read(xml: bytes) -> dict[str, Any]:
    root = ET.fromstring(xml)

    def one(path: str) -> str:
        found = root.find(path, NS)
        assert found is not None, path
        return found.text or ""

    Document.parse(xml)  # drafthorse reads it back, strictly
    return {
        "id": one(".//rsm:ExchangedDocument/ram:ID"),
        "type": one(".//rsm:ExchangedDocument/ram:TypeCode"),
        "net": Decimal(one(TOTALS + "LineTotalAmount")),
        "gross": Decimal(one(TOTALS + "GrandTotalAmount")),
        "prepaid": Decimal(one(TOTALS + "TotalPrepaidAmount")),
        "due": Decimal(one(TOTALS + "DuePayableAmount")),
        "lines": len(root.findall(".//ram:IncludedSupplyChainTradeLineItem", NS)),
        "seller": one(".//ram:SellerTradeParty/ram:Name"),
    }


def test_the_en16931_xml_reads_back_with_the_same_figures() -> None:
    data = invoice()
    found = read(cii_xml(data))
    assert found == {
        "id": "MFN-2024-000005", "type": "380", "net": Decimal(data["net"]),
        "gross": Decimal(data["gross"]), "prepaid": Decimal("10.00"),
        "due": Decimal(data["due"]), "lines": len(data["lines"]),
        "seller": "Metro Fibre Networks SAS",
    }  # fmt: skip


def test_a_credit_note_states_positive_amounts() -> None:
    data = invoice()
    negated = {k: str(-Decimal(data[k])) for k in ("net", "tax", "gross", "prepaid", "due")}
    note = data | negated | {
        "kind": "credit_note", "number": "MFN-2024-000009",
        "lines": [line | {"amount": str(-Decimal(line["amount"]))} for line in data["lines"]],
        "taxes": [t | {"base": str(-Decimal(t["base"])), "tax": str(-Decimal(t["tax"]))}
                  for t in data["taxes"]],
    }  # fmt: skip
    found = read(cii_xml(note))
    assert (found["type"], found["net"], found["due"]) == (
        "381",
        Decimal(data["net"]),
        Decimal(data["due"]),
    )


def test_the_pdf_is_pdf_a_3_with_the_xml_embedded() -> None:
    pytest.importorskip("weasyprint")
    data = invoice()
    pdf = render_invoice_pdf(data)
    reader = PdfReader(io.BytesIO(pdf))
    [embedded] = reader.attachments["factur-x.xml"]
    assert embedded == cii_xml(data)
    metadata = reader.xmp_metadata
    assert metadata is not None
    xml = metadata.rdf_root.toxml()
    assert "<pdfaid:part>3</pdfaid:part>" in xml or 'pdfaid:part="3"' in xml
    assert "Institut Rhénan" in reader.pages[0].extract_text()
