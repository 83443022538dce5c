"""The ``mappings:`` section: label-to-node rules read from YAML and checked, every problem
located."""

from __future__ import annotations

from pathlib import Path

from servanda.config.loader import load_config
from servanda.config.reader import SECTIONS
from servanda.core.problems import Problem
from servanda.core.records import from_jsonable
from servanda.declared.bundle import Bundle
from servanda.events.mapping import NodeMapper
from servanda.events.model import NodeMapping

CATALOG = """\
parties:
  - {id: isp, name: Metro ISP, roles: [provider]}
services:
  - {id: internet, name: Internet Access, provider: isp, depends_on: [dns-1]}
components:
  - {id: dns-1, kind: server}
  - {id: db-1, kind: server}
"""

MAPPINGS = """\
mappings:
  - match: {instance: "~(?P<host>[^:]+):\\\\d+"}
    node: "{host}"
    description: Prometheus targets are host:port
  - {match: {job: dns, instance: "10.0.0.53:9153"}, node: dns-1}
  - {match: {alertname: BGPSessionDown}, node: internet, source: alertmanager}
"""


def load(tmp_path: Path, text: str) -> tuple[Bundle, list[Problem]]:
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    result = load_config([path])
    return result.bundle, result.problems


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_mappings_is_a_section() -> None:
    assert SECTIONS["mappings"] is NodeMapping


def test_rules_are_read_in_order(tmp_path: Path) -> None:
    bundle, problems = load(tmp_path, CATALOG + MAPPINGS)
    assert problems == []
    first, second, third = bundle.mappings
    assert first.match == (("instance", r"~(?P<host>[^:]+):\d+"),)
    assert first.node == "{host}"
    assert first.description == "Prometheus targets are host:port"
    assert second.match == (("job", "dns"), ("instance", "10.0.0.53:9153"))
    assert second.node == "dns-1"
    assert third.source == "alertmanager"
    nodes = bundle.service_by_id.keys() | bundle.component_by_id.keys()
    NodeMapper(bundle.mappings, nodes)  # they compile


def test_fixed_node_must_be_known(tmp_path: Path) -> None:
    text = CATALOG + MAPPINGS + "  - {match: {job: db}, node: db-9}\n"
    _, problems = load(tmp_path, text)
    assert [(p.dotted_path, p.message, p.location.line) for p in problems] == [
        ("mappings[3].node", "unknown service or component 'db-9'", line_of(text, "db-9"))
    ]


def test_placeholder_nodes_are_not_checked_against_the_catalog(tmp_path: Path) -> None:
    text = CATALOG + 'mappings:\n  - {match: {job: "~.+"}, node: "{job}-{zone}"}\n'
    assert load(tmp_path, text)[1] == []


def test_invalid_regex_is_located_at_its_label(tmp_path: Path) -> None:
    text = CATALOG + (
        "mappings:\n"
        "  - match:\n"
        "      job: node\n"
        '      instance: "~(?P<host>[^:]+:\\\\d+"\n'
        '    node: "{host}"\n'
    )
    _, problems = load(tmp_path, text)
    [problem] = problems
    assert problem.dotted_path == "mappings[0].match.instance"
    assert problem.message.startswith("invalid regular expression: missing ), unterminated")
    assert problem.location.line == line_of(text, "instance:")
    assert problem.location.column == 17


def test_stray_brace_in_node(tmp_path: Path) -> None:
    text = CATALOG + 'mappings:\n  - {match: {job: x}, node: "{host"}\n'
    _, problems = load(tmp_path, text)
    assert [p.dotted_path for p in problems] == ["mappings[0].node"]
    assert "stray brace" in problems[0].message


def test_malformed_rules(tmp_path: Path) -> None:
    text = CATALOG + (
        "mappings:\n"
        "  - {node: db-1}\n"
        "  - {match: {}, node: db-1}\n"
        "  - {match: {job: x}, node: db-1, colour: red}\n"
        "  - db-1\n"
    )
    _, problems = load(tmp_path, text)
    found = [(p.dotted_path, p.location.line) for p in problems]
    assert found == [
        ("mappings[0].match", 9),
        ("mappings[1].match", 10),
        ("mappings[2].colour", 11),
        ("mappings[3]", 12),
    ]
    assert problems[0].message == "this field is required"
    assert problems[2].message == "unknown field 'colour'"


def test_every_rule_problem_is_reported(tmp_path: Path) -> None:
    text = CATALOG + (
        "mappings:\n"
        "  - {match: {job: x}, node: nowhere}\n"
        '  - {match: {job: "~("}, node: "{x"}\n'
        "  - {match: {job: y}, node: db-1}\n"
        "  - {match: {job: z}, node: also-nowhere}\n"
    )
    _, problems = load(tmp_path, text)
    assert [p.dotted_path for p in problems] == [
        "mappings[0].node",
        "mappings[1].match.job",
        "mappings[1].node",
        "mappings[3].node",
    ]


def test_mappings_from_several_files_keep_file_order(tmp_path: Path) -> None:
    (tmp_path / "a-catalog.yaml").write_text(CATALOG, encoding="utf-8")
    (tmp_path / "b-mappings.yaml").write_text(
        "mappings:\n  - {match: {job: dns}, node: dns-1}\n", encoding="utf-8"
    )
    (tmp_path / "c-more.yaml").write_text(
        "mappings:\n  - {match: {job: db}, node: db-1}\n", encoding="utf-8"
    )
    result = load_config([tmp_path])
    assert result.problems == []
    assert [m.node for m in result.bundle.mappings] == ["dns-1", "db-1"]


def test_bundle_merged_keeps_mappings() -> None:
    one = from_jsonable(NodeMapping, {"match": {"job": "a"}, "node": "x"})
    two = from_jsonable(NodeMapping, {"match": {"job": "b"}, "node": "y"})
    merged = Bundle(mappings=(one,)).merged(Bundle(mappings=(two,)))
    assert merged.mappings == (one, two)
    assert Bundle().mappings == ()
