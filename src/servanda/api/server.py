"""Running the API with Uvicorn: what ``servanda serve`` calls.

One worker serves in this process, on the engine given. Several (``workers > 1``) are
processes Uvicorn starts and supervises: each imports :func:`app_factory`, which reads its
settings — the database among them — from the environment (``SERVANDA_DATABASE_URL`` and the
other ``SERVANDA_`` settings), so :func:`serve` puts the database URL there first. Every worker
runs the event clock; the correlator lease lets one of them at a time correlate.
"""

from __future__ import annotations

import errno
import os
import socket

import uvicorn
from fastapi import FastAPI
from sqlalchemy import Engine

from servanda.api.app import create_app
from servanda.api.logs import LogFormat, logging_config
from servanda.api.settings import ApiSettings
from servanda.storage.database import URL_ENV, make_engine

FACTORY = "servanda.api.server:app_factory"
"""What each worker process of a multi-worker server imports and calls."""


def app_factory() -> FastAPI:
    """The API on the settings of the environment (a worker of :func:`serve`)."""
    return create_app(settings=ApiSettings())


def make_server(
    database: Engine | str | None = None,
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    settings: ApiSettings | None = None,
    log_level: str = "info",
    log_format: LogFormat = LogFormat.TEXT,
) -> uvicorn.Server:
    """A Uvicorn server for the API on ``database`` (an engine, a URL, or the settings' URL)."""
    settings = settings if settings is not None else ApiSettings()
    engine = (
        database if isinstance(database, Engine) else make_engine(database or settings.database_url)
    )
    app = create_app(engine, settings)
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=log_level,
        log_config=logging_config(log_format, log_level),
        proxy_headers=settings.proxy_headers,
    )
    return uvicorn.Server(config)


def unavailable(host: str, port: int) -> str | None:
    """Why the server could not listen on ``host:port`` (in use, not an address of this
    machine, a privileged port …), or None when it can. Bound as Uvicorn binds it."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
    except socket.gaierror as exc:
        return f"cannot listen on {host!r}: {exc.strerror}"
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            return f"port {port} on {host} is already in use"
        return f"cannot listen on port {port} on {host}: {exc.strerror or exc}"
    except OverflowError:
        return f"port {port} is not a port number (0 to 65535)"
    return None


def serve(
    database: Engine | str | None = None,
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    settings: ApiSettings | None = None,
    log_level: str = "info",
    log_format: LogFormat = LogFormat.TEXT,
    workers: int = 1,
) -> None:
    """Serve the API until interrupted (Ctrl-C, SIGTERM), in ``workers`` processes."""
    if workers <= 1:
        make_server(
            database, host, port, settings=settings, log_level=log_level, log_format=log_format
        ).run()
        return
    if isinstance(database, Engine):
        database = database.url.render_as_string(hide_password=False)
    if database:
        os.environ[URL_ENV] = database
    settings = settings if settings is not None else ApiSettings()
    uvicorn.run(
        FACTORY,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=log_level,
        log_config=logging_config(log_format, log_level),
        proxy_headers=settings.proxy_headers,
    )
