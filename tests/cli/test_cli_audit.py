"""The command line's audit log: every command that writes is one entry (done or not), reads
are not logged, secrets never are, and every command is classified."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import typer

from servanda.cli.audit_cmds import READS, WRITES
from servanda.cli.main import app

from .cli_support import EXAMPLE, ok, ok_json, run


def commands(group: Any, ctx: Any, path: tuple[str, ...] = ()) -> Iterator[str]:
    for name in group.list_commands(ctx):
        found = group.get_command(ctx, name)
        if hasattr(found, "list_commands"):
            yield from commands(found, ctx, (*path, name))
        else:
            yield " ".join((*path, name))


def test_every_command_is_either_a_write_or_a_read() -> None:
    """A new command must say whether it writes, so none escapes the log unnoticed."""
    root = typer.main.get_command(app)
    found = set(commands(root, typer.Context(root)))
    assert not WRITES & READS
    assert found - WRITES - READS == set(), "classify these in servanda.cli.audit_cmds"
    assert found == WRITES | READS, "no longer commands"


def test_writes_are_logged_with_their_outcome_and_reads_are_not(loaded: str) -> None:
    ok("incidents", "list", db=loaded)
    ok("token", "create", "--role", "operator", "--name", "night", db=loaded)
    assert run("token", "revoke", "no-such-token", db=loaded).exit_code == 1
    entries = ok_json("audit", "list", db=loaded)
    assert [(e["action"], e["status"], e["succeeded"]) for e in entries[:2]] == [
        ("servanda token revoke", 1, False),
        ("servanda token create", 0, True),
    ]
    assert entries[0]["target"] == "no-such-token"
    assert entries[1]["target"] == "--role operator --name night"
    assert {e["interface"] for e in entries} == {"cli"}
    assert all(e["actor"].startswith("cli:") and "@" in e["origin"] for e in entries)
    actions = [e["action"] for e in entries]
    assert actions[-2:] == ["servanda load", "servanda db upgrade"]
    assert "servanda incidents list" not in actions
    assert loaded not in str(entries)  # the database URL (and any password in it) is not kept
    assert str(EXAMPLE) in entries[-2]["target"]
    failed = ok_json("audit", "list", "--failed", db=loaded)
    assert [e["action"] for e in failed] == ["servanda token revoke"]
    assert len(ok_json("audit", "list", "--limit", "1", db=loaded)) == 1
    assert ok_json("audit", "list", "--since", "2999-01-01T00:00:00Z", db=loaded) == []
    assert run("audit", "list", "--since", "yesterday", db=loaded).exit_code == 2
