"""Sending notifications out: a signed webhook POST (:mod:`.webhook`), an email over SMTP
(:mod:`.email`), a chat message through Apprise (:mod:`.chat`). Each sender takes one queued
delivery and returns, or raises :class:`DeliveryError` saying why it failed; secrets come
from the environment (:mod:`.settings`) at the moment of sending."""

from servanda.delivery.errors import DeliveryError
from servanda.delivery.send import Senders, send

__all__ = ["DeliveryError", "Senders", "send"]
