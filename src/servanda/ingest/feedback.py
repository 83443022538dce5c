"""Feedback files: customer satisfaction (CSAT), NPS and comments, from a survey export or the
API, read into :class:`~servanda.engagement.model.Feedback` records.

* **CSV** (``*.csv``): a header row naming columns among ``customer, at, csat, nps, service,
  comment, channel, incident, respondent``; ``customer`` and ``at`` are required; an empty cell
  is an absent value::

      customer,at,csat,nps,service,comment,channel
      hospital,2024-04-30T16:00:00+02:00,4,9,ip-telephony,"Calls fine, one bad Monday",survey

* **JSON Lines** (``*.jsonl``): one object per line with the same field names;
* **JSON**: ``{"feedback": [...]}`` — the API's body — or a bare array.

``csat`` is a whole number from 1 to 5, ``nps`` from 0 to 10; a feedback gives a score or a
comment. ``channel`` is one of :class:`~servanda.engagement.model.Channel` (``survey`` when
absent). Given the configuration, the customer must be a known customer and the service one it
subscribes to. A file is all or nothing, every problem located ``file:line`` at its column
(see :mod:`servanda.ingest.measurements`, whose readers this module uses).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC
from pathlib import Path as FsPath
from typing import Any

from pydantic import ValidationError

from servanda.catalog.model import PartyRole
from servanda.core.problems import Problem
from servanda.declared.bundle import Bundle
from servanda.engagement.model import Channel, Feedback
from servanda.ingest.record_files import (
    MAX_PROBLEMS,
    RecordFormat,
    RecordReader,
    RecordSpec,
    Row,
    parse_record_data,
    parse_records,
    read_records,
    to_choice,
    to_integer,
    to_name,
    to_note,
    to_text,
    to_timestamp,
)

FEEDBACK_COLUMNS = (
    "customer",
    "at",
    "csat",
    "nps",
    "service",
    "comment",
    "channel",
    "incident",
    "respondent",
)
"""The fields of a feedback, in the order of the CSV header the docs show."""
FEEDBACK = RecordSpec("feedback", FEEDBACK_COLUMNS, ("customer", "at"))
"""Feedback files."""


def feedback_key(f: Feedback) -> str:
    """The identity of a feedback, for idempotent ingestion: SHA-256 (hex) of its customer,
    ``at`` (UTC, to the microsecond), service, respondent and channel. The same answer imported
    twice has the same key."""
    parts = (
        f.customer,
        f.at.astimezone(UTC).isoformat(timespec="microseconds"),
        f.service or "",
        f.respondent or "",
        f.channel.value,
    )
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def to_score(low: int, high: int) -> Callable[[Any], int]:
    """A converter to a whole-number score from ``low`` to ``high``."""

    def convert(raw: Any) -> int:
        try:
            score = to_integer(raw)
        except ValueError:
            score = None
        if score is None or not low <= score <= high:
            raise ValueError(f"{raw!r} is not a score from {low} to {high}")
        return score

    return convert


_CSAT = to_score(1, 5)
_NPS = to_score(0, 10)
_CHANNEL = to_choice(Channel)


def feedback_reader(bundle: Bundle | None = None) -> RecordReader[Feedback]:
    """How feedback is read, checked against ``bundle``'s parties, services and subscriptions
    when given."""
    subscribed = None if bundle is None else {(s.customer, s.service) for s in bundle.subscriptions}

    def build(row: Row) -> Feedback | None:
        before = len(row.problems)
        customer = row.get("customer", to_text, required=True)
        at = row.get("at", to_timestamp, required=True)
        csat = row.get("csat", _CSAT)
        nps = row.get("nps", _NPS)
        service = row.get("service", to_text)
        comment = row.get("comment", to_note) or ""
        channel = row.get("channel", _CHANNEL) or Channel.SURVEY
        incident = row.get("incident", to_name)
        respondent = row.get("respondent", to_name)
        if customer is None or at is None or len(row.problems) > before:
            return None
        if csat is None and nps is None and not comment:
            row.problem(None, "feedback needs a csat score, an nps score or a comment")
        if bundle is not None and subscribed is not None:
            party = bundle.party_by_id.get(customer)
            if party is None:
                row.problem("customer", f"unknown party {customer!r}")
            elif PartyRole.CUSTOMER not in party.roles:
                row.problem("customer", f"party {customer!r} is not a customer")
            if service is not None:
                if service not in bundle.service_by_id:
                    row.problem("service", f"unknown service {service!r}")
                elif party is not None and (customer, service) not in subscribed:
                    row.problem(
                        "service", f"customer {customer!r} has no subscription to {service!r}"
                    )
        if len(row.problems) > before:
            return None
        try:
            return Feedback(
                customer=customer,
                at=at,
                csat=csat,
                nps=nps,
                service=service,
                comment=comment,
                channel=channel,
                incident=incident,
                respondent=respondent,
            )
        except ValidationError as exc:  # the checks above are Feedback's own: not expected
            for err in exc.errors(include_url=False):
                field = str(err["loc"][0]) if err["loc"] else None
                row.problem(field, str(err["msg"]).removeprefix("Value error, "))
            return None

    return RecordReader(FEEDBACK, build)


def read_feedback_file(
    path: str | FsPath,
    *,
    bundle: Bundle | None = None,
    fmt: RecordFormat | None = None,
    max_problems: int = MAX_PROBLEMS,
) -> tuple[list[Feedback], list[Problem]]:
    """The feedback of a file, or none and every problem; ``fmt`` (``csv``, ``jsonl``,
    ``json``) defaults to what the file name says."""
    return read_records(path, feedback_reader(bundle), fmt=fmt, max_problems=max_problems)


def parse_feedback(
    text: str,
    fmt: RecordFormat,
    *,
    bundle: Bundle | None = None,
    file: str = "<input>",
    max_problems: int = MAX_PROBLEMS,
) -> tuple[list[Feedback], list[Problem]]:
    """The feedback of ``text`` written in ``fmt``."""
    return parse_records(text, fmt, feedback_reader(bundle), file=file, max_problems=max_problems)


def parse_feedback_json(
    data: Any,
    *,
    bundle: Bundle | None = None,
    file: str = "<request>",
    max_problems: int = MAX_PROBLEMS,
) -> tuple[list[Feedback], list[Problem]]:
    """The feedback of a parsed JSON document (the API's body, ``{"feedback": [...]}``);
    problems carry the path of their field, such as ``("feedback", 2, "csat")``."""
    return parse_record_data(data, feedback_reader(bundle), file=file, max_problems=max_problems)
