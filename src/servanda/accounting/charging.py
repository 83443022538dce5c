"""Online charging of ongoing sessions, in the spirit of Diameter credit control (RFC 4006):
balances, what a session may be granted, and how a debit is drawn from buckets.

A prepaid account holds **buckets**: money in a currency, or units of a quantity (seconds of
time, octets, units) such as included minutes, each with an optional expiry. A session asks
for a quantity; it is granted what the account can pay for (its unit buckets of that kind
first, then money at the tariff's price), the money or units set aside as a **reservation**
until the next report. Reported use is debited, the rest of the reservation released. An
account with no bucket at all is postpaid: it is granted what it asks, and debited nothing
(its usage is billed).

Everything here is pure: "now", the buckets and the cost of a quantity are arguments.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from pydantic import AwareDatetime, Field

from servanda.catalog.model import Id
from servanda.core.money import Currency
from servanda.core.records import record


class BucketKind(StrEnum):
    """What a bucket holds."""

    MONEY = "money"
    TIME = "time"
    """Seconds."""
    VOLUME = "volume"
    """Octets."""
    UNITS = "units"


@record
class Bucket:
    """A prepaid balance: money or units, with an optional expiry."""

    id: int
    account: Id
    kind: BucketKind
    amount: Decimal = Field(ge=0)
    """What is left (money, seconds, octets or units)."""
    currency: Currency | None = None
    """For money."""
    expires_at: AwareDatetime | None = None

    def usable(self, now: datetime) -> bool:
        """Whether it can still pay: not expired, not empty."""
        return self.amount > 0 and (self.expires_at is None or now < self.expires_at)


def available(buckets: Sequence[Bucket], kind: BucketKind, now: datetime) -> Decimal:
    """What the usable buckets of ``kind`` hold together."""
    return sum((b.amount for b in buckets if b.kind is kind and b.usable(now)), Decimal(0))


def draw(
    buckets: Sequence[Bucket], kind: BucketKind, amount: Decimal, now: datetime
) -> list[tuple[int, Decimal]]:
    """How ``amount`` is taken from the usable buckets of ``kind``: the one expiring first
    first (those that never expire last, oldest first), never more than a bucket holds.
    ``(bucket id, amount taken)``; what the buckets cannot cover is not taken (the caller
    granted no more than they held)."""
    order = sorted(
        (b for b in buckets if b.kind is kind and b.usable(now)),
        key=lambda b: (b.expires_at is None, b.expires_at or now, b.id),
    )
    taken: list[tuple[int, Decimal]] = []
    left = amount
    for b in order:
        if left <= 0:
            break
        part = min(b.amount, left)
        taken.append((b.id, part))
        left -= part
    return taken


@dataclass(frozen=True, slots=True)
class Grant:
    """What a session is granted for its next interval."""

    quantity: int
    """Granted, in the request's unit (seconds, octets, units)."""
    from_units: int
    """Of it, covered by unit buckets."""
    money: Decimal
    """Money set aside for the rest."""
    final: bool
    """The final-unit indication: this is the last grant (the balance, or the tariff's
    maximum cost with ``disconnect``, allows no more)."""
    reason: str | None = None


def grant(
    *,
    requested: int,
    step: int,
    units_left: Decimal,
    money_left: Decimal | None,
    priced_so_far: int,
    cost: Callable[[int], tuple[Decimal, bool]],
    costs: Callable[[Sequence[int]], list[tuple[Decimal, bool]]] | None = None,
) -> Grant:
    """The grant of a request.

    ``requested`` is asked for; ``step`` the smallest quantity worth granting (the tariff's
    increment); ``units_left`` what unit buckets of the quantity's kind hold; ``money_left``
    the money available (None: postpaid, no limit); ``priced_so_far`` the quantity of the
    session already priced in money; ``cost(q)`` the cost of a session priced for ``q`` and
    whether the tariff's maximum cost with ``disconnect`` is reached there; ``costs``, when
    given, the same for many quantities at once (the search for the largest affordable grant
    then prices every step in one call instead of one call per halving).
    """
    if requested <= 0:
        return Grant(0, 0, Decimal(0), False)
    from_units = min(requested, int(units_left))
    rest = requested - from_units
    if rest == 0:
        return Grant(requested, from_units, Decimal(0), False)
    base, _ = cost(priced_so_far)

    def extra(q: int) -> tuple[Decimal, bool]:
        total, cut = cost(priced_so_far + q)
        return total - base, cut

    full, cut = extra(rest)
    if money_left is None or full <= money_left:
        if cut:
            return _cut(rest, step, extra, from_units, money_left)
        return Grant(requested, from_units, full, False)
    # The largest quantity, in whole steps, the money pays for.
    quantity = _largest(
        rest // step, step, lambda q: extra(q)[0] <= money_left, priced_so_far, base, costs,
        lambda c: c[0] - base <= money_left,
    )  # fmt: skip
    money, _ = extra(quantity) if quantity else (Decimal(0), False)
    return Grant(from_units + quantity, from_units, money, True, "the balance is exhausted")


def _cut(
    rest: int,
    step: int,
    extra: Callable[[int], tuple[Decimal, bool]],
    from_units: int,
    money_left: Decimal | None,
) -> Grant:
    """The grant up to where the tariff's maximum cost disconnects."""
    quantity = _largest(rest // step, step, lambda q: not extra(q)[1], 0, Decimal(0), None,
                        lambda c: not c[1])  # fmt: skip
    money, _ = extra(quantity) if quantity else (Decimal(0), False)
    if money_left is not None:
        money = min(money, money_left)
    return Grant(from_units + quantity, from_units, money, True, "the tariff's maximum cost")


MANY: int = 20_000
"""Most steps priced in one call when searching the largest grant."""


def _largest(
    steps: int,
    step: int,
    fits: Callable[[int], bool],
    priced_so_far: int,
    base: Decimal,
    costs: Callable[[Sequence[int]], list[tuple[Decimal, bool]]] | None,
    fits_cost: Callable[[tuple[Decimal, bool]], bool],
) -> int:
    """The largest ``k * step`` (k ≤ ``steps``) that fits: every step priced in one call when
    ``costs`` is given and the steps are few enough, else by halving. Costs grow with the
    quantity, so what fits is a prefix."""
    if costs is not None and steps <= MANY:
        found = costs([priced_so_far + k * step for k in range(steps + 1)])
        best = 0
        for k, c in enumerate(found):
            if not fits_cost(c):
                break
            best = k
        return best * step
    lo, hi = 0, steps
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if fits(mid * step):
            lo = mid
        else:
            hi = mid - 1
    return lo * step
