"""Stateless rating benchmark: ``servanda rate`` on call records, beside DuckDB.

Run with ``python bench/bench_rating.py`` (``--records N``, default 10,000,000; ``--csv N``
for the CSV run, default 1,000,000). It prints figures and never fails on timing.

The data is all new, made for the run in a temporary directory and removed after it: a tariff
of 1,000 destination prefixes (lengths 3 to 7) in 100 destination groups, 3 time bands (peak
on weekdays 08:00–19:00, evening 19:00–23:00, night), each group and band with a 60 s first
block then per second, a connect fee, record cost rounded half-up to 4 decimals; and calls of
0 to 20 minutes over a month, each to a number under one of the prefixes.

* ``servanda rate`` as a subprocess, Parquet in and out, with its peak resident memory (the
  input is read and written batch by batch: memory does not grow with the file), then the
  same with CSV in and out on ``--csv`` records;
* the baseline: the same rating written as DuckDB SQL (longest prefix by a join on each
  prefix length, the band at the call's start, the 60 s block and the seconds in exact
  integers, nothing for a call of no duration, the same rounding), Parquet in and out, on as
  many threads as the machine has;
* the two outputs compared record by record: the costs must be equal for every call that does
  not cross a band boundary (our rating splits those at the boundary, the SQL does not).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import yaml

ROOT = Path(__file__).resolve().parents[1]
SERVANDA = Path(sys.executable).with_name("servanda")
START = np.datetime64("2024-04-01T00:00:00", "us").astype(np.int64)
MONTH_US = 30 * 86_400 * 1_000_000
BANDS = ("peak", "evening", "night")


def tariff(rng: np.random.Generator) -> tuple[dict[str, object], list[tuple[str, int]]]:
    prefixes: set[str] = set()
    while len(prefixes) < 1000:
        length = int(rng.integers(3, 8))
        prefixes.add("+" + "".join(str(d) for d in rng.integers(0, 10, length - 1)))
    ordered = sorted(prefixes)
    groups = [ordered[i::100] for i in range(100)]
    rates = []
    for g in range(100):
        for band in BANDS:
            price = f"0.{int(rng.integers(5, 400)):04d}"
            rates.append(
                {
                    "destinations": [f"g{g}"],
                    "bands": [band],
                    "connect_fee": "0.0150",
                    "slots": [
                        {"price": price, "unit": "60s", "increment": "60s"},
                        {"from": "60s", "price": price, "unit": "60s", "increment": "1s"},
                    ],
                }
            )
    doc = {
        "tariffs": [
            {
                "id": "bench",
                "active_from": "2024-01-01T00:00:00Z",
                "currency": "EUR",
                "bands": [
                    {"id": "peak", "hours": {"mon-fri": "08:00-19:00"}},
                    {"id": "evening", "hours": {"daily": "19:00-23:00"}},
                    {"id": "night"},
                ],
                "destinations": [{"id": f"g{i}", "prefixes": groups[i]} for i in range(100)],
                "rates": rates,
                "rounding": {"method": "half_up", "decimals": 4, "point": "record"},
            }
        ]
    }
    flat = [(p, g) for g in range(100) for p in groups[g]]
    return doc, flat


def usage(path: Path, n: int, prefixes: list[str], rng: np.random.Generator) -> None:
    """``n`` calls, written 1,000,000 at a time (never all in memory)."""
    table_prefixes = pa.array(prefixes)
    writer: pq.ParquetWriter | None = None
    done = 0
    while done < n:
        k = min(1_000_000, n - done)
        which = pa.array(rng.integers(0, len(prefixes), k))
        digits = pa.array(rng.integers(100_000, 999_999, k)).cast(pa.string())
        batch = pa.table(
            {
                "source": pa.array(np.full(k, "switch-1")),
                "record_id": pa.array(np.arange(done, done + k)).cast(pa.string()),
                "account": pa.array(rng.integers(1, 20_000, k)).cast(pa.string()),
                "category": pa.array(np.full(k, "call")),
                "destination": pc.binary_join_element_wise(table_prefixes.take(which), digits, ""),
                "start": pa.array(START + rng.integers(0, MONTH_US, k)).cast(
                    pa.timestamp("us", tz="UTC")
                ),
                "duration": pa.array(rng.integers(0, 1200, k)),
            }
        )
        if writer is None:
            writer = pq.ParquetWriter(path, batch.schema)
        writer.write_table(batch)
        done += k
    assert writer is not None
    writer.close()


# Linux counts a child's peak memory from the process it was forked from (the image before
# exec), so a child of this bench, grown big with DuckDB, would report the bench's size: the
# rating runs under a small Python that reports its own child's peak.
MEASURE = (
    "import os, subprocess, sys\n"
    "p = subprocess.Popen(sys.argv[2:], stdout=subprocess.DEVNULL)\n"
    "_, status, usage = os.wait4(p.pid, 0)\n"
    "open(sys.argv[1], 'w').write(str(usage.ru_maxrss * 1024))\n"
    "sys.exit(os.waitstatus_to_exitcode(status))\n"
)


def run_servanda(tariffs: Path, src: Path, out: Path) -> tuple[float, int]:
    """Seconds and peak resident memory (bytes) of ``servanda rate``."""
    peak = out.with_name(out.name + ".rss")
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, str(peak), str(SERVANDA), "rate", "--tariffs",
         str(tariffs), "--usage", str(src), "--out", str(out)],
        check=False,
    )  # fmt: skip
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"servanda rate failed ({done.returncode})")
    return elapsed, int(peak.read_text())


def run_duckdb(
    src: Path, out: Path, doc: dict[str, object], flat: list[tuple[str, int]], work: Path
) -> float:
    """The same rating as SQL; seconds."""
    tariff_doc = doc["tariffs"][0]  # type: ignore[index]
    rows = []
    for rate in tariff_doc["rates"]:
        price = int(Decimal(rate["slots"][0]["price"]) * 1_000_000)  # micro-euros, exact
        rows.append((int(rate["destinations"][0][1:]), rate["bands"][0], 15_000, price))
    con = duckdb.connect()
    con.execute(f"SET threads = {os.cpu_count() or 1}")
    con.execute("CREATE TABLE prefixes(prefix VARCHAR, grp INTEGER, len INTEGER)")
    con.executemany("INSERT INTO prefixes VALUES (?, ?, ?)", [(p, g, len(p)) for p, g in flat])
    con.execute("CREATE TABLE rates(grp INTEGER, band VARCHAR, fee BIGINT, price BIGINT)")
    con.executemany("INSERT INTO rates VALUES (?, ?, ?, ?)", rows)
    started = time.perf_counter()
    con.execute(
        f"""
        COPY (
          WITH u AS (
            SELECT *, CASE
                WHEN isodow(start AT TIME ZONE 'UTC') <= 5
                     AND hour(start AT TIME ZONE 'UTC') BETWEEN 8 AND 18 THEN 'peak'
                WHEN hour(start AT TIME ZONE 'UTC') BETWEEN 19 AND 22 THEN 'evening'
                ELSE 'night' END AS band
            FROM read_parquet('{src}')
          ),
          lens AS (SELECT DISTINCT len FROM prefixes),
          best AS (
            SELECT u.record_id, arg_max(p.grp, p.len) AS grp
            FROM u, lens JOIN prefixes p ON p.len = lens.len
            WHERE substr(u.destination, 1, lens.len) = p.prefix
            GROUP BY u.record_id
          )
          SELECT u.*, b.grp,
            -- micro-euros × 60: fee, the 60 s blocks, the seconds after the first minute;
            -- a call of no duration costs nothing
            CASE WHEN u.duration = 0 THEN 0 ELSE
            (r.fee * 60 + ceil(least(u.duration, 60) / 60.0)::BIGINT * r.price * 60
             + greatest(u.duration - 60, 0) * r.price) END AS num,
            CASE WHEN u.duration = 0 THEN 0 ELSE
            ((r.fee * 60 + ceil(least(u.duration, 60) / 60.0)::BIGINT * r.price * 60
             + greatest(u.duration - 60, 0) * r.price + 3000) // 6000) END AS cost_e4
          FROM u JOIN best b USING (record_id) JOIN rates r ON r.grp = b.grp AND r.band = u.band
        ) TO '{out}' (FORMAT parquet)
        """
    )
    elapsed = time.perf_counter() - started
    con.close()
    _ = work
    return elapsed


def compare(ours: Path, theirs: Path) -> tuple[int, int, int]:
    """(records compared, equal costs, records crossing a band boundary)."""
    con = duckdb.connect()
    found = con.execute(
        f"""
        WITH o AS (
          SELECT record_id, cost, len(parts) > 1 AND list_distinct(
              list_transform(parts, lambda p: p.band)) != [band] AS crosses
          FROM read_parquet('{ours}')
        ),
        t AS (SELECT record_id, cost_e4 FROM read_parquet('{theirs}'))
        SELECT count(*),
               count(*) FILTER (WHERE (o.cost * 10000)::BIGINT = t.cost_e4),
               count(*) FILTER (WHERE o.crosses),
               count(*) FILTER (WHERE NOT o.crosses AND (o.cost * 10000)::BIGINT != t.cost_e4)
        FROM o JOIN t USING (record_id)
        """
    ).fetchone()
    con.close()
    assert found is not None
    total, equal, crossing, wrong = found
    if wrong:
        print(f"  !! {wrong} records that cross no band boundary differ from the SQL")
    return total, equal, crossing


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=10_000_000)
    parser.add_argument("--csv", type=int, default=1_000_000)
    args = parser.parse_args()
    rng = np.random.default_rng(20241205)
    with tempfile.TemporaryDirectory(prefix="servanda-rate-") as tmp:
        work = Path(tmp)
        doc, flat = tariff(rng)
        tariffs = work / "tariffs.yaml"
        tariffs.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
        src = work / "calls.parquet"
        t0 = time.perf_counter()
        usage(src, args.records, [p for p, _ in flat], rng)
        print(
            f"data: {args.records:,} calls, 1,000 prefixes, 3 bands "
            f"({time.perf_counter() - t0:.1f} s to make, {src.stat().st_size / 2**20:.0f} MiB)"
        )

        out = work / "rated.parquet"
        seconds, rss = run_servanda(tariffs, src, out)
        print(
            f"servanda rate, Parquet in and out: {args.records / seconds:,.0f} records/s "
            f"({seconds:.1f} s), peak RSS {rss / 2**20:,.0f} MiB"
        )
        sql_out = work / "duckdb.parquet"
        sql_seconds = run_duckdb(src, sql_out, doc, flat, work)
        print(
            f"DuckDB SQL, Parquet in and out:    {args.records / sql_seconds:,.0f} records/s "
            f"({sql_seconds:.1f} s); servanda/DuckDB = {sql_seconds / seconds:.2f}x"
        )
        total, equal, crossing = compare(out, sql_out)
        print(
            f"  compared {total:,} records: {equal:,} equal costs; {crossing:,} cross a band "
            "boundary (split by servanda, not by the SQL)"
        )

        small = work / "calls-small.parquet"
        usage(small, args.csv, [p for p, _ in flat], rng)
        csv_in = work / "calls.csv"
        con = duckdb.connect()
        con.execute(
            f"COPY (SELECT * REPLACE (strftime(start, '%Y-%m-%dT%H:%M:%S+00:00') AS start) "
            f"FROM read_parquet('{small}')) TO '{csv_in}' (HEADER)"
        )
        con.close()
        seconds, rss = run_servanda(tariffs, csv_in, work / "rated.csv")
        print(
            f"servanda rate, CSV in and out ({args.csv:,} calls, parts as JSON text): "
            f"{args.csv / seconds:,.0f} records/s, peak RSS {rss / 2**20:,.0f} MiB"
        )
        seconds, rss = run_servanda(tariffs, csv_in, work / "rated-from-csv.parquet")
        print(f"servanda rate, CSV in, Parquet out: {args.csv / seconds:,.0f} records/s")


if __name__ == "__main__":
    main()
