"""``servanda serve`` and ``servanda demo``.

Every option of ``serve`` can come from the environment (``SERVANDA_HOST``, ``SERVANDA_PORT``,
``SERVANDA_WORKERS``, ``SERVANDA_LOG_FORMAT``, ``SERVANDA_LOG_LEVEL``), as can the database
(``SERVANDA_DATABASE_URL``) and the API's settings (:mod:`servanda.api.settings`): what a
container or a systemd unit sets. An address that cannot be listened on (a port in use) is one
line on standard error and exit code 1, before anything is started.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import typer
from sqlalchemy import Engine

from servanda.api.logs import LogFormat, LogLevel
from servanda.cli.common import engine, now
from servanda.cli.output import PROBLEMS, fail, out
from servanda.core.access import LOCAL_ADMIN, Role
from servanda.services import billing, closing, configuration, settlement, tokens
from servanda.services.example_month import load_example_month
from servanda.storage import migrate

HostOption = typer.Option(
    "127.0.0.1", "--host", envvar="SERVANDA_HOST", help="Address to listen on (0.0.0.0: all)."
)
PortOption = typer.Option(
    8000, "--port", envvar="SERVANDA_PORT", min=0, max=65535, help="Port to listen on."
)
WorkersOption = typer.Option(
    1,
    "--workers",
    envvar="SERVANDA_WORKERS",
    min=1,
    help="Worker processes (each with its own connections; one correlates events at a time).",
)
LogFormatOption = typer.Option(
    LogFormat.TEXT,
    "--log-format",
    envvar="SERVANDA_LOG_FORMAT",
    help="text for people, json for one JSON object a line (on standard error).",
)
LogLevelOption = typer.Option(
    LogLevel.INFO,
    "--log-level",
    envvar="SERVANDA_LOG_LEVEL",
    help="The least severe level logged.",
)


def register(app: typer.Typer) -> None:
    """Add the commands to ``app``."""
    app.command("serve")(serve)
    app.command("demo")(demo)


def serve(
    ctx: typer.Context,
    host: str = HostOption,
    port: int = PortOption,
    workers: int = WorkersOption,
    log_format: LogFormat = LogFormatOption,
    log_level: LogLevel = LogLevelOption,
) -> None:
    """Serve the HTTP API (OpenAPI at /docs); every endpoint but /healthz needs a token.

    Options can be set in the environment instead (SERVANDA_HOST, SERVANDA_PORT,
    SERVANDA_WORKERS, SERVANDA_LOG_FORMAT, SERVANDA_LOG_LEVEL), with the database
    (SERVANDA_DATABASE_URL) and the API's settings (docs/deployment.md)."""
    _serve(ctx, host, port, workers=workers, log_format=log_format, log_level=log_level)


def _listenable(host: str, port: int) -> None:
    """Exit 1 with one line when ``host:port`` cannot be listened on."""
    from servanda.api.server import unavailable

    why = unavailable(host, port)
    if why is not None:
        fail(why, PROBLEMS)


def _serve(
    ctx: typer.Context,
    host: str,
    port: int,
    *,
    workers: int = 1,
    log_format: LogFormat = LogFormat.TEXT,
    log_level: LogLevel = LogLevel.INFO,
) -> None:
    from servanda.api.server import serve as run

    _listenable(host, port)
    run(
        engine(ctx),
        host=host,
        port=port,
        workers=workers,
        log_format=log_format,
        log_level=log_level.value,
    )


EXAMPLE_PERIOD = "2024-04"
"""The month the example's alerts, measurements and feedback cover (closed by the demo)."""


def _bill_example(eng: Engine) -> None:
    """Bill, issue and settle the example's month (nothing twice when run again)."""
    run = billing.bill(eng, LOCAL_ADMIN, EXAMPLE_PERIOD, now())
    numbers = billing.issue(eng, LOCAL_ADMIN, EXAMPLE_PERIOD, now(), run.drafts)
    issued = billing.invoices(eng, LOCAL_ADMIN, period=EXAMPLE_PERIOD)
    total = sum((i.gross for i in issued if i.kind == "invoice" and i.state != "void"),
                Decimal(0))  # fmt: skip
    made = settlement.settle(eng, LOCAL_ADMIN, EXAMPLE_PERIOD, now())
    out.print(
        f"billed {EXAMPLE_PERIOD}: {len(issued)} invoice(s)"
        + (f", {numbers[0]} to {numbers[-1]} issued now" if numbers else "")
        + f", {total:,.2f} EUR with tax; {len(made)} settlement statement(s) "
        "(servanda invoice list, servanda invoice show ID --format pdf --out invoice.pdf)",
        markup=False,
    )


def demo(
    ctx: typer.Context,
    host: str = HostOption,
    port: int = PortOption,
    examples: Path = typer.Option(
        Path("examples/metro-isp"), "--examples", help="Configuration to load."
    ),
) -> None:
    """Migrate the database, load the example and its month of alerts, measurements,
    attestations, feedback, reviews and usage (calls, streams, a conference, QoS links, RADIUS
    data sessions, prepaid calls charged online), close that month (its credits become
    final), print tokens and serve the API."""
    _listenable(host, port)
    eng = engine(ctx)
    migrate.upgrade(eng.url.render_as_string(hide_password=False))
    result, summary = configuration.load(eng, [examples], now())
    out.print(f"loaded {examples}: {summary}", markup=False)
    month = load_example_month(eng, examples, now())
    if month.counts:
        out.print(f"loaded the example's month: {month}", markup=False)
        for note in month.notes:
            out.print(f"  {note}", markup=False)
        closed = closing.close_period(eng, LOCAL_ADMIN, EXAMPLE_PERIOD, now())
        credits = sum(len(c.credits) for c in closed)
        fresh = sum(1 for c in closed if c.new)
        before = f", {len(closed) - fresh} closed before" if fresh < len(closed) else ""
        out.print(
            f"closed {EXAMPLE_PERIOD} for {len(closed)} customer(s){before}: their results and "
            f"{credits} credit(s) are final (servanda sla credits)",
            markup=False,
        )
        if result.bundle.billing_accounts:
            _bill_example(eng)
    customer = next((s.customer for s in result.bundle.subscriptions), None)
    _, admin = tokens.create_token(eng, LOCAL_ADMIN, Role.ADMIN, None, "demo admin", now())
    reader = None
    if customer:
        _, reader = tokens.create_token(
            eng, LOCAL_ADMIN, Role.CUSTOMER, customer, f"demo {customer}", now()
        )
    base = f"http://{host}:{port}"
    out.print("", markup=False)
    out.print(f"Servanda is serving at {base}  (API docs: {base}/docs)", markup=False)
    out.print(
        f"Dashboard: {base}/board?month={EXAMPLE_PERIOD}  (log in with a token below)",
        markup=False,
    )
    out.print(f"Admin token:    {admin}", markup=False)
    if reader:
        out.print(f"Customer token ({customer}): {reader}", markup=False)
    out.print(
        f'Try: curl -H "Authorization: Bearer {admin}" {base}/api/v1/agreements', markup=False
    )
    if customer:
        report = f"{base}/api/v1/sla/{customer}/report?period={EXAMPLE_PERIOD}&format=html"
        out.print(
            f'     curl -H "Authorization: Bearer {admin}" "{report}" > report.html', markup=False
        )
    out.print("", markup=False)
    _serve(ctx, host, port)
