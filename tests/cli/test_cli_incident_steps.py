"""``servanda incidents``: steps recorded after the fact (``--at``), a ticketing export
(``import-steps``), and ``show`` to the second."""

from __future__ import annotations

from pathlib import Path

import pytest

from .cli_support import LOCATED, no_traceback, ok, ok_json, run

SAMPLES = Path(__file__).resolve().parents[1] / "ingest" / "samples" / "lifecycle"
EXPORT = SAMPLES / "ticket-export.csv"
SIP = "inc-bbeb0307b188bd07"
"""sip-proxy-1's incident: detected 2024-05-06 03:10:00 UTC, recovered 03:52:30."""


@pytest.fixture
def may(loaded: str) -> str:
    """The sample alerts of 6 May 2024 ingested: sip-proxy-1's incident and Arena's origin's."""
    ok("events", "ingest", "-i", "generic", SAMPLES / "alerts-sip-proxy.jsonl", db=loaded)
    ok("events", "ingest", "-i", "generic", SAMPLES / "alerts-origin.jsonl", db=loaded)
    return loaded


def by_root(db: str) -> dict[str, dict[str, object]]:
    return {str(i["root"]): i for i in ok_json("incidents", "list", db=db)}


def test_a_step_recorded_later_keeps_its_time_and_show_counts_seconds(may: str) -> None:
    assert by_root(may)["sip-proxy-1"]["id"] == SIP
    acked = ok("incidents", "ack", SIP, "--at", "2024-05-06T05:14:05+02:00", "--by", "karim",
               db=may)  # fmt: skip
    assert f"incident {SIP} is acknowledged (by karim)" in acked.stdout
    data = ok_json("incidents", "show", SIP, db=may)
    assert data["acknowledged_at"] == "2024-05-06T03:14:05Z"
    assert data["transitions"][-1]["at"] == "2024-05-06T03:14:05Z"
    text = ok("incidents", "show", SIP, db=may).stdout
    assert "detected: 2024-05-06 03:10:00 UTC" in text
    assert "acknowledged: 2024-05-06 03:14:05 UTC" in text
    assert "resolved: 2024-05-06 03:52:30 UTC" in text
    assert "MTTA: 4m 05s" in text
    assert "MTRS: 42m 30s" in text


@pytest.mark.parametrize(
    ("at", "code", "message"),
    [
        ("2024-05-06T05:14:05", 1, "command line: --at: 2024-05-06T05:14:05 has no timezone"),
        ("2999-01-01T00:00:00Z", 1, "is in the future"),
        ("2024-05-06T03:09:59Z", 1, "before detection (2024-05-06T03:10:00+00:00)"),
        ("yesterday", 2, "--at: not a time: 'yesterday'"),
    ],
)
def test_bad_times_are_refused(may: str, at: str, code: int, message: str) -> None:
    result = run("incidents", "ack", SIP, "--at", at, db=may)
    assert result.exit_code == code
    assert message in result.stderr
    no_traceback(result)
    assert ok_json("incidents", "show", SIP, db=may)["state"] == "detected"


def test_steps_stay_in_time_order(may: str) -> None:
    ok("incidents", "ack", SIP, "--at", "2024-05-06T03:20:00Z", db=may)
    result = run("incidents", "correct", SIP, "--at", "2024-05-06T03:15:00Z", db=may)
    assert result.exit_code == 1
    assert "before the incident's latest step (acknowledged at 2024-05-06T03:20:00" in result.stderr
    ok("incidents", "correct", SIP, "--at", "2024-05-06T03:20:00Z", db=may)


def test_an_export_is_recorded_once(may: str) -> None:
    first = ok("incidents", "import-steps", EXPORT, db=may).stdout
    assert "8 steps, 8 recorded, 0 already in the trail" in first
    found = by_root(may)
    assert {str(i["state"]) for i in found.values()} == {"closed"}
    assert found["sip-proxy-1"]["acknowledged_at"] == "2024-05-06T03:14:05Z"  # MTTA 4m 05s
    assert found["origin-arena"]["acknowledged_at"] == "2024-05-06T17:07:40Z"  # MTTA 2m 28s
    origin = ok_json("incidents", "show", str(found["origin-arena"]["id"]), db=may)
    steps = [(t["to_state"], t["at"], t["by"], t["on_behalf_of"]) for t in origin["transitions"]]
    assert steps[-5:] == [
        ("acknowledged", "2024-05-06T17:07:40Z", "nadia.roux", None),
        ("corrected", "2024-05-06T17:19:40Z", "nadia.roux", None),
        ("corrected", "2024-05-06T17:44:00Z", "nadia.roux", "institut-rhenan"),  # one of two
        ("validated", "2024-05-06T17:45:00Z", "nadia.roux", "horizon-sport"),
        ("closed", "2024-05-06T17:46:00Z", "nadia.roux", None),
    ]
    again = ok_json("incidents", "import-steps", EXPORT, db=may)
    assert again == {
        "file": str(EXPORT), "received": 8, "applied": 0, "already": 8, "incidents": [],
    }  # fmt: skip
    assert ok_json("incidents", "show", str(found["origin-arena"]["id"]), db=may) == origin


def test_a_bad_export_is_located_and_records_nothing(may: str, tmp_path: Path) -> None:
    bad = tmp_path / "tickets.csv"
    rows = EXPORT.read_text(encoding="utf-8").splitlines()
    rows[2] = rows[2].replace("+02:00", "")  # line 3: the time has no offset
    rows[6] = rows[6].replace(",horizon-sport", ",")  # line 7: validated for which customer?
    rows.append("inc-0000000000000000,,acknowledge,2024-05-06T05:00:00Z,x,,")  # line 10
    rows.append(f"{SIP},,fix,2024-05-06T05:00:00Z,x,,")  # line 11
    bad.write_text("\n".join(rows) + "\n", encoding="utf-8")
    result = run("incidents", "import-steps", bad, db=may)
    assert result.exit_code == 1
    no_traceback(result)
    lines = result.stderr.splitlines()
    assert all(LOCATED.match(line) for line in lines), lines
    assert {line.split(": ")[0] for line in lines} == {f"{bad}:3:27", f"{bad}:11:23"}
    assert "time: timestamp '2024-05-06T05:14:05' has no timezone" in lines[0]
    assert "step: 'fix' is not a step" in lines[1]
    # Once the file reads, the steps are checked against the incidents.
    rows[2] = EXPORT.read_text(encoding="utf-8").splitlines()[2]
    bad.write_text("\n".join(rows[:-1]) + "\n", encoding="utf-8")
    result = run("incidents", "import-steps", bad, db=may)
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert all(LOCATED.match(line) for line in lines), lines
    located = {line.split(": ")[0]: line for line in lines}
    assert set(located) == {f"{bad}:6:26", f"{bad}:7:26", f"{bad}:10:1"}
    assert "step: incident inc-" in located[f"{bad}:7:26"]
    assert "on behalf of" in located[f"{bad}:7:26"]
    assert "only when validated" in located[f"{bad}:6:26"]  # the close that follows
    assert "no incident 'inc-0000000000000000'" in located[f"{bad}:10:1"]
    assert {str(i["state"]) for i in by_root(may).values()} == {"detected"}
