"""``servanda token``: API tokens (created here, shown once, stored hashed, revocable)."""

from __future__ import annotations

import typer

from servanda.cli.common import engine, now
from servanda.cli.output import USAGE, Format, FormatOption, fail, out, print_json, table
from servanda.core.access import LOCAL_ADMIN, Role
from servanda.core.durations import parse_duration
from servanda.core.problems import InvalidInput
from servanda.services import tokens

app = typer.Typer(help="Create, list and revoke API tokens.", no_args_is_help=True)


@app.command("create")
def create(
    ctx: typer.Context,
    role: Role = typer.Option(..., "--role", help="admin, operator, billing, customer or ingest."),
    party: str | None = typer.Option(None, "--party", help="The customer a customer token is for."),
    name: str = typer.Option("", "--name", help="What the token is for, for the token list."),
    expires: str | None = typer.Option(
        None, "--expires", help="Valid for this long (90d, 12h …); without: until revoked."
    ),
    fmt: Format = FormatOption,
) -> None:
    """Create a token; its secret is printed once and stored only as a hash."""
    try:
        valid = None if expires is None else parse_duration(expires)
    except ValueError as exc:
        fail(f"--expires: {exc}", USAGE)
    try:
        token, plaintext = tokens.create_token(
            engine(ctx), LOCAL_ADMIN, role, party, name or f"{role.value} token", now(), valid
        )
    except InvalidInput as exc:
        fail(exc.problems[0].message, USAGE)
    if fmt is Format.JSON:
        print_json(
            {
                "id": token.id,
                "role": token.role,
                "party": token.party_id,
                "name": token.name,
                "expires_at": None if token.expires_at is None else token.expires_at.isoformat(),
                "token": plaintext,
            }
        )
    else:
        out.print(
            f"token {token.id} ({token.role}"
            + (f", party {token.party_id}" if token.party_id else "")
            + "):",
            markup=False,
        )
        out.print(plaintext, markup=False)
        out.print("Keep it now: it is not shown again.", markup=False)


@app.command("list")
def list_tokens(ctx: typer.Context, fmt: Format = FormatOption) -> None:
    """List tokens (never their secrets)."""
    found = tokens.list_tokens(engine(ctx), LOCAL_ADMIN)
    rows = [
        {
            "id": t.id,
            "name": t.name,
            "role": t.role,
            "party": t.party_id,
            "created_at": t.created_at.isoformat(),
            "last_used_at": t.last_used_at.isoformat() if t.last_used_at else None,
            "revoked_at": t.revoked_at.isoformat() if t.revoked_at else None,
            "expires_at": t.expires_at.isoformat() if t.expires_at else None,
        }
        for t in found
    ]
    if fmt is Format.JSON:
        print_json(rows)
    else:
        table(
            "API tokens",
            ["id", "name", "role", "party", "created", "last used", "revoked", "expires"],
            [
                [
                    r["id"],
                    r["name"],
                    r["role"],
                    r["party"],
                    r["created_at"],
                    r["last_used_at"],
                    r["revoked_at"],
                    r["expires_at"],
                ]
                for r in rows
            ],
        )


@app.command("revoke")
def revoke(ctx: typer.Context, token_id: str = typer.Argument(..., help="The token id.")) -> None:
    """Revoke a token: it stops working at once."""
    tokens.revoke_token(engine(ctx), LOCAL_ADMIN, token_id, now())
    out.print(f"token {token_id} revoked", markup=False)
