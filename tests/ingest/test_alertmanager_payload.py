"""Alertmanager payload rules: status and end, fingerprints, severity and summary, timestamps,
and malformed payloads (every problem at the path of its field, no events)."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from servanda.core.problems import Problem
from servanda.events.model import Severity, Status
from servanda.ingest.alertmanager import (
    AlertmanagerFormat,
    fnv1a_64,
    label_set_fingerprint,
    parse_alertmanager,
)
from servanda.ingest.generic import parse_timestamp

NOW = datetime(2024, 4, 2, 12, 0, tzinfo=UTC)


def alert(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "status": "firing",
        "labels": {"alertname": "InstanceDown", "instance": "db-1:9100", "severity": "page"},
        "annotations": {"summary": "db-1 down"},
        "startsAt": "2024-04-02T10:00:00Z",
        "endsAt": "0001-01-01T00:00:00Z",
        "generatorURL": "http://prometheus/graph",
        "fingerprint": "0123456789abcdef",
    }
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


def payload(*alerts: dict[str, Any], **top: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "version": "4",
        "groupKey": "{}:{}",
        "truncatedAlerts": 0,
        "status": "firing",
        "receiver": "servanda",
        "groupLabels": {},
        "commonLabels": {},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager:9093",
        "alerts": list(alerts),
    }
    body.update(top)
    return body


def problems_of(data: Any) -> list[tuple[str, str]]:
    events, problems = parse_alertmanager(data, received_at=NOW)
    assert events == []
    assert problems
    return [(p.dotted_path, p.message) for p in problems]


# -- FNV-1a and Alertmanager's fingerprint ----------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", 0xCBF29CE484222325),
        (b"a", 0xAF63DC4C8601EC8C),
        (b"foobar", 0x85944171F73967E8),
    ],
)
def test_fnv1a_64_published_vectors(data: bytes, expected: int) -> None:
    assert fnv1a_64(data) == expected


def test_label_set_fingerprint_vectors() -> None:
    # prometheus/common's own test vector for LabelSet fingerprints
    garland = {"name": "garland, briggs", "fear": "love is not enough"}
    assert int(label_set_fingerprint(garland), 16) == 5799056148416392346
    assert label_set_fingerprint({}) == "cbf29ce484222325"
    prom2teams = {
        "alertname": "DiskSpace",
        "device": "rootfs",
        "fstype": "rootfs",
        "instance": "cs30.evilcorp",
        "mountpoint": "/",
        "severity": "severe",
    }
    assert label_set_fingerprint(prom2teams) == "d7639280ae704875"  # per SOURCES.md


def test_fingerprint_is_16_lower_case_hex_digits_even_when_small() -> None:
    found = label_set_fingerprint({"é": "ü"})
    assert len(found) == 16
    assert found == found.lower()
    int(found, 16)


@given(st.dictionaries(st.text(min_size=1), st.text(), max_size=6))
def test_fingerprint_ignores_label_order_and_separates_names_from_values(
    labels: dict[str, str],
) -> None:
    backwards = dict(reversed(list(labels.items())))
    assert label_set_fingerprint(backwards) == label_set_fingerprint(labels)


def test_separator_keeps_name_value_boundaries_apart() -> None:
    assert label_set_fingerprint({"ab": "c"}) != label_set_fingerprint({"a": "bc"})


def test_missing_or_empty_fingerprint_is_computed() -> None:
    labels = alert()["labels"]
    for sent in (alert(fingerprint=None), alert(fingerprint="")):
        [event], _ = parse_alertmanager(payload(sent), received_at=NOW)
        assert event.fingerprint == label_set_fingerprint(labels)


# -- status and end -------------------------------------------------------------------------


def test_firing_alert_has_no_end_even_with_a_future_ends_at() -> None:
    # Prometheus sends a firing alert's expected timeout as endsAt
    [event], _ = parse_alertmanager(payload(alert(endsAt="2024-04-02T12:05:00Z")), received_at=NOW)
    assert event.status is Status.FIRING
    assert event.ends_at is None


@pytest.mark.parametrize(
    ("ends_at", "status", "end"),
    [
        (None, Status.FIRING, None),
        ("0001-01-01T00:00:00Z", Status.FIRING, None),
        ("2024-04-02T12:00:01Z", Status.FIRING, None),  # after received_at
        ("2024-04-02T12:00:00Z", Status.RESOLVED, NOW),  # not after received_at
        ("2024-04-02T11:00:00+00:00", Status.RESOLVED, NOW - timedelta(hours=1)),
    ],
)
def test_missing_status_is_derived_from_ends_at(
    ends_at: str | None, status: Status, end: datetime | None
) -> None:
    sent = alert(status=None, endsAt=ends_at)  # None leaves the key out
    [event], problems = parse_alertmanager(payload(sent), received_at=NOW)
    assert problems == []
    assert event.status is status
    assert event.ends_at == end


def test_resolved_alert_keeps_its_end() -> None:
    sent = alert(status="resolved", endsAt="2024-04-02T10:30:00.5Z")
    [event], _ = parse_alertmanager(payload(sent), received_at=NOW)
    assert event.status is Status.RESOLVED
    assert event.ends_at == datetime(2024, 4, 2, 10, 30, 0, 500000, UTC)


# -- severity, summary, unknown keys ------------------------------------------------------------


@pytest.mark.parametrize(
    ("labels", "severity"),
    [
        ({"severity": "critical"}, Severity.CRITICAL),
        ({"severity": "page"}, Severity.CRITICAL),
        ({"severity": "High"}, Severity.MAJOR),
        ({"severity": "info"}, Severity.INFO),
        ({"level": "error"}, Severity.MAJOR),
        ({"severity": "", "level": "minor"}, Severity.MINOR),
        ({}, Severity.WARNING),
        ({"severity": "severe"}, Severity.WARNING),
    ],
)
def test_severity_from_labels(labels: dict[str, str], severity: Severity) -> None:
    assert AlertmanagerFormat.SEVERITY_LABELS[0] == "severity"
    sent = alert(labels={"alertname": "X", **labels})
    [event], _ = parse_alertmanager(payload(sent), received_at=NOW)
    assert event.severity is severity


@pytest.mark.parametrize(
    ("annotations", "summary"),
    [
        ({"summary": "S", "description": "D", "message": "M"}, "S"),
        ({"description": "D", "message": "M"}, "D"),
        ({"summary": " ", "message": "M"}, "M"),
        ({"description": "first line\nsecond line"}, "first line"),
        ({"runbook_url": "http://x"}, "InstanceDown"),
    ],
)
def test_summary_from_annotations_else_alertname(annotations: dict[str, str], summary: str) -> None:
    [event], _ = parse_alertmanager(payload(alert(annotations=annotations)), received_at=NOW)
    assert event.summary == summary


def test_summary_without_annotations_or_alertname_is_empty() -> None:
    sent = alert(labels={"job": "node"}, annotations=None)
    [event], _ = parse_alertmanager(payload(sent), received_at=NOW)
    assert event.summary == ""


def test_unknown_and_newer_keys_are_ignored() -> None:
    body = payload(
        alert(silenceURL="http://x", values={"B": 1.5}, extra=[1, 2]),
        notification_reason="first notification",
        routeLabels={"team": "ops"},
        orgId=1,
        somethingNew={"nested": True},
    )
    events, problems = parse_alertmanager(body, received_at=NOW)
    assert problems == []
    assert len(events) == 1


def test_minimal_payload_reads() -> None:
    minimal = {"alerts": [{"labels": {"alertname": "A"}, "startsAt": "2024-04-02T10:00:00Z"}]}
    [event], problems = parse_alertmanager(minimal, received_at=NOW)
    assert problems == []
    assert event.status is Status.FIRING


def test_empty_alert_list_gives_no_events_and_no_problems() -> None:
    assert parse_alertmanager(payload(), received_at=NOW) == ([], [])


def test_received_at_must_be_aware() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        parse_alertmanager(payload(), received_at=datetime(2024, 1, 1))  # noqa: DTZ001


# -- timestamps ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2017-05-09T07:01:37.803000000Z", datetime(2017, 5, 9, 7, 1, 37, 803000, UTC)),
        ("2017-05-09T07:08:37.818Z", datetime(2017, 5, 9, 7, 8, 37, 818000, UTC)),
        ("2017-05-09T07:08:37.81827Z", datetime(2017, 5, 9, 7, 8, 37, 818270, UTC)),
        ("2017-05-09T07:08:37.9999999Z", datetime(2017, 5, 9, 7, 8, 37, 999999, UTC)),
        ("2017-05-09T07:08:37Z", datetime(2017, 5, 9, 7, 8, 37, tzinfo=UTC)),
        ("2017-05-09t07:08:37z", datetime(2017, 5, 9, 7, 8, 37, tzinfo=UTC)),
        ("2018-03-07T06:33:21.873077559-05:00", datetime(2018, 3, 7, 11, 33, 21, 873077, UTC)),
        ("2021-10-12T09:51:03.157076+02:00", datetime(2021, 10, 12, 7, 51, 3, 157076, UTC)),
        ("0001-01-01T00:00:00Z", datetime(1, 1, 1, tzinfo=UTC)),
    ],
)
def test_rfc3339_timestamps(text: str, expected: datetime) -> None:
    found = parse_timestamp(text)
    assert found == expected
    assert found.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2017-05-09T07:01:37", "has no timezone"),
        ("2017-05-09", "is not an RFC 3339 timestamp"),
        ("2017-02-30T00:00:00Z", "is not a valid date and time"),
        ("2017-05-09T07:01:37+25:00", "is not a valid date and time"),
        ("0001-01-01T00:00:00+01:00", "is not a valid date and time"),
        (1494313297, "expected an RFC 3339 timestamp as text"),
    ],
)
def test_bad_timestamps(value: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_timestamp(value)


# -- malformed payloads -----------------------------------------------------------------------


def test_every_problem_is_at_its_path_and_no_event_is_returned() -> None:
    good = alert()
    missing_labels = alert()
    del missing_labels["labels"]
    bad_time = alert(startsAt="yesterday")
    wrong_type = alert(labels=["alertname", "X"])
    found = problems_of(payload(good, missing_labels, bad_time, wrong_type))
    assert found == [
        ("alerts[1].labels", "this field is required"),
        (
            "alerts[2].startsAt",
            "'yesterday' is not an RFC 3339 timestamp (e.g. 2024-04-02T10:02:00Z)",
        ),
        ("alerts[3].labels", "expected a JSON object"),
    ]


@pytest.mark.parametrize("data", [[], "alerts", None, 4, [payload(alert())]])
def test_payload_that_is_not_an_object(data: Any) -> None:
    assert problems_of(data) == [("<document>", "an Alertmanager webhook payload is a JSON object")]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"alerts": None}, ("alerts", "expected a JSON array")),
        ({"alerts": {"0": alert()}}, ("alerts", "expected a JSON array")),
        ({"alerts": [alert(), "alert"]}, ("alerts[1]", "expected a JSON object")),
        ({"commonLabels": {"job": 3}}, ("commonLabels.job", "expected text (a JSON string)")),
        ({"truncatedAlerts": "many"}, ("truncatedAlerts", "expected an integer")),
        ({"status": "broken"}, ("status", "unknown status 'broken'; expected firing or resolved")),
    ],
)
def test_malformed_top_level_fields(change: dict[str, Any], expected: tuple[str, str]) -> None:
    body = payload(alert())
    body.update(change)
    assert problems_of(body) == [expected]


def test_missing_alerts() -> None:
    body = payload()
    del body["alerts"]
    assert problems_of(body) == [("alerts", "this field is required")]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"labels": {"job": 9100}}, ("alerts[0].labels.job", "expected text (a JSON string)")),
        ({"annotations": "x"}, ("alerts[0].annotations", "expected a JSON object")),
        (
            {"startsAt": None},
            (
                "alerts[0].startsAt",
                "expected an RFC 3339 timestamp as text, e.g. 2024-04-02T10:02:00Z",
            ),
        ),
        (
            {"startsAt": "2024-04-02T10:00:00"},
            (
                "alerts[0].startsAt",
                "timestamp '2024-04-02T10:00:00' has no timezone; add Z for UTC or an offset "
                "like +02:00",
            ),
        ),
        (
            {"startsAt": "0001-01-01T00:00:00Z"},
            ("alerts[0].startsAt", "startsAt is Go's zero time (not set)"),
        ),
        (
            {"endsAt": "soon"},
            ("alerts[0].endsAt", "'soon' is not an RFC 3339 timestamp (e.g. 2024-04-02T10:02:00Z)"),
        ),
        (
            {"status": "pending"},
            ("alerts[0].status", "unknown status 'pending'; expected firing or resolved"),
        ),
        ({"fingerprint": 42}, ("alerts[0].fingerprint", "expected text (a JSON string)")),
        (
            {"status": "resolved", "endsAt": "2024-04-02T09:00:00Z"},
            (
                "alerts[0].endsAt",
                "endsAt 2024-04-02T09:00:00+00:00 is before startsAt 2024-04-02T10:00:00+00:00",
            ),
        ),
    ],
)
def test_malformed_alert_fields(change: dict[str, Any], expected: tuple[str, str]) -> None:
    sent = alert()
    sent.update(change)  # keeps a None, which alert() would drop
    assert problems_of(payload(sent)) == [expected]


def test_semantic_problems_are_reported_beside_shape_problems() -> None:
    """A resolved alert ending before it starts is reported even when another alert of the
    payload is malformed, so one answer lists everything to fix."""
    backwards = alert(status="resolved", endsAt="2024-04-02T09:00:00Z")
    broken = alert(labels="x")
    found = problems_of(payload(broken, backwards))
    assert [path for path, _ in found] == ["alerts[0].labels", "alerts[1].endsAt"]


def test_problems_name_the_file() -> None:
    _, problems = parse_alertmanager([], received_at=NOW, file="hook.json")
    assert [str(p) for p in problems] == [
        "hook.json: <document>: an Alertmanager webhook payload is a JSON object"
    ]
    _, problems = parse_alertmanager({}, received_at=NOW)
    assert problems == [Problem("this field is required", problems[0].location, ("alerts",))]
    assert problems[0].location.file == "<request>"


def test_input_is_not_modified() -> None:
    body = payload(alert(status=None, fingerprint=None))
    before = copy.deepcopy(body)
    parse_alertmanager(body, received_at=NOW)
    assert body == before
