"""The burn-rate rules exported as a Prometheus rule file: Sloth's recording rule names, one
multiwindow alert per rule with its factor for the objective's period and its ``for``, checked
by Prometheus' own ``promtool`` (installed by ``make``; required in CI)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from servanda.config.loader import load_config
from servanda.documents.prometheus import rule_groups, rules_yaml

CONFIG = """\
parties:
  - {id: isp, name: ISP, roles: [provider]}
  - {id: shop, name: Shop, roles: [customer]}
services:
  - {id: web, name: Web, provider: isp}
subscriptions:
  - {customer: shop, service: web}
series:
  - id: web-requests
    kind: good_total
    node: web
    prometheus:
      error_query: sum(rate(http_requests_total{job="web",code=~"5.."}[{{.window}}]))
      total_query: sum(rate(http_requests_total{job="web"}[{{.window}}]))
agreements:
  - id: shop-web
    level: service
    provider: isp
    customer: shop
    service: web
    effective_from: 2024-01-01
    objectives:
      - {metric: availability, id: requests, target: 99.9%, series: web-requests,
         period: rolling 28d}
      - {metric: availability, id: requests-pyrra, target: 99.5%, series: web-requests,
         period: rolling 28d, burn_windows: scaled}
      - {metric: availability, id: outages, target: 99.9%}
"""


@pytest.fixture(scope="module")
def rule_file(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("cfg") / "shop.yaml"
    path.write_text(CONFIG, encoding="utf-8")
    result = load_config([path])
    assert [str(p) for p in result.problems] == []
    return rules_yaml(rule_groups(result.bundle))


def test_recordings_and_alerts_per_exported_objective(rule_file: str) -> None:
    groups = yaml.safe_load(rule_file)["groups"]
    assert [g["name"] for g in groups] == [
        "servanda-slo-sli-recordings-shop-web-requests",
        "servanda-slo-alerts-shop-web-requests",
        "servanda-slo-sli-recordings-shop-web-requests-pyrra",
        "servanda-slo-alerts-shop-web-requests-pyrra",
    ]  # the outage-based objective lives in Servanda, not in Prometheus
    records = {r["record"] + "/" + r["labels"].get("servanda_window", ""): r for r in
               groups[0]["rules"]}  # fmt: skip
    assert sorted(records) == [
        "slo:error_budget:ratio/", "slo:objective:ratio/",
        "slo:sli_error:ratio_rate1h/1h", "slo:sli_error:ratio_rate30m/30m",
        "slo:sli_error:ratio_rate3d/3d", "slo:sli_error:ratio_rate5m/5m",
        "slo:sli_error:ratio_rate6h/6h",
    ]  # fmt: skip
    five = records["slo:sli_error:ratio_rate5m/5m"]
    assert five["expr"] == (
        '(sum(rate(http_requests_total{job="web",code=~"5.."}[5m])))\n/\n'
        '(sum(rate(http_requests_total{job="web"}[5m])))'
    )
    assert five["labels"] == {"servanda_slo": "shop-web-requests", "servanda_service": "web",
                              "servanda_customer": "shop", "servanda_window": "5m"}  # fmt: skip
    assert records["slo:objective:ratio/"]["expr"] == "0.999"
    assert records["slo:error_budget:ratio/"]["expr"] == "0.001"
    fast, _, ticket = groups[1]["rules"]
    # 2 % of a 28-day budget in 1 h: 13.44 (Sloth's factor for 28 days)
    assert (
        'slo:sli_error:ratio_rate1h{servanda_slo="shop-web-requests"} > (13.44 * 0.001)'
        in (fast["expr"])
    )
    assert "ratio_rate5m" in fast["expr"]
    assert (fast["labels"]["severity"], ticket["labels"]["severity"]) == ("critical", "warning")
    assert "for" not in fast
    pyrra = groups[3]["rules"]
    assert [(r["for"], r["labels"]["long_window"], r["labels"]["short_window"]) for r in pyrra] == [
        ("2m", "1h", "5m"), ("15m", "6h", "30m"), ("1h", "1d", "2h"), ("3h", "4d", "6h"),
    ]  # fmt: skip
    assert "(14 * 0.005)" in pyrra[0]["expr"]


def test_promtool_accepts_the_file(rule_file: str, tmp_path: Path) -> None:
    promtool = shutil.which("promtool")
    if promtool is None:
        if os.environ.get("SERVANDA_REQUIRE_PROMTOOL"):
            pytest.fail("promtool is required (make installs Debian's prometheus package)")
        pytest.skip("promtool is not installed")
    path = tmp_path / "rules.yaml"
    path.write_text(rule_file, encoding="utf-8")
    done = subprocess.run([promtool, "check", "rules", str(path)], capture_output=True,
                          text=True, check=False)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS: 23 rules found" in done.stdout + done.stderr
