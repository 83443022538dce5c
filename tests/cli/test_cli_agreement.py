"""``servanda parties``, ``services`` and ``agreement`` on the loaded example."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .cli_support import EXAMPLE, no_traceback, ok, ok_json, run

NO_DATABASE = "sqlite:////nonexistent-directory/servanda.db"
"""A database that cannot be opened: commands given ``--config`` must not need one."""


def objective(view: dict[str, Any], metric: str) -> dict[str, Any]:
    (found,) = [o for o in view["objectives"] if o["value"]["metric"] == metric]
    return found


def test_parties(loaded: str) -> None:
    parties = ok_json("parties", "list", db=loaded)
    ids = {p["id"] for p in parties}
    assert {"metro-isp", "hospital", "quai-capital", "alpine-transit"} <= ids
    assert len(parties) == 9
    hospital = next(p for p in parties if p["id"] == "hospital")
    assert hospital["name"] == "Hôpital Saint-Luc"
    assert "customer" in hospital["roles"]
    assert "Parties" in ok("parties", "list", db=loaded).stdout


def test_parties_by_role(loaded: str) -> None:
    carriers = ok_json("parties", "list", "--role", "carrier", db=loaded)
    assert [p["id"] for p in carriers] == ["alpine-transit"]
    assert run("parties", "list", "--role", "emperor", db=loaded).exit_code == 2


def test_services(loaded: str) -> None:
    services = ok_json("services", "list", db=loaded)
    assert {s["id"] for s in services} == {
        "internet-access",
        "ip-telephony",
        "video-streaming",
        "managed-vpn",
    }
    text = ok("services", "list", db=loaded).stdout
    assert "Services" in text
    assert "internet-access" in text


def test_components(loaded: str) -> None:
    components = ok_json("services", "components", db=loaded)
    assert len(components) == 28
    assert "radius-aaa" in {c["id"] for c in components}
    text = ok("services", "components", db=loaded).stdout
    assert "Components" in text
    assert "radius-aaa" in text


def test_agreement_list(loaded: str) -> None:
    versions = ok_json("agreement", "list", db=loaded)
    assert len(versions) == 16
    hospital = ok_json("agreement", "list", "--customer", "hospital", db=loaded)
    assert {a["id"] for a in hospital} == {
        "metro-corporate",
        "hospital",
        "hospital-internet",
        "hospital-telephony",
    }
    assert "Agreement versions" in ok("agreement", "list", db=loaded).stdout


def test_show_says_where_each_term_comes_from(loaded: str) -> None:
    view = ok_json(
        "agreement", "show", "hospital", "internet-access", "--on", "2024-04-20", db=loaded
    )
    assert view["customer"] == "hospital"
    assert view["service"] == "internet-access"
    assert view["on"] == "2024-04-20"
    assert [a["level"] for a in view["agreements"]] == ["corporate", "customer", "service"]

    availability = objective(view, "availability")
    assert availability["value"]["target"] == "99.95"
    assert availability["source"]["level"] == "customer"
    assert availability["source"]["agreement"] == "hospital"
    assert availability["replaces"]["source"]["level"] == "corporate"
    assert availability["replaces"]["value"]["target"] == "99.5"

    throughput = objective(view, "throughput")
    assert throughput["source"]["agreement"] == "hospital-internet"
    assert throughput["replaces"] is None


def test_show_for_people(loaded: str) -> None:
    text = ok(
        "agreement", "show", "hospital", "internet-access", "--on", "2024-04-20", db=loaded
    ).stdout
    assert text.startswith("hospital / internet-access on 2024-04-20:")
    assert "Objectives" in text
    assert "Terms" in text
    assert "replaces" in text


@pytest.mark.parametrize(("day", "target"), [("2024-04-14", "3"), ("2024-04-15", "2")])
def test_show_follows_the_version_in_force(loaded: str, day: str, target: str) -> None:
    view = ok_json("agreement", "show", "quai-capital", "internet-access", "--on", day, db=loaded)
    latency = objective(view, "latency")
    assert latency["value"]["target"] == target
    assert latency["source"]["effective_from"] == ("2024-01-01" if target == "3" else "2024-04-15")
    text = ok("agreement", "show", "quai-capital", "internet-access", "--on", day, db=loaded)
    assert f"<= {target} ms" in text.stdout


def test_render_markdown(loaded: str) -> None:
    result = ok(
        "agreement", "render", "hospital", "internet-access", "--on", "2024-04-20", db=loaded
    )
    assert result.stdout.startswith("# Hôpital Saint-Luc")
    assert "99.95 %" in result.stdout
    assert "20 Apr 2024" in result.stdout


def test_render_html_to_a_file(loaded: str, tmp_path: Path) -> None:
    target = tmp_path / "hospital.html"
    result = ok(
        "agreement", "render", "hospital", "internet-access", "--on", "2024-04-20",
        "--format", "html", "--out", target, db=loaded,
    )  # fmt: skip
    assert f"wrote {target}" in result.stdout
    html = target.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    assert "</html>" in html
    assert "99.95" in html
    assert "Hôpital Saint-Luc" in html


def test_render_to_a_path_that_cannot_be_written(loaded: str, tmp_path: Path) -> None:
    target = tmp_path / "missing-directory" / "x.md"
    result = run("agreement", "render", "hospital", "internet-access", "--out", target, db=loaded)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {target}: cannot write")
    no_traceback(result)


def test_config_instead_of_a_database() -> None:
    common = ("hospital", "internet-access", "--on", "2024-04-20", "--config", str(EXAMPLE))
    rendered = ok("agreement", "render", *common, db=NO_DATABASE)
    assert "99.95 %" in rendered.stdout
    view = ok_json("agreement", "show", *common, db=NO_DATABASE)
    assert objective(view, "availability")["value"]["target"] == "99.95"
    versions = ok_json("agreement", "list", "--config", str(EXAMPLE), db=NO_DATABASE)
    assert len(versions) == 16


def test_config_and_database_agree(loaded: str) -> None:
    args = ("agreement", "render", "hospital", "internet-access", "--on", "2024-04-20")
    from_db = ok(*args, db=loaded).stdout
    from_files = ok(*args, "--config", EXAMPLE, db=NO_DATABASE).stdout
    assert from_db == from_files


def test_broken_config_option_reports_located_problems(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("parties: [\n", encoding="utf-8")
    result = run("agreement", "show", "hospital", "--config", bad, db=NO_DATABASE)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"{bad}:")
    no_traceback(result)


@pytest.mark.parametrize("command", ["show", "render"])
def test_unknown_customer(loaded: str, command: str) -> None:
    result = run("agreement", command, "nobody", "internet-access", db=loaded)
    assert result.exit_code == 1
    assert result.stderr.startswith("error: no customer 'nobody'")
    assert result.stdout == ""
    no_traceback(result)


def test_unknown_service(loaded: str) -> None:
    result = run("agreement", "show", "hospital", "teleportation", db=loaded)
    assert result.exit_code == 1
    assert result.stderr.startswith("error: no service 'teleportation'")


@pytest.mark.parametrize("day", ["2024-13-01", "tomorrow", "20/04/2024"])
@pytest.mark.parametrize("command", ["show", "render"])
def test_bad_day_is_a_usage_error(command: str, day: str) -> None:
    args = ("hospital", "internet-access", "--on", day, "--config", EXAMPLE)
    result = run("agreement", command, *args, db=NO_DATABASE)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: not a date: {day!r}")
    no_traceback(result)


def test_bad_document_format_is_a_usage_error(loaded: str) -> None:
    result = run("agreement", "render", "hospital", "--format", "pdf", db=loaded)
    assert result.exit_code == 2
