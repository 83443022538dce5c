"""The dependency map as an SVG drawn on the server: services on the top row, each component
on the row below the lowest node that needs it, every requirement an arrow from a node to what
it needs (dashed when the requirement is redundant: any of, k of n). Nodes down now are red,
partly down amber, those that lost redundancy outlined amber; each carries its incident.

The layout is layered and deterministic: rows by the longest path from a node nothing needs
(services, and components at the edge such as access switches: the top row), so every arrow
points down; within a row nodes are ordered by the mean position of the nodes above that need
them (one barycentre pass), so related nodes sit near each other.

The page's script highlights what a node needs and what needs it when it is
hovered or focused (``data-needs`` and ``data-dependents`` name them); without the script the
map is a plain picture with links.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from html import escape

from servanda.catalog.model import Component, RequirementMode, Service

ROW = 110
"""Vertical distance between rows."""
SLOT = 150
"""Horizontal room of a node."""
BOX_W, BOX_H = 132, 40


@dataclass(frozen=True, slots=True)
class NodeState:
    """What an open incident does to a node now."""

    fraction: float
    """Share of it down (1: down); 0: up but degraded."""
    incident: str
    reason: str


@dataclass(frozen=True, slots=True)
class Placed:
    """A node where the map draws it."""

    id: str
    label: str
    kind: str
    x: float
    y: float


def layout(nodes: Sequence[Service | Component]) -> list[Placed]:
    """Each node placed (see the module)."""
    by_id = {n.id: n for n in nodes}
    needs = {n.id: [m for r in n.depends_on for m in r.nodes if m in by_id] for n in nodes}
    needed = {m for wanted in needs.values() for m in wanted}
    # rows by the longest path from a node nothing needs (services, and components at the
    # edge such as access switches), so every arrow points down; a cycle stops the passes
    depth: dict[str, int] = {n.id: 0 for n in nodes if n.id not in needed}
    changed, rounds = True, 0
    while changed and rounds <= len(nodes):
        changed, rounds = False, rounds + 1
        for node, wanted in needs.items():
            if node not in depth:
                continue
            for m in wanted:
                if depth.get(m, -1) < depth[node] + 1:
                    depth[m] = depth[node] + 1
                    changed = True
    for n in nodes:  # only on a cycle
        depth.setdefault(n.id, 0)
    rows: dict[int, list[str]] = {}
    for node in sorted(depth):
        rows.setdefault(depth[node], []).append(node)
    position: dict[str, float] = {}
    placed: list[Placed] = []
    for level in sorted(rows):
        members = rows[level]
        if level:

            def centre(node: str) -> float:
                above = [position[p] for p, w in needs.items() if node in w and p in position]
                return sum(above) / len(above) if above else float("inf")

            members = sorted(members, key=lambda m: (centre(m), m))
        for i, node in enumerate(members):
            position[node] = float(i)
            n = by_id[node]
            kind = "service" if isinstance(n, Service) else (n.kind or "component")
            placed.append(Placed(node, n.label, kind, 20 + i * SLOT, 20 + level * ROW))
    return placed


def render(nodes: Sequence[Service | Component], states: Mapping[str, NodeState]) -> str:
    """The map as SVG (see the module)."""
    placed = layout(nodes)
    at = {p.id: p for p in placed}
    by_id = {n.id: n for n in nodes}
    width = max((p.x for p in placed), default=0) + SLOT
    height = max((p.y for p in placed), default=0) + ROW
    edges: list[str] = []
    dependents: dict[str, list[str]] = {}
    for n in nodes:
        for req in n.depends_on:
            redundant = req.mode is not RequirementMode.ALL_OF
            for m in req.nodes:
                if m not in at:
                    continue
                dependents.setdefault(m, []).append(n.id)
                a, b = at[n.id], at[m]
                cls = "edge redundant" if redundant else "edge"
                edges.append(
                    f'<line class="{cls}" data-from="{escape(n.id)}" data-to="{escape(m)}" '
                    f'x1="{a.x + BOX_W / 2:.0f}" y1="{a.y + BOX_H:.0f}" '
                    f'x2="{b.x + BOX_W / 2:.0f}" y2="{b.y:.0f}" marker-end="url(#arrow)"/>'
                )
    boxes = [_node(p, by_id[p.id], states.get(p.id), dependents.get(p.id, ())) for p in placed]
    return (
        f'<svg class="map" viewBox="0 0 {width:.0f} {height:.0f}" role="group" '
        f'aria-labelledby="map-title" xmlns="http://www.w3.org/2000/svg">'
        '<title id="map-title">Dependency map: services on top, what they need below</title>'
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" '
        'class="arrow"/></marker></defs>' + "".join(edges) + "".join(boxes) + "</svg>"
    )


def _node(
    p: Placed, node: Service | Component, state: NodeState | None, dependents: Iterable[str]
) -> str:
    needs = sorted({m for r in node.depends_on for m in r.nodes})
    status = "up"
    said = "up"
    if state is not None:
        if state.fraction >= 1:
            status, said = "down", f"down: {state.reason}"
        elif state.fraction > 0:
            status, said = "partial", f"{state.fraction:.0%} down: {state.reason}"
        else:
            status, said = "degraded", f"lost redundancy: {state.reason}"
    label = p.label if len(p.label) <= 18 else p.label[:17] + "…"
    inner = (
        f'<rect x="{p.x:.0f}" y="{p.y:.0f}" width="{BOX_W}" height="{BOX_H}" rx="6"/>'
        f'<text x="{p.x + BOX_W / 2:.0f}" y="{p.y + 17:.0f}">{escape(label)}</text>'
        f'<text class="kind" x="{p.x + BOX_W / 2:.0f}" y="{p.y + 32:.0f}">{escape(p.kind)}</text>'
        f"<title>{escape(p.label)} ({escape(p.kind)}): {escape(said)}</title>"
    )
    attrs = (
        f'class="node {status}" data-node="{escape(p.id)}" '
        f'data-needs="{escape(" ".join(needs))}" '
        f'data-dependents="{escape(" ".join(sorted(set(dependents))))}"'
    )
    if state is not None:
        return f'<a {attrs} href="/incidents/{escape(state.incident)}">{inner}</a>'
    name = escape(f"{p.label} ({p.kind}): {said}")
    return f'<g {attrs} tabindex="0" role="img" aria-label="{name}">{inner}</g>'


__all__ = ["NodeState", "Placed", "layout", "render"]
