"""A CGRateS tariff plan imported and rated as CGRateS rates it.

The expected costs are derived by hand from CGRateS' engine (engine/calldesc.go ``getCost``
and ``roundTimeSpansToIncrement``, engine/timespans.go ``createIncrementsSlice``,
engine/rateinterval.go ``GetCost``, utils/coreutils.go ``Round``): a call is cut into
timespans by timing and by ``GroupIntervalStart``, each timespan stretched to a whole number of
its ``RateIncrement``; a timespan costs ``Rate / RateUnit × duration`` rounded "middle" to
``rounding_decimals`` (5), each increment ``that / increments`` rounded again to 5, and the
timespan the increments' sum; the first timespan's ``ConnectFee`` is added, ``*free``
``MaxCost`` caps the total, and the total is rounded by the destination rate's
``RoundingMethod`` and ``RoundingDecimals``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pytest
from tests.cli.cli_support import run

from servanda.accounting.rating.rater import Rater
from servanda.ingest.cgrates import import_tariff_plan

PLAN = Path(__file__).resolve().parent / "cgrates"
TUESDAY = datetime(2024, 4, 2, 10, 0, tzinfo=UTC)
SATURDAY = datetime(2024, 4, 6, 10, 0, tzinfo=UTC)


def cost(start: datetime, seconds: int, destination: str) -> Decimal | None:
    found = import_tariff_plan(PLAN)
    assert found.problems == []
    table = pa.table(
        {
            "source": ["sw"], "record_id": ["1"], "account": ["1001"], "category": ["call"],
            "service": pa.nulls(1, pa.string()), "destination": [destination],
            "start": pa.array([start], pa.timestamp("us", tz="UTC")), "duration": [seconds],
        }
    )  # fmt: skip
    value: Decimal | None = (
        Rater(found.tariffs, found.profiles).rate_table(table).column("cost")[0].as_py()
    )
    return value


@pytest.mark.parametrize(
    ("start", "seconds", "destination", "expected"),
    [
        # RT_FIXED_PEAK: [0,60) one 60 s increment 0.02; [60,90) costs 0.01, each of its 30
        # increments round5(0.01/30) = 0.00033, so 0.0099; fee 0.05: 0.0799 (exact: 0.08)
        (TUESDAY, 90, "+33142000000", "0.0799"),
        # weekend, RT_FIXED_OFFPEAK (TM_ALWAYS): 3 s cost 0.0005; per increment
        # round5(0.0005/3) = 0.00017, × 3 = 0.00051; *up to 4 decimals: 0.0006 (exact: 0.0005)
        (SATURDAY, 3, "+33142000000", "0.0006"),
        # RT_MOBILE: 20 s stretched to the 30 s increment: 0.05; fee 0.03
        (TUESDAY, 20, "+33612345678", "0.0800"),
        # RT_MOBILE: 0.05 + 10 × round5(0.1/60 = 0.0016667) = 0.0167; fee 0.03: 0.0967
        (TUESDAY, 40, "+33612345678", "0.0967"),
        # RT_UK: 0.1 + 1200 × 0.25/60 = 5.1, *free MaxCost 3
        (TUESDAY, 1200, "+442071234567", "3.0000"),
        # evening (TM_OFFPEAK_EVENING from 19:00 on weekdays): 60 s cost 0.01, each second
        # round5(0.01/60) = 0.00017, × 60 = 0.0102 (exact: 0.01)
        (datetime(2024, 4, 2, 20, 0, tzinfo=UTC), 60, "+33142000000", "0.0102"),
        # a call of no duration costs nothing (getCost: no timespan, no connect fee)
        (TUESDAY, 0, "+33142000000", "0.0000"),
    ],
)
def test_the_imported_plan_rates_as_cgrates(
    start: datetime, seconds: int, destination: str, expected: str
) -> None:
    assert cost(start, seconds, destination) == Decimal(expected)


def test_what_cannot_be_mapped_is_reported_where_it_is(tmp_path: Path) -> None:
    for f in PLAN.iterdir():
        (tmp_path / f.name).write_text(f.read_text(encoding="utf-8"), encoding="utf-8")
    timings = tmp_path / "Timings.csv"
    timings.write_text(
        timings.read_text(encoding="utf-8") + "TM_XMAS,*any,12,25,*any,00:00:00\n", encoding="utf-8"
    )
    plans = tmp_path / "RatingPlans.csv"
    plans.write_text(
        plans.read_text(encoding="utf-8")
        + "RP_RETAIL,DR_FIXED_OFFPEAK,TM_XMAS,30\nRP_RETAIL,DR_NOPE,*any,10\n",
        encoding="utf-8",
    )
    found = import_tariff_plan(tmp_path)
    said = [(p.message, p.location.line) for p in found.problems]
    assert ("timings restricted to years, months or days of the month are not imported", 5) in said
    assert ("unknown destination rate 'DR_NOPE'", 8) in said


def test_the_command_writes_tariffs_servanda_checks(tmp_path: Path) -> None:
    out = tmp_path / "tariffs.yaml"
    done = run("tariffs", "import-cgrates", PLAN, "--out", out)
    assert done.exit_code == 0, done.stdout
    checked = run("check", out)
    assert checked.exit_code == 0, checked.stdout
    assert "1 tariff versions, 1 rating profiles" in checked.stdout
