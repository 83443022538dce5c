"""``servanda bill``, ``invoice`` and ``settle`` on the example: a month of usage billed,
issued and shown in every format (text, JSON, HTML, the EN 16931 XML, a Factur-X PDF), and
settled; running them again makes nothing twice."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path

from pypdf import PdfReader
from tests.cli.cli_support import EXAMPLE, ok, ok_json, run


def test_a_month_billed_issued_shown_and_settled(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'servanda.db'}"
    ok("db", "upgrade", db=db)
    ok("load", EXAMPLE, db=db)
    ok("usage", "ingest", EXAMPLE / "usage" / "2024-04.calls.csv", db=db)
    made = ok_json("bill", "--period", "2024-04", db=db)
    assert len(made["drafts"]) == 6  # every customer with a subscription or usage
    again = ok("bill", "--period", "2024-04", "--issue", db=db).stdout
    assert "6 draft invoice(s) (6 drafts made again); issued MFN-2024-000001" in again
    listed = ok_json("invoice", "list", "--state", "issued", db=db)
    quai = next(i for i in listed if i["account"] == "quai-capital")

    text = ok("invoice", "show", str(quai["id"]), db=db).stdout
    assert f"INVOICE {quai['number']}" in text
    assert "Dedicated Internet Access, 2024-04" in text
    html = ok("invoice", "show", str(quai["id"]), "--format", "html", db=db).stdout
    assert "<h1>Invoice MFN-" in html
    xml = ok("invoice", "show", str(quai["id"]), "--format", "xml", db=db).stdout
    assert "<ram:DuePayableAmount>" in xml
    pdf = tmp_path / "invoice.pdf"
    ok("invoice", "show", str(quai["id"]), "--format", "pdf", "--out", pdf, db=db)
    reader = PdfReader(io.BytesIO(pdf.read_bytes()))
    assert "factur-x.xml" in reader.attachments

    exported = tmp_path / "lines.csv"
    ok("invoice", "export", "--period", "2024-04", "--out", exported, db=db)
    rows = list(csv.DictReader(io.StringIO(exported.read_text(encoding="utf-8"))))
    assert {r["invoice_number"] for r in rows} == {i["number"] for i in listed}
    mine = [r for r in rows if r["account"] == "quai-capital"]
    assert sum(Decimal(r["amount"]) for r in mine) == Decimal(quai["net"])

    ok("invoice", "pay", str(quai["id"]), db=db)
    assert run("invoice", "pay", str(quai["id"]), db=db).exit_code == 1  # paid already
    settled = ok("settle", "--period", "2024-04", db=db).stdout
    assert "metro-isp pays lumiere-tv" in settled
    assert "(self-billing)" in settled
    assert "0 statement(s)" in ok("settle", "--period", "2024-04", db=db).stdout
    statements = ok_json("statement", "list", "--period", "2024-04", db=db)
    lumiere = next(x for x in statements if x["first"] == "lumiere-tv")
    shown = ok("statement", "show", str(lumiere["id"]), db=db).stdout
    assert shown.startswith("SELF-BILLING STATEMENT")
    assert "Lumière TV SAS" in shown
    assert "metro-isp pays lumiere-tv" in shown
    bad = run("bill", "--period", "April", db=db)
    assert bad.exit_code == 1
    assert "YYYY-MM" in bad.stdout + bad.stderr
