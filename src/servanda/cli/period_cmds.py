"""``servanda sla close|reopen|adjustments|versions|credits``: closed reporting periods, whose
results and credits are final (see :mod:`servanda.services.closing`)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import typer

from servanda.cli.common import AsOfOption, as_of, engine, now
from servanda.cli.output import Format, FormatOption, out, print_json
from servanda.core.access import LOCAL_ADMIN
from servanda.measure.closure import Closure
from servanda.measure.results import Credit
from servanda.services import closing

PeriodOption = typer.Option(..., "--period", "-p", help="2024-04, 2024-Q2, 2024-W14, 2024 …")


def register(app: typer.Typer) -> None:
    """Add the commands to ``app`` (``servanda sla``)."""
    app.command("close")(close)
    app.command("reopen")(reopen)
    app.command("adjustments")(adjustments)
    app.command("versions")(versions)
    app.command("credits")(credits)


def close(
    ctx: typer.Context,
    period: str = PeriodOption,
    customer: str | None = typer.Option(
        None, "--customer", "-c", help="Only this customer (default: every customer)."
    ),
    fmt: Format = FormatOption,
) -> None:
    """Close PERIOD: each customer's results, credits and report as they are now become final,
    with who closed it and when. A period that has not ended is refused; customers whose period
    is closed already are left alone (named with --customer: refused; reopen it first)."""
    done = closing.close_period(engine(ctx), LOCAL_ADMIN, period, now(), customer)
    if fmt is Format.JSON:
        print_json(
            [
                {
                    **_closure(d.closure),
                    "new": d.new,
                    "credits": [_credit(c) for c in d.credits],
                }
                for d in done
            ]
        )
        return
    for d in done:
        c = d.closure
        what = "closed" if d.new else "already closed"
        out.print(
            f"{d.customer} {c.period_label}: {what}, version {c.version} "
            f"({c.closed_at:%Y-%m-%d %H:%M} UTC by {c.closed_by}); {_credits_words(d.credits)}",
            markup=False,
        )


def reopen(
    ctx: typer.Context,
    customer: str = typer.Argument(..., help="The customer party."),
    period: str = PeriodOption,
    reason: str = typer.Option(..., "--reason", help="Why (kept with the closed version)."),
    fmt: Format = FormatOption,
) -> None:
    """Reopen a customer's closed PERIOD for a correction: the closed version and its figures
    are kept; closing again makes the next version, and the difference in credits is what
    billing corrects."""
    found = closing.reopen_period(engine(ctx), LOCAL_ADMIN, customer, period, now(), reason)
    if fmt is Format.JSON:
        print_json(_closure(found))
        return
    out.print(
        f"{customer} {found.period_label}: version {found.version} reopened; close it again "
        "to make the next version",
        markup=False,
    )


def adjustments(
    ctx: typer.Context,
    period: str = PeriodOption,
    customer: str | None = typer.Option(None, "--customer", "-c", help="Only this customer."),
    fmt: Format = FormatOption,
    at: str | None = AsOfOption,
) -> None:
    """What changed since PERIOD was closed (late outages, measurements, corrected incidents):
    each result and credit a new evaluation finds different from the final ones."""
    found = closing.adjustments(engine(ctx), LOCAL_ADMIN, period, as_of(at), customer)
    if fmt is Format.JSON:
        print_json(
            [
                {
                    **_closure(a.closure),
                    "pending": a.pending,
                    "results": [
                        {
                            "service": r.service,
                            "objective": r.objective,
                            "final": None if r.final is None else _actual(r.final.actual),
                            "now": None if r.now is None else _actual(r.now.actual),
                            "final_verdict": None if r.final is None else r.final.verdict.value,
                            "now_verdict": None if r.now is None else r.now.verdict.value,
                        }
                        for r in a.results
                    ],
                    "credits": [_change(c) for c in a.credits],
                }
                for a in found
            ]
        )
        return
    if not found:
        out.print(f"no closed period {period}", markup=False)
    for a in found:
        c = a.closure
        head = f"{c.customer} {c.period_label} (version {c.version})"
        if not a.pending:
            out.print(f"{head}: no pending adjustment", markup=False)
            continue
        out.print(f"{head}: pending adjustments", markup=False)
        for line in a.sentences():
            out.print(f"  {line}", markup=False)


def versions(
    ctx: typer.Context,
    customer: str = typer.Argument(..., help="The customer party."),
    period: str = PeriodOption,
    fmt: Format = FormatOption,
) -> None:
    """Every close of a customer's PERIOD, with its credits and the difference from the close
    before (what a correction bills or credits)."""
    found = closing.versions(engine(ctx), LOCAL_ADMIN, customer, period, now())
    if fmt is Format.JSON:
        print_json(
            [
                {
                    **_closure(v.closure),
                    "credits": [_credit(c) for c in v.credits],
                    "difference": [_change(d) for d in v.difference],
                }
                for v in found
            ]
        )
        return
    if not found:
        out.print(f"{customer} {period}: never closed", markup=False)
    for v in found:
        c = v.closure
        state = "final" if c.final else f"reopened {c.reopened_at:%Y-%m-%d %H:%M} UTC"
        out.print(
            f"version {c.version}: closed {c.closed_at:%Y-%m-%d %H:%M} UTC by {c.closed_by}, "
            f"{state}; {_credits_words(v.credits)}",
            markup=False,
        )
        if c.reopen_reason:
            out.print(f"  reopened because: {c.reopen_reason}", markup=False)
        for d in v.difference:
            if c.version > 1:
                out.print(f"  {d.sentence()}", markup=False)


def credits(
    ctx: typer.Context,
    customer: str | None = typer.Option(None, "--customer", "-c", help="Only this customer."),
    fmt: Format = FormatOption,
) -> None:
    """The final credits: those of closed periods, which billing reads."""
    found = closing.final_credits(engine(ctx), LOCAL_ADMIN, customer)
    if fmt is Format.JSON:
        print_json([{**_credit(f.credit), "version": f.closure.version} for f in found])
        return
    if not found:
        out.print("no final credit (close a period first: servanda sla close)", markup=False)
    for f in found:
        out.print(
            f"{f.credit.customer} {f.closure.period_label} v{f.closure.version}: {f.credit.reason}",
            markup=False,
        )


def _closure(c: Closure) -> dict[str, Any]:
    return {
        "customer": c.customer,
        "period": c.period_label,
        "period_start": c.period_start.isoformat(),
        "period_end": c.period_end.isoformat(),
        "version": c.version,
        "closed_at": c.closed_at.isoformat(),
        "closed_by": c.closed_by,
        "final": c.final,
        "reopened_at": None if c.reopened_at is None else c.reopened_at.isoformat(),
        "reopened_by": c.reopened_by,
        "reopen_reason": c.reopen_reason,
    }


def _credit(c: Credit) -> dict[str, Any]:
    return {
        "customer": c.customer,
        "service": c.service,
        "objective": c.objective,
        "period_start": c.period_start.isoformat(),
        "period_end": c.period_end.isoformat(),
        "percent": str(c.percent),
        "amount": _actual(c.amount),
        "currency": c.currency,
        "reason": c.reason,
    }


def _change(c: closing.CreditChange) -> dict[str, Any]:
    return {
        "service": c.service,
        "objective": c.objective,
        "final": None if c.final is None else _credit(c.final),
        "now": None if c.now is None else _credit(c.now),
        "difference": _actual(c.difference),
        "currency": c.currency,
    }


def _actual(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _credits_words(found: tuple[Credit, ...]) -> str:
    if not found:
        return "no credit"
    totals: dict[str, Decimal] = {}
    for c in found:
        if c.amount is not None:
            totals[c.currency or ""] = totals.get(c.currency or "", Decimal(0)) + c.amount
    money = ", ".join(f"{amount} {cur}".strip() for cur, amount in sorted(totals.items()))
    return f"{len(found)} credit(s)" + (f": {money}" if money else "")
