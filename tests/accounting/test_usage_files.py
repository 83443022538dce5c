"""Usage files read into usage records: every field, located problems, each use once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from servanda.accounting.usage import Category, UsageRecord
from servanda.ingest.record_files import parse_records
from servanda.ingest.usage_files import read_usage_file, usage_reader

CSV = """\
source,record_id,account,category,start,service,subject,destination,duration,volume_up,volume_down,units
sbc-1,cdr-17,acme,call,2024-04-02T10:00:00+02:00,voice,+33142000001,+33612345678,95,,,
bras-2,s-1/stop,acme,data,2024-04-02T08:00:00Z,internet,alice,,1h30m,1200000,98000000,
smsc,m-9,zeta,SMS,2024-04-02T09:00:00Z,,,+447700900123,,,,3
"""


def test_a_csv_file_reads_every_field(tmp_path: Path) -> None:
    path = tmp_path / "april.csv"
    path.write_text(CSV, encoding="utf-8")
    found, problems = read_usage_file(path)
    assert problems == []
    call, data, sms = found
    assert call == UsageRecord(
        source="sbc-1", record_id="cdr-17", account="acme", category=Category.CALL,
        start=datetime(2024, 4, 2, 8, tzinfo=UTC), service="voice", subject="+33142000001",
        destination="+33612345678", duration=timedelta(seconds=95),
    )  # fmt: skip
    assert call.key == ("sbc-1", "cdr-17")
    assert call.end == datetime(2024, 4, 2, 8, 1, 35, tzinfo=UTC)
    assert (data.duration, data.volume_up, data.volume_down) == (
        timedelta(hours=1, minutes=30), 1_200_000, 98_000_000,
    )  # fmt: skip
    assert (sms.category, sms.units, sms.service) == (Category.SMS, 3, None)


def test_json_lines_carry_attributes() -> None:
    text = (
        '{"source": "cdn", "record_id": "v-1", "account": "lumiere", "category": "stream", '
        '"start": "2024-04-02T20:00:00Z", "duration": 3600, "volume_down": 2500000000, '
        '"attributes": {"content_provider": "arena", "bitrate_kbps": 6000}}\n'
    )
    (found,), problems = parse_records(text, "jsonl", usage_reader(), file="cdn.jsonl")
    assert problems == []
    assert found.attributes == (("bitrate_kbps", "6000"), ("content_provider", "arena"))


def test_problems_are_located_and_nothing_is_read(tmp_path: Path) -> None:
    bad = CSV.replace("95,,,", "-5,,,").replace(",1200000,", ",-1,").replace("SMS", "fax")
    bad += "sbc-1,cdr-17,acme,call,2024-04-02T11:00:00Z,voice,,,10,,,\n"
    bad += "sbc-1,cdr-18,acme,call,2024-04-02 11:00,voice,,,10,,,\n"
    path = tmp_path / "bad.csv"
    path.write_text(bad, encoding="utf-8")
    found, problems = read_usage_file(path)
    assert found == []
    where = {(p.location.line if p.location else None, p.path[-1]): p.message for p in problems}
    assert set(where) == {(2, "duration"), (3, "volume_up"), (4, "category"), (5, "record_id"),
                          (6, "start")}  # fmt: skip
    assert "cannot be negative" in where[2, "duration"]
    assert "not one of call, sms" in where[4, "category"]
    assert "repeats the record of line 2 (sbc-1, cdr-17)" in where[5, "record_id"]
    assert "RFC 3339" in where[6, "start"]


def test_a_record_needs_its_identity_and_an_aware_start() -> None:
    with pytest.raises(ValueError, match="timezone"):
        UsageRecord(source="s", record_id="r", account="a", category=Category.CALL,
                    start=datetime(2024, 4, 2, 10).replace(tzinfo=None))  # noqa: DTZ001  # fmt: skip
    with pytest.raises(ValueError, match="at least 1 character"):
        UsageRecord(source="s", record_id="", account="a", category=Category.CALL,
                    start=datetime(2024, 4, 2, 10, tzinfo=UTC))  # fmt: skip
