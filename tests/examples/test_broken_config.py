"""Break the example in many ways at once: every mistake is reported, each at its place.

The example is copied to a temporary directory and edited the way people get configuration
wrong: a typo in a reference, a target written with a decimal comma or the wrong unit, a
dependency cycle, a duplicate id, an unclosed quote in another file, an unknown time zone, an
unknown field, a target loosened without ``override: true``, and an unknown access node. One
load must report all of them — not the first one, not one per stage — each with its file, line,
column and field path.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from servanda.config.loader import load_config
from servanda.core.problems import Problem

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "metro-isp"


@dataclass(frozen=True)
class Expected:
    """A problem the broken example must report."""

    file: str
    """Relative to the example directory."""
    path: str
    """Dotted field path."""
    message: str
    """A fragment of the message."""
    line: int
    column: int


def edit(root: Path, file: str, old: str, new: str) -> None:
    """Replace the one occurrence of ``old`` in ``file``."""
    path = root / file
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} is not unique in {file}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def position(root: Path, file: str, marker: str, offset: int = 0, nth: int = 1) -> tuple[int, int]:
    """1-based (line, column) of the ``nth`` occurrence of ``marker``, moved ``offset`` columns."""
    text = (root / file).read_text(encoding="utf-8")
    at = -1
    for _ in range(nth):
        at = text.index(marker, at + 1)
    line = text.count("\n", 0, at) + 1
    column = at - (text.rfind("\n", 0, at) + 1) + 1
    return line, column + offset


def expect(
    root: Path, file: str, path: str, message: str, marker: str, offset: int = 0, nth: int = 1
) -> Expected:
    return Expected(file, path, message, *position(root, file, marker, offset, nth))


@pytest.fixture
def broken(tmp_path: Path) -> tuple[Path, list[Expected]]:
    """The example with every mistake below applied, and what must be reported for each."""
    root = tmp_path / "metro-isp"
    shutil.copytree(EXAMPLE, root)

    # 1. An unknown reference: a typo in a dependency.
    edit(
        root,
        "catalog.yaml",
        "depends_on: [backhaul-strasbourg]",
        "depends_on: [backhaul-strasburg]",
    )
    # 2. Another unknown reference, in a calendar: a maintenance window scoped to a node that
    #    does not exist would silently cover nothing.
    edit(root, "calendars.yaml", "nodes: [radius-aaa]", "nodes: [radius-aa]")
    # 3. Bad targets: a decimal comma, and a unit that does not fit the metric.
    edit(
        root,
        "agreements/hospital.yaml",
        "target: 99.95%\n      - metric: weighted",
        "target: 99,95%\n      - metric: weighted",
    )
    edit(root, "agreements/horizon-sport.yaml", "target: 25Mbit/s", "target: 25 MB/s")
    # 4. An unknown field (a typo of `percentile`), in another agreement of the same file.
    edit(
        root,
        "agreements/hospital.yaml",
        "      - metric: latency\n        percentile: 95\n        target: 5ms",
        "      - metric: latency\n        percentil: 95\n        target: 5ms",
    )
    # 5. A dependency cycle: core router 1 made to depend on a SIP proxy that needs it.
    edit(
        root,
        "catalog.yaml",
        "    site: Saint-Denis data centre\n    calendar: network-ops\n\n  - id: core-router-2",
        "    site: Saint-Denis data centre\n    calendar: network-ops\n"
        "    depends_on: [sip-proxy-1]\n\n  - id: core-router-2",
    )
    # 6. A duplicate id: a second party called arena-sports.
    edit(
        root,
        "parties.yaml",
        "  - id: quai-capital\n",
        "  - id: arena-sports\n    name: Arena Sport\n    roles: [content_provider]\n\n"
        "  - id: quai-capital\n",
    )
    # 7. A YAML syntax error in another file: an unclosed quote.
    edit(
        root,
        "agreements/institut-rhenan.yaml",
        "title: Institut Rhénan de Technologie — Campus Internet access",
        'title: "Institut Rhénan de Technologie — Campus Internet access',
    )
    # 8. An unknown time zone.
    edit(root, "calendars.yaml", "timezone: Europe/London", "timezone: Europe/Londres")
    # 9. A target loosened without `override: true`: 99 % under the corporate 99.5 %.
    edit(
        root,
        "agreements/bertin-associes.yaml",
        "      - metric: satisfaction\n        target: 4.0",
        "      - metric: availability\n        target: 99%\n"
        "      - metric: satisfaction\n        target: 4.0",
    )
    # 10. An access node that does not exist: the hospital's outages would reach no one.
    edit(
        root,
        "subscriptions.yaml",
        "reference: HSL-MARCHE-2021-12,\n     access: sw-paris-13",
        "reference: HSL-MARCHE-2021-12,\n     access: sw-paris-31",
    )

    # What must be reported, located in the edited files.
    opened = position(root, "agreements/institut-rhenan.yaml", '"Institut')
    rhenan_lines = (
        (root / "agreements/institut-rhenan.yaml").read_text(encoding="utf-8").count("\n")
    )
    found = [
        expect(
            root,
            "catalog.yaml",
            "components[21].depends_on[0]",
            "unknown service or component 'backhaul-strasburg'",
            "backhaul-strasburg]",
        ),
        expect(
            root,
            "calendars.yaml",
            "calendars[0].maintenance[3].nodes[0]",
            "unknown service or component 'radius-aa'",
            "radius-aa]",
        ),
        expect(
            root,
            "agreements/hospital.yaml",
            "agreements[0].objectives[0].target",
            "not a target: '99,95%'",
            "99,95%",
        ),
        expect(
            root,
            "agreements/horizon-sport.yaml",
            "agreements[2].objectives[1].target",
            "unit 'MB/s' does not fit a target in bit/s",
            "25 MB/s",
        ),
        # An unknown field is located at its value.
        expect(
            root,
            "agreements/hospital.yaml",
            "agreements[1].objectives[1].percentil",
            "unknown field 'percentil'",
            "percentil: 95",
            offset=len("percentil: "),
        ),
        expect(
            root,
            "catalog.yaml",
            "components[0].depends_on",
            "dependency cycle: core-router-1 → sip-proxy-1 → core-router-1",
            "[sip-proxy-1]",
        ),
        expect(
            root,
            "parties.yaml",
            "parties[4].id",
            "duplicate party arena-sports",
            "id: arena-sports",
            offset=len("id: "),
            nth=2,
        ),
        # The parser notices the unclosed quote at the end of the file; the message says where
        # the quote opened.
        Expected(
            "agreements/institut-rhenan.yaml",
            "<document>",
            f"(from line {opened[0]}, column {opened[1]})",
            rhenan_lines + 1,
            1,
        ),
        expect(
            root,
            "calendars.yaml",
            "calendars[3].timezone",
            "unknown time zone 'Europe/Londres'",
            "Europe/Londres",
        ),
        # The calendar with the bad zone is not read, so the two objectives that name it are
        # reported too, as follow-on problems at their own places.
        *(
            expect(
                root,
                "agreements/quai-capital.yaml",
                f"agreements[3].objectives[{objective}].calendar",
                "unknown calendar 'trading-london'",
                "calendar: trading-london",
                offset=len("calendar: "),
                nth=objective + 1,
            )
            for objective in (0, 1)
        ),
        expect(
            root,
            "agreements/bertin-associes.yaml",
            "agreements[0].objectives[2].target",
            "loosens the corporate target >= 99.5 to >= 99",
            "target: 99%",
            offset=len("target: "),
        ),
        expect(
            root,
            "subscriptions.yaml",
            "subscriptions[6].access",
            "unknown component 'sw-paris-31'",
            "sw-paris-31",
        ),
    ]
    return root, found


def relative(root: Path, problem: Problem) -> str:
    return Path(problem.location.file).relative_to(root).as_posix()


def test_every_mistake_is_reported_at_its_place(broken: tuple[Path, list[Expected]]) -> None:
    root, expected = broken
    problems = load_config([root]).problems

    def key(p: Problem | Expected) -> tuple[str, str, int | None, int | None]:
        if isinstance(p, Problem):
            return (relative(root, p), p.dotted_path, p.location.line, p.location.column)
        return (p.file, p.path, p.line, p.column)

    reported = {key(p): p for p in problems}
    missing = [e for e in expected if key(e) not in reported]
    extra = [str(p) for p in problems if key(p) not in {key(e) for e in expected}]
    assert not missing, f"not reported at the expected place: {missing}\nreported: {problems}"
    assert not extra, f"unexpected problems: {extra}"
    for e in expected:
        assert e.message in reported[key(e)].message


def test_every_problem_carries_file_line_column_and_path(
    broken: tuple[Path, list[Expected]],
) -> None:
    root, expected = broken
    problems = load_config([root]).problems
    assert len(problems) == len(expected)
    for p in problems:
        assert (root / relative(root, p)).is_file()
        assert p.location.line is not None, str(p)
        assert p.location.column is not None, str(p)
        if "YAML syntax error" not in p.message:  # a syntax error has no field to name
            assert p.path, str(p)
        text = str(p)
        assert text.startswith(f"{p.location.file}:{p.location.line}:{p.location.column}: ")


def test_problems_come_sorted_by_file_and_line(broken: tuple[Path, list[Expected]]) -> None:
    root, _ = broken
    problems = load_config([root]).problems
    order = [(relative(root, p), p.location.line or 0, p.location.column or 0) for p in problems]
    assert order == sorted(order)


def test_fixing_every_mistake_leaves_no_problem(tmp_path: Path) -> None:
    root = tmp_path / "metro-isp"
    shutil.copytree(EXAMPLE, root)
    assert load_config([root]).problems == []


def test_typos_inside_redundancy_groups_are_located_at_the_member(tmp_path: Path) -> None:
    root = tmp_path / "metro-isp"
    shutil.copytree(EXAMPLE, root)
    edit(
        root,
        "catalog.yaml",
        "      - {any_of: [core-router-1, core-router-2]}\n      - {any_of: [uplink-a, uplink-b]}",
        "      - {any_of: [core-router-1, core-router-2]}\n      - {any_of: [uplink-a, uplinkb]}",
    )
    edit(
        root,
        "catalog.yaml",
        "      - {any_of: [sip-proxy-1, sip-proxy-2]}\n      - pstn-interconnect\n"
        "      - {k_of_n: {k: 2, of: [dns-resolver-1, dns-resolver-2, dns-resolver-3]}}",
        "      - {any_of: [sip-proxy-1, sip-proxy-2]}\n      - pstn-interconnect\n"
        "      - {k_of_n: {k: 2, of: [dns-resolver-1, dns-resolver-2, dns-resolver-4]}}",
    )
    problems = load_config([root]).problems
    assert [(p.dotted_path, p.location.line, p.location.column) for p in problems] == [
        ("services[0].depends_on[1].any_of[1]", *position(root, "catalog.yaml", "uplinkb")),
        (
            "services[1].depends_on[2].k_of_n.of[2]",
            *position(root, "catalog.yaml", "dns-resolver-4"),
        ),
    ]


def test_two_agreements_competing_for_one_customer_are_located(tmp_path: Path) -> None:
    root = tmp_path / "metro-isp"
    shutil.copytree(EXAMPLE, root)
    # A second customer agreement under a new id instead of a new version of `horizon-sport`.
    (root / "agreements" / "horizon-sport-2024.yaml").write_text(
        "agreements:\n"
        "  - id: horizon-sport-2024\n"
        "    level: customer\n"
        "    provider: metro-isp\n"
        "    customer: horizon-sport\n"
        "    effective_from: 2024-06-01\n"
        "    objectives:\n"
        "      - {metric: weighted_availability, target: 99.9%}\n",
        encoding="utf-8",
    )
    (problem,) = load_config([root]).problems
    assert "horizon-sport, horizon-sport-2024" in problem.message
    assert relative(root, problem) == "agreements/horizon-sport-2024.yaml"
    assert (problem.location.line, problem.location.column) == (6, 21)
    assert problem.dotted_path == "agreements[0].effective_from"
