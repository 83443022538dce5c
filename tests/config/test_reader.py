"""Reading configuration: records from YAML, and every problem with its location."""

from __future__ import annotations

from pathlib import Path

from servanda.config.loader import load_config
from servanda.config.reader import read_paths
from servanda.core.problems import Problem

BASE = """\
parties:
  - {id: isp, name: Metro ISP, roles: [provider]}
  - {id: acme, name: ACME, roles: [customer]}
services:
  - id: internet
    name: Internet Access
    provider: isp
    depends_on: [{any_of: [r1, r2]}]
components:
  - {id: r1, kind: router}
  - {id: r2, kind: router}
subscriptions:
  - {customer: acme, service: internet, monthly_charge: 1200.50}
agreements:
  - id: corp
    level: corporate
    provider: isp
    effective_from: 2024-01-01
    objectives:
      - {metric: availability, target: 99.5%}
      - {metric: mttr, target: 4h}
    credits:
      tiers: [{below: 99.5, credit: 10%}, {below: 99, credit: 25%}]
"""


def write(tmp_path: Path, text: str, name: str = "config.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problems(tmp_path: Path, text: str) -> list[Problem]:
    return load_config([write(tmp_path, text)]).problems


def test_clean_configuration_reads_every_record(tmp_path: Path) -> None:
    result = load_config([write(tmp_path, BASE)])
    assert result.problems == []
    b = result.bundle
    assert [p.id for p in b.parties] == ["isp", "acme"]
    assert str(b.subscriptions[0].monthly_charge) == "1200.5"
    corp = b.agreements[0]
    assert str(corp.objectives[0].target) == "99.5"
    assert corp.objectives[1].target == 4 * 3600


def test_yaml_syntax_error_is_located(tmp_path: Path) -> None:
    found = problems(tmp_path, "parties:\n  - {id: isp, name: [unclosed\n")
    assert len(found) == 1
    assert found[0].location.line is not None
    assert "YAML syntax error" in found[0].message


def test_field_errors_are_located_at_their_line(tmp_path: Path) -> None:
    text = BASE.replace("{metric: mttr, target: 4h}", "{metric: mttr, target: soon}")
    text = text.replace("roles: [customer]", "roles: [customer], colour: red")
    found = problems(tmp_path, text)
    shown = [str(p) for p in found]
    lines = text.splitlines()
    mttr = next(i for i, line in enumerate(lines, 1) if "target: soon" in line)
    colour = next(i for i, line in enumerate(lines, 1) if "colour" in line)
    assert any(f":{mttr}:" in s and "agreements[0].objectives[1].target" in s for s in shown)
    assert any(f":{colour}:" in s and "unknown field 'colour'" in s for s in shown)


def test_every_problem_is_reported_not_just_the_first(tmp_path: Path) -> None:
    text = (
        BASE.replace("target: 99.5%", "target: 120%")
        .replace("provider: isp\n    depends_on", "provider: nobody\n    depends_on")
        .replace("{id: r2, kind: router}", "{id: r2, kind: router, depends_on: [r2x]}")
    )
    messages = [p.message for p in problems(tmp_path, text)]
    assert any("between 0 and 100" in m for m in messages)
    assert any("unknown party 'nobody'" in m for m in messages)
    assert any("unknown service or component 'r2x'" in m for m in messages)


def test_unknown_section_and_duplicate_key(tmp_path: Path) -> None:
    found = problems(tmp_path, BASE + "widgets: []\nparties: []\n")
    messages = [p.message for p in found]
    assert any("unknown section 'widgets'" in m for m in messages)
    assert any("key 'parties' appears twice" in m for m in messages)


def test_dependency_cycle_is_named(tmp_path: Path) -> None:
    text = BASE.replace("{id: r1, kind: router}", "{id: r1, kind: router, depends_on: [r2]}")
    text = text.replace("{id: r2, kind: router}", "{id: r2, kind: router, depends_on: [r1]}")
    found = problems(tmp_path, text)
    assert [p.message for p in found] == ["dependency cycle: r1 → r2 → r1"]
    assert found[0].location.line == 10


def test_duplicate_ids_point_at_the_first(tmp_path: Path) -> None:
    found = problems(tmp_path, BASE.replace("{id: r2, kind: router}", "{id: r1, kind: switch}"))
    dup = [p for p in found if "duplicate node r1" in p.message]
    assert len(dup) == 1
    assert "first declared at" in dup[0].message


SERVICE_LEVEL = """\
  - id: acme-internet
    level: service
    provider: isp
    customer: acme
    service: internet
    effective_from: 2024-03-01
    objectives:
      - {metric: availability, target: TARGET}
"""


def test_loosening_needs_override(tmp_path: Path) -> None:
    loose = BASE + SERVICE_LEVEL.replace("TARGET", "99%")
    found = problems(tmp_path, loose)
    assert len(found) == 1
    assert "loosens the corporate target >= 99.5 to >= 99" in found[0].message
    assert found[0].location.line == len(loose.splitlines())
    ok = BASE + SERVICE_LEVEL.replace("TARGET", "99%, override: true")
    assert problems(tmp_path, ok) == []
    tighter = BASE + SERVICE_LEVEL.replace("TARGET", "99.95%")
    assert problems(tmp_path, tighter) == []


def test_service_agreement_needs_a_subscription(tmp_path: Path) -> None:
    text = BASE.replace(
        "subscriptions:\n  - {customer: acme, service: internet, monthly_charge: 1200.50}\n", ""
    )
    text += SERVICE_LEVEL.replace("TARGET", "99.9%")
    messages = [p.message for p in problems(tmp_path, text)]
    assert "customer 'acme' has no subscription to 'internet'" in messages


def test_credit_schedule_must_name_an_objective(tmp_path: Path) -> None:
    text = BASE.replace("tiers: [", "objective: latency\n      tiers: [")
    messages = [p.message for p in problems(tmp_path, text)]
    assert any("refers to objective 'latency'" in m for m in messages)


def test_directories_are_read_recursively_and_missing_paths_reported(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    write(tmp_path / "sub", BASE)
    (tmp_path / "notes.txt").write_text("not config")
    result = read_paths([tmp_path, tmp_path / "missing"])
    assert [Path(f).name for f in result.files] == ["config.yaml"]
    assert [p.message for p in result.problems] == ["no such file or directory"]


def test_two_corporate_agreements_in_force_are_ambiguous(tmp_path: Path) -> None:
    text = (
        BASE
        + """\
  - id: corp-2
    level: corporate
    provider: isp
    effective_from: 2024-02-01
"""
    )
    messages = [p.message for p in problems(tmp_path, text)]
    assert any("2 corporate agreements are in force" in m for m in messages)


def test_looser_severity_targets_need_override(tmp_path: Path) -> None:
    corporate_severity = BASE.replace(
        "    credits:\n",
        "    responsibilities:\n"
        "      severities: [{severity: critical, response: 15m, resolution: 4h}]\n"
        "    credits:\n",
    )
    service = (
        SERVICE_LEVEL.replace("TARGET", "99.9%")
        + "    responsibilities:\n      severities:\n"
        + "        - {severity: critical, response: 15m, resolution: 8hOVERRIDE}\n"
    )
    found = problems(tmp_path, corporate_severity + service.replace("OVERRIDE", ""))
    assert len(found) == 1
    assert "severity 'critical' loosens the corporate targets" in found[0].message
    assert "resolution 4h) to response 15m, resolution 8h" in found[0].message
    assert found[0].location.line == len((corporate_severity + service).splitlines())
    tighter = service.replace("8hOVERRIDE", "2h")
    assert problems(tmp_path, corporate_severity + tighter) == []
    deliberate = service.replace("OVERRIDE", ", override: true")
    assert problems(tmp_path, corporate_severity + deliberate) == []
