"""The audit log's entry: one write asked of Servanda, who asked, from where, and the outcome.

Every request that may change something (an API call with a method other than GET, HEAD or
OPTIONS) and every command that writes is one entry, whatever its outcome: a refused or failed
write is kept too, with its status, so the log answers "who tried what" as well as "who did
what". The log records what was asked, never a secret: no request body, no token, no password
of a database URL.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from servanda.core.records import record

Interface = Literal["api", "cli"]


@record
class AuditEntry:
    """One write asked of Servanda."""

    at: datetime
    """When it was asked."""
    actor: str
    """Who: ``admin:tok-1``, ``customer:acme``, ``cli:alice``, or ``anonymous`` (no valid
    token)."""
    role: str | None
    """The actor's role (None when it was not authenticated)."""
    interface: Interface
    """``api`` or ``cli``."""
    origin: str
    """From where: the client's address (API), or ``user@host`` (command line)."""
    action: str
    """What: the route (``POST /api/v1/sla/close``) or the command (``servanda sla close``)."""
    target: str
    """On what: the path asked with its query, or the command's arguments."""
    status: int
    """The outcome: the HTTP status answered, or the command's exit code (0: done)."""

    @property
    def succeeded(self) -> bool:
        """Whether the write was done (a 2xx answer, or exit code 0)."""
        return 200 <= self.status < 300 if self.interface == "api" else self.status == 0
