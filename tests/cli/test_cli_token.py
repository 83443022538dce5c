"""``servanda token``: created once, listed without secrets, revoked."""

from __future__ import annotations

import pytest

from .cli_support import no_traceback, ok, ok_json, run


def test_create_list_revoke(loaded: str) -> None:
    created = ok_json(
        "token", "create", "--role", "customer", "--party", "hospital", "--name", "portal",
        db=loaded,
    )  # fmt: skip
    assert created["token"].startswith("svd_")
    assert created["role"] == "customer"
    assert created["party"] == "hospital"
    assert created["name"] == "portal"
    secret = created["token"]

    listed = ok_json("token", "list", db=loaded)
    assert [t["id"] for t in listed] == [created["id"]]
    assert listed[0]["party"] == "hospital"
    assert listed[0]["revoked_at"] is None
    assert all("token" not in t and "secret" not in t for t in listed)
    assert secret not in ok("token", "list", "--format", "json", db=loaded).stdout
    text = ok("token", "list", db=loaded).stdout
    assert "API tokens" in text
    assert secret not in text
    assert secret.split("_", 2)[2] not in text  # svd_<id>_<secret>: the secret may hold "_"

    result = ok("token", "revoke", created["id"], db=loaded)
    assert f"token {created['id']} revoked" in result.stdout
    (after,) = ok_json("token", "list", db=loaded)
    assert after["revoked_at"] is not None

    ok("token", "revoke", created["id"], db=loaded)  # again: the first time is kept
    (still,) = ok_json("token", "list", db=loaded)
    assert still["revoked_at"] == after["revoked_at"]


def test_create_for_people_prints_the_secret_once(loaded: str) -> None:
    result = ok("token", "create", "--role", "admin", db=loaded)
    secrets = [w for w in result.stdout.split() if w.startswith("svd_")]
    assert len(secrets) == 1
    assert "not shown again" in result.stdout


def test_customer_token_needs_a_party(loaded: str) -> None:
    result = run("token", "create", "--role", "customer", db=loaded)
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ")
    assert "party" in result.stderr
    no_traceback(result)
    assert ok_json("token", "list", db=loaded) == []


def test_party_on_a_role_without_one_is_a_usage_error(loaded: str) -> None:
    result = run("token", "create", "--role", "admin", "--party", "hospital", db=loaded)
    assert result.exit_code == 2
    assert "party" in result.stderr
    assert ok_json("token", "list", db=loaded) == []


def test_customer_token_for_an_unknown_party(loaded: str) -> None:
    result = run("token", "create", "--role", "customer", "--party", "nobody", db=loaded)
    assert result.exit_code in (1, 2)
    assert "nobody" in result.stderr
    no_traceback(result)
    assert ok_json("token", "list", db=loaded) == []


def test_unknown_role_is_a_usage_error(migrated: str) -> None:
    result = run("token", "create", "--role", "wizard", db=migrated)
    assert result.exit_code == 2
    assert "wizard" in result.stderr


@pytest.mark.parametrize("token_id", ["nope", "0000000000000000"])
def test_revoking_an_unknown_token(migrated: str, token_id: str) -> None:
    result = run("token", "revoke", token_id, db=migrated)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: no token '{token_id}'")
    no_traceback(result)


def test_a_token_that_expires(migrated: str) -> None:
    made = ok_json("token", "create", "--role", "ingest", "--expires", "90d", db=migrated)
    assert made["expires_at"] is not None
    [listed] = ok_json("token", "list", db=migrated)
    assert listed["expires_at"] == made["expires_at"]
    bad = run("token", "create", "--role", "ingest", "--expires", "soon", db=migrated)
    assert bad.exit_code == 2
    assert "--expires" in bad.stderr
    no_traceback(bad)
