"""``servanda radius serve``: RADIUS accounting (RFC 2866, RFC 2869) into stored, rated usage.

The server answers each Accounting-Request once its event is mediated and committed
(:mod:`servanda.services.radius`); clients and their shared secrets come from ``--secrets``
(one ``address-or-network secret`` a line). Sessions with no news for ``--stale`` are closed,
with that reason, once a minute.

``servanda radius replay`` loads requests kept in files (``radclient`` input, FreeRADIUS
``detail`` files: :mod:`servanda.ingest.radius.files`) through the same mediation and storage.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import signal
from datetime import UTC, datetime, timedelta
from pathlib import Path

import typer

from servanda.cli.common import engine, now
from servanda.cli.measure_cmds import each_file, report_files
from servanda.cli.output import PROBLEMS, Format, FormatOption, out, print_problems
from servanda.core.access import LOCAL_ADMIN
from servanda.core.durations import parse_duration
from servanda.ingest.radius.files import FileRequest, read_request_file
from servanda.ingest.radius.secrets import read_secrets
from servanda.ingest.radius.server import AccountingServer
from servanda.services.radius import StoredSink, replay

app = typer.Typer(help="RADIUS accounting: usage from NASes.", no_args_is_help=True)


@app.command("serve")
def serve(
    ctx: typer.Context,
    secrets: Path = typer.Option(..., "--secrets", help="Clients and their shared secrets."),
    host: str = typer.Option("0.0.0.0", "--host", help="Address to listen on."),
    port: int = typer.Option(1813, "--port", help="UDP port (0: any free one)."),
    source: str = typer.Option("radius", "--source", help="The usage records' source id."),
    service: str | None = typer.Option(
        None, "--service", help="The catalog service of the sessions (e.g. internet-access)."
    ),
    stale: str = typer.Option("2h", "--stale", help="Close sessions silent for this long."),
) -> None:
    """Receive RADIUS accounting and store it as rated usage until interrupted."""
    clients, problems = read_secrets(secrets)
    if clients is None:
        print_problems(problems)
        raise typer.Exit(PROBLEMS)
    timeout = parse_duration(stale)
    sink = StoredSink(engine(ctx), LOCAL_ADMIN, service=service, clock=lambda: datetime.now(UTC))
    asyncio.run(_run(AccountingServer(clients, sink, source=source), sink, host, port, timeout))


async def _run(
    server: AccountingServer, sink: StoredSink, host: str, port: int, timeout: timedelta
) -> None:
    bound = await server.start(host, port)
    out.print(f"RADIUS accounting on {bound[0]}:{bound[1]} (udp)", markup=False)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=60)
        if not stop.is_set():
            closed = await asyncio.to_thread(sink.close_stale, datetime.now(UTC), timeout)
            if closed:
                out.print(f"closed {closed} stale session(s)", markup=False)
    await server.close()
    counters = server.counters
    out.print(f"stopped: {counters}", markup=False)


@app.command("replay")
def replay_files(
    ctx: typer.Context,
    files: list[Path] = typer.Argument(..., help="radclient input or FreeRADIUS detail files."),
    source: str = typer.Option("radius", "--source", help="The usage records' source id."),
    service: str | None = typer.Option(
        None, "--service", help="The catalog service of the sessions (e.g. internet-access)."
    ),
    fmt: Format = FormatOption,
) -> None:
    """Mediate, store and rate accounting requests kept in FILES, as if the server had
    received them in order; replaying a file again stores nothing new. Each file is all or
    nothing when a request is bad (file:line: message)."""
    db = engine(ctx)

    def store(path: Path, found: list[FileRequest]) -> dict[str, object]:
        return replay(
            db, LOCAL_ADMIN, [r.event for r in found], service=service, now=now()
        ).as_dict()

    read = functools.partial(read_request_file, source=source)
    results, problems = each_file(files, read, store)

    def line(requests: int, stored: int, rated: int,
             owed_beyond_credit_limits: list[dict[str, str]], **_: object) -> str:  # fmt: skip
        owed = "".join(
            f"; {o['account']} owes {o['owed']} {o['currency']} beyond its credit limit"
            for o in owed_beyond_credit_limits
        )
        return f"{requests} requests, {stored} usage records stored, {rated} rated{owed}"

    report_files(results, problems, fmt, line)
