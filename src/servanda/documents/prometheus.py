"""Burn-rate rules exported as Prometheus recording and alerting rules, for providers whose SLIs
live in Prometheus: the files Sloth and Pyrra generate, from the agreements as declared.

An objective is exported when it names a series that says where it lives in Prometheus
(``prometheus: {error_query, total_query}`` on a good/total or loss series, each query a rate
over ``{{.window}}``). For each such objective (its id ``<agreement>-<objective>``):

* recording rules ``slo:sli_error:ratio_rate<window>`` = error_query / total_query over each
  window its burn-rate rules read, labelled ``servanda_slo``, ``servanda_service`` and
  ``servanda_window`` (Sloth's names, so dashboards made for Sloth read them); and the
  metadata ``slo:objective:ratio`` and ``slo:error_budget:ratio``;
* one alerting rule per burn-rate rule (:meth:`~servanda.agreements.model.Objective.burn_rules`,
  factors resolved for the objective's period): the long **and** the short window's error
  ratio above factor × (1 − SLO), with the rule's ``for``, its severity, and a summary.

The numbers are written from exact decimals (``14.4 * 0.001``), never through binary floats.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

import yaml

from servanda.agreements.model import Agreement, BurnRateRule, Objective
from servanda.core.durations import format_duration
from servanda.declared.bundle import Bundle
from servanda.measure.inputs import WINDOW, Series

RECORD = "slo:sli_error:ratio_rate{window}"
"""The recording rule of a window's error ratio (Sloth's name)."""
ALERT = "ServandaErrorBudgetBurn"


@dataclass(frozen=True, slots=True)
class Rule:
    """One Prometheus rule: a recording rule (``record``) or an alerting rule (``alert``)."""

    expr: str
    record: str | None = None
    alert: str | None = None
    hold: str | None = None
    """``for``."""
    labels: tuple[tuple[str, str], ...] = ()
    annotations: tuple[tuple[str, str], ...] = ()

    def document(self) -> dict[str, Any]:
        """The rule as Prometheus reads it."""
        out: dict[str, Any] = {"record": self.record} if self.record else {"alert": self.alert}
        out["expr"] = self.expr
        if self.hold:
            out["for"] = self.hold
        if self.labels:
            out["labels"] = dict(self.labels)
        if self.annotations:
            out["annotations"] = dict(self.annotations)
        return out


@dataclass(frozen=True, slots=True)
class RuleGroup:
    """A group of rules evaluated together."""

    name: str
    rules: tuple[Rule, ...]


def _plain(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return "0" if text == "-0" else text


def _window(length: timedelta) -> str:
    return format_duration(length)


def _ratio(series: Series, window: str) -> str:
    assert series.prometheus is not None
    errors = series.prometheus.error_query.replace(WINDOW, window)
    total = series.prometheus.total_query.replace(WINDOW, window)
    return f"({errors})\n/\n({total})"


def _objective_groups(
    agreement: Agreement, objective: Objective, series: Series
) -> list[RuleGroup]:
    slo = f"{agreement.id}-{objective.id}"
    who: tuple[tuple[str, str], ...] = (("servanda_slo", slo), ("servanda_service", series.node))
    if agreement.customer is not None:
        who += (("servanda_customer", agreement.customer),)
    rules = objective.burn_rules()
    windows = sorted({w for r in rules for w in (r.long, r.short)})
    budget = (Decimal(100) - objective.target) / 100
    records = [
        Rule(expr=_ratio(series, _window(w)), record=RECORD.format(window=_window(w)),
             labels=(*who, ("servanda_window", _window(w))))
        for w in windows
    ]  # fmt: skip
    records += [
        Rule(expr=_plain(objective.target / 100), record="slo:objective:ratio", labels=who),
        Rule(expr=_plain(budget), record="slo:error_budget:ratio", labels=who),
    ]
    alerts = [_alert(slo, who, objective, r, budget) for r in rules]
    return [
        RuleGroup(f"servanda-slo-sli-recordings-{slo}", tuple(records)),
        RuleGroup(f"servanda-slo-alerts-{slo}", tuple(alerts)),
    ]


def _alert(
    slo: str,
    who: tuple[tuple[str, str], ...],
    objective: Objective,
    rule: BurnRateRule,
    budget: Decimal,
) -> Rule:
    assert rule.factor is not None
    limit = f"({_plain(rule.factor)} * {_plain(budget)})"
    selector = f'{{servanda_slo="{slo}"}}'

    def over(window: timedelta) -> str:
        name = RECORD.format(window=_window(window))
        return f"max({name}{selector} > {limit}) without (servanda_window)"

    speed = "fast" if rule.severity == "critical" else "slow"
    return Rule(
        expr=f"(\n  {over(rule.long)}\n)\nand\n(\n  {over(rule.short)}\n)",
        alert=ALERT,
        hold=_window(rule.hold) if rule.hold else None,
        labels=(*who, ("severity", rule.severity), ("servanda_burn", speed),
                ("long_window", _window(rule.long)), ("short_window", _window(rule.short))),
        annotations=(
            ("summary", f"{objective.id} of {dict(who)['servanda_service']} is burning its error "
                        f"budget {_plain(rule.factor)}× over {_window(rule.long)}"),
            ("title", f"{slo}: error budget burn"),
        ),
    )  # fmt: skip


def rule_groups(bundle: Bundle, agreement: str | None = None) -> tuple[RuleGroup, ...]:
    """The groups of every exported objective (of ``agreement`` alone when given), in the
    order the agreements and their objectives are declared."""
    groups: list[RuleGroup] = []
    for a in bundle.agreements:
        if agreement is not None and a.id != agreement:
            continue
        for o in a.objectives:
            found = bundle.series_by_id.get(o.series) if o.series is not None else None
            if found is not None and found.prometheus is not None and o.burn_rules():
                groups += _objective_groups(a, o, found)
    return tuple(groups)


def rules_yaml(groups: tuple[RuleGroup, ...]) -> str:
    """A Prometheus rule file (``promtool check rules`` reads it)."""
    document = {
        "groups": [{"name": g.name, "rules": [r.document() for r in g.rules]} for g in groups]
    }
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)
