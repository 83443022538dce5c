"""``servanda incidents``: list, show, and move incidents through their lifecycle.

A step may be recorded after the fact: ``--at`` gives the time it was made (ISO 8601 with its
offset), and ``import-steps`` records the steps of a ticketing export (see
:mod:`servanda.ingest.lifecycle_steps`), all or nothing, every problem printed
``file:line:column: field: message``.
"""

from __future__ import annotations

import getpass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import typer

from servanda.cli.common import engine, now
from servanda.cli.event_cmds import parse_instant
from servanda.cli.measure_cmds import from_command_line
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
from servanda.core.problems import InvalidInput
from servanda.core.records import to_jsonable
from servanda.events.incidents import Incident, IncidentState
from servanda.events.lifecycle import Move
from servanda.events.outages import StoredOutage
from servanda.events.working import when
from servanda.ingest.lifecycle_steps import read_steps_file
from servanda.services import incidents as cases
from servanda.services import lifecycle_steps as steps
from servanda.services.events import EventEngine

app = typer.Typer(
    help="Incidents: from the first alert to a validated correction.", no_args_is_help=True
)

NoteOption = typer.Option("", "--note", "-n", help="Why, for the audit trail.")
ByOption = typer.Option(
    None, "--by", help="Who acts, for the audit trail (default: your login name)."
)
AtOption = typer.Option(
    None,
    "--at",
    help="When the step was made, with its offset (e.g. 2024-04-11T12:05:00+02:00); "
    "default: now. Not in the future, not before detection or the incident's latest step.",
)


@app.command("list")
def list_incidents(
    ctx: typer.Context,
    state: list[IncidentState] = typer.Option([], "--state", help="Only these states (repeat)."),
    service: str | None = typer.Option(None, "--service", help="Only those with an outage of it."),
    customer: str | None = typer.Option(None, "--customer", help="Only those impacting it."),
    since: str | None = typer.Option(None, "--since", help="Only those lasting after this time."),
    until: str | None = typer.Option(None, "--until", help="Only those detected before it."),
    root: str | None = typer.Option(None, "--root", help="Only those with this root node."),
    limit: int = typer.Option(100, "--limit", min=1, help="At most this many."),
    fmt: Format = FormatOption,
) -> None:
    """List incidents, latest first."""
    start, end = parse_instant(since, "--since"), parse_instant(until, "--until")
    found = cases.list_incidents(
        engine(ctx), LOCAL_ADMIN, states=tuple(state), service=service, customer=customer,
        since=start, until=end, root=root, limit=limit,
    )  # fmt: skip
    if fmt is Format.JSON:
        print_json([to_jsonable(i) for i in found])
        return
    table(
        "Incidents",
        ["id", "state", "severity", "root", "detected", "resolved", "symptoms", "services"],
        [
            [
                i.id, i.state.value, i.severity.value, i.root or "(unmapped)",
                when(i.detected_at), when(i.resolved_at) if i.resolved_at else "",
                len(i.symptoms), ", ".join(i.impacted_services),
            ]
            for i in found
        ],
    )  # fmt: skip


@app.command("show")
def show(
    ctx: typer.Context,
    incident_id: str = typer.Argument(..., help="The incident id."),
    fmt: Format = FormatOption,
) -> None:
    """Show one incident: root, symptoms and why, impact, degraded redundancy, outages, trail."""
    detail = cases.get_incident(engine(ctx), LOCAL_ADMIN, incident_id)
    inc = detail.incident
    if fmt is Format.JSON:
        print_json({**to_jsonable(inc), "outages": [_outage(o) for o in detail.outages]})
        return
    out.print(f"incident {inc.id}: {inc.state.value}, {inc.severity.value}", markup=False)
    out.print(f"root: {inc.root or '(unmapped alert)'}", markup=False)
    out.print(f"detected: {_at(inc.detected_at)}", markup=False)
    if inc.acknowledged_at:
        out.print(f"acknowledged: {_at(inc.acknowledged_at)}", markup=False)
    if inc.resolved_at:
        out.print(f"resolved: {_at(inc.resolved_at)}", markup=False)
    if inc.mtta is not None:
        out.print(f"MTTA: {span(inc.mtta)}", markup=False)
    if inc.mtrs is not None:
        out.print(f"MTRS: {span(inc.mtrs)}", markup=False)
    if inc.merged_into:
        out.print(f"merged into: {inc.merged_into}", markup=False)
    if inc.planned:
        out.print("planned: inside a maintenance window", markup=False)
    out.print(inc.summary, markup=False)
    if inc.symptoms:
        table(
            "Symptoms",
            ["alert", "node", "since", "until", "why"],
            [
                [s.fingerprint, s.node, _at(s.since), _at(s.until) if s.until else "", s.reason]
                for s in inc.symptoms
            ],
        )
    if inc.impacted:
        table(
            "Impacted",
            ["node", "kind", "fraction", "since", "until", "why"],
            [
                [i.node, i.kind, f"{i.fraction:.0%}", _at(i.since),
                 _at(i.until) if i.until else "", i.reason]
                for i in inc.impacted
            ],
        )  # fmt: skip
    if inc.degraded:
        table(
            "Degraded redundancy (still up)",
            ["node", "lost", "why"],
            [[d.node, ", ".join(d.lost), d.reason] for d in inc.degraded],
        )
    if detail.outages:
        table(
            "Outages",
            ["service", "customer", "start", "end", "fraction", "planned"],
            [
                [o.service, o.customer, _at(o.start), _at(o.end) if o.end else "ongoing",
                 f"{o.fraction:.0%}", "yes" if o.planned else ""]
                for o in detail.outages
            ],
        )  # fmt: skip
    table(
        "Audit trail",
        ["when", "from", "to", "by", "note"],
        [
            [
                _at(t.at), t.from_state.value if t.from_state else "", t.to_state.value,
                t.by + (f" for {t.on_behalf_of}" if t.on_behalf_of else ""), t.note,
            ]
            for t in inc.transitions
        ],
    )  # fmt: skip


def _at(t: datetime) -> str:
    """A time to the second, in UTC: ``2024-04-11 10:02:07 UTC``."""
    return f"{t.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC"


def span(value: timedelta) -> str:
    """A duration to the second: ``2m 53s``, ``1h 45m 24s``, ``955d 2h 03m 00s``."""
    seconds = int(value.total_seconds())
    sign, seconds = ("-", -seconds) if seconds < 0 else ("", seconds)
    days, seconds = divmod(seconds, 86400)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    if days:
        return f"{sign}{days}d {hours}h {minutes:02d}m {seconds:02d}s"
    if hours:
        return f"{sign}{hours}h {minutes:02d}m {seconds:02d}s"
    if minutes:
        return f"{sign}{minutes}m {seconds:02d}s"
    return f"{sign}{seconds}s"


def _outage(o: StoredOutage) -> dict[str, Any]:
    return {
        "service": o.service,
        "customer": o.customer,
        "start": o.start.isoformat(),
        "end": o.end.isoformat() if o.end else None,
        "fraction": str(o.fraction),
        "planned": o.planned,
    }


def _act(
    ctx: typer.Context,
    incident_id: str,
    action: Move,
    note: str,
    by: str | None,
    at: str | None,
    fmt: Format,
    on_behalf_of: str | None = None,
) -> None:
    actor = by or _login()
    try:
        moved = steps.record_step(
            EventEngine(engine(ctx)), LOCAL_ADMIN, incident_id, action, now(),
            at=_parse_at(at), note=note, by=actor, on_behalf_of=on_behalf_of,
        )  # fmt: skip
    except InvalidInput as exc:
        print_problems(from_command_line(exc.problems, {"at": "--at"}))
        raise typer.Exit(PROBLEMS) from None
    _print_moved(moved, fmt)


def _parse_at(value: str | None) -> datetime | None:
    """``--at``: an ISO 8601 time (its timezone is checked with the other time rules)."""
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        fail(f"--at: not a time: {value!r} (write 2024-04-11T12:05:00+02:00)", USAGE)


def _login() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "admin"


def _print_moved(inc: Incident, fmt: Format) -> None:
    if fmt is Format.JSON:
        print_json(to_jsonable(inc))
    else:
        last = inc.transitions[-1]
        out.print(f"incident {inc.id} is {inc.state.value} (by {last.by})", markup=False)


@app.command("ack")
def ack(
    ctx: typer.Context,
    incident_id: str = typer.Argument(..., help="The incident id."),
    note: str = NoteOption,
    by: str | None = ByOption,
    at: str | None = AtOption,
    fmt: Format = FormatOption,
) -> None:
    """detected → acknowledged: someone is on it."""
    _act(ctx, incident_id, "acknowledge", note, by, at, fmt)


@app.command("correct")
def correct(
    ctx: typer.Context,
    incident_id: str = typer.Argument(..., help="The incident id."),
    note: str = NoteOption,
    by: str | None = ByOption,
    at: str | None = AtOption,
    fmt: Format = FormatOption,
) -> None:
    """acknowledged → corrected: the fault is fixed."""
    _act(ctx, incident_id, "correct", note, by, at, fmt)


@app.command("validate")
def validate(
    ctx: typer.Context,
    incident_id: str = typer.Argument(..., help="The incident id."),
    note: str = NoteOption,
    by: str | None = ByOption,
    on_behalf_of: str | None = typer.Option(
        None,
        "--on-behalf-of",
        help="The customer you validate for, when its agreement says the customer validates.",
    ),
    at: str | None = AtOption,
    fmt: Format = FormatOption,
) -> None:
    """corrected → validated, by whoever the agreements name (validates_correction)."""
    _act(ctx, incident_id, "validate", note, by, at, fmt, on_behalf_of)


@app.command("close")
def close(
    ctx: typer.Context,
    incident_id: str = typer.Argument(..., help="The incident id."),
    note: str = NoteOption,
    by: str | None = ByOption,
    at: str | None = AtOption,
    fmt: Format = FormatOption,
) -> None:
    """validated → closed (corrected → closed when no agreement asks for validation)."""
    _act(ctx, incident_id, "close", note, by, at, fmt)


@app.command("reopen")
def reopen(
    ctx: typer.Context,
    incident_id: str = typer.Argument(..., help="The incident id."),
    note: str = NoteOption,
    by: str | None = ByOption,
    at: str | None = AtOption,
    fmt: Format = FormatOption,
) -> None:
    """corrected, validated or closed → detected: the fix did not hold."""
    _act(ctx, incident_id, "reopen", note, by, at, fmt)


@app.command("import-steps")
def import_steps(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="A CSV, JSON Lines (.jsonl) or JSON file of steps."),
    by: str | None = typer.Option(
        None, "--by", help="Who acted, in rows that do not say (default: your login name)."
    ),
    fmt: Format = FormatOption,
) -> None:
    """Record the lifecycle steps of a ticketing export, all or nothing, oldest first.

    Columns: incident (an id) or alert (a fingerprint), step (ack, correct, validate, close,
    reopen), time (with its offset), by, note, on_behalf_of. A step already in the trail at
    that time is skipped: importing a file twice changes nothing.
    """
    rows, problems, text = read_steps_file(file)
    if problems:
        print_problems(problems)
        raise typer.Exit(PROBLEMS)
    try:
        done = steps.import_steps(
            EventEngine(engine(ctx)), LOCAL_ADMIN, rows, now(), by=by or _login()
        )
    except InvalidInput as exc:
        found = list(exc.problems)
        print_problems(text.locate(found) if text is not None else found)
        raise typer.Exit(PROBLEMS) from None
    if fmt is Format.JSON:
        print_json({"file": str(file), **to_jsonable(done)})
        return
    out.print(
        f"{file}: {done.received} steps, {done.applied} recorded, {done.already} already "
        f"in the trail; incidents moved: {', '.join(done.incidents) or 'none'}",
        markup=False,
    )
