"""``servanda check`` and ``servanda load``."""

from __future__ import annotations

from pathlib import Path

import typer

from servanda.cli.common import engine, now
from servanda.cli.output import OK, PROBLEMS, Format, FormatOption, out, print_json, print_problems
from servanda.core.problems import InvalidInput, errors
from servanda.declared.bundle import KINDS
from servanda.services import configuration

PathsArg = typer.Argument(..., help="Configuration files or directories (read recursively).")


def register(app: typer.Typer) -> None:
    """Add the commands to ``app``."""
    app.command("check")(check)
    app.command("load")(load)


def check(paths: list[Path] = PathsArg, fmt: Format = FormatOption) -> None:
    """Validate configuration files and print every problem with its location."""
    result = configuration.check(paths)
    bad = errors(result.problems)
    if fmt is Format.JSON:
        print_json(
            {
                "ok": not bad,
                "files": result.files,
                "problems": [p.as_dict() for p in result.problems],
            }
        )
    else:
        print_problems(result.problems)
        b = result.bundle
        counted = [k.counted(len(getattr(b, k.section))) for k in KINDS]
        summary = f"{len(result.files)} files: " + ", ".join(
            c for c in counted if not c.startswith("0 ")
        )
        if bad:
            out.print(f"{len(bad)} problem(s) in {summary}", markup=False)
        else:
            out.print(f"ok: {summary}", markup=False)
    raise typer.Exit(PROBLEMS if bad else OK)


def load(ctx: typer.Context, paths: list[Path] = PathsArg, fmt: Format = FormatOption) -> None:
    """Check configuration, then store it in one transaction (all or nothing, idempotent)."""
    try:
        result, summary = configuration.load(engine(ctx), paths, now())
    except InvalidInput as exc:
        if fmt is Format.JSON:
            print_json({"ok": False, "problems": [p.as_dict() for p in exc.problems]})
        else:
            print_problems(exc.problems)
            out.print(f"nothing loaded: {len(exc.problems)} problem(s)", markup=False)
        raise typer.Exit(PROBLEMS) from None
    if fmt is Format.JSON:
        print_json({"ok": True, "files": result.files, "summary": summary.as_dict()})
    else:
        print_problems(result.problems)  # warnings
        out.print(f"loaded {len(result.files)} files: {summary}", markup=False)
