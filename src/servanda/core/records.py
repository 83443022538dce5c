"""The one way domain records are declared.

A domain record is a frozen, slotted dataclass whose fields are validated by pydantic on
construction. Sequences are tuples, so nothing mutates a record in place; unknown fields are an
error, so a typo in a configuration file is reported instead of ignored.
"""

from __future__ import annotations

from typing import Any, TypeVar, dataclass_transform

from pydantic import ConfigDict, Field, TypeAdapter
from pydantic.dataclasses import dataclass
from pydantic_core import ArgsKwargs

T = TypeVar("T")

RECORD_CONFIG = ConfigDict(extra="forbid", str_strip_whitespace=True)


@dataclass_transform(frozen_default=True, field_specifiers=(Field,))
def record(cls: type[T]) -> type[T]:
    """Declare ``cls`` as an immutable, validated domain record."""
    return dataclass(frozen=True, slots=True, config=RECORD_CONFIG)(cls)  # type: ignore[return-value]


_adapters: dict[Any, TypeAdapter[Any]] = {}


def adapter(tp: type[T]) -> TypeAdapter[T]:
    """A cached :class:`pydantic.TypeAdapter` for ``tp``."""
    found = _adapters.get(tp)
    if found is None:
        found = _adapters[tp] = TypeAdapter(tp)
    return found


def to_jsonable(value: Any, tp: Any | None = None) -> Any:
    """Dump a record (or any value of type ``tp``) to JSON-compatible Python data."""
    return adapter(tp if tp is not None else type(value)).dump_python(value, mode="json")


def from_jsonable(tp: type[T], data: Any) -> T:
    """Build a ``tp`` from JSON-compatible data, validating it."""
    return adapter(tp).validate_python(data)


def input_fields(data: Any) -> dict[str, Any] | None:
    """The fields of a record's raw input as a dict, whether it came from a mapping (YAML, JSON)
    or from keyword arguments in Python; None for any other input (e.g. a YAML shorthand).

    Before-validators of records use it so that ``Objective(metric=..., target=...)`` gets the
    same defaults and shorthands as the same objective written in YAML.
    """
    if isinstance(data, dict):
        return dict(data)
    if isinstance(data, ArgsKwargs) and not data.args:
        return dict(data.kwargs or {})
    return None
