"""Outage files, for evaluating agreements without a database (``servanda sla evaluate
CONFIG_DIR --outages FILE``): outages written by hand or exported from another tool, read into
:class:`~servanda.events.outages.Outage` records.

* **CSV** (``*.csv``): a header row naming columns among ``service, customer, start, end,
  fraction, planned, incident``; ``service``, ``customer`` and ``start`` are required::

      service,customer,start,end,fraction,planned,incident
      internet-access,hospital,2024-04-09T07:12:00Z,2024-04-09T07:58:00Z,,,INC-2024-0412
      managed-vpn,quai-capital,2024-04-14T01:00:00Z,2024-04-14T02:30:00Z,0.5,true,

* **JSON Lines** (``*.jsonl``): one object per line with the same field names;
* **JSON**: ``{"outages": [...]}`` or a bare array.

``end`` absent: the outage still lasts. ``fraction`` is the share of the service lost, more
than 0 and at most 1 (1, a full outage, when absent). ``planned`` (true/false, false when
absent) counts the outage as planned downtime. ``incident`` groups the rows of one incident
(MTBF and MTRS count incidents); without it each row is an incident of its own, with an id
made from its service, customer and start (``outage-`` and 12 hex digits), the same every time
the file is read.

Given the configuration, the service must be a known service and the customer a known customer
subscribed to it. A file is all or nothing, every problem located ``file:line`` at its column
(see :mod:`servanda.ingest.measurements`, whose readers this module uses).
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path as FsPath
from typing import Any

from pydantic import ValidationError

from servanda.catalog.model import PartyRole
from servanda.core.problems import Problem
from servanda.declared.bundle import Bundle
from servanda.events.outages import Outage
from servanda.ingest.record_files import (
    MAX_PROBLEMS,
    RecordFormat,
    RecordReader,
    RecordSpec,
    Row,
    parse_record_data,
    parse_records,
    read_records,
    to_bool,
    to_decimal,
    to_text,
    to_timestamp,
)

OUTAGE_COLUMNS = ("service", "customer", "start", "end", "fraction", "planned", "incident")
"""The fields of an outage, in the order of the CSV header the docs show."""
OUTAGES = RecordSpec("outages", OUTAGE_COLUMNS, ("service", "customer", "start"))
"""Outage files."""


def to_fraction(raw: Any) -> float:
    """The share of a service lost: a number more than 0 and at most 1."""
    number = to_decimal(raw)
    if not 0 < number <= 1:
        raise ValueError(f"a fraction is more than 0 and at most 1, not {number}")
    return float(number)


def outage_incident_id(service: str, customer: str, start: datetime) -> str:
    """The incident id of an outage row that names none: ``outage-`` and the first 12 hex
    digits of SHA-256 of its service, customer and start (UTC, ISO 8601)."""
    text = "\x1f".join((service, customer, start.isoformat(timespec="microseconds")))
    return "outage-" + hashlib.sha256(text.encode()).hexdigest()[:12]


def outage_reader(bundle: Bundle | None = None) -> RecordReader[Outage]:
    """How outages are read, checked against ``bundle``'s services, parties and subscriptions
    when given."""
    subscribed = None if bundle is None else {(s.customer, s.service) for s in bundle.subscriptions}

    def build(row: Row) -> Outage | None:
        before = len(row.problems)
        service = row.get("service", to_text, required=True)
        customer = row.get("customer", to_text, required=True)
        start = row.get("start", to_timestamp, required=True)
        end = row.get("end", to_timestamp)
        fraction = row.get("fraction", to_fraction)
        planned = row.get("planned", to_bool)
        incident = row.get("incident", to_text)
        if service is None or customer is None or start is None or len(row.problems) > before:
            return None
        if end is not None and end < start:
            row.problem("end", f"end {end.isoformat()} is before start {start.isoformat()}")
        if bundle is not None and subscribed is not None:
            known = service in bundle.service_by_id
            if not known:
                row.problem("service", f"unknown service {service!r}")
            party = bundle.party_by_id.get(customer)
            if party is None:
                row.problem("customer", f"unknown party {customer!r}")
            elif PartyRole.CUSTOMER not in party.roles:
                row.problem("customer", f"party {customer!r} is not a customer")
            elif known and (customer, service) not in subscribed:
                row.problem("customer", f"customer {customer!r} has no subscription to {service!r}")
        if len(row.problems) > before:
            return None
        try:
            return Outage(
                incident_id=incident or outage_incident_id(service, customer, start),
                service=service,
                customer=customer,
                start=start,
                end=end,
                fraction=1.0 if fraction is None else fraction,
                planned=bool(planned),
            )
        except ValidationError as exc:  # the checks above are Outage's own: not expected
            for err in exc.errors(include_url=False):
                row.problem(None, str(err["msg"]).removeprefix("Value error, "))
            return None

    return RecordReader(OUTAGES, build)


def read_outage_file(
    path: str | FsPath,
    *,
    bundle: Bundle | None = None,
    fmt: RecordFormat | None = None,
    max_problems: int = MAX_PROBLEMS,
) -> tuple[list[Outage], list[Problem]]:
    """The outages of a file, or none and every problem; ``fmt`` (``csv``, ``jsonl``,
    ``json``) defaults to what the file name says."""
    return read_records(path, outage_reader(bundle), fmt=fmt, max_problems=max_problems)


def parse_outages(
    text: str,
    fmt: RecordFormat,
    *,
    bundle: Bundle | None = None,
    file: str = "<input>",
    max_problems: int = MAX_PROBLEMS,
) -> tuple[list[Outage], list[Problem]]:
    """The outages of ``text`` written in ``fmt``."""
    return parse_records(text, fmt, outage_reader(bundle), file=file, max_problems=max_problems)


def parse_outages_json(
    data: Any,
    *,
    bundle: Bundle | None = None,
    file: str = "<request>",
    max_problems: int = MAX_PROBLEMS,
) -> tuple[list[Outage], list[Problem]]:
    """The outages of a parsed JSON document (``{"outages": [...]}``); problems carry the path
    of their field, such as ``("outages", 1, "end")``."""
    return parse_record_data(data, outage_reader(bundle), file=file, max_problems=max_problems)
