"""``servanda agreement``: stored agreements, effective terms and documents."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Any

import typer

from servanda.agreements.effective import Sourced
from servanda.agreements.metrics import format_target
from servanda.cli.common import engine, parse_day, write_text
from servanda.cli.output import Format, FormatOption, out, print_json, print_problems, table
from servanda.config.loader import load_config
from servanda.core.access import LOCAL_ADMIN
from servanda.core.problems import InvalidInput, errors
from servanda.core.records import to_jsonable
from servanda.declared.bundle import Bundle
from servanda.services import agreements, catalog

app = typer.Typer(help="Agreements: versions, effective terms, documents.", no_args_is_help=True)


class DocFormat(StrEnum):
    """Document formats."""

    MD = "md"
    HTML = "html"


OnOption = typer.Option(None, "--on", help="The day (YYYY-MM-DD) the terms apply; default today.")
ConfigOption = typer.Option(
    None, "--config", help="Read these configuration files instead of the database."
)


def _bundle(ctx: typer.Context, config: list[Path] | None) -> Bundle:
    if config:
        result = load_config(config)
        found = errors(result.problems)
        if found:
            raise InvalidInput(found)
        print_problems(result.problems)
        return result.bundle
    return catalog.visible_bundle(engine(ctx), LOCAL_ADMIN)


def _source(term: Sourced[Any] | None) -> str:
    if term is None or term.source is None:
        return "default"
    note = f"{term.source.level} ({term.source.agreement})"
    if term.replaces is not None:
        note += f", replaces {term.replaces.level}"
    return note


@app.command("list")
def list_agreements(
    ctx: typer.Context,
    customer: str | None = typer.Option(None, "--customer", help="Only those that apply to it."),
    config: list[Path] | None = ConfigOption,
    fmt: Format = FormatOption,
) -> None:
    """List every agreement version."""
    found = catalog.list_agreements(_bundle(ctx, config), customer)
    if fmt is Format.JSON:
        print_json([to_jsonable(a) for a in found])
    else:
        table(
            "Agreement versions",
            ["id", "level", "customer", "service", "from", "to", "objectives"],
            [
                [
                    a.id,
                    a.level,
                    a.customer,
                    a.service,
                    a.effective_from,
                    a.effective_to,
                    len(a.objectives),
                ]
                for a in found
            ],
        )


@app.command("show")
def show(
    ctx: typer.Context,
    customer: str = typer.Argument(..., help="Customer party id."),
    service: str | None = typer.Argument(None, help="Service id; absent for customer level."),
    on: str | None = OnOption,
    config: list[Path] | None = ConfigOption,
    fmt: Format = FormatOption,
) -> None:
    """Show the effective agreement and the level each term came from."""
    day = parse_day(on)
    eff = agreements.effective_for(_bundle(ctx, config), customer, service, day)
    if fmt is Format.JSON:
        print_json(agreements.effective_view(eff))
        return
    chain = ", ".join(f"{a.level} {a.id} (from {a.effective_from})" for a in eff.chain)
    out.print(f"{customer}{' / ' + service if service else ''} on {eff.on}: {chain}", markup=False)
    table(
        "Objectives",
        ["id", "metric", "target", "period", "from"],
        [
            [
                o.value.id,
                o.value.metric,
                f"{o.value.cmp.value} {format_target(o.value.target, o.value.unit)}",
                o.value.period.describe(),
                _source(o),
            ]
            for o in eff.objectives
        ],
    )
    rows = [
        ["calendar", eff.calendar.value if eff.calendar else "always (UTC)", _source(eff.calendar)],
        ["excluded time", eff.excluded_time.value, _source(eff.excluded_time)],
    ]
    for label, term in (
        ("fault reporting", eff.fault_reporting),
        ("validates correction", eff.validates_correction),
        ("pays credits", eff.pays_credits),
    ):
        rows.append([label, term.value if term else "-", _source(term)])
    for s in eff.severities:
        rows.append(
            [
                f"severity {s.value.severity}",
                f"response {s.value.response}, resolution {s.value.resolution}",
                _source(s),
            ]
        )
    if eff.credits:
        tiers = ", ".join(f"<{t.below} → {t.credit} %" for t in eff.credits.value.tiers)
        rows.append(["credits", f"{eff.credits.value.objective}: {tiers}", _source(eff.credits)])
    for p in eff.policies:
        rows.append([f"policy {p.value.id}", p.value.title, _source(p)])
    table("Terms", ["term", "value", "from"], rows)


@app.command("render")
def render(
    ctx: typer.Context,
    customer: str = typer.Argument(..., help="Customer party id."),
    service: str | None = typer.Argument(None, help="Service id; absent for customer level."),
    doc_format: DocFormat = typer.Option(DocFormat.MD, "--format", "-f", help="md or html."),
    on: str | None = OnOption,
    output: Path | None = typer.Option(None, "--out", "-o", help="Write to this file."),
    config: list[Path] | None = ConfigOption,
) -> None:
    """Write the effective agreement as a plain-language document."""
    day = parse_day(on)
    text = agreements.render(_bundle(ctx, config), customer, service, day, doc_format.value)
    if output is None:
        typer.echo(text, nl=False)
    else:
        write_text(output, text)
        out.print(f"wrote {output}", markup=False)
