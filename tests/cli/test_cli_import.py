"""``servanda import openslo``: a small SLO becomes configuration that ``servanda check`` reads."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from .cli_support import LOCATED, copy_example, no_traceback, ok, run

OPENSLO = """\
apiVersion: openslo/v1
kind: SLI
metadata:
  name: http-ok
spec:
  ratioMetric:
    good:
      metricSource: {type: Prometheus, spec: {query: 'sum(ok)'}}
    total:
      metricSource: {type: Prometheus, spec: {query: 'sum(all)'}}
---
apiVersion: openslo/v1
kind: SLO
metadata:
  name: portal-availability
spec:
  service: portal
  indicatorRef: http-ok
  timeWindow:
    - duration: 1M
      isRolling: false
      calendar: {startTime: "2024-01-01 00:00:00", timeZone: Europe/Paris}
  budgetingMethod: Occurrences
  objectives:
    - displayName: requests served
      target: 0.999
"""

MALFORMED = """\
apiVersion: openslo/v1
kind: SLO
metadata: {name: broken}
spec:
  service: portal
  budgetingMethod: Occurrences
  objectives: [{target: 0.99}
---
kind: SLI
spec: {}
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def agreement_args(customer: str, service: str, out: Path) -> list[str | Path]:
    return [
        "--provider", "metro-isp", "--customer", customer, "--service", service,
        "--effective-from", "2024-01-01", "--out", out,
    ]  # fmt: skip


def test_import_writes_a_file_that_checks_with_the_example(tmp_path: Path) -> None:
    source = write(tmp_path, "slo.yaml", OPENSLO)
    root = copy_example(tmp_path)
    target = root / "agreements" / "lumiere-tv-openslo.yaml"
    result = ok(
        "import", "openslo", source, *agreement_args("lumiere-tv", "internet-access", target)
    )
    assert f"wrote {target}" in result.stdout
    assert "1 objective(s), 1 series," in result.stderr
    assert "0 error(s)" in result.stderr

    written = yaml.safe_load(target.read_text(encoding="utf-8"))
    (agreement,) = written["agreements"]
    assert agreement["customer"] == "lumiere-tv"
    assert agreement["service"] == "internet-access"
    assert str(agreement["effective_from"]) == "2024-01-01"
    assert [o["metric"] for o in agreement["objectives"]] == ["availability"]
    assert agreement["objectives"][0]["target"] == "99.9%"
    assert agreement["objectives"][0]["series"] == "http-ok"
    assert written["series"] == [
        {
            "id": "http-ok",
            "kind": "good_total",
            "node": "internet-access",
            "customer": "lumiere-tv",
            "description": "From OpenSLO SLI 'http-ok'.",
        }
    ]

    checked = ok("check", root)
    assert checked.stdout.startswith("ok: 16 files")  # the example's 15 and the imported one
    assert "17 agreement versions" in checked.stdout


def test_import_for_hospital_internet_access(tmp_path: Path) -> None:
    """The hospital already has a service agreement for Internet access: a second one, in
    force the same day, is reported as competing with it, at its place."""
    source = write(tmp_path, "slo.yaml", OPENSLO)
    root = copy_example(tmp_path)
    target = root / "agreements" / "hospital-openslo.yaml"
    ok("import", "openslo", source, *agreement_args("hospital", "internet-access", target))
    result = run("check", root)
    assert result.exit_code == 1
    assert "hospital-internet" in result.stderr
    assert "hospital-internet-access-openslo" in result.stderr
    assert all(LOCATED.match(line) for line in result.stderr.splitlines())


def test_import_without_out_prints_the_yaml(tmp_path: Path) -> None:
    source = write(tmp_path, "slo.yaml", OPENSLO)
    result = ok("import", "openslo", source)
    document = yaml.safe_load(result.stdout)
    assert "portal-availability" in result.stdout
    (entry,) = document["openslo_objectives"]
    assert entry["series"] == [
        {
            "id": "http-ok",
            "kind": "good_total",
            "node": "portal",
            "description": "From OpenSLO SLI 'http-ok'.",
        }
    ]


def test_import_as_json(tmp_path: Path) -> None:
    source = write(tmp_path, "slo.yaml", OPENSLO)
    result = ok(
        "import", "openslo", source, "--provider", "metro-isp", "--customer", "hospital",
        "--service", "internet-access", "--effective-from", "2024-01-01", "--format", "json",
    )  # fmt: skip
    data = json.loads(result.stdout)
    assert data["ok"] is True
    assert data["errors"] == []
    assert data["warnings"]
    assert all(w["line"] for w in data["warnings"])
    assert data["config"]["agreements"][0]["customer"] == "hospital"
    assert [(s["id"], s["node"], s["customer"]) for s in data["config"]["series"]] == [
        ("http-ok", "internet-access", "hospital")
    ]


def test_malformed_openslo_gives_located_errors_and_writes_nothing(tmp_path: Path) -> None:
    source = write(tmp_path, "bad.yaml", MALFORMED)
    target = tmp_path / "out.yaml"
    result = run("import", "openslo", source, "--out", target)
    assert result.exit_code == 1
    no_traceback(result)
    assert not target.exists()
    errors = [line for line in result.stderr.splitlines() if "YAML syntax error" in line]
    assert errors
    assert all(LOCATED.match(line) for line in errors)
    assert all(line.startswith(f"{source}:") for line in errors)

    data = json.loads(run("import", "openslo", source, "--format", "json").stdout)
    assert data["ok"] is False
    assert data["errors"]
    for error in data["errors"]:
        assert error["file"] == str(source)
        assert isinstance(error["line"], int)
        assert isinstance(error["column"], int)


def test_openslo_objects_with_wrong_fields(tmp_path: Path) -> None:
    source = write(
        tmp_path,
        "wrong.yaml",
        "apiVersion: openslo/v1\nmetadata: {name: x}\n---\nkind: SLO\nspec: {}\n",
    )
    result = run("import", "openslo", source, "--format", "json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert [(e["line"], e["column"], e["path"]) for e in data["errors"]][:2] == [
        (1, 1, "kind"),
        (4, 1, "metadata.name"),
    ]


def test_missing_openslo_file_is_a_usage_error(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.yaml"
    result = run("import", "openslo", missing)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {missing}: cannot read")
    no_traceback(result)


def test_bad_effective_from_is_a_usage_error(tmp_path: Path) -> None:
    source = write(tmp_path, "slo.yaml", OPENSLO)
    result = run("import", "openslo", source, "--effective-from", "2024-02-30")
    assert result.exit_code == 2
    assert "not a date" in result.stderr


def test_out_path_that_cannot_be_written(tmp_path: Path) -> None:
    source = write(tmp_path, "slo.yaml", OPENSLO)
    target = tmp_path / "missing-directory" / "out.yaml"
    result = run("import", "openslo", source, "--out", target)
    assert result.exit_code == 2
    assert f"{target}: cannot write" in result.stderr
    no_traceback(result)
