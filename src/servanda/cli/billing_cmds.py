"""``servanda bill`` and ``servanda invoice``: the month's invoices made, issued, listed,
shown and marked paid (:mod:`servanda.services.billing`)."""

from __future__ import annotations

import csv
import json
import sys
from enum import StrEnum
from pathlib import Path

import typer

from servanda.cli.common import engine, now
from servanda.cli.output import USAGE, Format, FormatOption, fail, out, print_json, table
from servanda.cli.progress import QuietOption, progress_bars
from servanda.core.access import LOCAL_ADMIN
from servanda.reports.invoice_cii import cii_xml
from servanda.reports.invoice_html import render_invoice_html, render_invoice_pdf
from servanda.reports.invoice_text import invoice_text
from servanda.reports.statement_text import statement_text
from servanda.services import billing, settlement

invoice_app = typer.Typer(help="Invoices: list, show, issue, mark paid.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add ``bill`` and ``settle`` to the root command."""
    app.command("bill")(bill)
    app.command("settle")(settle)


def bill(
    ctx: typer.Context,
    period: str = typer.Option(..., "--period", help="The month billed: YYYY-MM."),
    issue: bool = typer.Option(False, "--issue", help="Issue the drafts made (numbered)."),
    fmt: Format = FormatOption,
    quiet: bool = QuietOption,
) -> None:
    """Make the month's draft invoices, one per billing account with something to bill;
    running it again makes the drafts again and never touches an issued invoice. A progress
    bar shows on a terminal (--quiet: none)."""
    db = engine(ctx)
    with progress_bars(quiet) as bars:
        advance = bars.add(f"billing {period}", None)
        run = billing.bill(db, LOCAL_ADMIN, period, now(), progress=advance)
    numbers = billing.issue(db, LOCAL_ADMIN, period, now(), run.drafts) if issue else []
    if fmt is Format.JSON:
        print_json(run.as_dict() | {"issued": numbers})
        return
    out.print(
        f"{period}: {len(run.drafts)} draft invoice(s)"
        + (f" ({run.replaced} drafts made again)" if run.replaced else "")
        + (f"; issued {', '.join(numbers)}" if numbers else ""),
        markup=False,
    )
    if run.skipped:
        out.print(f"issued already, nothing more for {period}: {', '.join(run.skipped)}",
                  markup=False)  # fmt: skip
    for problem in run.problems:
        out.print(f"not billed: {problem}", markup=False)


@invoice_app.command("list")
def list_invoices(
    ctx: typer.Context,
    period: str | None = typer.Option(None, "--period", help="YYYY-MM."),
    account: str | None = typer.Option(None, "--account"),
    state: str | None = typer.Option(None, "--state", help="draft, issued, paid or void."),
    fmt: Format = FormatOption,
) -> None:
    """Invoices, newest month first."""
    found = billing.invoices(engine(ctx), LOCAL_ADMIN, period=period, account=account,
                             state=state)  # fmt: skip
    if fmt is Format.JSON:
        print_json([i.as_dict() for i in found])
        return
    table(
        None,
        ["id", "number", "state", "period", "account", "net", "tax", "total", "due"],
        [
            [i.id, i.number or "-", i.state, i.period, i.account, f"{i.net:,.2f}",
             f"{i.tax:,.2f}", f"{i.gross:,.2f} {i.currency}", f"{i.due:,.2f}"]
            for i in found
        ],
    )  # fmt: skip


class InvoiceFormat(StrEnum):
    """What ``invoice show`` writes."""

    TEXT = "text"
    JSON = "json"
    HTML = "html"
    PDF = "pdf"
    """Factur-X: PDF/A-3 with the EN 16931 XML embedded."""
    XML = "xml"
    """The EN 16931 XML alone (UN/CEFACT CII, Factur-X EN 16931 profile)."""


@invoice_app.command("show")
def show(
    ctx: typer.Context,
    invoice_id: int = typer.Argument(..., help="The invoice's id."),
    fmt: InvoiceFormat = typer.Option(InvoiceFormat.TEXT, "--format", "-f",
                                      help="text, json, html, pdf (Factur-X) or xml (CII)."),
    output: Path | None = typer.Option(None, "--out", "-o", help="Write here (pdf: required "
                                       "unless standard output is a file or a pipe)."),
) -> None:  # fmt: skip
    """One invoice: parties, lines, taxes by rate, totals."""
    data = billing.invoice(engine(ctx), LOCAL_ADMIN, invoice_id).as_dict()
    if fmt is InvoiceFormat.JSON:
        body: bytes = (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode()
    elif fmt is InvoiceFormat.TEXT:
        body = invoice_text(data).encode()
    elif fmt is InvoiceFormat.HTML:
        body = render_invoice_html(data).encode()
    elif fmt is InvoiceFormat.XML:
        body = cii_xml(data)
    else:
        body = render_invoice_pdf(data)
    if output is not None:
        output.write_bytes(body)
        out.print(f"wrote {output} ({len(body):,} bytes)", markup=False)
        return
    if fmt is InvoiceFormat.PDF and sys.stdout.isatty():
        fail("a PDF is not written to a terminal: give --out FILE", USAGE)
    sys.stdout.buffer.write(body)
    sys.stdout.flush()


@invoice_app.command("issue")
def issue_drafts(
    ctx: typer.Context,
    period: str = typer.Option(..., "--period", help="YYYY-MM."),
    ids: list[int] | None = typer.Argument(None, help="Only these drafts."),
) -> None:
    """Issue the month's drafts: each gets the next number of its issuer's year."""
    numbers = billing.issue(engine(ctx), LOCAL_ADMIN, period, now(), ids or None)
    out.print(f"issued {len(numbers)}: {', '.join(numbers) or 'nothing'}", markup=False)


@invoice_app.command("pay")
def pay(ctx: typer.Context, invoice_id: int = typer.Argument(...)) -> None:
    """Record that an issued invoice is paid."""
    billing.mark_paid(engine(ctx), LOCAL_ADMIN, invoice_id, now())
    out.print(f"invoice {invoice_id} paid", markup=False)


def settle(
    ctx: typer.Context,
    period: str = typer.Option(..., "--period", help="The month settled: YYYY-MM."),
    fmt: Format = FormatOption,
) -> None:
    """Net the month's revenue shares and carrier costs into one statement per pair of
    accounts; running it again settles nothing twice."""
    db = engine(ctx)
    made = set(settlement.settle(db, LOCAL_ADMIN, period, now()))
    found = [s for s in settlement.statements_of(db, LOCAL_ADMIN, period) if s.id in made]
    if fmt is Format.JSON:
        print_json([s.as_dict() for s in found])
        return
    out.print(f"{period}: {len(found)} statement(s)", markup=False)
    for s in found:
        who = f"{s.payer} pays {s.payee}" if s.payer else "nothing owed"
        kind = " (self-billing)" if s.self_billing else ""
        out.print(f"  {s.id}: {s.first} / {s.second}: {who} {s.net} {s.currency}{kind}",
                  markup=False)  # fmt: skip


@invoice_app.command("void")
def void(
    ctx: typer.Context,
    invoice_id: int = typer.Argument(...),
    reason: str = typer.Option(..., "--reason", help="Why, printed on the credit note."),
) -> None:
    """Cancel an issued invoice with a credit note; the next bill run of its month makes the
    corrected invoice."""
    note = billing.void(engine(ctx), LOCAL_ADMIN, invoice_id, reason, now())
    out.print(f"invoice {invoice_id} void: credit note {note.number} ({note.gross} "
              f"{note.currency}); run servanda bill --period {note.period} for the new one",
              markup=False)  # fmt: skip


EXPORT_COLUMNS = (
    "invoice_number", "invoice_id", "kind", "state", "account", "period", "issue_date",
    "due_date", "currency", "position", "line_kind", "description", "service", "quantity",
    "unit", "amount", "tax_category", "tax_rate",
)  # fmt: skip


@invoice_app.command("export")
def export(
    ctx: typer.Context,
    period: str = typer.Option(..., "--period", help="YYYY-MM."),
    output: Path = typer.Option(..., "--out", "-o", help="The CSV file to write."),
    drafts: bool = typer.Option(False, "--drafts", help="Drafts too (issued ones only by "
                                "default)."),
) -> None:  # fmt: skip
    """The month's invoice lines as CSV for accounting systems: one row per line, with its
    invoice's number, account, dates and currency, its amount and its VAT."""
    db = engine(ctx)
    rows = 0
    with output.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(EXPORT_COLUMNS)
        for head in billing.invoices(db, LOCAL_ADMIN, period=period):
            if head.state == "draft" and not drafts:
                continue
            found = billing.invoice(db, LOCAL_ADMIN, head.id)
            for line in found.lines:
                writer.writerow([
                    found.number or "", found.id, found.kind, found.state, found.account,
                    found.period, found.issue_date or "", found.due_date or "",
                    found.currency, line.position, line.kind, line.description,
                    line.service or "", "" if line.quantity is None else line.quantity,
                    line.unit or "", line.amount, line.tax_category or "", line.tax_rate,
                ])  # fmt: skip
                rows += 1
    out.print(f"wrote {output}: {rows} invoice lines", markup=False)


statement_app = typer.Typer(help="Settlement statements: list, show.", no_args_is_help=True)


@statement_app.command("list")
def list_statements(
    ctx: typer.Context,
    period: str | None = typer.Option(None, "--period", help="YYYY-MM."),
    fmt: Format = FormatOption,
) -> None:
    """Settlement statements, oldest month first."""
    found = settlement.statements_of(engine(ctx), LOCAL_ADMIN, period)
    if fmt is Format.JSON:
        print_json([s.as_dict() for s in found])
        return
    table(
        None,
        ["id", "period", "accounts", "payer", "payee", "net", "self-billing"],
        [
            [s.id, s.period, f"{s.first} / {s.second}", s.payer or "-", s.payee or "-",
             f"{s.net:,.4f} {s.currency}", "yes" if s.self_billing else "no"]
            for s in found
        ],
    )  # fmt: skip


@statement_app.command("show")
def show_statement(
    ctx: typer.Context,
    statement_id: int = typer.Argument(..., help="The statement's id."),
    fmt: Format = FormatOption,
) -> None:
    """One statement: what each account owes the other, by role and rule, and the net."""
    db = engine(ctx)
    found = settlement.statement(db, LOCAL_ADMIN, statement_id)
    if fmt is Format.JSON:
        print_json(found.as_dict())
        return
    parties = billing.account_identities(db, LOCAL_ADMIN, [found.first, found.second])
    out.print(statement_text(found.as_dict(), parties), markup=False, end="")
