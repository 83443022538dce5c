"""Chat through Apprise: one URL (Slack, Matrix, Mattermost, Teams, Telegram, a generic
``json://`` endpoint …) read from the environment variable the rule names, since it carries
the service's token."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import apprise

from servanda.delivery.errors import DeliveryError
from servanda.notify.notices import text_of
from servanda.notify.rules import Chat


def send_chat(chat: Chat, payload: Mapping[str, Any]) -> None:
    """Send one message; raises :class:`DeliveryError` when the URL is missing or invalid, or
    the service refused it."""
    url = os.environ.get(chat.url_env)
    if not url:
        raise DeliveryError(f"the chat URL ${chat.url_env} is not set")
    sender = apprise.Apprise()
    if not sender.add(url):
        raise DeliveryError(f"${chat.url_env} is no URL Apprise knows")
    title = f"[Servanda] {payload.get('subject', payload.get('event', ''))}"
    if not sender.notify(body=text_of(payload), title=title):
        raise DeliveryError(f"the chat service of ${chat.url_env} refused the message")
