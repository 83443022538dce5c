"""Attestation files and bodies: controls checked against the declared policy clauses."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

from servanda.agreements.model import Agreement, Control, Level, PolicyClause
from servanda.declared.bundle import Bundle
from servanda.ingest.attestations import (
    attestation_key,
    parse_attestations,
    parse_attestations_json,
    policy_controls,
    read_attestation_file,
)
from servanda.measure.inputs import Attestation

SECURITY = PolicyClause(
    id="security",
    title="Security",
    text="Passwords of 8 characters, changed every 30 days.",
    controls=(
        Control(id="password-length", text="At least 8 characters"),
        Control(id="password-rotation", text="Changed every 30 days"),
    ),
)
BUNDLE = Bundle(
    agreements=(
        Agreement(
            id="corp",
            level=Level.CORPORATE,
            provider="isp",
            effective_from=date(2024, 1, 1),
            policies=(SECURITY,),
        ),
        Agreement(
            id="acme",
            level=Level.CUSTOMER,
            provider="isp",
            customer="acme",
            effective_from=date(2024, 1, 1),
            policies=(
                PolicyClause(
                    id="security",
                    title="Security",
                    text="Also badges.",
                    controls=(Control(id="badges", text="Photo badges"),),
                ),
                PolicyClause(id="privacy", title="Privacy", text="No controls."),
            ),
        ),
    )
)
HEADER = "policy,control,period_start,period_end,met,attested_by,attested_at,evidence,note\n"
APRIL = (datetime(2024, 3, 31, 22, tzinfo=UTC), datetime(2024, 4, 30, 22, tzinfo=UTC))
SIGNED = datetime(2024, 5, 2, 7, tzinfo=UTC)


def test_policy_controls_unite_the_levels() -> None:
    assert policy_controls(BUNDLE) == {
        "security": ["password-length", "password-rotation", "badges"],
        "privacy": [],
    }


def test_a_csv_of_attestations_is_read(tmp_path: Path) -> None:
    path = tmp_path / "april.csv"
    path.write_text(
        HEADER + "security,password-length,2024-04-01T00:00:00+02:00,2024-05-01T00:00:00+02:00,yes,"
        'CISO,2024-05-02T09:00:00+02:00,"IdP export, 2 May",\n'
        + "security,badges,2024-03-31T22:00:00Z,2024-04-30T22:00:00Z,FALSE,Facilities,"
        "2024-05-02T07:00:00Z,,Two badges without photo\n",
        encoding="utf-8",
    )
    found, problems = read_attestation_file(path, bundle=BUNDLE)
    assert problems == []
    assert found == [
        Attestation(
            control="password-length",
            policy="security",
            period_start=APRIL[0],
            period_end=APRIL[1],
            met=True,
            attested_by="CISO",
            attested_at=SIGNED,
            evidence="IdP export, 2 May",
        ),
        Attestation(
            control="badges",
            policy="security",
            period_start=APRIL[0],
            period_end=APRIL[1],
            met=False,
            attested_by="Facilities",
            attested_at=SIGNED,
            note="Two badges without photo",
        ),
    ]


def test_every_bad_row_is_located() -> None:
    ok = "2024-04-01T00:00:00Z,2024-05-01T00:00:00Z"
    text = (
        HEADER  # 1
        + f"security,password-lenght,{ok},true,CISO,2024-05-02T09:00:00Z,,\n"  # 2
        + f"securty,password-length,{ok},true,CISO,2024-05-02T09:00:00Z,,\n"  # 3
        + f"privacy,consent,{ok},true,DPO,2024-05-02T09:00:00Z,,\n"  # 4
        + "security,badges,2024-05-01T00:00:00Z,2024-04-01T00:00:00Z,true,CISO,"
        "2024-05-02T09:00:00Z,,\n"  # 5
         + f"security,badges,{ok},maybe,,2024-05-02,,\n"  # 6
    )
    found, problems = parse_attestations(text, "csv", bundle=BUNDLE, file="a.csv")
    assert found == []
    assert [str(p) for p in problems] == [
        "a.csv:2: control: policy clause 'security' has no control 'password-lenght'; its "
        "controls: password-length, password-rotation, badges",
        "a.csv:3: policy: unknown policy clause 'securty'; declared: privacy, security",
        "a.csv:4: control: policy clause 'privacy' has no control 'consent'; its controls: none",
        "a.csv:5: period_end: the attested period ends (2024-04-01T00:00:00+00:00) before it "
        "starts (2024-05-01T00:00:00+00:00)",
        "a.csv:6: met: 'maybe' is neither true nor false",
        "a.csv:6: attested_by: this field is required",
        "a.csv:6: attested_at: '2024-05-02' is not an RFC 3339 timestamp (e.g. "
        "2024-04-02T10:02:00Z)",
    ]


def test_a_header_without_a_required_column() -> None:
    _, problems = parse_attestations("policy,control,met\n", "csv", file="a.csv")
    assert [str(p) for p in problems] == [
        f"a.csv:1: {name}: missing column {name!r} (required: policy, control, period_start, "
        "period_end, met, attested_by, attested_at)"
        for name in ("period_start", "period_end", "attested_by", "attested_at")
    ]


def test_the_api_body_has_paths() -> None:
    item = {
        "policy": "security",
        "control": "badges",
        "period_start": "2024-04-01T00:00:00Z",
        "period_end": "2024-05-01T00:00:00Z",
        "met": True,
        "attested_by": "CISO",
        "attested_at": "2024-05-02T09:00:00Z",
    }
    body = {"attestations": [item, {**item, "control": "shoes", "met": "sometimes"}]}
    found, problems = parse_attestations_json(body, bundle=BUNDLE)
    assert found == []
    assert [(p.path, p.message) for p in problems] == [
        (("attestations", 1, "met"), "'sometimes' is neither true nor false"),
    ]
    body["attestations"][1]["met"] = 0
    _, problems = parse_attestations_json(body, bundle=BUNDLE)
    assert [(p.path, p.message[:41]) for p in problems] == [
        (("attestations", 1, "control"), "policy clause 'security' has no control '"),
    ]
    found, problems = parse_attestations_json({"attestations": [item]})
    assert problems == []
    assert [a.met for a in found] == [True]


def test_the_key_is_the_control_and_its_period() -> None:
    a = Attestation(
        control="badges",
        policy="security",
        period_start=APRIL[0],
        period_end=APRIL[1],
        met=True,
        attested_by="CISO",
        attested_at=SIGNED,
    )
    text = (
        "security\x1fbadges\x1f2024-03-31T22:00:00.000000+00:00\x1f2024-04-30T22:00:00.000000+00:00"
    )
    assert attestation_key(a) == hashlib.sha256(text.encode()).hexdigest()
    paris = timezone(timedelta(hours=2))
    later = Attestation(
        control="badges",
        policy="security",
        period_start=APRIL[0].astimezone(paris),
        period_end=APRIL[1].astimezone(paris),
        met=False,
        attested_by="Facilities",
        attested_at=SIGNED + timedelta(days=1),
    )
    assert attestation_key(later) == attestation_key(a)  # a later statement replaces it
    other = Attestation(
        control="password-length",
        policy="security",
        period_start=APRIL[0],
        period_end=APRIL[1],
        met=True,
        attested_by="CISO",
        attested_at=SIGNED,
    )
    assert attestation_key(other) != attestation_key(a)
