"""Attestation files: statements that a policy control was (or was not) met over a period, read
into :class:`~servanda.measure.inputs.Attestation` records; they feed control-compliance
objectives.

* **CSV** (``*.csv``): a header row naming the columns ``policy, control, period_start,
  period_end, met, attested_by, attested_at`` (all required) and optionally ``evidence`` and
  ``note``::

      policy,control,period_start,period_end,met,attested_by,attested_at
      corporate-security,password-length,2024-03-31T22:00:00Z,2024-04-30T22:00:00Z,true,CISO,…

* **JSON Lines** (``*.jsonl``): one object per line with the same field names;
* **JSON**: ``{"attestations": [...]}`` — the API's body — or a bare array.

``met`` is true or false (also yes/no, 1/0); the period is half-open, ``[period_start,
period_end)``. Given the configuration, the policy clause must be declared by an agreement and
the control must be one of its controls. A file is all or nothing, every problem located
``file:line`` at its column (see :mod:`servanda.ingest.measurements`, whose readers this module
uses).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path as FsPath
from typing import Any

from pydantic import ValidationError

from servanda.core.problems import Problem
from servanda.declared.bundle import Bundle
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
    to_name,
    to_note,
    to_text,
    to_timestamp,
)
from servanda.measure.inputs import Attestation

ATTESTATION_COLUMNS = (
    "policy",
    "control",
    "period_start",
    "period_end",
    "met",
    "attested_by",
    "attested_at",
    "evidence",
    "note",
)
"""The fields of an attestation, in the order of the CSV header the docs show."""
ATTESTATIONS = RecordSpec("attestations", ATTESTATION_COLUMNS, ATTESTATION_COLUMNS[:7])
"""Attestation files."""


def attestation_key(a: Attestation) -> str:
    """The identity of an attestation, for idempotent ingestion: SHA-256 (hex) of its policy,
    control and period (UTC, to the microsecond). A later attestation of the same control over
    the same period has the same key, so it replaces the earlier one."""
    parts = (a.policy, a.control, _instant(a.period_start), _instant(a.period_end))
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def _instant(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def policy_controls(bundle: Bundle) -> dict[str, list[str]]:
    """Every policy clause any agreement declares, with its controls' ids (a clause declared
    at several levels has the controls of all of them)."""
    found: dict[str, dict[str, None]] = {}
    for agreement in bundle.agreements:
        for clause in agreement.policies:
            controls = found.setdefault(clause.id, {})
            controls.update(dict.fromkeys(c.id for c in clause.controls))
    return {clause: list(controls) for clause, controls in found.items()}


def _listing(ids: list[str]) -> str:
    return ", ".join(ids) if ids else "none"


def attestation_reader(bundle: Bundle | None = None) -> RecordReader[Attestation]:
    """How attestations are read, checked against ``bundle``'s policy clauses and their
    controls when given."""
    policies = None if bundle is None else policy_controls(bundle)

    def build(row: Row) -> Attestation | None:
        before = len(row.problems)
        policy = row.get("policy", to_text, required=True)
        control = row.get("control", to_text, required=True)
        period_start = row.get("period_start", to_timestamp, required=True)
        period_end = row.get("period_end", to_timestamp, required=True)
        met = row.get("met", to_bool, required=True)
        attested_by = row.get("attested_by", to_name, required=True)
        attested_at = row.get("attested_at", to_timestamp, required=True)
        evidence = row.get("evidence", to_note) or ""
        note = row.get("note", to_note) or ""
        if (
            policy is None
            or control is None
            or period_start is None
            or period_end is None
            or met is None
            or attested_by is None
            or attested_at is None
            or len(row.problems) > before
        ):
            return None
        if period_end <= period_start:
            row.problem(
                "period_end",
                f"the attested period ends ({period_end.isoformat()}) before it starts "
                f"({period_start.isoformat()})",
            )
        if policies is not None:
            controls = policies.get(policy)
            if controls is None:
                row.problem(
                    "policy",
                    f"unknown policy clause {policy!r}; declared: {_listing(sorted(policies))}",
                )
            elif control not in controls:
                row.problem(
                    "control",
                    f"policy clause {policy!r} has no control {control!r}; its controls: "
                    f"{_listing(controls)}",
                )
        if len(row.problems) > before:
            return None
        try:
            return Attestation(
                control=control,
                policy=policy,
                period_start=period_start,
                period_end=period_end,
                met=met,
                attested_by=attested_by,
                attested_at=attested_at,
                evidence=evidence,
                note=note,
            )
        except ValidationError as exc:  # the checks above are Attestation's own: not expected
            for err in exc.errors(include_url=False):
                row.problem(None, str(err["msg"]).removeprefix("Value error, "))
            return None

    return RecordReader(ATTESTATIONS, build)


def read_attestation_file(
    path: str | FsPath,
    *,
    bundle: Bundle | None = None,
    fmt: RecordFormat | None = None,
    max_problems: int = MAX_PROBLEMS,
) -> tuple[list[Attestation], list[Problem]]:
    """The attestations of a file, or none and every problem; ``fmt`` (``csv``, ``jsonl``,
    ``json``) defaults to what the file name says."""
    return read_records(path, attestation_reader(bundle), fmt=fmt, max_problems=max_problems)


def parse_attestations(
    text: str,
    fmt: RecordFormat,
    *,
    bundle: Bundle | None = None,
    file: str = "<input>",
    max_problems: int = MAX_PROBLEMS,
) -> tuple[list[Attestation], list[Problem]]:
    """The attestations of ``text`` written in ``fmt``."""
    reader = attestation_reader(bundle)
    return parse_records(text, fmt, reader, file=file, max_problems=max_problems)


def parse_attestations_json(
    data: Any,
    *,
    bundle: Bundle | None = None,
    file: str = "<request>",
    max_problems: int = MAX_PROBLEMS,
) -> tuple[list[Attestation], list[Problem]]:
    """The attestations of a parsed JSON document (the API's body, ``{"attestations":
    [...]}``); problems carry the path of their field, such as ``("attestations", 0,
    "control")``."""
    reader = attestation_reader(bundle)
    return parse_record_data(data, reader, file=file, max_problems=max_problems)
