"""Servanda's own alerts about Alertmanager notifications that did not arrive whole.

Alertmanager leaves alerts out of a notification when the receiver's ``max_alerts`` is lower than
the group (``truncatedAlerts`` says how many), and it never sends again a notification answered
4xx, such as a 413 for a body over the limit: either way alerts, and later their resolutions, are
lost. So each such notification becomes an event of source ``servanda``, ingested with the
others through the ordinary engine: it maps to no node, so it is an unmapped, root-less incident
an operator sees in ``servanda incidents list`` and ``servanda events unmapped``.

Its labels name the receiver and the group (a hash of the group key); it starts at the first
alert's start, so a notification sent again (retried, or repeated while nothing changed) is the
same observation and stores nothing new.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime

import orjson

from servanda.events.model import Event, Severity, Status, labels_of
from servanda.ingest.alertmanager import AlertmanagerPayload, label_set_fingerprint
from servanda.ingest.generic import parse_timestamp

SOURCE = "servanda"
TRUNCATED = "ServandaNotificationTruncated"
TOO_LARGE = "ServandaNotificationTooLarge"
UNKNOWN = "unknown"
LIMIT_SETTING = "SERVANDA_ALERTMANAGER_MAX_BODY_BYTES"

_FIELD = r'"{name}"\s*:\s*("(?:[^"\\]|\\.)*")'
_RECEIVER = re.compile(_FIELD.format(name="receiver").encode())
_STARTS = re.compile(_FIELD.format(name="startsAt").encode())


def group_hash(group_key: str | None) -> str:
    """A short, stable name for a group key (which can be long: every matcher of the route)."""
    if not group_key:
        return UNKNOWN
    return hashlib.sha256(group_key.encode("utf-8", "backslashreplace")).hexdigest()[:16]


def _notice(alertname: str, receiver: str, group: str, starts_at: datetime, summary: str) -> Event:
    named = {"alertname": alertname, "receiver": receiver, "group_key": group}
    return Event(
        source=SOURCE,
        fingerprint=label_set_fingerprint(named),
        labels=labels_of(named),
        status=Status.FIRING,
        starts_at=starts_at,
        severity=Severity.WARNING,
        summary=summary,
    )


def truncation_notice(payload: AlertmanagerPayload) -> Event | None:
    """The notice of a notification whose ``truncatedAlerts`` is not 0, else None."""
    left_out = payload.truncatedAlerts
    if left_out <= 0 or not payload.alerts:
        return None
    receiver = payload.receiver or UNKNOWN
    sent = len(payload.alerts)
    summary = (
        f"Alertmanager receiver {receiver} left {left_out:,} of {sent + left_out:,} alerts out "
        f"of a notification (max_alerts {sent:,}): they and their resolutions are lost. "
        "Set max_alerts: 0 (or a value above the largest group) in its webhook_configs."
    )
    first = min(a.startsAt for a in payload.alerts)
    return _notice(TRUNCATED, receiver, group_hash(payload.groupKey), first, summary)


def oversize_notice(head: bytes, size: int, limit: int, received_at: datetime) -> Event:
    """The notice of a notification refused for its size (``size`` bytes, or more, over
    ``limit``), read from the first bytes of its body: the receiver and the first alert's start
    (Alertmanager writes both before the alerts; the group key comes after them, unread)."""
    receiver = _string(_RECEIVER, head) or UNKNOWN
    starts = _string(_STARTS, head)
    try:
        starts_at = received_at if starts is None else parse_timestamp(starts)
    except ValueError:
        starts_at = received_at
    summary = (
        f"Alertmanager receiver {receiver} sent a notification of {size:,} bytes, over the "
        f"limit of {limit:,} ({LIMIT_SETTING}): it was refused (413) and Alertmanager does not "
        "send it again, so its alerts and their resolutions are lost. Raise the limit, or set "
        "max_alerts in its webhook_configs."
    )
    return _notice(TOO_LARGE, receiver, UNKNOWN, starts_at, summary)


def _string(pattern: re.Pattern[bytes], head: bytes) -> str | None:
    """The first JSON string value of a field found in ``head``, when it reads as text."""
    found = pattern.search(head)
    if found is None:
        return None
    try:
        value = orjson.loads(found.group(1))
    except orjson.JSONDecodeError:
        return None
    if not isinstance(value, str) or "\x00" in value or not value.strip():
        return None
    return value
