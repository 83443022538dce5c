"""Where a subscription attaches its customer (``access``, ``site``, ``port``) and the check."""

from __future__ import annotations

from pathlib import Path

from servanda.config.loader import load_config
from servanda.config.reader import ReadResult

BASE = """\
parties:
  - {id: isp, name: ISP, roles: [provider]}
  - {id: acme, name: ACME, roles: [customer]}
services:
  - {id: internet, name: Internet, provider: isp, depends_on: [core]}
  - {id: lab, name: Lab, provider: isp}
components:
  - {id: core, kind: router}
  - {id: backhaul, kind: leased-line, depends_on: [core]}
  - {id: sw-north, kind: switch, depends_on: [backhaul]}
  - {id: cpe-9, kind: cpe}
subscriptions:
  - {customer: acme, service: internet, access: sw-north, site: "12 rue Haute", port: ge-0/0/7}
"""


def load(tmp_path: Path, text: str) -> ReadResult:
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return load_config([path])


def messages(tmp_path: Path, text: str) -> list[str]:
    return [
        str(p).replace(str(tmp_path / "config.yaml"), "config.yaml")
        for p in load(tmp_path, text).problems
    ]


def test_access_site_and_port_are_read(tmp_path: Path) -> None:
    result = load(tmp_path, BASE)
    assert result.problems == []
    (sub,) = result.bundle.subscriptions
    assert (sub.access, sub.site, sub.port) == ("sw-north", "12 rue Haute", "ge-0/0/7")
    assert result.bundle.subscriptions_down_with("sw-north") == (sub,)
    assert result.bundle.subscriptions_down_with("internet") == (sub,)
    assert result.bundle.subscriptions_down_with("backhaul") == ()


def test_an_unknown_access_node_is_located(tmp_path: Path) -> None:
    text = BASE.replace("access: sw-north", "access: sw-nrth")
    assert messages(tmp_path, text) == [
        "config.yaml:13:49: subscriptions[0].access: unknown component 'sw-nrth'"
    ]


def test_access_names_a_component_not_a_service(tmp_path: Path) -> None:
    text = BASE.replace("access: sw-north", "access: lab")
    (message,) = messages(tmp_path, text)
    assert message.startswith("config.yaml:13:49: subscriptions[0].access: 'lab' is a service")


def test_an_access_node_off_the_map_of_the_service_is_refused(tmp_path: Path) -> None:
    text = BASE.replace("access: sw-north", "access: cpe-9")
    (message,) = messages(tmp_path, text)
    assert message == (
        "config.yaml:13:49: subscriptions[0].access: access node 'cpe-9' is not on the map of "
        "'internet': it depends on nothing 'internet' depends on; declare its uplinks in its "
        "depends_on"
    )
    # Hung from the core, it is on the map.
    fixed = text.replace("{id: cpe-9, kind: cpe}", "{id: cpe-9, kind: cpe, depends_on: [core]}")
    assert messages(tmp_path, fixed) == []


def test_a_node_the_service_depends_on_or_a_service_without_a_map_is_accepted(
    tmp_path: Path,
) -> None:
    assert messages(tmp_path, BASE.replace("access: sw-north", "access: core")) == []
    text = BASE.replace("service: internet, access: sw-north", "service: lab, access: cpe-9")
    assert messages(tmp_path, text) == []
