"""``servanda measure`` and ``servanda attest`` on the example: files in (all or nothing per
file, problems located, idempotent), a series summarised, attestations added, imported and
listed."""

from __future__ import annotations

import json
import re
from pathlib import Path

from .cli_support import LOCATED, no_traceback, ok, ok_json, run

CSV_LOCATED = re.compile(r"^(?P<file>[^:\n]+):(?P<line>\d+): (?P<path>[^:\n]+): .+$")
"""A problem of a CSV file: ``file:line: column: message``."""

LATENCY_CSV = """\
series,at,value
quai-internet-latency,2024-04-02T10:00:00Z,10
quai-internet-latency,2024-04-02T10:01:00Z,12.5
quai-internet-latency,2024-04-02T10:02:00+02:00,30.000
quai-internet-latency,2024-04-02T10:00:00Z,10
"""


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def loss_lines(path: Path) -> Path:
    rows = [
        {"series": "bertin-vpn-loss", "start": "2024-04-02T10:00:00Z",
         "at": "2024-04-02T10:05:00Z", "good": 990, "total": 1000},
        {"series": "bertin-vpn-loss", "start": "2024-04-02T10:05:00Z",
         "at": "2024-04-02T10:10:00Z", "good": 1000, "total": 1000},
    ]  # fmt: skip
    return write(path, "\n".join(json.dumps(r) for r in rows) + "\n")


def test_ingest_counts_and_is_idempotent(loaded: str, tmp_path: Path) -> None:
    csv_file = write(tmp_path / "latency.csv", LATENCY_CSV)
    jsonl_file = loss_lines(tmp_path / "loss.jsonl")
    first = ok_json("measure", "ingest", csv_file, jsonl_file, db=loaded)
    assert first["ok"] is True
    assert [(f["received"], f["new"], f["duplicates"]) for f in first["files"]] == [
        (4, 3, 1),
        (2, 2, 0),
    ]
    again = ok("measure", "ingest", csv_file, jsonl_file, db=loaded)
    assert "latency.csv: 4 measurements, 0 new, 4 duplicates" in again.stdout
    assert "loss.jsonl: 2 measurements, 0 new, 2 duplicates" in again.stdout


def test_a_series_summary(loaded: str, tmp_path: Path) -> None:
    ok("measure", "ingest", write(tmp_path / "latency.csv", LATENCY_CSV), db=loaded)
    period = ("--since", "2024-04-02T00:00Z", "--until", "2024-04-03")
    summary = ok_json("measure", "list", "quai-internet-latency", *period, db=loaded)
    # 10:02+02:00 is 08:02Z, the first; (10 + 12.5 + 30) / 3 = 17.5.
    assert (summary["count"], summary["first"], summary["last"]) == (
        3,
        "2024-04-02T08:02:00+00:00",
        "2024-04-02T10:01:00+00:00",
    )
    assert summary["values"] == {
        "unit": "ms",
        "count": 3,
        "minimum": "10",
        "mean": 17.5,
        "maximum": "30.000",
    }
    text = ok("measure", "list", "quai-internet-latency", *period, db=loaded).stdout
    assert "quai-internet-latency: latency of internet-access for quai-capital" in text
    assert "3 measurements, first 2024-04-02T08:02:00+00:00" in text
    assert "ms: min 10, mean 17.5, max 30.000 (3 values)" in text

    ok("measure", "ingest", loss_lines(tmp_path / "loss.jsonl"), db=loaded)
    counts = ok("measure", "list", "bertin-vpn-loss", *period, db=loaded).stdout
    assert "good 1990 of 2000 (99.5000%)" in counts
    empty = ok("measure", "list", "bertin-vpn-latency", *period, db=loaded).stdout
    assert "no measurements" in empty


def test_unknown_series_and_bad_values_are_located_and_nothing_is_stored(
    loaded: str, tmp_path: Path
) -> None:
    bad_csv = write(
        tmp_path / "bad.csv",
        "series,at,value\n"
        "quai-internet-latency,2024-04-02T10:00:00Z,10\n"
        "quai-internet-jitterr,2024-04-02T10:00:00Z,3\n"
        "quai-internet-latency,2024-04-02T10:01:00Z,-4\n",
    )
    bad_jsonl = write(
        tmp_path / "bad.jsonl",
        '{"series": "bertin-vpn-loss", "at": "2024-04-02T10:05:00Z", "good": 5, "total": 4}\n',
    )
    good = loss_lines(tmp_path / "good.jsonl")
    result = run("measure", "ingest", bad_csv, bad_jsonl, good, db=loaded)
    assert result.exit_code == 1
    no_traceback(result)
    lines = result.stderr.strip().splitlines()
    assert lines == [
        f"{bad_csv}:3: series: unknown series 'quai-internet-jitterr'; declared: "
        + lines[0].split("declared: ", 1)[1],
        f"{bad_csv}:4: value: a measured value cannot be negative (-4)",
        lines[2],
    ]
    assert CSV_LOCATED.match(lines[0])
    assert LOCATED.match(lines[2]), lines[2]
    assert lines[2].startswith(f"{bad_jsonl}:1:")
    assert "good (5) is more than total (4)" in lines[2]
    assert "bad.csv: not stored (2 problems)" in result.stdout
    assert "good.jsonl: 2 measurements, 2 new" in result.stdout
    # Nothing of the bad files: their good first lines were not stored either.
    period = ("--since", "2024-04-02", "--until", "2024-04-03")
    summary = ok_json("measure", "list", "quai-internet-latency", *period, db=loaded)
    assert summary["count"] == 0


def test_replace_overwrites_corrected_values(loaded: str, tmp_path: Path) -> None:
    ok("measure", "ingest", write(tmp_path / "first.csv", LATENCY_CSV), db=loaded)
    fixed = write(
        tmp_path / "fixed.csv", "series,at,value\nquai-internet-latency,2024-04-02T10:00:00Z,11\n"
    )
    period = ("--since", "2024-04-02", "--until", "2024-04-03")
    assert ok_json("measure", "ingest", fixed, db=loaded)["files"][0]["new"] == 0
    summary = ok_json("measure", "list", "quai-internet-latency", *period, db=loaded)
    assert summary["values"]["minimum"] == "10"
    replaced = ok("measure", "ingest", "--replace", fixed, db=loaded).stdout
    assert "1 measurements, 0 new, 1 duplicates (1 replaced)" in replaced
    summary = ok_json("measure", "list", "quai-internet-latency", *period, db=loaded)
    assert (summary["count"], summary["values"]["minimum"]) == (3, "11")


def test_unknown_series_and_bad_periods(loaded: str) -> None:
    result = run("measure", "list", "no-such-series", db=loaded)
    assert result.exit_code == 1
    assert "no series 'no-such-series'" in result.stderr
    backwards = run(
        "measure", "list", "quai-internet-latency", "--since", "2024-05-01",
        "--until", "2024-04-01", db=loaded,
    )  # fmt: skip
    assert backwards.exit_code == 2
    assert (
        run("measure", "list", "quai-internet-latency", "--since", "May", db=loaded).exit_code == 2
    )


# -- attest ----------------------------------------------------------------------------------


def test_attest_add_and_list(loaded: str) -> None:
    first = run(
        "attest", "add", "corporate-security", "password-length", "--period", "2024-04",
        "--met", "--by", "CISO", "--evidence", "Directory policy export", "--at",
        "2024-05-02T09:00Z", db=loaded,
    )  # fmt: skip
    assert first.exit_code == 0, first.stderr
    # April in Paris: from local midnight on 1 April (UTC+2) to local midnight on 1 May.
    assert (
        "corporate-security/password-length over 2024-04 (2024-03-31T22:00:00+00:00 to "
        "2024-04-30T22:00:00+00:00): met, attested by CISO (new)"
    ) in first.stdout
    args = ("attest", "add", "corporate-security", "password-length", "--period", "2024-04")
    same = ok_json(*args, "--met", "--by", "CISO", "--evidence", "Directory policy export",
                   "--at", "2024-05-02T09:00Z", db=loaded)  # fmt: skip
    assert same["result"] == "unchanged"
    later = ok_json(*args, "--not-met", "--by", "CISO", "--at", "2024-05-03T09:00Z", db=loaded)
    assert (later["result"], later["met"]) == ("updated", False)
    ok("attest", "add", "corporate-security", "photo-access-cards", "--period", "2024-Q2",
       "--met", "--by", "HR", db=loaded)  # fmt: skip

    listed = ok_json("attest", "list", db=loaded)
    assert [(a["control"], a["met"], a["period_start"]) for a in listed] == [
        ("password-length", False, "2024-03-31T22:00:00+00:00"),
        ("photo-access-cards", True, "2024-03-31T22:00:00+00:00"),
    ]
    assert listed[1]["period_end"] == "2024-06-30T22:00:00+00:00"
    only = ok_json("attest", "list", "--control", "photo-access-cards", db=loaded)
    assert [a["attested_by"] for a in only] == ["HR"]
    after_april = ok_json("attest", "list", "--since", "2024-05-01", db=loaded)
    assert [a["control"] for a in after_april] == ["photo-access-cards"]
    table = ok("attest", "list", db=loaded).stdout
    assert "Attestations" in table
    assert "CISO" in table


def test_attest_add_refuses_unknown_controls_and_periods(loaded: str) -> None:
    unknown = run(
        "attest", "add", "corporate-security", "password-colour", "--period", "2024-04",
        "--met", "--by", "CISO", db=loaded,
    )  # fmt: skip
    assert unknown.exit_code == 1
    no_traceback(unknown)
    assert unknown.stderr.startswith(
        "command line: CONTROL: policy clause 'corporate-security' has no control "
        "'password-colour'; its controls: password-length"
    )
    clause = run("attest", "add", "hygiene", "x", "--period", "2024-04", "--met", "--by", "Me",
                 db=loaded)  # fmt: skip
    assert clause.exit_code == 1
    assert clause.stderr.startswith("command line: POLICY: unknown policy clause 'hygiene'")
    period = run("attest", "add", "corporate-security", "password-length", "--period", "April",
                 "--met", "--by", "CISO", db=loaded)  # fmt: skip
    assert period.exit_code == 1
    assert "period: not a period: 'April'" in period.stderr
    missing = run("attest", "add", "corporate-security", "password-length", "--period", "2024-04",
                  "--by", "CISO", db=loaded)  # fmt: skip
    assert missing.exit_code == 2  # --met or --not-met must be said
    assert ok_json("attest", "list", db=loaded) == []


def test_attest_import_files(loaded: str, tmp_path: Path) -> None:
    header = "policy,control,period_start,period_end,met,attested_by,attested_at,evidence\n"
    good = write(
        tmp_path / "april.csv",
        header + "corporate-security,password-length,2024-03-31T22:00:00Z,2024-04-30T22:00:00Z,"
        "true,CISO,2024-05-02T09:00:00Z,export\n"
        + "corporate-security,password-rotation,2024-03-31T22:00:00Z,2024-04-30T22:00:00Z,"
        "no,CISO,2024-05-02T09:00:00Z,\n",
    )
    bad = write(
        tmp_path / "may.csv",
        header + "corporate-security,password-length,2024-04-30T22:00:00Z,2024-05-31T22:00:00Z,"
        "true,CISO,2024-06-02T09:00:00Z,\n"
        + "corporate-security,password-age,2024-04-30T22:00:00Z,2024-05-31T22:00:00Z,"
        "maybe,CISO,2024-06-02T09:00:00Z,\n",
    )
    result = run("attest", "import", good, bad, db=loaded)
    assert result.exit_code == 1
    assert "april.csv: 2 attestations, 2 new, 0 updated, 0 unchanged" in result.stdout
    assert "may.csv: not stored (1 problems)" in result.stdout
    assert result.stderr.strip() == f"{bad}:3: met: 'maybe' is neither true nor false"
    again = ok_json("attest", "import", good, db=loaded)
    assert again["files"][0]["unchanged"] == 2
    listed = ok_json("attest", "list", db=loaded)
    assert [(a["control"], a["met"]) for a in listed] == [
        ("password-length", True),
        ("password-rotation", False),
    ]
