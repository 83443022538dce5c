"""``servanda import``: outside formats turned into Servanda configuration."""

from __future__ import annotations

from pathlib import Path

import typer

from servanda.cli.common import parse_day, write_text
from servanda.cli.output import (
    OK,
    PROBLEMS,
    USAGE,
    Format,
    FormatOption,
    err,
    fail,
    out,
    print_json,
    print_problems,
)
from servanda.ingest.openslo import import_openslo

app = typer.Typer(help="Import objectives from outside formats.", no_args_is_help=True)


@app.command("openslo")
def openslo(
    files: list[Path] = typer.Argument(..., help="OpenSLO v1 YAML files (SLO, SLI, Service)."),
    provider: str | None = typer.Option(None, "--provider", help="Provider party id."),
    customer: str | None = typer.Option(None, "--customer", help="Customer party id."),
    service: str | None = typer.Option(
        None, "--service", help="Servanda service id for every SLO (default: the OpenSLO service)."
    ),
    effective_from: str | None = typer.Option(
        None, "--effective-from", help="First day of the agreements (YYYY-MM-DD)."
    ),
    output: Path | None = typer.Option(None, "--out", "-o", help="Write the YAML here."),
    fmt: Format = FormatOption,
) -> None:
    """Turn OpenSLO SLOs into Servanda objectives; report every liberty and what is unmapped.

    With --provider and --customer the output is a configuration file of service-level
    agreements, and of the measurement series their objectives read (one per SLI), that
    `servanda check` and `servanda load` read.
    """
    texts = []
    for path in files:
        try:
            texts.append((str(path), path.read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError) as exc:
            fail(f"{path}: cannot read: {exc}", USAGE if isinstance(exc, OSError) else PROBLEMS)
    day = parse_day(effective_from) if effective_from else None
    result = import_openslo(
        texts, provider=provider, customer=customer, service=service, effective_from=day
    )
    if fmt is Format.JSON:
        print_json(
            {
                "ok": result.ok,
                "config": result.config,
                "errors": [p.as_dict() for p in result.errors],
                "warnings": [p.as_dict() for p in result.warnings],
                "unmapped": [p.as_dict() for p in result.unmapped],
            }
        )
    else:
        print_problems([*result.errors, *result.warnings, *result.unmapped])
        if output is None:
            typer.echo(result.yaml(), nl=False)
        count = sum(len(v) for v in result.objectives.values())
        err.print(
            f"{count} objective(s), {len(result.series)} series, "
            f"{len(result.warnings)} warning(s), "
            f"{len(result.unmapped)} unmapped, {len(result.errors)} error(s)",
            markup=False,
        )
    if output is not None and result.ok:
        write_text(output, result.yaml())
        if fmt is Format.TEXT:
            out.print(f"wrote {output}", markup=False)
    raise typer.Exit(OK if result.ok else PROBLEMS)
