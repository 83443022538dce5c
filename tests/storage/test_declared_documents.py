"""Declared kinds stored as documents (tariffs, rating profiles): saved, read back, updated
only when they change, every version kept, and a key declared twice refused."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from servanda.config.loader import load_config
from servanda.core.problems import InvalidInput
from servanda.declared.bundle import Bundle
from servanda.storage.repositories import BundleRepository
from servanda.storage.tables import DeclaredDocumentRow

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "metro-isp"
NOW = datetime(2024, 4, 1, tzinfo=UTC)
LATER = datetime(2024, 4, 2, tzinfo=UTC)


def example() -> Bundle:
    result = load_config([EXAMPLE])
    assert not result.problems
    return result.bundle


def test_tariffs_and_profiles_are_stored_and_read_back(session: Session) -> None:
    bundle = example()
    summary = BundleRepository(session).save(bundle, now=NOW)
    assert summary.counts["tariffs"].created == 5
    assert summary.counts["rating_profiles"].created == 5
    session.commit()
    loaded = BundleRepository(session).load()
    assert sorted(loaded.tariffs, key=lambda t: t.id) == sorted(bundle.tariffs, key=lambda t: t.id)
    assert set(loaded.rating_profiles) == set(bundle.rating_profiles)
    again = BundleRepository(session).save(bundle, now=LATER)
    assert not again.changed


def test_a_new_version_is_added_and_a_changed_one_updated(session: Session) -> None:
    bundle = example()
    repo = BundleRepository(session)
    repo.save(bundle, now=NOW)
    voice = next(t for t in bundle.tariffs if t.id == "voice-business")
    cheaper = replace(voice, active_from=datetime(2024, 7, 1, tzinfo=UTC))
    renamed = replace(voice, name="Business telephony (2024)")
    summary = repo.save(Bundle(tariffs=(renamed, cheaper)), now=LATER)
    assert summary.counts["tariffs"].as_dict() == {"created": 1, "updated": 1, "unchanged": 0}
    rows = session.scalar(
        select(func.count())
        .select_from(DeclaredDocumentRow)
        .where(DeclaredDocumentRow.kind == "tariffs")
    )
    assert rows == 6
    versions = repo.load().tariff_versions("voice-business")
    assert [v.active_from for v in versions] == [voice.active_from, cheaper.active_from]
    assert versions[0].name == "Business telephony (2024)"
    assert versions[0].rates[0].slots[1].price == Decimal("0.018")


def test_a_tariff_version_declared_twice_is_refused(session: Session) -> None:
    voice = next(t for t in example().tariffs if t.id == "voice-business")
    with pytest.raises(InvalidInput, match=r"tariffs: voice-business from .* declared 2 times"):
        BundleRepository(session).save(Bundle(tariffs=(voice, voice)), now=NOW)
