"""A service's availability from its dependency graph, when only its components are watched.

Two questions, both answered through :class:`~servanda.catalog.graph.DependencyGraph`:

* **When was it down?** :func:`compose_downtime` takes the down intervals of components (and
  possibly of the node itself) and returns the node's own down intervals with the fraction
  down. The union of every boundary cuts time into elementary segments; in each, the set of
  failed nodes is fixed and the graph's own rules decide
  (:meth:`~servanda.catalog.graph.DependencyGraph.impact_fractions`: all-of, any-of, k-of-n,
  partial requirements with a ``share``), so redundancy and partial impact read exactly as
  correlation reads them. Each distinct set of failed nodes is assessed once.
* **What availability should it have?** :func:`expected_availability` combines the components'
  availabilities under independence: a requirement holds with the probability that at least
  ``needed()`` of its members are up (all-of: the product; any-of: ``1 − Π(1 − A)``; k-of-n:
  the sum over which members are up, computed exactly for distinct availabilities). A node is
  up when it did not fail itself and all its plain requirements hold; unmet partial
  requirements take away their shares (adding up, capped at 1). Members are treated as
  independent even when they share a dependency further up, so the figure is exact for trees
  and an approximation where paths meet again.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from itertools import combinations
from typing import NamedTuple

import numpy as np

from servanda.catalog.graph import DependencyGraph
from servanda.catalog.model import Requirement
from servanda.core.intervals import IntervalSet, from_us

__all__ = ["DownSegment", "compose_downtime", "expected_availability"]


class DownSegment(NamedTuple):
    """A stretch of time a node is down, wholly (``fraction`` 1) or partly."""

    start: datetime
    end: datetime
    fraction: float


def compose_downtime(
    graph: DependencyGraph, node: str, down: Mapping[str, IntervalSet]
) -> list[DownSegment]:
    """The intervals where ``node`` is down, given when other nodes (or itself) were down.

    Only ``node`` and what it depends on, directly or not, are read from ``down``. Neighbouring
    segments with the same fraction are merged; the result is sorted and disjoint.
    """
    relevant = sorted((graph.upstream(node) | {node}) & set(down))
    sets = [down[n] for n in relevant if down[n]]
    names = [n for n in relevant if down[n]]
    if not sets:
        return []
    points = np.unique(np.concatenate([a for s in sets for a in (s.starts, s.ends)]))
    left, right = points[:-1], points[1:]
    # Every set is either all over or nowhere in an elementary segment.
    inside = np.stack([s.measure_before(right) - s.measure_before(left) > 0 for s in sets])
    combos, which = np.unique(inside.T, axis=0, return_inverse=True)
    fractions = np.array([_fraction(graph, node, names, row) for row in combos])
    level = fractions[which.reshape(-1)]
    # Elementary segments follow each other without gaps: runs of one level are one interval.
    cuts = np.flatnonzero(level[1:] != level[:-1]) + 1
    firsts = np.concatenate(([0], cuts))
    lasts = np.concatenate((cuts, [level.size])) - 1
    return [
        DownSegment(from_us(left[i]), from_us(right[j]), float(level[i]))
        for i, j in zip(firsts.tolist(), lasts.tolist(), strict=True)
        if level[i] > 0
    ]


def _fraction(graph: DependencyGraph, node: str, names: list[str], row: np.ndarray) -> float:
    failed = {n for n, is_down in zip(names, row.tolist(), strict=True) if is_down}
    if not failed:
        return 0.0
    if node in failed:
        return 1.0
    impact = graph.impact_fractions(failed).get(node)
    return 0.0 if impact is None else min(1.0, impact.fraction)


def _at_least(needed: int, up: list[float]) -> float:
    """Probability that at least ``needed`` of independent members with these up
    probabilities are up (the distribution of the number up, built member by member)."""
    exactly = [1.0]
    for p in up:
        nxt = [0.0] * (len(exactly) + 1)
        for count, prob in enumerate(exactly):
            nxt[count] += prob * (1.0 - p)
            nxt[count + 1] += prob * p
        exactly = nxt
    return sum(exactly[needed:])


def expected_availability(
    graph: DependencyGraph, node: str, availability: Mapping[str, float]
) -> float:
    """``node``'s expected availability from its own and its dependencies' availabilities.

    ``availability[n]`` is the share of time ``n`` is up by itself (not failed on its own); a
    node missing from the mapping never fails by itself. Partial requirements count their
    share of downtime; a partly down member does not take its dependents down (as in the
    graph). Raises :class:`ValueError` for a value outside ``[0, 1]`` or a dependency cycle.
    """
    for name, value in availability.items():
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"the availability of {name} must be between 0 and 1, got {value}")
    up_memo: dict[str, float] = {}
    busy: set[str] = set()

    def requirement_met(req: Requirement) -> float:
        return _at_least(req.needed(), [up(m) for m in req.nodes])

    def figures(n: str) -> tuple[float, float]:
        """(probability n is not wholly down, expected share of n up)."""
        if n in busy:
            raise ValueError(f"dependency cycle through {n}")
        busy.add(n)
        try:
            base = availability.get(n, 1.0)
            partial: list[tuple[float, float]] = []
            for req in graph.requirements(n):
                met = requirement_met(req)
                if req.share is None:
                    base *= met
                else:
                    partial.append((req.share, 1.0 - met))
        finally:
            busy.discard(n)
        whole_up, expected_down = _partial(partial)
        return base * whole_up, base * (1.0 - expected_down)

    def up(n: str) -> float:
        if n not in up_memo:
            up_memo[n] = figures(n)[0]
        return up_memo[n]

    return figures(node)[1]


def _partial(partial: list[tuple[float, float]]) -> tuple[float, float]:
    """For partial requirements as (share, probability unmet), independent: the probability
    the shares of the unmet ones stay below 1, and the expected ``min(1, Σ shares unmet)``."""
    whole_up = 0.0
    expected = 0.0
    indices = range(len(partial))
    for size in range(len(partial) + 1):
        for unmet in combinations(indices, size):
            chosen = set(unmet)
            prob = 1.0
            share = 0.0
            for i, (s, q) in enumerate(partial):
                if i in chosen:
                    prob *= q
                    share += s
                else:
                    prob *= 1.0 - q
            if share < 1.0:
                whole_up += prob
            expected += prob * min(1.0, share)
    return whole_up, expected
