"""MTBF family, lifecycle means, response and resolution times, worked out by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from servanda.agreements.model import SeverityTarget
from servanda.core.intervals import IntervalSet
from servanda.events.incidents import Incident, IncidentState
from servanda.events.model import Severity
from servanda.events.outages import Outage
from servanda.measure.reliability import (
    AVAILABILITY_TEXT,
    Outcome,
    ResolutionMark,
    lifecycle_means,
    reliability,
    response_resolution,
    spoken_duration,
)

START = datetime(2024, 4, 1, tzinfo=UTC)
END = datetime(2024, 5, 1, tzinfo=UTC)  # 30 days: 2 592 000 s
H = timedelta(hours=1)
M = timedelta(minutes=1)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2024, 4, day, hour, minute, tzinfo=UTC)


def incident(
    name: str,
    detected: datetime,
    severity: Severity = Severity.CRITICAL,
    *,
    ack: timedelta | None = None,
    corrected: timedelta | None = None,
    resolved: timedelta | None = None,
    validated: timedelta | None = None,
    closed: timedelta | None = None,
    planned: bool = False,
    merged_into: str | None = None,
) -> Incident:
    def plus(d: timedelta | None) -> datetime | None:
        return None if d is None else detected + d

    return Incident(
        id=f"inc-{name}",
        root="core-1",
        root_fingerprints=(name,),
        state=IncidentState.DETECTED,
        severity=severity,
        detected_at=detected,
        planned=planned,
        acknowledged_at=plus(ack),
        corrected_at=plus(corrected),
        resolved_at=plus(resolved),
        validated_at=plus(validated),
        closed_at=plus(closed),
        merged_into=merged_into,
    )


def outage(
    inc: Incident, start: datetime, end: datetime | None, *, fraction: float = 1.0
) -> Outage:
    return Outage(
        incident_id=inc.id,
        service="internet",
        customer="globex",
        start=start,
        end=end,
        fraction=fraction,
        planned=inc.planned,
    )


# A: critical, down 1 h on 2 April 10:00; acknowledged after 10 min, corrected after 50 min,
#    recovered after 1 h, validated after 2 h, closed after 3 h.
A = incident(
    "a",
    at(2, 10),
    ack=10 * M,
    corrected=50 * M,
    resolved=H,
    validated=2 * H,
    closed=3 * H,
)
# B: major, down 30 min on 10 April 14:00; acknowledged after 32 min, corrected after 30 min
#    (the fix came before anyone acknowledged: a remote hand), never validated.
B = incident("b", at(10, 14), Severity.MAJOR, ack=32 * M, corrected=30 * M, resolved=30 * M)
# C: planned work, 2 h on 20 April 02:00.
C = incident("c", at(20, 2), planned=True, ack=M, resolved=2 * H)
OUTAGES = [
    outage(A, at(2, 10), at(2, 11)),
    outage(B, at(10, 14), at(10, 14, 30)),
    outage(C, at(20, 2), at(20, 4)),
]


def test_mtbf_family_by_hand() -> None:
    r = reliability(OUTAGES, [A, B, C], START, END)
    # downtime 3600 + 1800 = 5400 s; planned 7200 s (no failure); 2 failures.
    assert r.window == timedelta(days=30)
    assert r.downtime == timedelta(seconds=5400)
    assert r.planned_downtime == timedelta(seconds=7200)
    assert r.uptime == timedelta(seconds=2_592_000 - 5400 - 7200)  # 2 579 400 s
    assert r.failures == 2
    assert r.mtrs.seconds == 2700  # 45 min
    assert r.mtbf.seconds == 1_289_700  # 2 579 400 / 2
    assert r.mtbsi.seconds == 1_292_400  # MTBF + MTRS
    assert r.mtbsi.seconds == r.mtbf.seconds + r.mtrs.seconds
    # MTBF / (MTBF + MTRS) = 2 579 400 / 2 584 800
    assert r.availability == Decimal(257_940_000) / Decimal(2_584_800)
    assert str(r.availability)[:8] == "99.79108"
    assert r.mtrs.text == "MTRS: mean time to restore service = total downtime / failures"
    assert r.mtrs.shown() == "45 min"
    assert r.mtrs.duration == timedelta(minutes=45)
    assert r.mtbf.shown() == "14 d 22 h 15 min"  # 1 289 700 s
    assert "MTBF + MTRS" in AVAILABILITY_TEXT


def test_failure_records_keep_raw_timestamps() -> None:
    r = reliability(OUTAGES, [A, B, C], START, END)
    first, second = r.records
    assert first.incident == "inc-a"
    assert first.severity is Severity.CRITICAL
    assert first.detected == at(2, 10)
    assert first.acknowledged == at(2, 10, 10)
    assert first.corrected == at(2, 10, 50)
    assert first.resolved == at(2, 11)
    assert first.validated == at(2, 12)
    assert first.closed == at(2, 13)
    assert first.downtime == H
    assert (first.down_from, first.down_until) == (at(2, 10), at(2, 11))
    assert second.incident == "inc-b"
    assert second.validated is None
    assert second.downtime == 30 * M


def test_no_failures_means_no_means() -> None:
    r = reliability([outage(C, at(20, 2), at(20, 4))], [C], START, END)
    assert r.failures == 0
    assert r.mtrs.seconds is None
    assert r.mtbf.seconds is None
    assert r.mtbsi.duration is None
    assert r.availability is None
    assert r.mtbf.shown() == "— (no failures in the period)"
    assert r.uptime == timedelta(days=30) - 2 * H


def test_agreed_time_restricts_everything() -> None:
    # Agreed: 09:00–17:00 every day of April (8 h × 30 = 240 h).
    agreed = IntervalSet.from_pairs((at(d, 9), at(d, 17)) for d in range(1, 31))
    night = incident("night", at(5, 3))  # 03:00–04:00: outside agreed time, no failure
    early = incident("early", at(6, 8))  # 08:00–10:00: 1 h of it agreed
    out = [outage(night, at(5, 3), at(5, 4)), outage(early, at(6, 8), at(6, 10))]
    r = reliability(out, [night, early], START, END, agreed)
    assert r.window == timedelta(hours=240)
    assert r.failures == 1
    assert r.downtime == H
    assert r.records[0].incident == "inc-early"
    assert r.records[0].down_from == at(6, 9)
    assert r.mtbf.seconds == 239 * 3600


def test_overlapping_outages_count_once_and_open_ones_run_to_the_end() -> None:
    x = incident("x", at(3, 10))
    y = incident("y", at(3, 10, 30))
    z = incident("z", at(30, 23))  # still down at the end of the period
    out = [
        outage(x, at(3, 10), at(3, 11)),
        outage(y, at(3, 10, 30), at(3, 11, 30)),
        outage(z, at(30, 23), None),
    ]
    r = reliability(out, [x, y, z], START, END)
    # union 10:00–11:30 = 1.5 h, plus 23:00–24:00 = 1 h
    assert r.downtime == timedelta(hours=2.5)
    assert r.failures == 3
    assert sum((f.downtime for f in r.records), timedelta(0)) == 3 * H
    assert r.mtrs.seconds == 3000  # 9000 s / 3
    assert r.records[-1].down_until == END


def test_incident_from_before_the_period_counts_its_part() -> None:
    old = incident("old", datetime(2024, 3, 31, 23, tzinfo=UTC))
    out = [outage(old, datetime(2024, 3, 31, 23, tzinfo=UTC), at(1, 1))]
    r = reliability(out, {old.id: old}, START, END)
    assert r.failures == 1
    assert r.downtime == H
    assert r.records[0].detected == datetime(2024, 3, 31, 23, tzinfo=UTC)


def test_partial_outages() -> None:
    p = incident("p", at(8, 10))
    out = [*OUTAGES, outage(p, at(8, 10), at(8, 12), fraction=0.5)]
    counted = reliability(out, [A, B, C, p], START, END)
    assert counted.failures == 3
    assert counted.downtime == timedelta(seconds=5400 + 7200)
    left_out = reliability(out, [A, B, C, p], START, END, partial=False)
    assert left_out.failures == 2
    assert left_out.downtime == timedelta(seconds=5400)


def test_missing_incident_is_refused() -> None:
    with pytest.raises(ValueError, match="inc-b"):
        reliability(OUTAGES, [A, C], START, END)


def test_exact_means_when_not_whole_microseconds() -> None:
    # 3 failures of 1 s, 1 s, 2 s: MTRS 4/3 s, kept to 28 significant digits.
    incs = [incident(str(i), at(4, i)) for i in range(3)]
    out = [
        outage(inc, inc.detected_at, inc.detected_at + timedelta(seconds=s))
        for inc, s in zip(incs, (1, 1, 2), strict=True)
    ]
    r = reliability(out, incs, START, END)
    assert r.mtrs.seconds == Decimal(4) / Decimal(3)
    assert r.mtrs.duration == timedelta(microseconds=1_333_333)


def test_lifecycle_means() -> None:
    merged = incident("m", at(3, 9), ack=H, merged_into="inc-a")
    late = incident("late", END, ack=M)  # detected when the period is over
    means = lifecycle_means([A, B, C, merged, late], START, END)
    assert means.incidents == 2  # A and B: C planned, merged taken over, late outside
    assert means.mtta.seconds == 21 * 60  # (10 + 32) / 2 min
    assert means.mtta.text == "MTTA: mean time to acknowledge = mean of (acknowledged − detected)"
    assert means.to_correct.seconds == 40 * 60  # (50 + 30) / 2
    assert means.to_correct.name == "MTTR-correct"
    assert means.to_validate.seconds == 2 * 3600  # A only
    assert means.to_validate.count == 1
    assert means.to_recover.seconds == 45 * 60  # (60 + 30) / 2


def test_lifecycle_means_without_acknowledgements() -> None:
    means = lifecycle_means([incident("q", at(4, 4))], START, END)
    assert means.mtta.count == 0
    assert means.mtta.seconds is None
    assert means.mtta.shown() == "— (no incident acknowledged)"


TARGETS = (
    SeverityTarget(severity="critical", response=15 * M, resolution=4 * H),
    SeverityTarget(severity="high", response=30 * M, resolution=8 * H),  # high is major
)


def test_response_and_resolution_against_targets() -> None:
    forgotten = incident("forgotten", END - H)  # no ack, 15 min target passed at the end
    fresh = incident("fresh", END - 5 * M)  # no ack, deadline after the end: pending
    slow = incident("slow", at(12, 8), corrected=5 * H, ack=14 * M)
    minor = incident("minor", at(13, 8), Severity.MINOR, ack=5 * H)  # no target for minor
    rr = response_resolution([A, B, C, forgotten, fresh, slow, minor], TARGETS, START, END)
    critical, major = rr.severities
    assert critical.severity is Severity.CRITICAL
    assert critical.incidents == 4  # A, slow, forgotten, fresh
    assert (critical.response_met, critical.response_missed, critical.response_pending) == (
        2,
        1,
        1,
    )
    assert critical.response_share == Decimal(2) / Decimal(3)
    # resolution: A 50 min met, slow 5 h missed, forgotten: 4 h not passed at the end → pending
    assert (critical.resolution_met, critical.resolution_missed) == (1, 1)
    assert critical.resolution_pending == 2
    assert critical.resolution_share == Decimal("0.5")
    assert major.severity is Severity.MAJOR
    assert (major.response_met, major.response_missed, major.response_share) == (0, 1, 0)
    assert (major.resolution_met, major.resolution_share) == (1, 1)
    details = [b.detail for b in rr.breaches]
    assert details == [
        "inc-b major: acknowledged after 32 min, target 30 min",
        "inc-forgotten critical: not acknowledged 1 h after detection "
        "(as of 2024-05-01T00:00:00+00:00), target 15 min",
        "inc-slow critical: corrected after 5 h, target 4 h",
    ]
    assert rr.breaches[0].objective == "response-time"
    assert rr.breaches[0].incidents == ("inc-b",)
    assert (rr.breaches[0].start, rr.breaches[0].end) == (at(10, 14), at(10, 14, 32))
    assert rr.breaches[2].objective == "resolution-time"
    outcomes = {t.incident: (t.response_outcome, t.resolution_outcome) for t in rr.incidents}
    assert outcomes["inc-fresh"] == (Outcome.PENDING, Outcome.PENDING)
    assert outcomes["inc-a"] == (Outcome.MET, Outcome.MET)


def test_deadlines_judged_later_count_missed() -> None:
    forgotten = incident("forgotten", END - H)
    rr = response_resolution([forgotten], TARGETS, START, END, as_of=END + timedelta(days=7))
    (critical, _major) = rr.severities
    assert (critical.response_missed, critical.resolution_missed) == (1, 1)
    assert rr.breaches[1].detail.startswith("inc-forgotten critical: not corrected 7 d 1 h after")


def test_resolution_by_validation() -> None:
    # B was never validated; by the 10th + 8 h at the end of the period its deadline passed.
    rr = response_resolution([A, B], TARGETS, START, END, resolution_mark=ResolutionMark.VALIDATED)
    critical, major = rr.severities
    assert critical.resolution_met == 1  # A validated after 2 h ≤ 4 h
    assert major.resolution_missed == 1
    assert rr.breaches[-1].detail.startswith("inc-b major: not validated 20 d 10 h after")


def test_time_on_the_target_meets_it_and_a_second_over_misses() -> None:
    on = incident("on", at(4, 4), ack=15 * M)
    over = incident("over", at(4, 5), ack=15 * M + timedelta(microseconds=1))
    rr = response_resolution([on, over], TARGETS, START, END)
    assert rr.severities[0].response_met == 1
    # rounded up, so the words never read as the target itself
    assert (
        rr.breaches[0].detail == "inc-over critical: acknowledged after 15 min 1 s, target 15 min"
    )


def test_spoken_duration() -> None:
    assert spoken_duration(timedelta(seconds=45)) == "45 s"
    assert spoken_duration(timedelta(minutes=32, seconds=17.9)) == "32 min 17 s"
    assert spoken_duration(timedelta(minutes=32, seconds=17.1), round_up=True) == "32 min 18 s"
    assert spoken_duration(timedelta(hours=2, minutes=10)) == "2 h 10 min"
    assert spoken_duration(timedelta(days=3, hours=4)) == "3 d 4 h"
    assert spoken_duration(timedelta(milliseconds=400)) == "0.4 s"
    assert spoken_duration(timedelta(0)) == "0 s"
    assert spoken_duration(-timedelta(minutes=5)) == "−5 min"
