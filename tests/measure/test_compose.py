"""A service's downtime and expected availability through its dependency graph."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from servanda.catalog.graph import DependencyGraph
from servanda.catalog.model import Requirement
from servanda.core.intervals import IntervalSet
from servanda.core.records import from_jsonable
from servanda.measure.compose import DownSegment, compose_downtime, expected_availability


def req(data: object) -> Requirement:
    return from_jsonable(Requirement, data)


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2024, 4, 2, hour, minute, tzinfo=UTC)


def down(*pairs: tuple[datetime, datetime]) -> IntervalSet:
    return IntervalSet.from_pairs(pairs)


GRAPH = DependencyGraph(
    {
        "internet": (req("router"),),
        "router": (req({"any_of": ["uplink-a", "uplink-b"]}),),
        "storage": (req({"k_of_n": {"k": 2, "of": ["disk-1", "disk-2", "disk-3"]}}),),
        "video": (
            req({"all_of": ["origin-a"], "share": 0.5}),
            req({"all_of": ["origin-c"], "share": 0.5}),
        ),
        "portal": (req("video"),),
    }
)


# -- downtime -------------------------------------------------------------------------------


def test_redundant_uplinks_are_down_together_only() -> None:
    found = compose_downtime(
        GRAPH,
        "internet",
        {"uplink-a": down((at(10), at(11))), "uplink-b": down((at(10, 30), at(12)))},
    )
    assert found == [DownSegment(at(10, 30), at(11), 1.0)]


def test_a_chain_passes_a_failure_up() -> None:
    found = compose_downtime(
        GRAPH, "internet", {"router": down((at(9), at(9, 15))), "internet": down((at(9), at(9, 5)))}
    )
    assert found == [DownSegment(at(9), at(9, 15), 1.0)]


def test_two_of_three_disks() -> None:
    found = compose_downtime(
        GRAPH,
        "storage",
        {
            "disk-1": down((at(10), at(11))),
            "disk-2": down((at(10, 30), at(11, 30))),
            "disk-3": down((at(12), at(13))),
        },
    )
    assert found == [DownSegment(at(10, 30), at(11), 1.0)]


def test_partial_requirements_add_up() -> None:
    found = compose_downtime(
        GRAPH,
        "video",
        {"origin-a": down((at(10), at(11))), "origin-c": down((at(10, 30), at(11, 30)))},
    )
    assert found == [
        DownSegment(at(10), at(10, 30), 0.5),
        DownSegment(at(10, 30), at(11), 1.0),
        DownSegment(at(11), at(11, 30), 0.5),
    ]
    # A partly down video does not take the portal down; a wholly down one does.
    portal = compose_downtime(
        GRAPH,
        "portal",
        {"origin-a": down((at(10), at(11))), "origin-c": down((at(10, 30), at(11, 30)))},
    )
    assert portal == [DownSegment(at(10, 30), at(11), 1.0)]


def test_neighbouring_segments_with_one_level_merge() -> None:
    found = compose_downtime(
        GRAPH,
        "internet",
        {
            "uplink-a": down((at(10), at(12))),
            "uplink-b": down((at(10), at(11)), (at(11), at(12, 30))),
            "router": down((at(10, 30), at(10, 45))),
        },
    )
    assert found == [DownSegment(at(10), at(12), 1.0)]


def test_unrelated_nodes_and_nothing_down_give_nothing() -> None:
    assert compose_downtime(GRAPH, "internet", {}) == []
    assert compose_downtime(GRAPH, "internet", {"disk-1": down((at(1), at(2)))}) == []
    assert compose_downtime(GRAPH, "internet", {"uplink-a": IntervalSet.empty()}) == []
    assert compose_downtime(GRAPH, "internet", {"uplink-a": down((at(1), at(2)))}) == []


@given(
    st.lists(
        st.tuples(st.sampled_from(["uplink-a", "uplink-b", "router"]), st.integers(0, 20)),
        max_size=8,
    ),
    st.integers(0, 23),
)
def test_composed_downtime_matches_the_graph_at_every_instant(
    spans: list[tuple[str, int]], probe: int
) -> None:
    # Each node is down for the hours listed; at any hour the composition says what the graph
    # says for the nodes down at that hour.
    hours: dict[str, list[int]] = {}
    for node, hour in spans:
        hours.setdefault(node, []).append(hour)
    sets = {
        n: IntervalSet.from_pairs((at(h), at(h + 1)) for h in hs if h < 23)
        for n, hs in hours.items()
    }
    found = compose_downtime(GRAPH, "internet", sets)
    instant = at(probe, 30)
    failed = {n for n, s in sets.items() if s.contains(instant)}
    expected = "internet" in GRAPH.impacts(failed)
    assert any(seg.start <= instant < seg.end for seg in found) == expected


# -- expected availability ------------------------------------------------------------------


def test_two_redundant_uplinks_at_99_percent_give_99_99() -> None:
    a = expected_availability(GRAPH, "router", {"uplink-a": 0.99, "uplink-b": 0.99})
    assert a == pytest.approx(0.9999, abs=1e-12)


def test_two_of_three() -> None:
    same = {"disk-1": 0.9, "disk-2": 0.9, "disk-3": 0.9}
    # 3 × 0.9² × 0.1 + 0.9³ = 0.243 + 0.729
    assert expected_availability(GRAPH, "storage", same) == pytest.approx(0.972, abs=1e-12)
    distinct = {"disk-1": 0.9, "disk-2": 0.8, "disk-3": 0.7}
    # 0.9·0.8·0.3 + 0.9·0.2·0.7 + 0.1·0.8·0.7 + 0.9·0.8·0.7 = 0.216 + 0.126 + 0.056 + 0.504
    assert expected_availability(GRAPH, "storage", distinct) == pytest.approx(0.902, abs=1e-12)


def test_a_chain_multiplies() -> None:
    figures = {"internet": 0.999, "router": 0.995, "uplink-a": 0.99, "uplink-b": 0.99}
    # 0.999 × 0.995 × (1 − 0.01²) = 0.994005 × 0.9999
    assert expected_availability(GRAPH, "internet", figures) == pytest.approx(
        0.9939055995, abs=1e-12
    )


def test_all_of_is_the_product() -> None:
    graph = DependencyGraph({"s": (req({"all_of": ["a", "b"]}),)})
    assert expected_availability(graph, "s", {"a": 0.9, "b": 0.8}) == pytest.approx(0.72)


def test_partial_requirements_take_their_share() -> None:
    # origin-a down 10 % of the time, origin-c 20 %, independently, each half of the video:
    # neither 0.72 → 0; one 0.08 + 0.18 → 0.5; both 0.02 → 1. Expected down 0.04 + 0.09 + 0.02.
    figures = {"origin-a": 0.9, "origin-c": 0.8}
    assert expected_availability(GRAPH, "video", figures) == pytest.approx(0.85, abs=1e-12)
    # The portal goes down only when the video is wholly down: 2 % of the time.
    assert expected_availability(GRAPH, "portal", figures) == pytest.approx(0.98, abs=1e-12)


def test_nodes_not_given_never_fail_by_themselves() -> None:
    assert expected_availability(GRAPH, "internet", {}) == 1.0
    assert expected_availability(GRAPH, "internet", {"uplink-a": 0.0}) == 1.0
    assert expected_availability(GRAPH, "internet", {"uplink-a": 0, "uplink-b": 0}) == 0.0


def test_bad_availability_and_cycles_are_refused() -> None:
    with pytest.raises(ValueError, match="between 0 and 1"):
        expected_availability(GRAPH, "router", {"uplink-a": 1.5})
    loop = DependencyGraph({"a": (req("b"),), "b": (req("a"),)})
    with pytest.raises(ValueError, match="cycle"):
        expected_availability(loop, "a", {})


@given(st.lists(st.floats(0, 1), min_size=1, max_size=6), st.data())
def test_k_of_n_lies_between_all_of_and_any_of(values: list[float], data: st.DataObject) -> None:
    names = [f"n{i}" for i in range(len(values))]
    k = data.draw(st.integers(1, len(values)))
    graph = DependencyGraph(
        {
            "all": (req({"all_of": names}),),
            "any": (req({"any_of": names}),),
            "k": (req({"k_of_n": {"k": k, "of": names}}),),
        }
    )
    given_values = dict(zip(names, values, strict=True))
    low = expected_availability(graph, "all", given_values)
    mid = expected_availability(graph, "k", given_values)
    high = expected_availability(graph, "any", given_values)
    assert low - 1e-12 <= mid <= high + 1e-12
