"""``servanda feedback`` (customer satisfaction: one answer, survey files, the list) and
``servanda review`` (notes of listening sessions and service reviews, with actions).

Feedback files are CSV, JSON Lines or JSON (see :mod:`servanda.ingest.feedback` for the
columns), each all or nothing, every problem printed ``file:line:column: path: message``.
Values given on the command line that name an unknown customer, service or incident are
reported at their argument or option (``command line: --service: …``).
"""

from __future__ import annotations

from datetime import UTC, date
from pathlib import Path
from typing import Any, NoReturn

import typer
from pydantic import ValidationError

from servanda.cli.common import engine, now, parse_day
from servanda.cli.event_cmds import parse_instant
from servanda.cli.measure_cmds import (
    COMMAND_LINE,
    each_file,
    from_command_line,
    report_files,
)
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
from servanda.core.access import LOCAL_ADMIN
from servanda.core.problems import InvalidInput, Location, Problem
from servanda.engagement.model import (
    Channel,
    Feedback,
    Review,
    ReviewAction,
    ReviewKind,
    StoredFeedback,
    StoredReview,
)
from servanda.ingest.record_files import read_records
from servanda.services import engagement as cases

feedback_app = typer.Typer(
    help="Customer feedback (CSAT, NPS, comments): add, import, list.", no_args_is_help=True
)
review_app = typer.Typer(
    help="Listening sessions and service reviews: add, list.", no_args_is_help=True
)

FEEDBACK_NAMES = {"customer": "CUSTOMER"}
REVIEW_NAMES = {"customer": "CUSTOMER", "held_on": "--on"}


def _invalid(exc: ValidationError, names: dict[str, str]) -> list[Problem]:
    """A record's validation errors as problems at the arguments and options."""
    problems = [
        Problem(str(e["msg"]).removeprefix("Value error, "), Location(COMMAND_LINE), e["loc"])
        for e in exc.errors(include_url=False)
    ]
    return from_command_line(problems, names)


def _exit_with(problems: list[Problem]) -> NoReturn:
    print_problems(problems)
    raise typer.Exit(PROBLEMS)


# -- feedback --------------------------------------------------------------------------------


@feedback_app.command("add")
def feedback_add(
    ctx: typer.Context,
    customer: str = typer.Argument(..., help="The customer party."),
    csat: int | None = typer.Option(None, "--csat", min=1, max=5, help="Satisfaction, 1 to 5."),
    nps: int | None = typer.Option(None, "--nps", min=0, max=10, help="Recommend, 0 to 10."),
    service: str | None = typer.Option(None, "--service", help="The service it is about."),
    comment: str = typer.Option("", "--comment", help="What the customer said."),
    channel: Channel = typer.Option(Channel.SURVEY, "--channel", help="How it reached us."),
    incident: str | None = typer.Option(None, "--incident", help="The incident it is about."),
    respondent: str | None = typer.Option(None, "--respondent", help="Who answered."),
    at: str | None = typer.Option(None, "--at", help="When it was given (default: now)."),
    fmt: Format = FormatOption,
) -> None:
    """Record one customer's feedback: a score (--csat, --nps), a --comment, or several."""
    if csat is None and nps is None and not comment.strip():
        fail("give a score (--csat, --nps) or a --comment", USAGE)
    given = parse_instant(at, "--at") or now()
    try:
        feedback = Feedback(
            customer=customer, at=given, csat=csat, nps=nps, service=service,
            comment=comment, channel=channel, incident=incident, respondent=respondent,
        )  # fmt: skip
    except ValidationError as exc:
        _exit_with(_invalid(exc, FEEDBACK_NAMES))
    try:
        counts = cases.record_feedback(engine(ctx), LOCAL_ADMIN, [feedback], now())
    except InvalidInput as exc:
        _exit_with(from_command_line(exc.problems, FEEDBACK_NAMES, depth=2))
    if fmt is Format.JSON:
        print_json(counts.as_dict())
        return
    what = "recorded" if counts.new else "already recorded"
    at_utc = given.astimezone(UTC).isoformat()
    out.print(f"feedback of {customer} at {at_utc}: {what}", markup=False)


@feedback_app.command("import")
def feedback_import(
    ctx: typer.Context,
    files: list[Path] = typer.Argument(..., help="CSV, JSON Lines (.jsonl) or JSON files."),
    fmt: Format = FormatOption,
) -> None:
    """Store the feedback of FILES (a survey export), each all or nothing; importing a file
    twice stores nothing new."""
    db = engine(ctx)

    def read(path: Path) -> tuple[list[Feedback], list[Problem]]:
        return read_records(path, cases.feedback_file_reader(db, LOCAL_ADMIN))

    def store(path: Path, found: list[Feedback]) -> dict[str, Any]:
        return cases.record_feedback(db, LOCAL_ADMIN, found, now(), file=str(path)).as_dict()

    results, problems = each_file(files, read, store)

    def line(received: int, new: int, duplicates: int, **_: Any) -> str:
        return f"{received} answers, {new} new, {duplicates} duplicates"

    report_files(results, problems, fmt, line)


def _feedback(s: StoredFeedback) -> dict[str, Any]:
    f = s.feedback
    return {
        "key": s.key,
        "stored_at": s.stored_at.isoformat(),
        "customer": f.customer,
        "at": f.at.isoformat(),
        "csat": f.csat,
        "nps": f.nps,
        "service": f.service,
        "comment": f.comment,
        "channel": f.channel.value,
        "incident": f.incident,
        "respondent": f.respondent,
    }


@feedback_app.command("list")
def feedback_list(
    ctx: typer.Context,
    customer: str | None = typer.Option(None, "--customer", help="Only this customer's."),
    service: str | None = typer.Option(None, "--service", help="Only about this service."),
    since: str | None = typer.Option(None, "--since", help="Given at or after this."),
    until: str | None = typer.Option(None, "--until", help="Given before this."),
    fmt: Format = FormatOption,
) -> None:
    """List feedback, oldest first."""
    found = cases.list_feedback(
        engine(ctx), LOCAL_ADMIN, customer=customer, service=service,
        since=parse_instant(since, "--since"), until=parse_instant(until, "--until"),
    )  # fmt: skip
    if fmt is Format.JSON:
        print_json([_feedback(s) for s in found])
        return
    table(
        "Feedback",
        ["at", "customer", "service", "csat", "nps", "channel", "incident", "comment"],
        [
            [
                f"{s.feedback.at:%Y-%m-%d %H:%M}", s.feedback.customer, s.feedback.service,
                s.feedback.csat, s.feedback.nps, s.feedback.channel.value, s.feedback.incident,
                s.feedback.comment,
            ]
            for s in found
        ],
    )  # fmt: skip


# -- reviews ---------------------------------------------------------------------------------


def parse_action(text: str) -> ReviewAction:
    """An ``--action`` as ``text;owner;due`` (owner and due optional; due ``YYYY-MM-DD``)."""
    parts = [p.strip() for p in text.split(";")]
    if len(parts) > 3 or not parts[0]:
        fail(f"--action: write 'text;owner;due' (owner and due optional), not {text!r}", USAGE)
    owner = parts[1] if len(parts) > 1 and parts[1] else None
    due: date | None = None
    if len(parts) > 2 and parts[2]:
        try:
            due = date.fromisoformat(parts[2])
        except ValueError:
            fail(f"--action: the due date {parts[2]!r} is not YYYY-MM-DD", USAGE)
    return ReviewAction(text=parts[0], owner=owner, due=due)


@review_app.command("add")
def review_add(
    ctx: typer.Context,
    customer: str = typer.Argument(..., help="The customer party."),
    kind: ReviewKind = typer.Option(ReviewKind.SERVICE_REVIEW, "--kind", help="What it was."),
    on: str | None = typer.Option(None, "--on", help="The day it was held (default: today)."),
    notes: str = typer.Option("", "--notes", help="What was said."),
    action: list[str] = typer.Option(
        [], "--action", help="Something agreed, as 'text;owner;due' (repeat)."
    ),
    service: str | None = typer.Option(None, "--service", help="The service it was about."),
    attendee: list[str] = typer.Option([], "--attendee", help="Who attended (repeat)."),
    fmt: Format = FormatOption,
) -> None:
    """Record the notes of a listening session or service review with CUSTOMER."""
    held_on = parse_day(on)
    actions = tuple(parse_action(a) for a in action)
    try:
        review = Review(
            customer=customer, held_on=held_on, kind=kind, notes=notes, actions=actions,
            service=service, attendees=tuple(attendee),
        )  # fmt: skip
    except ValidationError as exc:
        _exit_with(_invalid(exc, REVIEW_NAMES))
    try:
        stored = cases.record_review(engine(ctx), LOCAL_ADMIN, review, now())
    except InvalidInput as exc:
        _exit_with(from_command_line(exc.problems, REVIEW_NAMES))
    if fmt is Format.JSON:
        print_json(_review(stored))
        return
    out.print(
        f"review {stored.id}: {kind.value} with {customer} on {held_on.isoformat()}, "
        f"{len(actions)} actions",
        markup=False,
    )


def _review(s: StoredReview) -> dict[str, Any]:
    r = s.review
    return {
        "id": s.id,
        "created_at": s.created_at.isoformat(),
        "customer": r.customer,
        "held_on": r.held_on.isoformat(),
        "kind": r.kind.value,
        "notes": r.notes,
        "actions": [
            {
                "text": a.text,
                "owner": a.owner,
                "due": None if a.due is None else a.due.isoformat(),
                "done": a.done,
            }
            for a in r.actions
        ],
        "service": r.service,
        "attendees": list(r.attendees),
    }


def _day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"{option}: not a date: {value!r} (write YYYY-MM-DD)", USAGE)


@review_app.command("list")
def review_list(
    ctx: typer.Context,
    customer: str | None = typer.Option(None, "--customer", help="Only with this customer."),
    service: str | None = typer.Option(None, "--service", help="Only about this service."),
    since: str | None = typer.Option(None, "--since", help="Held on or after this day."),
    until: str | None = typer.Option(None, "--until", help="Held before this day."),
    fmt: Format = FormatOption,
) -> None:
    """List reviews, oldest first, with their actions."""
    found = cases.list_reviews(
        engine(ctx), LOCAL_ADMIN, customer=customer, service=service,
        since=_day(since, "--since"), until=_day(until, "--until"),
    )  # fmt: skip
    if fmt is Format.JSON:
        print_json([_review(s) for s in found])
        return
    table(
        "Reviews",
        ["id", "held on", "customer", "kind", "service", "notes", "actions"],
        [
            [
                s.id, s.review.held_on.isoformat(), s.review.customer, s.review.kind.value,
                s.review.service, s.review.notes,
                "; ".join(_action(a) for a in s.review.actions),
            ]
            for s in found
        ],
    )  # fmt: skip


def _action(a: ReviewAction) -> str:
    extra = [x for x in (a.owner, f"by {a.due.isoformat()}" if a.due else None) if x]
    return a.text + (f" ({', '.join(extra)})" if extra else "") + (" [done]" if a.done else "")
