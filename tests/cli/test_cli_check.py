"""``servanda check``: the example passes; every mistake is printed at its place."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .cli_support import EXAMPLE, LOCATED, copy_example, edit, ok, ok_json, position, run

SUBSCRIPTION = "- {customer: hospital, service: internet-access"
SATISFACTION = "        target: 4.2\n"
HORIZON_TITLE = "    title: Horizon Sport — Customer Service Level Agreement\n"


def test_the_example_is_ok() -> None:
    result = ok("check", EXAMPLE)
    assert result.stdout.startswith("ok:")
    assert "9 parties" in result.stdout
    assert "16 agreement versions" in result.stdout
    assert result.stderr == ""


def test_the_example_as_json() -> None:
    data = ok_json("check", EXAMPLE)
    assert data["ok"] is True
    assert data["problems"] == []
    assert len(data["files"]) == 15
    assert all(Path(f).is_file() for f in data["files"])


def test_single_file_is_ok() -> None:
    assert ok("check", EXAMPLE / "parties.yaml").stdout.startswith("ok: 1 files")


@pytest.fixture
def broken(tmp_path: Path) -> tuple[Path, dict[tuple[str, str], tuple[int, int]]]:
    """The example with three mistakes in three files, and where each must be reported."""
    root = copy_example(tmp_path)
    expected: dict[tuple[str, str], tuple[int, int]] = {}

    # An unknown party: a typo in a subscription.
    subs = root / "subscriptions.yaml"
    edit(subs, SUBSCRIPTION, SUBSCRIPTION.replace("hospital", "hospitl"))
    expected[("subscriptions.yaml", "subscriptions[6].customer")] = position(subs, "hospitl")

    # A target that is not a number.
    hospital = root / "agreements" / "hospital.yaml"
    edit(hospital, SATISFACTION, "        target: lots\n")
    expected[("agreements/hospital.yaml", "agreements[2].objectives[4].target")] = position(
        hospital, "lots"
    )

    # A YAML syntax error in yet another file: an unclosed flow sequence.
    horizon = root / "agreements" / "horizon-sport.yaml"
    edit(horizon, HORIZON_TITLE, "    title: [Horizon Sport\n")
    line, _ = position(horizon, "calendar: retail-stores")
    expected[("agreements/horizon-sport.yaml", "<document>")] = (line, 13)
    return root, expected


def test_broken_copy_reports_every_problem_at_its_place(
    broken: tuple[Path, dict[tuple[str, str], tuple[int, int]]],
) -> None:
    root, expected = broken
    result = run("check", root)
    assert result.exit_code == 1
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert lines, "problems go to stderr"
    found: dict[tuple[str, str], tuple[int, int]] = {}
    for text in lines:
        match = LOCATED.match(text)
        assert match, f"not file:line:column: path: message: {text!r}"
        file = Path(match["file"]).relative_to(root).as_posix()
        found[(file, match["path"])] = (int(match["line"]), int(match["column"]))
    for key, where in expected.items():
        assert found.get(key) == where, f"{key} expected at {where}, got {found.get(key)}"
    assert "unknown party 'hospitl'" in result.stderr
    assert "not a target: 'lots'" in result.stderr
    assert "YAML syntax error" in result.stderr
    assert "problem(s)" in result.stdout
    assert not result.stdout.startswith("ok:")


def test_broken_copy_as_json(
    broken: tuple[Path, dict[tuple[str, str], tuple[int, int]]],
) -> None:
    root, expected = broken
    result = run("check", root, "--format", "json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["ok"] is False
    problems = data["problems"]
    assert {p["severity"] for p in problems} == {"error"}
    by_place = {
        (Path(p["file"]).relative_to(root).as_posix(), p["path"]): (p["line"], p["column"])
        for p in problems
    }
    for key, where in expected.items():
        assert by_place.get(key) == where
    for p in problems:
        assert isinstance(p["line"], int)
        assert isinstance(p["column"], int)
        assert p["message"]


def test_every_problem_is_printed_once_per_line(
    broken: tuple[Path, dict[tuple[str, str], tuple[int, int]]],
) -> None:
    """Text and JSON report the same problems."""
    root, _ = broken
    text = run("check", root)
    data = json.loads(run("check", root, "-f", "json").stdout)
    assert len(text.stderr.splitlines()) == len(data["problems"])


def test_a_missing_path_is_located(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    result = run("check", missing)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"{missing}: ")
    assert "no such file" in result.stderr
    data = json.loads(run("check", missing, "--format", "json").stdout)
    assert data["ok"] is False
    assert [p["file"] for p in data["problems"]] == [str(missing)]


def test_a_file_that_is_not_text(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_bytes(b"\xff\xfe\x00 not text")
    result = run("check", bad)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"{bad}: ")
    assert "UTF-8" in result.stderr


def test_check_without_a_path_is_a_usage_error() -> None:
    result = run("check")
    assert result.exit_code == 2


def test_an_unknown_format_is_a_usage_error() -> None:
    result = run("check", EXAMPLE, "--format", "xml")
    assert result.exit_code == 2
    assert "xml" in result.stderr
