"""API settings, read from the environment (prefix ``SERVANDA_``)."""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

MIB = 1024 * 1024


class ApiSettings(BaseSettings):
    """How the API runs; every field can be set as ``SERVANDA_<FIELD>`` in the environment."""

    model_config = SettingsConfigDict(env_prefix="SERVANDA_", extra="ignore")

    database_url: str | None = None
    """The database (``SERVANDA_DATABASE_URL``); ``sqlite:///servanda.db`` when unset."""
    max_body_bytes: int = Field(default=10 * MIB, ge=0)
    """Largest request body accepted (``SERVANDA_MAX_BODY_BYTES``); larger ones get 413."""
    alertmanager_max_body_bytes: int = Field(default=256 * MIB, ge=0)
    """Largest Alertmanager webhook accepted (``SERVANDA_ALERTMANAGER_MAX_BODY_BYTES``): sized
    for a storm, as Alertmanager never sends again a notification answered 413 (a
    100,000-alert group is about 50 MB). A larger one gets 413 and is recorded as an alert."""
    auth_failures: int = Field(default=20, ge=0)
    """Failed authentications allowed per client and per token id in ``auth_window``
    (``SERVANDA_AUTH_FAILURES``; 0: no throttling); past that, 429 until the window passes."""
    auth_window: timedelta = timedelta(minutes=1)
    """The window failed authentications are counted in (``SERVANDA_AUTH_WINDOW``)."""
    proxy_headers: bool = False
    """Behind a reverse proxy on the same machine (``SERVANDA_PROXY_HEADERS=1``): trust its
    ``X-Forwarded-Proto`` and ``X-Forwarded-For`` from 127.0.0.1, so a request that came over
    TLS is answered with ``Strict-Transport-Security`` and logged with the client's address."""
