"""API tokens: created once in plaintext, stored hashed, checked, revoked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from servanda.core.access import Role
from servanda.core.tokens import parse_token
from servanda.declared.bundle import Bundle
from servanda.storage.repositories import BundleRepository
from servanda.storage.tables import ApiTokenRow
from servanda.storage.tokens import TokenRepository, hash_secret

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def tokens(session: Session, bundle: Bundle) -> TokenRepository:
    BundleRepository(session).save(bundle, now=NOW)
    return TokenRepository(session)


def test_create_then_authenticate(tokens: TokenRepository, session: Session) -> None:
    token, plaintext = tokens.create(Role.OPERATOR, None, "noc", NOW)
    session.commit()
    assert plaintext.startswith(f"svd_{token.id}_")
    assert len(plaintext.split("_", 2)[2]) >= 40
    assert (token.role, token.party_id, token.name, token.created_at) == (
        Role.OPERATOR,
        None,
        "noc",
        NOW,
    )
    later = NOW + timedelta(hours=1)
    found = tokens.authenticate(plaintext, later)
    assert found is not None
    assert found.id == token.id
    assert found.last_used_at == later
    assert found.principal().role is Role.OPERATOR


def test_only_a_hash_of_the_secret_is_stored(tokens: TokenRepository, session: Session) -> None:
    token, plaintext = tokens.create("admin", None, "root", NOW)
    session.commit()
    row = session.get(ApiTokenRow, token.id)
    assert row is not None
    parsed = parse_token(plaintext)
    assert parsed is not None
    secret = parsed[1]
    assert secret not in row.secret_hash
    assert row.secret_hash == hash_secret(secret)
    assert len(row.secret_hash) == 64


def test_secrets_differ(tokens: TokenRepository) -> None:
    secrets = {tokens.create(Role.INGEST, None, f"probe {i}", NOW)[1] for i in range(20)}
    assert len(secrets) == 20


@pytest.mark.parametrize(
    "wrong",
    ["", "svd", "svd__", "bearer xyz", "svd_unknown_secret", "svd_{id}_wrong", "xyz_{id}_{secret}"],
)
def test_wrong_tokens_authenticate_nothing(tokens: TokenRepository, wrong: str) -> None:
    token, plaintext = tokens.create(Role.BILLING, None, "billing", NOW)
    secret = plaintext.split("_", 2)[2]
    assert tokens.authenticate(wrong.format(id=token.id, secret=secret), NOW) is None
    assert tokens.get(token.id) == token  # a failed attempt is not a use


def test_a_revoked_token_no_longer_authenticates(tokens: TokenRepository, session: Session) -> None:
    token, plaintext = tokens.create(Role.OPERATOR, None, "noc", NOW)
    assert tokens.revoke(token.id, NOW + timedelta(minutes=5))
    session.commit()
    assert tokens.authenticate(plaintext, NOW + timedelta(minutes=6)) is None
    revoked = tokens.get(token.id)
    assert revoked is not None
    assert revoked.revoked
    assert revoked.revoked_at == NOW + timedelta(minutes=5)
    assert not tokens.revoke(token.id, NOW + timedelta(minutes=7)), "already revoked"
    assert not tokens.revoke("nope", NOW)
    assert tokens.list(include_revoked=False) == []
    assert [t.id for t in tokens.list()] == [token.id]


def test_customer_tokens_belong_to_a_party(tokens: TokenRepository) -> None:
    token, plaintext = tokens.create(Role.CUSTOMER, "globex", "portal", NOW)
    assert token.party_id == "globex"
    found = tokens.authenticate(plaintext, NOW)
    assert found is not None
    assert found.principal().scope == "globex"
    with pytest.raises(ValueError, match="customer token needs the party"):
        tokens.create(Role.CUSTOMER, None, "portal", NOW)
    with pytest.raises(ValueError, match="belong to no party"):
        tokens.create(Role.ADMIN, "globex", "root", NOW)
    with pytest.raises(ValueError, match="no party 'nobody'"):
        tokens.create(Role.CUSTOMER, "nobody", "portal", NOW)
    with pytest.raises(ValueError, match="'root' is not a valid Role"):
        tokens.create("root", None, "root", NOW)


def test_listed_oldest_first_with_aware_times(tokens: TokenRepository, session: Session) -> None:
    second, _ = tokens.create(Role.INGEST, None, "b", NOW + timedelta(seconds=1))
    first, _ = tokens.create(Role.INGEST, None, "a", NOW)
    session.commit()
    session.expunge_all()
    listed = tokens.list()
    assert [t.id for t in listed] == [first.id, second.id]
    assert all(t.created_at.utcoffset() == timedelta(0) for t in listed)
    stored = session.scalars(select(ApiTokenRow.created_at)).all()
    assert all(s.tzinfo is not None for s in stored)


def test_last_use_is_recorded_once_a_minute(tokens: TokenRepository, session: Session) -> None:
    """A busy client costs a read per request, not a write; the last use stays within a minute."""
    token, plaintext = tokens.create(Role.INGEST, None, "alertmanager", NOW)
    first = tokens.authenticate(plaintext, NOW + timedelta(seconds=5))
    assert first is not None
    assert first.last_used_at == NOW + timedelta(seconds=5)
    again = tokens.authenticate(plaintext, NOW + timedelta(seconds=50))
    assert again is not None
    assert again.last_used_at == NOW + timedelta(seconds=5)
    assert not session.dirty
    later = tokens.authenticate(plaintext, NOW + timedelta(seconds=70))
    assert later is not None
    assert later.last_used_at == NOW + timedelta(seconds=70)
    tokens.revoke(token.id, NOW + timedelta(seconds=71))
    assert tokens.authenticate(plaintext, NOW + timedelta(seconds=72)) is None
