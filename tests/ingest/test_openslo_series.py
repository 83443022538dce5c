"""The measurement series an import declares for the SLIs its objectives read."""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal
from textwrap import dedent

from hypothesis import given
from hypothesis import strategies as st

from servanda.agreements.metrics import Metric
from servanda.agreements.model import Objective
from servanda.config.checks import check_all
from servanda.config.reader import read_documents
from servanda.config.yaml_source import read_yaml
from servanda.core.problems import Problem
from servanda.ingest.openslo import OpenSloImport, import_openslo
from servanda.ingest.openslo.indicators import Indicators
from servanda.ingest.openslo.objects import Findings, read_objects
from servanda.ingest.openslo.series import declare_series
from servanda.ingest.openslo.slos import Imported, convert_slo
from servanda.measure.inputs import Series, SeriesKind
from servanda.measure.series_choice import fitting_kinds

RATIO_SLI = """
apiVersion: openslo/v1
kind: SLI
metadata:
  name: {sli}
  displayName: Successful checkouts
spec:
  description: Orders paid, of orders placed.
  ratioMetric:
    good: {{metricSource: {{type: Prometheus, spec: {{query: ok}}}}}}
    total: {{metricSource: {{type: Prometheus, spec: {{query: all}}}}}}
"""

RATIO_SLO = """
apiVersion: openslo/v1
kind: SLO
metadata: {{name: {name}}}
spec:
  service: {service}
  indicatorRef: {sli}
  timeWindow: [{{duration: 28d, isRolling: true}}]
  budgetingMethod: Occurrences
  objectives:
    - target: 0.999
"""

THRESHOLD_SLO = """
apiVersion: openslo/v1
kind: SLO
metadata: {{name: {name}}}
spec:
  service: {service}
  indicator:
    metadata: {{name: {sli}}}
    spec:
      thresholdMetric: {{metricSource: {{type: Prometheus, spec: {{query: q}}}}}}
  timeWindow: [{{duration: 1M, isRolling: false}}]
  budgetingMethod: Occurrences
  objectives:
    - {{op: {op}, value: 200, target: 0.95}}
"""

CATALOG = """
parties:
  - {id: netco, name: NetCo, roles: [provider]}
  - {id: acme, name: Acme, roles: [customer]}
services:
  - {id: shop, name: Shop, provider: netco}
  - {id: api, name: API, provider: netco}
subscriptions:
  - {customer: acme, service: shop}
  - {customer: acme, service: api}
"""


def ratio_sli(sli: str = "checkout-ok") -> str:
    return RATIO_SLI.format(sli=sli)


def ratio_slo(name: str = "checkout", service: str = "shop", sli: str = "checkout-ok") -> str:
    return RATIO_SLO.format(name=name, service=service, sli=sli)


def threshold_slo(
    name: str = "api", service: str = "api", sli: str = "api-latency", op: str = "lte"
) -> str:
    return THRESHOLD_SLO.format(name=name, service=service, sli=sli, op=op)


def imp(*docs: str, **kwargs: object) -> OpenSloImport:
    """Import inline documents, one file each (``f0.yaml`` …), for netco and acme."""
    texts = [(f"f{i}.yaml", dedent(doc).lstrip()) for i, doc in enumerate(docs)]
    options: dict[str, object] = {"provider": "netco", "customer": "acme", **kwargs}
    return import_openslo(texts, effective_from=date(2024, 1, 1), **options)  # type: ignore[arg-type]


def series_warnings(result: OpenSloImport) -> list[Problem]:
    return [w for w in result.warnings if "series" in w.message and "declared" in w.message]


def check(result: OpenSloImport) -> list[Problem]:
    """What ``servanda check`` says of the imported file next to :data:`CATALOG`."""
    docs, problems = read_yaml(CATALOG, "catalog.yaml")
    more, more_problems = read_yaml(result.yaml(), "imported.yaml")
    read = read_documents([*docs, *more])
    assert problems + more_problems + read.problems == []
    assert read.bundle.series == result.series
    return check_all(read)


def test_ratio_sli_is_a_good_total_series_of_the_customer_on_the_service() -> None:
    result = imp(ratio_sli(), ratio_slo())
    assert result.errors == []
    assert result.series == (
        Series(
            id="checkout-ok",
            kind=SeriesKind.GOOD_TOTAL,
            node="shop",
            customer="acme",
            description="From OpenSLO SLI 'checkout-ok' (Successful checkouts): "
            "Orders paid, of orders placed.",
        ),
    )
    assert result.config["series"] == [
        {
            "id": "checkout-ok",
            "kind": "good_total",
            "node": "shop",
            "customer": "acme",
            "description": "From OpenSLO SLI 'checkout-ok' (Successful checkouts): "
            "Orders paid, of orders placed.",
        }
    ]
    assert result.warnings == []
    assert check(result) == []


def test_availability_counted_over_events_reads_a_good_total_series() -> None:
    result = imp(ratio_sli(), ratio_slo(name="checkout-availability"))
    ((objective,),) = result.objectives.values()
    assert objective.metric is Metric.AVAILABILITY
    assert [(s.id, s.kind) for s in result.series] == [("checkout-ok", SeriesKind.GOOD_TOTAL)]
    assert check(result) == []


def test_threshold_on_latency_is_a_latency_series_and_other_thresholds_count_events() -> None:
    latency = imp(threshold_slo())
    assert [(s.id, s.kind, s.node, s.description) for s in latency.series] == [
        (
            "api-latency",
            SeriesKind.LATENCY,
            "api",
            "From OpenSLO SLI 'api-latency' inline in SLO 'api'.",
        )
    ]
    assert check(latency) == []
    cpu = imp(threshold_slo(sli="cpu-usage"))
    ((objective,),) = cpu.objectives.values()
    assert objective.metric is Metric.GOOD_RATIO
    assert [(s.id, s.kind) for s in cpu.series] == [("cpu-usage", SeriesKind.GOOD_TOTAL)]
    assert check(cpu) == []


def test_one_sli_read_by_several_objectives_of_a_service_is_one_series() -> None:
    result = imp(ratio_sli(), ratio_slo(), ratio_slo(name="checkout-strict"))
    assert [o.series for o in result.objectives["shop"]] == ["checkout-ok", "checkout-ok"]
    assert [s.id for s in result.series] == ["checkout-ok"]
    assert series_warnings(result) == []
    assert check(result) == []


def test_one_sli_on_two_services_is_two_series_the_second_one_renamed() -> None:
    result = imp(ratio_sli(), ratio_slo(), ratio_slo(name="api-checkout", service="api"))
    assert [(s.id, s.node) for s in result.series] == [
        ("checkout-ok", "shop"),
        ("checkout-ok-api", "api"),
    ]
    assert [o.series for o in result.objectives["api"]] == ["checkout-ok-api"]
    (warning,) = series_warnings(result)
    assert (warning.location.file, warning.location.line, warning.dotted_path) == (
        "f2.yaml",
        10,
        "spec.objectives[0]",
    )
    assert warning.message == (
        "series 'checkout-ok' is already declared, about 'shop' and of kind good_total; this "
        "objective, on 'api' and read from a good_total series, reads series 'checkout-ok-api'"
    )
    assert check(result) == []


def test_one_threshold_sli_read_as_latency_and_as_a_ratio_is_two_series() -> None:
    result = imp(threshold_slo(), threshold_slo(name="api-fast", op="gt"))
    assert [o.metric for o in result.objectives["api"]] == [Metric.LATENCY, Metric.GOOD_RATIO]
    assert [(s.id, s.kind) for s in result.series] == [
        ("api-latency", SeriesKind.LATENCY),
        ("api-latency-good-total", SeriesKind.GOOD_TOTAL),
    ]
    assert [o.series for o in result.objectives["api"]] == ["api-latency", "api-latency-good-total"]
    (warning,) = series_warnings(result)
    assert warning.location.file == "f1.yaml"
    assert "reads series 'api-latency-good-total'" in warning.message
    assert check(result) == []


def test_an_sli_name_that_is_no_id_is_made_one_once() -> None:
    sli = ratio_sli("'Checkout OK!'")
    result = imp(sli, ratio_slo(sli="'Checkout OK!'"), ratio_slo("again", sli="'Checkout OK!'"))
    assert [o.series for o in result.objectives["shop"]] == ["checkout-ok", "checkout-ok"]
    assert [s.id for s in result.series] == ["checkout-ok"]
    (warning,) = series_warnings(result)
    assert warning.message == (
        "series 'Checkout OK!' (after the OpenSLO SLI) is no Servanda id; declared and read as "
        "'checkout-ok'"
    )
    assert check(result) == []


def test_unnamed_and_v1alpha_indicators_say_where_they_are_written() -> None:
    unnamed = threshold_slo().replace("    metadata: {name: api-latency}\n", "")
    result = imp(unnamed)
    assert [(s.id, s.description) for s in result.series] == [
        ("api", "From the unnamed OpenSLO SLI inline in SLO 'api'.")
    ]
    legacy = """
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
            good: {source: prometheus, queryType: promql, query: ok}
            total: {source: prometheus, queryType: promql, query: all}
    """
    result = imp(legacy)
    assert [(s.id, s.kind, s.description) for s in result.series] == [
        ("legacy", SeriesKind.GOOD_TOTAL, "From the ratioMetrics of OpenSLO SLO 'legacy'.")
    ]
    assert check(result) == []


def test_objectives_only_series_concern_every_customer() -> None:
    result = imp(ratio_sli(), ratio_slo(), provider=None, customer=None)
    (entry,) = result.config["openslo_objectives"]
    assert entry["series"] == [
        {
            "id": "checkout-ok",
            "kind": "good_total",
            "node": "shop",
            "description": "From OpenSLO SLI 'checkout-ok' (Successful checkouts): "
            "Orders paid, of orders placed.",
        }
    ]
    assert [s.customer for s in result.series] == [None]


def test_one_service_given_for_every_slo_keeps_one_series_per_sli() -> None:
    result = imp(
        ratio_sli(), ratio_slo(), ratio_slo(name="api-checkout", service="api"), service="shop"
    )
    assert [(s.id, s.node) for s in result.series] == [("checkout-ok", "shop")]
    assert series_warnings(result) == []
    assert check(result) == []


def _template() -> Imported:
    """One imported objective, with the OpenSLO objects it was read from."""
    found = Findings()
    text = dedent(ratio_sli()).lstrip() + "---\n" + dedent(ratio_slo()).lstrip()
    sli, slo = read_objects([("t.yaml", text)], found)
    (imported,) = convert_slo(slo, Indicators({sli.name: sli}, found), found, None)
    assert found.errors == []
    return imported


TEMPLATE = _template()


def test_a_metric_read_from_no_series_gets_none_declared_with_a_warning() -> None:
    objective = Objective(id="repair", metric=Metric.MTTR, target=Decimal(4), series="tickets")
    found = Findings()
    groups, series = declare_series(
        {"shop": [dataclasses.replace(TEMPLATE, objective=objective)]}, "acme", found
    )
    assert series == {"shop": ()}
    assert groups["shop"][0].objective == objective
    (warning,) = found.warnings
    assert (warning.location.file, warning.location.line, warning.dotted_path) == (
        "t.yaml",
        21,  # 10 lines of SLI, the separator, then the SLO's objective on its 10th line
        "spec.objectives[0]",
    )
    assert warning.message == (
        "mttr is not computed from a measurement series, so the kind of series 'tickets' "
        "cannot be told: it is not declared"
    )


METRICS = (Metric.GOOD_RATIO, Metric.AVAILABILITY, Metric.LATENCY)


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["shop", "api", "web"]),
            st.sampled_from(["ok", "ok-api", "lat", "Lat!"]),
            st.sampled_from(METRICS),
        ),
        min_size=1,
        max_size=12,
    )
)
def test_every_objective_reads_one_declared_series_that_fits(
    uses: list[tuple[str, str, Metric]],
) -> None:
    groups: dict[str, list[Imported]] = {}
    for i, (service, name, metric) in enumerate(uses):
        objective = Objective(id=f"o{i}", metric=metric, target=Decimal(1), series=name)
        groups.setdefault(service, []).append(dataclasses.replace(TEMPLATE, objective=objective))
    found = Findings()
    renamed, series = declare_series(groups, "acme", found)
    declared = [s for per in series.values() for s in per]
    by_id = {s.id: s for s in declared}
    assert len(by_id) == len(declared)  # ids are unique across services
    kind_of = {m: fitting_kinds(m)[0] for m in METRICS}
    # one series per SLI name, service and kind
    assert len(declared) == len({(svc, name, kind_of[m]) for svc, name, m in uses})
    chosen: dict[tuple[str, str, SeriesKind], str] = {}
    for service, group in renamed.items():
        assert [imp.objective.id for imp in group] == [imp.objective.id for imp in groups[service]]
        for before, after in zip(groups[service], group, strict=True):
            s = by_id[str(after.objective.series)]
            assert s in series[service]
            assert (s.node, s.customer) == (service, "acme")
            assert s.kind in fitting_kinds(after.objective.metric)
            key = (service, str(before.objective.series), s.kind)
            assert chosen.setdefault(key, s.id) == s.id
