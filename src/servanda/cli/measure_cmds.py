"""``servanda measure`` (measurement files in, a series summarised) and ``servanda attest``
(attestations of policy controls: one from the command line, files, the list).

Files are CSV, JSON Lines (``.jsonl``, ``.ndjson``) or JSON, told apart by their name's ending
(see :mod:`servanda.ingest.measurements` for the columns). Each file is all or nothing: when
any record of it is bad, every problem is printed ``file:line:column: path: message``, nothing
of that file is stored, and the command exits 1 after trying the other files.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import typer

from servanda.cli.common import engine, now
from servanda.cli.event_cmds import parse_instant
from servanda.cli.output import (
    PROBLEMS,
    USAGE,
    Format,
    FormatOption,
    fail,
    out,
    print_json,
    print_problems,
    table,
)
from servanda.cli.progress import QuietOption, Unit, progress_bars
from servanda.core.access import LOCAL_ADMIN
from servanda.core.problems import InvalidInput, Location, Problem
from servanda.ingest.attestations import read_attestation_file
from servanda.ingest.measurements import stream_measurement_file
from servanda.ingest.record_stream import file_size
from servanda.measure.inputs import Attestation
from servanda.services import measurements as cases
from servanda.services.catalog import visible_bundle

app = typer.Typer(
    help="Measurements of declared series: ingest files, summarise a series.",
    no_args_is_help=True,
)
attest_app = typer.Typer(
    help="Attestations that policy controls were met: add, import, list.", no_args_is_help=True
)

T = TypeVar("T")

COMMAND_LINE = "command line"
"""Where problems of values given as arguments and options are located."""


def from_command_line(
    problems: Iterable[Problem], names: dict[str, str], depth: int = 0
) -> list[Problem]:
    """``problems`` of records built from the command line, each at the argument or option
    that gave the field (``names``: field → ``CUSTOMER``, ``--csat`` …; other fields become
    ``--field``), after dropping ``depth`` leading parts of its path (``feedback``, 0)."""
    found = []
    for p in problems:
        rest = p.path[depth:]
        field = rest[0] if rest else None
        if isinstance(field, str):
            shown = names.get(field, "--" + field.replace("_", "-"))
            rest = (shown, *rest[1:])
        found.append(dataclasses.replace(p, location=Location(COMMAND_LINE), path=rest))
    return found


def report_files(
    results: list[dict[str, Any]], problems: list[Problem], fmt: Format, line: Callable[..., str]
) -> None:
    """Print what each file did (``line(**result)`` for a file stored) and the problems; exit
    1 when there were any."""
    print_problems(problems)
    if fmt is Format.JSON:
        print_json({"ok": not problems, "files": results})
    else:
        for r in results:
            if r["ok"]:
                out.print(f"{r['file']}: {line(**r)}", markup=False)
            else:
                out.print(f"{r['file']}: not stored ({r['problems']} problems)", markup=False)
    if problems:
        raise typer.Exit(PROBLEMS)


def each_file(
    files: Sequence[Path],
    read: Callable[[Path], tuple[list[T], list[Problem]]],
    store: Callable[[Path, list[T]], dict[str, Any]],
) -> tuple[list[dict[str, Any]], list[Problem]]:
    """Read and store every file, each all or nothing; what each did, and every problem."""
    results: list[dict[str, Any]] = []
    problems: list[Problem] = []
    for path in files:
        found, wrong = read(path)
        if not wrong:
            try:
                results.append({"file": str(path), "ok": True, **store(path, found)})
                continue
            except InvalidInput as exc:
                wrong = list(exc.problems)
        problems.extend(wrong)
        results.append({"file": str(path), "ok": False, "problems": len(wrong)})
    return results, problems


# -- measure ---------------------------------------------------------------------------------


@app.command("ingest")
def ingest(
    ctx: typer.Context,
    files: list[Path] = typer.Argument(..., help="CSV, JSON Lines (.jsonl) or JSON files."),
    replace: bool = typer.Option(
        False, "--replace", help="Overwrite measurements stored under the same key (corrections)."
    ),
    fmt: Format = FormatOption,
    quiet: bool = QuietOption,
) -> None:
    """Store the measurements of FILES, checked against the declared series; sending a file
    twice stores nothing new. Files are read as a stream (memory stays bounded, millions of
    lines are fine), with a progress bar on a terminal.

    Each file is all or nothing: when any line is bad, every problem is printed
    (file:line:column: field: message), nothing of that file is stored, and the command exits
    1 after trying the other files. --format json prints the counts per file.
    """
    db = engine(ctx)
    series = cases.series_by_id(db)
    results: list[dict[str, Any]] = []
    problems: list[Problem] = []
    with progress_bars(quiet) as bars:
        for path in files:
            advance = bars.add(path.name, file_size(path), Unit.BYTES)
            batches = stream_measurement_file(path, series_by_id=series, progress=advance)
            try:
                counts = cases.ingest_measurement_stream(
                    db, LOCAL_ADMIN, batches, now(), replace=replace, file=str(path)
                )
            except InvalidInput as exc:
                problems.extend(exc.problems)
                results.append({"file": str(path), "ok": False, "problems": len(exc.problems)})
                continue
            results.append({"file": str(path), "ok": True, **counts.as_dict()})

    def line(received: int, new: int, duplicates: int, replaced: int, **_: Any) -> str:
        text = f"{received} measurements, {new} new, {duplicates} duplicates"
        return text + (f" ({replaced} replaced)" if replace else "")

    report_files(results, problems, fmt, line)


def _period(since: str | None, until: str | None) -> tuple[datetime, datetime]:
    end = parse_instant(until, "--until") or now()
    start = parse_instant(since, "--since") or end - timedelta(days=1)
    if end < start:
        fail(f"--until ({end.isoformat()}) is before --since ({start.isoformat()})", USAGE)
    return start, end


@app.command("list")
def list_series(
    ctx: typer.Context,
    series: str = typer.Argument(..., help="A declared series."),
    since: str | None = typer.Option(None, "--since", help="Start (default: a day before)."),
    until: str | None = typer.Option(None, "--until", help="End, excluded (default: now)."),
    fmt: Format = FormatOption,
) -> None:
    """Summarise SERIES over [--since, --until): how many measurements, the first and last,
    and the minimum, mean and maximum of their values (Σgood of Σtotal for counts)."""
    start, end = _period(since, until)
    s = cases.summarise_series(engine(ctx), LOCAL_ADMIN, series, start, end)
    if fmt is Format.JSON:
        print_json(s.as_dict())
        return
    about = s.series.node + (f" for {s.series.customer}" if s.series.customer else "")
    out.print(f"{s.series.id}: {s.series.kind.value} of {about}", markup=False)
    out.print(f"from {start.isoformat()} to {end.isoformat()}", markup=False)
    if s.first is None or s.last is None:
        out.print("no measurements", markup=False)
        return
    out.print(
        f"{s.count} measurements, first {s.first.isoformat()}, last {s.last.isoformat()}",
        markup=False,
    )
    if s.values is not None:
        v = s.values
        out.print(
            f"{v.unit}: min {v.minimum}, mean {_mean(v.mean)}, max {v.maximum} ({v.count} values)",
            markup=False,
        )
    if s.counts is not None:
        c = s.counts
        ratio = "n/a" if c.ratio is None else f"{c.ratio:.4%}"
        out.print(f"good {c.good} of {c.total} ({ratio})", markup=False)


def _mean(value: float) -> str:
    """A mean for people: three decimals at most, no exponent."""
    return f"{value:.3f}".rstrip("0").rstrip(".")


# -- attest ----------------------------------------------------------------------------------

ATTESTATION_NAMES = {"policy": "POLICY", "control": "CONTROL", "attested_by": "--by"}


@attest_app.command("add")
def attest_add(
    ctx: typer.Context,
    policy: str = typer.Argument(..., help="The policy clause."),
    control: str = typer.Argument(..., help="One of its controls."),
    period: str = typer.Option(
        ..., "--period", help="2024-04, 2024-Q2, 2024 … in the policy's agreement's timezone."
    ),
    met: bool = typer.Option(..., "--met/--not-met", help="Whether the control was met."),
    by: str = typer.Option(..., "--by", help="Who attests (a person or a role)."),
    evidence: str = typer.Option("", "--evidence", help="What supports it."),
    note: str = typer.Option("", "--note", help="Anything else."),
    at: str | None = typer.Option(None, "--at", help="When attested (default: now)."),
    fmt: Format = FormatOption,
) -> None:
    """Attest that CONTROL of POLICY was (--met) or was not (--not-met) met over --period.

    A later attestation of the same control and period replaces the earlier one."""
    attested_at = parse_instant(at, "--at") or now()
    db = engine(ctx)
    bundle = visible_bundle(db, LOCAL_ADMIN)
    chosen = cases.attestation_period(bundle, policy, period)
    attestation = Attestation(
        policy=policy,
        control=control,
        period_start=chosen.start,
        period_end=chosen.end,
        met=met,
        attested_by=by,
        attested_at=attested_at,
        evidence=evidence,
        note=note,
    )
    try:
        counts = cases.record_attestations(db, LOCAL_ADMIN, [attestation])
    except InvalidInput as exc:
        print_problems(from_command_line(exc.problems, ATTESTATION_NAMES, depth=2))
        raise typer.Exit(PROBLEMS) from None
    what = "new" if counts.new else "updated" if counts.updated else "unchanged"
    if fmt is Format.JSON:
        print_json({**_attestation(attestation), "result": what})
        return
    verdict = "met" if met else "not met"
    out.print(
        f"{policy}/{control} over {chosen.label} ({chosen.start.isoformat()} to "
        f"{chosen.end.isoformat()}): {verdict}, attested by {by} ({what})",
        markup=False,
    )


@attest_app.command("import")
def attest_import(
    ctx: typer.Context,
    files: list[Path] = typer.Argument(..., help="CSV, JSON Lines (.jsonl) or JSON files."),
    fmt: Format = FormatOption,
) -> None:
    """Store the attestations of FILES (each all or nothing), checked against the declared
    policy clauses and controls."""
    db = engine(ctx)
    bundle = visible_bundle(db, LOCAL_ADMIN)

    def store(path: Path, found: list[Attestation]) -> dict[str, Any]:
        return cases.record_attestations(db, LOCAL_ADMIN, found, file=str(path)).as_dict()

    results, problems = each_file(
        files, lambda path: read_attestation_file(path, bundle=bundle), store
    )

    def line(received: int, new: int, updated: int, unchanged: int, **_: Any) -> str:
        return f"{received} attestations, {new} new, {updated} updated, {unchanged} unchanged"

    report_files(results, problems, fmt, line)


def _attestation(a: Attestation) -> dict[str, Any]:
    return {
        "policy": a.policy,
        "control": a.control,
        "period_start": a.period_start.isoformat(),
        "period_end": a.period_end.isoformat(),
        "met": a.met,
        "attested_by": a.attested_by,
        "attested_at": a.attested_at.isoformat(),
        "evidence": a.evidence,
        "note": a.note,
    }


@attest_app.command("list")
def attest_list(
    ctx: typer.Context,
    policy: str | None = typer.Option(None, "--policy", help="Only of this policy clause."),
    control: str | None = typer.Option(None, "--control", help="Only of this control."),
    since: str | None = typer.Option(None, "--since", help="Periods ending after this."),
    until: str | None = typer.Option(None, "--until", help="Periods starting before this."),
    fmt: Format = FormatOption,
) -> None:
    """List attestations by policy clause, control and period."""
    db = engine(ctx)
    found = cases.list_attestations(
        db, LOCAL_ADMIN, policy=policy, control=control,
        since=parse_instant(since, "--since"), until=parse_instant(until, "--until"),
    )  # fmt: skip
    if fmt is Format.JSON:
        print_json([_attestation(a) for a in found])
        return
    bundle = visible_bundle(db, LOCAL_ADMIN)
    zones = {p: ZoneInfo(cases.policy_timezone(bundle, p)) for p in {a.policy for a in found}}
    table(
        "Attestations (periods in the policy's timezone)",
        ["policy", "control", "from", "to", "met", "by", "attested", "evidence"],
        [
            [
                a.policy, a.control, _local(a.period_start, zones[a.policy]),
                _local(a.period_end, zones[a.policy]), "yes" if a.met else "no", a.attested_by,
                f"{a.attested_at.astimezone(zones[a.policy]):%Y-%m-%d}", a.evidence,
            ]
            for a in found
        ],
    )  # fmt: skip


def _local(moment: datetime, zone: ZoneInfo) -> str:
    """``moment`` on the clock of ``zone``: the day alone at midnight."""
    local = moment.astimezone(zone)
    return f"{local:%Y-%m-%d}" if local.time() == time() else f"{local:%Y-%m-%d %H:%M}"
