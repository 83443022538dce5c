"""JSON documents from outside, decoded with a located problem instead of an exception.

orjson reads first: it is fast, and it refuses documents nested deeper than
:data:`MAX_DEPTH` levels with the line and column where they go too deep. What orjson refuses
for other reasons (``NaN``, integers over 64 bits, a byte order mark, lone surrogates) is read
again by the standard library, which accepts some of it and words the errors of the rest; its
recursion limit is caught too. So no input, however deep or broken, raises: the caller gets the
document, or a problem located ``file:line:column``.
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

from servanda.core.problems import Location, Problem
from servanda.ingest.generic import Path

MAX_DEPTH = 1024
"""Arrays and objects nest at most this deep (orjson's limit)."""
TOO_DEEP = f"invalid JSON: arrays and objects nest deeper than {MAX_DEPTH} levels"

_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)


def decode_json(
    data: bytes | bytearray | str, file: str = "<input>", path: Path = ()
) -> tuple[Any, list[Problem]]:
    """The document in ``data``, or None and one problem located at its line and column
    (under ``path``, e.g. ``("body",)``)."""
    try:
        return orjson.loads(data), []
    except orjson.JSONDecodeError as exc:
        if "depth" in exc.msg:
            return None, [Problem(TOO_DEEP, Location(file, exc.lineno, exc.colno), path)]
    try:
        return json.loads(data), []
    except UnicodeDecodeError as exc:
        return None, [Problem(f"not UTF-8 text ({exc.reason})", Location(file), path)]
    except json.JSONDecodeError as exc:
        where = Location(file, exc.lineno, exc.colno)
        return None, [Problem(f"invalid JSON: {exc.msg}", where, path)]
    except RecursionError:
        text = data if isinstance(data, str) else bytes(data).decode("utf-8", "replace")
        line, column = _position(text, _too_deep_at(text))
        return None, [Problem(TOO_DEEP, Location(file, line, column), path)]


def _too_deep_at(text: str, limit: int = MAX_DEPTH) -> int:
    """The offset of the first bracket nested deeper than ``limit`` (strings skipped)."""
    depth = 0
    for m in _TOKENS.finditer(text):
        char = m.group()
        if char in "[{":
            depth += 1
            if depth > limit:
                return m.start()
        elif char in "]}":
            depth -= 1
    return 0


def _position(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of ``offset`` in ``text``."""
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1
