"""Billing benchmark: a month billed for many accounts with many charges, on SQLite and
PostgreSQL, at two sizes to show how it grows; and invoices rendered to PDF (Factur-X) per
second.

Run with ``python bench/bench_billing.py`` (``--accounts`` default 10,000, ``--charges``
default 1,000,000; ``--small`` divides both by this for the growth figure, default 10;
``--pdfs`` default 20). It prints figures and never fails on timing. The issue's size,
``--accounts 100000 --charges 10000000``, takes minutes on this machine: the marking of every
charge billed dominates (see docs/billing.md).

Set-up, not timed with the run: a fresh database, the provider, a tax profile and the billing
accounts declared (stored through the bundle repository), then the month's party charges
written straight into ``party_charges`` with SQL (``INSERT … SELECT`` over a generated series;
without foreign keys to usage records, which billing does not read: checks off on SQLite,
constraints dropped in the benchmark's PostgreSQL database). Timed: ``servanda bill``
through the service (one transaction: the usage summed in SQL, every invoice and line
inserted, every charge marked billed), then the same again (drafts made afresh). Checked:
one draft per account, and the invoices' usage lines add up to the charges (each line
rounded to the cent).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from sqlalchemy import func, select, text

from bench_ingest import PostgresDatabases, postgres_server, sqlite_urls
from servanda.core.access import LOCAL_ADMIN
from servanda.core.records import from_jsonable
from servanda.declared.bundle import Bundle
from servanda.reports.invoice_html import render_invoice_pdf
from servanda.services import billing
from servanda.storage.database import make_engine, transaction
from servanda.storage.migrate import upgrade
from servanda.storage.repositories import BundleRepository
from servanda.storage.tables import InvoiceLineRow, InvoiceRow

NOW = datetime(2024, 5, 2, tzinfo=UTC)


def declarations(accounts: int) -> Bundle:
    """The provider, one customer party and ``accounts`` billing accounts of it."""
    return Bundle.of(
        {
            "parties": [
                from_jsonable_party("metro", "provider"),
                from_jsonable_party("bulk", "customer"),
            ],
            "tax_profiles": [
                from_jsonable_kind("tax_profiles", {"id": "fr", "rates": [{"rate": "20"}]})
            ],
            "billing_accounts": [
                from_jsonable_kind("billing_accounts", {
                    "id": "metro", "party": "metro", "currency": "EUR",
                    "invoice_prefix": "MET", "timezone": "Europe/Paris",
                }),
                *(
                    from_jsonable_kind("billing_accounts", {
                        "id": f"acct-{i:07d}", "party": "bulk", "currency": "EUR",
                        "tax_profile": "fr",
                    })
                    for i in range(accounts)
                ),
            ],
        }
    )  # fmt: skip


def from_jsonable_party(party_id: str, role: str) -> object:
    from servanda.catalog.model import Party

    return from_jsonable(Party, {"id": party_id, "name": party_id, "roles": [role]})


def from_jsonable_kind(section: str, data: dict[str, object]) -> object:
    from servanda.declared.bundle import KIND_BY_SECTION

    return from_jsonable(KIND_BY_SECTION[section].record, data)


CHARGES_SQL = {
    # amounts 0.0001 … 5.0000 EUR, spread over accounts, three destination groups and two
    # bands (six usage lines an invoice), in April (UTC)
    "sqlite": """
        WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < :count)
        INSERT INTO party_charges (usage_id, charge_id, kind, role, debtor, creditor, amount,
            nanos, currency, rule, rule_version, category, service, tariff, destination_group,
            band, usage_start, note, created_at, total_id)
        SELECT i + 1, i + 1, 'charge', 'pays', printf('acct-%07d', i % :accounts), 'metro',
            printf('%d.%04d', ((i * 7919) % 50000 + 1) / 10000, ((i * 7919) % 50000 + 1) % 10000),
            ((i * 7919) % 50000 + 1) * 100000, 'EUR', NULL, NULL, 'call', 'voice',
            'voice', 'group-' || ((i / :accounts) % 3),
            CASE (i / :accounts / 3) % 2 WHEN 0 THEN 'peak' ELSE 'off-peak' END,
            datetime('2024-04-01 00:00:00', '+' || (i % 2500000) || ' seconds'), NULL,
            '2024-05-01 00:00:00', (i % :accounts) * 6 + ((i / :accounts) % 3) * 2
                + (i / :accounts / 3) % 2 + 1
        FROM n
    """,
    "postgresql": """
        INSERT INTO party_charges (usage_id, charge_id, kind, role, debtor, creditor, amount,
            nanos, currency, rule, rule_version, category, service, tariff, destination_group,
            band, usage_start, note, created_at, total_id)
        SELECT i + 1, i + 1, 'charge', 'pays', 'acct-' || lpad((i % :accounts)::text, 7, '0'),
            'metro', (((i * 7919) % 50000 + 1)::numeric / 10000),
            ((i * 7919) % 50000 + 1) * 100000, 'EUR', NULL, NULL, 'call', 'voice',
            'voice', 'group-' || ((i / :accounts) % 3),
            CASE (i / :accounts / 3) % 2 WHEN 0 THEN 'peak' ELSE 'off-peak' END,
            timestamptz '2024-04-01 00:00:00+00' + (i % 2500000) * interval '1 second', NULL,
            timestamptz '2024-05-01 00:00:00+00', (i % :accounts) * 6 + ((i / :accounts) % 3) * 2
                + (i / :accounts / 3) % 2 + 1
        FROM generate_series(0::bigint, :count - 1) AS g(i)
    """,
}
# the running totals the charges were added to as they were stored (one per account, group
# and band; ids as the charges above name them)
TOTALS_SQL = """
    INSERT INTO charge_totals (id, gen, month, role, debtor, creditor, currency, category,
        service, tariff, destination_group, band, rule, records, nanos, first, last)
    SELECT total_id, 1, '2024-04', 'pays', debtor, 'metro', 'EUR', 'call', 'voice', 'voice',
        destination_group, band, '', count(*), sum(nanos), min(usage_start), max(usage_start)
    FROM party_charges GROUP BY total_id, debtor, destination_group, band
"""


def prepare(url: str, accounts: int, charges: int) -> tuple[float, float]:
    """Declarations and charges; the seconds each took."""
    upgrade(url)
    engine = make_engine(url)
    try:
        t0 = time.perf_counter()
        with transaction(engine) as session:
            BundleRepository(session).save(declarations(accounts), now=NOW - timedelta(days=40))
        declared = time.perf_counter() - t0
        t0 = time.perf_counter()
        dialect = engine.dialect.name
        with engine.begin() as connection:
            if dialect == "sqlite":
                connection.exec_driver_sql("PRAGMA foreign_keys = OFF")
            else:  # the charges point to no usage record: no foreign keys in this database
                for name in (
                    "usage_id_usage_records",
                    "charge_id_usage_charges",
                    "total_id_charge_totals",
                ):
                    connection.exec_driver_sql(
                        f"ALTER TABLE party_charges DROP CONSTRAINT fk_party_charges_{name}"
                    )
            connection.execute(text(CHARGES_SQL[dialect]), {"count": charges, "accounts": accounts})
            connection.execute(text(TOTALS_SQL))
            if dialect == "postgresql":
                connection.exec_driver_sql("ANALYZE party_charges")
                connection.exec_driver_sql("ANALYZE charge_totals")
        return declared, time.perf_counter() - t0
    finally:
        engine.dispose()


def expected_total(charges: int) -> Decimal:
    """The sum of the generated amounts, computed apart (exactly)."""
    total = sum(((i * 7919) % 50000 + 1) for i in range(charges))
    return Decimal(total) / 10000


def run(url: str, label: str, accounts: int, charges: int, pdfs: int) -> float:
    declared, generated = prepare(url, accounts, charges)
    engine = make_engine(url)
    try:
        t0 = time.perf_counter()
        made = billing.bill(engine, LOCAL_ADMIN, "2024-04", NOW)
        seconds = time.perf_counter() - t0
        t0 = time.perf_counter()
        again = billing.bill(engine, LOCAL_ADMIN, "2024-04", NOW)
        again_seconds = time.perf_counter() - t0
        with transaction(engine) as session:
            drafts = session.scalar(select(func.count()).select_from(InvoiceRow))
            usage = session.scalars(
                select(InvoiceLineRow.detail).where(InvoiceLineRow.kind == "usage").limit(1)
            ).first()
            amounts = session.scalars(
                select(InvoiceLineRow.amount).where(InvoiceLineRow.kind == "usage")
            ).all()
        consistent = drafts == accounts and len(made.drafts) == accounts == len(again.drafts)
        billed = sum((Decimal(a) for a in amounts), Decimal(0))
        # lines are rounded to the cent: the billed total is within half a cent per line
        near = abs(billed - expected_total(charges)) <= Decimal("0.005") * len(amounts)
        print(
            f"  {label}: {accounts:,} accounts, {charges:,} charges: billed in {seconds:.1f} s "
            f"({charges / seconds:,.0f} charges/s, {accounts / seconds:,.0f} invoices/s); "
            f"again (drafts made afresh) {again_seconds:.1f} s; set-up: declarations "
            f"{declared:.1f} s, charges {generated:.1f} s; "
            f"{'consistent' if consistent and near and usage else 'NOT CONSISTENT'}"
        )
        if pdfs:
            ids = made.drafts[:pdfs]
            views = [billing.invoice(engine, LOCAL_ADMIN, i).as_dict() for i in ids]
            render_invoice_pdf(views[0])  # fonts and templates loaded once
            t0 = time.perf_counter()
            for v in views:
                render_invoice_pdf(v)
            pdf_seconds = time.perf_counter() - t0
            print(f"  Factur-X PDF: {len(views) / pdf_seconds:.1f} invoices/s "
                  f"({len(views)} invoices, XML built and validated, PDF/A-3b)")  # fmt: skip
        return seconds
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--charges", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=10)
    parser.add_argument("--pdfs", type=int, default=20)
    args = parser.parse_args()
    sizes = [
        (args.accounts // args.small, args.charges // args.small),
        (args.accounts, args.charges),
    ]
    with tempfile.TemporaryDirectory(prefix="servanda-bill-") as tmp:
        urls = sqlite_urls(Path(tmp))
        print("SQLite:")
        times = [run(next(urls), "SQLite", a, c, args.pdfs if i == 0 else 0)
                 for i, (a, c) in enumerate(sizes)]  # fmt: skip
        print(f"  growth: {args.small}x the data took {times[1] / times[0]:.1f}x the time")
    server = postgres_server()
    if server is None:
        return
    databases = PostgresDatabases(server)
    try:
        print("PostgreSQL:")
        times = [run(databases.new(), "PostgreSQL", a, c, 0) for a, c in sizes]
        print(f"  growth: {args.small}x the data took {times[1] / times[0]:.1f}x the time")
    finally:
        databases.drop_all()


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
