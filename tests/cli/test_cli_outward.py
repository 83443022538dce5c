"""``servanda notify`` and ``servanda scheduler`` on the example, on SQLite and PostgreSQL:
the outbox listed, delivered once (to endpoints that do not exist here: tried again later),
jobs run by hand and their runs listed."""

from __future__ import annotations

import pytest

from .cli_support import EXAMPLE, ok, ok_json, run


def test_the_outbox_after_closing_a_period(loaded: str) -> None:
    ok("sla", "close", "--period", "2024-04", "--customer", "hospital", db=loaded)
    queued = ok_json("notify", "list", "--format", "json", db=loaded)
    closed = [q for q in queued if q["event"] == "period.closed"]
    assert [(q["rule"], q["channel"], q["state"]) for q in closed] == [
        ("billing-office", "email", "pending")
    ]
    assert ok("notify", "list", db=loaded).stdout.startswith("Notifications")


def test_dispatch_tries_once_and_records_why(loaded: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # nothing listens on port 9 (discard); the example's webhooks are on .example hosts
    monkeypatch.setenv("SERVANDA_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SERVANDA_SMTP_PORT", "9")
    monkeypatch.setenv("SERVANDA_NOTIFY_TIMEOUT", "2")
    ok("sla", "close", "--period", "2024-04", "--customer", "hospital", db=loaded)
    pending = len(ok_json("notify", "list", "--state", "pending", "--format", "json", db=loaded))
    done = ok_json("notify", "dispatch", "--format", "json", db=loaded)
    assert (done["sent"], done["retrying"]) == (0, pending)  # all tried again later
    errors = {q["last_error"] for q in ok_json("notify", "list", "--format", "json", db=loaded)}
    assert any(e.startswith("SMTP 127.0.0.1:9") for e in errors)
    again = ok_json("notify", "dispatch", "--format", "json", db=loaded)
    assert again == {"sent": 0, "retrying": 0, "failed": 0}  # not due yet


def test_a_job_by_hand_and_the_runs(loaded: str) -> None:
    out = ok("scheduler", "run", "stale-sessions", db=loaded).stdout
    assert out.startswith("stale-sessions: ok: 0 accounts")
    ok("scheduler", "run", "close-reminders", db=loaded)
    runs = ok_json("scheduler", "runs", "--format", "json", db=loaded)
    assert [r["job"] for r in runs] == ["close-reminders", "stale-sessions"]
    assert {r["outcome"] for r in runs} == {"ok"}
    assert ok("scheduler", "runs", db=loaded).stdout.startswith("Job runs")
    only = ok_json("scheduler", "runs", "--job", "stale-sessions", "--format", "json", db=loaded)
    assert [r["job"] for r in only] == ["stale-sessions"]


def test_an_unknown_job_is_a_usage_error(loaded: str) -> None:
    result = run("scheduler", "run", "make-coffee", db=loaded)
    assert result.exit_code == 2
    assert "no job 'make-coffee'" in result.stderr


def test_the_example_declares_its_notification_rules() -> None:
    assert "4 notification rules" in ok("check", EXAMPLE).stdout


def test_issued_invoices_are_notified(loaded: str) -> None:
    ok("bill", "--period", "2024-04", "--issue", db=loaded)
    issued = [
        q
        for q in ok_json("notify", "list", "--limit", "1000", "--format", "json", db=loaded)
        if q["event"] == "invoice.issued"
    ]
    numbers = {i["number"] for i in ok_json("invoice", "list", "--format", "json", db=loaded)}
    assert {q["rule"] for q in issued} == {"billing-office", "hospital-own"}
    office = [q for q in issued if q["rule"] == "billing-office"]
    assert len(office) == len(numbers)
    # the hospital's own rule hears of the hospital's invoices only (its webhook and email)
    own = [q for q in issued if q["rule"] == "hospital-own"]
    assert own
    assert all("hospital" in q["subject"] for q in own)
