"""The PDF report: a real PDF with a page per section at least, the customer's figures in its
text, and a clear error when WeasyPrint cannot load its libraries."""

from __future__ import annotations

import io
from types import ModuleType

import pytest
from pypdf import PdfReader

from servanda.core.problems import ServandaError
from servanda.reports.sla_pdf import PdfUnavailable, load_weasyprint, render_sla_pdf

from .sla_report_fixture import sample_report


@pytest.fixture(scope="module")
def pdf() -> bytes:
    return render_sla_pdf(sample_report())


def test_it_is_a_pdf(pdf: bytes) -> None:
    assert pdf.startswith(b"%PDF-")
    assert pdf.rstrip().endswith(b"%%EOF")


def test_each_section_starts_a_page(pdf: bytes) -> None:
    reader = PdfReader(io.BytesIO(pdf))
    sections = len(sample_report().sections)
    # The summary, then each section on its own page(s), then credits, feedback and reviews.
    assert len(reader.pages) >= sections + 1
    starts = [
        n
        for n, p in enumerate(reader.pages)
        for name in ("Internet Access", "Business Voice", "All services")
        if (p.extract_text() or "").lstrip().startswith(name)
    ]
    assert len(starts) == sections


def test_the_text_holds_the_customer_and_the_first_figures(pdf: bytes) -> None:
    text = " ".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(pdf)).pages)
    flat = " ".join(text.split())
    assert "Acme Logistics" in flat
    first = flat.split("Summary", 1)[1]
    # The first objective: Internet Access availability, at least 99.5 %, 99.651 % measured.
    assert "at least 99.5 %" in first
    assert "99.651 %" in first
    assert "Availability = (T − P − U) / (T − P)" in flat


def _failing(error: Exception) -> object:
    def importer(name: str) -> ModuleType:
        print("----- WeasyPrint could not import some external libraries -----")
        raise error

    return importer


def test_missing_system_libraries_are_named(capsys: pytest.CaptureFixture[str]) -> None:
    error = OSError(
        "cannot load library 'libpango-1.0-0': libpango-1.0-0: cannot open shared object "
        "file: No such file or directory"
    )
    with pytest.raises(PdfUnavailable) as caught:
        load_weasyprint(_failing(error))  # type: ignore[arg-type]
    message = str(caught.value)
    assert "system library libpango-1.0-0" in message
    assert "apt-get install" in message
    assert isinstance(caught.value, ServandaError)
    assert caught.value.__suppress_context__
    assert capsys.readouterr().out == ""


def test_a_missing_package_is_named() -> None:
    with pytest.raises(PdfUnavailable, match="WeasyPrint, which is not installed"):
        load_weasyprint(_failing(ModuleNotFoundError("No module named 'weasyprint'")))  # type: ignore[arg-type]


def test_weasyprint_loads_here() -> None:
    assert hasattr(load_weasyprint(), "HTML")
