"""Notification rules: who is told what, and through which channel.

A rule names the events it is about, optional filters (customers, services, severities) and
one or more channels. A rule with a ``customer`` is that customer's own: it only ever
receives notices about that customer (its services, its periods, its invoices), and what
the notices say of the provider's internal wiring is left out.

Secrets never sit in the declaration: a webhook names the environment variable holding its
signing secret (``secret_env``), a chat channel the variable holding its Apprise URL
(``url_env``), which carries the service's token. They are read when a notification is sent,
so a declaration loads without them.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import Field, StringConstraints, model_validator

from servanda.catalog.model import Id
from servanda.core.limits import Name
from servanda.core.records import record
from servanda.events.model import Severity

EnvName = Annotated[str, StringConstraints(pattern=r"^[A-Z_][A-Z0-9_]*$", max_length=200)]
"""The name of an environment variable (upper case, digits, underscores)."""

Url = Annotated[str, StringConstraints(pattern=r"^https?://\S+$", max_length=2000)]
"""An http(s) URL."""

Address = Annotated[str, StringConstraints(pattern=r"^[^@\s<>]+@[^@\s<>]+$", max_length=320)]
"""An email address."""


class EventKind(StrEnum):
    """What can be notified."""

    INCIDENT_OPENED = "incident.opened"
    INCIDENT_ACKNOWLEDGED = "incident.acknowledged"
    INCIDENT_CORRECTED = "incident.corrected"
    INCIDENT_VALIDATED = "incident.validated"
    INCIDENT_CLOSED = "incident.closed"
    INCIDENT_REOPENED = "incident.reopened"
    SLA_BREACH = "sla.breach"
    """An objective missed its target in a closed period."""
    BURN_RATE_WARNING = "burn_rate.warning"
    """An objective burns its error budget too fast (a firing burn-rate rule)."""
    PERIOD_CLOSED = "period.closed"
    PERIOD_CLOSE_DUE = "period.close_due"
    """A customer's period has ended and is not closed yet (a reminder, once a day)."""
    INVOICE_ISSUED = "invoice.issued"


class ChannelKind(StrEnum):
    """How a notification travels."""

    WEBHOOK = "webhook"
    EMAIL = "email"
    CHAT = "chat"


@record
class Webhook:
    """A JSON POST, signed with HMAC-SHA256 (docs/notifications.md)."""

    url: Url
    secret_env: EnvName | None = None
    """The environment variable holding the signing secret; None: the body is not signed."""


@record
class Email:
    """An email to fixed addresses, through the SMTP server of ``SERVANDA_SMTP_*``."""

    to: Annotated[tuple[Address, ...], Field(min_length=1, max_length=100)]


@record
class Chat:
    """A message through Apprise (Slack, Matrix, Teams, Telegram … any Apprise URL)."""

    url_env: EnvName
    """The environment variable holding the Apprise URL (it carries the service's token)."""


@record
class Channel:
    """One channel of a rule: exactly one of ``webhook``, ``email``, ``chat``."""

    webhook: Webhook | None = None
    email: Email | None = None
    chat: Chat | None = None

    @model_validator(mode="after")
    def _one(self) -> Channel:
        if sum(c is not None for c in (self.webhook, self.email, self.chat)) != 1:
            raise ValueError("a channel is exactly one of webhook, email, chat")
        return self

    @property
    def kind(self) -> ChannelKind:
        """Which one it is."""
        if self.webhook is not None:
            return ChannelKind.WEBHOOK
        return ChannelKind.EMAIL if self.email is not None else ChannelKind.CHAT

    @property
    def target(self) -> str:
        """Where it goes, as people read it (never a secret): the URL, the addresses, or the
        variable holding the chat URL."""
        if self.webhook is not None:
            return self.webhook.url
        if self.email is not None:
            return ", ".join(self.email.to)
        assert self.chat is not None
        return f"${self.chat.url_env}"


@record
class NotificationRule:
    """Which events go to which channels (see the module)."""

    id: Id
    events: Annotated[tuple[EventKind, ...], Field(min_length=1)]
    channels: Annotated[tuple[Channel, ...], Field(min_length=1, max_length=20)]
    customer: Id | None = None
    """A customer's own rule: only notices about this customer reach it."""
    customers: tuple[Id, ...] = ()
    """Only notices about these customers; empty: any."""
    services: tuple[Id, ...] = ()
    """Only notices about these services; empty: any."""
    severities: tuple[Severity, ...] = ()
    """Only notices of these severities (notices without one, such as invoices, pass);
    empty: any."""
    name: Name | None = None
