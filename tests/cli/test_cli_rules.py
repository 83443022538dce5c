"""``servanda sla rules``: the Prometheus rule file of the stored agreements."""

from __future__ import annotations

from pathlib import Path

import yaml
from tests.documents.test_prometheus_rules import CONFIG

from .cli_support import ok, run


def test_the_rule_file_of_the_stored_agreements(migrated: str, tmp_path: Path) -> None:
    config = tmp_path / "shop.yaml"
    config.write_text(CONFIG, encoding="utf-8")
    ok("load", config, db=migrated)
    groups = yaml.safe_load(ok("sla", "rules", db=migrated).stdout)["groups"]
    assert len(groups) == 4
    out = tmp_path / "rules.yaml"
    ok("sla", "rules", "--agreement", "shop-web", "--out", out, db=migrated)
    assert yaml.safe_load(out.read_text(encoding="utf-8"))["groups"] == groups
    missing = run("sla", "rules", "--agreement", "nope", db=migrated)
    assert missing.exit_code == 1
    assert "no agreement 'nope'" in missing.stderr
