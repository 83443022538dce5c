"""A settlement statement as plain text: the two accounts, what each owes the other by role and
rule, and the net; headed as a self-billing invoice when the provider pays (it writes the
invoice its partner would have sent)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from servanda.reports.invoice_text import party_lines

ROLES = {"share": "Revenue share", "cost": "Carrier cost", "pays": "Usage"}


def statement_text(
    statement: dict[str, Any], parties: dict[str, dict[str, Any]] | None = None
) -> str:
    """``statement`` (a :meth:`~servanda.services.settlement.StatementView.as_dict`) as text;
    ``parties`` gives the accounts' identities, when known."""
    cur = statement["currency"]
    title = "SELF-BILLING STATEMENT" if statement["self_billing"] else "SETTLEMENT STATEMENT"
    lines = [f"{title} {statement['id']}  period {statement['period']}", ""]
    parties = parties or {}
    first = party_lines(parties.get(statement["first"])) or [statement["first"]]
    second = party_lines(parties.get(statement["second"])) or [statement["second"]]
    for i in range(max(len(first), len(second))):
        left = first[i] if i < len(first) else ""
        right = second[i] if i < len(second) else ""
        lines.append(f"{left:<48}{right}")
    lines += ["", f"{'Owed by':<20}{'to':<20}{'What':<36}{'Amount':>20}", "-" * 96]
    for x in statement["lines"]:
        what = f"{ROLES.get(x['role'], x['role'])} ({x['rule'] or 'no rule'}, {x['charges']})"
        lines.append(
            f"{x['debtor']:<20}{x['creditor']:<20}{what[:35]:<36}"
            f"{Decimal(x['amount']):>16,.4f} {cur}"
        )
    lines.append("-" * 96)
    if statement["payer"]:
        lines.append(
            f"{statement['payer']} pays {statement['payee']}: "
            f"{Decimal(statement['net']):,.2f} {cur} (exact: {statement['net']})"
        )
    else:
        lines.append("Nothing is owed: the two directions cancel out.")
    return "\n".join(lines) + "\n"
