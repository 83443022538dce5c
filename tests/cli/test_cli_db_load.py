"""``servanda db`` and ``servanda load`` on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

from .cli_support import EXAMPLE, copy_example, edit, no_traceback, ok, ok_json, run

KINDS = ("parties", "calendars", "services", "components", "subscriptions", "agreements")


def test_upgrade_then_current(db_url: str) -> None:
    before = ok_json("db", "current", db=db_url)
    assert before["current"] is None
    assert before["up_to_date"] is False
    assert "run 'servanda db upgrade'" in ok("db", "current", db=db_url).stdout

    assert "database at revision" in ok("db", "upgrade", db=db_url).stdout
    after = ok_json("db", "current", db=db_url)
    assert after["up_to_date"] is True
    assert after["current"] == after["head"]
    assert "up to date" in ok("db", "current", db=db_url).stdout

    ok("db", "upgrade", db=db_url)  # again: nothing to do, still fine
    assert ok_json("db", "current", db=db_url)["up_to_date"] is True


def test_upgrade_to_an_unknown_revision_is_a_usage_error(db_url: str) -> None:
    result = run("db", "upgrade", "no-such-revision", db=db_url)
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ")
    assert "no-such-revision" in result.stderr
    no_traceback(result)


def test_load_twice_changes_nothing_the_second_time(migrated: str) -> None:
    first = ok_json("load", EXAMPLE, db=migrated)
    assert first["ok"] is True
    counts = first["summary"]["counts"]
    assert counts["parties"]["created"] == 9
    assert counts["agreements"]["created"] == 16
    assert first["summary"]["changed"] is True

    second = ok_json("load", EXAMPLE, db=migrated)
    assert second["summary"]["changed"] is False
    for kind in KINDS:
        assert second["summary"]["counts"][kind]["created"] == 0, kind
        assert second["summary"]["counts"][kind]["updated"] == 0, kind
        assert second["summary"]["counts"][kind]["unchanged"] == counts[kind]["created"], kind


def test_load_for_people(migrated: str) -> None:
    first = ok("load", EXAMPLE, db=migrated)
    assert first.stdout.startswith("loaded 15 files: ")
    assert "parties: 9 created" in first.stdout
    second = ok("load", EXAMPLE, db=migrated)
    assert "nothing changed" in second.stdout
    assert "created" not in second.stdout


def test_a_changed_file_updates_only_what_changed(migrated: str, tmp_path: Path) -> None:
    root = copy_example(tmp_path)
    ok("load", root, db=migrated)
    edit(root / "parties.yaml", "name: Arena Sports Live", "name: Arena Sports Live SA")
    summary = ok_json("load", root, db=migrated)["summary"]
    assert summary["changed"] is True
    assert summary["counts"]["parties"]["updated"] == 1
    assert summary["counts"]["agreements"]["updated"] == 0


def test_a_broken_config_writes_nothing(migrated: str, tmp_path: Path) -> None:
    root = copy_example(tmp_path)
    edit(
        root / "subscriptions.yaml",
        "- {customer: hospital, service: internet-access",
        "- {customer: hospitl, service: internet-access",
    )
    result = run("load", root, db=migrated)
    assert result.exit_code == 1
    assert "unknown party 'hospitl'" in result.stderr
    assert "nothing loaded" in result.stdout
    no_traceback(result)

    data = json.loads(run("load", root, "--format", "json", db=migrated).stdout)
    assert data["ok"] is False
    assert data["problems"]
    assert all(p["line"] and p["column"] for p in data["problems"])

    assert ok_json("parties", "list", db=migrated) == []
    assert ok_json("agreement", "list", db=migrated) == []


def test_a_broken_config_does_not_touch_what_was_loaded(loaded: str, tmp_path: Path) -> None:
    before = ok_json("parties", "list", db=loaded)
    root = copy_example(tmp_path)
    edit(root / "parties.yaml", "name: Arena Sports Live", "name: Arena Sports Live SA")
    edit(root / "agreements" / "hospital.yaml", "        target: 4.2\n", "        target: x\n")
    assert run("load", root, db=loaded).exit_code == 1
    assert ok_json("parties", "list", db=loaded) == before


def test_commands_on_an_unmigrated_database_say_what_to_do(db_url: str) -> None:
    for args in (("parties", "list"), ("token", "list"), ("load", str(EXAMPLE))):
        result = run(*args, db=db_url)
        assert result.exit_code == 1, args
        assert result.stderr.startswith("error: database: "), args
        assert "servanda db upgrade" in result.stderr, args
        no_traceback(result)
