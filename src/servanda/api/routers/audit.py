"""``/api/v1/audit``: the audit log of writes, newest first (administrators only)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import Field

from servanda.api.deps import EngineDep, PrincipalDep, require
from servanda.api.errors import ERROR_RESPONSES
from servanda.api.guard import Instant
from servanda.api.schemas import PublicModel
from servanda.core.access import Action
from servanda.core.audit import AuditEntry
from servanda.services import audit

router = APIRouter(
    prefix="/audit",
    tags=["audit"],
    dependencies=[Depends(require(Action.READ_AUDIT))],
    responses=ERROR_RESPONSES,
)


class AuditEntryPublic(PublicModel):
    """One write asked of Servanda: who, what, when, from where, and how it ended."""

    id: int = Field(description="Position in the log (later entries have larger ids).")
    at: datetime
    actor: str = Field(description="`admin:tok-1`, `customer:acme`, `cli:alice`, `anonymous`.")
    role: str | None
    interface: str = Field(description="`api` or `cli`.")
    origin: str = Field(description="The client's address, or `user@host` for a command.")
    action: str = Field(description="The route (`POST /api/v1/sla/close`) or the command.")
    target: str = Field(description="The path asked, or the command's arguments.")
    status: int = Field(description="The HTTP status answered, or the command's exit code.")
    succeeded: bool

    @classmethod
    def of_entry(cls, ident: int, entry: AuditEntry) -> AuditEntryPublic:
        """The public view of a stored entry."""
        return cls(
            id=ident, at=entry.at, actor=entry.actor, role=entry.role,
            interface=entry.interface, origin=entry.origin, action=entry.action,
            target=entry.target, status=entry.status, succeeded=entry.succeeded,
        )  # fmt: skip


@router.get("", summary="List the audit log", response_model=list[AuditEntryPublic])
def list_audit(
    engine: EngineDep,
    principal: PrincipalDep,
    since: Annotated[Instant | None, Query(description="Asked at or after this time.")] = None,
    until: Annotated[Instant | None, Query(description="Asked before this time.")] = None,
    actor: Annotated[str | None, Query(max_length=200, description="Only this actor.")] = None,
    failed: Annotated[
        bool | None, Query(description="true: only refused or failed writes; false: only done.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=audit.MAX_ENTRIES)] = 100,
) -> list[AuditEntryPublic]:
    """Every write asked through the API or the command line (refused and failed ones too),
    newest first. Request bodies are never recorded."""
    found = audit.entries(
        engine, principal, since=since, until=until, actor=actor, failed=failed, limit=limit
    )
    return [AuditEntryPublic.of_entry(i, e) for i, e in found]
