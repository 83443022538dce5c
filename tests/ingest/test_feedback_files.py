"""Feedback files and bodies: CSAT, NPS and comments, located problems, all or nothing."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from servanda.catalog.model import Party, PartyRole, Service, Subscription
from servanda.declared.bundle import Bundle
from servanda.engagement.model import Channel, Feedback
from servanda.ingest.feedback import (
    FEEDBACK_COLUMNS,
    feedback_key,
    parse_feedback,
    parse_feedback_json,
    read_feedback_file,
)

BUNDLE = Bundle(
    parties=(
        Party(id="isp", name="ISP", roles=(PartyRole.PROVIDER,)),
        Party(id="hospital", name="Hospital", roles=(PartyRole.CUSTOMER,)),
        Party(id="carrier", name="Carrier", roles=(PartyRole.CARRIER,)),
    ),
    services=(
        Service(id="voice", name="Voice", provider="isp"),
        Service(id="video", name="Video", provider="isp"),
    ),
    subscriptions=(Subscription(customer="hospital", service="voice"),),
)
APRIL_30 = datetime(2024, 4, 30, 14, 0, tzinfo=UTC)


def test_a_survey_export_is_read(tmp_path: Path) -> None:
    path = tmp_path / "survey.csv"
    path.write_text(
        "customer,at,csat,nps,service,comment,channel,incident,respondent\n"
        'hospital,2024-04-30T16:00:00+02:00,4,9,voice,"Calls fine, one bad Monday",Survey,,'
        "Switchboard lead\n"
        "hospital,2024-04-30T14:00:00Z,,,,Thanks for the quick fix,email,INC-7,\n",
        encoding="utf-8",
    )
    found, problems = read_feedback_file(path, bundle=BUNDLE)
    assert problems == []
    assert found == [
        Feedback(
            customer="hospital",
            at=APRIL_30,
            csat=4,
            nps=9,
            service="voice",
            comment="Calls fine, one bad Monday",
            channel=Channel.SURVEY,
            respondent="Switchboard lead",
        ),
        Feedback(
            customer="hospital",
            at=APRIL_30,
            comment="Thanks for the quick fix",
            channel=Channel.EMAIL,
            incident="INC-7",
        ),
    ]


def test_every_bad_row_is_located() -> None:
    text = (
        "customer,at,csat,nps,service,channel\n"  # 1
        "hospital,2024-04-30T14:00:00Z,6,,,\n"  # 2
        "hospital,2024-04-30T14:00:00Z,4.5,11,,\n"  # 3
        "hospital,2024-04-30T14:00:00Z,4,,,fax\n"  # 4
        "hospital,2024-04-30 14:00,4,,,\n"  # 5
        "hospital,2024-04-30T14:00:00Z,,,,\n"  # 6
        "acme,2024-04-30T14:00:00Z,4,,,\n"  # 7
        "carrier,2024-04-30T14:00:00Z,4,,,\n"  # 8
        "hospital,2024-04-30T14:00:00Z,4,,video,\n"  # 9
        "hospital,2024-04-30T14:00:00Z,4,,tv,\n"  # 10
        "hospital,2024-04-30T14:00:00Z,5,10,voice,portal\n"  # 11: fine
    )
    found, problems = parse_feedback(text, "csv", bundle=BUNDLE, file="s.csv")
    assert found == []
    assert [str(p) for p in problems] == [
        "s.csv:2: csat: '6' is not a score from 1 to 5",
        "s.csv:3: csat: '4.5' is not a score from 1 to 5",
        "s.csv:3: nps: '11' is not a score from 0 to 10",
        "s.csv:4: channel: 'fax' is not one of survey, email, phone, portal, meeting, other",
        "s.csv:5: at: '2024-04-30 14:00' is not an RFC 3339 timestamp (e.g. 2024-04-02T10:02:00Z)",
        "s.csv:6: <document>: feedback needs a csat score, an nps score or a comment",
        "s.csv:7: customer: unknown party 'acme'",
        "s.csv:8: customer: party 'carrier' is not a customer",
        "s.csv:9: service: customer 'hospital' has no subscription to 'video'",
        "s.csv:10: service: unknown service 'tv'",
    ]
    found, problems = parse_feedback(text.splitlines()[0] + "\n" + text.splitlines()[-1], "csv")
    assert problems == []
    assert [(f.csat, f.nps, f.channel) for f in found] == [(5, 10, Channel.PORTAL)]


def test_without_the_configuration_any_customer_is_taken() -> None:
    found, problems = parse_feedback("customer,at,csat\nacme,2024-04-30T14:00:00Z,3\n", "csv")
    assert problems == []
    assert [f.customer for f in found] == ["acme"]


def test_the_api_body_has_paths() -> None:
    body = {
        "feedback": [
            {"customer": "hospital", "at": "2024-04-30T14:00:00Z", "csat": 5, "service": "voice"},
            {"customer": "hospital", "at": "2024-04-30T14:00:00Z", "csat": True},
            {"customer": "hospital", "at": "2024-04-30T14:00:00Z", "nps": 3, "mood": "meh"},
        ]
    }
    found, problems = parse_feedback_json(body, bundle=BUNDLE)
    assert found == []
    assert [(p.path, p.message) for p in problems] == [
        (("feedback", 1, "csat"), "True is not a score from 1 to 5"),
        (
            ("feedback", 2, "mood"),
            "unknown field 'mood'; fields are " + ", ".join(FEEDBACK_COLUMNS),
        ),
    ]
    found, problems = parse_feedback_json({"feedback": body["feedback"][:1]}, bundle=BUNDLE)
    assert problems == []
    assert found[0].csat == 5


def test_json_lines_are_located(tmp_path: Path) -> None:
    path = tmp_path / "f.jsonl"
    line = '{"customer": "hospital", "at": "2024-04-30T14:00:00Z", "nps": -1}'
    path.write_text(line + "\n", encoding="utf-8")
    _, (problem,) = read_feedback_file(path)
    assert str(problem) == f"{path}:1:{line.index('-1') + 1}: nps: -1 is not a score from 0 to 10"


def test_the_key_is_the_identity_of_an_answer() -> None:
    f = Feedback(customer="hospital", at=APRIL_30, csat=4, service="voice", respondent="Ana")
    text = "hospital\x1f2024-04-30T14:00:00.000000+00:00\x1fvoice\x1fAna\x1fsurvey"
    assert feedback_key(f) == hashlib.sha256(text.encode()).hexdigest()
    paris = APRIL_30.astimezone(timezone(timedelta(hours=2)))
    rescored = Feedback(customer="hospital", at=paris, csat=2, service="voice", respondent="Ana")
    assert feedback_key(rescored) == feedback_key(f)
    others = [
        Feedback(customer="other", at=APRIL_30, csat=4, service="voice", respondent="Ana"),
        Feedback(customer="hospital", at=APRIL_30, csat=4, respondent="Ana"),
        Feedback(customer="hospital", at=APRIL_30, csat=4, service="voice"),
        Feedback(
            customer="hospital",
            at=APRIL_30,
            csat=4,
            service="voice",
            respondent="Ana",
            channel=Channel.PHONE,
        ),
    ]
    assert len({feedback_key(o) for o in others} | {feedback_key(f)}) == 5
