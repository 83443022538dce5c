"""``servanda feedback`` and ``servanda review`` on the example: answers added one by one or
imported from survey files (all or nothing per file, idempotent), reviews with their actions,
problems located at the file line or at the argument or option that gave them."""

from __future__ import annotations

import json
from pathlib import Path

from .cli_support import no_traceback, ok, ok_json, run

SURVEY = """\
customer,at,csat,nps,service,comment,channel,respondent
hospital,2024-04-30T16:00:00+02:00,4,9,ip-telephony,"Calls fine, one bad Monday",survey,Head of IT
quai-capital,2024-04-29T09:00:00Z,5,10,internet-access,,email,
bertin-associes,2024-04-28T09:00:00Z,,6,,Slow answers from the help desk,phone,
"""


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def an_incident(db: str, tmp_path: Path) -> str:
    """The id of the incident of core-router-1 going down."""
    event = {
        "source": "nms",
        "labels": {"node": "core-router-1", "alertname": "Down"},
        "status": "firing",
        "start": "2024-04-02T10:00:00Z",
        "severity": "critical",
    }
    ok("events", "ingest", "-i", "generic", write(tmp_path / "e.jsonl", json.dumps(event)), db=db)
    [found] = ok_json("incidents", "list", "--root", "core-router-1", db=db)
    return str(found["id"])


# -- feedback --------------------------------------------------------------------------------


def test_feedback_add_and_list(loaded: str, tmp_path: Path) -> None:
    incident = an_incident(loaded, tmp_path)
    args = (
        "feedback", "add", "hospital", "--csat", "2", "--nps", "5", "--service", "ip-telephony",
        "--comment", "The switchboard was down an hour", "--channel", "phone",
        "--incident", incident, "--respondent", "Head of IT", "--at", "2024-04-03T09:00+02:00",
    )  # fmt: skip
    assert (
        "feedback of hospital at 2024-04-03T07:00:00+00:00: recorded" in ok(*args, db=loaded).stdout
    )
    assert "already recorded" in ok(*args, db=loaded).stdout
    assert ok_json(*args, db=loaded) == {"received": 1, "new": 0, "duplicates": 1}
    ok("feedback", "add", "quai-capital", "--comment", "Thanks for the call", "--at",
       "2024-04-05T12:00Z", db=loaded)  # fmt: skip

    listed = ok_json("feedback", "list", db=loaded)
    assert [(f["customer"], f["csat"], f["nps"], f["channel"]) for f in listed] == [
        ("hospital", 2, 5, "phone"),
        ("quai-capital", None, None, "survey"),
    ]
    assert listed[0]["incident"] == incident
    assert listed[0]["at"] == "2024-04-03T07:00:00+00:00"
    mine = ok_json("feedback", "list", "--customer", "quai-capital", db=loaded)
    assert [f["comment"] for f in mine] == ["Thanks for the call"]
    later = ok_json("feedback", "list", "--since", "2024-04-04", db=loaded)
    assert [f["customer"] for f in later] == ["quai-capital"]
    assert "Feedback" in ok("feedback", "list", db=loaded).stdout


def test_feedback_add_refuses_what_is_unknown(loaded: str) -> None:
    service = run("feedback", "add", "hospital", "--csat", "3", "--service", "video-streaming",
                  db=loaded)  # fmt: skip
    assert service.exit_code == 1
    no_traceback(service)
    assert service.stderr.strip() == (
        "command line: --service: customer 'hospital' has no subscription to 'video-streaming'"
    )
    customer = run("feedback", "add", "umbrella", "--nps", "3", db=loaded)
    assert customer.stderr.strip() == "command line: CUSTOMER: unknown party 'umbrella'"
    incident = run("feedback", "add", "hospital", "--nps", "3", "--incident", "inc-0", db=loaded)
    assert incident.stderr.strip() == "command line: --incident: unknown incident 'inc-0'"
    assert run("feedback", "add", "hospital", db=loaded).exit_code == 2  # no score, no comment
    assert run("feedback", "add", "hospital", "--csat", "6", db=loaded).exit_code == 2
    assert (
        run("feedback", "add", "hospital", "--nps", "1", "--channel", "fax", db=loaded).exit_code
        == 2
    )
    assert ok_json("feedback", "list", db=loaded) == []


def test_feedback_import(loaded: str, tmp_path: Path) -> None:
    survey = write(tmp_path / "april.csv", SURVEY)
    first = ok("feedback", "import", survey, db=loaded)
    assert "april.csv: 3 answers, 3 new, 0 duplicates" in first.stdout
    again = ok_json("feedback", "import", survey, db=loaded)
    assert again["files"][0]["duplicates"] == 3

    bad = write(
        tmp_path / "may.csv",
        "customer,at,csat,nps,service,incident\n"
        "hospital,2024-05-30T16:00:00Z,4,9,ip-telephony,\n"
        "hospital,2024-05-31T16:00:00Z,7,9,,\n"
        "horizon-sport,2024-05-31T16:00:00Z,3,,managed-vpn,\n"
        "lumiere-tv,yesterday,3,,,\n"
        "hospital,2024-05-29T16:00:00Z,4,,,inc-0\n",
    )
    result = run("feedback", "import", bad, db=loaded)
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert lines == [
        f"{bad}:3: csat: '7' is not a score from 1 to 5",
        f"{bad}:4: service: customer 'horizon-sport' has no subscription to 'managed-vpn'",
        f"{bad}:5: at: " + lines[2].split(": at: ", 1)[1],
        f"{bad}:6: incident: unknown incident 'inc-0'",  # at its line, not only its index
    ]
    assert "may.csv: not stored (4 problems)" in result.stdout
    assert len(ok_json("feedback", "list", db=loaded)) == 3  # nothing of may.csv


# -- reviews ---------------------------------------------------------------------------------


def test_review_add_and_list(loaded: str) -> None:
    made = run(
        "review", "add", "quai-capital", "--kind", "service_review", "--on", "2024-04-10",
        "--notes", "April outage; latency", "--action", "Quote a second line;Sales;2024-05-01",
        "--action", "Send the April report", "--action", "Check the probe;;2024-04-15",
        "--service", "internet-access", "--attendee", "Alice", "--attendee", "Bob", db=loaded,
    )  # fmt: skip
    assert made.exit_code == 0, made.stderr
    assert "service_review with quai-capital on 2024-04-10, 3 actions" in made.stdout
    session = ok_json("review", "add", "hospital", "--kind", "listening_session", "--on",
                      "2024-04-20", "--notes", "Calls fine", db=loaded)  # fmt: skip
    assert (session["kind"], session["actions"], session["service"]) == (
        "listening_session",
        [],
        None,
    )

    listed = ok_json("review", "list", db=loaded)
    assert [(r["customer"], r["held_on"]) for r in listed] == [
        ("quai-capital", "2024-04-10"),
        ("hospital", "2024-04-20"),
    ]
    assert listed[0]["actions"] == [
        {"text": "Quote a second line", "owner": "Sales", "due": "2024-05-01", "done": False},
        {"text": "Send the April report", "owner": None, "due": None, "done": False},
        {"text": "Check the probe", "owner": None, "due": "2024-04-15", "done": False},
    ]
    assert listed[0]["attendees"] == ["Alice", "Bob"]
    assert listed[1]["id"] == session["id"]
    assert len(ok_json("review", "list", "--customer", "hospital", db=loaded)) == 1
    window = ok_json("review", "list", "--since", "2024-04-11", "--until", "2024-04-21", db=loaded)
    assert [r["customer"] for r in window] == ["hospital"]
    assert "Reviews" in ok("review", "list", db=loaded).stdout


def test_review_add_refuses_bad_values(loaded: str) -> None:
    for action in ("Fix it;NOC;next week", "a;b;2024-05-01;d", ";NOC"):
        result = run("review", "add", "hospital", "--action", action, db=loaded)
        assert result.exit_code == 2, action
        assert "--action" in result.stderr
    assert run("review", "add", "hospital", "--kind", "chat", db=loaded).exit_code == 2
    assert run("review", "add", "hospital", "--on", "10/04/2024", db=loaded).exit_code == 2
    unknown = run("review", "add", "umbrella", "--service", "fax", db=loaded)
    assert unknown.exit_code == 1
    assert unknown.stderr.strip().splitlines() == [
        "command line: CUSTOMER: unknown party 'umbrella'",
        "command line: --service: unknown service 'fax'",
    ]
    assert run("review", "list", "--since", "April", db=loaded).exit_code == 2
    assert ok_json("review", "list", db=loaded) == []
