"""Email over SMTP (``SERVANDA_SMTP_*``): the notice's subject and text, with the delivery id
in a header (``Servanda-Delivery``) and as the ``Message-ID``'s left part."""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Mapping
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any

from servanda.delivery.errors import DeliveryError
from servanda.delivery.settings import DeliverySettings
from servanda.notify import signing
from servanda.notify.notices import text_of
from servanda.notify.rules import Email


def message_of(mail: Email, payload: Mapping[str, Any], sender: str) -> EmailMessage:
    """The message sent for ``payload``."""
    msg = EmailMessage()
    msg["Subject"] = f"[Servanda] {payload.get('subject', payload.get('event', ''))}"
    msg["From"] = sender
    msg["To"] = ", ".join(mail.to)
    msg["Date"] = formatdate(localtime=False)
    domain = sender.rpartition("@")[2] or "servanda"
    msg["Message-ID"] = f"<{payload.get('id', '')}@{domain}>"
    msg[signing.DELIVERY_HEADER] = str(payload.get("id", ""))
    msg[signing.EVENT_HEADER] = str(payload.get("event", ""))
    msg.set_content(text_of(payload))
    return msg


def send_mail(mail: Email, payload: Mapping[str, Any], settings: DeliverySettings) -> None:
    """Send one email; raises :class:`DeliveryError` on any SMTP or network failure."""
    msg = message_of(mail, payload, settings.smtp_from)
    timeout = settings.notify_timeout
    try:
        if settings.smtp_security == "tls":
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                settings.smtp_host, settings.smtp_port, timeout=timeout,
                context=ssl.create_default_context(),
            )  # fmt: skip
        else:
            client = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=timeout)
        with client:
            if settings.smtp_security == "starttls":
                client.starttls(context=ssl.create_default_context())
            if settings.smtp_username and settings.smtp_password:
                client.login(settings.smtp_username, settings.smtp_password)
            client.send_message(msg)
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryError(f"SMTP {settings.smtp_host}:{settings.smtp_port}: {exc}") from None
