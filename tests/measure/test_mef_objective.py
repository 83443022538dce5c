"""Availability from a loss series by MEF 10.3, reached from configuration with C, n and Δt as
the objective's parameters (``mef: {loss_threshold, consecutive, interval}``).

Worked by hand from MEF 10.3's definitions, on ``globex-loss`` over 2 April 10:00–10:20 UTC,
one measurement per minute (Δt = 1 min): minutes 2–5 lose 20 % of their frames, every other
minute none. With C = 10 % and n = 3, minutes 2–5 are high-loss and four in a row reach n: the
service is unavailable from minute 2, and available again from minute 6 once 6, 7 and 8 are
three low-loss minutes in a row. 16 of 20 intervals available: 80 %. With n = 5 four high-loss
minutes never make it unavailable (they are four HLIs): 100 %. With C = 25 % no minute is
high-loss: 100 %. The office calendar has no maintenance that morning.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from servanda.config.loader import load_config
from servanda.measure.inputs import Measurement

from .test_objectives import CONFIG, EVIDENCE, at, measure, objective

START = at(2, 10)
END = START + timedelta(minutes=20)


def minute(k: int, lost_percent: int) -> Measurement:
    start = START + timedelta(minutes=k)
    return Measurement(series="globex-loss", start=start, at=start + timedelta(minutes=1),
                       good=100 - lost_percent, total=100)  # fmt: skip


LOSSY = tuple(minute(k, 20 if 2 <= k <= 5 else 0) for k in range(20))
EVIDENCE_LOSS = replace(EVIDENCE, measurements={**EVIDENCE.measurements, "globex-loss": LOSSY})


@pytest.mark.parametrize(
    ("mef", "available", "hli"),
    [
        ({"loss_threshold": "10%", "consecutive": 3, "interval": "1m"}, 16, 0),
        ({"loss_threshold": "10%", "consecutive": 5, "interval": "1m"}, 20, 4),
        ({"loss_threshold": "25%", "consecutive": 3}, 20, 0),
    ],
)
def test_c_n_and_delta_t_come_from_the_objective(
    mef: dict[str, Any], available: int, hli: int
) -> None:
    goal = objective(metric="availability", target="99%", series="globex-loss", mef=mef)
    r = measure(goal, START, END, now=END, evidence=EVIDENCE_LOSS)
    assert (r.numerator, r.denominator) == (Decimal(available), Decimal(20))
    assert dict(r.figures)["high-loss intervals (HLI)"] == str(hli)
    assert r.convention is not None
    assert f"C = {Decimal(mef['loss_threshold'][:-1])} % frame loss" in r.convention
    assert f"n = {mef['consecutive']}" in r.convention


def test_a_longer_interval_aggregates_the_frames() -> None:
    """Δt = 5 min: [10:00, 10:05) loses 60 of 500 (12 %), [10:05, 10:10) 20 of 500 (4 %); with
    C = 10 % and n = 1 the first interval is unavailable: 3 of 4."""
    goal = objective(metric="availability", target="99%", series="globex-loss",
                     mef={"loss_threshold": "10%", "consecutive": 1, "interval": "5m"})  # fmt: skip
    r = measure(goal, START, END, now=END, evidence=EVIDENCE_LOSS)
    assert (r.numerator, r.denominator) == (Decimal(3), Decimal(4))


def test_the_configuration_takes_mef_only_on_a_loss_series(tmp_path: Path) -> None:
    good = CONFIG.replace(
        "agreements:\n",
        "agreements:\n  - id: globex-loss-terms\n    level: service\n    provider: acme\n"
        "    customer: globex\n    service: internet\n    effective_from: 2024-01-01\n"
        "    objectives:\n      - {metric: availability, id: mef-availability, target: 99.9%,"
        " series: globex-loss, mef: {loss_threshold: 0.1%, consecutive: 10, interval: 1m}}\n",
        1,
    )
    path = tmp_path / "ok.yaml"
    path.write_text(good, encoding="utf-8")
    result = load_config([path])
    assert [str(p) for p in result.problems if "mef" in str(p) or "series" in str(p)] == []
    bad = good.replace("series: globex-loss, mef:", "mef:")
    path.write_text(bad, encoding="utf-8")
    problems = [p for p in load_config([path]).problems if p.path[-1:] == ("mef",)]
    assert len(problems) == 1
    assert "loss series" in problems[0].message
    worse = good.replace("consecutive: 10", "consecutive: 0")
    path.write_text(worse, encoding="utf-8")
    assert any("consecutive" in str(p) for p in load_config([path]).problems)


def test_the_document_says_how_mef_availability_is_measured() -> None:
    from servanda.documents.wording import mef_sentence

    mef = {"loss_threshold": "0.1%", "consecutive": 10, "interval": "1m"}
    goal = objective(metric="availability", target="99.9%", series="globex-loss", mef=mef)
    assert mef_sentence(goal) == (
        "Measured as MEF 10.3 availability from frame loss: time is cut into intervals of "
        "1 minute; an interval losing more than 0.1 % of its frames is high-loss; the service "
        "becomes unavailable after 10 high-loss intervals in a row and available again after "
        "10 others in a row; maintenance windows are left out."
    )
    assert mef_sentence(objective(metric="availability", target="99.9%")) is None
