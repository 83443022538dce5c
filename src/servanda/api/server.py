"""Running the API with Uvicorn: what ``servanda serve`` calls."""

from __future__ import annotations

import uvicorn
from sqlalchemy import Engine

from servanda.api.app import create_app
from servanda.api.settings import ApiSettings
from servanda.storage.database import make_engine


def make_server(
    database: Engine | str | None = None,
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    settings: ApiSettings | None = None,
    log_level: str = "info",
) -> uvicorn.Server:
    """A Uvicorn server for the API on ``database`` (an engine, a URL, or the settings' URL)."""
    settings = settings if settings is not None else ApiSettings()
    engine = (
        database if isinstance(database, Engine) else make_engine(database or settings.database_url)
    )
    app = create_app(engine, settings)
    config = uvicorn.Config(
        app, host=host, port=port, log_level=log_level, proxy_headers=settings.proxy_headers
    )
    return uvicorn.Server(config)


def serve(
    database: Engine | str | None = None,
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    settings: ApiSettings | None = None,
    log_level: str = "info",
) -> None:
    """Serve the API until interrupted (Ctrl-C)."""
    make_server(database, host, port, settings=settings, log_level=log_level).run()
