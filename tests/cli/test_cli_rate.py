"""``servanda rate``: the example's tariffs on a usage file, in every format, with the bad
rows reported where they are and the stream's memory flat."""

from __future__ import annotations

import csv
import json
from decimal import Decimal
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from tests.cli.cli_support import EXAMPLE, ok, ok_json, run

USAGE = """\
source,record_id,account,category,destination,start,duration
sw1,1,quai-capital,call,+33142000000,2024-04-02T10:00:00+02:00,30
sw1,2,quai-capital,call,+33612345678,2024-04-02T18:59:00+02:00,125.5
sw1,3,quai-capital,call,+33800123456,2024-04-02T10:00:00+02:00,600
sw1,4,quai-capital,call,+12125550100,2024-04-02T10:00:00+02:00,7200
sw1,5,quai-capital,call,+99999,2024-04-02T10:00:00+02:00,60
sw1,6,quai-capital,call,+33142000000,yesterday,60
"""

EXPECTED = {
    "1": Decimal("0.0480"),  # 0.03 + one 60 s block at 0.018
    "2": Decimal("0.2085"),  # 0.03 + 30 s block (0.0425) + 96 s × 0.085/60 (0.136)
    "3": Decimal("0.0000"),  # freephone: the caller pays nothing
    "4": Decimal("40.0000"),  # 0.10 + 120 min × 0.45 = 54.10, capped (disconnect) at 40
    "5": None,
    "6": None,
}


@pytest.fixture
def usage(tmp_path: Path) -> Path:
    path = tmp_path / "usage.csv"
    path.write_text(USAGE, encoding="utf-8")
    return path


@pytest.mark.parametrize("suffix", [".parquet", ".csv", ".jsonl"])
def test_rate_writes_every_format(usage: Path, tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"rated{suffix}"
    summary = ok_json(
        "rate", "--tariffs", EXAMPLE, "--usage", usage, "--out", out, "--format", "json"
    )
    assert summary["records"] == 6
    assert summary["rated"] == 4
    assert summary["cost"] == {"EUR": "40.2565"}
    assert summary["disconnected"] == 1
    assert any(
        r.startswith(f"{usage}:7: start: cannot read 'yesterday'") for r in summary["not_rated"]
    )
    if suffix == ".parquet":
        rows = pq.read_table(out).to_pylist()
        costs = {r["record_id"]: r["cost"] for r in rows}
    elif suffix == ".jsonl":
        rows = [json.loads(line) for line in out.read_text().splitlines()]
        costs = {r["record_id"]: r["cost"] and Decimal(r["cost"]) for r in rows}
    else:
        with out.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
        costs = {r["record_id"]: Decimal(r["cost"]) if r["cost"] else None for r in rows}
        for r in rows:
            if r["parts"]:
                parts = sum(Decimal(p["amount"]) for p in json.loads(r["parts"]))
                extras = sum(Decimal(r[k]) for k in ("connect_fee", "adjustment", "rounding"))
                assert parts + extras == Decimal(r["cost"])
    assert costs == EXPECTED


def test_a_rated_file_can_be_rated_again(usage: Path, tmp_path: Path) -> None:
    first = tmp_path / "once.parquet"
    ok("rate", "--tariffs", EXAMPLE, "--usage", usage, "--out", first)
    second = tmp_path / "twice.parquet"
    ok("rate", "--tariffs", EXAMPLE, "--usage", first, "--out", second, "--batch", "2")
    assert pq.read_table(first).column("cost") == pq.read_table(second).column("cost")


def test_bad_tariffs_are_located_and_nothing_is_written(usage: Path, tmp_path: Path) -> None:
    broken = tmp_path / "tariffs.yaml"
    broken.write_text(
        "tariffs:\n  - id: x\n    active_from: 2024-01-01T00:00:00Z\n    currency: EURO\n"
        "    rates: []\n",
        encoding="utf-8",
    )
    out = tmp_path / "rated.csv"
    result = run("rate", "--tariffs", broken, "--usage", usage, "--out", out)
    assert result.exit_code == 1
    assert f"{broken}:4:15: tariffs[0].currency" in result.stdout + result.stderr
    assert not out.exists()


def test_a_file_without_the_required_columns_is_refused(tmp_path: Path) -> None:
    usage = tmp_path / "usage.csv"
    usage.write_text("source,record_id\nsw,1\n", encoding="utf-8")
    result = run("rate", "--tariffs", EXAMPLE, "--usage", usage, "--out", tmp_path / "o.csv")
    assert result.exit_code == 1
    assert "missing column(s) account, category, start" in result.stdout + result.stderr
