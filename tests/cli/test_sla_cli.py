"""``servanda report sla`` (a customer's report from the database, on SQLite and PostgreSQL)
and ``servanda sla evaluate`` (the same evaluation from the configuration and files, storing
nothing) on the example.

Figures: Horizon Sport's video streaming was down on 20 and 27 April (75 min in all); its
corporate availability, 99.53 %, is below the 99.9 % tier: 10 % of 474.00, 47.40. In the
outages file below, the hospital's Internet access is down 46 min on 9 April: 2 760 s of
30 × 86 400 = 2 592 000 (24×7), 2 589 240 / 2 592 000 = 99.894 % against 99.95 %: 10 % of
its 1 180.00, 118.00.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from servanda.reports.sla_json import report_from_json, report_to_json

from .cli_support import EXAMPLE, no_traceback, ok, ok_json, run

ALERTS = EXAMPLE / "events" / "2024-04.alertmanager.jsonl"
GENERIC = EXAMPLE / "events" / "2024-04.generic.json"
LATENCY = EXAMPLE / "measurements" / "2024-04.latency.csv"

OUTAGES_CSV = """\
service,customer,start,end,fraction,planned,incident
internet-access,hospital,2024-04-09T07:12:00Z,2024-04-09T07:58:00Z,,,INC-2024-0412
ip-telephony,quai-capital,2024-04-23T08:41:05Z,2024-04-23T08:55:52Z,,,
"""
BAD_OUTAGES_CSV = """\
service,customer,start,end
internet-access,hospital,2024-04-09T07:12:00Z,2024-04-09T06:58:00Z
internet-access,hospital,2024-04-09T07:12:00,2024-04-09T08:58:00Z
"""


@pytest.fixture
def with_events(loaded: str) -> str:
    """The example loaded and its April alerts ingested."""
    ok("events", "ingest", ALERTS, db=loaded)
    ok("events", "ingest", "--input-format", "generic", GENERIC, db=loaded)
    return loaded


def report(db: str, out: Path, fmt: str, customer: str = "horizon-sport") -> Any:
    result = ok("report", "sla", customer, "--period", "2024-04", "--format", fmt, "--out", out,
                db=db)  # fmt: skip
    assert result.stdout.strip() == f"wrote {out}"
    return result


def section(data: dict[str, Any], service: str) -> dict[str, Any]:
    (found,) = [s for s in data["report"]["sections"] if s["service"] == service]
    return found


def results(sec: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["objective"]: r for r in sec["results"]}


# --- report sla -------------------------------------------------------------------------------


def test_report_as_text(with_events: str, tmp_path: Path) -> None:
    out = tmp_path / "horizon.txt"
    report(with_events, out, "text")
    text = out.read_text(encoding="utf-8")
    assert text.startswith("horizon-sport — April 2024 (Europe/Paris)\n")
    assert "Provisional: the period is not closed" in text
    assert "video-streaming: metro-corporate, horizon-sport, horizon-sport-video" in text
    assert "99.532 %" in text
    assert "MISSED" in text
    assert "credit: availability was 99.53" in text
    assert "\x1b[" not in text  # no terminal colours in a file
    shown = ok("report", "sla", "horizon-sport", "--period", "2024-04", db=with_events)
    assert "video-streaming" in shown.stdout


def test_report_as_json_round_trips(with_events: str, tmp_path: Path) -> None:
    out = tmp_path / "horizon.json"
    report(with_events, out, "json")
    data = json.loads(out.read_text(encoding="utf-8"))
    assert report_to_json(report_from_json(data, file=str(out))) == data
    body = data["report"]
    assert (body["customer"]["id"], body["period"]["label"]) == ("horizon-sport", "April 2024")
    video = results(section(data, "video-streaming"))
    assert video["availability"]["verdict"] == "met"
    assert video["weighted-availability"]["verdict"] == "breached"
    (credit,) = body["credits"]
    assert (credit["service"], credit["percent"], credit["amount"]) == (
        "video-streaming",
        "10",
        "47.40",
    )
    printed = ok("report", "sla", "horizon-sport", "-p", "2024-04", "-f", "json", db=with_events)
    assert json.loads(printed.stdout)["report"]["credits"] == body["credits"]


def test_report_as_html(with_events: str, tmp_path: Path) -> None:
    out = tmp_path / "horizon.html"
    report(with_events, out, "html")
    page = out.read_text(encoding="utf-8")
    assert page.lstrip().lower().startswith("<!doctype html>")
    assert "Horizon Sport" in page
    assert "Experience-weighted" in page


def test_report_as_pdf(with_events: str, tmp_path: Path) -> None:
    out = tmp_path / "horizon.pdf"
    report(with_events, out, "pdf")
    assert out.read_bytes().startswith(b"%PDF")
    missing = run("report", "sla", "horizon-sport", "-p", "2024-04", "-f", "pdf", db=with_events)
    assert missing.exit_code == 2
    assert "--format pdf needs --out FILE" in missing.stderr


def test_report_of_an_unknown_customer_or_a_bad_period(loaded: str) -> None:
    unknown = run("report", "sla", "nobody", "--period", "2024-04", db=loaded)
    assert unknown.exit_code == 1
    assert "no customer 'nobody'" in unknown.stderr
    bad = run("report", "sla", "hospital", "--period", "April", db=loaded)
    assert bad.exit_code == 1
    assert "period: not a period: 'April'" in bad.stderr
    no_traceback(bad)


# --- sla evaluate -----------------------------------------------------------------------------


def test_evaluate_from_files_writes_json(tmp_path: Path) -> None:
    outages = tmp_path / "outages.csv"
    outages.write_text(OUTAGES_CSV, encoding="utf-8")
    out = tmp_path / "hospital.json"
    ok("sla", "evaluate", EXAMPLE, "--outages", outages, "--measurements", LATENCY,
       "--period", "2024-04", "--customer", "hospital", "--out", out)  # fmt: skip
    data = json.loads(out.read_text(encoding="utf-8"))
    report_from_json(data)
    internet = results(section(data, "internet-access"))
    a = internet["availability"]
    assert (a["numerator"], a["denominator"], a["verdict"]) == ("2589240", "2592000", "breached")
    assert Decimal(internet["mttr"]["actual"]) == Decimal(2760)  # one failure: INC-2024-0412
    assert [b["incidents"] for b in a["breaches"]] == [["INC-2024-0412"]]
    # the latency file is read: the hospital's p95 over April is measured, not "no data"
    assert internet["latency-p95"]["verdict"] == "met"
    (credit,) = data["report"]["credits"]
    assert (credit["service"], credit["percent"], credit["amount"]) == (
        "internet-access",
        "10",
        "118.00",
    )


def test_evaluate_every_customer_to_stdout(tmp_path: Path) -> None:
    outages = tmp_path / "outages.csv"
    outages.write_text(OUTAGES_CSV, encoding="utf-8")
    result = ok("sla", "evaluate", EXAMPLE, "--outages", outages, "--period", "2024-04")
    reports = json.loads(result.stdout)
    assert [r["report"]["customer"]["id"] for r in reports] == [
        "bertin-associes", "horizon-sport", "hospital", "institut-rhenan", "lumiere-tv",
        "quai-capital",
    ]  # fmt: skip
    (quai,) = [r for r in reports if r["report"]["customer"]["id"] == "quai-capital"]
    telephony = results(section(quai, "ip-telephony"))
    assert (telephony["availability"]["numerator"], telephony["availability"]["verdict"]) == (
        "1133113",
        "met",
    )
    assert telephony["weighted-availability"]["verdict"] == "breached"


def test_a_bad_outages_file_gives_located_problems_and_nothing_else(tmp_path: Path) -> None:
    bad = tmp_path / "outages.csv"
    bad.write_text(BAD_OUTAGES_CSV, encoding="utf-8")
    out = tmp_path / "never.json"
    result = run("sla", "evaluate", EXAMPLE, "--outages", bad, "--period", "2024-04",
                 "--out", out)  # fmt: skip
    assert result.exit_code == 1
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines == [
        f"{bad}:2: end: end 2024-04-09T06:58:00+00:00 is before start 2024-04-09T07:12:00+00:00",
        f"{bad}:3: start: timestamp '2024-04-09T07:12:00' has no timezone; add Z for UTC or an "
        "offset like +02:00",
    ]
    assert not out.exists()
    no_traceback(result)


# --- sla burn ---------------------------------------------------------------------------------


def test_burn_checks_every_availability_objective(loaded: str) -> None:
    # The clock of the command line is now: April's outages are long past, nothing burns.
    found = json.loads(ok("sla", "burn", "--format", "json", db=loaded).stdout)
    assert found["objectives"] > 0
    assert (found["events"], found["new"]) == ([], 0)
    text = ok("sla", "burn", db=loaded).stdout
    assert text.startswith(f"{found['objectives']} objective(s) checked, 0 warning event(s)")


def test_evaluate_reads_attestations_and_feedback_when_given(tmp_path: Path) -> None:
    outages = tmp_path / "outages.csv"
    outages.write_text(OUTAGES_CSV, encoding="utf-8")
    example = Path(EXAMPLE)
    args = ["sla", "evaluate", EXAMPLE, "--outages", outages, "--period", "2024-04",
            "--customer", "institut-rhenan"]  # fmt: skip
    without = results(section(json.loads(ok(*args).stdout), "internet-access"))
    given = json.loads(
        ok(
            *args,
            "--attestations", example / "attestations" / "corporate-security.csv",
            "--feedback", example / "feedback" / "feedback.csv",
        ).stdout
    )  # fmt: skip
    internet = results(section(given, "internet-access"))
    # No attestation: every control unmet; April's file: 1 of 3 controls met.
    assert without["control-compliance"]["numerator"] == "0"
    assert (internet["control-compliance"]["numerator"],
            internet["control-compliance"]["denominator"]) == ("1", "3")  # fmt: skip
    # The institute's April answers about its internet access average 2.5 (README).
    assert without["satisfaction"]["verdict"] == "no_data"
    assert Decimal(internet["satisfaction"]["actual"]) == Decimal("2.5")


# --- closing a period -------------------------------------------------------------------------

LATE_PROBE = {
    "events": [
        {
            "source": "stream-probe",
            "fingerprint": "sport-1-unplayable",
            "labels": {"job": "blackbox-stream", "channel": "sport-1"},
            "severity": "critical",
            "status": "resolved",
            "start": "2024-04-10T10:00:00Z",
            "end": "2024-04-10T12:00:00Z",
            "summary": "Channel sport-1 does not play",
        }
    ]
}


def test_a_closed_period_keeps_its_credits_until_reopened(with_events: str, tmp_path: Path) -> None:
    db = with_events
    april = ("--period", "2024-04")
    assert ok_json("sla", "credits", db=db) == []
    assert "Provisional" in ok("report", "sla", "horizon-sport", *april, db=db).stdout
    assert ok_json("sla", "credits", db=db) == []  # reading stores nothing

    [closed] = ok_json("sla", "close", *april, "--customer", "horizon-sport", db=db)
    assert (closed["customer"], closed["version"], closed["new"]) == ("horizon-sport", 1, True)
    [credit] = closed["credits"]
    assert (credit["service"], credit["amount"], credit["currency"]) == (
        "video-streaming", "47.40", "EUR",
    )  # fmt: skip
    shown = ok("report", "sla", "horizon-sport", *april, db=db).stdout
    assert "Final: the period was closed" in shown
    again = run("sla", "close", *april, "--customer", "horizon-sport", db=db)
    assert again.exit_code != 0
    assert "reopen it first" in again.stderr
    no_traceback(again)
    assert "a period is closed once it has ended" in run("sla", "close", "--period", "2099-01",
                                                          db=db).stderr  # fmt: skip

    # A probe's results for 10 April arrive after the close: pending, not applied.
    late = tmp_path / "late.json"
    late.write_text(json.dumps(LATE_PROBE), encoding="utf-8")
    ok("events", "ingest", "--input-format", "generic", late, db=db)
    [pending] = ok_json("sla", "adjustments", *april, "--customer", "horizon-sport", db=db)
    assert pending["pending"] is True
    changed = {r["objective"] for r in pending["results"] if r["service"] == "video-streaming"}
    assert "availability" in changed
    body = ok_json("report", "sla", "horizon-sport", *april, db=db)["report"]
    assert body["closing"]["standing"] == "final"
    assert body["closing"]["pending"]
    assert [c["amount"] for c in ok_json("sla", "credits", db=db)] == ["47.40"]

    ok("sla", "reopen", "horizon-sport", *april, "--reason", "late stream probe", db=db)
    assert ok_json("sla", "credits", db=db) == []
    [second] = ok_json("sla", "close", *april, "--customer", "horizon-sport", db=db)
    assert second["version"] == 2
    first, latest = ok_json("sla", "versions", "horizon-sport", *april, db=db)
    assert (first["final"], first["reopen_reason"], latest["final"]) == (
        False, "late stream probe", True,
    )  # fmt: skip
    [now] = latest["credits"]
    assert Decimal(now["amount"]) > Decimal("47.40")
    [difference] = latest["difference"]
    assert Decimal(difference["difference"]) == Decimal(now["amount"]) - Decimal("47.40")
    [final] = ok_json("sla", "credits", db=db)
    assert (final["amount"], final["version"]) == (now["amount"], 2)
    assert (
        ok_json("sla", "adjustments", *april, "--customer", "horizon-sport", db=db)[0]["pending"]
        is False
    )


def test_a_report_as_of_a_past_time(with_events: str) -> None:
    """Mid-April, before Horizon Sport's outages of the 20th and 27th: no credit yet, and the
    report says it is provisional and when its figures were produced."""
    data = ok_json("report", "sla", "horizon-sport", "--period", "2024-04",
                   "--as-of", "2024-04-15T12:00:00+02:00", db=with_events)  # fmt: skip
    body = data["report"]
    assert body["generated_at"] == "2024-04-15T10:00:00Z"
    assert body["credits"] == []
    assert body["closing"]["standing"] == "provisional"
    bad = run("report", "sla", "horizon-sport", "--period", "2024-04", "--as-of", "yesterday",
              db=with_events)  # fmt: skip
    assert bad.exit_code == 2
    assert "--as-of" in bad.stderr
    no_traceback(bad)
    rolled = ok_json("sla", "rollup", "--period", "2024-04", "--as-of", "2024-04-15T10:00:00Z",
                     db=with_events)  # fmt: skip
    assert rolled
