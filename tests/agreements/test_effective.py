"""The effective agreement: corporate → customer → service, provenance, versions, ambiguity."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from servanda.agreements.effective import (
    AmbiguousAgreement,
    Source,
    change_dates,
    effective_agreement,
)
from servanda.agreements.model import Agreement, ExcludedTime, Level
from servanda.core.records import from_jsonable

DAY = date(2025, 4, 1)


def agreement(**fields: Any) -> Agreement:
    """An agreement of provider ``isp``, from 2025-01-01 unless said otherwise, read like YAML."""
    data = {"provider": "isp", "effective_from": "2025-01-01", **fields}
    return from_jsonable(Agreement, data)


CORPORATE = agreement(
    id="corp",
    level="corporate",
    excluded_time="exclude",
    objectives=[
        {"metric": "availability", "target": "99.5%"},
        {"metric": "mttr", "target": "8h"},
        {"metric": "satisfaction", "target": 4},
    ],
    responsibilities={
        "fault_reporting": "both",
        "validates_correction": "customer",
        "pays_credits": "provider",
        "severities": [
            {"severity": "critical", "response": "30m", "resolution": "8h"},
            {"severity": "major", "response": "2h", "resolution": "1d"},
        ],
    },
    credits={"tiers": [{"below": "99.5%", "credit": "10%"}], "cap": "50%"},
    policies=[
        {"id": "security", "title": "Security policy", "text": "Badges carry a photo."},
        {"id": "privacy", "title": "Privacy policy", "text": "Data stays in the EU."},
    ],
)
CUSTOMER = agreement(
    id="acme-terms",
    level="customer",
    customer="acme",
    calendar="business-hours",
    objectives=[
        {"metric": "availability", "target": "99.9%"},
        {"metric": "mtta", "target": "15m"},
    ],
    responsibilities={"validates_correction": "both"},
)
SERVICE = agreement(
    id="acme-inet",
    level="service",
    customer="acme",
    service="inet",
    effective_from="2025-02-01",
    objectives=[
        {"metric": "availability", "target": "99.95%"},
        {"metric": "latency", "percentile": 95, "target": "30ms", "calendar": "always"},
        {"metric": "satisfaction", "target": "3.8", "override": True},
    ],
    responsibilities={
        "severities": [{"severity": "critical", "response": "15m", "resolution": "4h"}]
    },
    credits={"tiers": [{"below": "99.9%", "credit": "10%"}], "claim": "on_claim"},
    policies=[{"id": "security", "title": "Security policy", "text": "Badges and PINs."}],
)
ALL = (SERVICE, CUSTOMER, CORPORATE)


def test_chain_runs_from_the_widest_level_to_the_narrowest() -> None:
    eff = effective_agreement(ALL, "isp", "acme", "inet", DAY)
    assert [a.id for a in eff.chain] == ["corp", "acme-terms", "acme-inet"]
    assert (eff.provider, eff.customer, eff.service, eff.on) == ("isp", "acme", "inet", DAY)


def test_each_objective_says_where_it_came_from_and_what_it_replaced() -> None:
    eff = effective_agreement(ALL, "isp", "acme", "inet", DAY)
    by_id = {o.value.id: o for o in eff.objectives}
    assert set(by_id) == {"availability", "mttr", "satisfaction", "mtta", "latency-p95"}

    availability = by_id["availability"]
    assert availability.value.target == Decimal("99.95")
    assert availability.source == Source(Level.SERVICE, "acme-inet", date(2025, 2, 1))
    assert availability.replaces is not None
    assert availability.replaces.level is Level.CUSTOMER
    assert availability.replaces.value.target == Decimal("99.9")
    assert availability.replaces.replaces is not None
    assert availability.replaces.replaces.level is Level.CORPORATE
    assert availability.replaces.replaces.replaces is None

    assert by_id["mttr"].level is Level.CORPORATE
    assert by_id["mttr"].replaces is None
    assert by_id["mtta"].level is Level.CUSTOMER
    assert by_id["latency-p95"].level is Level.SERVICE


def test_a_customer_level_agreement_leaves_service_agreements_out() -> None:
    eff = effective_agreement(ALL, "isp", "acme", None, DAY)
    assert [a.id for a in eff.chain] == ["corp", "acme-terms"]
    assert eff.objective("availability") is not None
    assert eff.objective("availability").target == Decimal("99.9")  # type: ignore[union-attr]
    assert eff.objective("latency-p95") is None


def test_other_customers_get_only_the_corporate_terms() -> None:
    eff = effective_agreement(ALL, "isp", "globex", "inet", DAY)
    assert [a.id for a in eff.chain] == ["corp"]
    assert eff.objective("availability").target == Decimal("99.5")  # type: ignore[union-attr]


def test_another_providers_agreements_never_apply() -> None:
    eff = effective_agreement(ALL, "other-isp", "acme", "inet", DAY)
    assert eff.chain == ()
    assert eff.provider == "other-isp"
    assert eff.objectives == ()


def test_tightening_is_fine_and_loosening_must_be_declared() -> None:
    loose = agreement(
        id="acme-loose",
        level="service",
        customer="acme",
        service="inet",
        objectives=[
            {"metric": "availability", "target": "99%"},
            {"metric": "mttr", "target": "4h"},
        ],
    )
    eff = effective_agreement((CORPORATE, loose), "isp", "acme", "inet", DAY)
    assert [o.value.id for o in eff.loosened()] == ["availability"]

    # The service agreement lowers satisfaction from 4 to 3.8, saying so with override: true.
    eff = effective_agreement(ALL, "isp", "acme", "inet", DAY)
    satisfaction = next(o for o in eff.objectives if o.value.id == "satisfaction")
    assert satisfaction.value.override
    assert not satisfaction.value.is_tighter_or_equal(satisfaction.replaces.value)  # type: ignore[union-attr]
    assert eff.loosened() == []


def test_responsibilities_merge_role_by_role_and_severity_by_severity() -> None:
    eff = effective_agreement(ALL, "isp", "acme", "inet", DAY)
    assert eff.fault_reporting is not None
    assert eff.fault_reporting.value == "both"
    assert eff.fault_reporting.level is Level.CORPORATE
    assert eff.validates_correction is not None
    assert eff.validates_correction.value == "both"
    assert eff.validates_correction.level is Level.CUSTOMER
    assert eff.validates_correction.replaces is not None
    assert eff.validates_correction.replaces.value == "customer"
    severities = {s.value.severity: s for s in eff.severities}
    assert severities["critical"].level is Level.SERVICE
    assert severities["critical"].replaces is not None
    assert severities["critical"].replaces.value.response.total_seconds() == 1800
    assert severities["major"].level is Level.CORPORATE


def test_credit_schedule_is_replaced_whole_and_policies_by_id() -> None:
    eff = effective_agreement(ALL, "isp", "acme", "inet", DAY)
    assert eff.credits is not None
    assert eff.credits.level is Level.SERVICE
    assert eff.credits.value.cap == 100  # not the corporate 50: the schedule is one term
    assert eff.credits.replaces is not None
    assert eff.credits.replaces.value.cap == 50
    policies = {p.value.id: p for p in eff.policies}
    assert policies["security"].level is Level.SERVICE
    assert policies["security"].replaces is not None
    assert policies["privacy"].level is Level.CORPORATE


def test_calendar_and_maintenance_convention_are_inherited() -> None:
    eff = effective_agreement(ALL, "isp", "acme", "inet", DAY)
    assert eff.calendar is not None
    assert eff.calendar.value == "business-hours"
    assert eff.calendar.level is Level.CUSTOMER
    assert eff.excluded_time.value is ExcludedTime.EXCLUDE
    assert eff.excluded_time.level is Level.CORPORATE
    latency = eff.objective("latency-p95")
    availability = eff.objective("availability")
    assert latency is not None
    assert availability is not None
    assert eff.calendar_of(latency) == "always"
    assert eff.calendar_of(availability) == "business-hours"


def test_without_any_statement_planned_maintenance_is_excluded_by_default() -> None:
    bare = agreement(id="bare", level="corporate")
    eff = effective_agreement((bare,), "isp", "acme", None, DAY)
    assert eff.excluded_time.value is ExcludedTime.EXCLUDE
    assert eff.excluded_time.source is None
    assert eff.calendar is None
    assert eff.credits is None


# --- versions --------------------------------------------------------------------------------

V1 = agreement(
    id="acme-terms",
    level="customer",
    customer="acme",
    objectives=[{"metric": "availability", "target": "99.8%"}],
)
V2 = agreement(
    id="acme-terms",
    level="customer",
    customer="acme",
    effective_from="2025-03-15",
    objectives=[{"metric": "availability", "target": "99.9%"}],
)


def test_a_mid_month_version_applies_from_its_date_and_the_previous_one_before() -> None:
    before = effective_agreement((CORPORATE, V2, V1), "isp", "acme", None, date(2025, 3, 14))
    after = effective_agreement((CORPORATE, V2, V1), "isp", "acme", None, date(2025, 3, 15))
    assert before.objective("availability").target == Decimal("99.8")  # type: ignore[union-attr]
    assert before.chain[-1].effective_from == date(2025, 1, 1)
    assert after.objective("availability").target == Decimal("99.9")  # type: ignore[union-attr]
    assert after.chain[-1].effective_from == date(2025, 3, 15)


def test_measurement_splits_the_month_where_a_version_starts() -> None:
    days = change_dates(
        (CORPORATE, V1, V2), "isp", "acme", None, date(2025, 3, 1), date(2025, 4, 1)
    )
    assert days == [date(2025, 3, 15)]
    assert (
        change_dates((CORPORATE, V1, V2), "isp", "globex", None, date(2025, 3, 1), date(2025, 4, 1))
        == []
    )


def test_nothing_applies_before_the_first_version() -> None:
    eff = effective_agreement((CORPORATE, V1), "isp", "acme", None, date(2024, 12, 31))
    assert eff.chain == ()


def test_an_ended_agreement_stops_applying_on_its_end_day() -> None:
    ending = agreement(
        id="trial",
        level="customer",
        customer="acme",
        effective_to="2025-06-01",
        objectives=[{"metric": "availability", "target": "99.9%"}],
    )
    last = effective_agreement((CORPORATE, ending), "isp", "acme", None, date(2025, 5, 31))
    gone = effective_agreement((CORPORATE, ending), "isp", "acme", None, date(2025, 6, 1))
    assert [a.id for a in last.chain] == ["corp", "trial"]
    assert [a.id for a in gone.chain] == ["corp"]
    assert date(2025, 6, 1) in change_dates(
        (ending,), "isp", "acme", None, date(2025, 5, 1), date(2025, 7, 1)
    )


def test_a_later_version_that_ended_does_not_revive_the_one_it_replaced() -> None:
    short = agreement(
        id="acme-terms",
        level="customer",
        customer="acme",
        effective_from="2025-02-01",
        effective_to="2025-03-01",
    )
    eff = effective_agreement((CORPORATE, V1, short), "isp", "acme", None, date(2025, 3, 10))
    assert [a.id for a in eff.chain] == ["corp"]


# --- ambiguity -------------------------------------------------------------------------------


def test_two_agreements_competing_for_one_level_are_ambiguous() -> None:
    rival = agreement(
        id="acme-other-terms",
        level="customer",
        customer="acme",
        effective_from="2025-02-01",
    )
    with pytest.raises(AmbiguousAgreement, match="2 customer agreements") as caught:
        effective_agreement((CORPORATE, CUSTOMER, rival), "isp", "acme", None, DAY)
    assert {a.id for a in caught.value.agreements} == {"acme-terms", "acme-other-terms"}
    # Before the rival starts there is no competition.
    eff = effective_agreement((CORPORATE, CUSTOMER, rival), "isp", "acme", None, date(2025, 1, 15))
    assert [a.id for a in eff.chain] == ["corp", "acme-terms"]


def test_versions_of_one_agreement_never_compete() -> None:
    eff = effective_agreement((CORPORATE, V1, V2), "isp", "acme", None, DAY)
    assert [a.key for a in eff.chain] == [
        ("corp", date(2025, 1, 1)),
        ("acme-terms", date(2025, 3, 15)),
    ]
