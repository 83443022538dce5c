"""What text an event source may send: label and annotation names, and text without NUL
characters or lone surrogates.

Servanda follows Alertmanager 0.25's validation of an alert (the version Debian ships as
``prometheus-alertmanager``): a label set is not empty, label and annotation names follow the
classic Prometheus rule ``^[a-zA-Z_][a-zA-Z0-9_]*$``, and values are valid UTF-8. JSON can
still escape a lone UTF-16 surrogate (``"\\ud800"``), which is no character at all, and the NUL
character (``"\\u0000"``), which PostgreSQL cannot store in text: both are refused wherever
they occur, on every backend, so a batch behaves the same on SQLite and PostgreSQL.

Sizes are bounded too (:data:`MAX_LABELS`, :data:`MAX_NAME`, :data:`MAX_VALUE`).

The rules are pydantic constraints checked in Rust (cheap on a 100,000-alert webhook); the
problems they raise are worded by :func:`rule_message`.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, StringConstraints

NAME_PATTERN = r"^[a-zA-Z_][a-zA-Z0-9_]*$"
"""Alertmanager 0.25's rule for label and annotation names (Prometheus' classic rule)."""
TEXT_PATTERN = r"^[^\x00]*$"
"""Text holds no NUL character."""

MAX_LABELS = 128
"""Labels (or annotations) one alert may carry."""
MAX_NAME = 256
"""Characters of a label or annotation name."""
MAX_VALUE = 16_384
"""Characters of any text a source sends: a label or annotation value, a summary (a long
description fits)."""

Text = Annotated[str, StringConstraints(pattern=TEXT_PATTERN, max_length=MAX_VALUE)]
"""Text from a source: no NUL character, no lone surrogate, at most :data:`MAX_VALUE`
characters."""
LabelName = Annotated[str, StringConstraints(pattern=NAME_PATTERN, max_length=MAX_NAME)]
"""A label or annotation name by :data:`NAME_PATTERN`."""
LabelSet = Annotated[dict[LabelName, Text], Field(max_length=MAX_LABELS)]
"""Labels (or annotations) as sent: valid names, text values, bounded in number and size
(Prometheus' own limits are configurable and unbounded by default; these are far above what
a rule writes, and keep one alert from filling the log)."""

EMPTY_LABELS = "an alert needs at least one label (Alertmanager refuses an empty label set)"


def printable(text: str) -> str:
    """``text`` with lone surrogates written as escapes, so it can be shown and encoded."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


def rule_message(error: Any) -> str | None:
    """The words for a pydantic error raised by one of these rules, or None for another."""
    kind = error["type"]
    if kind == "string_unicode":
        return "not valid Unicode text: it holds a lone surrogate (such as \\ud800)"
    if kind != "string_pattern_mismatch":
        return None
    pattern = error.get("ctx", {}).get("pattern")
    if pattern == TEXT_PATTERN:
        return "holds a NUL character (\\u0000), which cannot be stored"
    if pattern == NAME_PATTERN:
        name = printable(str(error.get("input", "")))
        return (
            f"invalid name {name!r}: label and annotation names must match {NAME_PATTERN} "
            "(Alertmanager 0.25's rule)"
        )
    return None
