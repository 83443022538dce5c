"""``budgeting: timeslices`` is taken only where it is applied: availability (from outages or
good/total counts), good_ratio and packet_loss. Elsewhere ``servanda check`` refuses it at its
place rather than let it be ignored."""

from __future__ import annotations

from pathlib import Path

import pytest

from .test_series_config import BASE, load


def with_objective(objective: str) -> str:
    return BASE.replace(
        "      - {metric: latency, percentile: 95, target: 10ms}", f"      - {objective}"
    )


@pytest.mark.parametrize(
    "objective",
    [
        "{metric: availability, target: 99%, budgeting: timeslices, timeslice: 5m}",
        "{metric: weighted_availability, target: 99%, budgeting: timeslices, timeslice: 1h}",
        "{metric: good_ratio, target: 99%, budgeting: timeslices, timeslice: 5m}",
    ],
)
def test_sliced_objectives_are_accepted(tmp_path: Path, objective: str) -> None:
    assert [str(p) for p in load(tmp_path, with_objective(objective)).problems] == []


@pytest.mark.parametrize(
    ("objective", "metric"),
    [
        ("{metric: mttr, target: 4h, budgeting: timeslices, timeslice: 1d}", "mttr"),
        ("{metric: latency, percentile: 95, target: 10ms, budgeting: timeslices, "
         "timeslice: 5m}", "latency"),
        ("{metric: satisfaction, target: 4, budgeting: timeslices, timeslice: 1d}",
         "satisfaction"),
    ],
)  # fmt: skip
def test_budgeting_that_would_be_ignored_is_refused_at_its_place(
    tmp_path: Path, objective: str, metric: str
) -> None:
    problems = load(tmp_path, with_objective(objective)).problems
    assert len(problems) == 1, problems
    (p,) = problems
    assert p.path[-3:] == ("objectives", 0, "budgeting")
    assert p.location is not None
    assert p.location.line == 24  # the objective's line in BASE
    assert f"{metric} is measured over the whole period" in p.message
