"""``servanda usage``: metered usage in (files), the quarantine listed and retried.

``usage ingest`` reads CSV, JSON Lines, JSON or Parquet files (see
:mod:`servanda.ingest.usage_files` for the columns), each all or nothing when a line is bad,
and stores them in transactions of :data:`CHUNK` records: sending a file again stores nothing
new, and a file cut short by a crash is completed by sending it again, with nothing charged
twice. Each stored record is rated with the declared tariffs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import typer

from servanda.cli.common import engine, now
from servanda.cli.measure_cmds import each_file, report_files
from servanda.cli.output import PROBLEMS, Format, FormatOption, fail, out, print_json, table
from servanda.cli.progress import QuietOption, progress_bars
from servanda.core.access import LOCAL_ADMIN
from servanda.ingest import nats_usage
from servanda.ingest.usage_files import read_usage_file
from servanda.services import usage as cases

app = typer.Typer(
    help="Metered usage: ingest files, list and retry the quarantine.", no_args_is_help=True
)

CHUNK = 5_000
"""Records stored per transaction."""


@app.command("ingest")
def ingest(
    ctx: typer.Context,
    files: list[Path] = typer.Argument(
        ..., help="CSV, JSON Lines (.jsonl), JSON or Parquet files."
    ),
    fmt: Format = FormatOption,
    quiet: bool = QuietOption,
) -> None:
    """Store and rate the usage of FILES; sending a file twice stores nothing new. A
    progress bar (records stored) shows on a terminal (--quiet: none).

    Each file is all or nothing when any line is bad: every problem is printed
    (file:line:column: field: message), nothing of that file is stored, and the command exits
    1 after trying the other files. Records that differ from a stored version of their key,
    and records no tariff rates, are quarantined with their reason (servanda usage rejected).
    """
    db = engine(ctx)

    def store(path: Path, found: list[Any]) -> dict[str, Any]:
        total = cases.UsageSummary()
        advance = bars.add(path.name, len(found))
        for i in range(0, len(found), CHUNK):
            part = cases.ingest_usage(
                db, LOCAL_ADMIN, found[i : i + CHUNK], now(), origins=str(path)
            )
            total = _add(total, part)
            advance(min(i + CHUNK, len(found)))
        return total.as_dict()

    with progress_bars(quiet) as bars:
        results, problems = each_file(files, read_usage_file, store)

    def line(received: int, stored: int, unchanged: int, corrected: int, rejected: int,
             rated: int, not_rated: int, charged: dict[str, str], **_: Any) -> str:  # fmt: skip
        money = ", ".join(f"{v} {c}" for c, v in charged.items()) or "nothing"
        return (
            f"{received} records, {stored} stored ({corrected} corrections), {unchanged} "
            f"unchanged, {rejected} rejected; {rated} rated ({money}), {not_rated} not rated"
        )

    report_files(results, problems, fmt, line)


def _add(a: cases.UsageSummary, b: cases.UsageSummary) -> cases.UsageSummary:
    charged = dict(a.charged)
    for c, v in b.charged.items():
        charged[c] = charged.get(c, 0) + v
    return cases.UsageSummary(
        received=a.received + b.received, stored=a.stored + b.stored,
        unchanged=a.unchanged + b.unchanged, corrected=a.corrected + b.corrected,
        rejected=a.rejected + b.rejected, rated=a.rated + b.rated,
        not_rated=a.not_rated + b.not_rated, charged=charged,
        reasons=(a.reasons + b.reasons)[:20],
    )  # fmt: skip


@app.command("rejected")
def rejected(
    ctx: typer.Context,
    include_resolved: bool = typer.Option(False, "--all", help="Also those dealt with."),
    fmt: Format = FormatOption,
) -> None:
    """List quarantined usage: what was refused or not rated, where it came from, and why."""
    found = cases.rejected(engine(ctx), LOCAL_ADMIN, include_resolved=include_resolved)
    if fmt is Format.JSON:
        print_json(
            [
                {
                    "id": r.id, "stage": r.stage, "source": r.source, "record_id": r.record_id,
                    "usage_id": r.usage_id, "origin": r.origin, "reason": r.reason,
                    "received_at": r.received_at.isoformat(),
                    "resolved_at": r.resolved_at.isoformat() if r.resolved_at else None,
                    "resolution": r.resolution,
                }
                for r in found
            ]
        )  # fmt: skip
        return
    if not found:
        out.print("nothing is quarantined", markup=False)
        return
    table(
        "Quarantined usage",
        ["id", "stage", "record", "from", "reason"],
        [[str(r.id), r.stage, f"{r.source}/{r.record_id}", r.origin, r.reason] for r in found],
    )


@app.command("retry")
def retry(
    ctx: typer.Context,
    ids: list[int] = typer.Option([], "--id", help="Only these quarantined records."),
    as_corrections: bool = typer.Option(
        False,
        "--as-corrections",
        help="Take records refused for differing from the stored version as its correction.",
    ),
    fmt: Format = FormatOption,
) -> None:
    """Process quarantined usage again, after a fix: rate what is stored with the tariffs as
    they are now, and take refused records again."""
    result = cases.retry_rejected(
        engine(ctx), LOCAL_ADMIN, now(), ids or None, as_corrections=as_corrections
    )
    if fmt is Format.JSON:
        print_json(result.as_dict())
        return
    out.print(
        f"tried {result.tried}: {result.resolved} resolved, {result.still} still quarantined",
        markup=False,
    )
    for reason in result.reasons[:20]:
        out.print(f"  {reason}", markup=False)


@app.command("consume")
def consume(
    ctx: typer.Context,
    nats_url: str = typer.Option("nats://127.0.0.1:4222", "--nats", help="The NATS server."),
    stream: str = typer.Option(..., "--stream", help="The JetStream stream of usage."),
    subject: str | None = typer.Option(None, "--subject", help="Only this subject."),
    durable: str = typer.Option("servanda-usage", "--durable", help="The durable consumer."),
    batch: int = typer.Option(500, "--batch", min=1, help="Messages per batch."),
    once: bool = typer.Option(False, "--once", help="Stop when nothing more is waiting."),
    ack_wait: float = typer.Option(
        30.0, "--ack-wait", min=1, help="Seconds before an unacknowledged message comes again."
    ),
    fmt: Format = FormatOption,
) -> None:
    """Store and rate usage from a NATS JetStream stream, acknowledging each batch once it is
    committed (see docs/accounting.md); bad messages are quarantined."""
    db = engine(ctx)

    def store(records: Sequence[Any], origins: Sequence[str]) -> None:
        cases.ingest_usage(db, LOCAL_ADMIN, records, now(), origins=origins)

    def quarantine(payload: bytes, origin: str, reason: str) -> None:
        cases.quarantine_payload(db, LOCAL_ADMIN, payload, origin, reason, now())

    try:
        summary = asyncio.run(
            nats_usage.consume(nats_url, stream, store, quarantine, durable=durable,
                               subject=subject, batch=batch, once=once, ack_wait=ack_wait)
        )  # fmt: skip
    except nats_usage.StreamMissing as exc:
        fail(str(exc), PROBLEMS)
    except KeyboardInterrupt:
        return
    if fmt is Format.JSON:
        print_json(summary.as_dict())
        return
    out.print(
        f"{summary.messages} messages, {summary.records} records stored or unchanged, "
        f"{summary.quarantined} quarantined",
        markup=False,
    )
