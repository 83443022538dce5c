"""``servanda db``: the database schema."""

from __future__ import annotations

import typer
from alembic.util import CommandError

from servanda.cli.common import engine
from servanda.cli.output import USAGE, Format, FormatOption, fail, out, print_json
from servanda.storage import migrate

app = typer.Typer(help="Create and migrate the database schema.", no_args_is_help=True)


@app.command("upgrade")
def upgrade(ctx: typer.Context, revision: str = typer.Argument("head")) -> None:
    """Migrate the database to the latest schema (or to REVISION)."""
    url = engine(ctx).url.render_as_string(hide_password=False)
    try:
        reached = migrate.upgrade(url, revision)
    except CommandError as exc:  # an unknown or ambiguous REVISION
        fail(str(exc), USAGE)
    out.print(f"database at revision {reached} ({engine(ctx).url!r})", markup=False)


@app.command("current")
def current(ctx: typer.Context, fmt: Format = FormatOption) -> None:
    """Show the schema revision of the database and whether it is the latest."""
    url = engine(ctx).url.render_as_string(hide_password=False)
    rev, head = migrate.current(url), migrate.head()
    if fmt is Format.JSON:
        print_json({"current": rev, "head": head, "up_to_date": rev == head})
    else:
        state = (
            "up to date" if rev == head else f"behind (latest is {head}); run 'servanda db upgrade'"
        )
        out.print(f"revision {rev or 'none'}: {state}", markup=False)
