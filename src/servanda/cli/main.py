"""Entry point of the ``servanda`` command and its global options."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import typer
from sqlalchemy.exc import SQLAlchemyError
from typer.core import TyperGroup

from servanda import __version__
from servanda.cli import (
    agreement_cmds,
    audit_cmds,
    billing_cmds,
    catalog_cmds,
    config_cmds,
    db_cmds,
    engagement_cmds,
    event_cmds,
    import_cmds,
    incident_cmds,
    measure_cmds,
    outward_cmds,
    period_cmds,
    radius_cmds,
    rate_cmds,
    serve_cmds,
    sla_cmds,
    tariff_cmds,
    token_cmds,
    usage_cmds,
)
from servanda.cli.output import PROBLEMS, err, print_problems
from servanda.core.problems import InvalidInput, ServandaError
from servanda.storage import migrate
from servanda.storage.database import database_url


class ServandaGroup(TyperGroup):
    """The root command: expected errors become a message and exit code, never a traceback."""

    def invoke(self, ctx: Any) -> Any:
        command = audit_cmds.command_of(
            self, ctx, [*getattr(ctx, "protected_args", ctx._protected_args), *ctx.args]
        )
        if command is None or command[0] not in audit_cmds.WRITES:
            return self._run(ctx)
        code = 1
        try:
            result = self._run(ctx)
            code = 0
            return result
        except (typer.Exit, SystemExit) as exc:
            code = _exit_code(exc)
            raise
        finally:
            audit_cmds.record(ctx, command[0], command[1], code)

    def _run(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except InvalidInput as exc:
            print_problems(exc.problems)
            raise typer.Exit(PROBLEMS) from None
        except ServandaError as exc:
            err.print(f"error: {exc}", style="red", markup=False)
            raise typer.Exit(PROBLEMS) from None
        except SQLAlchemyError as exc:
            err.print(f"error: {_database_problem(ctx, exc)}", style="red", markup=False)
            raise typer.Exit(PROBLEMS) from None


def _exit_code(exc: BaseException) -> int:
    code = getattr(exc, "exit_code", getattr(exc, "code", 1))
    return code if isinstance(code, int) else 1


def _database_problem(ctx: Any, exc: SQLAlchemyError) -> str:
    """What went wrong with the database, and the way out when the schema is behind."""
    detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    message = f"database: {detail[0] if detail else type(exc).__name__}"
    url = database_url(getattr(ctx.obj, "db", None))
    try:
        behind = migrate.current(url) != migrate.head()
    except Exception:  # the database cannot even be asked; the message above says why
        behind = False
    if behind:
        message += " (the schema is not up to date: run 'servanda db upgrade')"
    return message


app = typer.Typer(
    cls=ServandaGroup,
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
app.add_typer(event_cmds.app, name="events")
app.add_typer(incident_cmds.app, name="incidents")
app.add_typer(sla_cmds.report_app, name="report")
period_cmds.register(sla_cmds.sla_app)
app.add_typer(sla_cmds.sla_app, name="sla")
app.add_typer(measure_cmds.app, name="measure")
app.add_typer(measure_cmds.attest_app, name="attest")
app.add_typer(engagement_cmds.feedback_app, name="feedback")
app.add_typer(engagement_cmds.review_app, name="review")
app.add_typer(audit_cmds.app, name="audit")
rate_cmds.register(app)
app.add_typer(usage_cmds.app, name="usage")
app.add_typer(radius_cmds.app, name="radius")
app.add_typer(tariff_cmds.app, name="tariffs")
billing_cmds.register(app)
app.add_typer(billing_cmds.invoice_app, name="invoice")
app.add_typer(billing_cmds.statement_app, name="statement")
serve_cmds.register(app)
outward_cmds.register(app)


def main() -> None:
    """Run the command (see :class:`ServandaGroup` for how errors are reported)."""
    app()
