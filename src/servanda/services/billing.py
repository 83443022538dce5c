"""Billing use cases: the bill run of a month, issuing, paying and listing invoices.

``bill(period)`` makes one **draft** invoice per billing account with something to bill, in
one transaction (a failed run leaves nothing half-made):

* **recurring fees**: the monthly charge of each subscription billed to the account,
  prorated by day for a month it starts or ends within;
* **usage**: the party charges the account pays and no invoice has billed yet, of usage that
  started before the month's end, summed in SQL (exact: billionths in integers) by service,
  tariff, destination group, band and charging rule; usage of an earlier month (late, or
  released by a voided invoice) is an adjustment line;
* **minimum commitments**: the difference when the month's usage of the committed services
  comes to less;
* **SLA credits**: the final credits of the customer's closed reporting period of that month,
  negative, each with its reason and its report; a credit already invoiced is not invoiced
  again, and a reopened period's changed credit is invoiced as the difference;
* **taxes and totals** by :func:`~servanda.accounting.invoices.priced`.

Running ``bill`` again for a month replaces its drafts (their usage is released and billed
afresh) and never touches an issued invoice: an account whose invoice of the month is issued
gets nothing more for that month; what arrives later is billed by the next month's run, as an
adjustment. ``issue`` numbers drafts gaplessly per issuer and year (``PREFIX-YEAR-NNNNNN``,
in the transaction that issues them).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, Table, case, delete, func, insert, select, text, update
from sqlalchemy.orm import Session

from servanda.accounting.billing_accounts import BillingAccount, billed_account, issuer_account
from servanda.accounting.invoices import (
    InvoiceKind,
    InvoiceState,
    Line,
    LineKind,
    Totals,
    due_date,
    priced,
)
from servanda.accounting.recurring import month_share
from servanda.accounting.tariffs import RecurringFee, Tariff
from servanda.accounting.tiers import Piece, describe, summed
from servanda.catalog.model import PartyRole
from servanda.core.access import Action, Principal
from servanda.core.money import RoundingPoint
from servanda.core.problems import Conflict, InvalidInput, Location, NotFound, Problem
from servanda.declared.bundle import Bundle
from servanda.measure.results import Credit
from servanda.notify.notices import Notice
from servanda.services import notices
from servanda.services.closing import final_credits
from servanda.storage.database import transaction
from servanda.storage.repositories import BundleRepository
from servanda.storage.repositories.charge_totals import close_generation, none
from servanda.storage.tables import (
    BalanceMovementRow,
    BucketRow,
    ChargeTierRow,
    ChargeTotalRow,
    InvoiceCounterRow,
    InvoiceLineRow,
    InvoiceRow,
    PartyChargeRow,
)

INVOICES: Table = InvoiceRow.__table__  # type: ignore[assignment]
LINES: Table = InvoiceLineRow.__table__  # type: ignore[assignment]
TOTALS: Table = ChargeTotalRow.__table__  # type: ignore[assignment]
NANOS = Decimal(10) ** 9
MONTH = r"^\d{4}-(0[1-9]|1[0-2])$"


@dataclass(frozen=True, slots=True)
class Month:
    """A billing period: a calendar month, from its first day to the next month's first."""

    text: str
    start: date
    end: date

    @classmethod
    def of(cls, text: str) -> Month:
        """``2024-04`` as a month (:class:`InvalidInput` otherwise)."""
        if not re.fullmatch(MONTH, text.strip()):
            raise InvalidInput(
                [
                    Problem(
                        f"a billing period is a month, YYYY-MM: not {text!r}",
                        Location(),
                        ("period",),
                    )
                ]
            )
        year, month = map(int, text.strip().split("-"))
        if not 1970 <= year <= 9998:
            raise InvalidInput(
                [
                    Problem(
                        f"a billing period is in the years 1970 to 9998: not {text!r}",
                        Location(),
                        ("period",),
                    )
                ]
            )
        start = date(year, month, 1)
        end = date(year + (month == 12), month % 12 + 1, 1)
        return cls(text.strip(), start, end)

    def instant(self, day: date, zone: str = "UTC") -> datetime:
        """Midnight of ``day`` in ``zone``, in UTC."""
        return datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(zone)).astimezone(UTC)


@dataclass
class BillRun:
    """What a bill run did."""

    period: str
    drafts: list[int] = field(default_factory=list)
    replaced: int = 0
    """Drafts of an earlier run of the month, made again."""
    skipped: list[str] = field(default_factory=list)
    """Accounts whose invoice of the month is issued already."""
    problems: list[str] = field(default_factory=list)
    """What could not be billed, and why (nothing is dropped silently)."""

    def as_dict(self) -> dict[str, Any]:
        """JSON-compatible data."""
        return {
            "period": self.period, "drafts": self.drafts, "replaced": self.replaced,
            "skipped": self.skipped, "problems": self.problems,
        }  # fmt: skip


def _issuer(bundle: Bundle) -> BillingAccount:
    providers = [p.id for p in bundle.parties if PartyRole.PROVIDER in p.roles]
    found = issuer_account(bundle.billing_accounts, providers)
    if found is not None:
        return found
    raise InvalidInput(
        [
            Problem(
                "no billing account of the provider: declare one (billing_accounts)",
                Location(),
                ("billing_accounts",),
            )
        ]
    )


def bill(
    engine: Engine,
    principal: Principal,
    period: str,
    now: datetime,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> BillRun:
    """Make the month's draft invoices (see the module); ``progress`` is told (steps done,
    steps in all) as the run goes: usage read, credits read, each account priced, stored."""
    principal.require(Action.BILL)
    tell = progress or _untold
    month = Month.of(period)
    run = BillRun(month.text)
    gen = close_generation(engine)
    with transaction(engine) as session:
        _take_turn(session)
        bundle = BundleRepository(session).load()
        issuer = _issuer(bundle)
        run.replaced = _drop_drafts(session, month)
        issued = set(
            session.scalars(
                select(InvoiceRow.account).where(
                    InvoiceRow.period == month.text,
                    InvoiceRow.kind == InvoiceKind.INVOICE.value,
                    InvoiceRow.state.in_([InvoiceState.ISSUED.value, InvoiceState.PAID.value]),
                )
            )
        )
        tell(0, 3)
        usage = _usage_lines(session, bundle, month, gen, issued)
        tell(1, 3)
        credits = _credit_lines(engine, principal, session, bundle, month)
        recurring = _recurring_by_account(bundle, month)
        accounts = {a.id: a for a in bundle.billing_accounts}
        profiles = {p.id: p for p in bundle.tax_profiles}
        prepaid = _prepaid_by_account(session, bundle, month, gen)
        drafts: list[tuple[BillingAccount, Totals]] = []
        billed = sorted(set(usage) | set(credits) | set(recurring))
        steps = len(billed) + 3
        for done, account_id in enumerate(billed, start=2):
            tell(done, steps)
            if account_id == issuer.id:
                continue
            if account_id in issued:
                run.skipped.append(account_id)
                continue
            account = accounts.get(account_id)
            if account is None:
                run.problems.append(
                    f"usage of account {account_id!r} is not billed: no billing account declares it"
                )
                continue
            used = _in_currency(account, usage.get(account_id, []), run)
            if account.packages:
                used = used + _package_lines(session, account, month, gen)
            lines = recurring.get(account_id, []) + used + _commitment_lines(account, used)
            lines += _in_currency(account, credits.get(account_id, []), run)
            if not lines:
                continue
            profile = profiles.get(account.tax_profile) if account.tax_profile else None
            totals = priced(lines, account.currency, profile, prepaid.get(account_id, Decimal(0)))
            drafts.append((account, totals))
        tell(steps - 1, steps)
        run.drafts = _store_drafts(session, bundle, issuer, month, drafts, now)
        _mark_billed(session, month, gen)
    tell(steps, steps)
    return run


def _untold(done: int, steps: int) -> None:
    return None


def _in_currency(account: BillingAccount, lines: Sequence[Line], run: BillRun) -> list[Line]:
    """The lines in the account's currency; the others are left unbilled, each reported
    (no exchange rate is applied behind the customer's back)."""
    out = []
    for line in lines:
        currency = line.detail.get("currency", account.currency)
        if currency == account.currency:
            out.append(line)
        else:
            run.problems.append(
                f"{line.description} ({line.amount} {currency}) of account {account.id!r} is "
                f"not billed: the account bills in {account.currency}"
            )
    return out


def _take_turn(session: Session) -> None:
    """One bill run at a time (PostgreSQL: an advisory lock; SQLite: its write lock)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended('servanda.bill', 0))"))


def _drop_drafts(session: Session, month: Month) -> int:
    """Delete the month's drafts and release what they billed; how many there were."""
    drafts = select(InvoiceRow.id).where(
        InvoiceRow.period == month.text, InvoiceRow.state == InvoiceState.DRAFT.value
    )
    count = session.scalar(select(func.count()).select_from(drafts.subquery())) or 0
    if not count:
        return 0
    # Core statements: the session holds none of these rows
    session.execute(update(TOTALS).where(TOTALS.c.billed_in.in_(drafts)).values(billed_in=None))
    session.execute(delete(LINES).where(LINES.c.invoice_id.in_(drafts)))
    session.execute(delete(INVOICES).where(INVOICES.c.id.in_(drafts)))
    return count


def _recurring_by_account(bundle: Bundle, month: Month) -> dict[str, list[Line]]:
    """The month's recurring fees of every subscription, by the account it is billed to."""
    by_party: dict[str, list[BillingAccount]] = {}
    for a in bundle.billing_accounts:
        by_party.setdefault(a.party, []).append(a)
    out: dict[str, list[Line]] = {}
    for s in bundle.subscriptions:
        if s.monthly_charge is None:
            continue
        account = billed_account(by_party.get(s.customer, []), s.customer)
        if account is None:
            continue
        fee = RecurringFee(id=s.service, amount=s.monthly_charge)
        share = month_share(fee, month.start, s.start, s.end)
        if share.days == 0:
            continue
        service = bundle.service_by_id.get(s.service)
        name = service.name if service is not None else s.service
        whole = share.days == share.month_days
        description = f"{name}, {month.text}" + (
            "" if whole else f" ({share.days} of {share.month_days} days)"
        )
        out.setdefault(account, []).append(
            Line(
                kind=LineKind.RECURRING,
                description=description,
                amount=share.amount,
                service=s.service,
                quantity=Decimal(share.days) / share.month_days if not whole else Decimal(1),
                unit="month",
                detail={
                    "subscription": s.reference,
                    "monthly_charge": str(s.monthly_charge),
                    "days": share.days,
                    "month_days": share.month_days,
                },
                key=f"recurring|{s.customer}|{s.service}|{s.start}|{month.text}",
            )
        )
    return out


def _usage_lines(
    session: Session, bundle: Bundle, month: Month, gen: int, issued: set[str]
) -> dict[str, list[Line]]:
    """Unbilled usage of every account up to the month, summed in SQL from the charge
    totals of closed generations (see the module), with the detail of its tiers."""
    t = ChargeTotalRow
    late = case((t.month < month.text, 1), else_=0)
    tiers = _tiers(session, month, gen, late)
    versions = _tariff_versions(bundle, month.instant(month.end))
    rows = session.execute(
        select(
            t.debtor, t.currency, t.service, t.tariff, t.destination_group, t.band, t.rule,
            t.category, late.label("late"), func.sum(t.records), func.sum(t.nanos),
            func.min(t.first), func.max(t.last),
        )
        .where(*_billable(month, gen))
        .group_by(t.debtor, t.currency, t.service, t.tariff, t.destination_group, t.band,
                  t.rule, t.category, late)
        .order_by(t.debtor, t.service, t.tariff, t.destination_group, t.band, t.rule, late)
    ).all()  # fmt: skip
    out: dict[str, list[Line]] = {}
    for (debtor, currency, service, tariff, group, band, rule, category, is_late, count, nanos,
         first, last) in rows:  # fmt: skip
        key = (debtor, currency, service, tariff, group, band, rule, category, is_late)
        count, nanos = int(count), int(nanos)  # PostgreSQL sums bigints as numeric
        if debtor in issued or (count == 0 and nanos == 0):
            continue
        service, tariff, group, band, rule = (
            none(service),
            none(tariff),
            none(group),
            none(band),
            none(rule),
        )
        description = _usage_description(category, group, band, count, rule)
        if is_late:
            description += f", used before {month.text}"
        detail: dict[str, Any] = {
            "currency": currency, "tariff": tariff, "destination_group": group, "band": band,
            "rule": rule, "category": category, "records": count, "first": _iso(first),
            "last": _iso(last),
        }  # fmt: skip
        version = versions.get(tariff or "")
        pieces = tiers.get(key)
        if pieces and sum(p.nanos for p in pieces) == nanos:  # else some charges have none
            detail["tiers"] = describe(pieces, version, group)
        rounding = None
        if version is not None and version.rounding.point is RoundingPoint.LINE:
            rounding = version.rounding  # the tariff rounds its invoice lines, not records
            detail["rounding"] = rounding.method.value
        out.setdefault(debtor, []).append(
            Line(
                kind=LineKind.ADJUSTMENT if is_late else LineKind.USAGE,
                description=description,
                amount=Decimal(int(nanos)) / NANOS,
                service=service,
                quantity=Decimal(count),
                unit="record",
                detail=detail,
                rounding=rounding,
            )
        )
    return out


def _tiers(
    session: Session, month: Month, gen: int, late: Any
) -> dict[tuple[Any, ...], list[Piece]]:
    """The tiers of the usage lines a run makes, by the lines' key."""
    t, x = ChargeTotalRow, ChargeTierRow
    line = (t.debtor, t.currency, t.service, t.tariff, t.destination_group, t.band, t.rule,
            t.category, late)  # fmt: skip
    rows = session.execute(
        select(*line, x.band, x.slot, func.sum(x.quantity), func.sum(x.increments),
               func.sum(x.nanos))
        .join(x, x.total_id == t.id)
        .where(*_billable(month, gen))
        .group_by(*line, x.band, x.slot)
    ).all()  # fmt: skip
    out: dict[tuple[Any, ...], list[Piece]] = {}
    for r in rows:
        piece = Piece(r[9], int(r[10]), int(r[11]), int(r[12]), int(r[13]))
        out.setdefault(tuple(r[:9]), []).append(piece)
    return {k: summed(v) for k, v in out.items()}


def _tariff_versions(bundle: Bundle, end: datetime) -> dict[str, Tariff]:
    """Each tariff's version in force at the month's end (or its first, if none was)."""
    out: dict[str, Tariff] = {}
    for version in sorted(bundle.tariffs, key=lambda v: v.active_from):
        if version.active_from < end or version.id not in out:
            out[version.id] = version
    return out


_CATEGORY = {
    "call": "Calls", "sms": "Messages", "data": "Data", "stream": "Streams",
    "conference_leg": "Conference legs", "qos_link": "QoS links", "other": "Usage",
}  # fmt: skip


def _usage_description(
    category: str, group: str | None, band: str | None, count: int, rule: str | None
) -> str:
    """``Calls to mobile, peak (12)``."""
    text = _CATEGORY.get(category, category)
    if group and group != "*":
        text += f" to {group}" if category in ("call", "sms", "conference_leg") else f", {group}"
    if band and band != "all":
        text += f", {band}"
    text += f" ({count})"
    if rule:
        text += f", {rule}"
    return text


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()
    return str(value)


def _package_lines(session: Session, account: BillingAccount, month: Month, gen: int) -> list[Line]:
    """The month's usage within each package's free units, waived: the first units used in
    the month (in the order they were used) cost nothing; a record crossing the allowance is
    waived pro rata of its units inside it."""
    c, t = PartyChargeRow, ChargeTotalRow
    reversed_ = (
        select(c.usage_id)
        .where(c.kind == "reversal", c.role == "pays", c.debtor == account.id)
        .scalar_subquery()
    )
    lines = []
    for package in account.packages:
        query = (
            select(c.amount, c.quantity)
            .join(t, t.id == c.total_id)
            .where(
                c.debtor == account.id, c.kind == "charge", c.currency == account.currency,
                *_billable(month, gen),
                t.month == month.text, c.quantity.is_not(None), c.usage_id.not_in(reversed_),
            )
        )  # fmt: skip
        if package.tariff is not None:
            query = query.where(c.tariff == package.tariff)
        if package.service is not None:
            query = query.where(c.service == package.service)
        if package.destination_group is not None:
            query = query.where(c.destination_group == package.destination_group)
        left, waived = package.units, Decimal(0)
        for amount, quantity in session.execute(query.order_by(c.usage_start, c.id)):
            if left <= 0:
                break
            used, cost = Decimal(quantity or 0), Decimal(amount)
            if used <= left:
                waived, left = waived + cost, left - used
            else:
                waived, left = waived + cost * left / used, Decimal(0)
        if waived == 0:
            continue
        taken = package.units - left
        lines.append(
            Line(
                kind=LineKind.PACKAGE,
                description=f"{package.name or package.id}: {taken:,f} of {package.units:,f} "
                "free units used",
                amount=-waived,
                service=package.service,
                detail={
                    "package": package.id,
                    "units": str(package.units),
                    "used": str(taken),
                    "tariff": package.tariff,
                    "destination_group": package.destination_group,
                },
            )
        )
    return lines


def _commitment_lines(account: BillingAccount, usage: Sequence[Line]) -> list[Line]:
    commitment = account.commitment
    if commitment is None:
        return []
    counted = sum(
        (
            line.amount for line in usage
            if line.kind is LineKind.USAGE
            and (not commitment.services or line.service in commitment.services)
        ),
        Decimal(0),
    )  # fmt: skip
    if counted >= commitment.amount:
        return []
    services = ", ".join(commitment.services) or "all services"
    return [
        Line(
            kind=LineKind.COMMITMENT,
            description=f"Minimum commitment of {commitment.amount} {account.currency} "
            f"({services}): usage came to {counted}",
            amount=commitment.amount - counted,
            service=commitment.services[0] if len(commitment.services) == 1 else None,
            detail={"commitment": str(commitment.amount), "usage": str(counted)},
        )
    ]


def _credit_key(credit: Credit) -> str:
    return "|".join(
        ("credit", credit.customer, credit.service or "*", credit.objective,
         credit.period_start.isoformat())
    )  # fmt: skip


def _month_of(credit: Credit) -> str:
    middle = credit.period_start + (credit.period_end - credit.period_start) / 2
    return f"{middle.year:04d}-{middle.month:02d}"


def _credit_lines(
    engine: Engine, principal: Principal, session: Session, bundle: Bundle, month: Month
) -> dict[str, list[Line]]:
    """The final SLA credits of closed periods of ``month`` (and changed credits of reopened
    earlier ones) not invoiced yet, by account."""
    billed: dict[str, Decimal] = {}
    for key, amount in session.execute(
        select(InvoiceLineRow.key, InvoiceLineRow.amount)
        .join(InvoiceRow, InvoiceRow.id == InvoiceLineRow.invoice_id)
        .where(InvoiceLineRow.kind.in_([LineKind.CREDIT.value, LineKind.ADJUSTMENT.value]),
               InvoiceLineRow.key.is_not(None),
               InvoiceRow.state != InvoiceState.VOID.value)
    ):  # fmt: skip
        if key is not None:
            billed[key] = billed.get(key, Decimal(0)) + Decimal(amount)
    out: dict[str, list[Line]] = {}
    for final in final_credits(engine, principal):
        credit = final.credit
        if credit.amount is None or credit.currency is None or _month_of(credit) > month.text:
            continue
        account = billed_account(bundle.billing_accounts, credit.customer)
        if account is None:
            continue
        key = _credit_key(credit)
        owed = -credit.amount - billed.get(key, Decimal(0))
        if owed == 0:
            continue
        earlier = _month_of(credit) < month.text or key in billed
        service = bundle.service_by_id.get(credit.service or "")
        name = service.name if service else "all services"
        report = f"/api/v1/sla/{credit.customer}/report?period={_month_of(credit)}"
        out.setdefault(account, []).append(
            Line(
                kind=LineKind.ADJUSTMENT if earlier else LineKind.CREDIT,
                description=(
                    f"Service credit, {name}, {_month_of(credit)}: {credit.percent} % — "
                    f"{credit.reason}"
                    + (" (difference after the period was reopened)" if key in billed else "")
                ),
                amount=owed,
                service=credit.service,
                detail={
                    "objective": credit.objective,
                    "actual": str(credit.actual),
                    "target": str(credit.target),
                    "percent": str(credit.percent),
                    "charge": str(credit.charge),
                    "reason": credit.reason,
                    "report": report,
                    "closure_version": final.closure.version,
                    "currency": credit.currency,
                },
                key=key,
            )
        )
    return out


def _store_drafts(
    session: Session,
    bundle: Bundle,
    issuer: BillingAccount,
    month: Month,
    drafts: Sequence[tuple[BillingAccount, Totals]],
    now: datetime,
) -> list[int]:
    """Insert the drafts and their lines in bulk (Core inserts: no ORM bookkeeping per
    row); their ids."""
    if not drafts:
        return []
    rows = []
    for account, totals in drafts:
        issue = date(month.end.year, month.end.month, account.billing_day)
        rows.append(
            {
                "kind": InvoiceKind.INVOICE.value, "state": InvoiceState.DRAFT.value,
                "account": account.id, "issuer": issuer.id, "period": month.text,
                "period_start": month.start, "period_end": month.end, "number": None,
                "currency": account.currency, "net": totals.net, "tax": totals.tax,
                "gross": totals.gross, "prepaid": totals.prepaid, "due": totals.due,
                "issue_date": issue, "due_date": due_date(issue, account.payment_terms),
                "corrects": None, "document": _document(bundle, issuer, account, month, totals),
                "created_at": now,
            }
        )  # fmt: skip
    for i in range(0, len(rows), 10_000):
        session.execute(insert(INVOICES), rows[i : i + 10_000])
    # the drafts of the month are this run's (the run holds the bill turn)
    by_account = dict(
        session.execute(
            select(InvoiceRow.account, InvoiceRow.id).where(
                InvoiceRow.period == month.text,
                InvoiceRow.state == InvoiceState.DRAFT.value,
                InvoiceRow.kind == InvoiceKind.INVOICE.value,
            )
        ).all()
    )
    ids = [int(by_account[account.id]) for account, _ in drafts]
    lines = [
        {
            "invoice_id": invoice_id, "position": i, "kind": p.line.kind.value,
            "description": p.line.description, "service": p.line.service,
            "quantity": p.line.quantity, "unit": p.line.unit, "amount": p.amount,
            "tax_category": p.tax_category.value if p.tax_category else None,
            "tax_rate": p.tax_rate, "key": p.line.key, "detail": p.line.detail,
        }
        for invoice_id, (_, totals) in zip(ids, drafts, strict=True)
        for i, p in enumerate(totals.lines, start=1)
    ]  # fmt: skip
    for i in range(0, len(lines), 10_000):
        session.execute(insert(LINES), lines[i : i + 10_000])
    return ids


def _party(bundle: Bundle, account: BillingAccount) -> dict[str, Any]:
    party = bundle.party_by_id.get(account.party)
    address = account.address
    return {
        "account": account.id, "party": account.party,
        "name": account.name or (party.name if party else account.party),
        "address": None if address is None else {
            "lines": list(address.lines), "city": address.city, "postcode": address.postcode,
            "country": address.country,
        },
        "vat_id": account.vat_id, "legal_id": account.legal_id, "email": account.email,
        "iban": account.iban,
    }  # fmt: skip


def _document(
    bundle: Bundle, issuer: BillingAccount, account: BillingAccount, month: Month, t: Totals
) -> dict[str, Any]:
    """What the invoice says, kept as made (the parties' identities of that day)."""
    return {
        "seller": _party(bundle, issuer), "buyer": _party(bundle, account),
        "period": {"month": month.text, "start": month.start.isoformat(),
                   "end": month.end.isoformat()},
        "taxes": [
            {"category": g.category.value if g.category else None, "rate": str(g.rate),
             "base": str(g.base), "tax": str(g.tax), "name": g.name, "exemption": g.exemption}
            for g in t.taxes
        ],
        "kind": account.kind.value,
    }  # fmt: skip


def _billable(month: Month, gen: int) -> tuple[Any, ...]:
    """The totals a run of ``month`` bills: paid by accounts, not billed, of a closed
    generation, of usage up to the month."""
    t = ChargeTotalRow
    return (t.role == "pays", t.billed_in.is_(None), t.gen < gen, t.month <= month.text)


def _prepaid_by_account(
    session: Session, bundle: Bundle, month: Month, gen: int
) -> dict[str, Decimal]:
    """What each account's balances paid in advance for the usage its invoice bills: the
    debits of its buckets naming that usage (online sessions, RADIUS credit limits)."""
    currency = {a.id: a.currency for a in bundle.billing_accounts}
    debits = session.execute(
        select(BucketRow.account, BucketRow.currency, BalanceMovementRow.usage_id,
               BalanceMovementRow.amount)
        .join(BucketRow, BucketRow.id == BalanceMovementRow.bucket_id)
        .where(BalanceMovementRow.usage_id.is_not(None))
    ).all()  # fmt: skip
    if not debits:
        return {}
    accounts = sorted({d[0] for d in debits})
    unbilled = set(
        session.execute(
            select(PartyChargeRow.debtor, PartyChargeRow.usage_id)
            .join(ChargeTotalRow, ChargeTotalRow.id == PartyChargeRow.total_id)
            .where(PartyChargeRow.debtor.in_(accounts), *_billable(month, gen))
        ).all()
    )
    out: dict[str, Decimal] = {}
    for account, cur, usage_id, amount in debits:
        if (account, usage_id) in unbilled and cur == currency.get(account):
            out[account] = out.get(account, Decimal(0)) - Decimal(amount)
    return out


def _mark_billed(session: Session, month: Month, gen: int) -> None:
    """Point every total this run billed to its draft, in one statement."""
    session.execute(
        text(
            "UPDATE charge_totals SET billed_in = i.id FROM invoices AS i "
            "WHERE i.period = :period AND i.state = 'draft' AND i.kind = 'invoice' "
            "AND i.account = charge_totals.debtor AND i.currency = charge_totals.currency "
            "AND charge_totals.role = 'pays' "
            "AND charge_totals.billed_in IS NULL AND charge_totals.gen < :gen "
            "AND charge_totals.month <= :period"
        ),
        {"period": month.text, "gen": gen},
    )


# -- the life of an invoice ------------------------------------------------------------------


def issue(
    engine: Engine, principal: Principal, period: str, now: datetime,
    ids: Sequence[int] | None = None,
) -> list[str]:  # fmt: skip
    """Issue the month's drafts (or the given ones): number them, gaplessly per issuer and
    year, in this transaction. Their numbers."""
    principal.require(Action.BILL)
    month = Month.of(period)
    numbers: list[str] = []
    issued: list[Notice] = []
    with transaction(engine) as session:
        bundle = BundleRepository(session).load()
        query = select(InvoiceRow).where(
            InvoiceRow.period == month.text, InvoiceRow.state == InvoiceState.DRAFT.value
        )
        if ids is not None:
            query = query.where(InvoiceRow.id.in_(list(ids)))
        for row in session.scalars(query.order_by(InvoiceRow.account, InvoiceRow.id)).all():
            row.number = _next_number(session, bundle, row.issuer, row.issue_date or now.date())
            row.state = InvoiceState.ISSUED.value
            row.issued_at = now
            numbers.append(row.number)
            account = bundle.billing_account_by_id.get(row.account)
            issued.append(
                notices.invoice_issued(
                    row.number,
                    account.party if account else None,
                    row.account,
                    row.period,
                    str(row.gross),
                    str(row.due),
                    row.currency,
                    now,
                )
            )
        notices.queue(session, issued, now, bundle.notification_rules)
    return numbers


def _next_number(session: Session, bundle: Bundle, issuer: str, day: date) -> str:
    account = bundle.billing_account_by_id.get(issuer)
    prefix = account.invoice_prefix if account and account.invoice_prefix else "INV"
    counter = session.get(InvoiceCounterRow, (issuer, day.year), with_for_update=True)
    if counter is None:
        counter = InvoiceCounterRow(issuer=issuer, year=day.year, last=0)
        session.add(counter)
    counter.last += 1
    session.flush()
    return f"{prefix}-{day.year}-{counter.last:06d}"


def mark_paid(engine: Engine, principal: Principal, invoice_id: int, now: datetime) -> None:
    """Record that an issued invoice is paid."""
    principal.require(Action.BILL)
    with transaction(engine) as session:
        row = session.get(InvoiceRow, invoice_id)
        if row is None:
            raise NotFound(f"no invoice {invoice_id}")
        if row.state != InvoiceState.ISSUED.value:
            raise Conflict(f"invoice {invoice_id} is {row.state}: only an issued one is paid")
        row.state = InvoiceState.PAID.value
        row.paid_at = now


def void(
    engine: Engine, principal: Principal, invoice_id: int, reason: str, now: datetime
) -> InvoiceView:
    """Cancel an issued invoice with a credit note (numbered, issued, its lines the
    invoice's negated); the invoice becomes void and what it billed is billed again by the
    next run of its month (the correction). The credit note."""
    principal.require(Action.BILL)
    if not reason.strip():
        raise InvalidInput([Problem("say why the invoice is void", Location(), ("reason",))])
    with transaction(engine) as session:
        bundle = BundleRepository(session).load()
        row = session.get(InvoiceRow, invoice_id)
        if row is None:
            raise NotFound(f"no invoice {invoice_id}")
        if row.kind != InvoiceKind.INVOICE.value or row.state not in (
            InvoiceState.ISSUED.value,
            InvoiceState.PAID.value,
        ):
            raise Conflict(
                f"invoice {invoice_id} is a {row.kind}, {row.state}: only an issued invoice "
                "is cancelled by a credit note (a draft is made again by the next bill run)"
            )
        lines = session.scalars(
            select(InvoiceLineRow)
            .where(InvoiceLineRow.invoice_id == invoice_id)
            .order_by(InvoiceLineRow.position)
        ).all()
        day = now.date()
        note = InvoiceRow(
            kind=InvoiceKind.CREDIT_NOTE.value, state=InvoiceState.ISSUED.value,
            account=row.account, issuer=row.issuer, period=row.period,
            period_start=row.period_start, period_end=row.period_end,
            number=_next_number(session, bundle, row.issuer, day), currency=row.currency,
            net=-Decimal(row.net), tax=-Decimal(row.tax), gross=-Decimal(row.gross),
            prepaid=-Decimal(row.prepaid), due=-Decimal(row.due), issue_date=day,
            due_date=day, corrects=row.id,
            document=row.document | {"cancels": row.number, "reason": reason},
            created_at=now, issued_at=now, note=reason,
        )  # fmt: skip
        session.add(note)
        session.flush()
        session.add_all(
            InvoiceLineRow(
                invoice_id=note.id,
                position=x.position,
                kind=x.kind,
                description=x.description,
                service=x.service,
                quantity=x.quantity,
                unit=x.unit,
                amount=-Decimal(x.amount),
                tax_category=x.tax_category,
                tax_rate=x.tax_rate,
                key=None,
                detail=x.detail | {"cancels": row.number},
            )
            for x in lines
        )
        row.state = InvoiceState.VOID.value
        row.voided_at = now
        row.note = reason
        session.execute(
            update(ChargeTotalRow)
            .where(ChargeTotalRow.billed_in == invoice_id)
            .values(billed_in=None)
        )
        session.flush()
        return _view(note, session.scalars(
            select(InvoiceLineRow).where(InvoiceLineRow.invoice_id == note.id)
            .order_by(InvoiceLineRow.position)
        ).all())  # fmt: skip


# -- reading ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class InvoiceLineView:
    """A stored invoice line."""

    position: int
    kind: str
    description: str
    service: str | None
    quantity: Decimal | None
    unit: str | None
    amount: Decimal
    tax_category: str | None
    tax_rate: Decimal
    detail: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        """JSON-compatible data."""
        return {
            "position": self.position, "kind": self.kind, "description": self.description,
            "service": self.service,
            "quantity": None if self.quantity is None else str(self.quantity),
            "unit": self.unit, "amount": str(self.amount), "tax_category": self.tax_category,
            "tax_rate": str(self.tax_rate), "detail": self.detail,
        }  # fmt: skip


@dataclass(frozen=True, slots=True)
class InvoiceView:
    """A stored invoice, as read."""

    id: int
    kind: str
    state: str
    number: str | None
    account: str
    issuer: str
    period: str
    currency: str
    net: Decimal
    tax: Decimal
    gross: Decimal
    prepaid: Decimal
    due: Decimal
    issue_date: date | None
    due_date: date | None
    corrects: int | None
    document: dict[str, Any]
    lines: tuple[InvoiceLineView, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """JSON-compatible data."""
        return {
            "id": self.id, "kind": self.kind, "state": self.state, "number": self.number,
            "account": self.account, "issuer": self.issuer, "period": self.period,
            "currency": self.currency, "net": str(self.net), "tax": str(self.tax),
            "gross": str(self.gross), "prepaid": str(self.prepaid), "due": str(self.due),
            "issue_date": self.issue_date.isoformat() if self.issue_date else None,
            "due_date": self.due_date.isoformat() if self.due_date else None,
            "corrects": self.corrects, "document": {
                k: self.document[k] for k in ("cancels", "reason", "period", "kind")
                if k in self.document
            },
            "seller": self.document.get("seller"),
            "buyer": self.document.get("buyer"), "taxes": self.document.get("taxes", []),
            "lines": [line.as_dict() for line in self.lines],
        }  # fmt: skip


def _view(row: InvoiceRow, lines: Sequence[InvoiceLineRow] = ()) -> InvoiceView:
    return InvoiceView(
        id=row.id, kind=row.kind, state=row.state, number=row.number, account=row.account,
        issuer=row.issuer, period=row.period, currency=row.currency, net=Decimal(row.net),
        tax=Decimal(row.tax), gross=Decimal(row.gross), prepaid=Decimal(row.prepaid),
        due=Decimal(row.due), issue_date=row.issue_date, due_date=row.due_date,
        corrects=row.corrects, document=row.document,
        lines=tuple(
            InvoiceLineView(
                position=r.position, kind=r.kind, description=r.description, service=r.service,
                quantity=None if r.quantity is None else Decimal(r.quantity), unit=r.unit,
                amount=Decimal(r.amount), tax_category=r.tax_category,
                tax_rate=Decimal(r.tax_rate), detail=r.detail,
            )
            for r in lines
        ),
    )  # fmt: skip


def _readable_accounts(session: Session, principal: Principal) -> set[str] | None:
    """The accounts a principal may read (None: all); a customer reads its party's."""
    principal.require(Action.READ)
    if principal.scope is None:
        return None
    bundle = BundleRepository(session).load()
    return {a.id for a in bundle.billing_accounts if a.party == principal.scope}


def invoices(
    engine: Engine,
    principal: Principal,
    *,
    period: str | None = None,
    account: str | None = None,
    state: str | None = None,
) -> list[InvoiceView]:
    """Invoices, newest period first (a customer sees its own, issued ones)."""
    with transaction(engine) as session:
        allowed = _readable_accounts(session, principal)
        query = select(InvoiceRow)
        if period is not None:
            query = query.where(InvoiceRow.period == Month.of(period).text)
        if account is not None:
            query = query.where(InvoiceRow.account == account)
        if state is not None:
            query = query.where(InvoiceRow.state == state)
        if allowed is not None:
            query = query.where(
                InvoiceRow.account.in_(sorted(allowed)),
                InvoiceRow.state != InvoiceState.DRAFT.value,
            )
        rows = session.scalars(
            query.order_by(InvoiceRow.period.desc(), InvoiceRow.account, InvoiceRow.id)
        ).all()
        return [_view(r) for r in rows]


def invoice(engine: Engine, principal: Principal, invoice_id: int) -> InvoiceView:
    """One invoice with its lines (a customer reads its own issued ones)."""
    with transaction(engine) as session:
        allowed = _readable_accounts(session, principal)
        row = session.get(InvoiceRow, invoice_id)
        if row is None or (
            allowed is not None
            and (row.account not in allowed or row.state == InvoiceState.DRAFT.value)
        ):
            raise NotFound(f"no invoice {invoice_id}")
        lines = session.scalars(
            select(InvoiceLineRow)
            .where(InvoiceLineRow.invoice_id == invoice_id)
            .order_by(InvoiceLineRow.position)
        ).all()
        return _view(row, lines)


def account_identities(
    engine: Engine, principal: Principal, accounts: Sequence[str]
) -> dict[str, dict[str, Any]]:
    """The printed identities of billing accounts (billing staff)."""
    principal.require(Action.BILL)
    with transaction(engine) as session:
        bundle = BundleRepository(session).load()
    found = bundle.billing_account_by_id
    return {a: _party(bundle, found[a]) for a in accounts if a in found}
