"""Session mediation: cumulative RADIUS counters charged as deltas, once, whatever the order,
the duplicates, the wraps and the missing starts."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from servanda.accounting.sessions import (
    WRAP,
    Mediation,
    NasEvent,
    NasStatus,
    SessionEvent,
    SessionState,
    Status,
    close_nas,
    close_stale,
    key_text,
    mediate,
    stale_timeout,
)
from servanda.accounting.usage import Category, UsageRecord
from servanda.core.problems import Severity
from servanda.core.records import from_jsonable, to_jsonable

T0 = datetime(2024, 4, 2, 8, 0, tzinfo=UTC)


def event(
    status: Status, seconds: int = 0, up: int = 0, down: int = 0, **more: Any
) -> SessionEvent:
    values: dict[str, Any] = {
        "source": "radius-1", "nas": "bras-2", "session_id": "4D2A0001", "status": status,
        "at": T0 + timedelta(seconds=seconds), "session_time": timedelta(seconds=seconds),
        "input_octets": up, "output_octets": down, "account": "alice",
        "subject": "00-11-22-33-44-55", "destination": "internet", "service": "Ethernet",
    }  # fmt: skip
    return SessionEvent(**(values | more))


def run(events: Iterable[SessionEvent]) -> tuple[SessionState | None, list[Mediation]]:
    state: SessionState | None = None
    out = []
    for e in events:
        m = mediate(state, e)
        state = m.state
        out.append(m)
    return state, out


def usage(mediations: Iterable[Mediation]) -> list[UsageRecord]:
    return [u for m in mediations for u in m.usage]


def totals(records: Iterable[UsageRecord]) -> tuple[int, int, timedelta]:
    records = list(records)
    return (
        sum(r.volume_up for r in records),
        sum(r.volume_down for r in records),
        sum((r.duration for r in records), timedelta(0)),
    )


def test_interims_charge_the_difference_since_the_last_charge() -> None:
    state, done = run([
        event(Status.START),
        event(Status.INTERIM, 300, 1_000, 50_000),
        event(Status.INTERIM, 600, 3_000, 90_000),
        event(Status.STOP, 700, 3_500, 99_000, terminate_cause="User-Request"),
    ])  # fmt: skip
    records = usage(done)
    assert [(r.volume_up, r.volume_down, r.duration.seconds) for r in records] == [
        (1_000, 50_000, 300), (2_000, 40_000, 300), (500, 9_000, 100),
    ]  # fmt: skip
    first = records[0]
    assert first.category is Category.DATA
    assert (first.account, first.subject, first.destination, first.service) == (
        "alice", "00-11-22-33-44-55", "internet", "Ethernet",
    )  # fmt: skip
    assert (first.start, first.end) == (T0, T0 + timedelta(seconds=300))
    assert first.session_id == "4D2A0001"
    assert [r.record_id for r in records] == [
        "bras-2/4D2A0001#interim:300:1000:50000",
        "bras-2/4D2A0001#interim:600:3000:90000",
        "bras-2/4D2A0001#stop:700:3500:99000",
    ]
    assert ("terminate_cause", "User-Request") in records[-1].attributes
    assert state is not None
    assert state.stopped
    assert state.started
    assert all(m.problems == () for m in done)


def test_the_same_events_again_give_the_same_keys() -> None:
    events = [
        event(Status.START),
        event(Status.INTERIM, 60, 10, 20),
        event(Status.STOP, 90, 15, 30),
    ]
    assert usage(run(events)[1]) == usage(run(events)[1])


def test_duplicates_older_events_and_events_after_the_stop_change_nothing() -> None:
    start, interim, later = event(Status.START), event(Status.INTERIM, 300, 100, 200), event(
        Status.INTERIM, 600, 300, 400)  # fmt: skip
    state, _ = run([start, interim, later])
    assert state is not None
    for again, why in ((later, "duplicate interim"), (interim, "older interim"),
                       (start, "older start")):  # fmt: skip
        m = mediate(state, again)
        assert m.ignored
        assert m.state is state
        assert m.usage == ()
        assert m.problems[0].message.startswith(why), m.problems[0].message
    stopped = mediate(state, event(Status.STOP, 650, 310, 420)).state
    after_stop = (
        (event(Status.STOP, 650, 310, 420), "duplicate stop"),
        (event(Status.INTERIM, 900, 999, 999), "interim after the stop"),
    )
    for after, why in after_stop:
        m = mediate(stopped, after)
        assert m.ignored
        assert m.usage == ()
        assert m.problems[0].message.startswith(why)
        assert str(m.problems[0]).startswith("radius:bras-2/4D2A0001: status: warning: ")


def test_a_stop_without_a_start_is_charged_whole() -> None:
    state, (m,) = run([event(Status.STOP, 1_800, 7_000, 9_000_000)])
    (record,) = m.usage
    assert (record.volume_up, record.volume_down, record.duration) == (
        7_000, 9_000_000, timedelta(minutes=30),
    )  # fmt: skip
    assert record.start == T0
    assert record.end == T0 + timedelta(minutes=30)
    assert state is not None
    assert state.stopped
    assert not state.started
    assert "no start" in m.problems[0].message
    assert ("mediation", m.problems[0].message) in record.attributes


def test_a_32_bit_counter_wrapping_without_gigawords_is_charged_across_the_wrap() -> None:
    _, done = run([
        event(Status.START),
        event(Status.INTERIM, 300, 100, WRAP - 1_000),
        event(Status.INTERIM, 600, 200, 5_000),
    ])  # fmt: skip
    wrapped = done[-1]
    assert wrapped.usage[0].volume_down == 6_000
    (problem,) = wrapped.problems
    assert problem.severity is Severity.WARNING
    assert problem.path == ("output_octets",)
    assert "32-bit wrap" in problem.message
    assert wrapped.state.output_charged == WRAP + 5_000
    assert wrapped.usage[0].record_id.endswith(f"#interim:600:200:{WRAP + 5_000}")


def test_gigawords_count_beyond_32_bits_and_a_counter_going_back_with_them_is_a_reset() -> None:
    _, done = run([
        event(Status.START, gigawords=True),
        event(Status.INTERIM, 300, 10, 3 * WRAP + 7, gigawords=True),
        event(Status.INTERIM, 600, 20, 5 * WRAP, gigawords=True),
        event(Status.INTERIM, 900, 30, 1_000, gigawords=True),
    ])  # fmt: skip
    assert [m.usage[0].volume_down for m in done[1:]] == [3 * WRAP + 7, 2 * WRAP - 7, 1_000]
    (problem,) = done[-1].problems
    assert problem.severity is Severity.ERROR
    assert "reset" in problem.message
    assert done[-1].state.output_charged == 5 * WRAP + 1_000


def test_a_counter_beyond_32_bits_going_back_is_a_reset_even_without_gigawords() -> None:
    _, done = run([
        event(Status.INTERIM, 300, 0, WRAP + 10, gigawords=True),
        event(Status.INTERIM, 600, 0, 50),
    ])  # fmt: skip
    assert done[-1].problems[0].severity is Severity.ERROR
    assert done[-1].usage[0].volume_down == 50


def test_a_stale_session_is_closed_with_its_reason_and_a_late_stop_still_charges() -> None:
    state, _ = run([event(Status.START), event(Status.INTERIM, 300, 100, 200)])
    assert state is not None
    timeout = stale_timeout(timedelta(minutes=5))
    assert timeout == timedelta(minutes=11)
    assert close_stale([state], T0 + timedelta(minutes=16), timeout) == ()
    (closed,) = close_stale([state], T0 + timedelta(minutes=17), timeout)
    (record,) = closed.usage
    reason = f"stale: no update since {state.last_at.isoformat()}"
    assert closed.state.closed == reason
    assert not closed.state.open
    assert ("close_reason", reason) in record.attributes
    assert (record.volume_up, record.volume_down, record.duration) == (0, 0, timedelta(0))
    assert record.record_id == "bras-2/4D2A0001#closed:300:100:200"
    assert close_stale([closed.state], T0 + timedelta(hours=9), timeout) == ()
    late = mediate(closed.state, event(Status.STOP, 1_200, 150, 260))
    assert late.state.stopped
    assert (late.usage[0].volume_up, late.usage[0].volume_down) == (50, 60)


def test_accounting_on_closes_the_open_sessions_of_that_nas_only() -> None:
    mine, _ = run([event(Status.START)])
    other, _ = run([event(Status.START, nas="bras-9")])
    assert mine is not None
    assert other is not None
    on = NasEvent(source="radius-1", nas="bras-2", status=NasStatus.ON, at=T0 + timedelta(hours=1))
    (closed,) = close_nas([mine, other], on)
    assert closed.state.key == ("bras-2", "4D2A0001")
    assert closed.state.closed is not None
    assert closed.state.closed.startswith("Accounting-On")


def test_the_state_is_stored_and_read_back_as_json() -> None:
    state, _ = run([event(Status.START), event(Status.INTERIM, 300, 100, 200)])
    assert from_jsonable(SessionState, to_jsonable(state)) == state


def test_a_long_session_key_is_shortened_with_a_hash_in_record_ids() -> None:
    long_id = "x" * 200
    text = key_text("bras-2", long_id)
    assert len(text) == 130
    assert text != key_text("bras-2", long_id[:-1] + "y")
    (m,) = run([event(Status.STOP, 60, 1, 1, session_id=long_id)])[1]
    assert m.usage[0].record_id.startswith(text + "#stop:")


def test_no_user_name_charges_the_unidentified_account() -> None:
    (m,) = run([event(Status.STOP, 60, 1, 1, account=None)])[1]
    assert m.usage[0].account == "unidentified"
    assert any(p.path == ("account",) for p in m.problems)


@st.composite
def split_sessions(draw: st.DrawFn) -> tuple[list[SessionEvent], SessionEvent]:
    """A session's traffic cut into interim updates delivered in order, some twice, and the
    same session reported by its stop alone."""
    gigawords = draw(st.booleans())
    top = 2**40 if gigawords else WRAP - 1
    total_up = draw(st.integers(0, top))
    total_down = draw(st.integers(0, top))
    cuts = draw(st.integers(0, 12))
    ups = sorted(draw(st.lists(st.integers(0, total_up), min_size=cuts, max_size=cuts)))
    downs = sorted(draw(st.lists(st.integers(0, total_down), min_size=cuts, max_size=cuts)))
    seconds = sorted(draw(st.lists(st.integers(1, 86_399), min_size=cuts, max_size=cuts,
                                   unique=True)))  # fmt: skip
    stop = event(Status.STOP, 86_400, total_up, total_down, gigawords=gigawords)
    events = [event(Status.START, gigawords=gigawords)] if draw(st.booleans()) else []
    for t, up, down in zip(seconds, ups, downs, strict=True):
        interim = event(Status.INTERIM, t, up, down, gigawords=gigawords)
        events += [interim] * draw(st.integers(1, 3))
    events.append(stop)
    if draw(st.booleans()):
        events.append(stop)
    return events, stop


@given(split_sessions())
def test_any_split_into_interims_charges_what_one_stop_charges(
    case: tuple[list[SessionEvent], SessionEvent],
) -> None:
    events, stop = case
    split = usage(run(events)[1])
    whole = usage(run([stop])[1])
    assert totals(split) == totals(whole) == (
        stop.input_octets, stop.output_octets, stop.session_time,
    )  # fmt: skip
    assert len({r.record_id for r in split}) == len(split)
    assert usage(run(events)[1]) == split
