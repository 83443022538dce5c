"""The one error a sender raises."""

from __future__ import annotations


class DeliveryError(Exception):
    """A delivery failed; the message says why (it is recorded, never a secret)."""
