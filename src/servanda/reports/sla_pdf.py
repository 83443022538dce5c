"""The SLA report as PDF: the HTML page of :mod:`~servanda.reports.sla_html` printed by
WeasyPrint on A4, charts included (they are inline SVG, so the PDF shows what the page shows).

WeasyPrint needs the Pango, HarfBuzz and fontconfig system libraries. When they cannot be
loaded, :func:`render_sla_pdf` raises :class:`~servanda.core.problems.ServandaError` saying
which library is missing and how to install it, instead of a loader traceback.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import re
import warnings
from collections.abc import Callable
from types import ModuleType

from servanda.core.problems import ServandaError
from servanda.reports.sla_html import render_sla_html
from servanda.reports.sla_model import SlaReport

__all__ = ["PdfUnavailable", "html_to_pdf", "load_weasyprint", "render_sla_pdf"]

SYSTEM_PACKAGES = (
    "libglib2.0-0 libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 libfontconfig1"
)
"""The Debian and Ubuntu packages that give WeasyPrint its libraries."""


class PdfUnavailable(ServandaError):
    """PDF cannot be produced on this machine (WeasyPrint or its libraries are missing)."""


def load_weasyprint(importer: Callable[[str], ModuleType] = importlib.import_module) -> ModuleType:
    """The ``weasyprint`` module, or :class:`PdfUnavailable` naming what is missing.

    ``importer`` imports a module by name (tests give one that fails).
    """
    banner = io.StringIO()
    try:
        # WeasyPrint prints a banner before failing, and warns that a future version will need
        # HarfBuzz-Subset where the system lacks it (it works without it today).
        with contextlib.redirect_stdout(banner), warnings.catch_warnings():
            warnings.filterwarnings("ignore", "HarfBuzz-Subset", DeprecationWarning)
            return importer("weasyprint")
    except ImportError as exc:
        raise PdfUnavailable(
            f"PDF reports need the Python package WeasyPrint, which is not installed ({exc}); "
            "install Servanda with its dependencies (pip install servanda)"
        ) from None
    except OSError as exc:
        found = re.search(r"library '([^']+)'", str(exc))
        missing = found.group(1) if found else str(exc)
        raise PdfUnavailable(
            f"PDF reports need the system library {missing}, which could not be loaded; "
            f"install Pango, HarfBuzz and fontconfig (on Debian or Ubuntu: apt-get install "
            f"{SYSTEM_PACKAGES})"
        ) from None


def html_to_pdf(html: str) -> bytes:
    """A self-contained HTML page printed to PDF."""
    weasyprint = load_weasyprint()
    pdf: bytes = weasyprint.HTML(string=html).write_pdf()
    return pdf


def render_sla_pdf(report: SlaReport) -> bytes:
    """The report as a PDF document (A4, one service per page at least)."""
    return html_to_pdf(render_sla_html(report))
