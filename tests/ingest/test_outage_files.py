"""Outage files for stateless evaluation: CSV, JSON Lines and JSON, located problems."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from servanda.catalog.model import Party, PartyRole, Service, Subscription
from servanda.declared.bundle import Bundle
from servanda.events.outages import Outage
from servanda.ingest.outage_files import (
    outage_incident_id,
    parse_outages,
    parse_outages_json,
    read_outage_file,
)

BUNDLE = Bundle(
    parties=(
        Party(id="isp", name="ISP", roles=(PartyRole.PROVIDER,)),
        Party(id="hospital", name="Hospital", roles=(PartyRole.CUSTOMER,)),
        Party(id="quai", name="Quai", roles=(PartyRole.CUSTOMER,)),
    ),
    services=(
        Service(id="internet", name="Internet", provider="isp"),
        Service(id="vpn", name="VPN", provider="isp"),
    ),
    subscriptions=(
        Subscription(customer="hospital", service="internet"),
        Subscription(customer="quai", service="vpn"),
    ),
)
START = datetime(2024, 4, 9, 7, 12, tzinfo=UTC)
HEADER = "service,customer,start,end,fraction,planned,incident\n"


def test_an_outage_csv_is_read(tmp_path: Path) -> None:
    path = tmp_path / "outages.csv"
    path.write_text(
        HEADER
        + "internet,hospital,2024-04-09T09:12:00+02:00,2024-04-09T07:58:00Z,,,INC-412\n"
        + "vpn,quai,2024-04-14T01:00:00Z,2024-04-14T02:30:00Z,0.5,true,\n"
        + "vpn,quai,2024-04-30T23:00:00Z,,1,no,\n",
        encoding="utf-8",
    )
    found, problems = read_outage_file(path, bundle=BUNDLE)
    assert problems == []
    night = datetime(2024, 4, 14, 1, tzinfo=UTC)
    assert found == [
        Outage(
            incident_id="INC-412",
            service="internet",
            customer="hospital",
            start=START,
            end=START + timedelta(minutes=46),
        ),
        Outage(
            incident_id=outage_incident_id("vpn", "quai", night),
            service="vpn",
            customer="quai",
            start=night,
            end=night + timedelta(minutes=90),
            fraction=0.5,
            planned=True,
        ),
        Outage(
            incident_id=outage_incident_id("vpn", "quai", datetime(2024, 4, 30, 23, tzinfo=UTC)),
            service="vpn",
            customer="quai",
            start=datetime(2024, 4, 30, 23, tzinfo=UTC),
            end=None,
        ),
    ]


def test_an_incident_id_is_made_from_the_row() -> None:
    text = "vpn\x1fquai\x1f2024-04-09T07:12:00.000000+00:00"
    made = outage_incident_id("vpn", "quai", START)
    assert made == "outage-" + hashlib.sha256(text.encode()).hexdigest()[:12]
    assert len(made) == len("outage-") + 12


def test_every_bad_row_is_located() -> None:
    text = (
        HEADER  # 1
        + "internet,hospital,2024-04-09T08:00:00Z,2024-04-09T07:00:00Z,,,\n"  # 2
        + "internet,hospital,2024-04-09T07:00:00Z,,0,,\n"  # 3
        + "internet,hospital,2024-04-09T07:00:00Z,,1.5,,\n"  # 4
        + "internet,hospital,2024-04-09T07:00:00,,,,\n"  # 5
        + "internet,quai,2024-04-09T07:00:00Z,,,,\n"  # 6
        + "tv,hospital,2024-04-09T07:00:00Z,,,,\n"  # 7
        + "internet,acme,2024-04-09T07:00:00Z,,,,\n"  # 8
        + "internet,hospital,2024-04-09T07:00:00Z,,half,perhaps,\n"  # 9
        + "internet,hospital,2024-04-09T07:00:00Z,2024-04-09T07:00:00Z,,,\n"  # 10: fine
    )
    found, problems = parse_outages(text, "csv", bundle=BUNDLE, file="o.csv")
    assert found == []
    assert [str(p) for p in problems] == [
        "o.csv:2: end: end 2024-04-09T07:00:00+00:00 is before start 2024-04-09T08:00:00+00:00",
        "o.csv:3: fraction: a fraction is more than 0 and at most 1, not 0",
        "o.csv:4: fraction: a fraction is more than 0 and at most 1, not 1.5",
        "o.csv:5: start: timestamp '2024-04-09T07:00:00' has no timezone; add Z for UTC or an "
        "offset like +02:00",
        "o.csv:6: customer: customer 'quai' has no subscription to 'internet'",
        "o.csv:7: service: unknown service 'tv'",
        "o.csv:8: customer: unknown party 'acme'",
        "o.csv:9: fraction: 'half' is not a number",
        "o.csv:9: planned: 'perhaps' is neither true nor false",
    ]


def test_without_the_configuration_any_service_is_taken() -> None:
    found, problems = parse_outages(HEADER + "tv,acme,2024-04-09T07:12:00Z,,,,x-1\n", "csv")
    assert problems == []
    assert [(o.service, o.customer, o.incident_id, o.fraction) for o in found] == [
        ("tv", "acme", "x-1", 1.0)
    ]


@pytest.mark.parametrize("missing", ["service", "customer", "start"])
def test_required_columns(missing: str) -> None:
    header = HEADER.replace(missing + ",", "").replace("," + missing, "")
    _, problems = parse_outages(header, "csv", file="o.csv")
    assert [str(p) for p in problems] == [
        f"o.csv:1: {missing}: missing column {missing!r} (required: service, customer, start)"
    ]


def test_json_lines_and_the_json_document(tmp_path: Path) -> None:
    line = '{"service": "vpn", "customer": "quai", "start": "2024-04-14T01:00:00Z", "fraction": 2}'
    path = tmp_path / "o.jsonl"
    path.write_text(line + "\n", encoding="utf-8")
    _, (problem,) = read_outage_file(path, bundle=BUNDLE)
    assert str(problem) == (
        f"{path}:1:{line.index('2}') + 1}: fraction: a fraction is more than 0 and at most 1, not 2"
    )
    body = {
        "outages": [
            {"service": "vpn", "customer": "quai", "start": "2024-04-14T01:00:00Z"},
            {"service": "vpn", "customer": "quai", "start": "2024-04-14T01:00:00Z", "planned": 1},
        ]
    }
    found, problems = parse_outages_json(body, bundle=BUNDLE)
    assert problems == []
    assert [o.planned for o in found] == [False, True]
    body["outages"][1]["end"] = "2024-04-14T00:00:00Z"
    _, problems = parse_outages_json(body, bundle=BUNDLE)
    assert [p.path for p in problems] == [("outages", 1, "end")]
