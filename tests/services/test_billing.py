"""The bill run on the example's month, on SQLite and PostgreSQL: one invoice per account with
its recurring fees, usage, commitment true-up and SLA credits; running it again makes nothing
twice; issuing numbers invoices without gaps; usage arriving after the issue is billed the next
month as an adjustment; a failed run leaves nothing; customers read only their own."""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, ROUND_UP, Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from servanda.core.access import LOCAL_ADMIN, Principal, Role
from servanda.core.problems import Conflict, InvalidInput, NotFound
from servanda.ingest.usage_files import read_usage_file
from servanda.services import billing, closing, configuration, settlement, usage
from servanda.services.example_month import load_example_month
from servanda.storage.database import transaction
from servanda.storage.tables import ChargeTotalRow, InvoiceRow, PartyChargeRow

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "metro-isp"
NOW = datetime(2024, 5, 3, tzinfo=UTC)


@pytest.fixture
def month(engine: Engine) -> Engine:
    configuration.load(engine, [EXAMPLE], NOW)
    load_example_month(engine, EXAMPLE, NOW)
    closing.close_period(engine, LOCAL_ADMIN, "2024-04", NOW)
    return engine


def by_account(engine: Engine, period: str = "2024-04") -> dict[str, billing.InvoiceView]:
    return {
        i.account: billing.invoice(engine, LOCAL_ADMIN, i.id)
        for i in billing.invoices(engine, LOCAL_ADMIN, period=period)
        if i.state != "void"
    }


def unbilled(engine: Engine) -> int:
    with transaction(engine) as session:
        return int(
            session.scalar(
                select(func.count()).select_from(PartyChargeRow)
                .join(ChargeTotalRow, ChargeTotalRow.id == PartyChargeRow.total_id)
                .where(PartyChargeRow.role == "pays", ChargeTotalRow.billed_in.is_(None))
            ) or 0
        )  # fmt: skip


def test_the_example_month_billed_issued_and_billed_again(month: Engine) -> None:
    run = billing.bill(month, LOCAL_ADMIN, "2024-04", NOW)
    assert run.problems == []
    found = by_account(month)
    assert set(found) == {
        "quai-capital", "bertin-associes", "hospital", "hospital-patient-214", "horizon-sport",
        "institut-rhenan", "lumiere-tv",
    }  # fmt: skip
    assert unbilled(month) == 0

    for invoice in found.values():  # an invoice is the sum of its lines
        assert invoice.net == sum(line.amount for line in invoice.lines)
        assert invoice.gross == invoice.net + invoice.tax
        assert invoice.state == "draft"
        assert invoice.number is None

    quai = found["quai-capital"]
    recurring = [line for line in quai.lines if line.kind == "recurring"]
    assert sum(line.amount for line in recurring) == Decimal("3720.00")
    assert quai.tax == (quai.net * Decimal("0.20")).quantize(Decimal("0.01"))

    # Horizon Sport's SLA credit, with its reason and report
    [credit] = [line for line in found["horizon-sport"].lines if line.kind == "credit"]
    assert credit.amount < 0
    assert credit.detail["report"] == "/api/v1/sla/horizon-sport/report?period=2024-04"
    assert "availability" in credit.description

    # the hospital pays its 0800 line; the conference is on three invoices
    assert any(line.detail.get("rule") == "hospital-freephone" for line in found["hospital"].lines)
    conference = [
        line for inv in found.values() for line in inv.lines
        if line.detail.get("rule") == "conference-equal-shares"
    ]  # fmt: skip
    assert len(conference) == 3
    # what balances paid in advance is deducted: the patient phone's calls were prepaid,
    # Institut Rhénan's data partly, from its credit limit
    phone = found["hospital-patient-214"]
    assert phone.prepaid == Decimal("1.00")  # 0.0660 + 0.9338 debited
    assert phone.due == phone.gross - phone.prepaid
    assert found["institut-rhenan"].prepaid == Decimal("10.00")
    # Institut Rhénan's streams fall short of its commitment: the rest is invoiced
    [true_up] = [line for line in found["institut-rhenan"].lines if line.kind == "commitment"]
    assert true_up.amount > 0

    # running it again makes the same drafts, nothing twice
    again = billing.bill(month, LOCAL_ADMIN, "2024-04", NOW)
    assert again.replaced == 7
    assert {a: (i.net, i.tax) for a, i in by_account(month).items()} == {
        a: (i.net, i.tax) for a, i in found.items()
    }

    # issuing numbers them without gaps, in the issuer's year
    numbers = billing.issue(month, LOCAL_ADMIN, "2024-04", NOW)
    assert numbers == [f"MFN-2024-{n:06d}" for n in range(1, 8)]
    after = billing.bill(month, LOCAL_ADMIN, "2024-04", NOW)
    assert (after.drafts, after.replaced) == ([], 0)
    assert set(after.skipped) <= set(found)
    assert "quai-capital" in after.skipped

    # a call of April arriving after the issue is billed in May, as an adjustment
    records, _ = read_usage_file(EXAMPLE / "usage" / "2024-04.calls.csv")
    late = replace(records[5], record_id="cdr-late-1",
                   start=datetime(2024, 4, 29, 9, tzinfo=UTC))  # fmt: skip
    usage.ingest_usage(month, LOCAL_ADMIN, [late], NOW + timedelta(days=1))
    may = billing.bill(month, LOCAL_ADMIN, "2024-05", NOW + timedelta(days=30))
    assert may.drafts
    adjustments = [
        line for line in by_account(month, "2024-05")[late.account].lines
        if line.kind == "adjustment"
    ]  # fmt: skip
    assert len(adjustments) == 1
    assert "used before 2024-05" in adjustments[0].description
    assert unbilled(month) == 0


def test_a_failed_run_leaves_nothing(month: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    def failing(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full")  # after every draft and line was written

    monkeypatch.setattr(billing, "_mark_billed", failing)
    with pytest.raises(RuntimeError):
        billing.bill(month, LOCAL_ADMIN, "2024-04", NOW)
    with transaction(month) as session:
        assert session.scalar(select(func.count()).select_from(InvoiceRow)) == 0
    assert unbilled(month) > 0


def test_customers_read_only_their_own_issued_invoices(month: Engine) -> None:
    run = billing.bill(month, LOCAL_ADMIN, "2024-04", NOW)
    quai = Principal(Role.CUSTOMER, party="quai-capital")
    assert billing.invoices(month, quai) == []  # drafts are not shown
    billing.issue(month, LOCAL_ADMIN, "2024-04", NOW)
    mine = billing.invoices(month, quai)
    assert [i.account for i in mine] == ["quai-capital"]
    other = next(i for i in run.drafts if i != mine[0].id)
    with pytest.raises(NotFound):
        billing.invoice(month, quai, other)


def test_a_period_is_a_month() -> None:
    with pytest.raises(InvalidInput, match="YYYY-MM"):
        billing.Month.of("2024-4")


def test_the_month_is_settled_once_and_every_statement_traces_back(month: Engine) -> None:
    made = settlement.settle(month, LOCAL_ADMIN, "2024-04", NOW)
    found = {
        (s.first, s.second): s for s in settlement.statements_of(month, LOCAL_ADMIN, "2024-04")
    }
    assert set(found) == {
        ("alpine-transit", "metro-isp"),
        ("arena-sports", "metro-isp"),
        ("lumiere-tv", "metro-isp"),
    }
    for s in found.values():
        assert s.payer == "metro-isp"
        assert s.self_billing
        charges = settlement.charges_of(month, LOCAL_ADMIN, s.id)
        assert sum(Decimal(c["amount"]) for c in charges) == s.net
    # the content providers' shares: 60 % and 55 % of what their streams were charged
    lumiere = found[("lumiere-tv", "metro-isp")]
    assert lumiere.lines[0]["rule"] == "lumiere-revenue-share"
    assert settlement.settle(month, LOCAL_ADMIN, "2024-04", NOW) == []
    assert len(made) == 3


def test_a_void_invoice_is_cancelled_by_a_credit_note_and_billed_again(month: Engine) -> None:
    billing.bill(month, LOCAL_ADMIN, "2024-04", NOW)
    billing.issue(month, LOCAL_ADMIN, "2024-04", NOW)
    quai = by_account(month)["quai-capital"]
    note = billing.void(month, LOCAL_ADMIN, quai.id, "wrong VAT number", NOW)
    assert (note.kind, note.state, note.number, note.corrects) == (
        "credit_note",
        "issued",
        "MFN-2024-000008",
        quai.id,
    )
    assert note.gross == -quai.gross
    assert [line.amount for line in note.lines] == [-line.amount for line in quai.lines]
    with pytest.raises(Conflict):
        billing.void(month, LOCAL_ADMIN, quai.id, "again", NOW)
    # the next run of April makes the corrected invoice: the same usage, credits and fees
    again = billing.bill(month, LOCAL_ADMIN, "2024-04", NOW)
    assert again.skipped.count("quai-capital") == 0
    [fresh] = [billing.invoice(month, LOCAL_ADMIN, i) for i in again.drafts]
    assert fresh.account == "quai-capital"
    assert (fresh.net, fresh.tax) == (quai.net, quai.tax)
    assert billing.issue(month, LOCAL_ADMIN, "2024-04", NOW) == ["MFN-2024-000009"]


def test_a_package_waives_the_first_free_units_of_the_month(month: Engine) -> None:
    billing.bill(month, LOCAL_ADMIN, "2024-04", NOW)
    quai = by_account(month)["quai-capital"]
    [package] = [line for line in quai.lines if line.kind == "package"]
    national = [
        line for line in quai.lines
        if line.kind == "usage" and line.detail.get("destination_group") == "national"
    ]  # fmt: skip
    # Quai Capital's national calls of April are well within its 600 minutes: all free
    assert package.amount == -sum(line.amount for line in national)
    assert package.amount < 0
    assert package.detail["package"] == "national-600"


def test_a_reopened_period_bills_only_the_credit_difference(
    month: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    billing.bill(month, LOCAL_ADMIN, "2024-04", NOW)
    billing.issue(month, LOCAL_ADMIN, "2024-04", NOW)
    [credit] = [line for line in by_account(month)["horizon-sport"].lines if line.kind == "credit"]
    later = NOW + timedelta(days=10)
    closing.reopen_period(month, LOCAL_ADMIN, "horizon-sport", "2024-04", later, "ticket 4711")
    closing.close_period(month, LOCAL_ADMIN, "2024-04", later, customer="horizon-sport")
    # closed again with the same figures: nothing more to credit in May
    may = billing.bill(month, LOCAL_ADMIN, "2024-05", later)
    horizon = by_account(month, "2024-05").get("horizon-sport")
    assert horizon is not None
    assert not [line for line in horizon.lines if line.kind in ("credit", "adjustment")]
    # had the new close credited more, May would credit the difference only
    real = billing.final_credits

    def bigger(*args: object, **kwargs: object) -> list[object]:
        found = real(*args, **kwargs)  # type: ignore[arg-type]
        return [
            replace(f, credit=replace(f.credit, amount=f.credit.amount * 2))
            if f.credit.customer == "horizon-sport" and f.credit.amount else f
            for f in found
        ]  # fmt: skip

    monkeypatch.setattr(billing, "final_credits", bigger)
    billing.bill(month, LOCAL_ADMIN, "2024-05", later)
    [difference] = [
        line for line in by_account(month, "2024-05")["horizon-sport"].lines
        if line.kind == "adjustment"
    ]  # fmt: skip
    assert difference.amount == credit.amount
    assert "reopened" in difference.description
    assert may.problems == []


def test_the_invoice_documents_are_rendered_from_is_the_example_invoice(month: Engine) -> None:
    """``tests/reports/invoices/institut-rhenan-2024-04.json``, which the document tests
    render, is Institut Rhénan's April invoice as the bill run makes it (tier detail, the
    SLA credit, the prepaid balance); ``SERVANDA_UPDATE_GOLDEN=1`` rewrites it."""
    billing.bill(month, LOCAL_ADMIN, "2024-04", NOW)
    billing.issue(month, LOCAL_ADMIN, "2024-04", NOW)
    made = by_account(month)["institut-rhenan"].as_dict()
    made["id"] = 5
    path = Path(__file__).parents[1] / "reports" / "invoices" / "institut-rhenan-2024-04.json"
    text = json.dumps(made, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    if os.environ.get("SERVANDA_UPDATE_GOLDEN") == "1":
        path.write_text(text, encoding="utf-8")
    assert made == json.loads(path.read_text(encoding="utf-8"))
    tiered = [x for x in made["lines"] if "tiers" in x["detail"]]
    assert {x["kind"] for x in tiered} == {"usage"}
    for x in tiered:  # the tiers add up to the line before it is rounded to the cent
        exact = sum(Decimal(t["amount"]) for t in x["detail"]["tiers"])
        assert exact.quantize(Decimal("0.01"), ROUND_HALF_UP) == Decimal(x["amount"])


def test_tiers_show_each_slot_of_the_rate_and_add_up_to_the_line(month: Engine) -> None:
    billing.bill(month, LOCAL_ADMIN, "2024-04", NOW)
    lines = [x for i in by_account(month).values() for x in i.lines if x.kind == "usage"]
    mobile = next(x for x in lines if x.description.startswith("Calls to mobile, peak"))
    labels = [t["label"] for t in mobile.detail["tiers"]]
    assert labels[:2] == ["peak, first 30s at 0.085 per 60s", "peak, after 30s at 0.085 per 60s"]
    assert "connect fees" in labels
    split = next(x for x in lines if x.description.startswith("Conference legs"))
    assert [t["label"] for t in split.detail["tiers"]] == ["shares of records split between payers"]
    for x in lines:
        if "tiers" in x.detail:
            exact = sum(Decimal(t["amount"]) for t in x.detail["tiers"])
            assert exact.quantize(Decimal("0.01"), ROUND_HALF_UP) == x.amount


def test_usage_in_another_currency_is_reported_and_left_unbilled(
    engine: Engine, tmp_path: Path
) -> None:
    """Quai Capital is billed in CHF here, with a billing day of the 15th: its EUR usage is
    not put on a CHF invoice (no exchange rate behind the customer's back) but reported and
    left for a run that can bill it; its fees are in CHF, its invoice dated the 15th."""
    shutil.copytree(EXAMPLE, tmp_path / "example")
    billing_yaml = tmp_path / "example" / "billing.yaml"
    text = billing_yaml.read_text(encoding="utf-8")
    marker = "    name: Quai Capital Markets SA\n    currency: EUR\n"
    assert marker in text
    billing_yaml.write_text(
        text.replace(marker, marker.replace("EUR", "CHF") + "    billing_day: 15\n"),
        encoding="utf-8",
    )
    configuration.load(engine, [tmp_path / "example"], NOW)
    load_example_month(engine, tmp_path / "example", NOW)
    run = billing.bill(engine, LOCAL_ADMIN, "2024-04", NOW)
    refused = [p for p in run.problems if "'quai-capital'" in p]
    assert refused
    assert all("EUR" in p and "bills in CHF" in p for p in refused)
    quai = by_account(engine)["quai-capital"]
    assert quai.currency == "CHF"
    assert quai.issue_date.isoformat() == "2024-05-15"
    assert [x.kind for x in quai.lines] == ["recurring"] * len(quai.lines)
    with transaction(engine) as session:
        left = session.scalar(
            select(func.count()).select_from(ChargeTotalRow).where(
                ChargeTotalRow.debtor == "quai-capital", ChargeTotalRow.role == "pays",
                ChargeTotalRow.billed_in.is_(None),
            )
        )  # fmt: skip
    assert left >= len(refused)  # a line sums one or more totals


RECORD_ROUNDING = "    rounding: {method: half_up, decimals: 4, point: record}\n"


def test_a_tariff_rounding_its_lines_rounds_the_invoice_lines(
    engine: Engine, tmp_path: Path
) -> None:
    """Business telephony rounds its invoice lines up here, not its records: each call line
    is the exact sum of its records (its tiers) rounded up to the cent."""
    shutil.copytree(EXAMPLE, tmp_path / "example")
    tariffs = tmp_path / "example" / "tariffs.yaml"
    text = tariffs.read_text(encoding="utf-8")
    first = text.index("id: voice-business")
    assert first < text.index(RECORD_ROUNDING) < text.index("\n  - id:", first)
    tariffs.write_text(
        text.replace(RECORD_ROUNDING, "    rounding: {method: up, point: line}\n", 1),
        encoding="utf-8",
    )
    configuration.load(engine, [tmp_path / "example"], NOW)
    load_example_month(engine, tmp_path / "example", NOW)
    billing.bill(engine, LOCAL_ADMIN, "2024-04", NOW)
    calls = [
        x for i in by_account(engine).values() for x in i.lines
        if x.kind == "usage" and x.detail.get("tariff") == "voice-business"
        and "tiers" in x.detail
    ]  # fmt: skip
    assert calls
    assert {x.detail["rounding"] for x in calls} == {"up"}
    exact = [sum(Decimal(t["amount"]) for t in x.detail["tiers"]) for x in calls]
    assert [x.amount for x in calls] == [e.quantize(Decimal("0.01"), ROUND_UP) for e in exact]
    assert any(e != e.quantize(Decimal("0.01")) for e in exact)  # some were rounded up
