"""Documents rendered from the declaration: the effective agreement in plain language, as
Markdown or HTML, and its burn-rate rules as a Prometheus rule file (:mod:`.prometheus`).

This package sits above every declared kind (it reads the whole
:class:`~servanda.declared.bundle.Bundle`), so the record packages below it never import it.

The agreement document is generated from the same records the engine evaluates, never from separate
text: :func:`build_document` turns an :class:`~servanda.agreements.effective.EffectiveAgreement`
and its :class:`~servanda.declared.bundle.Bundle` into a view-model of sentences and tables
(:mod:`.context`, wording in :mod:`.wording`), and the templates in ``templates/`` lay it out.
Output is deterministic: the only date in it is the agreement's ``on`` day.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Literal, get_args

import jinja2

from servanda.agreements.effective import EffectiveAgreement
from servanda.declared.bundle import Bundle
from servanda.documents.context import build_document
from servanda.documents.view import AgreementDocument

Format = Literal["md", "html"]
"""Document formats: Markdown or standalone HTML."""

FORMATS: tuple[str, ...] = get_args(Format)

__all__ = [
    "FORMATS",
    "AgreementDocument",
    "Format",
    "build_document",
    "render_agreement",
    "render_document",
]


def _autoescape(name: str | None) -> bool:
    return name is not None and name.endswith(".html.j2")


def md_cell(value: object) -> str:
    """Text safe inside a Markdown table cell: one line, pipes escaped."""
    text = " ".join(str(value).split())
    return text.replace("|", "\\|")


def paragraphs(value: object) -> list[str]:
    """Text split into paragraphs at blank lines, each on one line."""
    blocks = str(value).strip().split("\n\n")
    return [" ".join(b.split()) for b in blocks if b.strip()]


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """The template environment (HTML templates are autoescaped)."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("servanda.documents", "templates"),
        autoescape=_autoescape,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["md_cell"] = md_cell
    env.filters["paragraphs"] = paragraphs
    return env


def render_document(doc: AgreementDocument, fmt: Format = "md") -> str:
    """Lay out a built document as Markdown (``md``) or standalone HTML (``html``)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown document format {fmt!r}; use one of {', '.join(FORMATS)}")
    text = environment().get_template(f"agreement.{fmt}.j2").render(doc=doc)
    return _tidy(text)


def _tidy(text: str) -> str:
    """At most one blank line in a row, no trailing spaces, one final newline."""
    lines = [line.rstrip() for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n") + "\n"


def render_agreement(eff: EffectiveAgreement, bundle: Bundle, fmt: Format = "md") -> str:
    """The effective agreement ``eff`` as a document a customer can read.

    ``bundle`` supplies party and service names, calendars, subscriptions (charges) and, for a
    customer-level agreement, the service agreements of each subscribed service. Raises
    :class:`ValueError` for an unknown format.
    """
    return render_document(build_document(eff, bundle), fmt)
