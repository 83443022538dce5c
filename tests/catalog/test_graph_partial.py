"""Partial requirements: a ``share`` makes a node partly down; shares add up to down."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from servanda.catalog.graph import DependencyGraph
from servanda.catalog.model import Requirement
from servanda.core.records import from_jsonable


def req(data: object) -> Requirement:
    return from_jsonable(Requirement, data)


VIDEO = DependencyGraph(
    {
        "video": (
            req("cdn"),
            req({"all_of": ["origin-a"], "share": "50%"}),
            req({"any_of": ["origin-b", "origin-b2"], "share": 0.25}),
            req({"mode": "all_of", "nodes": ["origin-c"], "share": 0.25}),
        ),
        "portal": (req("video"),),
    }
)


def test_share_is_read_as_a_fraction_or_a_percentage() -> None:
    assert req({"all_of": ["x"], "share": "50%"}).share == 0.5
    assert req({"k_of_n": {"k": 1, "of": ["x", "y"]}, "share": 0.2}).share == 0.2
    assert req("x").share is None
    for bad in (0, 1, "150%"):
        with pytest.raises(ValidationError):
            req({"all_of": ["x"], "share": bad})


def test_one_partial_requirement_unmet_is_a_partial_impact() -> None:
    found = VIDEO.impact_fractions({"origin-a"})
    assert found["video"].fraction == 0.5
    assert found["video"].explain() == (
        "partly down (50 %): depends on origin-a, which is down (50 % of it)"
    )
    assert "portal" not in found  # a partly down node does not take its dependents down
    assert set(VIDEO.impacts({"origin-a"})) == {"origin-a"}  # impacts: only what is down


def test_shares_add_up_and_reaching_one_is_down() -> None:
    partly = VIDEO.impact_fractions({"origin-a", "origin-c"})
    assert partly["video"].fraction == 0.75
    assert partly["video"].causes == ("origin-a", "origin-c")
    down = VIDEO.impacts({"origin-a", "origin-b", "origin-b2", "origin-c"})
    assert down["video"].fraction == 1.0
    assert "portal" in down


def test_redundancy_inside_a_partial_requirement_is_respected() -> None:
    assert "video" not in VIDEO.impact_fractions({"origin-b"})


def test_a_plain_requirement_still_takes_the_node_down() -> None:
    down = VIDEO.impacts({"cdn", "origin-a"})
    assert down["video"].requirement == req("cdn")
    assert down["video"].explain() == "depends on cdn, which is down"
    assert VIDEO.assess("video", set()) is None
