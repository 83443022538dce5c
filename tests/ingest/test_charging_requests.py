"""Files of online-charging requests: the API's bodies with the request, its time and its
session, every problem located at its line and field."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from servanda.ingest.charging_requests import (
    InitiateLine,
    TerminateLine,
    TopUpLine,
    UpdateLine,
    read_charging_requests,
)

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "metro-isp"


def test_the_example_requests() -> None:
    found, problems = read_charging_requests(EXAMPLE / "usage" / "2024-04.online.jsonl")
    assert problems == []
    assert [type(r) for r in found] == [
        TopUpLine, TopUpLine, InitiateLine, TerminateLine, InitiateLine, UpdateLine, UpdateLine,
        TerminateLine,
    ]  # fmt: skip
    top_up = found[1]
    assert isinstance(top_up, TopUpLine)
    assert (top_up.account, top_up.amount, top_up.currency) == (
        "hospital-patient-214", Decimal("1.00"), "EUR"
    )  # fmt: skip


def test_problems_are_located_and_nothing_is_returned(tmp_path: Path) -> None:
    path = tmp_path / "requests.online.jsonl"
    path.write_text(
        '{"request": "top_up", "at": "2024-04-01T00:00:00+02:00", "account": "a", '
        '"kind": "money", "amount": "5", "currency": "EUR"}\n'
        '{"request": "update", "at": "2024-04-01T00:00:00", "session_id": "s", '
        '"request_number": 1, "used": 3}\n'
        '{"request": "initiate", "at": "2024-04-01T00:00:00Z", "account": "a", '
        '"category": "call", "requested": -1, "session_id": "s"}\n'
        '{"request": "pause"}\n'
        '{"request": "terminate",\n',
        encoding="utf-8",
    )
    found, problems = read_charging_requests(path)
    assert found == []
    where = {(p.location.line, ".".join(map(str, p.path))) for p in problems}
    assert (2, "at") in where  # no timezone
    assert (3, "requested") in where
    assert any(line == 4 for line, _ in where)
    assert any(line == 5 for line, _ in where)
    assert all(p.location.file == str(path) for p in problems)
