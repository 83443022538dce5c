"""The dependency graph of services and components, with redundancy.

Edges point from a node to what it needs. A node is *down* when it failed itself or when one of
its requirements is no longer met (all-of: any member down; any-of: every member down; k-of-n:
fewer than k members up). Cycles are an error the loader reports with the nodes that form them.

A requirement with a ``share`` is partial: when it is unmet the node is only partly down, by that
fraction. Shares of several unmet partial requirements add up; at 1 or more the node is down.
A partly down node does not take its own dependents down (they see it up).
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Mapping
from dataclasses import dataclass
from graphlib import TopologicalSorter

from servanda.catalog.model import Component, Requirement, RequirementMode, Service


@dataclass(frozen=True, slots=True)
class Impact:
    """Why a node is down: it failed, or a requirement lost too many members."""

    node: str
    """The node that is down."""
    failed_itself: bool
    """True when the node itself was reported failed."""
    requirement: Requirement | None = None
    """The unmet requirement, when the node is down because of its dependencies."""
    down_members: tuple[str, ...] = ()
    """The members of that requirement that are down."""
    fraction: float = 1.0
    """How much of the node is down: 1 when down, less when only partial requirements
    (with a ``share``) are unmet."""
    partial: tuple[tuple[Requirement, tuple[str, ...]], ...] = ()
    """Unmet partial requirements and their members that are down."""

    @property
    def causes(self) -> tuple[str, ...]:
        """Every member that is down, of the unmet requirement and of unmet partial ones."""
        found = list(self.down_members)
        for _, members in self.partial:
            found.extend(m for m in members if m not in found)
        return tuple(found)

    def explain(self) -> str:
        """A sentence such as ``depends on core-router-2, which is down``."""
        if self.failed_itself:
            return f"{self.node} failed"
        if self.requirement is not None:
            return _unmet(self.requirement, self.down_members)
        if self.partial:
            parts = "; ".join(
                f"{_unmet(r, m)} ({_percent(r.share or 0.0)} of it)" for r, m in self.partial
            )
            return f"partly down ({_percent(self.fraction)}): {parts}"
        return f"{self.node} failed"


def _percent(value: float) -> str:
    return f"{value * 100:.4g} %"


def _unmet(requirement: Requirement, down_members: tuple[str, ...]) -> str:
    down = ", ".join(down_members)
    verb = "is" if len(down_members) == 1 else "are"
    if requirement.mode is RequirementMode.ALL_OF:
        return f"depends on {down}, which {verb} down"
    up = len(requirement.nodes) - len(down_members)
    return (
        f"needs {requirement.describe()}; {down} {verb} down, "
        f"{up} of {requirement.needed()} needed remain"
    )


class DependencyGraph:
    """Services and components with their requirements."""

    def __init__(self, requirements: Mapping[str, tuple[Requirement, ...]]) -> None:
        self._requirements = dict(requirements)
        needs: dict[str, set[str]] = {n: set() for n in self._requirements}
        for node, reqs in self._requirements.items():
            for req in reqs:
                needs[node].update(req.nodes)
        self._needs = needs
        dependents: dict[str, set[str]] = {}
        for node, targets in needs.items():
            for t in targets:
                dependents.setdefault(t, set()).add(node)
        self._dependents = dependents

    @classmethod
    def of(cls, nodes: Iterable[Service | Component]) -> DependencyGraph:
        """The graph of these services and components."""
        return cls({n.id: n.depends_on for n in nodes})

    @property
    def nodes(self) -> frozenset[str]:
        """Every node id, including ones only named as dependencies."""
        return frozenset(self._needs) | frozenset(self._dependents)

    def requirements(self, node: str) -> tuple[Requirement, ...]:
        """The requirements of ``node``."""
        return self._requirements.get(node, ())

    def needs(self, node: str) -> frozenset[str]:
        """The nodes ``node`` depends on directly."""
        return frozenset(self._needs.get(node, ()))

    def dependents(self, node: str) -> frozenset[str]:
        """The nodes that depend on ``node`` directly."""
        return frozenset(self._dependents.get(node, ()))

    def cycles(self) -> list[list[str]]:
        """Every dependency cycle, each as the path of nodes that closes it (first == last).

        One cycle is reported per back edge found by a depth-first search in sorted order, so the
        output is deterministic; an empty list means the graph is acyclic.
        """
        white, grey, black = 0, 1, 2
        colour = dict.fromkeys(sorted(self.nodes), white)
        found: list[list[str]] = []
        seen: set[frozenset[str]] = set()
        for root in colour:
            if colour[root] != white:
                continue
            stack: list[tuple[str, list[str]]] = [(root, sorted(self._needs.get(root, ())))]
            path = [root]
            colour[root] = grey
            while stack:
                node, todo = stack[-1]
                if not todo:
                    colour[node] = black
                    stack.pop()
                    path.pop()
                    continue
                nxt = todo.pop(0)
                if colour[nxt] == grey:
                    cycle = [*path[path.index(nxt) :], nxt]
                    key = frozenset(cycle)
                    if key not in seen:
                        seen.add(key)
                        found.append(cycle)
                elif colour[nxt] == white:
                    colour[nxt] = grey
                    path.append(nxt)
                    stack.append((nxt, sorted(self._needs.get(nxt, ()))))
        return found

    def upstream(self, node: str) -> frozenset[str]:
        """Every node ``node`` depends on, directly or not (cycle-safe)."""
        return self._closure(node, self._needs)

    def downstream(self, node: str) -> frozenset[str]:
        """Every node that depends on ``node``, directly or not (cycle-safe)."""
        return self._closure(node, self._dependents)

    @staticmethod
    def _closure(start: str, edges: Mapping[str, set[str]]) -> frozenset[str]:
        seen: set[str] = set()
        todo = list(edges.get(start, ()))
        while todo:
            n = todo.pop()
            if n not in seen:
                seen.add(n)
                todo.extend(edges.get(n, ()))
        seen.discard(start)
        return frozenset(seen)

    def assess(self, node: str, down: Container[str]) -> Impact | None:
        """How far ``node`` is down because of its requirements alone, when ``down`` are down.

        None when every requirement is met; an :class:`Impact` with fraction 1 when a plain
        requirement is unmet or the shares of unmet partial requirements reach 1; else an
        Impact with the partial fraction. The node's own failure is not considered.
        """
        partial: list[tuple[Requirement, tuple[str, ...]]] = []
        fraction = 0.0
        for req in self._requirements.get(node, ()):
            met, members_down = req.is_met(down)
            if met:
                continue
            if req.share is None:
                return Impact(node, False, req, members_down)
            partial.append((req, members_down))
            fraction += req.share
        if not partial:
            return None
        if fraction >= 1.0:
            req, members = partial[0]
            return Impact(node, False, req, members, 1.0, tuple(partial[1:]))
        return Impact(node, False, None, (), fraction, tuple(partial))

    def impact_fractions(self, failed: Iterable[str]) -> dict[str, Impact]:
        """Like :meth:`impacts`, plus the nodes only partly down (``fraction`` below 1)."""
        return self._evaluate(failed, keep_partial=True)

    def impacts(self, failed: Iterable[str]) -> dict[str, Impact]:
        """Which nodes are down when ``failed`` are, and why, honouring redundancy.

        The graph must be acyclic (the loader refuses cycles); nodes are evaluated in
        dependency order so each is decided once.
        """
        return self._evaluate(failed, keep_partial=False)

    def _evaluate(self, failed: Iterable[str], keep_partial: bool) -> dict[str, Impact]:
        failed_set = set(failed)
        down: dict[str, Impact] = {n: Impact(n, True) for n in failed_set}
        partly: dict[str, Impact] = {}
        affected = set(failed_set)
        for n in failed_set:
            affected |= self.downstream(n)
        order = TopologicalSorter({n: self._needs.get(n, set()) & affected for n in affected})
        for node in order.static_order():
            if node in down:
                continue
            found = self.assess(node, down)
            if found is None:
                continue
            if found.fraction >= 1.0:
                down[node] = found
            else:
                partly[node] = found
        if keep_partial:
            down.update(partly)
        return down

    def degraded(self, failed: Iterable[str]) -> dict[str, tuple[str, ...]]:
        """Nodes still up that lost redundancy: node -> its members that are down.

        One of two redundant uplinks down impacts no service; this says which nodes now run
        without their spare.
        """
        impacts = self.impacts(failed)
        out: dict[str, tuple[str, ...]] = {}
        for node, reqs in self._requirements.items():
            if node in impacts:
                continue
            lost = tuple(m for req in reqs for m in req.nodes if m in impacts)
            if lost:
                out[node] = lost
        return out
