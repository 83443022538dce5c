"""Entry point of the ``servanda`` command and its global options."""

from __future__ import annotations

import sys
from dataclasses import dataclass

import typer

from servanda import __version__
from servanda.cli import (
    agreement_cmds,
    catalog_cmds,
    config_cmds,
    db_cmds,
    import_cmds,
    serve_cmds,
    token_cmds,
)
from servanda.cli.output import PROBLEMS, err, print_problems
from servanda.core.problems import InvalidInput, NotFound, ServandaError

app = typer.Typer(
    name="servanda",
    help="Servanda: service level agreements as code, measured and billed.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@dataclass
class Settings:
    """Options every command sees."""

    db: str | None = None


def _version(value: bool) -> None:
    if value:
        typer.echo(f"servanda {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    db: str | None = typer.Option(
        None,
        "--db",
        envvar="SERVANDA_DATABASE_URL",
        help="Database URL (default sqlite:///servanda.db; postgresql+psycopg://… for PostgreSQL).",
    ),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Servanda: service level agreements as code, measured and billed."""
    ctx.obj = Settings(db=db)


config_cmds.register(app)
app.add_typer(db_cmds.app, name="db")
app.add_typer(token_cmds.app, name="token")
app.add_typer(catalog_cmds.parties_app, name="parties")
app.add_typer(catalog_cmds.services_app, name="services")
app.add_typer(agreement_cmds.app, name="agreement")
app.add_typer(import_cmds.app, name="import")
serve_cmds.register(app)


def main() -> None:
    """Run the command; expected errors become a message and exit code, never a traceback."""
    try:
        app(standalone_mode=True)
    except InvalidInput as exc:
        print_problems(exc.problems)
        sys.exit(PROBLEMS)
    except (NotFound, ServandaError) as exc:
        err.print(f"error: {exc}", style="red", markup=False)
        sys.exit(PROBLEMS)
