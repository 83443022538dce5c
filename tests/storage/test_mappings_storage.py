"""Label-to-node mapping rules are stored with the bundle, in order, idempotently."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from servanda.declared.bundle import Bundle
from servanda.events.model import NodeMapping
from servanda.storage.repositories import BundleRepository
from servanda.storage.tables import LoadRunRow, NodeMappingRow

NOW = datetime(2024, 5, 1, 12, tzinfo=UTC)
LATER = datetime(2024, 5, 2, 12, tzinfo=UTC)

RULES = (
    NodeMapping(
        match=(("instance", "~(?P<host>[^:]+):\\d+"),),
        node="{host}",
        description="node exporters",
    ),
    NodeMapping(match=(("job", "dns"), ("site", "paris")), node="dns-1", source="alertmanager"),
    NodeMapping(match=(("device", "core-a"),), node="core-1"),
)


def test_rules_round_trip_in_order(session: Session, make_bundle: Callable[..., Bundle]) -> None:
    summary = BundleRepository(session).save(make_bundle(mappings=RULES), now=NOW)
    assert summary.counts["mappings"].as_dict() == {"created": 3, "updated": 0, "unchanged": 0}
    session.commit()
    session.expunge_all()
    assert BundleRepository(session).load().mappings == RULES


def test_saving_the_same_rules_twice_changes_nothing(
    session: Session, make_bundle: Callable[..., Bundle]
) -> None:
    repo = BundleRepository(session)
    repo.save(make_bundle(mappings=RULES), now=NOW)
    session.commit()
    stamps = session.execute(select(NodeMappingRow.position, NodeMappingRow.updated_at)).all()

    again = repo.save(make_bundle(mappings=RULES), now=LATER)
    session.commit()

    assert not again.changed
    assert again.counts["mappings"].unchanged == 3
    assert session.execute(select(NodeMappingRow.position, NodeMappingRow.updated_at)).all() == (
        stamps
    )
    assert session.scalar(select(func.count()).select_from(LoadRunRow)) == 1


def test_a_new_list_replaces_the_stored_one_and_keeps_its_order(
    session: Session, make_bundle: Callable[..., Bundle]
) -> None:
    repo = BundleRepository(session)
    repo.save(make_bundle(mappings=RULES), now=NOW)
    session.commit()

    reordered = (RULES[1], RULES[0])
    summary = repo.save(make_bundle(mappings=reordered), now=LATER)
    session.commit()

    # Both positions changed their rule; the third rule is gone.
    assert summary.counts["mappings"].as_dict() == {"created": 0, "updated": 3, "unchanged": 0}
    assert repo.load().mappings == reordered


def test_a_bundle_without_rules_keeps_the_stored_ones(
    session: Session, make_bundle: Callable[..., Bundle]
) -> None:
    repo = BundleRepository(session)
    repo.save(make_bundle(mappings=RULES), now=NOW)
    session.commit()

    summary = repo.save(make_bundle(), now=LATER)
    session.commit()

    assert summary.counts["mappings"].as_dict() == {"created": 0, "updated": 0, "unchanged": 0}
    assert repo.load().mappings == RULES


def test_only_the_changed_position_is_rewritten(
    session: Session, make_bundle: Callable[..., Bundle]
) -> None:
    repo = BundleRepository(session)
    repo.save(make_bundle(mappings=RULES), now=NOW)
    session.commit()

    changed = (RULES[0], RULES[1], NodeMapping(match=(("device", "core-b"),), node="core-2"))
    summary = repo.save(make_bundle(mappings=changed), now=LATER)
    session.commit()

    assert summary.counts["mappings"].as_dict() == {"created": 0, "updated": 1, "unchanged": 2}
    stamps = dict(session.execute(select(NodeMappingRow.position, NodeMappingRow.updated_at)).all())
    assert stamps == {0: NOW, 1: NOW, 2: LATER}
    assert repo.load().mappings == changed
