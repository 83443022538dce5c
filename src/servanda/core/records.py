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


_makers: dict[type, Any] = {}
_FACTORY = object()
"""The default of a field made by a factory: the factory is called for each record."""


def _maker(cls: type) -> Any:
    """A function building ``cls`` from keyword arguments without validation, generated
    once per record type (as :mod:`dataclasses` generates ``__init__``): a keyword-only
    parameter per field, so Python itself reports an unknown or missing field."""
    found = _makers.get(cls)
    if found is not None:
        return found
    fields: dict[str, FieldInfo] = cls.__pydantic_fields__  # type: ignore[attr-defined]
    scope: dict[str, Any] = {"_new": object.__new__, "_set": object.__setattr__,
                             "_FACTORY": _FACTORY}  # fmt: skip
    params: list[str] = []
    body: list[str] = ["    _obj = _new(_cls)"]
    for n, (name, info) in enumerate(fields.items()):
        if not name.isidentifier() or name.startswith("_"):
            raise TypeError(f"{cls.__name__}: field {name!r} cannot be built without checks")
        if info.default_factory is not None:
            scope[f"_f{n}"] = info.default_factory
            params.append(f"{name}=_FACTORY")
            body.append(f"    if {name} is _FACTORY:\n        {name} = _f{n}()")
        elif info.is_required():
            params.append(name)
        else:
            scope[f"_d{n}"] = info.default
            params.append(f"{name}=_d{n}")
        body.append(f"    _set(_obj, {name!r}, {name})")
    source = "\n".join(
        [f"def make(_cls, *, {', '.join(params)}):", *body, "    return _obj"]
        if params
        else ["def make(_cls):", *body, "    return _obj"]
    )
    exec(compile(source, f"<trusted {cls.__qualname__}>", "exec"), scope)
    found = _makers[cls] = scope["make"]
    return found


def trusted(cls: type[T], **values: Any) -> T:
    """A record of type ``cls`` built from values already validated; no checks.

    Validation costs more than everything else on the hot paths (ingestion, correlation), and
    there the values come from validated payloads or records, so validating them again finds
    nothing. The caller answers for what validation would have done: values of the field's
    type (enums as members, tuples not lists), text already :func:`strip`-ped, timestamps
    aware, and the record's own cross-field checks. Missing fields get their defaults; only an
    unknown or missing field name is an error (:class:`TypeError`).
    """
    try:
        obj: T = _maker(cls)(cls, **values)
    except TypeError:
        fields = cls.__pydantic_fields__  # type: ignore[attr-defined]
        unknown = sorted(set(values) - set(fields))
        if unknown:
            raise TypeError(f"{cls.__name__}: unknown fields {unknown}") from None
        missing = sorted(n for n, f in fields.items() if f.is_required() and n not in values)
        if missing:
            raise TypeError(
                f"{cls.__name__}: missing field {', '.join(map(repr, missing))}"
            ) from None
        raise
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
