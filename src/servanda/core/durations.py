"""Durations as people write them: ``90s``, ``30m``, ``2h``, ``1h30m``, ``7d``, ``2w``.

ISO 8601 durations (``PT2H``, ``P1D``) and plain numbers of seconds are accepted as well. Months
and years are not durations (their length varies); agreements name them as periods instead.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer

_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_SHORT = re.compile(r"(\d+(?:\.\d+)?)\s*([smhdw])")
_ISO = re.compile(
    r"P(?:(?P<w>\d+)W)?(?:(?P<d>\d+)D)?"
    r"(?:T(?:(?P<h>\d+(?:\.\d+)?)H)?(?:(?P<m>\d+(?:\.\d+)?)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?"
)


def parse_duration(value: Any) -> timedelta:
    """Parse a duration, raising :class:`ValueError` with a readable message."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, bool):
        raise ValueError(f"not a duration: {value!r}")
    if isinstance(value, int | float):
        if value < 0:
            raise ValueError(f"a duration cannot be negative: {value!r}")
        return timedelta(seconds=value)
    if not isinstance(value, str):
        raise ValueError(f"not a duration: {value!r}")
    text = value.strip().replace(" ", "")
    if text.startswith("P"):
        m = _ISO.fullmatch(text)
        if m is None or text in ("P", "PT"):
            raise ValueError(f"not an ISO 8601 duration: {value!r}")
        parts = {k: float(v) for k, v in m.groupdict().items() if v}
        return timedelta(
            weeks=parts.get("w", 0),
            days=parts.get("d", 0),
            hours=parts.get("h", 0),
            minutes=parts.get("m", 0),
            seconds=parts.get("s", 0),
        )
    pos = 0
    total = 0.0
    for m in _SHORT.finditer(text):
        if m.start() != pos:
            break
        total += float(m.group(1)) * _UNIT_SECONDS[m.group(2)]
        pos = m.end()
    if pos != len(text) or not text:
        raise ValueError(
            f"not a duration: {value!r} (write e.g. 90s, 30m, 2h, 1h30m, 7d, 2w or PT2H)"
        )
    return timedelta(seconds=total)


def format_duration(value: timedelta) -> str:
    """Format a duration the short way, e.g. ``1h30m``; the inverse of :func:`parse_duration`."""
    seconds = int(value.total_seconds())
    if seconds == 0:
        return "0s"
    out = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        amount, seconds = divmod(seconds, size)
        if amount:
            out.append(f"{amount}{unit}")
    return "".join(out)


Duration = Annotated[
    timedelta,
    BeforeValidator(parse_duration),
    PlainSerializer(format_duration, return_type=str, when_used="json"),
]
"""A :class:`~datetime.timedelta` field that accepts the forms above and dumps as ``1h30m``."""
