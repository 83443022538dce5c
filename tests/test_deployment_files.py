"""The deployment files hold what docs/deployment.md says: a multi-stage Dockerfile running as
a user other than root with a health check, a compose file with a health-checked PostgreSQL,
a hardened systemd unit that systemd itself accepts, and a guide naming every setting."""

from __future__ import annotations

import configparser
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from sqlalchemy.engine import make_url

from servanda.api.settings import ApiSettings
from servanda.services.event_settings import EventSettings

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = ROOT / "Dockerfile"
COMPOSE = ROOT / "compose.yaml"
UNIT = ROOT / "deploy" / "servanda.service"
GUIDE = ROOT / "docs" / "deployment.md"


def instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of a Dockerfile, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", path.read_text(encoding="utf-8"))
    found = []
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            word, _, rest = line.strip().partition(" ")
            found.append((word.upper(), rest.strip()))
    return found


def final_stage(steps: list[tuple[str, str]]) -> list[tuple[str, str]]:
    last = max(i for i, (word, _) in enumerate(steps) if word == "FROM")
    return steps[last:]


def test_dockerfile() -> None:
    steps = instructions(DOCKERFILE)
    froms = [rest for word, rest in steps if word == "FROM"]
    assert len(froms) == 2
    assert all(f.startswith("python:3.11-slim") for f in froms), froms
    run = final_stage(steps)
    users = [rest for word, rest in run if word == "USER"]
    assert users, "the image runs as root"
    assert users[-1].split(":")[0] not in {"root", "0"}
    (check,) = [rest for word, rest in run if word == "HEALTHCHECK"]
    assert "/healthz" in check
    assert "CMD" in check
    assert ("EXPOSE", "8000") in run
    assert any(word == "COPY" and rest.startswith("--from=build") for word, rest in run)
    (cmd,) = [rest for word, rest in run if word == "CMD"]
    shell = " ".join(json.loads(cmd))
    assert shell.index("servanda db upgrade") < shell.index("servanda serve --host 0.0.0.0")
    env = " ".join(rest for word, rest in run if word == "ENV")
    assert "SERVANDA_DATABASE_URL=" in env
    for word, rest in steps:  # everything copied from the context exists and is not ignored
        if word == "COPY" and not rest.startswith("--from"):
            for source in rest.split()[:-1]:
                assert (ROOT / source).exists(), source
    lines = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    ignored = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    assert {".venv", "*.db", ".git"} <= set(ignored)
    assert not {"src", "pyproject.toml", "README.md"} & set(ignored)


def test_compose_file() -> None:
    compose = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    services = compose["services"]
    assert set(services) == {"db", "servanda"}
    db, app = services["db"], services["servanda"]
    assert db["image"].startswith("postgres:")
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    volume = db["volumes"][0].split(":")[0]
    assert volume in compose["volumes"]
    assert app["build"] == "."
    assert app["depends_on"] == {"db": {"condition": "service_healthy"}}
    url = app["environment"]["SERVANDA_DATABASE_URL"].replace("${POSTGRES_PASSWORD:-", "")
    parsed = make_url(url.replace("}", ""))
    assert (parsed.drivername, parsed.host, parsed.database) == (
        "postgresql+psycopg",
        "db",
        db["environment"]["POSTGRES_DB"],
    )
    assert all(isinstance(v, str) for v in app["environment"].values())


def unit() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(UNIT.read_text(encoding="utf-8"))
    return parser


def test_systemd_unit() -> None:
    parsed = unit()
    assert parsed.sections() == ["Unit", "Service", "Install"]
    service = parsed["Service"]
    assert service["ExecStart"].endswith("servanda serve")
    assert service["ExecStartPre"].endswith("servanda db upgrade")
    assert service.get("DynamicUser") == "yes" or service.get("User") not in (None, "root")
    for key, value in {
        "ProtectSystem": "strict",
        "ProtectHome": "yes",
        "PrivateTmp": "yes",
        "NoNewPrivileges": "yes",
        "CapabilityBoundingSet": "",
    }.items():
        assert service[key] == value, key
    assert parsed["Install"]["WantedBy"] == "multi-user.target"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze")
def test_systemd_accepts_the_unit(tmp_path: Path) -> None:
    """``systemd-analyze verify``, with this virtualenv's servanda as the command."""
    servanda = Path(sys.executable).parent / "servanda"
    text = UNIT.read_text(encoding="utf-8").replace("/opt/servanda/bin/servanda", str(servanda))
    copy = tmp_path / "servanda.service"
    copy.write_text(text, encoding="utf-8")
    done = subprocess.run(
        ["systemd-analyze", "verify", str(copy)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (done.returncode, done.stdout + done.stderr) == (0, "")


def test_the_guide_names_every_setting() -> None:
    guide = GUIDE.read_text(encoding="utf-8")
    named = {f"SERVANDA_{name.upper()}" for name in ApiSettings.model_fields}
    named |= {"SERVANDA_HOST", "SERVANDA_PORT", "SERVANDA_WORKERS", "SERVANDA_LOG_FORMAT",
              "SERVANDA_LOG_LEVEL"}  # fmt: skip
    for name in sorted(named):
        assert f"`{name}`" in guide, name
    events = guide[guide.index("`SERVANDA_EVENTS_*`") :].split("\n", 1)[0]
    for name in EventSettings.model_fields:
        assert f"`{name.upper()}`" in events, name
    in_code = set(re.findall(r"SERVANDA_[A-Z_]+[A-Z]", _sources()))
    for name in sorted(in_code - {"SERVANDA_EVENTS"}):
        short = name.removeprefix("SERVANDA_EVENTS_")
        assert name in guide or f"`{short}`" in events, name


def _sources() -> str:
    return "\n".join(
        p.read_text(encoding="utf-8") for p in (ROOT / "src" / "servanda").rglob("*.py")
    )


def _docker_daemon() -> bool:
    if shutil.which("docker") is None:
        return False
    done = subprocess.run(
        ["docker", "version", "--format", "{{.Server.Version}}"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    return done.returncode == 0 and bool(done.stdout.strip())


@pytest.mark.slow
def test_the_image_builds_and_is_healthy() -> None:
    if not _docker_daemon():
        pytest.skip("no Docker daemon to build the image with")
    tag = "servanda:test"
    subprocess.run(["docker", "build", "-t", tag, str(ROOT)], check=True, timeout=1800)
    done = subprocess.run(
        ["docker", "run", "--rm", "--entrypoint", "sh", tag, "-c", "id -u && servanda --version"],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    uid, version = done.stdout.split("\n", 1)
    assert uid != "0"
    assert version.startswith("servanda ")
