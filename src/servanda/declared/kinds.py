"""The registry of declared kinds: every kind of record a provider declares in YAML.

A declared kind is a section of a configuration file (``services:``, ``tariffs:`` …), the
record type each item of it becomes, the key that identifies one record (and one version of
it), and how it is stored. The :class:`~servanda.declared.bundle.Bundle` holds one tuple per
kind, and its fields *are* the registry: :data:`KINDS` is read off them. The reader, the
duplicate check, the bundle's merging and the storage of declarations all iterate over
:data:`KINDS`, so adding a kind is one field on the bundle (and the checks that are particular
to it, if any).

Storage is either a table of the kind's own (the catalog and agreements, whose rows other
tables point at with foreign keys) or the shared table of declared documents
(:attr:`Storage.DOCUMENT`): the record as JSON under its kind and key, with its content hash,
which needs no new table or migration.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from enum import StrEnum
from typing import Any


class Storage(StrEnum):
    """Where a declared kind's records are stored."""

    OWN_TABLE = "own_table"
    """A table of its own (other tables refer to its rows)."""
    DOCUMENT = "document"
    """The shared table of declared documents: kind, key, record as JSON, content hash."""


@dataclass(frozen=True, slots=True)
class DeclaredKind:
    """One kind of declared record."""

    record: type[Any]
    """The record type each item becomes."""
    noun: str
    """What one record is called in messages (``tariff version``)."""
    key: Callable[[Any], Any] | None
    """The key of one record: two records of a bundle may not share it. None for a kind
    that is an ordered list (mapping rules: the position is the key)."""
    describe_key: Callable[[Any], str] | None = None
    """The key as a reader sees it in a message (``pstn from 2024-01-01``); by default the
    key itself as text."""
    storage: Storage = Storage.DOCUMENT
    """Where its records are stored."""
    namespace: str | None = None
    """The key space it shares with other kinds (services and components are both
    ``node``s: one id names one of them); None: its own."""
    summary: str = ""
    """One line saying what the kind declares."""
    plural: str = ""
    """What several records are called in a summary; by default the section's words."""
    section: str = ""
    """Its section in a configuration file and its field on the bundle (``tariffs``), set
    from the bundle's field name."""

    def counted(self, n: int) -> str:
        """``16 agreement versions``."""
        return f"{n} {self.plural or self.section.replace('_', ' ')}"

    def described(self, rec: Any) -> str:
        """The key of ``rec`` as a reader sees it."""
        if self.describe_key is not None:
            return self.describe_key(rec)
        return str(self.key(rec)) if self.key is not None else ""

    def duplicates(self, records: tuple[Any, ...]) -> list[tuple[str, int]]:
        """``(described key, count)`` of every key ``records`` hold more than once, in the
        order each key first appears."""
        if self.key is None:
            return []
        counts: dict[Any, int] = {}
        first: dict[Any, Any] = {}
        for rec in records:
            key = self.key(rec)
            counts[key] = counts.get(key, 0) + 1
            first.setdefault(key, rec)
        return [(self.described(first[k]), n) for k, n in counts.items() if n > 1]


def declared(kind: DeclaredKind) -> Any:
    """A bundle field holding the records of ``kind`` (none by default)."""
    return field(default=(), metadata={"kind": kind})


def kinds_of(bundle_type: type[Any]) -> tuple[DeclaredKind, ...]:
    """The declared kinds of a bundle class, in field order (the order records are read,
    checked and stored in), each with its section set to the field's name."""
    return tuple(
        replace(f.metadata["kind"], section=f.name)
        for f in fields(bundle_type)
        if "kind" in f.metadata
    )
