"""Reading YAML documents while remembering where every value came from.

PyYAML composes the node tree (which carries line and column marks); the same tree is then
constructed into plain Python data. :class:`SourceDoc` keeps both, so a problem found later at
``agreements[0].objectives[1].target`` can be reported at its line and column.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import yaml

from servanda.core.problems import Location, Problem

PathPart = str | int
Path = tuple[PathPart, ...]


@dataclass(frozen=True)
class SourceDoc:
    """One YAML document: its data and the location of every value and key in it."""

    file: str
    data: Any
    marks: dict[Path, tuple[int, int]] = field(repr=False)
    """Path -> (line, column) of the value, both 1-based."""

    def locate(self, path: Path) -> Location:
        """The location of ``path``, or of its nearest ancestor that exists in the file."""
        for end in range(len(path), -1, -1):
            mark = self.marks.get(path[:end])
            if mark is not None:
                return Location(self.file, mark[0], mark[1])
        return Location(self.file)

    def problem(self, path: Path, message: str, **kwargs: Any) -> Problem:
        """A problem located at ``path`` in this document."""
        return Problem(message, self.locate(path), path, **kwargs)


def _index(
    node: yaml.Node,
    path: Path,
    marks: dict[Path, tuple[int, int]],
    problems: list[Problem],
    file: str,
) -> None:
    marks[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node)
            if key in seen:
                problems.append(
                    Problem(
                        f"key {key!r} appears twice in this mapping (first on line {seen[key]})",
                        Location(
                            file, key_node.start_mark.line + 1, key_node.start_mark.column + 1
                        ),
                        (*path, key),
                    )
                )
            seen[key] = key_node.start_mark.line + 1
            _index(value_node, (*path, key), marks, problems, file)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _index(item, (*path, i), marks, problems, file)


def read_yaml(text: str, file: str) -> tuple[list[SourceDoc], list[Problem]]:
    """Every document of a YAML stream, with the syntax problems found (then no documents)."""
    problems: list[Problem] = []
    docs: list[SourceDoc] = []
    try:
        nodes = list(yaml.compose_all(text, Loader=yaml.SafeLoader))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = Location(file, mark.line + 1, mark.column + 1) if mark else Location(file)
        context, start = exc.context, exc.context_mark
        if context and start is not None and start is not mark:
            # e.g. an unclosed quote is found at the end of the file: say where it opened
            context = f"{context} (from line {start.line + 1}, column {start.column + 1})"
        what = " ".join(part for part in (context, exc.problem) if part)
        return [], [Problem(f"YAML syntax error: {what}", where)]
    except yaml.YAMLError as exc:
        return [], [Problem(f"YAML error: {exc}", Location(file))]
    for node in nodes:
        if node is None:
            continue
        marks: dict[Path, tuple[int, int]] = {}
        _index(node, (), marks, problems, file)
        constructor = yaml.SafeLoader("")
        try:
            data = constructor.construct_document(node)
        except yaml.constructor.ConstructorError as exc:
            mark = exc.problem_mark
            where = Location(file, mark.line + 1, mark.column + 1) if mark else Location(file)
            problems.append(Problem(f"YAML error: {exc.problem}", where))
            continue
        docs.append(SourceDoc(file, data, marks))
    return docs, problems


def iter_items(doc: SourceDoc, section: str) -> Iterator[tuple[Path, Any]]:
    """The items of a top-level list ``section`` with their paths."""
    items = doc.data.get(section) if isinstance(doc.data, dict) else None
    if isinstance(items, list):
        for i, item in enumerate(items):
            yield (section, i), item
