"""The dependency graph: cycles, closures and impact with redundancy."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from servanda.catalog.graph import DependencyGraph
from servanda.catalog.model import Requirement
from servanda.core.records import from_jsonable


def req(data: object) -> Requirement:
    return from_jsonable(Requirement, data)


def graph(spec: dict[str, list[object]]) -> DependencyGraph:
    return DependencyGraph({node: tuple(req(r) for r in reqs) for node, reqs in spec.items()})


ISP = graph(
    {
        "internet": [
            "access-1",
            {"any_of": ["core-1", "core-2"]},
            {"k_of_n": {"k": 2, "of": ["dns-1", "dns-2", "dns-3"]}},
        ],
        "access-1": [],
        "core-1": [{"any_of": ["uplink-a", "uplink-b"]}],
        "core-2": [{"any_of": ["uplink-a", "uplink-b"]}],
        "dns-1": [],
        "dns-2": [],
        "dns-3": [],
        "uplink-a": [],
        "uplink-b": [],
    }
)


def test_bare_id_is_all_of() -> None:
    r = req("db-1")
    assert r.mode == "all_of"
    assert r.nodes == ("db-1",)
    assert r.needed() == 1


def test_one_redundant_router_down_impacts_nothing_else() -> None:
    impacts = ISP.impacts({"core-1"})
    assert set(impacts) == {"core-1"}
    assert ISP.degraded({"core-1"}) == {"internet": ("core-1",)}


def test_both_routers_down_takes_internet_down_with_reason() -> None:
    impacts = ISP.impacts({"core-1", "core-2"})
    assert set(impacts) == {"core-1", "core-2", "internet"}
    why = impacts["internet"]
    assert not why.failed_itself
    assert why.down_members == ("core-1", "core-2")
    assert "any of core-1, core-2" in why.explain()


def test_both_uplinks_down_propagates_through_two_levels() -> None:
    impacts = ISP.impacts({"uplink-a", "uplink-b"})
    assert {"core-1", "core-2", "internet"} <= set(impacts)
    assert impacts["core-1"].requirement is not None


def test_k_of_n_tolerates_one_loss_but_not_two() -> None:
    assert "internet" not in ISP.impacts({"dns-1"})
    impacts = ISP.impacts({"dns-1", "dns-3"})
    assert "internet" in impacts
    assert "1 of 2 needed remain" in impacts["internet"].explain()


def test_all_of_member_down_explains_dependency() -> None:
    why = ISP.impacts({"access-1"})["internet"]
    assert why.explain() == "depends on access-1, which is down"


def test_cycles_are_named_and_closed() -> None:
    g = graph({"a": ["b"], "b": ["c"], "c": ["a"], "d": ["a"]})
    assert g.cycles() == [["a", "b", "c", "a"]]
    assert ISP.cycles() == []


def test_closures_are_cycle_safe() -> None:
    g = graph({"a": ["b"], "b": ["a", "c"], "c": []})
    assert g.upstream("a") == {"b", "c"}
    assert g.downstream("c") == {"a", "b"}


def test_k_larger_than_n_is_rejected() -> None:
    import pytest
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="k=3 of only 2"):
        req({"k_of_n": {"k": 3, "of": ["a", "b"]}})


@given(st.sets(st.sampled_from(sorted(ISP.nodes))))
def test_impact_is_monotonic(failed: set[str]) -> None:
    """Failing one more node never brings a node back up."""
    down = set(ISP.impacts(failed))
    for extra in ISP.nodes:
        assert down <= set(ISP.impacts(failed | {extra}))
