"""Servanda's own metrics, in Prometheus' exposition format (``GET /metrics``).

Counters and histograms are kept in this process as work is done: what was ingested (alerts,
measurements, usage records), how long correlation, evaluation and rating took, HTTP request
latency, notifications sent, job runs. Gauges of the stored state (open incidents, the SLA
status of every objective in each customer's latest stored period, the outbox, the last
successful run of each job) are read from the database at scrape time by
:class:`StoredState`, in a fixed number of queries whatever the data (docs/operations.md).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from functools import wraps
from typing import ParamSpec, TypeVar

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import Engine, and_, func, select

from servanda.agreements import metrics as agreed
from servanda.measure.results import Verdict
from servanda.storage.database import transaction
from servanda.storage.repositories.results import actual_of
from servanda.storage.tables import (
    IncidentRow,
    JobRunRow,
    NotificationRow,
    ResultRow,
)

P = ParamSpec("P")
R = TypeVar("R")

REGISTRY = CollectorRegistry(auto_describe=True)
"""This process's metrics (not the client library's global registry)."""

_FAST = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)

INGESTED = Counter(
    "servanda_ingested", "Records received and stored, by kind (alerts, measurements, "
    "usage_records).", ["kind"], registry=REGISTRY,
)  # fmt: skip
INGEST_SECONDS = Histogram(
    "servanda_ingest_duration_seconds", "Time to store one batch, by kind.", ["kind"],
    buckets=_FAST, registry=REGISTRY,
)  # fmt: skip
CORRELATION_SECONDS = Histogram(
    "servanda_correlation_duration_seconds",
    "Time to de-duplicate, correlate and persist one group of event batches or one tick.",
    ["step"], buckets=_FAST, registry=REGISTRY,
)  # fmt: skip
EVALUATIONS = Counter(
    "servanda_evaluations", "Evaluations of one customer over one period.", registry=REGISTRY
)
EVALUATION_SECONDS = Histogram(
    "servanda_evaluation_duration_seconds", "Time to evaluate one customer over one period.",
    buckets=_FAST, registry=REGISTRY,
)  # fmt: skip
RATED = Counter("servanda_rated_records", "Usage records rated.", registry=REGISTRY)
RATING_SECONDS = Histogram(
    "servanda_rating_duration_seconds", "Time to rate one batch of usage records.",
    buckets=_FAST, registry=REGISTRY,
)  # fmt: skip
HTTP_SECONDS = Histogram(
    "servanda_http_request_duration_seconds",
    "HTTP requests, by method, route template and status code.",
    ["method", "route", "status"], buckets=_FAST, registry=REGISTRY,
)  # fmt: skip
NOTIFICATIONS = Counter(
    "servanda_notification_attempts", "Delivery attempts, by channel and outcome "
    "(sent, retry, failed).", ["channel", "outcome"], registry=REGISTRY,
)  # fmt: skip
JOB_RUNS = Counter(
    "servanda_job_runs", "Runs of scheduled jobs in this process, by job and outcome.",
    ["job", "outcome"], registry=REGISTRY,
)  # fmt: skip


@contextmanager
def timing(histogram: Histogram, *labels: str) -> Iterator[None]:
    """Observe the block's duration (in seconds) in ``histogram``."""
    start = time.perf_counter()
    try:
        yield
    finally:
        target = histogram.labels(*labels) if labels else histogram
        target.observe(time.perf_counter() - start)


def timed(histogram: Histogram, *labels: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """A decorator observing each call's duration in ``histogram``."""

    def decorate(fn: Callable[P, R]) -> Callable[P, R]:
        @wraps(fn)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            with timing(histogram, *labels):
                return fn(*args, **kwargs)

        return wrapper

    return decorate


_VERDICTS = ("met", "breached", "no_data")


class StoredState(Collector):
    """Gauges read from the database at each scrape (four queries)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[Metric]:
        open_incidents = GaugeMetricFamily(
            "servanda_open_incidents", "Incidents not closed (merged ones left out), by "
            "state and severity.", labels=["state", "severity"],
        )  # fmt: skip
        status = GaugeMetricFamily(
            "servanda_sla_objective_status", "1 for the verdict of each objective in the "
            "customer's latest stored period (closed periods), 0 for the other verdicts.",
            labels=["customer", "service", "objective", "period", "verdict"],
        )  # fmt: skip
        actual = GaugeMetricFamily(
            "servanda_sla_objective_actual", "The measured value of each objective in the "
            "customer's latest stored period, in the objective's unit.",
            labels=["customer", "service", "objective", "period", "unit"],
        )  # fmt: skip
        target = GaugeMetricFamily(
            "servanda_sla_objective_target", "The target of each objective, in its unit.",
            labels=["customer", "service", "objective", "period", "unit"],
        )  # fmt: skip
        outbox = GaugeMetricFamily(
            "servanda_notifications_queued", "Notifications in the outbox, by state.",
            labels=["state"],
        )  # fmt: skip
        last_ok = GaugeMetricFamily(
            "servanda_job_last_success_timestamp_seconds",
            "When each scheduled job last finished well (any process), Unix time.",
            labels=["job"],
        )  # fmt: skip
        with transaction(self.engine) as session:
            for state, severity, n in session.execute(
                select(IncidentRow.state, IncidentRow.severity, func.count())
                .where(IncidentRow.state != "closed", IncidentRow.merged_into.is_(None))
                .group_by(IncidentRow.state, IncidentRow.severity)
            ):
                open_incidents.add_metric([state, severity], int(n))
            latest = (
                select(ResultRow.customer, func.max(ResultRow.period_start).label("start"))
                .group_by(ResultRow.customer)
                .subquery()
            )
            for row in session.execute(
                select(ResultRow).join(
                    latest,
                    and_(
                        ResultRow.customer == latest.c.customer,
                        ResultRow.period_start == latest.c.start,
                    ),
                )
            ).scalars():
                key = [row.customer, row.service or "", row.objective, row.period_label]
                for verdict in _VERDICTS:
                    status.add_metric([*key, verdict], 1.0 if row.verdict == verdict else 0.0)
                metric, unit = agreed.Metric(row.metric), agreed.Unit(row.unit)
                value = actual_of(
                    row.numerator, row.denominator, metric, unit, Verdict(row.verdict)
                )
                if value is not None:
                    actual.add_metric([*key, row.unit], float(value))
                target.add_metric([*key, row.unit], float(Decimal(row.target)))
            for state, n in session.execute(
                select(NotificationRow.state, func.count()).group_by(NotificationRow.state)
            ):
                outbox.add_metric([state], int(n))
            for job, at in session.execute(
                select(JobRunRow.job, func.max(JobRunRow.finished_at))
                .where(JobRunRow.outcome == "ok")
                .group_by(JobRunRow.job)
            ):
                if at is not None:
                    last_ok.add_metric([job], at.timestamp())
        yield from (open_incidents, status, actual, target, outbox, last_ok)


def exposition(engine: Engine) -> bytes:
    """Every metric of this process and of the database, as Prometheus text."""
    scrape = CollectorRegistry(auto_describe=False)
    scrape.register(_Process())
    scrape.register(StoredState(engine))
    return generate_latest(scrape)


class _Process(Collector):
    """This process's counters and histograms (the module's registry) inside a scrape's."""

    def collect(self) -> Iterator[Metric]:
        yield from REGISTRY.collect()
