"""What the import emits is what Servanda's configuration reader reads back."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import yaml

from servanda.agreements.model import Objective
from servanda.config.checks import check_all
from servanda.config.reader import read_documents
from servanda.config.yaml_source import read_yaml
from servanda.core.records import from_jsonable
from servanda.ingest.openslo import FRAGMENT_KEY, import_openslo, render_yaml
from servanda.ingest.openslo.emit import series_yaml
from servanda.measure.inputs import Series

SAMPLES = Path(__file__).parent / "samples"
TEXTS = [(p.name, p.read_text(encoding="utf-8")) for p in sorted(SAMPLES.glob("*.yaml"))]

CATALOG = """
parties:
  - {id: netco, name: NetCo, roles: [provider]}
  - {id: acme, name: Acme, roles: [customer]}
services:
  - {id: web, name: Web, provider: netco}
  - {id: web-shop, name: Web shop, provider: netco}
  - {id: web-availability, name: Web availability, provider: netco}
subscriptions:
  - {customer: acme, service: web}
  - {customer: acme, service: web-shop}
  - {customer: acme, service: web-availability}
"""


def test_emitted_agreements_read_back_equal() -> None:
    result = import_openslo(
        TEXTS, provider="netco", customer="acme", effective_from=date(2024, 1, 1)
    )
    assert result.errors == []
    text = result.yaml()
    assert text.startswith("# Service level agreements imported from OpenSLO")
    docs, problems = read_yaml(text, "imported.yaml")
    assert problems == []
    read = read_documents(docs)
    assert read.problems == []
    assert read.bundle.agreements == result.agreements
    assert [a.objectives for a in read.bundle.agreements] == list(result.objectives.values())
    assert read.bundle.series == result.series
    assert [s.id for s in result.series] == [
        "web-successful-requests-ratio",
        "search-latency",
        "response-code",
        "web-availability",
    ]


def test_emitted_agreements_pass_the_cross_record_checks() -> None:
    result = import_openslo(
        TEXTS, provider="netco", customer="acme", effective_from=date(2024, 1, 1)
    )
    docs, problems = read_yaml(CATALOG, "catalog.yaml")
    more, more_problems = read_yaml(result.yaml(), "imported.yaml")
    read = read_documents([*docs, *more])
    assert problems + more_problems + read.problems == []
    assert check_all(read) == []


def test_effective_from_defaults_to_the_calendar_start() -> None:
    result = import_openslo(TEXTS[4:5], provider="netco", customer="acme")  # timeslices sample
    (agreement,) = result.agreements
    assert agreement.effective_from == date(2022, 1, 1)
    assert agreement.id == "acme-web-availability-openslo"
    assert "effective_from set to 2022-01-01" in " ".join(w.message for w in result.warnings)


def test_objectives_only_shape_without_customer() -> None:
    result = import_openslo(TEXTS)
    assert result.errors == []
    assert result.agreements == ()
    assert list(result.config) == [FRAGMENT_KEY]
    entries = result.config[FRAGMENT_KEY]
    assert [e["service"] for e in entries] == ["web", "web-shop", "web-availability"]
    for entry in entries:
        objectives = tuple(from_jsonable(Objective, o) for o in entry["objectives"])
        assert objectives == result.objectives[entry["service"]]
        series = tuple(from_jsonable(Series, s) for s in entry["series"])
        assert {s.id for s in series} == {o.series for o in objectives}
        assert all(s.node == entry["service"] and s.customer is None for s in series)
    assert [s for e in entries for s in e["series"]] == [series_yaml(s) for s in result.series]
    text = render_yaml(result.config)
    assert "Not a configuration file" in text
    assert yaml.safe_load(text) == result.config
    # the configuration reader refuses it, by design: it is a fragment, not a file
    docs, _ = read_yaml(text, "fragment.yaml")
    read = read_documents(docs)
    assert [p.message.split(";")[0] for p in read.problems] == [f"unknown section {FRAGMENT_KEY!r}"]


def test_provider_without_customer_warns_and_emits_objectives_only() -> None:
    result = import_openslo(TEXTS[:1], provider="netco")
    assert list(result.config) == [FRAGMENT_KEY]
    assert any("needs both a provider and a customer" in w.message for w in result.warnings)


def test_emitted_objective_shape() -> None:
    result = import_openslo(
        TEXTS[2:3], provider="netco", customer="acme", effective_from=date(2024, 1, 1)
    )
    assert list(result.config) == ["agreements", "series"]
    assert result.config["series"] == [
        {
            "id": "search-latency",
            "kind": "latency",
            "node": "web-shop",
            "customer": "acme",
            "description": "From OpenSLO SLI 'search-latency' inline in SLO 'search-slo' "
            "(Latency of user searches).",
        }
    ]
    (agreement,) = result.config["agreements"]
    assert agreement == {
        "id": "acme-web-shop-openslo",
        "level": "service",
        "provider": "netco",
        "customer": "acme",
        "service": "web-shop",
        "effective_from": date(2024, 1, 1),
        "title": "web-shop service levels (imported from OpenSLO)",
        "objectives": [
            {
                "id": "search-slo",
                "metric": "latency",
                "percentile": 99,
                "comparator": "<",
                "target": "500ms",
                "period": "rolling 14d",
                "budgeting": "events",
                "series": "search-latency",
                "description": "Searching time (Good experience): Regardless of the number of "
                "paraller searches it never should be more than 500ms.",
            }
        ],
    }
