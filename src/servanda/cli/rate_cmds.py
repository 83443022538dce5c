"""``servanda rate``: price a usage file with tariff files, without a database.

Tariffs (and their rating profiles and calendars) are read from YAML files or directories and
checked like any configuration; the usage file (CSV, JSON Lines or Parquet) streams through
rating into the output file (same formats, told apart by the suffix), each record with its
tariff, version, destination group, prefix, band, cost, and the parts of its cost. The same
rater prices usage stored in the database.
"""

from __future__ import annotations

from pathlib import Path

import typer

from servanda.cli.output import Format, FormatOption, out, print_json
from servanda.cli.progress import QuietOption, progress_bars
from servanda.services import rating


def register(app: typer.Typer) -> None:
    """Add ``rate`` to the application."""
    app.command("rate")(rate)


def rate(
    tariffs: list[Path] = typer.Option(
        ...,
        "--tariffs",
        help="Tariff files or directories (YAML): tariffs, rating profiles, calendars.",
    ),
    usage: Path = typer.Option(..., "--usage", help="Usage file: .csv, .jsonl or .parquet."),
    output: Path = typer.Option(..., "--out", help="Rated file: .csv, .jsonl or .parquet."),
    batch: int = typer.Option(rating.BATCH_ROWS, "--batch", min=1, help="Rows per batch."),
    workers: int = typer.Option(2, "--workers", min=1, help="Batches rated at once."),
    fmt: Format = FormatOption,
    quiet: bool = QuietOption,
) -> None:
    """Rate a usage file with tariffs (stateless: nothing is stored); a progress bar (records
    rated) shows on a terminal (--quiet: none)."""
    rater = rating.load_rater(tariffs)
    with progress_bars(quiet) as bars:
        advance = bars.add(f"rating {usage.name}", None)
        summary = rating.rate_file(
            rater, usage, output, rows=batch, workers=workers, progress=advance
        )
    if fmt is Format.JSON:
        print_json(summary.as_dict())
        return
    costs = ", ".join(f"{v} {c}" for c, v in sorted(summary.cost.items())) or "nothing"
    out.print(
        f"rated {summary.rated} of {summary.records} records into {output}: {costs}",
        markup=False,
    )
    for reason, count in summary.not_rated.most_common():
        out.print(f"  not rated ({count}): {reason}", markup=False)
