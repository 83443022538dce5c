"""Every published OpenSLO sample in ``samples/`` imports, with the objectives, warnings and
not-imported items worked out by hand from the files."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from servanda.agreements.metrics import Metric
from servanda.agreements.model import Budgeting, Comparator, Objective, Period, PeriodKind
from servanda.core.problems import Problem, Severity
from servanda.core.records import from_jsonable
from servanda.ingest.openslo import OpenSloImport, import_openslo

SAMPLES = Path(__file__).parent / "samples"
DAY = date(2024, 1, 1)


def run(name: str) -> OpenSloImport:
    text = (SAMPLES / name).read_text(encoding="utf-8")
    return import_openslo(
        [(name, text)], provider="netco", customer="acme", service=None, effective_from=DAY
    )


def objective(**fields: object) -> Objective:
    """An objective as the configuration reader builds it (defaults filled in)."""
    return from_jsonable(Objective, fields)


def at(problems: list[Problem]) -> list[tuple[str, int | None]]:
    """(path, line) of each problem, in order."""
    return [(p.dotted_path, p.location.line) for p in problems]


def say(problems: list[Problem], path: str) -> str:
    """The messages at ``path``, joined."""
    return " | ".join(p.message for p in problems if p.dotted_path == path)


def test_every_sample_is_covered_and_copied_byte_for_byte() -> None:
    names = sorted(p.name for p in SAMPLES.glob("*.yaml"))
    assert len(names) == 6
    notes = (SAMPLES / "SOURCES.md").read_text(encoding="utf-8")
    for name in names:
        assert f"`{name}`" in notes
    shared = Path("/work/shared/reference/samples/openslo")
    if shared.is_dir():  # only where the reference checkout exists
        for name in names:
            assert (SAMPLES / name).read_bytes() == (shared / name).read_bytes()


@pytest.mark.parametrize("name", sorted(p.name for p in SAMPLES.glob("*.yaml")))
def test_sample_imports_without_errors_and_every_problem_is_located(name: str) -> None:
    result = run(name)
    assert result.errors == []
    for problem in result.warnings + result.unmapped:
        assert problem.severity is Severity.WARNING
        assert problem.location.file == name
        if not problem.message.startswith("no SLO object"):
            assert problem.location.line is not None
            assert problem.location.column is not None


def test_occurrences_threshold_latency() -> None:
    result = run("OpenSLO__budgeting-method_occurences-slo.yaml")
    assert result.objectives == {
        "web-shop": (
            objective(
                id="search-slo",
                metric=Metric.LATENCY,
                percentile=Decimal(99),
                comparator=Comparator.LT,
                target=Decimal(500),
                period=Period(kind=PeriodKind.ROLLING, length=timedelta(days=14)),
                budgeting=Budgeting.EVENTS,
                series="search-latency",
                description="Searching time (Good experience): Regardless of the number of "
                "paraller searches it never should be more than 500ms.",
            ),
        )
    }
    assert at(result.warnings) == [("spec.objectives[0].value", 27)]
    assert "p99 latency < 500 ms" in result.warnings[0].message
    assert "milliseconds assumed" in result.warnings[0].message
    assert at(result.unmapped) == [("spec.indicator.spec.thresholdMetric", 16)]
    assert "series 'search-latency'" in result.unmapped[0].message


def test_ratio_timeslices_mean_of_ratios() -> None:
    result = run("OpenSLO__budgeting-method_ratio-timeslices.yaml")
    (found,) = result.objectives["web-shop"]
    assert found == objective(
        id="main-page",
        metric=Metric.AVAILABILITY,
        target=Decimal(99),
        period=Period(kind=PeriodKind.ROLLING, length=timedelta(days=14)),
        budgeting=Budgeting.RATIO_TIMESLICES,
        timeslice=timedelta(minutes=1),
        series="response-code",
        description="Main page availability (Good): Our main page should be available always.",
    )
    assert found.timeslice_target is None
    assert at(result.warnings) == [("spec.objectives[0]", 31)]
    assert "availability" in say(result.warnings, "spec.objectives[0]")
    assert at(result.unmapped) == [
        ("spec.indicator.spec.ratioMetric", 16),
        ("spec.objectives[0].op", 32),
    ]


def test_timeslices_one_m_is_read_as_one_month() -> None:
    result = run("OpenSLO__budgeting-method_timeslices-slo.yaml")
    internal, sla = result.objectives["web-availability"]
    assert (internal.id, internal.target, internal.timeslice_target) == (
        "service-availability-internal-objective",
        Decimal("99.5"),
        Decimal(99),
    )
    assert (sla.id, sla.target, sla.timeslice_target) == (
        "service-availability-sla",
        Decimal(99),
        Decimal(99),
    )
    for each in (internal, sla):
        assert each.metric is Metric.AVAILABILITY
        assert each.comparator is Comparator.GE
        assert each.period == Period(kind=PeriodKind.MONTH)
        assert each.budgeting is Budgeting.TIMESLICES
        assert each.timeslice == timedelta(minutes=1)
        assert each.series == "web-availability"
    assert at(result.warnings) == [
        ("spec.timeWindow[0].duration", 27),
        ("spec.timeWindow[0].calendar", 30),
        ("spec.objectives[0]", 34),
        ("spec.objectives[1]", 39),
    ]
    minute = say(result.warnings, "spec.timeWindow[0].duration")
    assert "'1m' means 1 minute" in minute
    assert "read as '1M' (1 month)" in minute
    assert "America/New_York" in say(result.warnings, "spec.timeWindow[0].calendar")
    # the second objective has no op: nothing to report for it
    assert at(result.unmapped) == [
        ("spec.indicator.spec.ratioMetric", 16),
        ("spec.objectives[0].op", 35),
    ]


def test_treat_low_traffic_weekly_calendar() -> None:
    result = run("OpenSLO__treat-low-traffic-as-equally-important_timeslices-slo.yaml")
    assert result.objectives == {
        "web-availability": (
            objective(
                id="service-availability",
                metric=Metric.AVAILABILITY,
                target=Decimal("99.95"),
                period=Period(kind=PeriodKind.WEEK),
                budgeting=Budgeting.TIMESLICES,
                timeslice=timedelta(minutes=1),
                timeslice_target=Decimal(95),
                series="web-availability",
                description="SLO for this important service (Objective).",
            ),
        )
    }
    assert at(result.warnings) == [
        ("spec.timeWindow[0].calendar", 28),
        ("spec.objectives[0]", 32),
    ]
    assert at(result.unmapped) == [
        ("spec.indicator.spec.ratioMetric", 14),
        ("spec.objectives[0].op", 33),
    ]


def test_go_sdk_slos_list_document() -> None:
    result = run("OpenSLO-go-sdk__pkg_openslo_v1_examples_slos.yaml")
    (found,) = result.objectives["web"]
    assert found == objective(
        id="web-availability",
        metric=Metric.AVAILABILITY,
        target=Decimal("99.5"),
        period=Period(kind=PeriodKind.WEEK),
        budgeting=Budgeting.TIMESLICES,
        timeslice=timedelta(minutes=1),
        timeslice_target=Decimal(95),
        series="web-successful-requests-ratio",
        description="SLO for web availability (Good): X% of search requests are successful.",
    )
    assert at(result.warnings) == [
        ("[0].spec.timeWindow[0].calendar", 35),
        ("[0].spec.objectives[0]", 39),
    ]
    assert at(result.unmapped) == [
        ("[0].metadata.labels", 7),
        ("[0].spec.indicator.spec.ratioMetric", 20),
        ("[0].spec.objectives[0].op", 40),
    ]
    counts = say(result.unmapped, "[0].spec.indicator.spec.ratioMetric")
    assert "good, total from Prometheus; counter: true" in counts


def test_go_sdk_alert_policies_are_all_reported() -> None:
    result = run("OpenSLO-go-sdk__pkg_openslo_v1_examples_alert_policies.yaml")
    assert result.objectives == {}
    assert result.config == {"agreements": []}
    assert at(result.warnings) == [("<document>", None)]
    assert "no SLO" in result.warnings[0].message
    assert at(result.unmapped) == [
        ("[0]", 1),
        ("[1]", 19),
        ("[1].spec.conditions[0]", 36),
        ("[2]", 51),
        ("[2].spec.notificationTargets[0]", 68),
    ]
    inline = say(result.unmapped, "[1].spec.conditions[0]")
    assert "AlertCondition 'memory-usage-breach'" in inline
    assert "burnrate gt 2 over 1h, after 5m, severity page" in inline
    assert "target slack" in say(result.unmapped, "[2].spec.notificationTargets[0]")


def test_all_samples_together() -> None:
    texts = [(p.name, p.read_text(encoding="utf-8")) for p in sorted(SAMPLES.glob("*.yaml"))]
    result = import_openslo(texts, provider="netco", customer="acme", effective_from=DAY)
    assert result.errors == []
    ids = {service: [o.id for o in objectives] for service, objectives in result.objectives.items()}
    # two files both name their SLO 'service-availability' for service 'web-availability'
    assert ids == {
        "web": ["web-availability"],
        "web-shop": ["search-slo", "main-page"],
        "web-availability": [
            "service-availability-internal-objective",
            "service-availability-sla",
            "service-availability",
        ],
    }
    assert len(result.agreements) == 3
    assert [a.service for a in result.agreements] == ["web", "web-shop", "web-availability"]
