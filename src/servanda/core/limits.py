"""Bounds on what a principal can send: names, texts and lists.

Every text and list a client writes (feedback comments, review notes and actions, attestation
evidence, incident notes, event labels) has a bound, checked where the record is made, so the
API, the command line and file imports refuse the same oversized input with a located error,
and nothing downstream (a report, a PDF) has to cope with a 100,000-action review. The bounds
are generous for people writing by hand.
"""

from __future__ import annotations

from typing import Annotated, Final

from pydantic import StringConstraints

NAME_CHARS: Final = 200
"""A person's or role's name, an owner, an attendee."""
TEXT_CHARS: Final = 10_000
"""A note, a comment, evidence, a review's notes: about four pages."""
LIST_ITEMS: Final = 200
"""Actions of a review, attendees."""

Name = Annotated[str, StringConstraints(max_length=NAME_CHARS)]
"""A short name (at most :data:`NAME_CHARS` characters)."""
Text = Annotated[str, StringConstraints(max_length=TEXT_CHARS)]
"""Free text (at most :data:`TEXT_CHARS` characters)."""
