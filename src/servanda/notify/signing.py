"""Webhook signatures: ``Servanda-Signature: t=<unix seconds>,v1=<hex>``, where ``v1`` is
HMAC-SHA256 under the shared secret of ``"<t>." + body`` (the raw bytes sent). A receiver
recomputes it, compares in constant time, and refuses a ``t`` too far from its clock (a
replayed request). The same scheme as Stripe's; docs/notifications.md has receiver code."""

from __future__ import annotations

import hashlib
import hmac

HEADER = "Servanda-Signature"
"""The header carrying the signature."""
DELIVERY_HEADER = "Servanda-Delivery"
"""The header carrying the delivery id (the same on every attempt: de-duplicate on it)."""
EVENT_HEADER = "Servanda-Event"
"""The header carrying the event (``incident.opened`` …)."""


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The header value for ``body`` sent at ``timestamp`` (Unix seconds)."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify(secret: str, header: str, body: bytes, now: int, tolerance: int = 300) -> bool:
    """Whether ``header`` signs ``body`` under ``secret`` within ``tolerance`` seconds of
    ``now``."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > tolerance:
        return False
    expected = signature(secret, timestamp, body).split(",v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))
