"""The dashboard in a real browser: Playwright driving Debian's Chromium (``/usr/bin/chromium``,
installed by ``make test``; Playwright downloads no browser) against a real ``servanda serve``
on the example's billed month. An operator logs in, walks the board, opens an incident and
acknowledges it, opens a report and downloads an invoice PDF; a customer sees its own board
and invoices and gets "not found" for another customer's report and invoice.

Screenshots of every page are kept in ``test-artifacts/browser/``. Without Chromium the tests
are skipped; with ``SERVANDA_REQUIRE_CHROMIUM=1`` (as in CI) they fail instead."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from servanda.core.access import LOCAL_ADMIN, Role
from servanda.services import billing, closing, configuration, incidents, tokens
from servanda.services.example_month import load_example_month
from servanda.storage.database import make_engine
from servanda.storage.migrate import upgrade

from .processes import Server

CHROMIUM = Path("/usr/bin/chromium")
REQUIRE_ENV = "SERVANDA_REQUIRE_CHROMIUM"
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "metro-isp"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
NOW = datetime(2024, 5, 3, tzinfo=UTC)
FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
"""Chromium without its calls home (refused on a closed network), as root in a container."""


def _need_chromium() -> None:
    problem = None
    if not CHROMIUM.exists():
        problem = f"{CHROMIUM} is missing (Debian package chromium, installed by make test)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            problem = "the playwright package is missing (pip install -e '.[dev]')"
    if problem is not None:
        if os.environ.get(REQUIRE_ENV) == "1":
            pytest.fail(f"{problem}\n{REQUIRE_ENV}=1 requires it", pytrace=False)
        pytest.skip(problem)


@dataclass(frozen=True)
class Site:
    base: str
    operator: str
    customer: str
    other_invoice: int
    own_invoice: int
    incident: str | None


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    _need_chromium()
    url = f"sqlite:///{tmp_path_factory.mktemp('browser') / 'servanda.db'}"
    upgrade(url)
    engine = make_engine(url)
    try:
        configuration.load(engine, [EXAMPLE], NOW)
        load_example_month(engine, EXAMPLE, NOW)
        closing.close_period(engine, LOCAL_ADMIN, "2024-04", NOW)
        run = billing.bill(engine, LOCAL_ADMIN, "2024-04", NOW)
        billing.issue(engine, LOCAL_ADMIN, "2024-04", NOW, run.drafts)
        issued = billing.invoices(engine, LOCAL_ADMIN, period="2024-04")
        own = next(i.id for i in issued if i.account == "quai-capital")
        other = next(i.id for i in issued if i.account == "horizon-sport")
        detected = [
            i.id for i in incidents.list_incidents(engine, LOCAL_ADMIN, limit=500)
            if i.state.value == "detected"
        ]  # fmt: skip
        operator = tokens.create_token(engine, LOCAL_ADMIN, Role.OPERATOR, None, "noc", NOW)[1]
        customer = tokens.create_token(
            engine, LOCAL_ADMIN, Role.CUSTOMER, "quai-capital", "quai", NOW
        )[1]
    finally:
        engine.dispose()
    server = Server(url, operator)
    try:
        yield Site(f"http://127.0.0.1:{server.port}", operator, customer, other, own,
                   detected[0] if detected else None)  # fmt: skip
    finally:
        server.stop()


@pytest.fixture(scope="module")
def chromium(site: Site) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=FLAGS)
        try:
            yield browser
        finally:
            browser.close()


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def log_in(browser: Any, site: Site, token: str, width: int = 1280) -> Any:
    context = browser.new_context(viewport={"width": width, "height": 900}, accept_downloads=True)
    page = context.new_page()
    page.goto(f"{site.base}/board?month=2024-04")
    assert "/login" in page.url
    page.get_by_label("API token").fill(token)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/board\?month=2024-04$"))
    return page


def test_an_operator_walks_the_board_acts_and_downloads(chromium: Any, site: Site) -> None:
    page = log_in(chromium, site, site.operator)
    assert page.get_by_role("heading", name="Status board").is_visible()
    assert page.locator("tbody#board-rows tr.breached").count() > 0
    shot(page, "operator-board")
    page.get_by_label("Status", exact=True).select_option("at_risk")
    page.get_by_role("button", name="Show").click()
    rows = page.locator("tbody#board-rows tr")
    assert rows.count() > 0
    assert rows.count() == page.locator("tbody#board-rows tr.at_risk").count()

    if site.incident is not None:
        page.goto(f"{site.base}/incidents/{site.incident}")
        assert page.get_by_role("heading", name="Root cause and symptoms").is_visible()
        shot(page, "operator-incident")
        page.get_by_label("Note").first.fill("taken from the browser")
        page.get_by_role("button", name="Acknowledge").click()
        page.wait_for_load_state()
        assert page.get_by_text("taken from the browser").is_visible()
        assert page.locator(".state.acknowledged").first.is_visible()
        shot(page, "operator-incident-acknowledged")

    page.goto(f"{site.base}/map")
    node = page.locator('svg.map [data-node="core-router-2"]')
    node.focus()  # its dependencies light up, the rest dims
    assert page.locator("svg.map .node.lit").count() > 1
    assert page.locator("svg.map .node.dim").count() > 0
    shot(page, "operator-map")

    page.goto(f"{site.base}/reports/horizon-sport?period=2024-04")
    assert "Horizon Sport" in page.content()
    shot(page, "operator-report")

    page.goto(f"{site.base}/invoices?period=2024-04")
    shot(page, "operator-invoices")
    with page.expect_download() as download:
        page.locator(f'a[href="/invoices/{site.own_invoice}?format=pdf"]').click()
    saved = ARTIFACTS / "invoice.pdf"
    download.value.save_as(str(saved))
    assert saved.read_bytes().startswith(b"%PDF")
    page.context.close()


def test_a_customer_sees_its_own_and_nothing_else(chromium: Any, site: Site) -> None:
    page = log_in(chromium, site, site.customer, width=390)  # a phone's width
    text = page.locator("tbody#board-rows").inner_text()
    assert "Quai Capital" in text
    assert "Horizon Sport" not in text
    shot(page, "customer-board-phone")
    answer = page.goto(f"{site.base}/reports/horizon-sport?period=2024-04")
    assert answer is not None
    assert answer.status == 404
    answer = page.goto(f"{site.base}/invoices/{site.other_invoice}")
    assert answer is not None
    assert answer.status == 404
    page.goto(f"{site.base}/invoices")
    assert page.locator("tbody tr").count() >= 1
    assert "horizon-sport" not in page.locator("tbody").inner_text()
    shot(page, "customer-invoices")
    page.context.close()


AXE = Path(__file__).resolve().parents[2] / ".venv" / "axe" / "node_modules" / "axe-core"


@pytest.mark.parametrize(
    "path",
    ["/login", "/board?month=2024-04", "/incidents?state=all", "/map", "/agreements",
     "/invoices", "/feedback", "/settlements"],
)  # fmt: skip
def test_pages_pass_the_accessibility_checks(chromium: Any, site: Site, path: str) -> None:
    """axe-core (the engine of Lighthouse's accessibility audit) finds no serious or critical
    violation of WCAG 2.1 A and AA: labels, contrast, landmarks, names of controls."""
    script = AXE / "axe.min.js"
    if not script.exists():
        problem = f"{script} is missing (make test installs axe-core from npm)"
        if os.environ.get(REQUIRE_ENV) == "1":
            pytest.fail(problem, pytrace=False)
        pytest.skip(problem)
    context = chromium.new_context(bypass_csp=True)  # to inject the checker into the page
    page = context.new_page()
    if path != "/login":
        page.goto(f"{site.base}/login")
        page.get_by_label("API token").fill(site.operator)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(re.compile(r"/board"))
    page.goto(f"{site.base}{path}")
    page.add_script_tag(path=str(script))
    found = page.evaluate(
        "async () => (await axe.run(document, {runOnly: {type: 'tag', values: "
        "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})).violations"
        ".map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.length,"
        " target: v.nodes[0].target}))"
    )
    context.close()
    serious = [v for v in found if v["impact"] in ("serious", "critical")]
    assert serious == [], serious
