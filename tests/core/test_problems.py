"""Problems print as file:line:column: path: message."""

from __future__ import annotations

from servanda.core.problems import InvalidInput, Location, Problem, Severity


def test_problem_text_and_json() -> None:
    p = Problem("unknown party 'x'", Location("a.yaml", 3, 7), ("agreements", 0, "provider"))
    assert str(p) == "a.yaml:3:7: agreements[0].provider: unknown party 'x'"
    assert p.as_dict() == {
        "file": "a.yaml",
        "line": 3,
        "column": 7,
        "path": "agreements[0].provider",
        "message": "unknown party 'x'",
        "severity": "error",
    }


def test_warning_and_unknown_location() -> None:
    p = Problem("loose", severity=Severity.WARNING)
    assert str(p) == "<input>: <document>: warning: loose"


def test_invalid_input_summarises() -> None:
    exc = InvalidInput([Problem("a"), Problem("b"), Problem("c")])
    assert "(and 2 more)" in str(exc)
    assert len(exc.problems) == 3
