"""``servanda parties`` and ``servanda services``: the stored catalog."""

from __future__ import annotations

import typer

from servanda.catalog.model import PartyRole
from servanda.cli.common import engine
from servanda.cli.output import Format, FormatOption, print_json, table
from servanda.core.access import LOCAL_ADMIN
from servanda.core.records import to_jsonable
from servanda.services import catalog

parties_app = typer.Typer(
    help="Providers, customers, content providers, carriers.", no_args_is_help=True
)
services_app = typer.Typer(help="Services and the components they depend on.", no_args_is_help=True)


@parties_app.command("list")
def list_parties(
    ctx: typer.Context,
    role: PartyRole | None = typer.Option(None, "--role", help="Only parties with this role."),
    fmt: Format = FormatOption,
) -> None:
    """List parties."""
    parties = catalog.list_parties(catalog.visible_bundle(engine(ctx), LOCAL_ADMIN), role)
    if fmt is Format.JSON:
        print_json([to_jsonable(p) for p in parties])
    else:
        table(
            "Parties",
            ["id", "name", "roles", "contact"],
            [[p.id, p.name, ", ".join(p.roles), p.contact] for p in parties],
        )


@services_app.command("list")
def list_services(ctx: typer.Context, fmt: Format = FormatOption) -> None:
    """List services with what they depend on."""
    services = catalog.list_services(catalog.visible_bundle(engine(ctx), LOCAL_ADMIN))
    if fmt is Format.JSON:
        print_json([to_jsonable(s) for s in services])
    else:
        table(
            "Services",
            ["id", "name", "provider", "depends on"],
            [
                [s.id, s.name, s.provider, "; ".join(r.describe() for r in s.depends_on)]
                for s in services
            ],
        )


@services_app.command("components")
def list_components(ctx: typer.Context, fmt: Format = FormatOption) -> None:
    """List components with what they depend on."""
    comps = catalog.list_components(catalog.visible_bundle(engine(ctx), LOCAL_ADMIN))
    if fmt is Format.JSON:
        print_json([to_jsonable(c) for c in comps])
    else:
        table(
            "Components",
            ["id", "name", "kind", "depends on"],
            [[c.id, c.label, c.kind, "; ".join(r.describe() for r in c.depends_on)] for c in comps],
        )
