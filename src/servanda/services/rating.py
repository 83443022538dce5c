"""Rating use cases: the stateless ``servanda rate`` (tariff files and a usage file in, a
rated file out) over the same :class:`~servanda.accounting.rating.rater.Rater` as the stored
path.

The usage streams through batch by batch, so memory stays flat whatever the input's size;
what is kept is the running summary (records, rated, not rated with their reasons, cost per
currency).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from servanda.accounting.rating.rater import Rater
from servanda.config.loader import load_config
from servanda.core.problems import InvalidInput, Location, Problem, errors
from servanda.declared.bundle import Bundle
from servanda.ingest.usage_stream import BATCH_ROWS, RatedWriter, read_batches

__all__ = ["BATCH_ROWS", "RatingSummary", "load_rater", "rate_file", "rater_of"]


@dataclass
class RatingSummary:
    """What a rating run did."""

    records: int = 0
    rated: int = 0
    not_rated: Counter[str] = field(default_factory=Counter)
    """Reasons of the records not rated, with how many."""
    cost: dict[str, Decimal] = field(default_factory=dict)
    """Total cost per currency."""
    disconnected: int = 0

    def add(self, batch: pa.RecordBatch) -> None:
        """Count one rated batch in."""
        self.records += batch.num_rows
        reasons = batch.column("not_rated")
        self.rated += reasons.null_count
        if reasons.null_count < batch.num_rows:
            for value in reasons.dictionary_decode().drop_null().to_pylist():
                self.not_rated[value] += 1
        self.disconnected += int(pc.sum(batch.column("disconnected")).as_py() or 0)
        costs = pa.table({"currency": batch.column("currency"), "cost": batch.column("cost")})
        grouped = costs.filter(pc.is_valid(costs.column("cost"))).group_by("currency")
        for row in grouped.aggregate([("cost", "sum")]).to_pylist():
            currency = str(row["currency"])
            self.cost[currency] = self.cost.get(currency, Decimal(0)) + row["cost_sum"]

    def as_dict(self) -> dict[str, Any]:
        """JSON-compatible data."""
        return {
            "records": self.records,
            "rated": self.rated,
            "not_rated": dict(self.not_rated.most_common()),
            "disconnected": self.disconnected,
            "cost": {c: str(v) for c, v in sorted(self.cost.items())},
        }


def rater_of(bundle: Bundle) -> Rater:
    """The rater of a declaration's tariffs, rating profiles and calendars."""
    if not bundle.tariffs:
        raise InvalidInput([Problem("no tariff is declared (section 'tariffs')", Location())])
    return Rater(bundle.tariffs, bundle.rating_profiles, bundle.calendars)


def load_rater(paths: Iterable[str | Path]) -> Rater:
    """Read and check tariff files; the rater of what they declare. Raises
    :class:`InvalidInput` with every located problem when they have errors."""
    result = load_config(paths)
    if errors(result.problems):
        raise InvalidInput(result.problems)
    return rater_of(result.bundle)


def rate_file(
    rater: Rater,
    usage: Path,
    out: Path,
    *,
    rows: int = BATCH_ROWS,
    workers: int = 2,
    progress: Callable[[int], None] | None = None,
) -> RatingSummary:
    """Rate ``usage`` into ``out`` (formats by suffix), batch by batch, ``workers`` batches
    at once."""
    summary = RatingSummary()
    # Writing runs on a thread of its own, one batch behind rating, so encoding the output
    # overlaps rating the next batches.
    with RatedWriter(out) as writer, ThreadPoolExecutor(max_workers=1) as output:
        pending: Future[None] | None = None
        for batch in rater.rate_batches(read_batches(usage, rows), workers):
            if pending is not None:
                pending.result()
            pending = output.submit(writer.write, batch)
            summary.add(batch)
            if progress is not None:
                progress(summary.records)
        if pending is not None:
            pending.result()
    return summary
