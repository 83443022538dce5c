"""Measurement series in the configuration: reading, the checks, and which series an objective
reads."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from servanda.agreements.effective import effective_agreement
from servanda.agreements.metrics import Metric
from servanda.agreements.model import Objective
from servanda.config.loader import load_config
from servanda.config.reader import ReadResult
from servanda.core.problems import Problem
from servanda.declared.bundle import Bundle
from servanda.measure.inputs import Series, SeriesKind
from servanda.measure.series_choice import (
    SERIES_KINDS,
    fitting_kinds,
    series_candidates,
    series_for,
)

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "metro-isp"

BASE = """\
parties:
  - {id: isp, name: ISP, roles: [provider]}
  - {id: acme, name: ACME, roles: [customer]}
  - {id: zeta, name: Zeta, roles: [customer]}
  - {id: carrier, name: Carrier, roles: [carrier]}
services:
  - {id: internet, name: Internet, provider: isp, depends_on: [router]}
  - {id: voice, name: Voice, provider: isp, depends_on: [sbc]}
components:
  - {id: router, kind: router}
  - {id: sbc, kind: sbc}
subscriptions:
  - {customer: acme, service: internet}
  - {customer: acme, service: voice}
  - {customer: zeta, service: internet}
agreements:
  - id: acme-internet
    level: service
    provider: isp
    customer: acme
    service: internet
    effective_from: 2024-01-01
    objectives:
      - {metric: latency, percentile: 95, target: 10ms}
series:
  - {id: acme-latency, kind: latency, node: internet, customer: acme, interval: 1m}
"""


def load(tmp_path: Path, text: str) -> ReadResult:
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return load_config([path])


def problems(tmp_path: Path, text: str) -> list[Problem]:
    return load(tmp_path, text).problems


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


# --- Reading ------------------------------------------------------------------------------------


def test_the_series_section_is_read_into_the_bundle(tmp_path: Path) -> None:
    result = load(tmp_path, BASE)
    assert result.problems == []
    (series,) = result.bundle.series
    assert series == Series(
        id="acme-latency",
        kind=SeriesKind.LATENCY,
        node="internet",
        customer="acme",
        interval=timedelta(minutes=1),
    )
    assert result.bundle.series_by_id == {"acme-latency": series}
    origin = result.origin("series", 0)
    assert origin is not None
    assert origin.location.line == line_of(BASE, "acme-latency")


def test_a_bad_series_field_is_located(tmp_path: Path) -> None:
    text = BASE.replace("kind: latency, node", "kind: latency, colour: red, node")
    text = text.replace("interval: 1m", "interval: often")
    found = problems(tmp_path, text)
    line = line_of(text, "acme-latency")
    assert sorted((p.location.line, p.dotted_path, p.message[:23]) for p in found) == [
        (line, "series[0].colour", "unknown field 'colour'"),
        (line, "series[0].interval", "not a duration: 'often'"),
    ]


def test_a_kind_is_one_of_the_known_ones(tmp_path: Path) -> None:
    found = problems(tmp_path, BASE.replace("kind: latency", "kind: temperature"))
    assert [p.dotted_path for p in found] == ["series[0].kind"]


# --- Checks on the series themselves ------------------------------------------------------------


def test_duplicate_series_ids_point_at_the_first(tmp_path: Path) -> None:
    text = BASE + "  - {id: acme-latency, kind: loss, node: internet}\n"
    (found,) = problems(tmp_path, text)
    assert found.location.line == len(text.splitlines())
    assert found.message.startswith("duplicate series acme-latency (first declared at ")
    assert f":{line_of(text, 'kind: latency')}:" in found.message


@pytest.mark.parametrize(
    ("declared", "field", "message"),
    [
        ("{id: s, kind: loss, node: nowhere}", "node", "unknown service or component 'nowhere'"),
        (
            "{id: s, kind: loss, node: internet, customer: nobody}",
            "customer",
            "unknown party 'nobody'",
        ),
        (
            "{id: s, kind: loss, node: internet, customer: carrier}",
            "customer",
            "party 'carrier' is not a customer",
        ),
        (
            "{id: s, kind: loss, node: voice, customer: zeta}",
            "customer",
            "customer 'zeta' has no subscription to 'voice'",
        ),
        (
            "{id: s, kind: loss, node: sbc, customer: zeta}",
            "customer",
            "customer 'zeta' takes no service that depends on 'sbc'",
        ),
    ],
)
def test_series_name_known_nodes_and_subscribed_customers(
    tmp_path: Path, declared: str, field: str, message: str
) -> None:
    text = BASE + f"  - {declared}\n"
    (found,) = problems(tmp_path, text)
    assert (found.location.line, found.dotted_path, found.message) == (
        len(text.splitlines()),
        f"series[1].{field}",
        message,
    )


def test_a_component_series_may_concern_a_customer_of_a_dependent_service(
    tmp_path: Path,
) -> None:
    assert problems(tmp_path, BASE + "  - {id: s, kind: loss, node: sbc, customer: acme}\n") == []
    assert problems(tmp_path, BASE + "  - {id: s, kind: loss, node: router}\n") == []


# --- Objectives naming a series -----------------------------------------------------------------


def with_objective(objective: str, *series: str) -> str:
    text = BASE.replace(
        "      - {metric: latency, percentile: 95, target: 10ms}\n", f"      - {objective}\n"
    )
    return text + "".join(f"  - {s}\n" for s in series)


def test_an_objective_names_a_declared_series(tmp_path: Path) -> None:
    text = with_objective("{metric: latency, target: 10ms, series: acme-latncy}")
    (found,) = problems(tmp_path, text)
    assert found.location.line == line_of(text, "acme-latncy")
    assert found.dotted_path == "agreements[0].objectives[0].series"
    assert found.message == "unknown series 'acme-latncy'; declared: acme-latency"


def test_an_undeclared_series_says_when_none_is_declared(tmp_path: Path) -> None:
    text = with_objective("{metric: latency, target: 10ms, series: probe}")
    text = text[: text.index("series:\n  - {id: acme-latency")]
    (found,) = problems(tmp_path, text)
    assert found.message == "unknown series 'probe'; no series is declared (section 'series')"


@pytest.mark.parametrize(
    ("metric", "kind", "fits"),
    [
        ("latency", "latency", True),
        ("latency", "one_way_delay", False),
        ("one_way_delay", "one_way_delay", True),
        ("one_way_delay", "packets", True),
        ("one_way_delay", "latency", False),
        ("jitter", "jitter", True),
        ("jitter", "packets", True),
        ("jitter", "latency", False),
        ("throughput", "throughput", True),
        ("throughput", "good_total", False),
        ("packet_loss", "loss", True),
        ("packet_loss", "good_total", False),
        ("good_ratio", "good_total", True),
        ("good_ratio", "loss", True),
        ("good_ratio", "throughput", False),
        ("availability", "good_total", True),
        ("availability", "latency", False),
    ],
)
def test_the_series_kind_fits_the_metric(
    tmp_path: Path, metric: str, kind: str, fits: bool
) -> None:
    target = {"throughput": "1Gbit/s", "availability": "99%", "good_ratio": "99%"}.get(
        metric, "0.5%" if metric == "packet_loss" else "10ms"
    )
    text = with_objective(
        f"{{metric: {metric}, target: {target}, series: s}}",
        f"{{id: s, kind: {kind}, node: internet, customer: acme}}",
    )
    found = problems(tmp_path, text)
    if fits:
        assert found == []
        return
    (problem,) = found
    assert problem.dotted_path == "agreements[0].objectives[0].series"
    wanted = " or ".join(k.value for k in fitting_kinds(Metric(metric)))
    assert (
        problem.message
        == f"series 's' measures {kind}; {metric} is computed from a {wanted} series"
    )


def test_an_objective_not_computed_from_measurements_names_no_series(tmp_path: Path) -> None:
    text = with_objective("{metric: mttr, target: 4h, series: acme-latency}")
    (found,) = problems(tmp_path, text)
    assert found.message == ("mttr is not computed from a measurement series; remove 'series'")


def test_a_named_series_concerns_the_agreements_customer_and_service(tmp_path: Path) -> None:
    text = with_objective(
        "{metric: latency, target: 10ms, series: zeta-latency}",
        "{id: zeta-latency, kind: latency, node: internet, customer: zeta}",
    )
    (found,) = problems(tmp_path, text)
    assert found.message == "series 'zeta-latency' concerns customer 'zeta', not 'acme'"
    text = with_objective(
        "{metric: latency, target: 10ms, series: voice-latency}",
        "{id: voice-latency, kind: latency, node: sbc}",
    )
    (found,) = problems(tmp_path, text)
    assert (
        found.message
        == "series 'voice-latency' is about 'sbc', which 'internet' does not depend on"
    )
    text = with_objective(
        "{metric: latency, target: 10ms, series: router-latency}",
        "{id: router-latency, kind: latency, node: router}",
    )
    assert problems(tmp_path, text) == []


# --- Default series -----------------------------------------------------------------------------


def test_an_ambiguous_default_is_refused_at_the_objective(tmp_path: Path) -> None:
    text = BASE + "  - {id: acme-latency-2, kind: latency, node: internet, customer: acme}\n"
    (found,) = problems(tmp_path, text)
    assert found.location.line == line_of(text, "metric: latency")
    assert found.dotted_path == "agreements[0].objectives[0]"
    assert found.message == (
        "objective 'latency-p95' of acme/internet could read series 'acme-latency' or "
        "'acme-latency-2'; name one with 'series:'"
    )
    named = text.replace("target: 10ms}", "target: 10ms, series: acme-latency-2}")
    assert problems(tmp_path, named) == []


def test_an_inherited_objective_is_ambiguous_once_at_its_source(tmp_path: Path) -> None:
    text = (
        BASE.replace("level: service", "level: customer")
        .replace("    service: internet\n    effective_from", "    effective_from")
        .replace(
            "acme-latency, kind: latency, node: internet, customer: acme",
            "shared-1, kind: latency, node: voice",
        )
        + "  - {id: shared-2, kind: latency, node: voice}\n"
    )
    found = problems(tmp_path, text)
    assert [p.message for p in found] == [
        "objective 'latency-p95' of acme/voice could read series 'shared-1' or 'shared-2'; "
        "name one with 'series:'"
    ]


def bundle_of(*series: Series) -> Bundle:
    return Bundle(series=series)


LATENCY = Objective(metric=Metric.LATENCY, target=10)


def test_series_for_prefers_the_customers_own_series() -> None:
    own = Series(id="own", kind=SeriesKind.LATENCY, node="internet", customer="acme")
    shared = Series(id="shared", kind=SeriesKind.LATENCY, node="internet")
    other = Series(id="other", kind=SeriesKind.LATENCY, node="internet", customer="zeta")
    b = bundle_of(shared, own, other)
    assert series_for(b, LATENCY, "acme", "internet") == own
    assert series_for(b, LATENCY, "zeta", "internet") == other
    assert series_for(b, LATENCY, "omega", "internet") == shared
    assert series_for(b, LATENCY, None, "internet") == shared
    assert series_for(b, LATENCY, "acme", "voice") is None
    assert series_for(b, LATENCY, "acme", None) is None


def test_series_for_tries_kinds_in_order_and_reads_no_component_series() -> None:
    jitter = Objective(metric=Metric.JITTER, target=1)
    packets = Series(id="packets", kind=SeriesKind.PACKETS, node="voice", customer="acme")
    reported = Series(id="reported", kind=SeriesKind.JITTER, node="voice", customer="acme")
    on_sbc = Series(id="on-sbc", kind=SeriesKind.JITTER, node="sbc", customer="acme")
    assert series_for(bundle_of(packets, reported, on_sbc), jitter, "acme", "voice") == reported
    assert series_for(bundle_of(packets, on_sbc), jitter, "acme", "voice") == packets
    assert series_for(bundle_of(on_sbc), jitter, "acme", "voice") is None


def test_series_for_a_named_series_and_for_metrics_without_one() -> None:
    own = Series(id="own", kind=SeriesKind.LATENCY, node="internet", customer="acme")
    named = Objective(metric=Metric.LATENCY, target=10, series="own")
    assert series_for(bundle_of(own), named, "zeta", "voice") == own
    missing = Objective(metric=Metric.LATENCY, target=10, series="gone")
    assert series_for(bundle_of(own), missing, "acme", "internet") is None
    counts = Series(id="ok", kind=SeriesKind.GOOD_TOTAL, node="internet", customer="acme")
    availability = Objective(metric=Metric.AVAILABILITY, target=99)
    assert series_for(bundle_of(counts), availability, "acme", "internet") is None


def test_series_for_gives_none_when_ambiguous() -> None:
    a = Series(id="a", kind=SeriesKind.LATENCY, node="internet", customer="acme")
    b = Series(id="b", kind=SeriesKind.LATENCY, node="internet", customer="acme")
    assert series_candidates(bundle_of(a, b), LATENCY, "acme", "internet") == [a, b]
    assert series_for(bundle_of(a, b), LATENCY, "acme", "internet") is None


KINDS = list(SeriesKind)
MEASURED = list(SERIES_KINDS)
declared_series = st.lists(
    st.builds(
        lambda kind, node, customer: (kind, node, customer),
        st.sampled_from(KINDS),
        st.sampled_from(["internet", "voice", "sbc"]),
        st.sampled_from(["acme", "zeta", None]),
    ),
    max_size=8,
)


@given(declared_series, st.sampled_from(MEASURED), st.sampled_from(["acme", "zeta"]))
def test_a_default_series_fits_and_is_the_only_one_of_its_step(
    declared: list[tuple[SeriesKind, str, str | None]], metric: Metric, customer: str
) -> None:
    series = tuple(
        Series(id=f"s{i}", kind=kind, node=node, customer=who)
        for i, (kind, node, who) in enumerate(declared)
    )
    objective = Objective(metric=metric, target=1)
    found = series_for(Bundle(series=series), objective, customer, "internet")
    own = [s for s in series if s.node == "internet" and s.kind in SERIES_KINDS[metric]]
    if found is None:
        # nothing fits, or the first step with a candidate has several
        steps = [
            [s for s in own if s.customer == who and s.kind is kind]
            for who in (customer, None)
            for kind in SERIES_KINDS[metric]
        ]
        first = next((step for step in steps if step), [])
        assert len(first) != 1
        return
    assert found.kind in SERIES_KINDS[metric]
    assert found.node == "internet"
    assert found.customer in (customer, None)
    if found.customer is None:
        assert not any(s.customer == customer for s in own)


# --- The example ----------------------------------------------------------------------------------


def test_every_measured_objective_of_the_example_reads_one_series() -> None:
    result = load_config([EXAMPLE])
    assert [str(p) for p in result.problems] == []
    b = result.bundle
    read: dict[tuple[str, str, str], str] = {}
    for sub in b.subscriptions:
        for day in (date(2024, 4, 1), date(2024, 4, 15)):
            eff = effective_agreement(b.agreements, "metro-isp", sub.customer, sub.service, day)
            for sourced in eff.objectives:
                o = sourced.value
                if o.metric not in SERIES_KINDS:
                    continue
                found = series_for(b, o, sub.customer, sub.service)
                assert found is not None, f"{sub.customer}/{sub.service} {o.id}"
                read[(sub.customer, sub.service, o.id)] = found.id
    assert read[("bertin-associes", "managed-vpn", "latency-p95")] == "bertin-vpn-latency"
    assert read[("bertin-associes", "managed-vpn", "packet-loss")] == "bertin-vpn-loss"
    assert read[("hospital", "ip-telephony", "jitter-p95")] == "hospital-voice-packets"
    assert read[("hospital", "ip-telephony", "call-setup-success")] == "sip-call-setup"
    assert read[("horizon-sport", "video-streaming", "stream-start-success")] == "stream-starts"
    assert read[("quai-capital", "internet-access", "jitter")] == "quai-internet-jitter"
    assert len(read) == 21
    assert sorted(set(read.values())) == sorted(b.series_by_id)  # no series declared for nothing
