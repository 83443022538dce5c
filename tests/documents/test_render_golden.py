"""Golden agreement documents: YAML fixtures → Markdown and HTML, compared byte for byte.

The fixtures under ``tests/golden/agreements/input`` are read through the real configuration
reader. After a deliberate change of wording or layout, regenerate the expected files with

    SERVANDA_UPDATE_GOLDEN=1 .venv/bin/pytest tests/documents/test_render_golden.py

and read the diff: the documents are what customers sign.
"""

from __future__ import annotations

import os
from datetime import date
from functools import cache
from html.parser import HTMLParser
from pathlib import Path

import pytest

from servanda.agreements.effective import effective_agreement
from servanda.config.loader import load_config
from servanda.declared.bundle import Bundle
from servanda.documents import Format, render_agreement

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "agreements"
UPDATE = os.environ.get("SERVANDA_UPDATE_GOLDEN") == "1"

CASES = {
    # name: (customer, service, on)
    "acme-internet-access": ("acme", "internet-access", date(2025, 4, 1)),
    "acme-internet-access-2025-03-01": ("acme", "internet-access", date(2025, 3, 1)),
    "acme-business-voice": ("acme", "business-voice", date(2025, 4, 1)),
    "acme": ("acme", None, date(2025, 4, 1)),
}
FORMATS: tuple[Format, ...] = ("md", "html")


@cache
def bundle() -> Bundle:
    result = load_config([GOLDEN / "input"])
    assert [str(p) for p in result.problems] == []
    return result.bundle


def render(name: str, fmt: Format) -> str:
    customer, service, on = CASES[name]
    eff = effective_agreement(bundle().agreements, "rhone-net", customer, service, on)
    return render_agreement(eff, bundle(), fmt)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("name", sorted(CASES))
def test_document_matches_golden(name: str, fmt: Format) -> None:
    expected_file = GOLDEN / "expected" / f"{name}.{fmt}"
    actual = render(name, fmt)
    if UPDATE:
        expected_file.parent.mkdir(parents=True, exist_ok=True)
        expected_file.write_bytes(actual.encode("utf-8"))
    assert expected_file.exists(), f"missing {expected_file}: run with SERVANDA_UPDATE_GOLDEN=1"
    assert actual.encode("utf-8") == expected_file.read_bytes()


def test_rendering_is_deterministic() -> None:
    for fmt in FORMATS:
        assert render("acme", fmt) == render("acme", fmt)


class _TagBalance(HTMLParser):
    """Records every element that is closed out of order or left open."""

    VOID = frozenset({"meta", "link", "br", "hr", "img", "input", "col"})

    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in self.VOID:
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.open[-1:] or 'nothing'}")
        else:
            self.open.pop()


@pytest.mark.parametrize("name", sorted(CASES))
def test_html_elements_are_balanced(name: str) -> None:
    parser = _TagBalance()
    parser.feed(render(name, "html"))
    parser.close()
    assert parser.errors == []
    assert parser.open == []
