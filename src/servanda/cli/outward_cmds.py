"""``servanda notify`` (the notification outbox: deliver, list, retry) and ``servanda
scheduler`` (the server's periodic jobs: run one now, list recent runs)."""

from __future__ import annotations

import typer

from servanda.cli.common import engine, now
from servanda.cli.output import USAGE, Format, FormatOption, fail, out, print_json, table
from servanda.core.access import LOCAL_ADMIN
from servanda.notify.outbox import DeliveryState
from servanda.services import notifications, scheduler
from servanda.services.events import EventEngine
from servanda.services.jobs import JOB_NAMES, SchedulerSettings, server_jobs

notify_app = typer.Typer(help="Notifications: deliver, list, retry.", no_args_is_help=True)
scheduler_app = typer.Typer(help="The server's periodic jobs.", no_args_is_help=True)


@notify_app.command("dispatch")
def dispatch(ctx: typer.Context, fmt: Format = FormatOption) -> None:
    """Deliver every notification due now, once (the server's scheduler does it by itself)."""
    done = notifications.dispatch(engine(ctx), now())
    if fmt is Format.JSON:
        print_json({"sent": done.sent, "retrying": done.retrying, "failed": done.failed})
    else:
        out.print(str(done), markup=False)


@notify_app.command("list")
def list_notifications(
    ctx: typer.Context,
    state: DeliveryState | None = typer.Option(None, "--state", help="pending, sent or failed."),
    limit: int = typer.Option(50, "--limit", min=1, max=10_000),
    fmt: Format = FormatOption,
) -> None:
    """The latest notifications of the outbox, newest first."""
    found = notifications.outbox(engine(ctx), LOCAL_ADMIN, state, limit)
    rows = [
        {
            "id": q.id, "rule": q.rule, "event": q.event, "channel": q.channel.kind.value,
            "target": q.target, "state": q.state.value, "attempts": q.attempts,
            "next_attempt_at": q.next_attempt_at.isoformat() if q.next_attempt_at else None,
            "last_error": q.last_error, "created_at": q.created_at.isoformat(),
            "subject": q.payload.get("subject"),
        }
        for q in found
    ]  # fmt: skip
    if fmt is Format.JSON:
        print_json(rows)
        return
    table(
        "Notifications",
        ["id", "event", "rule", "channel", "target", "state", "attempts", "last error"],
        [
            [q.id[:12], q.event, q.rule, q.channel.kind.value, q.target, q.state.value,
             q.attempts, q.last_error or ""]
            for q in found
        ],
    )  # fmt: skip


@notify_app.command("retry")
def retry(ctx: typer.Context) -> None:
    """Queue every notification that failed for good again (after fixing its cause)."""
    n = notifications.retry_failed(engine(ctx), LOCAL_ADMIN, now())
    out.print(f"{n} notifications queued again", markup=False)


@scheduler_app.command("run")
def run(
    ctx: typer.Context,
    job: str = typer.Argument(..., help=f"One of: {', '.join(JOB_NAMES)}."),
    fmt: Format = FormatOption,
) -> None:
    """Run one job now, as the server's scheduler does (recorded with the others)."""
    db = engine(ctx)
    jobs = {j.name: j for j in server_jobs(db, lambda: EventEngine(db), scheduler_settings_on())}
    if job not in jobs:
        fail(f"no job {job!r}: one of {', '.join(JOB_NAMES)}", USAGE)
    done = scheduler.run_job(db, jobs[job])
    if done is None:
        fail(f"{job} is running in another process")
    if fmt is Format.JSON:
        print_json({"job": done.job, "outcome": done.outcome.value, "detail": done.detail})
    else:
        out.print(f"{done.job}: {done.outcome.value}: {done.detail}", markup=False)
    if done.outcome.value != "ok":
        raise typer.Exit(1)


@scheduler_app.command("runs")
def runs(
    ctx: typer.Context,
    job: str | None = typer.Option(None, "--job", help="Only this job's runs."),
    limit: int = typer.Option(50, "--limit", min=1, max=10_000),
    fmt: Format = FormatOption,
) -> None:
    """The latest runs of the scheduled jobs, newest first."""
    found = scheduler.recent_runs(engine(ctx), LOCAL_ADMIN, job, limit)
    rows = [
        {
            "id": r.id, "job": r.job, "started_at": r.started_at.isoformat(),
            "finished_at": r.finished_at.isoformat() if r.finished_at else None,
            "outcome": r.outcome.value, "detail": r.detail, "host": r.host,
        }
        for r in found
    ]  # fmt: skip
    if fmt is Format.JSON:
        print_json(rows)
        return
    table(
        "Job runs",
        ["job", "started", "finished", "outcome", "detail", "host"],
        [
            [r["job"], r["started_at"], r["finished_at"] or "", r["outcome"], r["detail"],
             r["host"]]
            for r in rows
        ],
    )  # fmt: skip


def scheduler_settings_on() -> SchedulerSettings:
    """Settings with every job on (``SERVANDA_SCHEDULER`` concerns the server only)."""
    return SchedulerSettings(scheduler=True)


def register(app: typer.Typer) -> None:
    """Add ``notify`` and ``scheduler`` to the root command."""
    app.add_typer(notify_app, name="notify")
    app.add_typer(scheduler_app, name="scheduler")
