"""Charging rules: who pays a rated usage, and who else is owed or costs something for it.

Rating prices a record; charging turns that price into **party charges**, each a debt of one
billing account (the *debtor*) to another (the *creditor*), naming the rule (and its version)
that made it and the tariff part it prices. Charging rules are declared (``charging_rules:``)
and versioned by ``active_from`` like tariffs: a record is charged by the versions active at
its start.

Two families of rules:

* **Who pays** (one rule per record: the matching rule with the highest ``priority``, then the
  longest matching destination prefix, then the most criteria, then the smallest id; none
  matching: the caller pays). The payers owe the whole cost to the provider of the record's
  service:

  - ``caller_pays``: the record's account;
  - ``owner_pays`` (freephone, 800): the ``owner`` of the called number; the caller nothing;
  - ``split``: ``shares`` by percent between accounts (``caller`` names the record's account);
  - ``conference`` (multi-party sessions, one record per leg): ``each_leg`` (each leg's account
    pays its leg), ``organiser`` (the account in the leg's ``organiser`` attribute pays every
    leg), ``equal`` (each leg's cost is shared equally by the accounts in its
    ``participants`` attribute, comma-separated: the conference's total is then split
    equally). The bridge that records the legs says who organised and who took part; a leg
    missing the attribute is charged to its own account, and the charge says why.

* **Beside the payment** (every matching rule applies):

  - ``revenue_share`` (content providers, premium-rate numbers): the provider owes its
    ``partner`` ``partner_percent`` of the charge; it keeps the rest;
  - ``carrier_cost``: the provider owes its ``carrier`` the record's cost on the carrier's
    ``tariff`` (a declared tariff: the supplier's prices), so the margin per record is the
    charge less that cost. The cost is priced by the caller of :meth:`ChargingRules.charges`
    (it rates the record on the carrier's tariff) and passed in.

Splits are exact: a cost is divided in units of its own last decimal (0.8130 EUR three ways is
0.2710 each), by the largest-remainder rule: each share gets its whole units, and the units
left go one each to the shares with the largest remainders, the earlier share on a tie
(:meth:`~servanda.core.money.Money.allocate`). A percentage owed to a partner is rounded
half-up at the cost's last decimal. The parts of one record's payment always add up to its
cost exactly.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AwareDatetime, Field, model_validator

from servanda.accounting.usage import Category
from servanda.catalog.model import Id
from servanda.core.limits import Name
from servanda.core.money import Money, minor_unit
from servanda.core.records import record

CALLER = "caller"
"""In a share: the record's own account."""


class RuleModel(StrEnum):
    """What a charging rule does."""

    CALLER_PAYS = "caller_pays"
    OWNER_PAYS = "owner_pays"
    SPLIT = "split"
    CONFERENCE = "conference"
    REVENUE_SHARE = "revenue_share"
    CARRIER_COST = "carrier_cost"


PAYING = frozenset(
    (RuleModel.CALLER_PAYS, RuleModel.OWNER_PAYS, RuleModel.SPLIT, RuleModel.CONFERENCE)
)
"""The rules that say who pays (one per record); the others apply beside them."""


class ConferenceSplit(StrEnum):
    """How a multi-party session's legs are paid."""

    EACH_LEG = "each_leg"
    ORGANISER = "organiser"
    EQUAL = "equal"


class Role(StrEnum):
    """What a party charge is."""

    PAYS = "pays"
    """The debtor pays (part of) the record's cost to the provider."""
    SHARE = "share"
    """The provider owes a partner its share of the charge."""
    COST = "cost"
    """The provider owes a carrier what the record cost on the carrier's tariff."""


Percent = Annotated[Decimal, Field(gt=0, le=100)]
Prefix = Annotated[str, Field(min_length=1, max_length=32)]


@record
class Match:
    """Which records a rule applies to: every criterion given must hold (none: every
    record)."""

    categories: tuple[Category, ...] = ()
    services: tuple[Id, ...] = ()
    accounts: tuple[Id, ...] = ()
    tariffs: tuple[Id, ...] = ()
    destinations: tuple[Prefix, ...] = ()
    """Prefixes of the record's destination (the called number, the content's path)."""

    def specificity(self, usage: RatedUsage) -> tuple[int, int] | None:
        """None when ``usage`` does not match; else how specifically it does: the length of
        the longest destination prefix matched, and the number of criteria."""
        if self.categories and usage.category not in self.categories:
            return None
        if self.services and usage.service not in self.services:
            return None
        if self.accounts and usage.account not in self.accounts:
            return None
        if self.tariffs and usage.tariff not in self.tariffs:
            return None
        longest = 0
        if self.destinations:
            found = [p for p in self.destinations if (usage.destination or "").startswith(p)]
            if not found:
                return None
            longest = max(len(p) for p in found)
        criteria = sum(
            1
            for c in (self.categories, self.services, self.accounts, self.tariffs,
                      self.destinations)
            if c
        )  # fmt: skip
        return longest, criteria


@record
class Share:
    """One payer's part of a split."""

    account: Id | Literal["caller"]
    percent: Percent


@record
class ChargingRule:
    """One version of a charging rule (see the module)."""

    id: Id
    active_from: AwareDatetime
    model: RuleModel
    match: Match = Match()
    priority: int = Field(default=0, ge=-1000, le=1000)
    """Among the rules saying who pays, the highest applies."""
    name: Name | None = None
    owner: Id | None = None
    """``owner_pays``: the account of the called number's owner."""
    shares: tuple[Share, ...] = ()
    """``split``: the payers and their percent (adding up to 100)."""
    conference: ConferenceSplit | None = None
    """``conference``: how the legs are paid."""
    organiser_attribute: Name = "organiser"
    participants_attribute: Name = "participants"
    partner: Id | None = None
    """``revenue_share``: the account owed the share."""
    partner_percent: Percent | None = None
    """``revenue_share``: the partner's percent of the charge."""
    carrier: Id | None = None
    """``carrier_cost``: the carrier's account."""
    tariff: Id | None = None
    """``carrier_cost``: the carrier's tariff, on which the record's cost is rated."""

    @model_validator(mode="after")
    def _complete(self) -> ChargingRule:
        needs: dict[RuleModel, tuple[str, ...]] = {
            RuleModel.CALLER_PAYS: (),
            RuleModel.OWNER_PAYS: ("owner",),
            RuleModel.SPLIT: ("shares",),
            RuleModel.CONFERENCE: ("conference",),
            RuleModel.REVENUE_SHARE: ("partner", "partner_percent"),
            RuleModel.CARRIER_COST: ("carrier", "tariff"),
        }
        given = {
            name for name in ("owner", "shares", "conference", "partner", "partner_percent",
                              "carrier", "tariff")
            if getattr(self, name)
        }  # fmt: skip
        missing = [n for n in needs[self.model] if n not in given]
        if missing:
            raise ValueError(f"a {self.model.value} rule gives {', '.join(missing)}")
        extra = sorted(given - set(needs[self.model]))
        if extra:
            raise ValueError(f"a {self.model.value} rule does not take {', '.join(extra)}")
        if self.shares and sum(s.percent for s in self.shares) != 100:
            raise ValueError("the shares of a split add up to 100 percent")
        if self.shares and len({s.account for s in self.shares}) != len(self.shares):
            raise ValueError("each account has one share of a split")
        return self

    @property
    def key(self) -> tuple[str, datetime]:
        """The rule and its version."""
        return self.id, self.active_from

    @property
    def pays(self) -> bool:
        """Whether it says who pays."""
        return self.model in PAYING


@dataclass(frozen=True, slots=True)
class RatedUsage:
    """What charging needs of one rated usage record."""

    usage_id: int
    account: str
    category: Category
    start: datetime
    cost: Decimal
    currency: str
    service: str | None = None
    destination: str | None = None
    tariff: str | None = None
    destination_group: str | None = None
    band: str | None = None
    attributes: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PartyCharge:
    """A debt of one account to another for one usage record (see the module)."""

    usage_id: int
    role: Role
    debtor: str
    creditor: str
    amount: Decimal
    currency: str
    rule: str | None
    """None: no rule matched, the caller pays."""
    rule_version: datetime | None
    note: str | None = None


def _places(amount: Decimal, currency: str) -> int:
    """The decimals to split ``amount`` in: its own, at least the currency's minor unit."""
    exponent = amount.as_tuple().exponent
    own = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    return max(own, minor_unit(currency))


def split(amount: Decimal, currency: str, weights: Sequence[Decimal | int]) -> list[Decimal]:
    """``amount`` split by ``weights`` exactly, in units of its last decimal (see the
    module)."""
    if amount == 0:
        return [Decimal(0)] * len(weights)
    parts = Money(amount, currency).allocate(weights, _places(amount, currency))
    return [p.amount for p in parts]


class ChargingRules:
    """The declared rules, ready to charge records.

    ``provider_of`` gives the account a record's payment is owed to (the provider of its
    service)."""

    def __init__(
        self, rules: Sequence[ChargingRule], provider_of: Callable[[str | None], str]
    ) -> None:
        self.provider_of = provider_of
        versions: dict[str, list[ChargingRule]] = {}
        for r in rules:
            versions.setdefault(r.id, []).append(r)
        by_id = {k: sorted(v, key=lambda r: r.active_from) for k, v in versions.items()}
        # The active set changes only when a version becomes active: one list per such instant,
        # found by bisection (charging asks for it several times per record).
        self._starts = sorted({r.active_from for r in rules})
        self._sets: list[list[ChargingRule]] = []
        for start in self._starts:
            live = [
                [r for r in by_id[rule_id] if r.active_from <= start] for rule_id in sorted(by_id)
            ]
            self._sets.append([versions_[-1] for versions_ in live if versions_])

    def active(self, at: datetime) -> list[ChargingRule]:
        """The version of each rule active at ``at``, by id."""
        i = bisect_right(self._starts, at)
        return self._sets[i - 1] if i else []

    def payer_rule(self, usage: RatedUsage) -> ChargingRule | None:
        """The rule saying who pays ``usage`` (None: the caller)."""
        best: tuple[tuple[int, int, int], str] | None = None
        chosen: ChargingRule | None = None
        for rule in self.active(usage.start):
            if not rule.pays:
                continue
            found = rule.match.specificity(usage)
            if found is None:
                continue
            rank = ((rule.priority, *found), rule.id)
            if best is None or rank[0] > best[0] or (rank[0] == best[0] and rank[1] < best[1]):
                best, chosen = rank, rule
        return chosen

    def beside(self, usage: RatedUsage, model: RuleModel) -> list[ChargingRule]:
        """The rules of ``model`` (revenue shares, carrier costs) matching ``usage``."""
        return [
            r for r in self.active(usage.start)
            if r.model is model and r.match.specificity(usage) is not None
        ]  # fmt: skip

    def charges(
        self, usage: RatedUsage, carrier_costs: Mapping[str, Decimal] | None = None
    ) -> list[PartyCharge]:
        """The party charges of one rated record. ``carrier_costs`` gives, by rule id, the
        record's cost on each matching ``carrier_cost`` rule's tariff (a rule without its
        cost is skipped: the record is not priced by that carrier)."""
        provider = self.provider_of(usage.service)
        out = self._payments(usage, provider)
        for rule in self.beside(usage, RuleModel.REVENUE_SHARE):
            assert rule.partner is not None
            assert rule.partner_percent is not None
            places = _places(usage.cost, usage.currency)
            owed = (usage.cost * rule.partner_percent / 100).quantize(
                Decimal(1).scaleb(-places), ROUND_HALF_UP
            )
            out.append(
                PartyCharge(
                    usage.usage_id,
                    Role.SHARE,
                    provider,
                    rule.partner,
                    owed,
                    usage.currency,
                    rule.id,
                    rule.active_from,
                )
            )
        for rule in self.beside(usage, RuleModel.CARRIER_COST):
            assert rule.carrier is not None
            cost = (carrier_costs or {}).get(rule.id)
            if cost is not None:
                out.append(
                    PartyCharge(
                        usage.usage_id,
                        Role.COST,
                        provider,
                        rule.carrier,
                        cost,
                        usage.currency,
                        rule.id,
                        rule.active_from,
                    )
                )
        return out

    def _payments(self, usage: RatedUsage, provider: str) -> list[PartyCharge]:
        rule = self.payer_rule(usage)

        def pays(debtors: Sequence[str], weights: Sequence[Decimal | int],
                 note: str | None = None) -> list[PartyCharge]:  # fmt: skip
            amounts = split(usage.cost, usage.currency, weights)
            return [
                PartyCharge(usage.usage_id, Role.PAYS, d, provider, a, usage.currency,
                            rule.id if rule else None, rule.active_from if rule else None, note)
                for d, a in zip(debtors, amounts, strict=True)
            ]  # fmt: skip

        if rule is None or rule.model is RuleModel.CALLER_PAYS:
            return pays([usage.account], [1])
        if rule.model is RuleModel.OWNER_PAYS:
            assert rule.owner is not None
            return pays([rule.owner], [1])
        if rule.model is RuleModel.SPLIT:
            debtors = [usage.account if s.account == CALLER else s.account for s in rule.shares]
            merged: dict[str, Decimal] = {}
            for d, s in zip(debtors, rule.shares, strict=True):
                merged[d] = merged.get(d, Decimal(0)) + s.percent
            return pays(list(merged), list(merged.values()))
        return self._conference(usage, rule, pays)

    @staticmethod
    def _conference(
        usage: RatedUsage,
        rule: ChargingRule,
        pays: Callable[..., list[PartyCharge]],
    ) -> list[PartyCharge]:
        if rule.conference is ConferenceSplit.ORGANISER:
            organiser = usage.attributes.get(rule.organiser_attribute, "").strip()
            if organiser:
                return pays([organiser], [1])
            why = f"no {rule.organiser_attribute} attribute: the leg's account pays"
            return pays([usage.account], [1], why)
        if rule.conference is ConferenceSplit.EQUAL:
            raw = usage.attributes.get(rule.participants_attribute, "")
            accounts = list(dict.fromkeys(a.strip() for a in raw.split(",") if a.strip()))
            if accounts:
                return pays(accounts, [1] * len(accounts))
            why = f"no {rule.participants_attribute} attribute: the leg's account pays"
            return pays([usage.account], [1], why)
        return pays([usage.account], [1])
