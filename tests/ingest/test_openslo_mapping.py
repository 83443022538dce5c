"""How each OpenSLO construct maps, with the warning or not-imported note each liberty makes."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from textwrap import dedent

import pytest

from servanda.agreements.metrics import Metric
from servanda.agreements.model import Budgeting, Comparator, Objective, Period, PeriodKind
from servanda.core.problems import Problem
from servanda.ingest.openslo import OpenSloImport, import_openslo

RATIO_SLI = """
apiVersion: openslo/v1
kind: SLI
metadata:
  name: checkout-ok
  displayName: Successful checkouts
spec:
  ratioMetric:
    counter: true
    good: {metricSource: {type: Prometheus, spec: {query: ok}}}
    total: {metricSource: {type: Prometheus, spec: {query: all}}}
"""


def imp(*docs: str, **kwargs: object) -> OpenSloImport:
    """Import inline documents, one file each (``f0.yaml`` …)."""
    texts = [(f"f{i}.yaml", dedent(doc).lstrip()) for i, doc in enumerate(docs)]
    return import_openslo(texts, effective_from=date(2024, 1, 1), **kwargs)  # type: ignore[arg-type]


def slo(body: str = "", *, objectives: str = "  - target: 0.999\n", name: str = "checkout") -> str:
    """An SLO on the ratio SLI above; ``body`` replaces the default time window/budgeting."""
    body = (
        body or "  timeWindow: [{duration: 28d, isRolling: true}]\n  budgetingMethod: Occurrences\n"
    )
    return (
        f"apiVersion: openslo/v1\nkind: SLO\nmetadata: {{name: {name}}}\nspec:\n"
        f"  service: shop\n  indicatorRef: checkout-ok\n{body}  objectives:\n{objectives}"
    )


def only(result: OpenSloImport) -> Objective:
    assert result.errors == []
    ((objective,),) = result.objectives.values()
    return objective


def messages(problems: list[Problem]) -> str:
    return " | ".join(f"{p.dotted_path}: {p.message}" for p in problems)


def test_ratio_with_indicator_ref_and_service_document() -> None:
    service = """
    apiVersion: openslo/v1
    kind: Service
    metadata: {name: shop, displayName: Web shop}
    spec: {description: The online shop.}
    """
    result = imp(RATIO_SLI, slo(), service, provider="netco", customer="acme")
    objective = only(result)
    assert objective.metric is Metric.GOOD_RATIO
    assert objective.target == Decimal("99.9")
    assert objective.comparator is Comparator.GE
    assert objective.period == Period(kind=PeriodKind.ROLLING, length=timedelta(days=28))
    assert objective.budgeting is Budgeting.EVENTS
    assert objective.series == "checkout-ok"
    assert objective.description == "checkout."
    assert result.warnings == []
    assert [p.dotted_path for p in result.unmapped] == ["spec.ratioMetric"]
    (agreement,) = result.agreements
    assert agreement.title == "Web shop service levels (imported from OpenSLO)"
    assert agreement.description == "The online shop."


def test_target_percent_and_equal_target() -> None:
    objective = only(imp(RATIO_SLI, slo(objectives="  - targetPercent: 99.95\n")))
    assert objective.target == Decimal("99.95")
    result = imp(RATIO_SLI, slo(objectives="  - {target: 0.99, targetPercent: 99}\n"))
    assert only(result).target == Decimal(99)
    assert "both target and targetPercent" in messages(result.warnings)


def test_target_above_one_is_read_as_percent() -> None:
    result = imp(RATIO_SLI, slo(objectives="  - target: 99.5\n"))
    assert only(result).target == Decimal("99.5")
    assert "read as targetPercent 99.5" in messages(result.warnings)


def test_bad_over_total() -> None:
    sli = RATIO_SLI.replace("good:", "bad:")
    result = imp(sli, slo())
    assert only(result).metric is Metric.GOOD_RATIO
    assert "spec.ratioMetric.bad: SLI 'checkout-ok' counts bad events" in messages(result.warnings)


def test_raw_failure_ratio() -> None:
    sli = RATIO_SLI.replace("    good: {metricSource: {type: Prometheus, spec: {query: ok}}}\n", "")
    sli = sli.replace("total:", "rawType: failure\n    raw:")
    result = imp(sli, slo())
    only(result)
    assert "precomputed ratio of failures" in messages(result.warnings)


def test_availability_by_name() -> None:
    result = imp(RATIO_SLI, slo(name="checkout-availability"))
    assert only(result).metric is Metric.AVAILABILITY
    assert "because its names say 'availability'" in messages(result.warnings)


THRESHOLD_SLO = """
apiVersion: openslo/v1
kind: SLO
metadata: {{name: {name}}}
spec:
  service: shop
  indicator:
    metadata: {{name: {sli}}}
    spec:
      thresholdMetric: {{metricSource: {{type: Prometheus, spec: {{query: q}}}}}}
  timeWindow: [{{duration: 1M, isRolling: false}}]
  budgetingMethod: {method}
  objectives:
    - {{op: {op}, value: {value}, target: 0.95{extra}}}
"""


def threshold(
    name: str = "api",
    sli: str = "api-latency",
    op: str = "lte",
    value: str = "200",
    method: str = "Occurrences",
    extra: str = "",
) -> str:
    return THRESHOLD_SLO.format(name=name, sli=sli, op=op, value=value, method=method, extra=extra)


def test_threshold_latency() -> None:
    result = imp(threshold())
    objective = only(result)
    assert (objective.metric, objective.percentile, objective.comparator, objective.target) == (
        Metric.LATENCY,
        Decimal(95),
        Comparator.LE,
        Decimal(200),
    )
    assert objective.period == Period(kind=PeriodKind.MONTH)
    assert "p95 latency <= 200 ms" in messages(result.warnings)


@pytest.mark.parametrize(
    ("kwargs", "why"),
    [
        ({"sli": "cpu-usage", "value": "80"}, "its names do not say latency"),
        ({"op": "gt"}, "op gt makes higher values good"),
        (
            {"method": "Timeslices", "extra": ", timeSliceTarget: 0.9, timeSliceWindow: 5m"},
            "Timeslices budgeting counts slices, not values",
        ),
    ],
)
def test_threshold_as_good_ratio(kwargs: dict[str, str], why: str) -> None:
    result = imp(threshold(**kwargs))
    objective = only(result)
    assert objective.metric is Metric.GOOD_RATIO
    assert objective.target == Decimal(95)
    assert objective.description is not None
    assert objective.description.startswith("api. A good event has a value ")
    assert why in messages(result.warnings)


def test_timeslices_numeric_window_is_minutes_and_missing_slice_target_warns() -> None:
    body = "  timeWindow: [{duration: 1w, isRolling: true}]\n  budgetingMethod: Timeslices\n"
    result = imp(RATIO_SLI, slo(body, objectives="  - {target: 0.99, timeSliceWindow: 5}\n"))
    objective = only(result)
    assert objective.timeslice == timedelta(minutes=5)
    assert objective.timeslice_target is None
    assert "no timeSliceTarget" in messages(result.warnings)


@pytest.mark.parametrize(
    ("window", "period", "warned"),
    [
        ("{duration: 1Q, isRolling: false}", Period(kind=PeriodKind.QUARTER), None),
        ("{duration: 1Y, isRolling: false}", Period(kind=PeriodKind.YEAR), None),
        ("{duration: 3M, isRolling: false}", Period(kind=PeriodKind.QUARTER), None),
        ("{duration: 1d, isRolling: false}", Period(kind=PeriodKind.DAY), None),
        (
            "{duration: 2w, isRolling: false}",
            Period(kind=PeriodKind.ROLLING, length=timedelta(days=14)),
            "no Servanda calendar period",
        ),
        (
            "{duration: 1M, isRolling: true}",
            Period(kind=PeriodKind.ROLLING, length=timedelta(days=30)),
            "imported as rolling 30 days",
        ),
        (
            "{duration: 3m, isRolling: true}",
            Period(kind=PeriodKind.ROLLING, length=timedelta(days=90)),
            "read as '3M' (3 months)",
        ),
        (
            "{duration: 1440m, isRolling: true}",
            Period(kind=PeriodKind.ROLLING, length=timedelta(days=1)),
            None,
        ),
        (
            "{duration: 4W, isRolling: true}",
            Period(kind=PeriodKind.ROLLING, length=timedelta(weeks=4)),
            "unit 'W' read as 'w'",
        ),
        (
            "{duration: 7d}",
            Period(kind=PeriodKind.ROLLING, length=timedelta(days=7)),
            "neither isRolling nor calendar",
        ),
    ],
)
def test_time_windows(window: str, period: Period, warned: str | None) -> None:
    body = f"  timeWindow: [{window}]\n  budgetingMethod: Occurrences\n"
    result = imp(RATIO_SLI, slo(body))
    assert only(result).period == period
    if warned is None:
        assert result.warnings == []
    else:
        assert warned in messages(result.warnings)


def test_no_time_window_is_a_calendar_month() -> None:
    result = imp(RATIO_SLI, slo("  budgetingMethod: Occurrences\n"))
    assert only(result).period == Period(kind=PeriodKind.MONTH)
    assert "no timeWindow" in messages(result.warnings)


def test_budgeting_method_spelling_and_absence() -> None:
    body = "  timeWindow: [{duration: 28d, isRolling: true}]\n"
    result = imp(RATIO_SLI, slo(body + "  budgetingMethod: occurrences\n"))
    assert only(result).budgeting is Budgeting.EVENTS
    assert "read as 'Occurrences'" in messages(result.warnings)
    result = imp(RATIO_SLI, slo(body))
    assert only(result).budgeting is Budgeting.EVENTS
    assert "no budgetingMethod" in messages(result.warnings)


def test_composite_slo() -> None:
    doc = """
    apiVersion: openslo/v1
    kind: SLO
    metadata: {name: journey}
    spec:
      service: shop
      timeWindow: [{duration: 28d, isRolling: true}]
      budgetingMethod: Occurrences
      objectives:
        - displayName: Checkout
          target: 0.99
          compositeWeight: 2
          indicatorRef: checkout-ok
        - displayName: Search
          target: 0.95
          compositeWeight: 1
          indicator:
            metadata: {name: search-ok}
            spec:
              ratioMetric: {good: {metricSource: {type: X}}, total: {metricSource: {type: X}}}
    """
    result = imp(RATIO_SLI, doc)
    assert result.errors == []
    (objectives,) = result.objectives.values()
    assert [(o.id, o.series, o.target) for o in objectives] == [
        ("journey-checkout", "checkout-ok", Decimal(99)),
        ("journey-search", "search-ok", Decimal(95)),
    ]
    paths = [p.dotted_path for p in result.unmapped if p.location.file == "f1.yaml"]
    assert paths == [
        "spec.objectives",
        "spec.objectives[0].compositeWeight",
        "spec.objectives[1].indicator.spec.ratioMetric",
        "spec.objectives[1].compositeWeight",
    ]
    assert "is a composite SLO" in messages(result.unmapped)


def test_inline_indicator_leniencies() -> None:
    doc = """
    apiVersion: openslo/v1
    kind: SLO
    metadata: {name: shop-slo}
    spec:
      service: shop
      indicator:
        ratioMetric: {good: {metricSource: {type: X}}, total: {metricSource: {type: X}}}
      budgetingMethod: Occurrences
      timeWindow: [{duration: 28d, isRolling: true}]
      objectives: [{target: 0.9}]
    """
    result = imp(doc)
    assert only(result).series == "shop-slo"
    text = messages(result.warnings)
    assert "has no metadata.name" in text
    assert "written directly under the indicator" in text


@pytest.mark.parametrize(
    ("version", "warned"),
    [
        ("openslo/v1alpha", "'openslo/v1alpha' read with the openslo/v1 schema"),
        ("OpenSLO/v1", "read as 'openslo/v1'"),
        ("openslo/v2alpha", "read with the openslo/v1 schema"),
    ],
)
def test_api_versions(version: str, warned: str | None) -> None:
    result = imp(RATIO_SLI, slo().replace("openslo/v1", version))
    only(result)
    if warned:
        assert warned in messages(result.warnings)
    else:
        assert result.warnings == []


def test_missing_api_version_and_foreign_api_version() -> None:
    result = imp(RATIO_SLI, slo().replace("apiVersion: openslo/v1\n", ""))
    only(result)
    assert "has no apiVersion; read as openslo/v1" in messages(result.warnings)
    result = imp(RATIO_SLI, slo().replace("openslo/v1", "n9/v1alpha"))
    assert result.objectives == {}
    assert "is not OpenSLO; object skipped" in messages(result.unmapped)


def test_v1alpha_time_windows_and_ratio_metrics() -> None:
    doc = """
    apiVersion: openslo/v1alpha
    kind: SLO
    metadata: {name: legacy}
    spec:
      service: shop
      timeWindows: [{unit: Week, count: 1, isRolling: true}]
      budgetingMethod: Occurrences
      objectives:
        - target: 0.98
          ratioMetrics:
            incremental: true
            good: {source: prometheus, queryType: promql, query: ok}
            total: {source: prometheus, queryType: promql, query: all}
    """
    result = imp(doc)
    objective = only(result)
    assert objective.period == Period(kind=PeriodKind.ROLLING, length=timedelta(weeks=1))
    assert (objective.metric, objective.series) == (Metric.GOOD_RATIO, "legacy")
    assert "incremental: true" in messages(result.unmapped)


def test_other_kinds_unused_objects_and_metadata_are_reported() -> None:
    others = """
    apiVersion: openslo/v1
    kind: DataSource
    metadata: {name: prom}
    spec: {type: Prometheus, connectionDetails: {url: http://prom}}
    ---
    apiVersion: openslo/v1
    kind: AlertCondition
    metadata: {name: fast-burn}
    spec: {severity: page, condition: {kind: burnrate, threshold: 14.4, lookbackWindow: 1h}}
    ---
    apiVersion: openslo/v1
    kind: AlertNotificationTarget
    metadata: {name: pager}
    spec: {target: pagerduty}
    ---
    apiVersion: openslo/v1
    kind: Dashboard
    metadata: {name: board}
    ---
    apiVersion: openslo/v1
    kind: Service
    metadata: {name: unused-service, labels: {team: a}}
    ---
    apiVersion: openslo/v1
    kind: SLI
    metadata: {name: unused-sli}
    spec: {thresholdMetric: {metricSource: {type: X}}}
    """
    extra = "  alertPolicies: [{alertPolicyRef: fast-burn-policy}]\n  color: blue\n"
    result = imp(RATIO_SLI, slo() + extra, others)
    only(result)
    found = [(p.location.file, p.location.line, p.dotted_path) for p in result.unmapped]
    assert found == [
        ("f1.yaml", 12, "spec.color"),
        ("f1.yaml", 11, "spec.alertPolicies[0]"),
        ("f0.yaml", 8, "spec.ratioMetric"),  # reported where the SLI is first used
        ("f2.yaml", 1, "<document>"),
        ("f2.yaml", 6, "<document>"),
        ("f2.yaml", 11, "<document>"),
        ("f2.yaml", 17, "kind"),
        ("f2.yaml", 22, "metadata.labels"),
        ("f2.yaml", 24, "<document>"),
        ("f2.yaml", 20, "<document>"),
    ]
    text = messages(result.unmapped)
    assert "alert policy 'fast-burn-policy'" in text
    assert "DataSource 'prom' (type Prometheus)" in text
    assert "AlertCondition 'fast-burn' (burnrate 14.4 over 1h, severity page)" in text
    assert "AlertNotificationTarget 'pager' (target pagerduty)" in text
    assert "kind 'Dashboard'" in text
    assert "SLI 'unused-sli' is used by no SLO" in text
    assert "Service 'unused-service' has no SLO" in text


def test_service_override_merges_and_keeps_ids_unique() -> None:
    other = slo().replace("service: shop", "service: search")
    result = imp(RATIO_SLI, slo(), other, provider="netco", customer="acme", service="web")
    assert result.errors == []
    assert [o.id for o in result.objectives["web"]] == ["checkout", "checkout-2"]
    text = messages(result.warnings)
    assert "several OpenSLO services (search, shop) all imported for service 'web'" in text
    assert "objective id 'checkout' is already used" in text
    assert [a.id for a in result.agreements] == ["acme-web-openslo"]


def test_objective_ids_from_display_names() -> None:
    objectives = (
        "  - {displayName: Internal, target: 0.999}\n"
        "  - {displayName: SLA, target: 0.99}\n"
        "  - {target: 0.9}\n"
    )
    result = imp(RATIO_SLI, slo(objectives=objectives))
    assert [o.id for o in result.objectives["shop"]] == [
        "checkout-internal",
        "checkout-sla",
        "checkout-3",
    ]
    assert result.sources[("shop", "checkout-sla")].line == 11
