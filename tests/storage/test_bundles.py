"""Saving bundles: round trips, idempotence, updates, history, audit."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from servanda.agreements.model import Agreement
from servanda.core.problems import InvalidInput
from servanda.core.records import from_jsonable
from servanda.declared.bundle import Bundle
from servanda.storage.database import make_sessionmaker
from servanda.storage.repositories import BundleRepository
from servanda.storage.tables import (
    AgreementVersionRow,
    Base,
    LoadRunRow,
    ObjectiveRow,
    RequirementMemberRow,
    SubscriptionRow,
)

NOW = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
LATER = NOW + timedelta(days=1)


def normalised(bundle: Bundle) -> dict[str, list[Any]]:
    """The bundle's records as sorted lists, to compare bundles whatever their order."""
    return {
        "parties": sorted(bundle.parties, key=lambda p: p.id),
        "services": sorted(bundle.services, key=lambda s: s.id),
        "components": sorted(bundle.components, key=lambda c: c.id),
        "calendars": sorted(bundle.calendars, key=lambda c: c.id),
        "subscriptions": sorted(
            bundle.subscriptions, key=lambda s: (s.customer, s.service, str(s.start))
        ),
        "agreements": sorted(bundle.agreements, key=lambda a: a.key),
    }


def row_counts(session: Session) -> dict[str, int]:
    return {
        t.name: session.scalar(select(func.count()).select_from(t)) or 0
        for t in Base.metadata.sorted_tables
    }


def test_round_trip_of_every_kind_of_record(session: Session, bundle: Bundle) -> None:
    BundleRepository(session).save(bundle, ["catalog.yaml"], now=NOW)
    session.commit()
    session.expunge_all()
    assert normalised(BundleRepository(session).load()) == normalised(bundle)


def test_round_trip_across_sessions(engine: Engine, bundle: Bundle) -> None:
    with make_sessionmaker(engine).begin() as session:
        BundleRepository(session).save(bundle, now=NOW)
    with make_sessionmaker(engine)() as session:
        loaded = BundleRepository(session).load()
    assert normalised(loaded) == normalised(bundle)
    assert loaded.versions("globex-internet") == bundle.versions("globex-internet")


def test_first_save_counts_everything_created(session: Session, bundle: Bundle) -> None:
    summary = BundleRepository(session).save(bundle, ["a.yaml", "b.yaml"], now=NOW)
    counts = {kind: c.as_dict() for kind, c in summary.kinds().items()}
    assert counts == {
        "parties": {"created": 5, "updated": 0, "unchanged": 0},
        "calendars": {"created": 3, "updated": 0, "unchanged": 0},
        "services": {"created": 3, "updated": 0, "unchanged": 0},
        "components": {"created": 4, "updated": 0, "unchanged": 0},
        "subscriptions": {"created": 3, "updated": 0, "unchanged": 0},
        "agreements": {"created": 6, "updated": 0, "unchanged": 0},
        "mappings": {"created": 0, "updated": 0, "unchanged": 0},
        "series": {"created": 0, "updated": 0, "unchanged": 0},
        "tariffs": {"created": 0, "updated": 0, "unchanged": 0},
        "rating_profiles": {"created": 0, "updated": 0, "unchanged": 0},
        "charging_rules": {"created": 0, "updated": 0, "unchanged": 0},
        "tax_profiles": {"created": 0, "updated": 0, "unchanged": 0},
        "billing_accounts": {"created": 0, "updated": 0, "unchanged": 0},
        "notification_rules": {"created": 0, "updated": 0, "unchanged": 0},
    }
    assert summary.changed
    assert summary.run_id is not None
    assert summary.as_dict()["counts"] == counts
    assert "parties: 5 created, 0 updated" in str(summary)


def test_saving_the_same_bundle_twice_changes_nothing(
    session: Session, bundle: Bundle, make_bundle: Callable[..., Bundle]
) -> None:
    repo = BundleRepository(session)
    repo.save(bundle, ["catalog.yaml"], now=NOW)
    session.commit()
    before = row_counts(session)
    hashes = session.execute(select(AgreementVersionRow.content_hash)).all()

    again = repo.save(make_bundle(), ["catalog.yaml"], now=LATER)
    session.commit()

    assert not again.changed
    assert again.run_id is None
    assert all(c.created == c.updated == 0 for c in again.kinds().values())
    assert again.counts["subscriptions"].unchanged == 3
    assert again.counts["agreements"].unchanged == 6
    assert str(again) == "nothing changed (24 records unchanged)"
    assert row_counts(session) == before
    assert session.execute(select(AgreementVersionRow.content_hash)).all() == hashes
    assert session.scalar(select(func.count()).select_from(LoadRunRow)) == 1
    assert session.scalar(select(func.max(AgreementVersionRow.recorded_at))) == NOW


def test_a_changed_record_is_updated_in_place(
    session: Session, bundle: Bundle, make_bundle: Callable[..., Bundle]
) -> None:
    repo = BundleRepository(session)
    repo.save(bundle, now=NOW)
    session.commit()
    party = replace(bundle.party_by_id["globex"], name="Globex Corporation")
    internet = replace(
        bundle.service_by_id["internet"],
        depends_on=bundle.service_by_id["voip"].depends_on,
    )
    changed = make_bundle(
        parties=(party, *(p for p in bundle.parties if p.id != "globex")),
        services=(internet, *(s for s in bundle.services if s.id != "internet")),
        subscriptions=(
            replace(bundle.subscriptions[0], monthly_charge=Decimal("1300.00")),
            *bundle.subscriptions[1:],
        ),
    )

    summary = repo.save(changed, now=LATER)
    session.commit()

    assert summary.counts["parties"].as_dict() == {"created": 0, "updated": 1, "unchanged": 4}
    assert summary.counts["services"].as_dict() == {"created": 0, "updated": 1, "unchanged": 2}
    assert summary.counts["subscriptions"].as_dict() == {"created": 0, "updated": 1, "unchanged": 2}
    assert summary.counts["agreements"].updated == 0
    session.expunge_all()
    assert normalised(repo.load()) == normalised(changed)
    members = session.scalars(
        select(RequirementMemberRow.node_id).order_by(RequirementMemberRow.node_id)
    ).all()
    # internet now needs 2 of core-1, core-2, uplink-a like voip; dns-1 still needs any of two.
    assert members == sorted(["core-1", "core-2", "uplink-a"] * 2 + ["core-1", "core-2"])


def test_a_new_version_keeps_the_old_ones(session: Session, bundle: Bundle) -> None:
    repo = BundleRepository(session)
    repo.save(bundle, now=NOW)
    session.commit()
    newest = from_jsonable(
        Agreement,
        {
            "id": "globex-internet",
            "level": "service",
            "provider": "acme",
            "customer": "globex",
            "service": "internet",
            "effective_from": "2026-01-01",
            "objectives": [{"metric": "availability", "target": "99.99%"}],
        },
    )
    # Only the new version is declared this time: the stored history stays.
    summary = repo.save(Bundle(agreements=(newest,)), ["2026.yaml"], now=LATER)
    session.commit()

    assert summary.counts["agreements"].as_dict() == {"created": 1, "updated": 0, "unchanged": 0}
    versions = repo.load().versions("globex-internet")
    assert [v.effective_from for v in versions] == [
        date(2024, 1, 1),
        date(2025, 1, 1),
        date(2026, 1, 1),
    ]
    targets = session.execute(
        select(ObjectiveRow.effective_from, ObjectiveRow.target)
        .where(
            ObjectiveRow.agreement_id == "globex-internet", ObjectiveRow.metric == "availability"
        )
        .order_by(ObjectiveRow.effective_from)
    ).all()
    assert [t for _, t in targets] == [Decimal("99.9"), Decimal("99.95"), Decimal("99.99")]


def test_an_edited_version_is_updated_with_its_objectives(
    session: Session, bundle: Bundle, make_bundle: Callable[..., Bundle]
) -> None:
    repo = BundleRepository(session)
    repo.save(bundle, now=NOW)
    session.commit()
    first = bundle.versions("globex-internet")[0]
    edited = replace(first, title="Internet SLA", objectives=first.objectives[1:])
    summary = repo.save(
        make_bundle(agreements=tuple(edited if a is first else a for a in bundle.agreements)),
        now=LATER,
    )
    session.commit()
    assert summary.counts["agreements"].as_dict() == {"created": 0, "updated": 1, "unchanged": 5}
    row = session.get(AgreementVersionRow, ("globex-internet", date(2024, 1, 1)))
    assert row is not None
    assert row.title == "Internet SLA"
    assert row.recorded_at == LATER
    assert [o.objective_id for o in row.objectives] == ["latency-p95"]


def test_objectives_are_normalised_for_queries(session: Session, bundle: Bundle) -> None:
    BundleRepository(session).save(bundle, now=NOW)
    session.commit()
    latency = session.get(ObjectiveRow, ("globex-internet", date(2024, 1, 1), "latency-p95"))
    assert latency is not None
    assert (latency.metric, latency.comparator, latency.period_kind) == ("latency", "<=", "rolling")
    assert latency.target == Decimal(30)  # milliseconds
    assert latency.percentile == Decimal(95)
    assert latency.period_seconds == Decimal(28 * 86400)
    availability = session.get(ObjectiveRow, ("initech-voip", date(2024, 6, 1), "availability"))
    assert availability is not None
    assert (availability.comparator, availability.period_kind) == (">=", "month")
    assert availability.calendar == "initech-hours"


def test_decimals_come_back_exact(session: Session, bundle: Bundle) -> None:
    BundleRepository(session).save(bundle, now=NOW)
    session.commit()
    session.expunge_all()
    charges = dict(
        session.execute(select(SubscriptionRow.service, SubscriptionRow.monthly_charge)).all()
    )
    assert charges == {"internet": Decimal("1234.56"), "voip": Decimal("0.10"), "transit": None}
    assert isinstance(charges["internet"], Decimal)
    loaded = BundleRepository(session).load()
    by_service = {s.service: s.monthly_charge for s in loaded.subscriptions}
    assert str(by_service["internet"]) == "1234.56"
    assert str(by_service["voip"]) == "0.10"


def test_timestamps_come_back_aware_in_utc(session: Session, bundle: Bundle) -> None:
    paris = datetime(2025, 3, 1, 10, 30, tzinfo=UTC).astimezone(ZoneInfo("Europe/Paris"))
    repo = BundleRepository(session)
    repo.save(bundle, ["catalog.yaml"], now=paris)
    session.commit()
    session.expunge_all()
    [run] = repo.load_runs()
    assert run.loaded_at == paris
    assert run.loaded_at.utcoffset() == timedelta(0)
    assert run.sources == ("catalog.yaml",)
    assert run.counts["parties"] == {"created": 5, "updated": 0, "unchanged": 0}
    recorded = session.scalars(select(AgreementVersionRow.recorded_at)).all()
    assert all(r.tzinfo is not None and r.utcoffset() == timedelta(0) for r in recorded)


def test_naive_now_is_refused(session: Session, bundle: Bundle) -> None:
    with pytest.raises(Exception, match="naive datetime"):
        BundleRepository(session).save(bundle, now=datetime(2025, 1, 1))  # noqa: DTZ001


def test_a_key_declared_twice_is_refused(
    session: Session, bundle: Bundle, make_bundle: Callable[..., Bundle]
) -> None:
    twice = make_bundle(parties=(*bundle.parties, bundle.parties[0]))
    with pytest.raises(InvalidInput, match="parties: acme declared 2 times"):
        BundleRepository(session).save(twice, now=NOW)


def test_an_agreement_cannot_change_scope(session: Session, bundle: Bundle) -> None:
    repo = BundleRepository(session)
    repo.save(bundle, now=NOW)
    session.commit()
    moved = from_jsonable(
        Agreement,
        {
            "id": "globex-terms",
            "level": "customer",
            "provider": "acme",
            "customer": "initech",
            "effective_from": "2026-01-01",
        },
    )
    with pytest.raises(InvalidInput, match="globex-terms has versions of different level"):
        repo.save(Bundle(agreements=(moved,)), now=LATER)


def test_a_dangling_reference_stops_the_save(
    engine: Engine, make_bundle: Callable[..., Bundle]
) -> None:
    orphan = make_bundle(parties=(), services=(), components=(), subscriptions=(), agreements=())
    orphan = replace(
        orphan,
        agreements=(
            from_jsonable(
                Agreement,
                {
                    "id": "x",
                    "level": "corporate",
                    "provider": "nobody",
                    "effective_from": "2024-01-01",
                },
            ),
        ),
    )
    with pytest.raises(IntegrityError), make_sessionmaker(engine).begin() as session:
        BundleRepository(session).save(orphan, now=NOW)
    with make_sessionmaker(engine)() as session:
        assert BundleRepository(session).load() == Bundle()
