"""Reading configuration files into a :class:`Bundle`, collecting every problem with its place.

A configuration file is YAML with top-level sections, each a list, one per declared kind
(:data:`~servanda.declared.bundle.KINDS`): ``parties``, ``calendars``, ``services``,
``components``, ``subscriptions``, ``agreements``, ``mappings`` (label-to-node rules for
events), ``series`` (declared measurement series) and the accounting kinds. A directory is
read recursively (``*.yaml`` and ``*.yml``, in name order). Nothing is stored here: this stage
turns text into records and problems; :mod:`servanda.config.checks` then checks what spans
records.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path as FsPath
from typing import Any

from pydantic import ValidationError

from servanda.config.yaml_source import Path, SourceDoc, read_yaml
from servanda.core.problems import Location, Problem
from servanda.core.records import adapter
from servanda.declared.bundle import KINDS, Bundle

SECTIONS: dict[str, type[Any]] = {k.section: k.record for k in KINDS}
"""Top-level sections of a configuration file (one per declared kind) and the record each
item becomes."""

CONFIG_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class Origin:
    """Where a record was declared."""

    doc: SourceDoc
    path: Path

    def problem(self, field_path: Path, message: str, **kwargs: Any) -> Problem:
        """A problem located at a field of the record."""
        return self.doc.problem((*self.path, *field_path), message, **kwargs)

    @property
    def location(self) -> Location:
        """The location of the record itself."""
        return self.doc.locate(self.path)


@dataclass
class ReadResult:
    """What reading produced: the bundle, where each record came from, and the problems."""

    bundle: Bundle = field(default_factory=Bundle)
    origins: dict[tuple[str, int], Origin] = field(default_factory=dict)
    """(section, index in the bundle's tuple) -> origin."""
    problems: list[Problem] = field(default_factory=list)
    files: list[str] = field(default_factory=list)

    def origin(self, section: str, index: int) -> Origin | None:
        """Where the ``index``-th record of ``section`` came from."""
        return self.origins.get((section, index))


def _clean_loc(loc: Sequence[Any]) -> Path:
    return tuple(part for part in loc if isinstance(part, int) or "[" not in str(part))


def validation_problems(exc: ValidationError, doc: SourceDoc, base: Path) -> list[Problem]:
    """Pydantic's errors as located problems."""
    out = []
    for err in exc.errors(include_url=False):
        path = (*base, *_clean_loc(err["loc"]))
        message = str(err["msg"]).removeprefix("Value error, ").removeprefix("Assertion failed, ")
        if err["type"] == "missing":
            message = "this field is required"
        elif err["type"] in ("extra_forbidden", "unexpected_keyword_argument"):
            message = f"unknown field {path[-1]!r}"
        out.append(doc.problem(path, message))
    return out


def discover(paths: Iterable[str | FsPath]) -> tuple[list[FsPath], list[Problem]]:
    """The configuration files named by ``paths`` (directories are searched recursively)."""
    files: list[FsPath] = []
    problems: list[Problem] = []
    for raw in paths:
        path = FsPath(raw)
        if path.is_dir():
            found = sorted(
                p for p in path.rglob("*") if p.suffix in CONFIG_SUFFIXES and p.is_file()
            )
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            problems.append(Problem("no such file or directory", Location(str(raw))))
    return files, problems


def read_documents(docs: Iterable[SourceDoc], result: ReadResult | None = None) -> ReadResult:
    """Validate the sections of already-parsed documents into records."""
    result = result or ReadResult()
    collected: dict[str, list[Any]] = {name: [] for name in SECTIONS}
    for doc in docs:
        if not isinstance(doc.data, dict):
            result.problems.append(
                doc.problem(
                    (), f"a configuration document is a mapping of sections ({', '.join(SECTIONS)})"
                )
            )
            continue
        for section, items in doc.data.items():
            record_type = SECTIONS.get(section)
            if record_type is None:
                result.problems.append(
                    doc.problem(
                        (section,),
                        f"unknown section {section!r}; sections are {', '.join(SECTIONS)}",
                    )
                )
                continue
            if items is None:
                continue
            if not isinstance(items, list):
                result.problems.append(doc.problem((section,), "a section is a list of items"))
                continue
            validator = adapter(record_type)
            for i, item in enumerate(items):
                try:
                    rec = validator.validate_python(item)
                except ValidationError as exc:
                    result.problems.extend(validation_problems(exc, doc, (section, i)))
                    continue
                result.origins[(section, len(collected[section]))] = Origin(doc, (section, i))
                collected[section].append(rec)
    result.bundle = Bundle.of(collected)
    return result


def read_paths(paths: Iterable[str | FsPath]) -> ReadResult:
    """Read configuration files and directories (no cross-record checks)."""
    files, problems = discover(paths)
    result = ReadResult(problems=problems)
    docs: list[SourceDoc] = []
    for path in files:
        name = str(path)
        result.files.append(name)
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            result.problems.append(Problem(f"not UTF-8 text: {exc.reason}", Location(name)))
            continue
        except OSError as exc:
            result.problems.append(Problem(f"cannot read: {exc.strerror}", Location(name)))
            continue
        file_docs, file_problems = read_yaml(text, name)
        result.problems.extend(file_problems)
        docs.extend(file_docs)
    return read_documents(docs, result)
