"""The command line's side of the audit log, and ``servanda audit list``.

Every command that writes (:data:`WRITES`) is recorded once it ends, whatever its exit code,
as ``cli:<user>`` from ``<user>@<host>`` with the command and its arguments (the global
``--db`` option, which may hold a password, is not among them). Commands that only read are
:data:`READS`; a test keeps every command in exactly one of the two.
"""

from __future__ import annotations

import getpass
import os
import shlex
import socket
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import typer

from servanda.cli.common import engine
from servanda.cli.output import USAGE, Format, FormatOption, err, fail, print_json, table
from servanda.core.access import LOCAL_ADMIN
from servanda.core.audit import AuditEntry
from servanda.ingest.generic import parse_timestamp
from servanda.services import audit

WRITES = frozenset(
    {
        "load", "demo", "usage ingest", "usage retry", "usage consume", "radius serve",
        "radius replay", "db upgrade", "bill", "settle",
        "invoice issue", "invoice pay", "invoice void",
        "token create", "token revoke",
        "events ingest", "events tick", "events settle",
        "incidents ack", "incidents correct", "incidents validate", "incidents close",
        "incidents reopen", "incidents import-steps",
        "sla close", "sla reopen",
        "measure ingest", "attest add", "attest import",
        "feedback add", "feedback import", "review add",
        "notify dispatch", "notify retry", "scheduler run",
    }
)  # fmt: skip
"""Commands that change the database: each run is an entry of the audit log."""
READS = frozenset(
    {
        "check", "serve", "rate", "usage rejected", "tariffs import-cgrates", "db current",
        "token list", "parties list",
        "services list",
        "services components", "agreement list", "agreement show", "agreement render",
        "import openslo", "events log", "events unmapped", "events stats",
        "incidents list", "incidents show", "report sla",
        "sla evaluate", "sla burn", "sla rollup", "sla adjustments", "sla versions",
        "sla credits", "sla rules", "measure list", "attest list", "feedback list", "review list",
        "audit list", "invoice list", "invoice show", "invoice export",
        "statement list", "statement show", "notify list", "scheduler runs",
    }
)  # fmt: skip
"""Commands that only read (or write files, never the database)."""


HELP = frozenset({"--help", "-h"})


def command_of(group: Any, ctx: Any, args: Sequence[str]) -> tuple[str, list[str]] | None:
    """The command ``args`` name under ``group`` (``sla close``) and the arguments left, or
    None when they name none (a typo: click reports it) or ask for its help."""
    names: list[str] = []
    rest = list(args)
    current = group
    while hasattr(current, "get_command") and rest:
        found = current.get_command(ctx, rest[0])
        if found is None:
            return None
        names.append(rest.pop(0))
        current = found
    if not names or hasattr(current, "get_command") or HELP & set(rest):
        return None  # no command, or only its help
    return " ".join(names), rest


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a container)
        return f"uid-{os.getuid()}"


def record(ctx: typer.Context, command: str, args: Sequence[str], code: int) -> None:
    """Append a run of ``command`` that ended with ``code`` to the log of the invocation's
    database. A log that cannot be written is said on stderr when the command itself
    succeeded (a failed command's own error says enough)."""
    user = _user()
    entry = AuditEntry(
        at=datetime.now(UTC),
        actor=f"cli:{user}",
        role=LOCAL_ADMIN.role.value,
        interface="cli",
        origin=f"{user}@{socket.gethostname()}",
        action=f"servanda {command}",
        target=shlex.join(args),
        status=code,
    )
    try:
        db = engine(ctx)  # the command's own, or one disposed of when the invocation ends
    except (typer.Exit, SystemExit):  # no usable database URL: the command said so
        return
    if not audit.record(db, entry, report=False) and code == 0:
        err.print("warning: the audit log could not be written", style="yellow", markup=False)


app = typer.Typer(help="The audit log of writes (API and command line).", no_args_is_help=True)


@app.command("list")
def list_entries(
    ctx: typer.Context,
    since: str | None = typer.Option(None, "--since", help="Asked at or after this time."),
    until: str | None = typer.Option(None, "--until", help="Asked before this time."),
    actor: str | None = typer.Option(None, "--actor", help="Only this actor (cli:alice …)."),
    failed: bool | None = typer.Option(
        None, "--failed/--done", help="Only refused or failed writes, or only those done."
    ),
    limit: int = typer.Option(100, "--limit", min=1, max=audit.MAX_ENTRIES),
    fmt: Format = FormatOption,
) -> None:
    """Every write asked through the API or the command line, newest first."""
    found = audit.entries(
        engine(ctx), LOCAL_ADMIN,
        since=_time("--since", since), until=_time("--until", until),
        actor=actor, failed=failed, limit=limit,
    )  # fmt: skip
    if fmt is Format.JSON:
        print_json([{"id": i, **_jsonable(e)} for i, e in found])
        return
    table(
        None,
        ["id", "at", "actor", "origin", "action", "target", "status"],
        [(i, e.at.isoformat(), e.actor, e.origin, e.action, e.target, e.status) for i, e in found],
    )


def _time(option: str, value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return parse_timestamp(value)
    except ValueError as exc:
        fail(f"{option}: {exc}", USAGE)


def _jsonable(entry: AuditEntry) -> dict[str, Any]:
    return {
        "at": entry.at.isoformat(), "actor": entry.actor, "role": entry.role,
        "interface": entry.interface, "origin": entry.origin, "action": entry.action,
        "target": entry.target, "status": entry.status, "succeeded": entry.succeeded,
    }  # fmt: skip
