"""API settings, read from the environment (prefix ``SERVANDA_``)."""

from __future__ import annotations

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
