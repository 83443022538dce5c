"""One delivery, through the sender of its channel. Tests and other transports swap a sender
through :class:`Senders`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from servanda.delivery.chat import send_chat
from servanda.delivery.email import send_mail
from servanda.delivery.errors import DeliveryError
from servanda.delivery.settings import DeliverySettings
from servanda.delivery.webhook import post
from servanda.notify.outbox import Queued
from servanda.notify.rules import Chat, Email, Webhook


@dataclass(frozen=True)
class Senders:
    """The sender of each channel (the real ones by default)."""

    settings: DeliverySettings = field(default_factory=DeliverySettings)
    webhook: Callable[[Webhook, Mapping[str, Any], int, float], None] = post
    email: Callable[[Email, Mapping[str, Any], DeliverySettings], None] = send_mail
    chat: Callable[[Chat, Mapping[str, Any]], None] = send_chat


def send(item: Queued, now: datetime, senders: Senders | None = None) -> None:
    """Send ``item`` at ``now``; raises :class:`DeliveryError` when it failed."""
    s = senders or Senders()
    channel = item.channel
    if channel.webhook is not None:
        s.webhook(channel.webhook, item.payload, int(now.timestamp()), s.settings.notify_timeout)
    elif channel.email is not None:
        s.email(channel.email, item.payload, s.settings)
    elif channel.chat is not None:
        s.chat(channel.chat, item.payload)
    else:  # pragma: no cover - a channel is exactly one of them (validated)
        raise DeliveryError("a channel without a kind")
