"""OpenSLO objects as read from YAML: kind, name, data and where each one sits in its file.

A file holds one object per YAML document, or (as the OpenSLO Go SDK writes them) a YAML list
of objects in one document; both are read. Every object keeps its :class:`SourceDoc` and its
path inside it, so anything said about it later is located at its line and column.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from servanda.config.yaml_source import Path, SourceDoc, read_yaml
from servanda.core.problems import Problem, Severity

KINDS = (
    "SLO",
    "SLI",
    "Service",
    "DataSource",
    "AlertPolicy",
    "AlertCondition",
    "AlertNotificationTarget",
)
"""The kinds of OpenSLO v1, spelled as the specification spells them."""

V1 = "openslo/v1"
V1ALPHA = "openslo/v1alpha"


@dataclass
class Findings:
    """What an import has to say, sorted into three lists of located problems."""

    warnings: list[Problem] = field(default_factory=list)
    """Liberties taken: input read in a way the specification does not spell out."""
    unmapped: list[Problem] = field(default_factory=list)
    """What was read but has no Servanda equivalent, so it is not in the result."""
    errors: list[Problem] = field(default_factory=list)
    """Malformed input; the object (or objective) concerned is left out."""

    def warn(self, obj: OsloObject, path: Path, message: str) -> None:
        """Record a liberty taken at ``path`` inside ``obj``."""
        self.warnings.append(obj.problem(path, message, severity=Severity.WARNING))

    def unmap(self, obj: OsloObject, path: Path, message: str) -> None:
        """Record something at ``path`` inside ``obj`` that is not imported."""
        self.unmapped.append(obj.problem(path, message, severity=Severity.WARNING))

    def error(self, obj: OsloObject, path: Path, message: str) -> None:
        """Record malformed input at ``path`` inside ``obj``."""
        self.errors.append(obj.problem(path, message))


@dataclass(frozen=True)
class OsloObject:
    """One OpenSLO object (``apiVersion``, ``kind``, ``metadata``, ``spec``)."""

    doc: SourceDoc
    """The YAML document it was read from."""
    base: Path
    """Its path inside the document: ``()``, or ``(i,)`` for the i-th item of a list."""
    kind: str
    """The kind, normalised to the specification's spelling when recognised."""
    name: str
    """``metadata.name`` (empty when missing)."""
    version: str
    """``apiVersion`` as written (``openslo/v1`` when missing)."""
    data: dict[str, Any]
    """The whole object."""

    def problem(self, path: Path, message: str, **kwargs: Any) -> Problem:
        """A problem located at ``path`` inside this object."""
        return self.doc.problem((*self.base, *path), message, **kwargs)

    @property
    def metadata(self) -> dict[str, Any]:
        """``metadata``, or an empty mapping."""
        value = self.data.get("metadata")
        return value if isinstance(value, dict) else {}

    @property
    def spec(self) -> dict[str, Any]:
        """``spec``, or an empty mapping."""
        value = self.data.get("spec")
        return value if isinstance(value, dict) else {}

    @property
    def display_name(self) -> str:
        """``metadata.displayName``, or the name when there is none."""
        shown = self.metadata.get("displayName")
        return shown.strip() if isinstance(shown, str) and shown.strip() else self.name

    @property
    def label(self) -> str:
        """``SLO 'search-slo'``: how messages name this object."""
        return f"{self.kind} {self.name!r}" if self.name else self.kind


def _kind(value: str) -> str:
    for known in KINDS:
        if value.lower() == known.lower():
            return known
    return value


def _object(doc: SourceDoc, base: Path, data: Any, found: Findings) -> OsloObject | None:
    if not isinstance(data, dict):
        found.errors.append(
            doc.problem(
                base,
                "an OpenSLO object is a mapping with apiVersion, kind, metadata and spec, "
                f"not {type(data).__name__}",
            )
        )
        return None
    kind = data.get("kind")
    if not isinstance(kind, str) or not kind.strip():
        found.errors.append(doc.problem((*base, "kind"), "kind is required (SLO, SLI, Service, …)"))
        return None
    metadata = data.get("metadata")
    name = metadata.get("name") if isinstance(metadata, dict) else None
    version = data.get("apiVersion")
    obj = OsloObject(
        doc=doc,
        base=base,
        kind=_kind(kind.strip()),
        name=name.strip() if isinstance(name, str) else "",
        version=version.strip() if isinstance(version, str) else V1,
        data=data,
    )
    if version is None:
        found.warn(obj, (), f"{obj.label} has no apiVersion; read as {V1}")
    elif not isinstance(version, str):
        found.error(obj, ("apiVersion",), f"apiVersion must be text, e.g. {V1}")
        return None
    elif obj.version.lower() not in (V1, V1ALPHA):
        if not obj.version.lower().startswith("openslo"):
            found.unmap(
                obj,
                ("apiVersion",),
                f"{obj.label}: apiVersion {obj.version!r} is not OpenSLO; object skipped",
            )
            return None
        found.warn(
            obj,
            ("apiVersion",),
            f"{obj.label}: apiVersion {obj.version!r} is not {V1}; read with the {V1} schema",
        )
    elif obj.version.lower() == V1ALPHA:
        found.warn(
            obj,
            ("apiVersion",),
            f"{obj.label}: apiVersion {obj.version!r} read with "
            f"the {V1} schema (v1alpha timeWindows and objectives' ratioMetrics are "
            "translated)",
        )
    elif obj.version != obj.version.lower():
        found.warn(
            obj,
            ("apiVersion",),
            f"apiVersion {obj.version!r} read as "
            f"{obj.version.lower()!r} (OpenSLO versions are lower case)",
        )
    if obj.kind != kind.strip():
        found.warn(obj, ("kind",), f"kind {kind!r} read as {obj.kind!r}")
    if metadata is not None and not isinstance(metadata, dict):
        found.error(obj, ("metadata",), "metadata must be a mapping with a name")
        return None
    if name is not None and not isinstance(name, str):
        found.error(obj, ("metadata", "name"), "metadata.name must be text")
        return None
    return obj


def read_objects(texts: Iterable[tuple[str, str]], found: Findings) -> list[OsloObject]:
    """Every OpenSLO object in ``texts`` (``(filename, text)`` pairs), in file order."""
    objects: list[OsloObject] = []
    for filename, text in texts:
        docs, problems = read_yaml(text, filename)
        found.errors.extend(problems)
        for doc in docs:
            items: list[tuple[Path, Any]]
            if isinstance(doc.data, list):
                items = [((i,), item) for i, item in enumerate(doc.data)]
            else:
                items = [((), doc.data)]
            for base, data in items:
                obj = _object(doc, base, data, found)
                if obj is not None:
                    objects.append(obj)
    return objects


def index_by_name(
    objects: Iterable[OsloObject], kind: str, found: Findings
) -> dict[str, OsloObject]:
    """The objects of ``kind`` by name; a second object with the same name is reported and
    left out (references resolve to the first)."""
    index: dict[str, OsloObject] = {}
    for obj in objects:
        if obj.kind != kind or not obj.name:
            continue
        first = index.get(obj.name)
        if first is not None:
            found.warn(
                obj,
                ("metadata", "name"),
                f"a second {obj.label}; references to it "
                f"resolve to the first, at {first.problem((), '').location}",
            )
            continue
        index[obj.name] = obj
    return index
