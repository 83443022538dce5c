"""Where notifications go out from: SMTP settings and timeouts, from the environment
(prefix ``SERVANDA_``)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class DeliverySettings(BaseSettings):
    """Every field can be set as ``SERVANDA_<FIELD>`` in the environment."""

    model_config = SettingsConfigDict(env_prefix="SERVANDA_", extra="ignore")

    smtp_host: str = "localhost"
    """``SERVANDA_SMTP_HOST``."""
    smtp_port: int = Field(default=25, ge=1, le=65535)
    """``SERVANDA_SMTP_PORT``."""
    smtp_security: str = Field(default="none", pattern="^(none|starttls|tls)$")
    """``SERVANDA_SMTP_SECURITY``: ``none``, ``starttls`` (upgrade after connecting) or ``tls``
    (implicit TLS, usually port 465)."""
    smtp_username: str | None = None
    """``SERVANDA_SMTP_USERNAME``; with ``SERVANDA_SMTP_PASSWORD``, logs in."""
    smtp_password: str | None = None
    """``SERVANDA_SMTP_PASSWORD``."""
    smtp_from: str = "servanda@localhost"
    """``SERVANDA_SMTP_FROM``: the sender address."""
    notify_timeout: float = Field(default=10.0, gt=0)
    """``SERVANDA_NOTIFY_TIMEOUT``: seconds one webhook or SMTP exchange may take."""
