"""``servanda tariffs import-cgrates``: a CGRateS tariff plan as Servanda tariffs (YAML).

The CSV files of the plan are read (see :mod:`servanda.ingest.cgrates` for what maps to what);
the tariffs and rating profiles are written as a configuration file ``servanda check`` and
``servanda load`` read, and what could not be mapped is printed, located. Nothing is stored.
"""

from __future__ import annotations

from pathlib import Path

import typer
import yaml

from servanda.cli.output import PROBLEMS, out, print_problems
from servanda.core.problems import errors
from servanda.ingest.cgrates import import_tariff_plan

app = typer.Typer(help="Tariffs: import from other rating systems.", no_args_is_help=True)


@app.command("import-cgrates")
def import_cgrates(
    directory: Path = typer.Argument(..., help="The tariff plan's directory (CSV files)."),
    output: Path | None = typer.Option(None, "--out", help="YAML file (default: print it)."),
    currency: str = typer.Option("EUR", "--currency", help="The plan's currency."),
) -> None:
    """Read a CGRateS tariff plan (Destinations, Rates, DestinationRates, Timings,
    RatingPlans, RatingProfiles) and write it as Servanda tariffs; exit 1 when something
    could not be mapped as an error."""
    found = import_tariff_plan(directory, currency=currency)
    text = yaml.safe_dump(found.document(), sort_keys=False, allow_unicode=True)
    print_problems(found.problems)
    if errors(found.problems):
        raise typer.Exit(PROBLEMS)
    if output is None:
        out.print(text, markup=False, end="")
    else:
        output.write_text(text, encoding="utf-8")
        out.print(
            f"{len(found.tariffs)} tariff(s), {len(found.profiles)} rating profile(s) "
            f"written to {output}",
            markup=False,
        )
