"""``--help`` works on the root and on every command and group, found by walking the tree."""

from __future__ import annotations

import pytest
import typer.main
from typer.core import TyperGroup

from servanda import __version__
from servanda.cli.main import app

from .cli_support import ok, run


def command_paths() -> list[tuple[str, ...]]:
    """Every command and group below the root, as the words that name it."""
    found: list[tuple[str, ...]] = []

    def walk(group: TyperGroup, prefix: tuple[str, ...]) -> None:
        for name, command in sorted(group.commands.items()):
            path = (*prefix, name)
            found.append(path)
            if isinstance(command, TyperGroup):
                walk(command, path)

    root = typer.main.get_command(app)
    assert isinstance(root, TyperGroup)
    walk(root, ())
    return found


PATHS = command_paths()


def test_the_tree_has_every_documented_command() -> None:
    expected = {
        ("check",),
        ("load",),
        ("db", "upgrade"),
        ("db", "current"),
        ("token", "create"),
        ("token", "list"),
        ("token", "revoke"),
        ("parties", "list"),
        ("services", "list"),
        ("services", "components"),
        ("agreement", "list"),
        ("agreement", "show"),
        ("agreement", "render"),
        ("import", "openslo"),
        ("serve",),
        ("demo",),
    }
    assert expected <= set(PATHS)


@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_root_help(flag: str) -> None:
    result = ok(flag)
    assert "Usage:" in result.stdout
    for name in ("check", "load", "db", "token", "agreement", "import", "serve"):
        assert name in result.stdout


@pytest.mark.parametrize("words", PATHS, ids=[" ".join(p) for p in PATHS])
def test_every_command_has_help(words: tuple[str, ...]) -> None:
    result = ok(*words, "--help")
    assert "Usage:" in result.stdout
    assert " ".join(words) in result.stdout
    assert result.stderr == ""


@pytest.mark.parametrize("words", PATHS, ids=[" ".join(p) for p in PATHS])
def test_help_needs_no_database(words: tuple[str, ...]) -> None:
    """Help is printed even when ``--db`` names nothing usable."""
    ok(*words, "--help", db="nonsense://")


def test_version() -> None:
    assert ok("--version").stdout.strip() == f"servanda {__version__}"


def test_unknown_command_is_a_usage_error() -> None:
    result = run("frobnicate")
    assert result.exit_code == 2
    assert "frobnicate" in result.stderr


def test_a_group_without_its_command_shows_its_help() -> None:
    result = run("token")
    assert result.exit_code in (0, 2)
    assert "Usage:" in result.stdout + result.stderr
    assert "create" in result.stdout + result.stderr
