"""``servanda report sla`` (a customer's report from the database), ``servanda sla evaluate``
(the same evaluation from a configuration folder and files, storing nothing) and ``servanda sla
burn`` (burn-rate warnings raised as events), ``servanda sla rollup`` (per provider, service
or customer)."""

from __future__ import annotations

import io
import json
from enum import StrEnum
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from servanda.cli.common import AsOfOption, as_of, engine, write_text
from servanda.cli.output import USAGE, Format, FormatOption, fail, out, print_json
from servanda.core.access import LOCAL_ADMIN
from servanda.documents.prometheus import rules_yaml
from servanda.measure.results import ObjectiveResult, Verdict
from servanda.reports.sla_html import render_sla_html
from servanda.reports.sla_json import report_to_json, report_to_json_text
from servanda.reports.sla_model import SlaReport
from servanda.reports.sla_pdf import render_sla_pdf
from servanda.reports.sla_view import actual_text, standing_text, target_text
from servanda.services import burn, closing, rollups, sla
from servanda.services.events import EventEngine
from servanda.services.rollups import RollupBy

report_app = typer.Typer(help="Reports for customers.", no_args_is_help=True)
sla_app = typer.Typer(help="SLA evaluation from files, and burn-rate checks.", no_args_is_help=True)

TEXT_WIDTH = 120
"""Columns of a text report written to a file."""


class ReportFormat(StrEnum):
    """What ``report sla`` writes."""

    TEXT = "text"
    JSON = "json"
    HTML = "html"
    PDF = "pdf"


@report_app.command("sla")
def report_sla(
    ctx: typer.Context,
    customer: str = typer.Argument(..., help="The customer party."),
    period: str = typer.Option(
        ..., "--period", "-p", help="2024-04, 2024-Q2, 2024-W14, 2024 or 2024-04-01..2024-04-15."
    ),
    fmt: ReportFormat = typer.Option(ReportFormat.TEXT, "--format", "-f", help="Output format."),
    out_file: Path | None = typer.Option(
        None, "--out", "-o", help="Write here (needed for pdf; stdout otherwise)."
    ),
    at: str | None = AsOfOption,
) -> None:
    """The customer's service level report over PERIOD: per objective the target, the actual,
    met or not, the error budget, breaches with their incidents, credits and feedback. A
    closed period shows its final figures (and any pending adjustments); an open one is
    provisional. Stores nothing."""
    report = closing.report_of(engine(ctx), LOCAL_ADMIN, customer, period, as_of(at))
    _emit([report], fmt, out_file)


@sla_app.command("evaluate")
def sla_evaluate(
    config: Path = typer.Argument(..., help="The configuration folder (or file)."),
    outages: Path = typer.Option(
        ..., "--outages", help="Outages: CSV, JSON or JSON Lines (service, customer, start, end…)."
    ),
    measurements: list[Path] = typer.Option(
        [], "--measurements", help="Measurements: CSV or JSON Lines (repeat for several files)."
    ),
    attestations: list[Path] = typer.Option(
        [], "--attestations", help="Control attestations: CSV or JSON (without: controls unmet)."
    ),
    feedback: list[Path] = typer.Option(
        [], "--feedback", help="Customer feedback: CSV or JSON Lines (repeat for several files)."
    ),
    period: str = typer.Option(..., "--period", "-p", help="2024-04, 2024-Q2 …"),
    customer: list[str] = typer.Option(
        [], "--customer", "-c", help="Only these customers (repeat); all by default."
    ),
    fmt: ReportFormat = typer.Option(ReportFormat.JSON, "--format", "-f", help="Output format."),
    out_file: Path | None = typer.Option(None, "--out", "-o", help="Write here."),
    at: str | None = AsOfOption,
) -> None:
    """Evaluate PERIOD from a configuration and files, storing nothing: the same code as the
    stored reports, for scripts and audits. Bad files: every problem, located, and exit 1."""
    moment = as_of(at)
    files = sorted(config.rglob("*.y*ml")) if config.is_dir() else [config]
    evaluated = sla.evaluate_files(
        files, outages, measurements, period, moment, customer, attestations, feedback
    )
    _emit([sla.build_report(e, moment) for e in evaluated], fmt, out_file)


@sla_app.command("burn")
def sla_burn(ctx: typer.Context, fmt: Format = FormatOption, at: str | None = AsOfOption) -> None:
    """Evaluate the burn-rate rules of every availability objective over the last complete
    minutes and send each warning to event management as an event (source servanda-slo).
    Run it every few minutes: a check repeated changes nothing."""
    db = engine(ctx)
    found = burn.check_burn_rates(db, EventEngine(db), LOCAL_ADMIN, as_of(at))
    new = found.ingested.new if found.ingested is not None else 0
    if fmt is Format.JSON:
        print_json(
            {
                "objectives": found.objectives,
                "events": [
                    {
                        "fingerprint": e.fingerprint,
                        "status": e.status.value,
                        "severity": e.severity.value,
                        "starts_at": e.starts_at.isoformat(),
                        "ends_at": None if e.ends_at is None else e.ends_at.isoformat(),
                        "summary": e.summary,
                    }
                    for e in found.events
                ],
                "new": new,
            }
        )
        return
    out.print(
        f"{found.objectives} objective(s) checked, {len(found.events)} warning event(s), {new} new"
    )
    for e in found.events:
        state = "firing" if e.ends_at is None else f"cleared {e.ends_at:%Y-%m-%d %H:%M} UTC"
        out.print(f"  {e.severity.value}: {e.summary} (since {e.starts_at:%Y-%m-%d %H:%M} UTC, "
                  f"{state})", markup=False)  # fmt: skip


@sla_app.command("rules")
def sla_rules(
    ctx: typer.Context,
    agreement: str | None = typer.Option(None, "--agreement", help="Only this agreement."),
    out_file: Path | None = typer.Option(None, "--out", "-o", help="Write the rule file here."),
) -> None:
    """Print the burn-rate rules of the objectives whose series live in Prometheus as a
    Prometheus rule file (recording and alerting rules, as Sloth and Pyrra generate them)."""
    text = rules_yaml(burn.prometheus_rules(engine(ctx), LOCAL_ADMIN, agreement))
    if out_file is not None:
        write_text(out_file, text)
    else:
        typer.echo(text, nl=False)


@sla_app.command("rollup")
def sla_rollup(
    ctx: typer.Context,
    period: str = typer.Option(..., "--period", "-p", help="2024-04, 2024-Q2 …"),
    by: RollupBy = typer.Option(RollupBy.PROVIDER, "--by", help="provider, service or customer."),
    fmt: Format = FormatOption,
    at: str | None = AsOfOption,
) -> None:
    """Roll every customer's results over PERIOD up per provider, service or customer
    (final where the period is closed, provisional elsewhere): numerators and denominators
    added, never a mean of percentages; the strictest target of those rolled up is kept."""
    found = rollups.rollups(engine(ctx), LOCAL_ADMIN, period, by, as_of(at))
    if fmt is Format.JSON:
        print_json(
            [
                {
                    "key": r.key,
                    "members": r.members,
                    "final": r.final,
                    "results": [
                        {
                            "objective": x.objective,
                            "metric": x.metric.value,
                            "target": str(x.target),
                            "actual": None if x.actual is None else str(x.actual),
                            "numerator": None if x.numerator is None else str(x.numerator),
                            "denominator": None if x.denominator is None else str(x.denominator),
                            "verdict": x.verdict.value,
                        }
                        for x in r.results
                    ],
                }
                for r in found
            ]
        )
        return
    for r in found:
        title = f"{by.value} {r.key} ({r.members} results, {r.final} final)"
        shown = Table(title=title, header_style="bold")
        for column in ("objective", "target", "actual", "verdict", "budget left"):
            shown.add_column(column, overflow="fold")
        for x in r.results:
            shown.add_row(*_row(x))
        out.print(shown)


def _emit(reports: list[SlaReport], fmt: ReportFormat, out_file: Path | None) -> None:
    if fmt is ReportFormat.PDF:
        if out_file is None:
            fail("--format pdf needs --out FILE", USAGE)
        if len(reports) != 1:
            fail("--format pdf writes one customer: name it with --customer", USAGE)
        try:
            out_file.write_bytes(render_sla_pdf(reports[0]))
        except OSError as exc:
            fail(f"{out_file}: cannot write: {exc.strerror or exc}", USAGE)
        out.print(f"wrote {out_file}")
        return
    if fmt is ReportFormat.HTML:
        if len(reports) != 1:
            fail("--format html writes one customer: name it with --customer", USAGE)
        text = render_sla_html(reports[0])
    elif fmt is ReportFormat.JSON:
        if len(reports) == 1:
            text = report_to_json_text(reports[0])
        else:
            text = json.dumps([report_to_json(r) for r in reports], indent=2, ensure_ascii=False)
    else:
        if out_file is None:
            for r in reports:
                _print_text(r, out)
            return
        buffer = io.StringIO()
        console = Console(file=buffer, width=TEXT_WIDTH, highlight=False, color_system=None)
        for r in reports:
            _print_text(r, console)
        text = buffer.getvalue()
    if out_file is not None:
        write_text(out_file, text if text.endswith("\n") else text + "\n")
        out.print(f"wrote {out_file}")
    elif fmt is ReportFormat.JSON and len(reports) == 1:
        print_json(report_to_json(reports[0]))
    else:
        typer.echo(text)


def _print_text(report: SlaReport, console: Console) -> None:
    period = report.period
    console.print(f"{report.customer.id} — {period.label} ({period.timezone})", markup=False)
    for line in standing_text(report.closing, lambda t: f"{t:%Y-%m-%d %H:%M} UTC"):
        console.print(f"  {line}", markup=False)
    for section in report.sections:
        title = f"{section.service or 'all services'}: {', '.join(section.agreements)}"
        shown = Table(title=title, header_style="bold")
        for column in ("objective", "target", "actual", "verdict", "budget left"):
            shown.add_column(column, overflow="fold")
        for r in section.results:
            shown.add_row(*_row(r))
        console.print(shown)
    for credit in report.credits:
        console.print(f"  credit: {credit.reason}", markup=False)
    for note in report.notes:
        console.print(f"note: {note}", markup=False)


def _row(r: ObjectiveResult) -> list[str]:
    left = ""
    if r.budget is not None and r.budget.remaining_share is not None:
        left = f"{r.budget.remaining_share * 100:.1f} %"
    verdict = {Verdict.MET: "met", Verdict.BREACHED: "MISSED", Verdict.NO_DATA: "no data"}
    return [
        r.objective,
        target_text(r),
        actual_text(r.actual, r.metric, r.unit),
        verdict[r.verdict],
        left,
    ]
