"""The one way domain records are declared.

A domain record is a frozen, slotted dataclass whose fields are validated by pydantic on
construction. Sequences are tuples, so nothing mutates a record in place; unknown fields are an
error, so a typo in a configuration file is reported instead of ignored.
"""

from __future__ import annotations

from typing import Any, TypeVar, dataclass_transform

from pydantic import ConfigDict, Field, TypeAdapter
from pydantic.dataclasses import dataclass
from pydantic.fields import FieldInfo
from pydantic_core import ArgsKwargs

T = TypeVar("T")

RECORD_CONFIG = ConfigDict(extra="forbid", str_strip_whitespace=True)


@dataclass_transform(frozen_default=True, field_specifiers=(Field,))
def record(cls: type[T]) -> type[T]:
    """Declare ``cls`` as an immutable, validated domain record."""
    return dataclass(frozen=True, slots=True, config=RECORD_CONFIG)(cls)  # type: ignore[return-value]


WHITESPACE = "".join(chr(c) for c in range(0x3001) if chr(c).isspace() and not 0x1C <= c <= 0x1F)
"""What ``str_strip_whitespace`` strips: Unicode's White_Space characters. Python's
:meth:`str.strip` also strips the separators U+001C to U+001F, which pydantic keeps."""


def strip(text: str) -> str:
    """``text`` stripped as a record's validation strips its text fields."""
    return text.strip(WHITESPACE)


_defaults: dict[type, tuple[tuple[str, Any], ...]] = {}


def _field_defaults(cls: type) -> tuple[tuple[str, Any], ...]:
    """``cls``'s fields with their defaults, as (name, default or factory) pairs."""
    found = _defaults.get(cls)
    if found is None:
        pairs: list[tuple[str, Any]] = []
        fields: dict[str, FieldInfo] = cls.__pydantic_fields__  # type: ignore[attr-defined]
        for name, info in fields.items():
            if info.default_factory is not None:
                pairs.append((name, _Factory(info.default_factory)))
            elif info.is_required():
                pairs.append((name, _REQUIRED))
            else:
                pairs.append((name, info.default))
        found = _defaults[cls] = tuple(pairs)
    return found


class _Factory:
    __slots__ = ("make",)

    def __init__(self, make: Any) -> None:
        self.make = make


_REQUIRED = object()


def trusted(cls: type[T], **values: Any) -> T:
    """A record of type ``cls`` built from values already validated; no checks.

    Validation costs more than everything else on the hot paths (ingestion, correlation), and
    there the values come from validated payloads or records, so validating them again finds
    nothing. The caller answers for what validation would have done: values of the field's
    type (enums as members, tuples not lists), text already :func:`strip`-ped, timestamps
    aware, and the record's own cross-field checks. Missing fields get their defaults; only an
    unknown or missing field name is an error (:class:`TypeError`).
    """
    obj = object.__new__(cls)
    used = 0
    for name, default in _field_defaults(cls):
        if name in values:
            value = values[name]
            used += 1
        elif default is _REQUIRED:
            raise TypeError(f"{cls.__name__}: missing field {name!r}")
        elif isinstance(default, _Factory):
            value = default.make()
        else:
            value = default
        object.__setattr__(obj, name, value)
    if used != len(values):
        known = {name for name, _ in _field_defaults(cls)}
        raise TypeError(f"{cls.__name__}: unknown fields {sorted(set(values) - known)}")
    return obj


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
