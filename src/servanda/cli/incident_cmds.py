"""``servanda incidents``: list, show, and move incidents through their lifecycle."""

from __future__ import annotations

import getpass
from typing import Any

import typer

from servanda.cli.common import engine, now
from servanda.cli.event_cmds import parse_instant
from servanda.cli.output import Format, FormatOption, out, print_json, table
from servanda.core.access import LOCAL_ADMIN
from servanda.core.records import to_jsonable
from servanda.events.incidents import Incident, IncidentState
from servanda.events.working import when
from servanda.services import incidents as cases
from servanda.services.events import EventEngine, LifecycleAction
from servanda.storage.database import transaction
from servanda.storage.repositories.incidents import StoredOutage

app = typer.Typer(
    help="Incidents: from the first alert to a validated correction.", no_args_is_help=True
)

NoteOption = typer.Option("", "--note", "-n", help="Why, for the audit trail.")
ByOption = typer.Option(
    None, "--by", help="Who acts, for the audit trail (default: your login name)."
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
    with transaction(engine(ctx)) as session:
        found = cases.list_incidents(
            session, LOCAL_ADMIN, states=tuple(state), service=service, customer=customer,
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
    with transaction(engine(ctx)) as session:
        detail = cases.get_incident(session, LOCAL_ADMIN, incident_id)
    inc = detail.incident
    if fmt is Format.JSON:
        print_json({**to_jsonable(inc), "outages": [_outage(o) for o in detail.outages]})
        return
    out.print(f"incident {inc.id}: {inc.state.value}, {inc.severity.value}", markup=False)
    out.print(f"root: {inc.root or '(unmapped alert)'}", markup=False)
    out.print(f"detected: {when(inc.detected_at)}", markup=False)
    if inc.resolved_at:
        out.print(f"resolved: {when(inc.resolved_at)}", markup=False)
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
                [s.fingerprint, s.node, when(s.since), when(s.until) if s.until else "", s.reason]
                for s in inc.symptoms
            ],
        )
    if inc.impacted:
        table(
            "Impacted",
            ["node", "kind", "fraction", "since", "until", "why"],
            [
                [i.node, i.kind, f"{i.fraction:.0%}", when(i.since),
                 when(i.until) if i.until else "", i.reason]
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
                [o.service, o.customer, when(o.start), when(o.end) if o.end else "ongoing",
                 f"{o.fraction:.0%}", "yes" if o.planned else ""]
                for o in detail.outages
            ],
        )  # fmt: skip
    table(
        "Audit trail",
        ["when", "from", "to", "by", "note"],
        [
            [
                when(t.at), t.from_state.value if t.from_state else "", t.to_state.value,
                t.by + (f" for {t.on_behalf_of}" if t.on_behalf_of else ""), t.note,
            ]
            for t in inc.transitions
        ],
    )  # fmt: skip


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
    action: LifecycleAction,
    note: str,
    by: str | None,
    fmt: Format,
    on_behalf_of: str | None = None,
) -> None:
    actor = by or _login()
    moved = EventEngine(engine(ctx)).act(
        LOCAL_ADMIN, incident_id, action, now(), note, by=actor, on_behalf_of=on_behalf_of
    )
    _print_moved(moved, fmt)


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
    fmt: Format = FormatOption,
) -> None:
    """detected → acknowledged: someone is on it."""
    _act(ctx, incident_id, "acknowledge", note, by, fmt)


@app.command("correct")
def correct(
    ctx: typer.Context,
    incident_id: str = typer.Argument(..., help="The incident id."),
    note: str = NoteOption,
    by: str | None = ByOption,
    fmt: Format = FormatOption,
) -> None:
    """acknowledged → corrected: the fault is fixed."""
    _act(ctx, incident_id, "correct", note, by, fmt)


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
    fmt: Format = FormatOption,
) -> None:
    """corrected → validated, by whoever the agreements name (validates_correction)."""
    _act(ctx, incident_id, "validate", note, by, fmt, on_behalf_of)


@app.command("close")
def close(
    ctx: typer.Context,
    incident_id: str = typer.Argument(..., help="The incident id."),
    note: str = NoteOption,
    by: str | None = ByOption,
    fmt: Format = FormatOption,
) -> None:
    """validated → closed (corrected → closed when no agreement asks for validation)."""
    _act(ctx, incident_id, "close", note, by, fmt)


@app.command("reopen")
def reopen(
    ctx: typer.Context,
    incident_id: str = typer.Argument(..., help="The incident id."),
    note: str = NoteOption,
    by: str | None = ByOption,
    fmt: Format = FormatOption,
) -> None:
    """corrected, validated or closed → detected: the fix did not hold."""
    _act(ctx, incident_id, "reopen", note, by, fmt)
