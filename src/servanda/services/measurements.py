"""Measurements and attestations: storing them (checked against what is declared), reading
them back as summaries and lists, with the principal's rights enforced.

* **Measurements** (:func:`ingest_measurements`, needs ``ingest_usage``) are checked against the
  declared series stored by the last ``servanda load``: a measurement of an undeclared series,
  or one that does not carry what its series' kind needs, is a problem at its path
  (``measurements[3].series``) and nothing of the batch is stored. Each is stored once under
  its idempotency key (:func:`~servanda.ingest.measurements.measurement_key`): the same batch
  sent twice stores nothing new. A measurement sent again under a stored key is dropped (the
  first one stays) unless ``replace`` is asked for, when it overwrites the stored one (a
  corrected value).
* **Summaries** (:func:`summarise_series`, needs ``read``): count, first and last instants,
  minimum, mean and maximum of a series over a period, computed on columns. A customer reads
  only the series about itself, or shared by the customers of a service it takes.
* **Attestations** (:func:`record_attestations`, needs ``attest``) name a declared policy
  clause and one of its controls. A later attestation of the same control over the same period
  replaces the earlier one (:func:`~servanda.ingest.attestations.attestation_key`); one sent
  again unchanged changes nothing. Anyone who reads may list them (customers: those of the
  policy clauses of the agreements they see).

Every use case takes the :class:`~sqlalchemy.Engine` and runs in a transaction of its own (the
helpers :func:`declared_series` and :func:`visible_series` read inside one).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import numpy as np
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from servanda.core.access import Action, Principal
from servanda.core.intervals import from_us
from servanda.core.problems import InvalidInput, Location, NotFound, Problem
from servanda.declared.bundle import Bundle
from servanda.ingest.attestations import attestation_key, policy_controls
from servanda.ingest.measurements import measurement_key
from servanda.ingest.record_files import MAX_PROBLEMS
from servanda.measure.inputs import COUNT_KINDS, Attestation, Measurement, Series, SeriesKind
from servanda.measure.periods import ReportingPeriod, parse_period
from servanda.measure.series import ratio_of_sums
from servanda.services import telemetry
from servanda.services.catalog import bundle_seen_by
from servanda.storage.database import transaction
from servanda.storage.repositories import (
    MISSING,
    AttestationRepository,
    BundleRepository,
    MeasurementColumns,
    MeasurementRepository,
)
from servanda.storage.repositories.mapping import read
from servanda.storage.tables import SeriesRow

UNLOCATED = "<input>"
"""The file name of problems found in records that came from no file."""


def _listing(ids: Sequence[str], none: str) -> str:
    if not ids:
        return none
    shown = ", ".join(ids[:10]) + (f" and {len(ids) - 10} more" if len(ids) > 10 else "")
    return f"declared: {shown}"


def _stop(problems: list[Problem], file: str) -> bool:
    """Whether :data:`MAX_PROBLEMS` problems were found (then saying so, as the last one)."""
    if len(problems) < MAX_PROBLEMS:
        return False
    problems.append(
        Problem(f"stopped after {MAX_PROBLEMS} problems; fix these and send again", Location(file))
    )
    return True


# -- measurements ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MeasurementCounts:
    """What one batch of measurements did: ``received == new + duplicates``."""

    received: int
    """Measurements in the batch."""
    new: int
    """Measurements stored under a key not stored before."""
    duplicates: int
    """Measurements whose key was stored already, or repeated within the batch."""
    replaced: int = 0
    """Of the duplicates, the stored measurements overwritten (with ``replace`` only)."""

    def as_dict(self) -> dict[str, int]:
        """JSON-compatible data."""
        return {
            "received": self.received,
            "new": self.new,
            "duplicates": self.duplicates,
            "replaced": self.replaced,
        }


def series_by_id(engine: Engine) -> dict[str, Series]:
    """The declared series by id (what a measurement file is read against)."""
    with transaction(engine) as session:
        return declared_series(session)


def declared_series(session: Session) -> dict[str, Series]:
    """The stored series by id (what the last load declared, and any declared earlier)."""
    rows = session.execute(select(SeriesRow.record).order_by(SeriesRow.id)).scalars()
    found = (read(Series, r) for r in rows)
    return {s.id: s for s in found}


_FITS_FIELD = {
    SeriesKind.LATENCY: "value",
    SeriesKind.ONE_WAY_DELAY: "value",
    SeriesKind.JITTER: "value",
    SeriesKind.THROUGHPUT: "value",
    SeriesKind.LOSS: "good",
    SeriesKind.GOOD_TOTAL: "good",
    SeriesKind.PACKETS: "sent_at",
}
"""The field a measurement that does not fit its series' kind lacks."""


def check_measurements(
    measurements: Sequence[Measurement],
    series_by_id: Mapping[str, Series],
    *,
    file: str = UNLOCATED,
    key: str = "measurements",
) -> list[Problem]:
    """Every measurement of an undeclared series, or not carrying what its series' kind needs
    (:meth:`~servanda.measure.inputs.Measurement.fits`), as a problem at ``(key, index,
    field)``; at most :data:`~servanda.ingest.measurements.MAX_PROBLEMS` of them."""
    kinds = {k: s.kind for k, s in series_by_id.items()}
    problems: list[Problem] = []
    where = Location(file)
    declared: str | None = None
    for i, m in enumerate(measurements):
        kind = kinds.get(m.series)
        if kind is None:
            if declared is None:
                declared = _listing(sorted(kinds), "no series is declared")
            message = f"unknown series {m.series!r}; {declared}"
            problems.append(Problem(message, where, (key, i, "series")))
        else:
            why = m.fits(kind)
            if why is None:
                continue
            message = f"series {m.series!r} is {kind.value}: {why}"
            problems.append(Problem(message, where, (key, i, _FITS_FIELD[kind])))
        if _stop(problems, file):
            break
    return problems


@telemetry.timed(telemetry.INGEST_SECONDS, "measurements")
def ingest_measurements(
    engine: Engine,
    principal: Principal,
    measurements: Sequence[Measurement],
    now: datetime,
    *,
    replace: bool = False,
    file: str = UNLOCATED,
) -> MeasurementCounts:
    """Store a batch of measurements, all of them or none; ``now`` is stored as when.

    Raises :class:`~servanda.core.problems.Forbidden` unless the principal may ingest usage,
    and :class:`InvalidInput` (every problem at ``measurements[i].field`` of ``file``) when a
    measurement names an undeclared series or does not fit its series' kind. Sending the same
    batch again stores nothing new; with ``replace`` a measurement sent under a stored key
    overwrites the stored one.
    """
    principal.require(Action.INGEST_USAGE)
    with transaction(engine) as session:
        return _store(session, measurements, now, replace, file, declared_series(session), 0)


def ingest_measurement_stream(
    engine: Engine,
    principal: Principal,
    batches: Iterable[Sequence[Measurement]],
    now: datetime,
    *,
    replace: bool = False,
    file: str = UNLOCATED,
) -> MeasurementCounts:
    """Store batches of measurements as they come (a file too large to hold, read by
    :func:`~servanda.ingest.measurements.stream_measurement_file`), all of them or none: every
    batch goes into one transaction, rolled back when a batch has problems or the stream
    raises (:class:`InvalidInput` for a file found wrong on its way). The counts and checks
    are those of :func:`ingest_measurements` over the whole stream, but for one thing: with
    ``replace``, a key repeated in two batches counts as replaced rather than duplicated."""
    principal.require(Action.INGEST_USAGE)
    counts = MeasurementCounts(0, 0, 0)
    with transaction(engine) as session:
        declared = declared_series(session)
        for batch in batches:
            more = _store(session, batch, now, replace, file, declared, counts.received)
            counts = MeasurementCounts(
                counts.received + more.received,
                counts.new + more.new,
                counts.duplicates + more.duplicates,
                counts.replaced + more.replaced,
            )
    return counts


def _store(
    session: Session,
    measurements: Sequence[Measurement],
    now: datetime,
    replace: bool,
    file: str,
    declared: Mapping[str, Series],
    first: int,
) -> MeasurementCounts:
    """Check and store one batch in ``session``; ``first``: the index of its first
    measurement in what is being stored (where its problems are)."""
    problems = check_measurements(measurements, declared, file=file)
    if problems:
        raise InvalidInput([_shifted(p, first) for p in problems])
    received = len(measurements)
    if not measurements:
        return MeasurementCounts(0, 0, 0)
    keyed = [(measurement_key(m), m) for m in measurements]
    repo = MeasurementRepository(session)
    if not replace:
        new = repo.add(keyed, now)
        telemetry.INGESTED.labels("measurements").inc(received)
        return MeasurementCounts(received, new, received - new)
    keys = {k for k, _ in keyed}
    stored = len(repo.existing_keys(keys))
    repo.add(keyed, now, replace=True)
    new = len(keys) - stored
    telemetry.INGESTED.labels("measurements").inc(received)
    return MeasurementCounts(received, new, received - new, replaced=stored)


def _shifted(problem: Problem, first: int) -> Problem:
    """``problem`` at ``(key, first + i, …)`` instead of ``(key, i, …)``."""
    path = problem.path
    if not first or len(path) < 2 or not isinstance(path[1], int):
        return problem
    return dataclasses.replace(problem, path=(path[0], path[1] + first, *path[2:]))


UNITS = {
    SeriesKind.LATENCY: "ms",
    SeriesKind.ONE_WAY_DELAY: "ms",
    SeriesKind.JITTER: "ms",
    SeriesKind.PACKETS: "ms",
    SeriesKind.THROUGHPUT: "bit/s",
}
"""The unit of the values (or packet delays) of each kind that has them."""


@dataclass(frozen=True, slots=True)
class ValueFigures:
    """Minimum, mean and maximum of the values of a series (the one-way delay of each packet
    for ``packets`` series). The extremes are observed samples, exact; the mean is a float."""

    unit: str
    """``ms`` or ``bit/s``."""
    count: int
    """Measurements with a value."""
    minimum: Decimal
    mean: float
    maximum: Decimal


@dataclass(frozen=True, slots=True)
class CountFigures:
    """Σgood and Σtotal of a count series (loss, good/total) and their ratio."""

    good: int
    total: int
    ratio: float | None
    """Σgood / Σtotal; None when Σtotal = 0."""


@dataclass(frozen=True, slots=True)
class SeriesSummary:
    """A series over ``[since, until)``: how many measurements, when, and their figures."""

    series: Series
    since: datetime
    until: datetime
    count: int
    first: datetime | None
    """When the first measurement was taken (None without measurements)."""
    last: datetime | None
    values: ValueFigures | None = None
    """For latency, delay, jitter, throughput and packets series with measurements."""
    counts: CountFigures | None = None
    """For loss and good/total series with measurements."""

    def as_dict(self) -> dict[str, Any]:
        """JSON-compatible data (exact numbers as strings)."""
        values = self.values
        counts = self.counts
        return {
            "series": self.series.id,
            "kind": self.series.kind.value,
            "node": self.series.node,
            "customer": self.series.customer,
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "count": self.count,
            "first": None if self.first is None else self.first.isoformat(),
            "last": None if self.last is None else self.last.isoformat(),
            "values": None
            if values is None
            else {
                "unit": values.unit,
                "count": values.count,
                "minimum": str(values.minimum),
                "mean": values.mean,
                "maximum": str(values.maximum),
            },
            "counts": None
            if counts is None
            else {"good": counts.good, "total": counts.total, "ratio": counts.ratio},
        }


def visible_series(session: Session, principal: Principal, series_id: str) -> Series:
    """The declared series ``series_id`` if the principal may read it, else :class:`NotFound`.

    A customer reads the series about itself, and those shared by every customer of a service
    it takes."""
    principal.require(Action.READ)
    found = declared_series(session).get(series_id)
    party = principal.scope
    if found is not None and party is not None:
        if found.customer is None:
            taken = {s.service for s in bundle_seen_by(session, principal).subscriptions}
            if found.node not in taken:
                found = None
        elif found.customer != party:
            found = None
    if found is None:
        raise NotFound(f"no series {series_id!r}")
    return found


def summarise_series(
    engine: Engine, principal: Principal, series_id: str, since: datetime, until: datetime
) -> SeriesSummary:
    """The measurements of ``series_id`` taken in ``[since, until)``, summarised.

    Raises :class:`NotFound` for a series not declared (or not visible to a customer) and
    :class:`InvalidInput` when the period ends before it starts.
    """
    if until < since:
        message = f"the period ends ({until.isoformat()}) before it starts ({since.isoformat()})"
        raise InvalidInput([Problem(message, path=("until",))])
    with transaction(engine) as session:
        series = visible_series(session, principal, series_id)
        cols = MeasurementRepository(session).measurements(series_id, since, until, exact=True)
    count = len(cols)
    summary = SeriesSummary(
        series=series,
        since=since,
        until=until,
        count=count,
        first=from_us(cols.at_us[0]) if count else None,
        last=from_us(cols.at_us[-1]) if count else None,
    )
    if not count:
        return summary
    if series.kind in COUNT_KINDS:
        has = cols.good != MISSING
        ratio = ratio_of_sums(cols.good[has], cols.total[has])
        counts = CountFigures(good=ratio.good, total=ratio.total, ratio=ratio.ratio)
        return dataclasses.replace(summary, counts=counts)
    return dataclasses.replace(summary, values=_value_figures(series.kind, cols))


def _value_figures(kind: SeriesKind, cols: MeasurementColumns) -> ValueFigures | None:
    """Extremes and mean of the values (or packet delays, in ms) of ``cols``."""
    texts: tuple[str | None, ...] = cols.value_text or ()
    has_value = ~np.isnan(cols.value)
    if kind is SeriesKind.PACKETS:
        has_value = np.zeros(len(cols), dtype=bool)
    delay_us = cols.received_us - cols.sent_us
    has_delay = (cols.sent_us != MISSING) & ~has_value
    if kind not in (SeriesKind.PACKETS, SeriesKind.ONE_WAY_DELAY):
        has_delay = np.zeros(len(cols), dtype=bool)
    ms = np.where(has_value, cols.value, delay_us / 1000.0)
    used = has_value | has_delay
    if not used.any():
        return None
    picked = np.flatnonzero(used)
    values = ms[picked]
    low, high = int(picked[np.argmin(values)]), int(picked[np.argmax(values)])

    def exact(i: int) -> Decimal:
        text = texts[i] if has_value[i] else None
        if text is not None:
            return Decimal(text)
        return Decimal(int(delay_us[i])).scaleb(-3)

    return ValueFigures(
        unit=UNITS.get(kind, ""),
        count=int(picked.size),
        minimum=exact(low),
        mean=float(values.mean()),
        maximum=exact(high),
    )


# -- attestations ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AttestationCounts:
    """What one batch of attestations did: ``received == new + updated + unchanged``."""

    received: int
    new: int
    """Controls and periods attested for the first time."""
    updated: int
    """Stored attestations replaced by a different one for the same control and period."""
    unchanged: int
    """Attestations sent again as stored, or followed by another for the same control and
    period in the batch (the last one counts)."""

    def as_dict(self) -> dict[str, int]:
        """JSON-compatible data."""
        return {
            "received": self.received,
            "new": self.new,
            "updated": self.updated,
            "unchanged": self.unchanged,
        }


def check_attestations(
    attestations: Sequence[Attestation],
    bundle: Bundle,
    *,
    file: str = UNLOCATED,
    key: str = "attestations",
) -> list[Problem]:
    """Every attestation of a policy clause no agreement declares, or of a control its clause
    does not have, as a problem at ``(key, index, field)``."""
    policies = policy_controls(bundle)
    problems: list[Problem] = []
    where = Location(file)
    for i, a in enumerate(attestations):
        controls = policies.get(a.policy)
        if controls is None:
            known = ", ".join(sorted(policies)) or "none"
            message = f"unknown policy clause {a.policy!r}; declared: {known}"
            problems.append(Problem(message, where, (key, i, "policy")))
        elif a.control not in controls:
            message = (
                f"policy clause {a.policy!r} has no control {a.control!r}; its controls: "
                f"{', '.join(controls) or 'none'}"
            )
            problems.append(Problem(message, where, (key, i, "control")))
        else:
            continue
        if _stop(problems, file):
            break
    return problems


def record_attestations(
    engine: Engine,
    principal: Principal,
    attestations: Sequence[Attestation],
    *,
    file: str = UNLOCATED,
) -> AttestationCounts:
    """Store attestations, all of them or none.

    Raises :class:`~servanda.core.problems.Forbidden` unless the principal may attest, and
    :class:`InvalidInput` (every problem at ``attestations[i].field``) for an undeclared policy
    clause or control. The last attestation of a control over a period replaces any earlier
    one; one identical to what is stored changes nothing.
    """
    principal.require(Action.ATTEST)
    with transaction(engine) as session:
        problems = check_attestations(attestations, BundleRepository(session).load(), file=file)
        if problems:
            raise InvalidInput(problems)
        latest = {attestation_key(a): a for a in attestations}
        repo = AttestationRepository(session)
        stored: dict[str, Attestation] = {}
        for policy in sorted({a.policy for a in latest.values()}):
            stored.update((attestation_key(a), a) for a in repo.attestations(policy=policy))
        changed = [(k, a) for k, a in latest.items() if stored.get(k) != a]
        if changed:
            repo.add(changed, replace=True)
    new = sum(1 for k, _ in changed if k not in stored)
    updated = len(changed) - new
    return AttestationCounts(len(attestations), new, updated, len(attestations) - len(changed))


def list_attestations(
    engine: Engine,
    principal: Principal,
    *,
    policy: str | None = None,
    control: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[Attestation]:
    """Attestations (of ``policy``, of ``control``, whose period overlaps ``[since, until)``),
    by policy, control and period. A customer sees those of the policy clauses of the
    agreements it sees."""
    principal.require(Action.READ)
    with transaction(engine) as session:
        found = AttestationRepository(session).attestations(policy=policy, control=control)
        if principal.scope is not None:
            visible = policy_controls(bundle_seen_by(session, principal))
            found = [a for a in found if a.control in visible.get(a.policy, ())]
    return [
        a
        for a in found
        if (since is None or a.period_end > since) and (until is None or a.period_start < until)
    ]


def policy_timezone(bundle: Bundle, policy: str) -> str:
    """The timezone of the calendar of the first agreement (by id and version) that declares
    the policy clause ``policy`` with a calendar; UTC when none has one."""
    for agreement in sorted(bundle.agreements, key=lambda a: a.key):
        if agreement.calendar is None or all(c.id != policy for c in agreement.policies):
            continue
        calendar = bundle.calendar_by_id.get(agreement.calendar)
        if calendar is not None:
            return calendar.timezone
    return "UTC"


def attestation_period(bundle: Bundle, policy: str, text: str) -> ReportingPeriod:
    """The period ``text`` names (``2024-04``, ``2024-Q2`` …) in the timezone of the policy
    clause's agreement (:func:`policy_timezone`); :class:`InvalidInput` at ``period`` when it
    names none."""
    try:
        return parse_period(text, policy_timezone(bundle, policy))
    except ValueError as exc:
        raise InvalidInput([Problem(str(exc), path=("period",))]) from None
