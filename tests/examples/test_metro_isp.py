"""The example provider in ``examples/metro-isp``: it loads cleanly and says what its README says.

Demos, documents and later tests build on these facts, so a change to the example that breaks
one of them should be a deliberate one.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from servanda.agreements.effective import (
    EffectiveAgreement,
    change_dates,
    effective_agreement,
)
from servanda.agreements.model import ClaimMode, ExcludedTime, Level
from servanda.catalog.model import PartyRole
from servanda.config.loader import load_config
from servanda.config.reader import ReadResult
from servanda.core.records import from_jsonable, to_jsonable
from servanda.declared.bundle import Bundle

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "metro-isp"
PROVIDER = "metro-isp"
APRIL_2024 = [date(2024, 4, 1) + timedelta(days=d) for d in range(30)]


@pytest.fixture(scope="module")
def result() -> ReadResult:
    return load_config([EXAMPLE])


@pytest.fixture(scope="module")
def bundle(result: ReadResult) -> Bundle:
    return result.bundle


def effective(bundle: Bundle, customer: str, service: str | None, on: date) -> EffectiveAgreement:
    return effective_agreement(bundle.agreements, PROVIDER, customer, service, on)


def target(eff: EffectiveAgreement, objective_id: str) -> Decimal:
    objective = eff.objective(objective_id)
    assert objective is not None, f"{eff.customer}/{eff.service} has no {objective_id}"
    return objective.target


# --- It loads -----------------------------------------------------------------------------------


def test_the_example_has_no_problems(result: ReadResult) -> None:
    assert [str(p) for p in result.problems] == []


def test_it_is_split_by_concern(result: ReadResult) -> None:
    names = sorted(Path(f).relative_to(EXAMPLE).as_posix() for f in result.files)
    assert names == [
        "agreements/bertin-associes.yaml",
        "agreements/corporate.yaml",
        "agreements/horizon-sport.yaml",
        "agreements/hospital.yaml",
        "agreements/institut-rhenan.yaml",
        "agreements/quai-capital.yaml",
        "billing.yaml",
        "calendars.yaml",
        "catalog.yaml",
        "mappings.yaml",
        "notifications.yaml",
        "parties.yaml",
        "series.yaml",
        "subscriptions.yaml",
        "tariffs.yaml",
    ]


def test_each_customer_file_holds_only_that_customers_agreements(
    result: ReadResult, bundle: Bundle
) -> None:
    for i, agreement in enumerate(bundle.agreements):
        origin = result.origin("agreements", i)
        assert origin is not None
        stem = Path(origin.doc.file).stem
        expected = "corporate" if agreement.level is Level.CORPORATE else agreement.customer
        assert stem == expected, f"{agreement.id} is declared in {origin.doc.file}"


# --- Parties and subscriptions --------------------------------------------------------------------


def test_parties_play_the_roles_of_a_metro_isp(bundle: Bundle) -> None:
    def having(role: PartyRole) -> set[str]:
        return {p.id for p in bundle.parties if role in p.roles}

    assert having(PartyRole.PROVIDER) == {"metro-isp"}
    assert having(PartyRole.CARRIER) == {"alpine-transit"}
    assert having(PartyRole.CONTENT_PROVIDER) == {"lumiere-tv", "arena-sports"}
    assert having(PartyRole.CUSTOMER) == {
        "quai-capital",
        "bertin-associes",
        "hospital",
        "horizon-sport",
        "institut-rhenan",
        "lumiere-tv",  # a content provider that also buys Internet access
    }


def test_every_customer_subscribes_and_every_service_is_sold(bundle: Bundle) -> None:
    customers = {p.id for p in bundle.parties if PartyRole.CUSTOMER in p.roles}
    assert {s.customer for s in bundle.subscriptions} == customers
    assert {s.service for s in bundle.subscriptions} == set(bundle.service_by_id)
    assert len(bundle.subscriptions) == 13


def test_monthly_charges_are_exact_euros(bundle: Bundle) -> None:
    for sub in bundle.subscriptions:
        assert sub.currency == "EUR"
        assert isinstance(sub.monthly_charge, Decimal)
        assert sub.monthly_charge.as_tuple().exponent == -2, "charges are written with cents"
    quai = sum(s.monthly_charge or 0 for s in bundle.subscriptions_of("quai-capital"))
    assert quai == Decimal("3720.00")
    hospital_phone = next(
        s for s in bundle.subscriptions_of("hospital") if s.service == "ip-telephony"
    )
    assert str(hospital_phone.monthly_charge) == "1340.50"


def test_the_video_pilot_ends_with_the_semester(bundle: Bundle) -> None:
    pilot = next(
        s for s in bundle.subscriptions_of("institut-rhenan") if s.service == "video-streaming"
    )
    assert (pilot.start, pilot.end) == (date(2024, 2, 1), date(2024, 7, 1))
    (agreement,) = bundle.versions("institut-rhenan-video-pilot")
    assert agreement.effective_to == pilot.end


# --- The dependency map ---------------------------------------------------------------------------


def services_down(bundle: Bundle, failed: set[str]) -> set[str]:
    return {n for n in bundle.graph.impacts(failed) if n in bundle.service_by_id}


def test_the_dependency_map_has_no_cycle(bundle: Bundle) -> None:
    assert bundle.graph.cycles() == []


def test_one_core_router_down_leaves_every_service_up(bundle: Bundle) -> None:
    assert services_down(bundle, {"core-router-1"}) == set()
    assert services_down(bundle, {"core-router-2"}) == set()
    degraded = bundle.graph.degraded({"core-router-1"})
    assert "internet-access" in degraded  # it now runs without its spare router and uplink


def test_both_core_routers_down_take_every_service_down(bundle: Bundle) -> None:
    impacts = bundle.graph.impacts({"core-router-1", "core-router-2"})
    assert {n for n in impacts if n in bundle.service_by_id} == set(bundle.service_by_id)
    why = impacts["internet-access"]
    assert not why.failed_itself
    assert why.requirement is not None
    assert set(why.requirement.nodes) == {"core-router-1", "core-router-2"}


def test_uplinks_are_redundant_and_one_belongs_to_the_carrier(bundle: Bundle) -> None:
    assert services_down(bundle, {"uplink-b"}) == set()
    assert "internet-access" in services_down(bundle, {"uplink-a", "uplink-b"})
    assert bundle.component_by_id["uplink-b"].owner == "alpine-transit"
    assert bundle.component_by_id["uplink-a"].owner is None


def test_dns_needs_two_of_three_resolvers(bundle: Bundle) -> None:
    assert services_down(bundle, {"dns-resolver-1"}) == set()
    assert services_down(bundle, {"dns-resolver-1", "dns-resolver-3"}) == {
        "internet-access",
        "ip-telephony",
    }


def test_sip_proxies_are_a_pair(bundle: Bundle) -> None:
    assert services_down(bundle, {"sip-proxy-2"}) == set()
    assert services_down(bundle, {"sip-proxy-1", "sip-proxy-2"}) == {"ip-telephony"}


def test_radius_is_the_one_single_point_of_failure(bundle: Bundle) -> None:
    assert services_down(bundle, {"radius-aaa"}) == {"internet-access", "managed-vpn"}


def test_video_depends_on_each_content_providers_origins(bundle: Bundle) -> None:
    owners = {c.id: c.owner for c in bundle.components if c.kind == "origin"}
    assert owners == {
        "origin-lumiere-a": "lumiere-tv",
        "origin-lumiere-b": "lumiere-tv",
        "origin-arena": "arena-sports",
    }
    assert services_down(bundle, {"origin-lumiere-a"}) == set()
    assert services_down(bundle, {"origin-arena"}) == {"video-streaming"}


# --- Calendars ------------------------------------------------------------------------------------


def test_calendars_span_several_timezones(bundle: Bundle) -> None:
    zones = {c.id: c.timezone for c in bundle.calendars}
    assert zones["trading-london"] == "Europe/London"
    assert zones["carrier-alpine"] == "Europe/Zurich"
    assert zones["trading-paris"] == "Europe/Paris"


def test_core_routers_are_patched_one_after_the_other(bundle: Bundle) -> None:
    windows = {w.id: w for w in bundle.calendar_by_id["network-ops"].maintenance}
    first, second = windows["core-1-patching"], windows["core-2-patching"]
    assert first.nodes == ("core-router-1",)
    assert second.nodes == ("core-router-2",)
    assert first.rrule == second.rrule == "FREQ=WEEKLY;BYDAY=SU"
    assert first.start + first.duration <= second.start
    assert first.start.weekday() == 6  # the first occurrence is itself a Sunday


def test_every_maintenance_window_names_known_nodes(bundle: Bundle) -> None:
    for calendar in bundle.calendars:
        for window in calendar.maintenance:
            assert window.reason
            for node in window.nodes or ():
                assert node in bundle.graph.nodes, f"{calendar.id}/{window.id} names {node}"


def test_one_off_and_recurring_windows_are_both_shown(bundle: Bundle) -> None:
    windows = [w for c in bundle.calendars for w in c.maintenance]
    one_offs = {w.id for w in windows if w.rrule is None}
    assert {"radius-upgrade-2024-04", "alpine-resplice-2024-04"} <= one_offs
    assert any(w.rrule for w in windows)


def test_critical_windows_carry_the_business_weights(bundle: Bundle) -> None:
    weights = {(c.id, w.id): w.weight for c in bundle.calendars for w in c.critical}
    assert weights[("trading-paris", "continuous-trading")] == 5
    assert weights[("accounting-paris", "month-end-close")] == 10
    assert weights[("retail-stores", "black-friday-2024")] == 10
    black_friday = next(
        w for w in bundle.calendar_by_id["retail-stores"].critical if w.id == "black-friday-2024"
    )
    assert black_friday.start == datetime(2024, 11, 29, 9, 30)  # noqa: DTZ001 - local time


def test_holidays_by_country_region_and_date(bundle: Bundle) -> None:
    campus = bundle.calendar_by_id["campus-strasbourg"].holidays
    assert campus is not None
    assert (campus.country, campus.subdivision) == ("FR", "6AE")
    assert date(2024, 4, 22) in campus.dates  # academic spring break
    assert campus.exclude == (date(2024, 5, 20),)  # Whit Monday is worked
    london = bundle.calendar_by_id["trading-london"].holidays
    assert london is not None
    assert (london.country, london.subdivision) == ("GB", "ENG")
    assert bundle.calendar_by_id["hospital-24x7"].holidays is None


# --- Agreements -----------------------------------------------------------------------------------


def test_one_corporate_agreement_with_the_published_terms(bundle: Bundle) -> None:
    (corporate,) = [a for a in bundle.agreements if a.level is Level.CORPORATE]
    objectives = {o.id: o.target for o in corporate.objectives}
    assert objectives["availability"] == Decimal("99.5")
    assert objectives["mttr"] == 4 * 3600
    severities = {
        s.severity: (s.response, s.resolution) for s in corporate.responsibilities.severities
    }
    assert severities["critical"] == (timedelta(minutes=15), timedelta(hours=4))
    assert set(severities) == {"critical", "major", "minor"}
    credits = corporate.credits
    assert credits is not None
    assert credits.claim is ClaimMode.ON_CLAIM
    assert credits.claim_within == timedelta(days=30)
    assert [credits.credit_percent(Decimal(a)) for a in ("99.95", "99.85", "98.5", "94")] == [
        0,
        10,
        25,
        100,
    ]
    (policy,) = corporate.policies
    assert "at least 8 characters" in policy.text
    assert "printed photo" in policy.text
    assert all(c.evidence for c in policy.controls)
    assert {c.id for c in policy.controls} == {
        "password-length",
        "password-rotation",
        "photo-access-cards",
    }


@pytest.mark.parametrize("day", [date(2024, 1, 1), *APRIL_2024, date(2024, 6, 30)])
def test_every_subscription_has_an_effective_agreement(bundle: Bundle, day: date) -> None:
    for sub in bundle.subscriptions:
        if sub.end is not None and day >= sub.end:
            continue
        eff = effective(bundle, sub.customer, sub.service, day)
        assert eff.chain, f"{sub.customer}/{sub.service} has no agreement on {day}"
        assert eff.chain[0].level is Level.CORPORATE
        assert eff.loosened() == []
        assert eff.calendar is not None
        assert eff.calendar.value in bundle.calendar_by_id
        assert eff.objective("availability") is not None
        assert eff.credits is not None
        assert eff.objective(eff.credits.value.objective) is not None
        assert {p.value.id for p in eff.policies} == {"corporate-security"}


def test_a_customer_without_its_own_agreement_gets_the_corporate_terms(bundle: Bundle) -> None:
    eff = effective(bundle, "lumiere-tv", "internet-access", date(2024, 4, 1))
    assert [a.id for a in eff.chain] == ["metro-corporate"]
    assert target(eff, "availability") == Decimal("99.5")


def test_the_hospital_is_stricter_than_the_corporate_terms(bundle: Bundle) -> None:
    eff = effective(bundle, "hospital", "internet-access", date(2024, 4, 1))
    availability = next(o for o in eff.objectives if o.value.id == "availability")
    assert availability.value.target == Decimal("99.95")
    assert availability.level is Level.CUSTOMER
    assert availability.replaces is not None
    assert availability.replaces.level is Level.CORPORATE
    assert availability.value.target > availability.replaces.value.target
    assert eff.calendar is not None
    assert eff.calendar.value == "hospital-24x7"
    assert eff.excluded_time.value is ExcludedTime.FORGIVE
    assert eff.fault_reporting is not None
    assert eff.fault_reporting.value == "provider"
    assert eff.credits is not None
    assert eff.credits.value.claim is ClaimMode.AUTOMATIC
    severities = {s.value.severity: s for s in eff.severities}
    assert severities["critical"].value.resolution == timedelta(hours=2)
    assert severities["minor"].level is Level.CORPORATE  # inherited as is


def test_the_trading_firms_latency_tightens_mid_april(bundle: Bundle) -> None:
    versions = bundle.versions("quai-capital-internet")
    assert [v.effective_from for v in versions] == [date(2024, 1, 1), date(2024, 4, 15)]
    before = effective(bundle, "quai-capital", "internet-access", date(2024, 4, 14))
    after = effective(bundle, "quai-capital", "internet-access", date(2024, 4, 15))
    assert target(before, "latency-p95") == 3
    assert target(after, "latency-p95") == 2
    assert target(before, "packet-loss") == target(after, "packet-loss")
    assert change_dates(
        bundle.agreements,
        PROVIDER,
        "quai-capital",
        "internet-access",
        date(2024, 4, 1),
        date(2024, 5, 1),
    ) == [date(2024, 4, 15)]


def test_the_accountancys_cheaper_support_is_a_declared_override(bundle: Bundle) -> None:
    eff = effective(bundle, "bertin-associes", "managed-vpn", date(2024, 4, 1))
    mttr = next(o for o in eff.objectives if o.value.id == "mttr")
    assert mttr.value.override
    assert mttr.value.target == 8 * 3600
    assert mttr.replaces is not None
    assert mttr.replaces.value.target == 4 * 3600
    assert not mttr.value.is_tighter_or_equal(mttr.replaces.value)
    assert eff.loosened() == []  # loosened, but on purpose


def test_service_agreements_set_network_quality_targets(bundle: Bundle) -> None:
    day = date(2024, 4, 16)
    quai = effective(bundle, "quai-capital", "internet-access", day)
    assert target(quai, "jitter") == 1
    assert target(quai, "throughput") == Decimal("9.4E9")
    assert target(quai, "weighted-availability") == Decimal("99.95")
    phone = effective(bundle, "hospital", "ip-telephony", day)
    assert target(phone, "jitter-p95") == 10
    assert target(phone, "packet-loss") == Decimal("0.5")
    assert target(phone, "satisfaction") == Decimal("4.2")
    setup = phone.objective("call-setup-success")
    assert setup is not None
    assert setup.budgeting == "events"
    assert setup.series == "sip-call-setup"
    vpn = effective(bundle, "quai-capital", "managed-vpn", day)
    london = vpn.objective("availability-london")
    assert london is not None
    assert vpn.calendar_of(london) == "trading-london"
    assert vpn.calendar is not None
    assert vpn.calendar.value == "trading-paris"


def test_the_retailers_credits_follow_weighted_availability(bundle: Bundle) -> None:
    eff = effective(bundle, "horizon-sport", "internet-access", date(2024, 11, 29))
    assert eff.credits is not None
    schedule = eff.credits.value
    assert schedule.objective == "weighted-availability"
    assert schedule.cap == 60
    assert schedule.credit_percent(Decimal("96")) == 60


def test_the_hospital_requires_every_security_control(bundle: Bundle) -> None:
    hospital = effective(bundle, "hospital", "ip-telephony", date(2024, 4, 1))
    others = effective(bundle, "horizon-sport", "video-streaming", date(2024, 4, 1))
    assert target(hospital, "control-compliance") == 100
    assert target(others, "control-compliance") == 95


def test_every_record_survives_a_json_round_trip(bundle: Bundle) -> None:
    """What storage and the API do with each record: dump to JSON data and read it back."""
    for records in (
        bundle.parties,
        bundle.services,
        bundle.components,
        bundle.subscriptions,
        bundle.calendars,
        bundle.agreements,
    ):
        for record in records:
            assert from_jsonable(type(record), to_jsonable(record)) == record
