"""The parsers build events without validating them again: each event equals the one Event's
validation makes from the same values (text stripped, enums, UTC timestamps)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from servanda.events.model import Event, fingerprint_of, labels_of, normalise_severity
from servanda.ingest.alertmanager import AlertmanagerFormat, label_set_fingerprint
from servanda.ingest.generic import parse_generic, parse_timestamp

NOW = datetime(2024, 4, 2, 12, 0, tzinfo=UTC)

spaced = st.sampled_from(["", " ", "\t", "\n", "\u3000", "\x1f", "\xa0"])
words = st.sampled_from(["db-1", "critical", "Warn", "page", "down now", "x\ny", "", "é"])
text = st.builds(lambda a, w, b: a + w + b, spaced, words, spaced)
names = st.sampled_from(["alertname", "instance", "severity", "level", "_x", "job9"])
labels = st.dictionaries(names, text, min_size=1, max_size=4)
"""Labels as Alertmanager accepts them: at least one, names by its rule, any text as values."""
times = st.sampled_from(
    ["2024-04-02T10:00:00Z", "2024-04-02T11:00:00+02:00", "2024-04-02T10:30:00.123456789Z"]
)


def validated(**values: Any) -> Event:
    return Event(**values)


@given(
    labels=labels,
    annotations=st.dictionaries(st.sampled_from(["summary", "description", "x"]), text),
    status=st.sampled_from(["firing", "resolved", None]),
    ends=st.sampled_from(["2024-04-02T11:30:00Z", "0001-01-01T00:00:00Z", None]),
    starts=times,
    fingerprint=st.one_of(st.none(), text),
    url=st.one_of(st.none(), text),
)
def test_alertmanager_events(
    labels: dict[str, str],
    annotations: dict[str, str],
    status: str | None,
    ends: str | None,
    starts: str,
    fingerprint: str | None,
    url: str | None,
) -> None:
    sent: dict[str, Any] = {"labels": labels, "annotations": annotations, "startsAt": starts}
    for key, value in (
        ("status", status),
        ("endsAt", ends),
        ("fingerprint", fingerprint),
        ("generatorURL", url),
    ):
        if value is not None:
            sent[key] = value
    events, problems = AlertmanagerFormat.parse({"alerts": [sent]}, received_at=NOW)
    assert problems == []
    [event] = events
    severity = next((labels[k] for k in ("severity", "level") if labels.get(k, "").strip()), None)
    summary = next(
        (
            annotations[k]
            for k in AlertmanagerFormat.SUMMARY_ANNOTATIONS
            if annotations.get(k, "").strip()
        ),
        None,
    )
    expected = validated(
        source="alertmanager",
        fingerprint=fingerprint or label_set_fingerprint(labels),
        labels=labels_of(labels),
        status=event.status,
        starts_at=parse_timestamp(starts),
        severity=normalise_severity(severity or "warning"),
        ends_at=event.ends_at,
        summary=labels.get("alertname", "") if summary is None else summary.strip().splitlines()[0],
        generator_url=url or None,
    )
    assert event == expected
    assert [type(getattr(event, f)) for f in ("status", "severity")] == [
        type(expected.status),
        type(expected.severity),
    ]
    assert event.starts_at.tzinfo is UTC


@given(
    source=text.filter(bool),
    labels=labels,
    fingerprint=st.one_of(st.none(), text),
    severity=st.one_of(st.none(), text),
    status=st.sampled_from(["firing", "resolved", "RESOLVED "]),
    summary=text,
    url=st.one_of(st.none(), text),
    start=times,
)
def test_generic_events(
    source: str,
    labels: dict[str, str],
    fingerprint: str | None,
    severity: str | None,
    status: str,
    summary: str,
    url: str | None,
    start: str,
) -> None:
    sent: dict[str, Any] = {
        "source": source,
        "labels": labels,
        "status": status,
        "start": start,
        "summary": summary,
    }
    if status.strip().lower() == "resolved":
        sent["end"] = "2024-04-02T11:30:00Z"
    for key, value in (("fingerprint", fingerprint), ("severity", severity), ("url", url)):
        if value is not None:
            sent[key] = value
    events, problems = parse_generic([sent], received_at=NOW)
    assert problems == []
    [event] = events
    expected = validated(
        source=source,
        fingerprint=fingerprint if fingerprint is not None else fingerprint_of(labels_of(labels)),
        labels=labels_of(labels),
        status=status.strip().lower(),
        starts_at=parse_timestamp(start),
        severity=normalise_severity(severity or "warning"),
        ends_at=parse_timestamp(sent["end"]) if "end" in sent else None,
        summary=summary,
        generator_url=url or None,
    )
    assert event == expected
    assert event.starts_at.tzinfo is UTC
