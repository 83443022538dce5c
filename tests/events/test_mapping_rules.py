"""Mapping events to catalog nodes: rule order, regexes and placeholders, default labels."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from servanda.core.records import from_jsonable
from servanda.events.mapping import NodeMapper, host_part, rule_problems, template_parts
from servanda.events.model import Event, NodeMapping, Status, labels_of

NODES = {"db-1", "db-2", "dns-1", "edge-ams-1", "internet", "voip", "core", "10.0.0.53:9153"}


def ev(_source: str = "alertmanager", _node: str | None = None, **labels: str) -> Event:
    """An event with ``labels`` (``_source`` and ``_node`` are not labels)."""
    return Event(
        source=_source,
        fingerprint="f",
        labels=labels_of(labels),
        status=Status.FIRING,
        starts_at=datetime(2024, 4, 2, tzinfo=UTC),
        node=_node,
    )


def rule(match: dict[str, str], node: str, **more: Any) -> NodeMapping:
    return from_jsonable(NodeMapping, {"match": match, "node": node, **more})


def mapper(*rules: NodeMapping) -> NodeMapper:
    return NodeMapper(rules, NODES)


def test_equality_rule_needs_every_label() -> None:
    m = mapper(rule({"job": "dns", "instance": "10.0.0.53:9153"}, "dns-1"))
    assert m.map(ev(job="dns", instance="10.0.0.53:9153")) == "dns-1"
    assert m.map(ev(job="dns", instance="10.0.0.54:9153")) is None
    assert m.map(ev(instance="10.0.0.53:9153")) == "10.0.0.53:9153"  # default: full value


def test_regex_named_group_fills_the_node() -> None:
    m = mapper(rule({"target": r"~(?P<host>[^:]+):\d+"}, "{host}"))
    assert m.map(ev(target="db-2:9100")) == "db-2"
    assert m.map(ev(target="db-2:http")) is None  # must match fully
    assert m.map(ev(target="nowhere:9100")) is None  # yields an unknown node


def test_regex_must_match_the_whole_value() -> None:
    m = mapper(rule({"job": "~node"}, "core"))
    assert m.map(ev(job="node")) == "core"
    assert m.map(ev(job="node-exporter")) is None
    assert m.map(ev(job="my-node")) is None


def test_labels_and_groups_fill_placeholders_groups_first() -> None:
    m = mapper(
        rule({"site": r"~(?P<city>[a-z]+)-\d+", "role": "edge"}, "{role}-{city}-{n}"),
    )
    assert m.map(ev(site="ams-7", role="edge", n="1")) == "edge-ams-1"
    assert m.map(ev(site="ams-7", role="edge")) is None  # no value for {n}
    over = mapper(rule({"host": "~(?P<host>db-1)(\\.example)?"}, "{host}"))
    assert over.map(ev(host="db-1.example")) == "db-1"  # the group, not the label


def test_unmatched_optional_group_leaves_the_label() -> None:
    m = mapper(rule({"instance": r"~(?P<host>x)?(?P<rest>.*)"}, "{host}"))
    assert m.map(ev(instance="db-1", host="db-2")) == "db-2"


def test_first_rule_that_yields_a_known_node_wins() -> None:
    m = mapper(
        rule({"job": "node"}, "{missing}"),  # matches, no value
        rule({"job": "node"}, "{instance}"),  # matches, unknown node
        rule({"job": "node"}, "voip"),  # fixed unknown node? no: known
        rule({"job": "node"}, "internet"),
    )
    assert m.map(ev(job="node", instance="x:1")) == "voip"


def test_fixed_unknown_node_is_skipped() -> None:
    m = mapper(rule({"job": "node"}, "gone"), rule({"job": "node"}, "core"))
    assert m.map(ev(job="node")) == "core"


def test_rules_come_before_defaults() -> None:
    m = mapper(rule({"alertname": "BGPDown"}, "internet"))
    assert m.map(ev(alertname="BGPDown", node="db-1")) == "internet"
    assert m.map(ev(alertname="Other", node="db-1")) == "db-1"


def test_source_restricts_a_rule() -> None:
    m = mapper(rule({"check": "ping"}, "core", source="nagios"))
    assert m.map(ev("nagios", check="ping")) == "core"
    assert m.map(ev("alertmanager", check="ping")) is None


def test_missing_label_never_matches_even_a_regex_that_accepts_empty() -> None:
    m = mapper(rule({"zone": "~.*"}, "core"))
    assert m.map(ev(job="x")) is None
    assert m.map(ev(zone="")) == "core"


@pytest.mark.parametrize(
    ("labels", "node"),
    [
        ({"servanda_node": "voip", "node": "db-1"}, "voip"),
        ({"servanda_node": "unknown", "node": "db-1"}, "db-1"),
        ({"component": "core", "service": "internet"}, "core"),
        ({"service": "internet", "host": "db-1"}, "internet"),
        ({"host": "db-2", "instance": "db-1:9100"}, "db-2"),
        ({"hostname": "db-2", "instance": "db-1:9100"}, "db-2"),
        ({"instance": "db-1:9100"}, "db-1"),
        ({"instance": "db-1"}, "db-1"),
        ({"instance": "10.0.0.53:9153"}, "10.0.0.53:9153"),
        ({"instance": "http://db-2:8080/health"}, "db-2"),
        ({"instance": "[::1]:9100"}, None),
        ({"job": "db-1"}, None),
        ({}, None),
    ],
)
def test_default_labels(labels: dict[str, str], node: str | None) -> None:
    assert mapper().map(ev(**labels)) == node


@pytest.mark.parametrize(
    ("value", "host"),
    [
        ("db-1:9100", "db-1"),
        ("db-1", "db-1"),
        ("[2001:db8::1]:9100", "2001:db8::1"),
        ("2001:db8::1", "2001:db8::1"),
        ("https://db-1:8443/x", "db-1"),
        ("http://[::1]/", "::1"),
        ("http://[bad/", "http://[bad/"),
    ],
)
def test_host_part(value: str, host: str) -> None:
    assert host_part(value) == host


def test_map_all_sets_nodes_and_keeps_unmapped_events() -> None:
    m = mapper()
    events = [ev(instance="db-1:9100"), ev(instance="mystery:1"), ev(_node="voip", host="db-2")]
    out = m.map_all(events)
    assert [e.node for e in out] == ["db-1", None, "voip"]
    assert out[0] == ev(_node="db-1", instance="db-1:9100")
    assert out[1] is events[1]
    assert out[2] is events[2]  # already named a node
    assert events[0].node is None  # records are never changed in place


def test_invalid_rules_are_refused() -> None:
    with pytest.raises(ValueError, match="invalid regular expression"):
        mapper(rule({"instance": "~(unclosed"}, "core"))
    with pytest.raises(ValueError, match="stray brace"):
        mapper(rule({"job": "x"}, "{host"))


def test_rule_problems_name_their_field() -> None:
    bad = rule({"job": "x", "instance": "~[z-a]"}, "{host}}")
    found = rule_problems(bad)
    assert [field for field, _ in found] == [("match", "instance"), ("node",)]
    assert rule_problems(rule({"instance": r"~(?P<h>.+)"}, "{h}")) == []


def test_template_parts() -> None:
    assert template_parts("edge-{site}-{n}") == ("edge-", ("site",), "-", ("n",))
    assert template_parts("core") == ("core",)
    for bad in ("{", "}", "{a.b}", "{0}", "{}", "x{y"):
        with pytest.raises(ValueError, match="stray brace"):
            template_parts(bad)


label_names = st.sampled_from(["job", "instance", "host", "node", "service", "zone"])
label_values = st.sampled_from([*sorted(NODES), "x", "db-1:9100", "", "nowhere:1"])


@given(st.dictionaries(label_names, label_values))
def test_mapped_node_is_always_known(labels: dict[str, str]) -> None:
    m = mapper(
        rule({"instance": r"~(?P<host>[^:]+):\d+"}, "{host}"),
        rule({"job": "~.+"}, "{job}"),
        rule({"zone": "x"}, "core"),
    )
    found = m.map(ev(**labels))
    assert found is None or found in NODES
