"""Golden SLA report: the hand-built report of ``sla_report_fixture`` as JSON and HTML,
compared byte for byte with ``tests/golden/reports/``.

After a deliberate change of wording, layout or charts, regenerate the expected files with

    SERVANDA_UPDATE_GOLDEN=1 .venv/bin/pytest tests/reports/test_sla_golden.py

and read the diff (open the HTML in a browser): this is what customers receive.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from servanda.reports.sla_html import render_sla_html
from servanda.reports.sla_json import report_from_json, report_to_json_text
from servanda.reports.sla_model import SlaReport

from .sla_report_fixture import sample_report

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "reports"
UPDATE = os.environ.get("SERVANDA_UPDATE_GOLDEN") == "1"

RENDERERS: dict[str, Callable[[SlaReport], str]] = {
    "sla-report.json": report_to_json_text,
    "sla-report.html": render_sla_html,
}


@pytest.mark.parametrize("name", sorted(RENDERERS))
def test_report_matches_golden(name: str) -> None:
    expected_file = GOLDEN / name
    actual = RENDERERS[name](sample_report())
    if UPDATE:
        expected_file.parent.mkdir(parents=True, exist_ok=True)
        expected_file.write_bytes(actual.encode("utf-8"))
    assert expected_file.exists(), f"missing {expected_file}: run with SERVANDA_UPDATE_GOLDEN=1"
    assert actual.encode("utf-8") == expected_file.read_bytes()


def test_the_golden_json_reads_back_to_the_report() -> None:
    data = json.loads((GOLDEN / "sla-report.json").read_text(encoding="utf-8"))
    assert report_from_json(data) == sample_report()


@pytest.mark.parametrize("name", sorted(RENDERERS))
def test_rendering_is_deterministic(name: str) -> None:
    assert RENDERERS[name](sample_report()) == RENDERERS[name](sample_report())
