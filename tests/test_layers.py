"""The dependency direction docs/architecture.md promises, checked on the source: interfaces
(api, cli, web) reach storage only for the database plumbing (engines, sessions, migrations) and do
everything else through services; domain packages import no adapter, service or interface."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "servanda"
DOMAIN = (
    "core", "catalog", "calendars", "agreements", "events", "measure", "engagement", "accounting",
    "declared", "documents", "notify",
)  # fmt: skip


def imports(package: str) -> list[tuple[str, str]]:
    """``(file, module imported)`` for every import under ``package``."""
    found = []
    for path in sorted((SRC / package).rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [f"{node.module}.{a.name}" for a in node.names]
                found += [(str(path.relative_to(SRC)), n) for n in names]
            elif isinstance(node, ast.Import):
                found += [(str(path.relative_to(SRC)), a.name) for a in node.names]
    return found


@pytest.mark.parametrize("package", ["api", "cli", "web"])
def test_interfaces_reach_storage_only_for_plumbing(package: str) -> None:
    wrong = [
        (f, m)
        for f, m in imports(package)
        if m.startswith("servanda.storage")
        and not m.startswith(("servanda.storage.database.", "servanda.storage.migrate"))
    ]
    assert wrong == [], "go through a service (servanda.services) instead"


@pytest.mark.parametrize("package", DOMAIN)
def test_domain_packages_import_no_adapter_service_or_interface(package: str) -> None:
    outside = ("servanda.storage", "servanda.services", "servanda.api", "servanda.cli",
               "servanda.ingest", "servanda.reports")  # fmt: skip
    wrong = [(f, m) for f, m in imports(package) if m.startswith(outside)]
    assert wrong == []


def package_graph() -> dict[str, set[str]]:
    """Which top-level packages of servanda each one imports."""
    graph: dict[str, set[str]] = {}
    for path in SRC.iterdir():
        if not (path.is_dir() and (path / "__init__.py").exists()):
            continue
        found = {
            m.split(".")[1]
            for _, m in imports(path.name)
            if m.startswith("servanda.") and m.count(".") >= 1
        }
        graph[path.name] = found - {path.name}
    return graph


def test_packages_import_each_other_without_cycles() -> None:
    graph = package_graph()
    cycles: list[list[str]] = []

    def visit(node: str, trail: list[str]) -> None:
        for nxt in sorted(graph.get(node, ())):
            if nxt in trail:
                cycles.append([*trail[trail.index(nxt) :], nxt])
            elif nxt in graph and len(trail) < len(graph):
                visit(nxt, [*trail, nxt])

    for start in sorted(graph):
        visit(start, [start])
    assert cycles == [], "records below, what reads a whole declaration above (architecture.md)"


def test_record_packages_never_import_the_bundle() -> None:
    below = ("catalog", "calendars", "agreements", "events", "measure", "engagement", "accounting")
    wrong = [(f, m) for p in below for f, m in imports(p) if m.startswith("servanda.declared")]
    assert wrong == [], "ask for a protocol of the package's own (measure.declarations)"
