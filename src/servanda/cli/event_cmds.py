"""``servanda events``: ingest event files, list unmapped events, saturation figures.

The payload format of ``ingest`` is ``--input-format`` (``-i``): ``--format`` stays the output
format (text or json) as in every other command.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import typer

from servanda.cli.common import engine, now
from servanda.cli.output import (
    PROBLEMS,
    USAGE,
    Format,
    FormatOption,
    fail,
    out,
    print_json,
    print_problems,
    table,
)
from servanda.core.access import LOCAL_ADMIN
from servanda.core.problems import Problem
from servanda.ingest.event_files import FORMATS, EventFormat, read_event_file
from servanda.services import incidents as cases
from servanda.services.events import EventEngine, IngestResult

app = typer.Typer(help="Monitoring events: ingest files, unmapped events, saturation figures.",
                  no_args_is_help=True)  # fmt: skip


def parse_instant(value: str | None, option: str) -> datetime | None:
    """An ISO date or timestamp option (UTC when it has no zone); None when absent."""
    if value is None:
        return None
    try:
        found = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        fail(f"{option}: not a date or time: {value!r} (write 2024-04-02 or 2024-04-02T10:00Z)",
             USAGE)  # fmt: skip
    return found if found.tzinfo is not None else found.replace(tzinfo=UTC)


@app.command("ingest")
def ingest(
    ctx: typer.Context,
    files: list[Path] = typer.Argument(..., help="JSON or JSON Lines (.jsonl, .ndjson) files."),
    input_format: str = typer.Option(
        "alertmanager",
        "--input-format",
        "-i",
        help="Payload format: alertmanager (webhook payloads) or generic (Servanda events).",
    ),
    fingerprint_labels: str = typer.Option(
        "",
        "--fingerprint-labels",
        help="Generic events without a fingerprint: the labels that make one (comma separated).",
    ),
    settle: bool = typer.Option(
        True,
        "--settle/--no-settle",
        help="The files hold the whole history so far: once they are ingested, correlate "
        "every event held back for the watermark (--no-settle when more files, earlier in "
        "event time, are still to come within the lateness).",
    ),
    fmt: Format = FormatOption,
) -> None:
    """Store and correlate the events of FILES; sending a file twice changes nothing.

    Each file is all or nothing: when any event of it is bad, every problem is printed
    (file:line:column: field: message), nothing of that file is stored, and the command exits 1
    after trying the other files. --format json prints the counts per file for scripts.
    Events are correlated in event-time order, whatever order the files and lines come in.
    """
    if input_format not in FORMATS:
        fail(f"--input-format must be one of {', '.join(FORMATS)}, not {input_format!r}", USAGE)
    kind: EventFormat = "alertmanager" if input_format == "alertmanager" else "generic"
    labels = tuple(s.strip() for s in fingerprint_labels.split(",") if s.strip())
    events = EventEngine(engine(ctx))
    results = []
    problems: list[Problem] = []
    for path in files:
        received = now()
        found, file_problems = read_event_file(
            path, kind, received_at=received, fingerprint_labels=labels
        )
        if file_problems:
            problems.extend(file_problems)
            results.append({"file": str(path), "ok": False, "problems": len(file_problems)})
            continue
        result = events.ingest(LOCAL_ADMIN, found, received)
        results.append({"file": str(path), "ok": True, **result.as_dict()})
    settled = None
    if settle and any(r["ok"] for r in results):
        settled = events.settle(now())
    events.close()
    print_problems(problems)
    if fmt is Format.JSON:
        print_json(
            {
                "ok": not problems,
                "files": results,
                "settled": settled.as_dict() if settled is not None else None,
            }
        )
    else:
        for r in results:
            if r["ok"] and r["queued_for"]:
                out.print(
                    f"{r['file']}: {r['received']} events, {r['new']} new, "
                    f"{r['duplicates']} duplicates, {r['unmapped']} unmapped; queued for the "
                    f"correlator held by {r['queued_for']}",
                    markup=False,
                )
            elif r["ok"]:
                out.print(
                    f"{r['file']}: {r['received']} events, {r['new']} new, "
                    f"{r['duplicates']} duplicates, {r['unmapped']} unmapped; incidents "
                    f"{r['incidents_opened']} opened, {r['incidents_updated']} updated",
                    markup=False,
                )
            else:
                out.print(f"{r['file']}: not ingested ({r['problems']} problems)", markup=False)
        if settled is not None and not settled.queued_for and settled.updated:
            out.print(
                f"settled (events held back for event-time order): incidents "
                f"{len(settled.opened)} opened, {len(settled.updated)} updated",
                markup=False,
            )
    if problems:
        raise typer.Exit(PROBLEMS)


@app.command("tick")
def tick(ctx: typer.Context, fmt: Format = FormatOption) -> None:
    """Take the time-based decisions that are due now (flapping quiet periods, symptom grace)
    and apply what other processes queued; for cron when no server runs the clock."""
    events = EventEngine(engine(ctx))
    result = events.tick(now())
    events.close()
    _print_moved(result, fmt, "nothing to do")


@app.command("settle")
def settle_command(ctx: typer.Context, fmt: Format = FormatOption) -> None:
    """Correlate every event held back for the event-time watermark now, as if no earlier
    event could still come (after an import in several parts, ingested with --no-settle)."""
    events = EventEngine(engine(ctx))
    result = events.settle(now())
    events.close()
    _print_moved(result, fmt, "it settles")


def _print_moved(result: IngestResult, fmt: Format, queued: str) -> None:
    """What a tick or a settle did, for people or (``--format json``) scripts."""
    if fmt is Format.JSON:
        print_json(result.as_dict())
    elif result.queued_for:
        out.print(f"the correlator is held by {result.queued_for}; {queued}", markup=False)
    else:
        out.print(
            f"incidents {len(result.updated)} updated, {len(result.resolved)} resolved, "
            f"{len(result.opened)} opened",
            markup=False,
        )


@app.command("log")
def log_status(ctx: typer.Context, fmt: Format = FormatOption) -> None:
    """The event log: who holds the correlator lease, how far the journal is applied, and
    the latest snapshot."""
    status = EventEngine(engine(ctx)).status()
    data = {
        "holder": status.holder,
        "lease_until": status.lease_until.isoformat() if status.lease_until else None,
        "applied_seq": status.applied_seq,
        "last_seq": status.last_seq,
        "waiting": status.last_seq - status.applied_seq,
        "snapshot_seq": status.snapshot_seq,
        "snapshot_at": status.snapshot_at.isoformat() if status.snapshot_at else None,
        "lateness_seconds": status.lateness.total_seconds(),
        "watermark": status.watermark.isoformat() if status.watermark else None,
        "held_events": status.held,
        "late_events": status.late,
    }
    if fmt is Format.JSON:
        print_json(data)
        return
    for key, value in data.items():
        out.print(f"{key.replace('_', ' ')}: {value if value is not None else '-'}", markup=False)


@app.command("unmapped")
def unmapped(
    ctx: typer.Context,
    since: str | None = typer.Option(None, "--since", help="Only events received since then."),
    limit: int = typer.Option(100, "--limit", min=1, help="At most this many."),
    fmt: Format = FormatOption,
) -> None:
    """Events no mapping rule matched: kept, listed here so a rule can be added."""
    start = parse_instant(since, "--since")
    found, total = cases.unmapped_events(engine(ctx), LOCAL_ADMIN, since=start, limit=limit)
    if fmt is Format.JSON:
        print_json(
            {
                "total": total,
                "events": [
                    {
                        "key": s.key,
                        "received_at": s.received_at.isoformat(),
                        "source": s.event.source,
                        "fingerprint": s.event.fingerprint,
                        "status": s.event.status.value,
                        "starts_at": s.event.starts_at.isoformat(),
                        "labels": dict(s.event.labels),
                        "summary": s.event.summary,
                    }
                    for s in found
                ],
            }
        )
        return
    table(
        f"Unmapped events ({total} in all)",
        ["received", "source", "fingerprint", "status", "labels", "summary"],
        [
            [
                f"{s.received_at:%Y-%m-%d %H:%M:%S}",
                s.event.source,
                s.event.fingerprint,
                s.event.status.value,
                " ".join(f"{k}={v}" for k, v in s.event.labels),
                s.event.summary,
            ]
            for s in found
        ],
    )


@app.command("stats")
def stats(
    ctx: typer.Context,
    since: str | None = typer.Option(None, "--since", help="Start (default: 24 hours ago)."),
    until: str | None = typer.Option(None, "--until", help="End, excluded (default: now)."),
    top: int = typer.Option(5, "--top", min=1, help="How many noisiest sources to show."),
    fmt: Format = FormatOption,
) -> None:
    """Saturation figures: alerts in, incidents out, reduction, noisiest sources, flapping."""
    end = parse_instant(until, "--until") or now()
    start = parse_instant(since, "--since") or end - timedelta(days=1)
    if end <= start:
        fail(f"--until ({end.isoformat()}) must be after --since ({start.isoformat()})", USAGE)
    s = cases.saturation_figures(engine(ctx), LOCAL_ADMIN, start, end, top=top)
    data = {
        "since": start.isoformat(),
        "until": end.isoformat(),
        "alerts_in": s.alerts_in,
        "incidents_out": s.incidents_out,
        "reduction": s.reduction,
        "unmapped": s.unmapped,
        "sources": [{"name": r.name, "count": r.count} for r in s.sources],
        "nodes": [{"name": r.name, "count": r.count} for r in s.nodes],
        "alertnames": [{"name": r.name, "count": r.count} for r in s.alertnames],
        "flapping": list(s.flapping),
    }
    if fmt is Format.JSON:
        print_json(data)
        return
    out.print(f"from {start.isoformat()} to {end.isoformat()}", markup=False)
    out.print(
        f"alerts in: {s.alerts_in}  incidents out: {s.incidents_out}  "
        f"reduction: {s.reduction:.1%}  unmapped: {s.unmapped}",
        markup=False,
    )
    for title, ranked in (("sources", s.sources), ("nodes", s.nodes), ("alerts", s.alertnames)):
        if ranked:
            table(f"Noisiest {title}", ["name", "alerts"], [[r.name, r.count] for r in ranked])
    out.print("flapping: " + (", ".join(s.flapping) if s.flapping else "none"), markup=False)
