"""Availability of many agreements over one month, plain and experience-weighted.

Run with ``python bench/bench_evaluate.py`` (``--help`` for options). It prints figures and
never fails on timing.

The scenario: 10,000 service agreements (groups) evaluated over April 2024 under the default
``exclude`` convention, each on one of five business-hours calendars (Mon–Fri 08:00–18:00 in
Europe/Paris, America/New_York, Asia/Tokyo, Europe/London and Europe/Berlin, each with its
country's public holidays; the London one with a weekly maintenance window on Tuesday
07:00–09:00 and a critical window every weekday 09:00–10:00 of weight 5, the Berlin one with a
month-end critical window). Outages are scattered at random over the month: 1 minute to 4
hours long (median about 5 minutes), one in five partial (a quarter or a half), one in twenty
planned.

Figures:

* the headline: 1,000,000 outages, calendars expanded from cold (every expansion cache
  emptied first), plain and weighted availability of every group;
* how the time grows with the number of outages (10k … 3M): wall time, CPU time of this
  process (steadier on a shared machine), and nanoseconds per outage;
* a baseline in the same run: a straightforward per-group implementation (a Python sweep over
  each group's sorted boundaries, each segment measured with ``IntervalSet`` clips) on the
  first 1,000 groups, scaled to all outages, with the speed-up and the largest difference
  between the two results.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from servanda.agreements.model import ExcludedTime
from servanda.calendars import expand, holiday_dates, localtime, recurrence
from servanda.calendars.model import Calendar
from servanda.core.records import from_jsonable
from servanda.measure import availability as av
from servanda.measure.periods import parse_period

MINUTE = 60_000_000
MONTH = "2024-04"
BUSINESS = {"mon-fri": "08:00-18:00"}


def calendars() -> list[Calendar]:
    """Five business-hours calendars with national holidays, maintenance and critical windows."""
    raw: list[dict[str, Any]] = [
        {"id": "paris", "timezone": "Europe/Paris", "holidays": {"country": "FR"}},
        {"id": "new-york", "timezone": "America/New_York", "holidays": {"country": "US"}},
        {"id": "tokyo", "timezone": "Asia/Tokyo", "holidays": {"country": "JP"}},
        {
            "id": "london",
            "timezone": "Europe/London",
            "holidays": {"country": "GB"},
            "maintenance": [
                {
                    "id": "tuesday",
                    "reason": "weekly changes",
                    "start": "2024-01-02T07:00:00",
                    "duration": "2h",
                    "rrule": "FREQ=WEEKLY;BYDAY=TU",
                }
            ],
            "critical": [
                {
                    "id": "opening",
                    "weight": 5,
                    "start": "2024-01-01T09:00:00",
                    "duration": "1h",
                    "rrule": "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR",
                }
            ],
        },
        {
            "id": "berlin",
            "timezone": "Europe/Berlin",
            "holidays": {"country": "DE", "subdivision": "BY"},
            "critical": [
                {
                    "id": "month-end",
                    "weight": 10,
                    "start": "2024-01-31T08:00:00",
                    "duration": "10h",
                    "rrule": "FREQ=MONTHLY;BYMONTHDAY=-1",
                }
            ],
        },
    ]
    return [from_jsonable(Calendar, {"service_hours": BUSINESS, **c}) for c in raw]


def clear_caches() -> None:
    """Empty every cache calendar expansion keeps, so the next expansion starts cold."""
    for module in (expand, holiday_dates, localtime, recurrence):
        for value in vars(module).values():
            if callable(getattr(value, "cache_clear", None)):
                value.cache_clear()
    av.expand_schedule.cache_clear()


def schedules(cals: list[Calendar]) -> list[av.Schedule]:
    """Each calendar over April 2024 in its own timezone."""
    found = []
    for c in cals:
        period = parse_period(MONTH, c.timezone)
        found.append(av.expand_schedule(c, period.start, period.end))
    return found


def random_outages(
    rng: np.random.Generator, n: int, groups: int, lo: int, hi: int
) -> av.OutageColumns:
    """``n`` outages over ``[lo, hi)``: 1 min to 4 h (median 5 min), 20 % partial, 5 % planned."""
    group = rng.integers(0, groups, size=n, dtype=np.int64)
    start = rng.integers(lo, hi, size=n, dtype=np.int64)
    minutes = np.minimum(np.rint(rng.lognormal(1.5, 1.0, size=n)), 240).astype(np.int64) + 1
    end = start + minutes * MINUTE
    fraction = np.where(rng.random(n) < 0.2, rng.choice([0.25, 0.5], size=n), 1.0)
    planned = rng.random(n) < 0.05
    return av.OutageColumns.from_arrays(group, start, end, fraction, planned)


def evaluate(
    cals: list[Calendar], outages: av.OutageColumns, groups: int
) -> tuple[np.ndarray, np.ndarray]:
    """Expand the calendars, measure every group, and take plain and weighted availability."""
    scheds = schedules(cals)
    schedule_of = np.arange(groups, dtype=np.int64) % len(scheds)
    figures = av.measure(outages, scheds, schedule_of)
    num, den = av.ratios(figures, ExcludedTime.EXCLUDE)
    wnum, wden = av.ratios(figures, ExcludedTime.EXCLUDE, weighted=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        return num / den, wnum / wden


# -- the baseline: one group at a time -----------------------------------------------------


def baseline_group(
    sched: av.Schedule, rows: list[tuple[int, int, float, bool]]
) -> tuple[float, float]:
    """Exclude-convention availability, plain and weighted, of one group, straightforwardly."""
    agreed = sched.service - sched.maintenance
    w = sched.weights
    events: list[tuple[int, float, int]] = []
    for s, e, f, p in rows:
        s, e = max(s, sched.start_us), min(e, sched.end_us)
        if e > s:
            events.append((s, 0.0 if p else f, 1 if p else 0))
            events.append((e, -f if not p else 0.0, -1 if p else 0))
    events.sort()
    level, planned = 0.0, 0
    lost = lost_w = excused = excused_w = 0.0
    for i, (t, df, dp) in enumerate(events[:-1]):
        level += df
        planned += dp
        nxt = events[i + 1][0]
        if nxt == t or (level <= 1e-12 and planned == 0):
            continue
        piece = agreed.clip(t, nxt)
        if planned:
            excused += piece.duration()
            excused_w += w.weighted_duration(piece)
        else:
            lost += min(level, 1.0) * piece.duration()
            lost_w += min(level, 1.0) * w.weighted_duration(piece)
    due = agreed.duration() - excused
    due_w = w.weighted_duration(agreed) - excused_w
    return (due - lost) / due, (due_w - lost_w) / due_w


def baseline(
    cals: list[Calendar], outages: av.OutageColumns, groups: int
) -> tuple[np.ndarray, np.ndarray]:
    """The baseline over the first ``groups`` groups (outages of other groups are ignored)."""
    scheds = schedules(cals)
    by_group: list[list[tuple[int, int, float, bool]]] = [[] for _ in range(groups)]
    for g, s, e, f, p in zip(
        outages.group.tolist(),
        outages.start_us.tolist(),
        outages.end_us.tolist(),
        outages.fraction.tolist(),
        outages.planned.tolist(),
        strict=True,
    ):
        if g < groups:
            by_group[g].append((s, e, f, p))
    plain, weighted = np.empty(groups), np.empty(groups)
    for g in range(groups):
        plain[g], weighted[g] = baseline_group(scheds[g % len(scheds)], by_group[g])
    return plain, weighted


# -- running ---------------------------------------------------------------------------------


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, float, Any]:
    """Best wall time and best CPU time of ``repeat`` runs, and the last result."""
    wall, cpu, result = float("inf"), float("inf"), None
    for _ in range(repeat):
        gc.collect()
        t0, c0 = time.perf_counter(), time.process_time()
        result = fn()
        wall = min(wall, time.perf_counter() - t0)
        cpu = min(cpu, time.process_time() - c0)
    return wall, cpu, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--groups", type=int, default=10_000, help="agreements (groups)")
    parser.add_argument("--intervals", type=int, default=1_000_000, help="headline outages")
    parser.add_argument(
        "--sizes",
        default="10000,30000,100000,300000,1000000,3000000",
        help="outage counts of the growth curve (comma-separated)",
    )
    parser.add_argument("--baseline-groups", type=int, default=1_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs per size (best is kept)")
    parser.add_argument("--seed", type=int, default=20240401)
    args = parser.parse_args()

    rng = np.random.default_rng(args.seed)
    cals = calendars()
    t0 = time.perf_counter()
    scheds = schedules(cals)
    t_first = time.perf_counter() - t0
    lo = min(s.start_us for s in scheds)
    hi = max(s.end_us for s in scheds)
    print(
        f"April 2024, {args.groups:,} agreements on {len(cals)} calendars, "
        f"exclude convention, plain and weighted availability"
    )

    # Headline: cold calendars, then the whole evaluation.
    outages = random_outages(rng, args.intervals, args.groups, lo, hi)
    clear_caches()
    t0 = time.perf_counter()
    scheds = schedules(cals)
    t_expand = time.perf_counter() - t0
    t1 = time.perf_counter()
    plain, weighted = evaluate(cals, outages, args.groups)
    t_eval = time.perf_counter() - t1
    cold = t_expand + t_eval
    print(
        f"headline: {args.intervals:,} outages, {cold:.3f} s from cold (target 2 s): "
        f"calendar expansion {t_expand * 1e3:.0f} ms, measure and ratios {t_eval:.3f} s"
    )
    due = np.isfinite(plain)
    print(
        f"  (the first expansion in this process, loading zones and holiday tables, took "
        f"{t_first * 1e3:.0f} ms)"
    )
    print(
        f"  availability over agreements: plain mean {np.mean(plain[due]) * 100:.3f} %, "
        f"weighted mean {np.mean(weighted[due]) * 100:.3f} %; plain ≥ 99.0 % "
        f"{int(np.sum(plain[due] >= 0.99)):,}, weighted ≥ 99.0 % "
        f"{int(np.sum(weighted[due] >= 0.99)):,}"
    )

    print(f"\n{'outages':>10} {'wall (ms)':>10} {'cpu (ms)':>10} {'ns/outage':>10}")
    for n in (int(x) for x in args.sizes.split(",") if x.strip()):
        data = random_outages(rng, n, args.groups, lo, hi)
        wall, cpu, _ = timed(lambda data=data: evaluate(cals, data, args.groups), args.repeat)
        print(f"{n:>10,} {wall * 1e3:>10.1f} {cpu * 1e3:>10.1f} {wall / n * 1e9:>10.0f}")
        del data

    # Baseline on the first groups of the headline data, scaled to all outages.
    part = args.baseline_groups
    share = float(np.mean(outages.group < part))
    t_base, _, (b_plain, b_weighted) = timed(lambda: baseline(cals, outages, part), 1)
    scaled = t_base / share if share else float("nan")
    t_vec, _, _ = timed(lambda: evaluate(cals, outages, args.groups), args.repeat)
    diff = max(
        float(np.nanmax(np.abs(b_plain - plain[:part]))),
        float(np.nanmax(np.abs(b_weighted - weighted[:part]))),
    )
    print(
        f"\nbaseline (per group, Python sweep + IntervalSet): {part:,} groups, "
        f"{int(np.sum(outages.group < part)):,} outages in {t_base:.2f} s, "
        f"scaled to {args.intervals:,} outages: {scaled:.1f} s"
    )
    print(
        f"vectorised: {t_vec:.3f} s warm for all {args.intervals:,}; "
        f"speed-up {scaled / t_vec:.0f}x; largest difference in availability {diff:.2e}"
    )
    stamp = datetime.now().astimezone().isoformat(timespec="seconds")
    print(f"(numpy {np.__version__}, run {stamp})")


if __name__ == "__main__":
    main()
