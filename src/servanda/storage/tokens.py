"""API tokens: the record, the plaintext format, and their storage.

Tokens read ``svd_<id>_<secret>``: the id finds the token, the secret proves it. Only the
SHA-256 of the secret is stored; the plaintext is shown once, when the token is created.
Roles are :class:`servanda.core.access.Role`; a ``customer`` token belongs to one party
(the one it may see), tokens of the other roles belong to none.
"""

from __future__ import annotations

import builtins
import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm import Session

from servanda.core.access import Role
from servanda.core.tokens import TOKEN_PREFIX, ApiToken, parse_token
from servanda.storage.tables import ApiTokenRow, PartyRow


def format_token(token_id: str, secret: str) -> str:
    """The plaintext token for ``token_id`` and ``secret``."""
    return f"{TOKEN_PREFIX}_{token_id}_{secret}"


def hash_secret(secret: str) -> str:
    """SHA-256 of a token secret, in hex: what is stored."""
    return hashlib.sha256(secret.encode()).hexdigest()


_DUMMY_HASH = hash_secret("")

LAST_USE_RESOLUTION = timedelta(minutes=1)
"""How precisely a token's last use is recorded."""

_TOKENS: Table = ApiTokenRow.__table__  # type: ignore[assignment]
_BY_ID = select(
    _TOKENS.c.id,
    _TOKENS.c.name,
    _TOKENS.c.role,
    _TOKENS.c.party_id,
    _TOKENS.c.secret_hash,
    _TOKENS.c.created_at,
    _TOKENS.c.revoked_at,
    _TOKENS.c.last_used_at,
    _TOKENS.c.expires_at,
).where(_TOKENS.c.id == bindparam("id"))
_TOUCH = (
    update(_TOKENS).where(_TOKENS.c.id == bindparam("token")).values(last_used_at=bindparam("now"))
)


class TokenRepository:
    """API tokens, in the caller's session and transaction (nothing is committed here)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def create(
        self,
        role: Role | str,
        party_id: str | None,
        name: str,
        now: datetime,
        expires_at: datetime | None = None,
    ) -> tuple[ApiToken, str]:
        """A new token and its plaintext, which is shown once and never stored.

        Raises :class:`ValueError` when a customer token has no party, another role has one,
        the party does not exist, or it would expire before ``now``.
        """
        if expires_at is not None and expires_at <= now:
            raise ValueError("a token cannot expire before it is created")
        role = Role(role)
        if role is Role.CUSTOMER and not party_id:
            raise ValueError("a customer token needs the party it belongs to")
        if role is not Role.CUSTOMER and party_id:
            raise ValueError(f"{role} tokens belong to no party (got {party_id!r})")
        if party_id is not None and self.session.get(PartyRow, party_id) is None:
            raise ValueError(f"no party {party_id!r}")
        token_id = secrets.token_hex(8)
        secret = secrets.token_urlsafe(32)
        row = ApiTokenRow(
            id=token_id,
            name=name,
            role=role.value,
            party_id=party_id,
            secret_hash=hash_secret(secret),
            created_at=now,
            expires_at=expires_at,
        )
        self.session.add(row)
        self.session.flush()
        return _token(row), format_token(token_id, secret)

    def authenticate(self, plaintext: str, now: datetime) -> ApiToken | None:
        """The token ``plaintext`` proves, or None (unknown, wrong secret, revoked or expired).

        Records ``now`` as the token's last use, at most once per :data:`LAST_USE_RESOLUTION`,
        so a busy client (an Alertmanager posting every second) costs a read, not a write, per
        request; revocation still takes effect at once.
        """
        parsed = parse_token(plaintext)
        if parsed is None:
            return None
        token_id, secret = parsed
        # Core, not the ORM: every request pays for this look-up.
        connection = self.session.connection()
        row = connection.execute(_BY_ID, {"id": token_id}).one_or_none()
        stored = row.secret_hash if row is not None else _DUMMY_HASH
        matches = hmac.compare_digest(hash_secret(secret), stored)
        if row is None or not matches or row.revoked_at is not None:
            return None
        if row.expires_at is not None and now >= row.expires_at:
            return None
        last_used_at = row.last_used_at
        if last_used_at is None or now - last_used_at >= LAST_USE_RESOLUTION:
            connection.execute(_TOUCH, {"token": token_id, "now": now})
            last_used_at = now
        return ApiToken(
            id=row.id,
            name=row.name,
            role=Role(row.role),
            party_id=row.party_id,
            created_at=row.created_at,
            revoked_at=None,
            last_used_at=last_used_at,
            expires_at=_utc(row.expires_at),
        )

    def revoke(self, token_id: str, now: datetime) -> bool:
        """Revoke a token from ``now`` on.

        False when there is no such token or it was already revoked (its first revocation
        time is kept).
        """
        row = self.session.get(ApiTokenRow, token_id)
        if row is None or row.revoked_at is not None:
            return False
        row.revoked_at = now
        self.session.flush()
        return True

    def get(self, token_id: str) -> ApiToken | None:
        """One token by id."""
        row = self.session.get(ApiTokenRow, token_id)
        return _token(row) if row is not None else None

    def list(self, *, include_revoked: bool = True) -> builtins.list[ApiToken]:
        """Every token, oldest first."""
        query = select(ApiTokenRow).order_by(ApiTokenRow.created_at, ApiTokenRow.id)
        if not include_revoked:
            query = query.where(ApiTokenRow.revoked_at.is_(None))
        return [_token(row) for row in self.session.scalars(query)]


def _token(row: ApiTokenRow) -> ApiToken:
    return ApiToken(
        id=row.id,
        name=row.name,
        role=Role(row.role),
        party_id=row.party_id,
        created_at=row.created_at.astimezone(UTC),
        revoked_at=_utc(row.revoked_at),
        last_used_at=_utc(row.last_used_at),
        expires_at=_utc(row.expires_at),
    )


def _utc(moment: datetime | None) -> datetime | None:
    return moment.astimezone(UTC) if moment is not None else None
