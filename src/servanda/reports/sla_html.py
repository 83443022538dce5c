"""The SLA report as one self-contained HTML page: no script, no external asset, printable on
A4 (each service starts a new page).

:func:`render_sla_html` builds the view-model (:mod:`~servanda.reports.sla_view`) and lays it
out with ``templates/sla_report.html.j2`` (autoescaped; the inline SVG charts are escaped when
they are drawn). The output is deterministic: the only dates in it are the report's own.
"""

from __future__ import annotations

import re
from functools import lru_cache

import jinja2

from servanda.documents.wording import capitalize
from servanda.reports.sla_model import SlaReport
from servanda.reports.sla_view import ReportView, build_view

__all__ = ["environment", "render_sla_html", "render_view"]


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """The template environment (autoescaped, undefined names are errors)."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("servanda.reports", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["cap"] = capitalize
    return env


def _tidy(text: str) -> str:
    """At most one blank line in a row, no trailing spaces, one final newline."""
    lines = [line.rstrip() for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n") + "\n"


def render_view(view: ReportView) -> str:
    """Lay out a built view-model as HTML."""
    return _tidy(environment().get_template("sla_report.html.j2").render(doc=view))


def render_sla_html(report: SlaReport) -> str:
    """The report as a standalone HTML page a customer can read and print."""
    return render_view(build_view(report))
