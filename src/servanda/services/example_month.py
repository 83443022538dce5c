"""Load the evidence kept beside an example configuration: a month of alerts, measurements,
control attestations, feedback, reviews and usage, through the same use cases as the API and the
command line. ``servanda demo`` uses it so that reports have something to show.

The folder layout is the one of ``examples/metro-isp``: ``events/*.alertmanager.jsonl`` and
``events/*.generic.json``, ``measurements/*.csv``, ``attestations/*.csv``, ``feedback/*.csv``,
``feedback/reviews.json``, and usage: ``usage/*.online.jsonl`` (online-charging requests: top-ups,
prepaid and credit-limit balances, sessions charged while they run), ``usage/*.radius`` (RADIUS
accounting requests, mediated into data sessions) and ``usage/*.csv`` and other
``usage/*.jsonl`` (usage records), all stored and rated with the example's tariffs.
Every step is idempotent (reviews are stored only when no review of the same customer, day and
kind exists), so loading twice changes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Engine

from servanda.core.access import LOCAL_ADMIN
from servanda.core.problems import InvalidInput, Problem, Severity
from servanda.core.records import from_jsonable
from servanda.engagement.model import Review
from servanda.ingest.attestations import read_attestation_file
from servanda.ingest.charging_requests import read_charging_requests
from servanda.ingest.event_files import read_event_file
from servanda.ingest.measurements import read_measurement_file
from servanda.ingest.radius.files import read_request_file
from servanda.ingest.record_files import read_records
from servanda.ingest.usage_files import read_usage_file
from servanda.services import charging, engagement, measurements, radius, usage
from servanda.services.events import EventEngine
from servanda.storage.database import transaction
from servanda.storage.repositories import BundleRepository


@dataclass
class MonthLoaded:
    """How much of each kind was read (and how much of it was new)."""

    counts: dict[str, tuple[int, int]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    """What is worth telling of the month (a prepaid call cut, a credit limit spent)."""

    def add(self, kind: str, received: int, new: int) -> None:
        """Count ``received`` records of ``kind``, ``new`` of them stored."""
        old = self.counts.get(kind, (0, 0))
        self.counts[kind] = (old[0] + received, old[1] + new)

    def __str__(self) -> str:
        return ", ".join(f"{k}: {n} ({new} new)" for k, (n, new) in self.counts.items())


def load_example_month(engine: Engine, folder: Path, now: datetime) -> MonthLoaded:
    """Store the evidence files of ``folder`` (see the module); bad files raise
    :class:`InvalidInput` with every problem, and nothing of that file is stored."""
    loaded = MonthLoaded()
    events = EventEngine(engine)
    for path in sorted((folder / "events").glob("*.alertmanager.jsonl")):
        found, problems = read_event_file(path, "alertmanager", received_at=now)
        _raise(problems)
        result = events.ingest(LOCAL_ADMIN, found, now)
        loaded.add("alerts", result.received, result.new)
    for path in sorted((folder / "events").glob("*.generic.json")):
        found, problems = read_event_file(path, "generic", received_at=now)
        _raise(problems)
        result = events.ingest(LOCAL_ADMIN, found, now)
        loaded.add("alerts", result.received, result.new)
    events.settle(now)  # the files hold the whole month: nothing earlier is still to come
    with transaction(engine) as session:
        bundle = BundleRepository(session).load()
    for path in sorted((folder / "measurements").glob("*.csv")):
        taken, problems = read_measurement_file(path, series_by_id=bundle.series_by_id)
        _raise(problems)
        counts = measurements.ingest_measurements(engine, LOCAL_ADMIN, taken, now, file=str(path))
        loaded.add("measurements", counts.received, counts.new)
    for path in sorted((folder / "attestations").glob("*.csv")):
        attested, problems = read_attestation_file(path, bundle=bundle)
        _raise(problems)
        done = measurements.record_attestations(engine, LOCAL_ADMIN, attested, file=str(path))
        loaded.add("attestations", done.received, done.new)
    for path in sorted((folder / "feedback").glob("*.csv")):
        reader = engagement.feedback_file_reader(engine, LOCAL_ADMIN)
        answers, problems = read_records(path, reader)
        _raise(problems)
        got = engagement.record_feedback(engine, LOCAL_ADMIN, answers, now, file=str(path))
        loaded.add("feedback", got.received, got.new)
    reviews_file = folder / "feedback" / "reviews.json"
    if reviews_file.exists():
        data = json.loads(reviews_file.read_text(encoding="utf-8"))
        reviews = [from_jsonable(Review, r) for r in data.get("reviews", [])]
        known = {
            (s.review.customer, s.review.held_on, s.review.kind)
            for s in engagement.list_reviews(engine, LOCAL_ADMIN)
        }
        new = 0
        for review in reviews:
            if (review.customer, review.held_on, review.kind) not in known:
                engagement.record_review(engine, LOCAL_ADMIN, review, now)
                new += 1
        loaded.add("reviews", len(reviews), new)
    load_example_usage(engine, folder / "usage", now, loaded)
    return loaded


def load_example_usage(
    engine: Engine, folder: Path, now: datetime, loaded: MonthLoaded | None = None
) -> MonthLoaded:
    """Store the usage files of ``folder`` (an example's ``usage/``; see the module)."""
    loaded = loaded if loaded is not None else MonthLoaded()
    # Balances first: the month's credit limits and top-ups come before the use they pay.
    for path in sorted(folder.glob("*.online.jsonl")):
        requests, problems = read_charging_requests(path)
        _raise(problems)
        done = charging.replay_requests(engine, LOCAL_ADMIN, requests)
        loaded.add("online requests", len(requests), len(requests))
        loaded.add("online sessions", len(done.answers), len(done.answers))
        for sid, answer in sorted(done.answers.items()):
            if answer.final:
                loaded.notes.append(
                    f"prepaid session {sid} was cut at its final unit after {answer.used} s: "
                    f"{answer.debited} {answer.currency} debited, {answer.balance} left"
                )
    for path in sorted(folder.glob("*.radius")):
        found, problems = read_request_file(path, source="bras-radius")
        _raise(problems)
        events = [r.event for r in found]
        replayed = radius.replay(engine, LOCAL_ADMIN, events, service="internet-access", now=now)
        loaded.add("RADIUS requests", replayed.requests, replayed.stored)
        owed: dict[tuple[str, str], Decimal] = {}
        for short in replayed.shortfalls:
            key = (short.account, short.currency)
            owed[key] = owed.get(key, Decimal(0)) + short.owed
        loaded.notes += [
            f"{account} used {amount} {currency} of data beyond its credit limit (billed)"
            for (account, currency), amount in sorted(owed.items())
        ]
    files = sorted(folder.glob("*.csv")) + sorted(
        p for p in folder.glob("*.jsonl") if not p.name.endswith(".online.jsonl")
    )
    for path in files:
        used, problems = read_usage_file(path)
        _raise(problems)
        summary = usage.ingest_usage(engine, LOCAL_ADMIN, used, now, origins=str(path))
        loaded.add("usage", summary.received, summary.stored)
    return loaded


def _raise(problems: Sequence[Problem]) -> None:
    errors = [p for p in problems if p.severity is Severity.ERROR]
    if errors:
        raise InvalidInput(errors)
