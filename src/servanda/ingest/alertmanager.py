"""Prometheus Alertmanager webhook payloads (version 4) as events.

The payload is read exactly as Alertmanager sends it (``version``, ``groupKey``,
``truncatedAlerts``, ``status``, ``receiver``, ``groupLabels``, ``commonLabels``,
``commonAnnotations``, ``externalURL``, newer ``notification_reason`` and ``routeLabels``, and
``alerts``); unknown keys are ignored, so Grafana's version "1" superset is read too. Older
senders leave out per-alert ``status``, ``fingerprint`` and ``generatorURL``: the status is then
derived from ``endsAt`` and the fingerprint computed as Alertmanager does
(:func:`label_set_fingerprint`). A fingerprint that was sent is kept as sent, even when it does
not recompute from the labels (Grafana's never do, nor do hand-made samples).

Alertmanager's own validation of an alert (version 0.25, see :mod:`servanda.ingest.text_rules`)
applies: at least one label, label and annotation names by ``^[a-zA-Z_][a-zA-Z0-9_]*$``, text
without NUL characters or lone surrogates, and an ``endsAt`` not before ``startsAt``.

A payload is all or nothing: when anything in it is malformed, no event is returned and every
problem is, each at the path of its field (``alerts[3].startsAt``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from servanda.core.problems import Location, Problem
from servanda.core.records import strip, trusted
from servanda.events.model import Event, Status, normalise_severity
from servanda.ingest.generic import (
    Path,
    Timestamp,
    check_received_at,
    lookup_status,
    validation_problems,
)
from servanda.ingest.text_rules import EMPTY_LABELS, LabelSet, Text

FNV64_OFFSET = 0xCBF29CE484222325
FNV64_PRIME = 0x100000001B3
_MASK64 = 0xFFFFFFFFFFFFFFFF
LABEL_SEPARATOR = 0xFF
"""The byte Alertmanager writes after every label name and value (never valid in UTF-8)."""


def fnv1a_64(data: bytes, start: int = FNV64_OFFSET) -> int:
    """64-bit FNV-1a of ``data``, continuing from ``start``."""
    h = start
    for byte in data:
        h = ((h ^ byte) * FNV64_PRIME) & _MASK64
    return h


def label_set_fingerprint(labels: Mapping[str, str]) -> str:
    """Alertmanager's fingerprint of a label set, as 16 lower-case hex digits.

    As Prometheus' ``model.LabelSet.Fingerprint``: FNV-1a (64-bit) over every label sorted by
    name, each written as its name, a 0xff byte, its value and a 0xff byte. The empty set
    hashes nothing (the FNV offset basis, ``cbf29ce484222325``).
    """
    sep = bytes((LABEL_SEPARATOR,))
    data = b"".join(
        name.encode("utf-8") + sep + labels[name].encode("utf-8") + sep for name in sorted(labels)
    )
    return f"{fnv1a_64(data):016x}"


def _is_zero_time(value: datetime | None) -> bool:
    """Go's zero time ``0001-01-01T00:00:00Z``, which Alertmanager writes for "not set"."""
    return value is None or value.year == 1


class AlertmanagerAlert(BaseModel):
    """One alert of a webhook payload, as sent."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    status: Status | None = Field(
        default=None, description="firing or resolved; derived from endsAt when absent."
    )
    labels: LabelSet = Field(description="The alert's identifying labels (at least one).")
    annotations: LabelSet = Field(default_factory=dict, description="Descriptive text.")
    startsAt: Timestamp = Field(description="When the alert started firing.")  # noqa: N815
    endsAt: Timestamp | None = Field(  # noqa: N815
        default=None, description="When it ended; 0001-01-01T00:00:00Z while firing."
    )
    generatorURL: Text | None = Field(  # noqa: N815
        default=None, description="Link to the rule that produced it."
    )
    fingerprint: Text | None = Field(
        default=None, description="Alertmanager's fingerprint of the labels."
    )

    @field_validator("labels")
    @classmethod
    def _labelled(cls, value: dict[str, str]) -> dict[str, str]:
        if not value:
            raise ValueError(EMPTY_LABELS)
        return value

    @field_validator("status", mode="before")
    @classmethod
    def _status(cls, value: object) -> Status | None:
        if value is None:
            return None
        return lookup_status(AlertmanagerFormat.STATUS_MAP, value)

    @field_validator("startsAt")
    @classmethod
    def _set(cls, value: datetime) -> datetime:
        if _is_zero_time(value):
            raise ValueError("startsAt is Go's zero time (not set)")
        return value


class AlertmanagerPayload(BaseModel):
    """An Alertmanager webhook body (version 4; Grafana's version 1 superset reads too)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    version: Text | None = Field(default=None, description='"4" (Grafana sends "1").')
    groupKey: Text | None = Field(default=None, description="Identifies the group.")  # noqa: N815
    truncatedAlerts: int = Field(  # noqa: N815
        default=0, ge=0, description="How many alerts were left out by max_alerts."
    )
    status: Status | None = Field(default=None, description="firing if any alert fires.")
    receiver: Text | None = None
    groupLabels: dict[Text, Text] = Field(default_factory=dict)  # noqa: N815
    commonLabels: dict[Text, Text] = Field(default_factory=dict)  # noqa: N815
    commonAnnotations: dict[Text, Text] = Field(default_factory=dict)  # noqa: N815
    externalURL: Text | None = None  # noqa: N815
    notification_reason: Text | None = None
    routeLabels: dict[Text, Text] = Field(default_factory=dict)  # noqa: N815
    alerts: list[AlertmanagerAlert] = Field(description="The alerts of the group.")

    @field_validator("status", mode="before")
    @classmethod
    def _status(cls, value: object) -> Status | None:
        if value is None:
            return None
        return lookup_status(AlertmanagerFormat.STATUS_MAP, value)


class AlertmanagerFormat:
    """Alertmanager webhooks: mapping tables, fingerprint, and the parse function."""

    SOURCE: ClassVar[str] = "alertmanager"
    """The ``source`` of the events made."""
    STATUS_MAP: ClassVar[dict[str, Status]] = {
        "firing": Status.FIRING,
        "resolved": Status.RESOLVED,
    }
    """Alertmanager's status words."""
    SEVERITY_LABELS: ClassVar[tuple[str, ...]] = ("severity", "level")
    """Labels read for the severity, first present wins (then through
    :func:`~servanda.events.model.normalise_severity`)."""
    SUMMARY_ANNOTATIONS: ClassVar[tuple[str, ...]] = ("summary", "description", "message")
    """Annotations read for the summary, first non-empty wins; else the ``alertname`` label."""
    FINGERPRINT_FIELDS: ClassVar[str] = "labels"
    """The fingerprint covers the whole label set (see :func:`label_set_fingerprint`)."""

    @classmethod
    def parse(
        cls, data: Any, *, received_at: datetime, file: str = "<request>"
    ) -> tuple[list[Event], list[Problem]]:
        """A webhook payload as events, or no events and every problem."""
        check_received_at(received_at)
        if not isinstance(data, dict):
            return [], [Problem("an Alertmanager webhook payload is a JSON object", Location(file))]
        try:
            payload = AlertmanagerPayload.model_validate(data)
        except ValidationError as exc:
            return [], cls._all_problems(exc, data, received_at, file)
        return cls.from_payload(payload, received_at=received_at, file=file)

    @classmethod
    def from_payload(
        cls, payload: AlertmanagerPayload, *, received_at: datetime, file: str = "<request>"
    ) -> tuple[list[Event], list[Problem]]:
        """The events of a validated payload, or no events and every problem (an alert that
        ends before it starts)."""
        check_received_at(received_at)
        events: list[Event] = []
        problems: list[Problem] = []
        for i, alert in enumerate(payload.alerts):
            event, found = cls.event(
                alert, received_at=received_at, file=file, prefix=("alerts", i)
            )
            problems.extend(found)
            if event is not None:
                events.append(event)
        return ([], problems) if problems else (events, [])

    @classmethod
    def _all_problems(
        cls, exc: ValidationError, data: dict[str, Any], received_at: datetime, file: str
    ) -> list[Problem]:
        """Pydantic's problems, then those of the well-formed alerts, in alert order."""
        problems = validation_problems(exc, file)
        alerts = data.get("alerts")
        if isinstance(alerts, list):
            for i, raw in enumerate(alerts):
                try:
                    alert = AlertmanagerAlert.model_validate(raw)
                except ValidationError:
                    continue
                problems += cls.event(
                    alert, received_at=received_at, file=file, prefix=("alerts", i)
                )[1]

        def order(p: Problem) -> tuple[int, int]:
            if len(p.path) > 1 and p.path[0] == "alerts" and isinstance(p.path[1], int):
                return (1, p.path[1])
            return (0, 0)

        return sorted(problems, key=order)

    @classmethod
    def event(
        cls,
        alert: AlertmanagerAlert,
        *,
        received_at: datetime,
        file: str = "<request>",
        prefix: Path = (),
    ) -> tuple[Event | None, list[Problem]]:
        """One alert as an event: status, end, fingerprint, severity and summary worked out."""
        ends_at = None if _is_zero_time(alert.endsAt) else alert.endsAt
        status = alert.status
        if status is None:
            ended = ends_at is not None and ends_at <= received_at
            status = Status.RESOLVED if ended else Status.FIRING
        if ends_at is not None and ends_at < alert.startsAt:  # refused by Alertmanager too
            message = (
                f"endsAt {ends_at.isoformat()} is before startsAt {alert.startsAt.isoformat()}"
            )
            return None, [Problem(message, Location(file), (*prefix, "endsAt"))]
        if status is Status.FIRING:
            ends_at = None  # a firing alert's endsAt is only when it would time out
        labels = alert.labels
        fingerprint = alert.fingerprint or label_set_fingerprint(labels)
        url = alert.generatorURL or None
        # The payload's values are validated and the end checked against the start, so the
        # event is built as Event's validation would make it, without running it again.
        event = trusted(
            Event,
            source=cls.SOURCE,
            fingerprint=strip(fingerprint),
            labels=tuple([(strip(k), strip(v)) for k, v in sorted(labels.items())]),
            status=status,
            starts_at=alert.startsAt,
            severity=normalise_severity(cls._first(labels, cls.SEVERITY_LABELS) or "warning"),
            ends_at=ends_at,
            summary=strip(cls._summary(alert)),
            generator_url=None if url is None else strip(url),
        )
        return event, []

    @staticmethod
    def _first(values: Mapping[str, str], names: tuple[str, ...]) -> str | None:
        for name in names:
            value = values.get(name)
            if value and value.strip():
                return value
        return None

    @classmethod
    def _summary(cls, alert: AlertmanagerAlert) -> str:
        text = cls._first(alert.annotations, cls.SUMMARY_ANNOTATIONS)
        if text is None:
            return alert.labels.get("alertname", "")
        return text.strip().splitlines()[0]


def parse_alertmanager(
    data: Any, *, received_at: datetime, file: str = "<request>"
) -> tuple[list[Event], list[Problem]]:
    """An Alertmanager webhook payload as events; all or nothing (see
    :class:`AlertmanagerFormat`)."""
    return AlertmanagerFormat.parse(data, received_at=received_at, file=file)
