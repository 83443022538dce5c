"""Time the interval algebra against a plain Python sort-and-merge on the same data.

Run with ``python bench/bench_intervals.py``. It prints a table of timings; it never fails on
timing, so it is safe to run anywhere.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from servanda.core.intervals import IntervalSet

Pairs = list[tuple[int, int]]
MINUTE = 60_000_000
SIZES = (10_000, 100_000, 1_000_000)
BASELINE_UP_TO = 100_000
REPEAT = 3


def random_arrays(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` intervals of 1 to 120 minutes scattered over roughly ``n`` hours."""
    starts = rng.integers(0, n * 60 * MINUTE, size=n, dtype=np.int64)
    ends = starts + rng.integers(1, 120, size=n, dtype=np.int64) * MINUTE
    return starts, ends


# -- the baseline: one Python object per interval --------------------------------------------


def py_normalise(pairs: Pairs) -> Pairs:
    out: Pairs = []
    for s, e in sorted(pairs):
        if out and s <= out[-1][1]:
            if e > out[-1][1]:
                out[-1] = (out[-1][0], e)
        else:
            out.append((s, e))
    return out


def py_union(a: Pairs, b: Pairs) -> Pairs:
    return py_normalise(a + b)


def py_intersection(a: Pairs, b: Pairs) -> Pairs:
    out: Pairs = []
    i = j = 0
    while i < len(a) and j < len(b):
        s = max(a[i][0], b[j][0])
        e = min(a[i][1], b[j][1])
        if s < e:
            out.append((s, e))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return out


def py_difference(a: Pairs, b: Pairs) -> Pairs:
    out: Pairs = []
    j = 0
    for s, e in a:
        while j < len(b) and b[j][1] <= s:
            j += 1
        k = j
        cur = s
        while k < len(b) and b[k][0] < e:
            if b[k][0] > cur:
                out.append((cur, b[k][0]))
            cur = max(cur, b[k][1])
            k += 1
        if cur < e:
            out.append((cur, e))
    return out


def as_pairs(result: object) -> Pairs:
    assert isinstance(result, IntervalSet)
    return list(zip(result.starts.tolist(), result.ends.tolist(), strict=True))


def best_of(fn: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(REPEAT):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def run_size(rng: np.random.Generator, n: int, mismatches: list[str]) -> None:
    sa, ea = random_arrays(rng, n)
    sb, eb = random_arrays(rng, n)
    pa_raw = list(zip(sa.tolist(), ea.tolist(), strict=True))
    a = IntervalSet.from_arrays(sa, ea)
    b = IntervalSet.from_arrays(sb, eb)
    pa, pb = as_pairs(a), as_pairs(b)
    cases: list[tuple[str, Callable[[], object], Callable[[], object]]] = [
        ("normalise", lambda: IntervalSet.from_arrays(sa, ea), lambda: py_normalise(pa_raw)),
        ("union", lambda: a | b, lambda: py_union(pa, pb)),
        ("intersection", lambda: a & b, lambda: py_intersection(pa, pb)),
        ("difference", lambda: a - b, lambda: py_difference(pa, pb)),
    ]
    for name, vectorised, baseline in cases:
        t_np = best_of(vectorised)
        if n <= BASELINE_UP_TO:
            t_py = best_of(baseline)
            if as_pairs(vectorised()) != baseline():
                mismatches.append(f"{name} at n={n}")
            py_text, ratio = f"{t_py * 1e3:12.1f}", f"{t_py / t_np:8.1f}x"
        else:
            py_text, ratio = f"{'-':>12}", f"{'-':>9}"
        print(f"{n:>10}  {name:<13} {t_np * 1e3:11.1f} {py_text} {ratio}")


def main() -> None:
    rng = np.random.default_rng(20240101)
    mismatches: list[str] = []
    print(f"{'n':>10}  {'operation':<13} {'numpy (ms)':>11} {'python (ms)':>12} {'speed-up':>9}")
    for n in SIZES:
        run_size(rng, n, mismatches)
    if mismatches:
        print("results DIFFER from the baseline for: " + ", ".join(mismatches))
    else:
        print("results agree with the baseline wherever it ran")


if __name__ == "__main__":
    main()
