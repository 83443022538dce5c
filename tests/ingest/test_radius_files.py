"""RADIUS accounting requests kept in files (radclient input, FreeRADIUS detail files) read as
the events the server would have received, every problem located."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from servanda.accounting.sessions import WRAP, NasEvent, SessionEvent, Status
from servanda.ingest.radius.files import read_request_file

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "metro-isp"

DETAIL = """\
Wed Apr 10 08:30:00 2024
\tAcct-Status-Type = Start
\tAcct-Session-Id = "BA-7"
\tUser-Name = "bertin-associes"
\tNAS-IP-Address = 10.20.1.2
\tAcct-Delay-Time = 0
\tTimestamp = 1712730600

Wed Apr 10 09:30:02 2024
\tAcct-Status-Type = Interim-Update
\tAcct-Session-Id = "BA-7"
\tUser-Name = "bertin-associes"
\tNAS-IP-Address = 10.20.1.2
\tAcct-Session-Time = 3600
\tAcct-Input-Octets = 17
\tAcct-Output-Octets = 5
\tAcct-Output-Gigawords = 2
\tAcct-Delay-Time = 2
\tTimestamp = 1712734202

Wed Apr 10 10:00:00 2024
\tAcct-Status-Type = Accounting-On
\tNAS-IP-Address = 10.20.1.2
\tTimestamp = 1712736000
"""


def test_the_example_file_reads_as_the_months_sessions() -> None:
    found, problems = read_request_file(EXAMPLE / "usage" / "2024-04.radius", source="bras")
    assert problems == []
    events = [r.event for r in found]
    assert all(isinstance(e, SessionEvent) for e in events)
    sessions = {e.session_id for e in events if isinstance(e, SessionEvent)}
    assert len(sessions) == 5
    assert [e.at for e in events if e is not None] == sorted(e.at for e in events if e)


def test_a_detail_file_with_its_date_lines_and_timestamps(tmp_path: Path) -> None:
    path = tmp_path / "detail-20240410"
    path.write_text(DETAIL, encoding="utf-8")
    found, problems = read_request_file(path, source="bras")
    assert problems == []
    start, interim, on = (r.event for r in found)
    assert [r.line for r in found] == [1, 9, 21]
    assert isinstance(start, SessionEvent)
    assert (start.nas, start.session_id, start.status, start.account) == (
        "10.20.1.2",
        "BA-7",
        Status.START,
        "bertin-associes",
    )
    assert start.at == datetime(2024, 4, 10, 6, 30, tzinfo=UTC)
    assert isinstance(interim, SessionEvent)
    assert interim.at == start.at + timedelta(hours=1)  # received 2 s later, delayed 2 s
    assert (interim.input_octets, interim.output_octets, interim.gigawords) == (
        17,
        2 * WRAP + 5,
        True,
    )
    assert isinstance(on, NasEvent)


def test_every_problem_is_located_and_nothing_is_returned(tmp_path: Path) -> None:
    path = tmp_path / "bad"
    path.write_text(
        'Acct-Status-Type = Start\nAcct-Session-Id = "a"\nEvent-Timestamp = 1712730600\n\n'
        'Acct-Status-Type = Start\nAcct-Session-Id = "b"\nColour = "blue"\n'
        "Event-Timestamp = 1712730600\n\n"
        'Acct-Status-Type = Start\nAcct-Session-Id = "c"\n\n'
        "Acct-Status-Type = Start\nthis is not an attribute\nEvent-Timestamp = 1\n\n"
        "Acct-Status-Type = Sleeping\nEvent-Timestamp = 1712730600\n\n"
        'Acct-Status-Type = Interim-Update\nAcct-Session-Id = "d"\n'
        "Acct-Session-Time = lots\nEvent-Timestamp = 1712730600\n",
        encoding="utf-8",
    )
    found, problems = read_request_file(path, source="bras")
    assert found == []
    where = [(p.location.line, p.message) for p in problems]
    assert where[0] == (7, "Colour is no attribute of the RADIUS dictionary")
    assert where[1][0] == 10
    assert "Event-Timestamp or Timestamp" in where[1][1]
    assert where[2] == (14, "not an 'Attribute = value' line")
    assert where[3][0] == 17
    assert "Sleeping" in where[3][1]
    assert where[4][0] == 22
    assert "Acct-Session-Time" in where[4][1]
    assert len(problems) == 5
