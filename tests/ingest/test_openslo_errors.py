"""Malformed OpenSLO input gives errors at their file, line and column; one bad object never
hides the next."""

from __future__ import annotations

from textwrap import dedent

import pytest

from servanda.core.problems import Severity
from servanda.ingest.openslo import OpenSloImport, import_openslo

GOOD = """
apiVersion: openslo/v1
kind: SLO
metadata: {name: fine}
spec:
  service: shop
  indicator:
    metadata: {name: ok-ratio}
    spec: {ratioMetric: {good: {metricSource: {type: X}}, total: {metricSource: {type: X}}}}
  timeWindow: [{duration: 28d, isRolling: true}]
  budgetingMethod: Occurrences
  objectives: [{target: 0.99}]
"""


def run(text: str) -> OpenSloImport:
    return import_openslo([("bad.yaml", dedent(text).lstrip())])


def where(result: OpenSloImport) -> list[tuple[int | None, int | None, str]]:
    return [(p.location.line, p.location.column, p.dotted_path) for p in result.errors]


def test_not_yaml() -> None:
    result = run("apiVersion: openslo/v1\nkind: [SLO\nspec: {}\n")
    assert [p.location.line for p in result.errors] == [3]
    assert result.errors[0].message.startswith("YAML syntax error")
    assert result.errors[0].severity is Severity.ERROR
    assert result.objectives == {}


def test_not_an_object() -> None:
    result = run("just some text\n---\n- 1\n- kind: SLI\n  metadata: {name: x}\n  spec: {}\n")
    assert where(result) == [(1, 1, "<document>"), (3, 3, "[0]")]
    assert "not str" in result.errors[0].message
    assert "not int" in result.errors[1].message


def test_missing_kind_and_name() -> None:
    result = run("apiVersion: openslo/v1\nmetadata: {name: x}\n---\nkind: SLO\nspec: {}\n")
    assert where(result) == [(1, 1, "kind"), (4, 1, "metadata.name")]
    assert result.errors[1].message == "a SLO needs metadata.name"


@pytest.mark.parametrize(
    ("change", "line", "column", "path", "words"),
    [
        (
            ("objectives: [{target: 0.99}]", "objectives: {target: 0.99}"),
            11,
            15,
            "spec.objectives",
            "objectives must be a list",
        ),
        (
            ("target: 0.99", "target: high"),
            11,
            25,
            "spec.objectives[0].target",
            "target: not a number: 'high'",
        ),
        (
            ("target: 0.99", "target: 150"),
            11,
            25,
            "spec.objectives[0].target",
            "target is a fraction in [0, 1]",
        ),
        (
            ("target: 0.99", "targetPercent: 99.5, target: 0.99"),
            11,
            16,
            "spec.objectives[0]",
            "target and targetPercent disagree (99 % and 99.5 %)",
        ),
        (
            ("target: 0.99", "displayName: none"),
            11,
            16,
            "spec.objectives[0]",
            "needs target (0–1) or targetPercent",
        ),
        (
            ("duration: 28d", "duration: soon"),
            9,
            27,
            "spec.timeWindow[0].duration",
            "not a duration shorthand: 'soon'",
        ),
        (
            ("duration: 28d", "duration: 5s"),
            9,
            27,
            "spec.timeWindow[0].duration",
            "unknown duration unit 's'",
        ),
        (
            ("isRolling: true", "isRolling: yes please"),
            9,
            43,
            "spec.timeWindow[0].isRolling",
            "isRolling must be true or false",
        ),
        (
            ("budgetingMethod: Occurrences", "budgetingMethod: Sometimes"),
            10,
            20,
            "spec.budgetingMethod",
            "unknown budgetingMethod 'Sometimes'",
        ),
        (
            ("budgetingMethod: Occurrences", "budgetingMethod: Timeslices"),
            11,
            16,
            "spec.objectives[0]",
            "timeSliceWindow is required with Timeslices",
        ),
        (("  service: shop\n", ""), 5, 3, "spec.service", "needs spec.service"),
        (
            ("good: {metricSource: {type: X}}", "good: {}, bad: {}"),
            8,
            25,
            "spec.indicator.spec.ratioMetric",
            "good or bad, not both",
        ),
        (
            ("total: {metricSource: {type: X}}", "raw: {}"),
            8,
            25,
            "spec.indicator.spec.ratioMetric",
            "raw, or good/bad with total, not both",
        ),
        (
            ("total: {metricSource: {type: X}}", "counter: true"),
            8,
            25,
            "spec.indicator.spec.ratioMetric",
            "needs total with good (or bad)",
        ),
        (
            (
                "{good: {metricSource: {type: X}}, total: {metricSource: {type: X}}}",
                "{raw: {metricSource: {type: X}}}",
            ),
            8,
            25,
            "spec.indicator.spec.ratioMetric.rawType",
            "raw needs rawType: success or failure",
        ),
        (
            ("{ratioMetric:", "{thresholdMetric: {}, ratioMetric:"),
            8,
            11,
            "spec.indicator.spec",
            "exactly one of ratioMetric and thresholdMetric",
        ),
    ],
)
def test_malformed_slo(
    change: tuple[str, str], line: int, column: int, path: str, words: str
) -> None:
    text = dedent(GOOD).lstrip().replace(*change)
    result = run(text)
    assert where(result) == [(line, column, path)]
    assert words in result.errors[0].message
    assert result.objectives == {}


def test_threshold_needs_op_and_value() -> None:
    text = (
        dedent(GOOD)
        .lstrip()
        .replace(
            "{ratioMetric: {good: {metricSource: {type: X}}, total: {metricSource: {type: X}}}}",
            "{thresholdMetric: {metricSource: {type: X}}}",
        )
        .replace("[{target: 0.99}]", "[{target: 0.99}, {op: lt, target: 0.9}]")
    )
    result = run(text)
    assert where(result) == [
        (11, 16, "spec.objectives[0].op"),
        (11, 32, "spec.objectives[1]"),
    ]
    assert "needs op: lt, lte, gt or gte" in result.errors[0].message
    assert "needs value" in result.errors[1].message


def test_unknown_sli_reference_is_located_and_does_not_hide_the_next_slo() -> None:
    bad = """
    apiVersion: openslo/v1
    kind: SLO
    metadata: {name: orphan}
    spec:
      service: shop
      indicatorRef: no-such-sli
      budgetingMethod: Occurrences
      objectives: [{target: 0.9}]
    """
    result = import_openslo([("a.yaml", dedent(bad).lstrip()), ("b.yaml", dedent(GOOD).lstrip())])
    assert [(str(p.location), p.dotted_path) for p in result.errors] == [
        ("a.yaml:6:17", "spec.indicatorRef")
    ]
    assert "SLI 'no-such-sli', which is not in the input (SLIs: none in the input)" in (
        result.errors[0].message
    )
    assert [o.id for o in result.objectives["shop"]] == ["fine"]
    assert not result.ok


def test_an_invalid_customer_id_is_reported_against_the_arguments() -> None:
    result = import_openslo(
        [("ok.yaml", dedent(GOOD).lstrip())], provider="netco", customer="acme corp"
    )
    assert [(str(p.location), p.dotted_path) for p in result.errors] == [
        ("<arguments>", "agreements[0].id")
    ]
    assert result.agreements == ()
